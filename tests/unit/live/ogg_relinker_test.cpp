// ogg_relinker on our encoders' real output, fed as a push gets it (header pages, then audio pages
// from mid-stream on): links read by the spec-based Ogg parser of the encoder tests (serials,
// BOS/EOS flags, sequence numbers, granules, header packets, TITLE), and decoded link by link with
// libvorbis / libopus, a fresh decoder per link as a relay's listener has, against one continuous
// decode of the original: no sample lost or repeated where links join.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>

#include <opus.h>
#include <vorbis/codec.h>

#include "../encoders/encoder_test_support.hpp"
#include "core/encoder.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "server/live/ogg_relinker.hpp"
#include "server/live/xiph_comments.hpp"

using namespace timeside;
using namespace timeside::test;
using namespace timeside::server::live;

namespace {

constexpr int rate = 44100;

// 14 s of a stereo chord whose level swells and falls (a steady tone would hide a misplaced block).
std::vector<float> music(double seconds) {
    const auto n = static_cast<size_t>(seconds * rate);
    std::vector<float> s(n * 2);
    for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double env = 0.3 + 0.2 * std::sin(2 * M_PI * 0.37 * t);
        const double x = env * (std::sin(2 * M_PI * 440 * t) + 0.5 * std::sin(2 * M_PI * 659.3 * t + 1) +
                                0.25 * std::sin(2 * M_PI * 1318 * t));
        s[2 * i] = static_cast<float>(x * 0.6);
        s[2 * i + 1] = static_cast<float>(x * 0.5);
    }
    return s;
}

std::vector<recording_sink::chunk> encode(const std::string& id, raw_parameters params) {
    auto sink = std::make_shared<recording_sink>();
    auto enc = std::dynamic_pointer_cast<timeside::encoder>(default_registry().make(id, params));
    enc->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples(music(14), rate, 2));
    p.add(enc);
    p.run();
    return sink->chunks;
}

// The output's bytes split into links: consecutive pages of one serial.
std::vector<bytes> split_links(const bytes& data) {
    std::vector<bytes> links;
    const auto all = parse_ogg(data);
    uint32_t serial = 0;
    for (size_t i = 0; i < all.pages.size(); ++i) {
        const auto& p = all.pages[i];
        if (i == 0 || p.serial != serial) links.emplace_back();
        serial = p.serial;
        links.back().insert(links.back().end(), data.begin() + static_cast<std::ptrdiff_t>(p.offset),
                            data.begin() + static_cast<std::ptrdiff_t>(p.offset + p.size));
    }
    return links;
}

struct fed {
    bytes out;
    ogg_relinker relinker{ogg_relink_options{2.0, 7u}};
};

// Feeds the headers, then the audio chunks from `join` on; `titles` maps an audio chunk index to a
// title set just before that chunk.
void feed(fed& f, const std::vector<recording_sink::chunk>& chunks, size_t join,
          const std::map<size_t, std::string>& titles) {
    size_t audio = 0;
    for (const auto& c : chunks) {
        if (c.is_header) {
            f.relinker.feed(c.data, f.out);
            continue;
        }
        if (auto t = titles.find(audio); t != titles.end()) f.relinker.set_title(t->second);
        if (audio++ < join) continue;
        f.relinker.feed(c.data, f.out);
    }
}

// Checks every link's framing; returns the links' streams.
std::vector<ogg_stream> check_links(const bytes& out, uint32_t input_serial, size_t header_packets) {
    std::vector<ogg_stream> streams;
    std::vector<uint32_t> serials;
    for (const auto& l : split_links(out)) {
        auto s = parse_ogg(l);
        INFO("link " << streams.size());
        REQUIRE(s.pages.size() >= 3);
        CHECK(s.pages.front().flags == 2);             // BOS, on the link's first page only
        CHECK(s.pages.front().packets_ending == 1);    // the identification header alone
        CHECK(s.pages.front().granule == 0);
        int64_t last = 0;
        for (size_t i = 0; i < s.pages.size(); ++i) {
            CHECK(s.pages[i].crc_ok);
            CHECK(s.pages[i].sequence == i);
            if (i > 0) CHECK((s.pages[i].flags & 2) == 0);
            if (i + 1 < s.pages.size()) CHECK((s.pages[i].flags & 4) == 0);
            if (s.pages[i].granule != -1) {
                CHECK(s.pages[i].granule >= last);
                last = s.pages[i].granule;
            }
        }
        // Audio begins on a page of its own, after the header packets.
        size_t ended = 0, first_audio_page = 0;
        while (ended < header_packets) ended += static_cast<size_t>(s.pages[first_audio_page++].packets_ending);
        CHECK(ended == header_packets);
        CHECK(s.pages[first_audio_page].granule >= 0);  // a page that completes a packet
        serials.push_back(s.pages.front().serial);
        streams.push_back(std::move(s));
    }
    for (size_t i = 0; i + 1 < streams.size(); ++i) CHECK(streams[i].pages.back().flags & 4);  // EOS ends a link
    if (!streams.empty()) CHECK((streams.back().pages.back().flags & 4) == 0);  // the live one goes on
    for (size_t i = 0; i < serials.size(); ++i) {
        CHECK(serials[i] != input_serial);
        for (size_t j = 0; j < i; ++j) CHECK(serials[i] != serials[j]);
    }
    return streams;
}

