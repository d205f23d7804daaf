// The contract every encoder in the registry keeps, whatever its codec: an unwritable output
// fails at setup before anything is decoded; a failed or cancelled run leaves nothing under the
// final name (no temporary either); header chunks come first and are marked; tiny and short inputs
// come back at their length and level.
// New encoders are covered as soon as they are registered.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <set>

#include "../test_support.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "encoder_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

std::vector<std::string> encoder_ids() {
    std::vector<std::string> ids;
    for (const auto* info : default_registry().list())
        if (info->kind == processor_kind::encoder) ids.push_back(info->id);
    return ids;
}

std::shared_ptr<encoder> make(const std::string& id) {
    return std::dynamic_pointer_cast<encoder>(default_registry().make(id));
}

// Fails on its n-th block, like a full disk would.
class failing_consumer : public consumer {
public:
    explicit failing_consumer(int at) : consumer(counting_consumer::info(), {}), at_(at) {}
    void setup(const stream_info&) override {}
    void process(const block_ptr&) override {
        if (++seen_ == at_) throw processing_error("disk full (simulated)");
    }
    void finish() override {}

private:
    int at_, seen_ = 0;
};

}  // namespace

TEST_CASE("every encoder is one the server can label for a browser", "[encoders][contract]") {
    const std::set<std::string> browser_types = {"audio/ogg", "audio/mpeg", "audio/flac", "audio/wav"};
    auto ids = encoder_ids();
    REQUIRE(ids.size() >= 2);
    std::set<std::string> extensions;
    for (const auto& id : ids) {
        auto e = make(id);
        INFO(id);
        CHECK(browser_types.count(e->mime_type()) == 1);
        CHECK_FALSE(e->extension().empty());
        CHECK(extensions.insert(e->extension()).second);  // one extension, one encoder
    }
}

TEST_CASE("every encoder fails at setup, before any block, when its output cannot be written",
          "[encoders][contract]") {
    for (const auto& id : encoder_ids()) {
        INFO(id);
        temp_dir dir;
        auto enc = make(id);
        enc->write_to(dir / "missing" / ("out." + enc->extension()));
        auto before = std::make_shared<counting_consumer>();
        timeside::pipe p(array_decoder::from_samples(sine(440, 44100, 44100), 44100, 1));
        p.add(before);
        p.add(enc);
        CHECK_THROWS_WITH(p.run(), Catch::Contains("missing/out." + enc->extension()));
        CHECK(before->blocks == 0);
        CHECK(before->aborts == 1);
    }
}

TEST_CASE("every encoder leaves nothing behind when the run is cancelled or fails", "[encoders][contract]") {
    for (const auto& id : encoder_ids()) {
        for (bool cancel_it : {true, false}) {
            INFO(id << (cancel_it ? " cancelled" : " failed"));
            temp_dir dir;
            auto enc = make(id);
            enc->write_to(dir / ("out." + enc->extension()));
            timeside::pipe p(array_decoder::from_samples(sine(440, 44100, 10 * 44100, 2), 44100, 2, 4096));
            p.add(enc);
            std::atomic<bool> cancel{false};
            run_options opts;
            if (cancel_it) {
                opts.cancel = &cancel;
                opts.progress = [&](int64_t done, int64_t) { if (done >= 8 * 4096) cancel = true; };
                CHECK_THROWS_AS(p.run(opts), cancelled_error);
            } else {
                p.add(std::make_shared<failing_consumer>(8));
                CHECK_THROWS_WITH(p.run(), "disk full (simulated)");
            }
            CHECK(entries(dir.path()) == 0);  // neither the file nor a temporary
        }
    }
}

TEST_CASE("every encoder marks its header chunks, and they come first", "[encoders][contract]") {
    for (const auto& id : encoder_ids()) {
        INFO(id);
        auto enc = make(id);
        auto sink = std::make_shared<recording_sink>();  // a live-like sink: no rewrite
        enc->set_sink(sink);
        timeside::pipe p(array_decoder::from_samples(sine(440, 44100, 3 * 44100, 2, 0.5), 44100, 2));
        p.add(enc);
        p.run();
        CHECK(sink->committed);
        REQUIRE(sink->chunks.size() >= 2);
        CHECK(sink->chunks.front().is_header);
        bool audio_started = false;
        for (const auto& c : sink->chunks) {
            if (!c.is_header) audio_started = true;
            else CHECK_FALSE(audio_started);
        }
        CHECK(audio_started);
    }
}

TEST_CASE("every encoder keeps the length and the level of a single frame, a hundred, and a second",
          "[encoders][contract]") {
    for (const auto& id : encoder_ids()) {
        for (int64_t frames : {1, 100, 48000}) {
            INFO(id << ", " << frames << " frame(s)");
            temp_dir dir;
            auto enc = make(id);
            auto path = dir / ("tiny." + enc->extension());
            enc->write_to(path);
            const auto signal = sine(440, 48000, frames, 2, 0.5);
            timeside::pipe p(array_decoder::from_samples(signal, 48000, 2));
            p.add(enc);
            p.run();
            auto back = decode_file(path);  // the project's decoder opens it as it was made
            CHECK(back.info.format.channels == 2);
            CHECK(back.info.format.samplerate == 48000);
            // FFmpeg, the outside reference, trims every codec's delay and padding (MP3: the LAME
            // tag; Opus: pre-skip and the last granule; Vorbis: the last granule): the input's length.
            const auto heard = ffmpeg_decode(path);
            CHECK(static_cast<int64_t>(heard.size()) == frames * 2);
            // The level, where there is one to keep: the one frame is the sine's zero crossing.
            if (frames >= 100) {
                CHECK(rms_db(heard) == Approx(rms_db(signal)).margin(frames >= 48000 ? 0.5 : 1.5));
            } else {
                for (float x : heard) CHECK(std::fabs(x) < 0.01f);
            }
        }
    }
}
