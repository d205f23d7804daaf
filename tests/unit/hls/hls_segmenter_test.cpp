// The HLS segmenter on scripted MP3 chunk sequences: cuts at frame boundaries, segment names
// carrying the stream frame a listener's decoder would start at there (codec_clock's), the ID3
// tag's 90 kHz timestamp, events and titles in the tag, window eviction, the playlist's exact text.
#include "server/hls/hls_segmenter.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/live/output_sink.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace timeside::server::hls;

namespace {

constexpr size_t frame_bytes = 417;  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding
constexpr int frame_samples = 1152;

// `count` frames; each frame's byte 4 holds its index (mod 256) so cuts can be checked.
std::vector<unsigned char> mp3_frames(int count, int first_index = 0) {
    std::vector<unsigned char> out;
    for (int i = 0; i < count; ++i) {
        std::vector<unsigned char> f(frame_bytes, 0);
        f[0] = 0xFF, f[1] = 0xFB, f[2] = 0x90, f[3] = 0x64;
        f[4] = static_cast<unsigned char>((first_index + i) & 0xFF);
        out.insert(out.end(), f.begin(), f.end());
    }
    return out;
}

chunk_ptr chunk_of(std::vector<unsigned char> bytes, int64_t end_frame) {
    auto c = std::make_shared<live_chunk>();
    c->bytes = std::move(bytes);
    c->sync = true;
    c->end_frame = end_frame;
    return c;
}

// Feeds `frames` frames in chunks of `per_chunk`.
void feed(hls_segmenter& s, int frames, int per_chunk, int& index) {
    for (int done = 0; done < frames; done += per_chunk) {
        const int n = std::min(per_chunk, frames - done);
        s.publish(chunk_of(mp3_frames(n, index), static_cast<int64_t>(index + n) * frame_samples));
        index += n;
    }
}

hls_settings settings(unsigned window = 6) {
    hls_settings h;
    h.mount_id = "radio";
    h.samplerate = 44100;
    h.segment_seconds = 2;
    h.window = window;
    h.first_sequence = 100;
    // 2026-12-06T09:00:00Z
    h.stream_start = std::chrono::system_clock::time_point(std::chrono::seconds(1796547600));
    return h;
}

uint32_t syncsafe(const unsigned char* p) { return uint32_t(p[0]) << 21 | uint32_t(p[1]) << 14 | uint32_t(p[2]) << 7 | p[3]; }

// An ID3v2.4 tag read independently of hls_id3: its frames (id, data) and its whole size.
struct id3_read {
    size_t size = 0;
    std::vector<std::pair<std::string, std::vector<unsigned char>>> frames;
};
id3_read read_id3(const std::vector<unsigned char>& b) {
    REQUIRE(b.size() >= 10);
    REQUIRE(std::string(b.begin(), b.begin() + 3) == "ID3");
    REQUIRE(b[3] == 4);
    id3_read out;
    out.size = 10 + syncsafe(&b[6]);
    size_t at = 10;
    while (at + 10 <= out.size) {
        const std::string id(b.begin() + static_cast<ptrdiff_t>(at), b.begin() + static_cast<ptrdiff_t>(at + 4));
        const size_t n = syncsafe(&b[at + 4]);
        out.frames.emplace_back(id, std::vector<unsigned char>(b.begin() + static_cast<ptrdiff_t>(at + 10),
                                                               b.begin() + static_cast<ptrdiff_t>(at + 10 + n)));
        at += 10 + n;
    }
    REQUIRE(at == out.size);
    return out;
}

int64_t priv_timestamp(const id3_read& tag) {
    REQUIRE(!tag.frames.empty());
    REQUIRE(tag.frames[0].first == "PRIV");
    const auto& d = tag.frames[0].second;
    const std::string owner = "com.apple.streaming.transportStreamTimestamp";
    REQUIRE(d.size() == owner.size() + 1 + 8);
    REQUIRE(std::string(d.begin(), d.begin() + static_cast<ptrdiff_t>(owner.size())) == owner);
    REQUIRE(d[owner.size()] == 0);
    int64_t v = 0;
    for (size_t i = owner.size() + 1; i < d.size(); ++i) v = v << 8 | d[i];
    return v;
}

}  // namespace