std::vector<float> vorbis_decode(const std::vector<bytes>& packets) {
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    std::vector<float> pcm;  // first channel
    for (size_t i = 0; i < 3; ++i) {
        ogg_packet op{};
        op.packet = const_cast<unsigned char*>(packets[i].data());
        op.bytes = static_cast<long>(packets[i].size());
        op.b_o_s = i == 0;
        op.packetno = static_cast<ogg_int64_t>(i);
        REQUIRE(vorbis_synthesis_headerin(&vi, &vc, &op) == 0);
    }
    vorbis_dsp_state vd;
    vorbis_block vb;
    REQUIRE(vorbis_synthesis_init(&vd, &vi) == 0);
    vorbis_block_init(&vd, &vb);
    for (size_t i = 3; i < packets.size(); ++i) {
        ogg_packet op{};
        op.packet = const_cast<unsigned char*>(packets[i].data());
        op.bytes = static_cast<long>(packets[i].size());
        op.packetno = static_cast<ogg_int64_t>(i);
        REQUIRE(vorbis_synthesis(&vb, &op) == 0);
        vorbis_synthesis_blockin(&vd, &vb);
        float** out;
        for (int n; (n = vorbis_synthesis_pcmout(&vd, &out)) > 0;) {
            pcm.insert(pcm.end(), out[0], out[0] + n);
            vorbis_synthesis_read(&vd, n);
        }
    }
    vorbis_block_clear(&vb);
    vorbis_dsp_clear(&vd);
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return pcm;
}

// The first channel at 48 kHz after the OpusHead's pre-skip.
std::vector<float> opus_decode(const std::vector<bytes>& packets) {
    const int pre_skip = static_cast<int>(read_le(&packets[0][10], 2));
    int err = 0;
    OpusDecoder* d = opus_decoder_create(48000, 2, &err);
    REQUIRE(err == OPUS_OK);
    std::vector<float> pcm, buf(5760 * 2);
    for (size_t i = 2; i < packets.size(); ++i) {
        const int n = opus_decode_float(d, packets[i].data(), static_cast<opus_int32>(packets[i].size()), buf.data(), 5760, 0);
        REQUIRE(n > 0);
        for (int k = 0; k < n; ++k) pcm.push_back(buf[2 * static_cast<size_t>(k)]);
    }
    opus_decoder_destroy(d);
    pcm.erase(pcm.begin(), pcm.begin() + pre_skip);
    return pcm;
}

double snr_db(const std::vector<float>& ref, size_t ref_at, const std::vector<float>& x, size_t x_at, size_t n) {
    double s = 0, e = 0;
    for (size_t i = 0; i < n; ++i) {
        const double r = ref[ref_at + i], d = r - x[x_at + i];
        s += r * r;
        e += d * d;
    }
    return 10 * std::log10(s / std::max(e, 1e-20));
}

std::string title_of(xiph_codec codec, const bytes& packet) {
    std::string title;
    int titles = 0;
    for (const auto& f : codec == xiph_codec::vorbis ? vorbis_comments(packet) : opus_tags(packet)) {
        CHECK(f.rfind("ARTIST=", 0) != 0);
        if (f.rfind("TITLE=", 0) == 0) {
            title = f.substr(6);
            ++titles;
        }
    }
    CHECK(titles <= 1);
    return title;
}

}  // namespace

TEST_CASE("xiph comments: the title replaces TITLE and ARTIST, the rest kept, framing bit for Vorbis only", "[live][relink]") {
    xiph_comments c{"Xiph.Org libVorbis I 20200704", {"ENCODER=TimeSide", "title=Old", "ARTIST=Someone"}};
    set_comment(c, "ARTIST", "");
    set_comment(c, "TITLE", "Artist - New");
    const auto v = comment_packet(xiph_codec::vorbis, c);
    CHECK(v.back() == 1);
    CHECK(vorbis_comments(bytes(v.begin(), v.end() - 1)) == std::vector<std::string>{"ENCODER=TimeSide", "TITLE=Artist - New"});
    const auto o = comment_packet(xiph_codec::opus, c);
    CHECK(opus_tags(bytes(o.begin(), o.end())) == std::vector<std::string>{"ENCODER=TimeSide", "TITLE=Artist - New"});
    auto back = parse_comment_packet(xiph_codec::opus, o);
    REQUIRE(back);
    CHECK(back->vendor == "Xiph.Org libVorbis I 20200704");
    CHECK_FALSE(parse_comment_packet(xiph_codec::vorbis, o));                           // wrong magic
    CHECK_FALSE(parse_comment_packet(xiph_codec::opus, std::span(o.data(), o.size() - 3)));  // cut short
}

