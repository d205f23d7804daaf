// TimeSide's "Dive in", in C++: decode sweep.wav once and, in that one pass, draw it (waveform.png),
// measure it (level) and transcode it (sweep.ogg). Usage: dive_in [path/to/sweep.wav]
#include <cstdio>
#include <iostream>

#include "timeside.hpp"

int main(int argc, char** argv) try {
    const std::string wavfile = argc > 1 ? argv[1] : "samples/sweep.wav";

    std::cout << timeside::list_processors();

    auto decoder = timeside::get_processor("file_decoder", {{"uri", wavfile}});
    auto grapher = timeside::get_processor_as<timeside::grapher>("waveform_simple");
    auto analyzer = timeside::get_processor_as<timeside::analyzer>("level");
    auto encoder = timeside::get_processor_as<timeside::encoder>("vorbis_encoder");
    encoder->write_to("sweep.ogg");

    (decoder | grapher | analyzer | encoder).run();

    grapher->render("waveform.png");

    std::printf("Level: level.max = %.2f dBFS, level.rms = %.2f dBFS\n",
                analyzer->result("level.max").data.value.at(0), analyzer->result("level.rms").data.value.at(0));
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "dive_in: %s\n", e.what());
    return 1;
}
