// libFuzzer target: the decoders on arbitrary bytes. The bytes become a file, file_decoder
// (GStreamer, in this process) opens it and every block is pulled. Bad media must be a
// processing_error naming the input (the label gst_audio_source puts first); a stream it opens must be sane (a rate and channels), its
// blocks contiguous, full-sized but the last, and every sample finite (consumers such as LAME
// abort on NaN or Inf).
#include <cmath>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/registry.hpp"
#include "decoders/file_decoder.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace timeside;

namespace {
std::filesystem::path file;
constexpr int64_t max_frames = int64_t(48000) * 600;  // a few KB that claim hours: stop at 10 min
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    file = fuzz::scratch_dir("decode") / "input";
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));
    auto d = get_processor_as<file_decoder>("file_decoder", {{"uri", file.string()}, {"blocksize", std::string("4096")}});
    try {
        const stream_info info = d->open();
        if (info.format.samplerate <= 0 || info.format.channels <= 0)
            fuzz::fail(fmt::format("opened with {} Hz, {} channels", info.format.samplerate, info.format.channels));
        int64_t next = 0;
        bool short_seen = false;
        while (auto b = d->read()) {
            if (b->position() != next) fuzz::fail(fmt::format("block at frame {}, expected {}", b->position(), next));
            if (b->frames() <= 0) fuzz::fail("an empty block");
            if (short_seen) fuzz::fail("a short block before the last");
            if (b->frames() < info.blocksize) short_seen = true;
            if (b->channels() != info.format.channels || b->samplerate() != info.format.samplerate)
                fuzz::fail("a block's format differs from the stream's");
            for (float s : b->samples())
                if (!std::isfinite(s)) fuzz::fail(fmt::format("a non-finite sample ({}) near frame {}", s, next));
            next += b->frames();
            if (next > max_frames) break;
        }
    } catch (const processing_error& e) {
        if (std::string_view(e.what()).find(file.filename().string()) == std::string_view::npos)
            fuzz::fail(std::string("a decoding error that does not name the input: ") + e.what());
    }
    d->close();
    return 0;
}