TEST_CASE("opus_packet_samples reads the TOC as RFC 6716 defines it", "[live][relink]") {
    CHECK(opus_packet_samples(std::vector<unsigned char>{(31 << 3) | 0, 0}) == 960);   // CELT 20 ms, one frame
    CHECK(opus_packet_samples(std::vector<unsigned char>{(16 << 3) | 1}) == 240);      // CELT 2.5 ms, two frames
    CHECK(opus_packet_samples(std::vector<unsigned char>{(3 << 3) | 0}) == 2880);      // SILK 60 ms
    CHECK(opus_packet_samples(std::vector<unsigned char>{(13 << 3) | 3, 3}) == 2880);  // hybrid 20 ms, three frames
    CHECK(opus_packet_samples(std::vector<unsigned char>{(31 << 3) | 3, 7}) == 0);     // 140 ms: not allowed
}

TEST_CASE("a Vorbis push is chained on title changes and decodes sample for sample as the continuous stream",
          "[live][relink]") {
    const auto chunks = encode("vorbis_encoder", {{"quality", "0.5"}});
    bytes original;
    for (const auto& c : chunks) original.insert(original.end(), c.data.begin(), c.data.end());
    const auto whole = parse_ogg(original);
    // Pages are half a second; the push joins at the 4th audio page. "Two" is overtaken by "Three"
    // before the first link has lasted 2 s; "Four" comes 2 s after that link began.
    fed f;
    f.relinker.set_title("One");
    feed(f, chunks, 3, {{4, "Two"}, {5, "Three"}, {12, "Four"}});
    CHECK(f.relinker.links() == 3);
    CHECK(f.relinker.titled_links() == 3);
    const auto links = check_links(f.out, whole.pages.front().serial, 3);
    REQUIRE(links.size() == 3);
    std::vector<std::string> titles;
    for (const auto& l : links) {
        titles.push_back(title_of(xiph_codec::vorbis, l.packets[1]));
        CHECK(l.packets[0] == whole.packets[0]);  // identification and setup headers as encoded
        CHECK(l.packets[2] == whole.packets[2]);
    }
    CHECK(titles == std::vector<std::string>{"One", "Three", "Four"});
    // Each link after the first begins with the packet the one before ended with (it only primes
    // the window) alone on a page of granule 0: the link's audio counts from 0, as a new stream's.
    // Its pages' granules are the encoder's less where the link before ended.
    for (size_t i = 1; i < links.size(); ++i) {
        const auto& prev = links[i - 1];
        CHECK(links[i].packets[3] == prev.packets.back());
        CHECK(links[i].pages[2].packets_ending == 1);
        CHECK(links[i].pages[2].granule == 0);
    }
    // The second link lasted at least the 2 s asked before the third began.
    CHECK(links[1].pages.back().granule - links[1].pages[2].granule >= 2 * rate);
    // Decoded link by link (fresh decoders), the output is the continuous decode's, from where the
    // push joined on, to the sample: nothing lost or repeated where the links meet.
    const auto reference = vorbis_decode(whole.packets);
    std::vector<float> relayed;
    for (size_t i = 0; i < links.size(); ++i) {
        const auto pcm = vorbis_decode(links[i].packets);
        // A chained link's last granule position is the audio it holds (the EOS page's included;
        // the last link ends where the encoder's stream ended, trimmed to the input's length).
        if (i > 0 && i + 1 < links.size()) CHECK(static_cast<int64_t>(pcm.size()) == links[i].pages.back().granule);
        relayed.insert(relayed.end(), pcm.begin(), pcm.end());
    }
    REQUIRE(relayed.size() < reference.size());
    const size_t offset = reference.size() - relayed.size();
    // The join costs what any listener joining mid-stream loses: the pages skipped and one packet.
    int64_t skipped_end = 0;
    for (size_t i = 0, audio = 0; i < chunks.size() && audio < 3; ++i)
        if (!chunks[i].is_header) {
            ++audio;
            skipped_end = parse_ogg(chunks[i].data).pages.back().granule;
        }
    CHECK(static_cast<int64_t>(offset) >= skipped_end);
    CHECK(static_cast<int64_t>(offset) <= skipped_end + 2048);
    size_t mismatches = 0;
    for (size_t i = 0; i < relayed.size(); ++i) mismatches += relayed[i] != reference[offset + i];
    CHECK(mismatches == 0);
}