TEST_CASE("segments are cut at the first MP3 frame boundary at or past segment_seconds", "[hls]") {
    hls_segmenter s(settings());
    int index = 0;
    // Chunks of 3 frames: the 77th frame (2.0114 s: the first at or past 2 s) ends inside a chunk.
    feed(s, 200, 3, index);
    const auto segs = s.segments();
    REQUIRE(segs.size() == 2);  // 154 frames in two segments; 46 frames still open
    for (size_t k = 0; k < segs.size(); ++k) {
        const auto tag = read_id3(segs[k]->bytes);
        REQUIRE(segs[k]->bytes.size() == tag.size + 77 * frame_bytes);
        CHECK(segs[k]->codec_samples == 77 * frame_samples);
        CHECK(segs[k]->duration == Approx(77.0 * 1152 / 44100));
        // The first frame after the tag is frame 77 k: whole frames, in order, none lost.
        for (int f = 0; f < 77; ++f) {
            const size_t at = tag.size + static_cast<size_t>(f) * frame_bytes;
            REQUIRE(segs[k]->bytes[at] == 0xFF);
            REQUIRE(segs[k]->bytes[at + 4] == ((77 * static_cast<int>(k) + f) & 0xFF));
        }
        CHECK(segs[k]->sequence == 100 + k);
    }
    // Whatever the chunking, the same cuts.
    hls_segmenter one(settings());
    index = 0;
    feed(one, 200, 1, index);
    REQUIRE(one.segments().size() == 2);
    CHECK(one.segments()[1]->bytes == segs[1]->bytes);
}

TEST_CASE("stray bytes before a segment's first frame count no time and do not break the cut", "[hls]") {
    hls_segmenter s(settings());
    s.publish(chunk_of({0x00, 0x12, 0x34}, 0));  // not a frame header: kept, no time, no rate yet
    int index = 0;
    feed(s, 77, 1, index);
    const auto segs = s.segments();
    REQUIRE(segs.size() == 1);
    CHECK(segs[0]->codec_samples == 77 * frame_samples);
    CHECK(segs[0]->duration == Approx(77.0 * 1152 / 44100));
    hls_segmenter clean(settings());  // the same frames without the stray bytes
    index = 0;
    feed(clean, 77, 1, index);
    REQUIRE(clean.segments().size() == 1);
    CHECK(segs[0]->first_frame == clean.segments()[0]->first_frame);
    CHECK(segs[0]->name == clean.segments()[0]->name);
    const auto tag = read_id3(segs[0]->bytes);
    CHECK(segs[0]->bytes.size() == tag.size + 3 + 77 * frame_bytes);
}

TEST_CASE("a segment's name and ID3 timestamp give its first frame, as codec_clock gives a listener's", "[hls]") {
    auto seg = std::make_shared<hls_segmenter>(settings());
    // The same chunks through an output_sink: its codec_clock stamps each chunk's audio_frame.
    struct recorder : chunk_target {
        std::vector<chunk_ptr> got;
        void publish(chunk_ptr c) override { got.push_back(std::move(c)); }
    };
    auto rec = std::make_shared<recorder>();
    struct both : chunk_target {
        std::shared_ptr<chunk_target> a, b;
        void publish(chunk_ptr c) override { a->publish(c), b->publish(c); }
    };
    auto tee = std::make_shared<both>();
    tee->a = seg, tee->b = rec;
    output_sink sink(tee, "mp3", 44100);
    for (int i = 0; i < 77 * 3; ++i) {
        sink.set_end_frame(static_cast<int64_t>(i + 1) * frame_samples);
        const auto f = mp3_frames(1, i);
        sink.write(f, false);
    }
    const auto segs = seg->segments();
    REQUIRE(segs.size() == 3);
    for (size_t k = 0; k < 3; ++k) {
        // The chunk the segment starts with (one frame per chunk here) says where a decoder starting there begins.
        const int64_t listener_frame = rec->got[77 * k]->audio_frame;
        CHECK(segs[k]->first_frame == listener_frame);
        CHECK(segs[k]->first_frame == static_cast<int64_t>(77 * k * frame_samples) - 1105);
        CHECK(segs[k]->name == "seg-" + std::to_string(100 + k) + "-" + std::to_string(listener_frame) + ".mp3");
        // 90 kHz clock of the segment's first MP3 frame in the encoded stream.
        const double seconds = static_cast<double>(77 * k * frame_samples) / 44100.0;
        CHECK(priv_timestamp(read_id3(segs[k]->bytes)) == std::llround(seconds * 90000));
    }
    CHECK(priv_timestamp(read_id3(segs[1]->bytes)) == 181029);  // 88704 / 44100 * 90000 = 181028.57
}

