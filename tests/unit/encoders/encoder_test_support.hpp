// Helpers for the encoder tests: an Ogg page parser written from the spec (RFC 3533), independent
// of libogg; a sink that records chunks; a decode through the project's GStreamer file_decoder, the
// reference the outputs are checked by. (Decoders that misreport their length or carry tags:
// shaped_decoder, in ../array_source.hpp.)
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/byte_sink.hpp"
#include "core/decoder.hpp"
#include "core/processor.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "../array_source.hpp"
#include "../test_support.hpp"

namespace timeside::test {

using bytes = std::vector<unsigned char>;

inline uint64_t read_le(const unsigned char* p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

// Ogg's CRC-32: polynomial 0x04c11db7, MSB first, no reflection, initial 0.
inline uint32_t ogg_crc(const unsigned char* p, size_t n, uint32_t crc = 0) {
    for (size_t i = 0; i < n; ++i) {
        crc ^= static_cast<uint32_t>(p[i]) << 24;
        for (int b = 0; b < 8; ++b) crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
    }
    return crc;
}

struct ogg_page {
    size_t offset = 0, size = 0;
    unsigned flags = 0;  // 1 continued, 2 first (bos), 4 last (eos)
    int64_t granule = 0;
    uint32_t serial = 0, sequence = 0;
    bool crc_ok = false;
    int packets_ending = 0;  // packets that end on this page
};

struct ogg_stream {
    std::vector<ogg_page> pages;
    std::vector<bytes> packets;  // reassembled across pages
};

// Parses the whole buffer as consecutive pages; throws if anything is left over or malformed.
inline ogg_stream parse_ogg(const bytes& data) {
    ogg_stream out;
    bytes partial;
    size_t pos = 0;
    while (pos < data.size()) {
        if (data.size() - pos < 27 || std::memcmp(&data[pos], "OggS", 4) != 0 || data[pos + 4] != 0)
            throw std::runtime_error("not an Ogg page at offset " + std::to_string(pos));
        const unsigned char* h = &data[pos];
        ogg_page page;
        page.offset = pos;
        page.flags = h[5];
        page.granule = static_cast<int64_t>(read_le(h + 6, 8));
        page.serial = static_cast<uint32_t>(read_le(h + 14, 4));
        page.sequence = static_cast<uint32_t>(read_le(h + 18, 4));
        const size_t segments = h[26];
        if (data.size() - pos < 27 + segments) throw std::runtime_error("truncated Ogg page");
        size_t body = 0;
        for (size_t i = 0; i < segments; ++i) body += h[27 + i];
        page.size = 27 + segments + body;
        if (data.size() - pos < page.size) throw std::runtime_error("truncated Ogg page body");
        // The checksum covers the page with its own field read as zeros.
        const unsigned char zeros[4] = {0, 0, 0, 0};
        uint32_t crc = ogg_crc(h, 22);
        crc = ogg_crc(zeros, 4, crc);
        crc = ogg_crc(h + 26, page.size - 26, crc);
        page.crc_ok = crc == read_le(h + 22, 4);
        const unsigned char* b = h + 27 + segments;
        for (size_t i = 0; i < segments; ++i) {
            partial.insert(partial.end(), b, b + h[27 + i]);
            b += h[27 + i];
            if (h[27 + i] < 255) {
                out.packets.push_back(std::move(partial));
                partial.clear();
                ++page.packets_ending;
            }
        }
        out.pages.push_back(page);
        pos += page.size;
    }
    return out;
}

// The user comments ("TITLE=x") of a Vorbis-comment structure that starts after `magic` bytes:
// the Vorbis comment header (after "\x03vorbis") and OpusTags (after "OpusTags") share it.
inline std::vector<std::string> comment_fields(const bytes& packet, size_t magic) {
    size_t pos = magic;
    auto u32 = [&] {
        if (pos + 4 > packet.size()) throw std::runtime_error("truncated comment header");
        auto v = static_cast<size_t>(read_le(&packet[pos], 4));
        pos += 4;
        return v;
    };
    auto str = [&](size_t n) {
        if (pos + n > packet.size()) throw std::runtime_error("truncated comment header");
        std::string s(packet.begin() + static_cast<std::ptrdiff_t>(pos),
                      packet.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
        return s;
    };
    str(u32());  // vendor
    std::vector<std::string> out;
    for (size_t n = u32(); n > 0; --n) out.push_back(str(u32()));
    return out;
}

inline std::vector<std::string> vorbis_comments(const bytes& packet) {
    if (packet.size() < 7 || packet[0] != 3 || std::memcmp(&packet[1], "vorbis", 6) != 0)
        throw std::runtime_error("not a Vorbis comment header");
    return comment_fields(packet, 7);
}

inline std::vector<std::string> opus_tags(const bytes& packet) {
    if (packet.size() < 16 || std::memcmp(packet.data(), "OpusTags", 8) != 0)
        throw std::runtime_error("not an OpusTags packet");
    return comment_fields(packet, 8);
}

// Pages in sequence, one serial, valid checksums, first page BOS, last EOS, granules not going back.
inline void check_ogg_well_formed(const ogg_stream& s) {
    REQUIRE_FALSE(s.pages.empty());
    CHECK(s.pages.front().flags == 2);
    CHECK(s.pages.back().flags & 4);
    int64_t last = 0;
    for (size_t i = 0; i < s.pages.size(); ++i) {
        CHECK(s.pages[i].crc_ok);
        CHECK(s.pages[i].sequence == i);
        CHECK(s.pages[i].serial == s.pages.front().serial);
        if (s.pages[i].granule != -1) {
            CHECK(s.pages[i].granule >= last);
            last = s.pages[i].granule;
        }
    }
}

// Keeps every chunk apart with its header flag, as a live hub receives them. If asked to allow
// rewrite(), it patches the bytes in place, as a file would, keeping the chunk boundaries.
class recording_sink : public byte_sink {
public:
    explicit recording_sink(bool can_rewrite = false) : can_rewrite_(can_rewrite) {}
    void write(std::span<const unsigned char> chunk, bool is_header) override {
        chunks.push_back({bytes(chunk.begin(), chunk.end()), is_header});
    }
    bool rewrite(uint64_t offset, std::span<const unsigned char> b) override {
        if (!can_rewrite_ || offset + b.size() > size()) return false;
        uint64_t start = 0;
        for (auto& c : chunks) {
            for (size_t i = 0; i < c.data.size(); ++i)
                if (start + i >= offset && start + i < offset + b.size()) c.data[i] = b[start + i - offset];
            start += c.data.size();
        }
        ++rewrites;
        return true;
    }
    bool can_rewrite() const override { return can_rewrite_; }
    void commit() override { committed = true; }
    bytes data() const {
        bytes all;
        for (const auto& c : chunks) all.insert(all.end(), c.data.begin(), c.data.end());
        return all;
    }
    uint64_t size() const { return offset(chunks.size()); }
    // Where chunk `i` starts in data() (its size, for i == chunks.size()).
    uint64_t offset(size_t i) const {
        uint64_t at = 0;
        for (size_t k = 0; k < i; ++k) at += chunks[k].data.size();
        return at;
    }
    struct chunk {
        bytes data;
        bool is_header;
    };
    std::vector<chunk> chunks;
    int rewrites = 0;
    bool committed = false;

private:
    bool can_rewrite_;
};

// Counts what a consumer placed beside an encoder receives.
class counting_consumer : public consumer {
public:
    counting_consumer() : consumer(info(), {}) {}
    static const processor_info& info() {
        static const processor_info i{
            "counting", "Counting", "1.0", "counts blocks", "", processor_kind::analyzer, {}};
        return i;
    }
    void setup(const stream_info&) override { ++setups; }
    void process(const block_ptr&) override { ++blocks; }
    void finish() override {}
    void abort() noexcept override { ++aborts; }
    int setups = 0, blocks = 0, aborts = 0;
};

struct decoded {
    stream_info info;
    std::vector<float> samples;
    int64_t frames() const { return static_cast<int64_t>(samples.size()) / info.format.channels; }
};

// Decodes a whole file with the project's GStreamer file_decoder.
inline decoded decode_file(const std::filesystem::path& path) {
    auto d =
        std::dynamic_pointer_cast<decoder>(default_registry().make("file_decoder", {{"uri", path.string()}}));
    decoded out;
    out.info = d->open();
    while (auto b = d->read())
        out.samples.insert(out.samples.end(), b->samples().begin(), b->samples().end());
    d->close();
    return out;
}

inline double rms_db(const std::vector<float>& s) {
    double sum = 0;
    for (float x : s) sum += static_cast<double>(x) * x;
    return 10 * std::log10(sum / static_cast<double>(s.size()));
}

inline bytes read_bytes(const std::filesystem::path& path) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot read " + path.string());
    bytes out;
    unsigned char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
    std::fclose(f);
    return out;
}

// Files in a directory, hidden temporaries included.
inline size_t entries(const std::filesystem::path& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
    return n;
}

// The standard output of a shell command (ffmpeg, ffprobe...), binary-safe. One definition for
// every test file: two inline functions of one name would break the one-definition rule.
inline std::string run_command(const std::string& cmd) {
    FILE* f = popen(cmd.c_str(), "r");
    if (!f) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
    return out;
}

// The samples FFmpeg decodes, the outside reference (interleaved float, at the file's own rate
// and channel count).
inline std::vector<float> ffmpeg_decode(const std::filesystem::path& path) {
    auto raw = run_command("ffmpeg -v error -i '" + path.string() + "' -f f32le -acodec pcm_f32le - 2>/dev/null");
    std::vector<float> out(raw.size() / sizeof(float));
    std::memcpy(out.data(), raw.data(), out.size() * sizeof(float));
    return out;
}

// A stereo signal whose channels differ (440 Hz at 0.5, 1 kHz at 0.25), so a swapped or merged
// channel would show.
inline std::vector<float> two_tones(int rate, int64_t frames) {
    auto left = sine(440, rate, frames, 1, 0.5);
    auto right = sine(1000, rate, frames, 1, 0.25);
    std::vector<float> out(static_cast<size_t>(frames) * 2);
    for (size_t i = 0; i < left.size(); ++i) {
        out[2 * i] = left[i];
        out[2 * i + 1] = right[i];
    }
    return out;
}

// One tone per channel, `frames` long, whole cycles in a second so that the tones are orthogonal
// over it: 300 + 100 c Hz at 0.5, but channel 3, the LFE from 6 channels on, at 50 Hz (codecs keep
// only its low band). `signal` interleaves them.
struct channel_tones {
    channel_tones(int rate, int64_t frames, int channels) : signal(static_cast<size_t>(frames * channels)) {
        for (int c = 0; c < channels; ++c) {
            tones.push_back(sine(c == 3 ? 50 : 300 + 100 * c, rate, frames, 1, 0.5));
            for (int64_t i = 0; i < frames; ++i)
                signal[static_cast<size_t>(i * channels + c)] = tones.back()[static_cast<size_t>(i)];
        }
    }
    std::vector<std::vector<float>> tones;
    std::vector<float> signal;
};

// Each decoded channel carries its own input tone and none of the others': a correlation over 0.9
// with its own, under 0.1 in magnitude with every other one.
inline void check_channels_kept_apart(const std::vector<float>& decoded, const channel_tones& in) {
    const int channels = static_cast<int>(in.tones.size());
    const auto frames = static_cast<int64_t>(in.tones.front().size());
    for (int c = 0; c < channels; ++c) {
        for (int k = 0; k < channels; ++k) {
            double dot = 0, energy = 0;
            for (int64_t i = 0; i < frames; ++i) {
                const double x = decoded[static_cast<size_t>(i * channels + c)];
                dot += x * in.tones[static_cast<size_t>(k)][static_cast<size_t>(i)];
                energy += x * x;
            }
            const double correlation = dot / std::sqrt(energy * 0.125 * static_cast<double>(frames));
            INFO("decoded channel " << c << " against input channel " << k);
            if (k == c)
                CHECK(correlation > 0.9);
            else
                CHECK(std::fabs(correlation) < 0.1);
        }
    }
}

// Half a second of mono 440 Hz with a title, an artist and an album to write (non-ASCII
// included), and a genre no encoder is asked to write.
inline std::shared_ptr<shaped_decoder> tagged_source() {
    return std::make_shared<shaped_decoder>(
        sine(440, 44100, 22050, 1, 0.5), 44100, 1, 22050,
        std::map<std::string, std::string>{
            {"title", "Sweep é"}, {"artist", "IRCAM"}, {"album", "Tests"}, {"genre", "not asked for"}});
}

}  // namespace timeside::test