TEST_CASE("an Opus push is chained with 80 ms of pre-roll dropped by the pre-skip, its samples where they were",
          "[live][relink]") {
    const auto chunks = encode("opus_encoder", {{"bitrate", "96"}});
    bytes original;
    for (const auto& c : chunks) original.insert(original.end(), c.data.begin(), c.data.end());
    const auto whole = parse_ogg(original);
    const int pre_skip = static_cast<int>(read_le(&whole.packets[0][10], 2));
    size_t audio_chunks = 0;
    for (const auto& c : chunks) audio_chunks += !c.is_header;
    REQUIRE(audio_chunks >= 28);  // pages of about 0.5 s
    // Page length is set by the encoder's muxing delay: titles at chunk indices spread over 14 s.
    const size_t a = audio_chunks / 14;  // about one second of chunks
    fed f;
    f.relinker.set_title("One");
    feed(f, chunks, 2 * a, {{3 * a, "Two"}, {4 * a, "Three"}, {8 * a, "Four"}});
    CHECK(f.relinker.links() == 3);
    const auto links = check_links(f.out, whole.pages.front().serial, 2);
    REQUIRE(links.size() == 3);
    std::vector<std::string> titles;
    for (const auto& l : links) titles.push_back(title_of(xiph_codec::opus, l.packets[1]));
    CHECK(titles == std::vector<std::string>{"One", "Three", "Four"});
    CHECK(read_le(&links[0].packets[0][10], 2) == static_cast<uint64_t>(pre_skip));  // the first link: as encoded
    for (size_t i = 1; i < links.size(); ++i) {
        const auto& l = links[i];
        const int skip = static_cast<int>(read_le(&l.packets[0][10], 2));
        // At least 80 ms, and no packet more than needed for that.
        CHECK(skip >= ogg_relinker::opus_preroll);
        CHECK(skip - opus_packet_samples(l.packets[2]) < ogg_relinker::opus_preroll);
        // The OpusHead is the encoder's but for its pre-skip.
        bytes head = l.packets[0];
        head[10] = whole.packets[0][10];
        head[11] = whole.packets[0][11];
        CHECK(head == whole.packets[0]);
        // The primes, alone on the first audio page, end at granule = pre-skip: PCM position 0.
        int primes = 0;
        for (int k = 0; k < l.pages[2].packets_ending; ++k) primes += opus_packet_samples(l.packets[2 + static_cast<size_t>(k)]);
        CHECK(primes == skip);
        CHECK(l.pages[2].granule == skip);
    }
    // Decoded link by link: as many samples as the continuous decode from the join on, and the
    // same signal, converged, right from where each new link begins.
    const auto reference = opus_decode(whole.packets);
    std::vector<float> relayed;
    std::vector<size_t> link_starts;
    for (size_t i = 0; i < links.size(); ++i) {
        link_starts.push_back(relayed.size());
        const auto pcm = opus_decode(links[i].packets);
        // A chained link's last granule position less its pre-skip is the audio it holds.
        if (i > 0 && i + 1 < links.size())
            CHECK(static_cast<int64_t>(pcm.size()) ==
                  links[i].pages.back().granule - static_cast<int64_t>(read_le(&links[i].packets[0][10], 2)));
        relayed.insert(relayed.end(), pcm.begin(), pcm.end());
    }
    const int64_t join_granule = links[0].pages[2].granule - [&] {
        int s = 0;
        for (int k = 0; k < links[0].pages[2].packets_ending; ++k) s += opus_packet_samples(links[0].packets[2 + static_cast<size_t>(k)]);
        return s;
    }();
    // The first link keeps the encoder's pre-skip: a joining decoder drops that much of what it
    // decodes first, so the relay begins at the join page's first sample + pre-skip.
    const size_t offset = static_cast<size_t>(join_granule);
    REQUIRE(offset + relayed.size() == reference.size());
    for (size_t i = 1; i < link_starts.size(); ++i) {
        INFO("link " << i);
        const double snr = snr_db(reference, offset + link_starts[i], relayed, link_starts[i], 4800);  // its first 100 ms
        CHECK(snr > 20);
        UNSCOPED_INFO("snr " << snr);
    }
    // Away from the first link's cold start, the whole relay matches the continuous decode.
    CHECK(snr_db(reference, offset + 9600, relayed, 9600, relayed.size() - 9600) > 20);
}