TEST_CASE("the window keeps `window` segments in the playlist and two more to fetch", "[hls]") {
    hls_segmenter s(settings(3));
    int index = 0;
    feed(s, 77 * 7, 2, index);
    const auto held = s.segments();
    REQUIRE(held.size() == 5);
    CHECK(held.front()->sequence == 102);
    CHECK(held.back()->sequence == 106);
    CHECK(s.find("seg-100-" + std::to_string(-1105) + ".mp3") == nullptr);
    CHECK(s.find(held.front()->name) == held.front());
    CHECK(s.counters().segments == 7);
    CHECK(s.counters().sequence == 106);
    const std::string p = *s.playlist();
    CHECK(p.find("#EXT-X-MEDIA-SEQUENCE:104\n") != std::string::npos);
    CHECK(p.find(held[1]->name) == std::string::npos);  // held but out of the playlist
    CHECK(p.find(held[2]->name) != std::string::npos);
}

TEST_CASE("the playlist's text for a scripted chunk sequence", "[hls]") {
    hls_segmenter s(settings(3));
    CHECK(*s.playlist() == "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n");
    int index = 0;
    feed(s, 77 * 2 + 5, 1, index);
    // Program dates: 09:00:00 + first_frame / 44100 (-1105 -> -25.06 ms; 87599 -> 1.98637 s).
    CHECK(*s.playlist() ==
          "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T08:59:59.974Z\n#EXTINF:2.01143,\nseg-100--1105.mp3\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T09:00:01.986Z\n#EXTINF:2.01143,\nseg-101-87599.mp3\n");
}

TEST_CASE("analysis events and the title ride in the ID3 tag of the segment that plays them, bounded", "[hls]") {
    auto h = settings();
    h.max_events = 3;
    hls_segmenter s(h);
    s.set_title("Artist - Song");
    s.add_event({"aubio_temporal.onset", 1000, 44100, 0, {}, std::nullopt});
    s.add_event({"aubio_temporal.beat", 100000, 44100, 0, {1.0}, std::nullopt});  // after segment 0's end (87599 + 88704)
    s.add_event({"aubio_temporal.onset", 2000, 44100, 0, {}, std::nullopt});
    s.add_event({"aubio_temporal.onset", 3000, 44100, 0, {}, std::nullopt});  // over the bound of 3
    int index = 0;
    feed(s, 77 * 2, 4, index);
    const auto segs = s.segments();
    REQUIRE(segs.size() == 2);
    auto texts = [](const hls_segment& seg) {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [id, d] : read_id3(seg.bytes).frames) {
            if (id == "PRIV") continue;
            REQUIRE(d[0] == 3);  // UTF-8
            out.emplace_back(id, std::string(d.begin() + 1, d.end()));
        }
        return out;
    };
    const auto t0 = texts(*segs[0]);
    REQUIRE(t0.size() == 3);
    CHECK(t0[0] == std::pair<std::string, std::string>{"TIT2", "Artist - Song"});
    CHECK(t0[1].first == "TXXX");
    const std::string prefix = std::string("timeside.event") + '\0';
    REQUIRE(t0[1].second.starts_with(prefix));
    const auto e0 = nlohmann::json::parse(t0[1].second.substr(prefix.size()));
    CHECK(e0["id"] == "aubio_temporal.onset");
    CHECK(e0["frame"] == 1000);
    CHECK(e0["rate"] == 44100);
    CHECK(nlohmann::json::parse(t0[2].second.substr(prefix.size()))["frame"] == 2000);
    CHECK(segs[0]->events == 2);
    const auto t1 = texts(*segs[1]);
    REQUIRE(t1.size() == 2);
    const auto e1 = nlohmann::json::parse(t1[1].second.substr(prefix.size()));
    CHECK(e1["frame"] == 100000);
    CHECK(e1["values"] == nlohmann::json::array({1.0}));
    CHECK(s.counters().events == 3);
    CHECK(s.counters().events_dropped == 1);
}

TEST_CASE("settings out of range are refused with the key", "[hls]") {
    auto h = settings();
    h.segment_seconds = 0.5;
    CHECK_THROWS_WITH(hls_segmenter(h), "[hls] segment_seconds: expected 1 to 10, got 0.5");
    h = settings(2);
    CHECK_THROWS_WITH(hls_segmenter(h), "[hls] window: expected 3 to 100 segments, got 2");
}

TEST_CASE("first sequence numbers grow with the wall clock, so a restarted mount reuses none", "[hls]") {
    const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1796547600));
    const uint64_t a = hls_first_sequence(t0);
    CHECK(a == 17965476000 + 1);
    // A mount that ran 60 s (at most 60 segments of >= 1 s) then restarted starts past its last
    // number, whatever segment length either run has (a reload raising it from 1 s to 10 s too).
    CHECK(hls_first_sequence(t0 + std::chrono::seconds(60)) > a + 59);
    CHECK(hls_first_sequence(t0 + std::chrono::seconds(1)) > a + 1);
}

TEST_CASE("an encode restarted at a stream frame names its segments from there, numbers going on", "[hls]") {
    hls_segmenter s(settings(3));
    int index = 0;
    feed(s, 77 * 2, 7, index);  // segments 100 and 101 from the mount's start
    // The lane stops (idle) and starts again at stream frame 441000 (10 s): a fresh encoder, whose
    // first decoded sample is input frame 441000 - 1105 (LAME's delay).
    s.clear();
    CHECK(*s.playlist() == "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:102\n");
    CHECK(s.segments().empty());
    CHECK(s.counters().sequence == 101);  // the newest published, though no longer held
    CHECK(s.counters().segments == 2);
    s.restart(441000);
    int again = 0;
    feed(s, 77, 7, again);
    const auto segs = s.segments();
    REQUIRE(segs.size() == 1);
    CHECK(segs[0]->sequence == 102);  // never a number used before
    CHECK(segs[0]->first_frame == 441000 - 1105);
    CHECK(segs[0]->name == "seg-102-439895.mp3");
    CHECK(segs[0]->pts_90khz == 441000LL * 90000 / 44100);
    CHECK(!segs[0]->discontinuity);  // nothing listed before it
    CHECK(s.playlist()->find("DISCONTINUITY") == std::string::npos);
}

TEST_CASE("a restart with segments listed is an EXT-X-DISCONTINUITY, counted once it slides out", "[hls]") {
    hls_segmenter s(settings(3));
    int index = 0;
    feed(s, 77 * 2, 7, index);  // 100, 101
    s.restart(500000);          // the lane lost blocks: its encode starts again from here
    int again = 0;
    feed(s, 77, 7, again);      // 102
    CHECK(*s.playlist() ==
          "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n"
          "#EXT-X-DISCONTINUITY-SEQUENCE:0\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T08:59:59.974Z\n#EXTINF:2.01143,\nseg-100--1105.mp3\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T09:00:01.986Z\n#EXTINF:2.01143,\nseg-101-87599.mp3\n"
          "#EXT-X-DISCONTINUITY\n"
          "#EXT-X-PROGRAM-DATE-TIME:2026-12-06T09:00:11.312Z\n#EXTINF:2.01143,\nseg-102-498895.mp3\n");
    feed(s, 77 * 3, 7, again);  // 103..105: 102 and its tag leave the window
    const auto text = *s.playlist();
    CHECK(text.find("#EXT-X-MEDIA-SEQUENCE:103\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != std::string::npos);
    CHECK(text.find("#EXT-X-DISCONTINUITY\n") == std::string::npos);
}

TEST_CASE("a playlist waiter gets the playlist with the first segment, or null at its deadline", "[hls]") {
    hls_segmenter s(settings(3));
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::string> got;
    int nulls = 0;
    auto give = [&](std::shared_ptr<const std::string> p) { p ? got.push_back(*p) : void(++nulls); };
    s.add_waiter(give, now + std::chrono::seconds(5));
    s.add_waiter(give, now - std::chrono::milliseconds(1));
    s.expire_waiters(now);  // the second one's deadline has passed
    CHECK(nulls == 1);
    CHECK(got.empty());
    int index = 0;
    feed(s, 76, 4, index);  // not a whole segment yet
    CHECK(got.empty());
    feed(s, 1, 1, index);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == *s.playlist());
    CHECK(got[0].find("seg-100--1105.mp3") != std::string::npos);
    s.add_waiter(give, now);  // a segment is listed: answered at once
    CHECK(got.size() == 2);
    s.clear();
    s.add_waiter(give, now + std::chrono::seconds(5));
    s.fail_waiters();  // the encode ended
    CHECK(nulls == 2);
    s.close_waiters();
    s.add_waiter(give, now + std::chrono::seconds(5));  // the lane is gone: no wait
    CHECK(nulls == 3);
}
