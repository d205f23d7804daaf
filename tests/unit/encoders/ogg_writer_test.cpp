// ogg_writer: pages checked by an Ogg parser written from RFC 3533, not by libogg itself.
#include <catch2/catch.hpp>

#include "encoder_test_support.hpp"
#include "encoders/ogg_writer.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {

ogg_packet make_packet(bytes& storage, int64_t number, int64_t granule, bool bos, bool eos) {
    ogg_packet p{};
    p.packet = storage.data();
    p.bytes = static_cast<long>(storage.size());
    p.b_o_s = bos;
    p.e_o_s = eos;
    p.granulepos = granule;
    p.packetno = number;
    return p;
}

bytes filled(size_t n, unsigned char v) {
    return bytes(n, v);
}

}  // namespace

TEST_CASE("ogg_writer puts the first header alone on the first page and flags header pages", "[encoders]") {
    recording_sink sink;
    bytes id = filled(30, 1), comments = filled(100, 2), setup = filled(3000, 3);
    std::vector<bytes> audio;
    for (int i = 0; i < 40; ++i) audio.push_back(filled(500 + i, static_cast<unsigned char>(10 + i)));
    {
        ogg_writer w(sink, ogg_writer_options{1234, 0});
        auto p = make_packet(id, 0, 0, true, false);
        w.write_header(p);
        p = make_packet(comments, 1, 0, false, false);
        w.write_header(p);
        p = make_packet(setup, 2, 0, false, false);
        w.write_header(p);
        w.end_headers();
        for (size_t i = 0; i < audio.size(); ++i) {
            p = make_packet(audio[i], 3 + static_cast<int64_t>(i), 1000 * static_cast<int64_t>(i + 1), false,
                            i + 1 == audio.size());
            w.write(p);
        }
        w.finish();
        CHECK(w.pages_written() == static_cast<int64_t>(sink.chunks.size()));
    }

    // Every chunk is exactly one whole page.
    for (const auto& c : sink.chunks) {
        auto one = parse_ogg(c.data);
        REQUIRE(one.pages.size() == 1);
    }
    auto stream = parse_ogg(sink.data());
    REQUIRE(stream.pages.size() >= 4);
    for (size_t i = 0; i < stream.pages.size(); ++i) {
        CHECK(stream.pages[i].crc_ok);
        CHECK(stream.pages[i].serial == 1234u);
        CHECK(stream.pages[i].sequence == i);
    }
    // The identification packet ends the first page, which is the only one marked bos.
    CHECK(stream.pages[0].flags == 2);
    CHECK(stream.pages[0].packets_ending == 1);
    CHECK(stream.pages[0].size == 27 + 1 + 30);
    CHECK(sink.chunks[0].is_header);

    // Header pages hold exactly the three header packets; audio starts on a fresh page.
    size_t header_pages = 0, header_packets = 0;
    while (header_pages < sink.chunks.size() && sink.chunks[header_pages].is_header)
        header_packets += static_cast<size_t>(stream.pages[header_pages++].packets_ending);
    CHECK(header_packets == 3);
    REQUIRE(header_pages < stream.pages.size());
    CHECK((stream.pages[header_pages].flags & 1) == 0);  // not a continuation
    for (size_t i = header_pages; i < sink.chunks.size(); ++i) CHECK_FALSE(sink.chunks[i].is_header);

    // Packets come back intact and in order; the last page carries eos and the last granule.
    REQUIRE(stream.packets.size() == 3 + audio.size());
    CHECK(stream.packets[0] == id);
    CHECK(stream.packets[2] == setup);
    for (size_t i = 0; i < audio.size(); ++i) CHECK(stream.packets[3 + i] == audio[i]);
    CHECK(stream.pages.back().flags & 4);
    CHECK(stream.pages.back().granule == 40000);
}

TEST_CASE("ogg_writer draws a different serial number for each stream", "[encoders]") {
    recording_sink a, b;
    ogg_writer wa(a), wb(b);
    CHECK(wa.serial() != wb.serial());
}

namespace {

// 20-byte audio packets ending at `granules` (a flush after the packet at granule 0) through a
// writer that ends pages at a span of 4500; the granule position of every page written.
std::vector<int64_t> page_granules(const std::vector<int64_t>& granules) {
    recording_sink sink;
    bytes id = filled(30, 1), small = filled(20, 7);
    {
        ogg_writer w(sink, ogg_writer_options{42, 4500});
        auto p = make_packet(id, 0, 0, true, false);
        w.write_header(p);
        w.end_headers();
        for (size_t i = 0; i < granules.size(); ++i) {
            p = make_packet(small, 1 + static_cast<int64_t>(i), granules[i], false, i + 1 == granules.size());
            w.write(p);
            if (granules[i] == 0) w.flush();
        }
        w.finish();
    }
    auto stream = parse_ogg(sink.data());
    CHECK(stream.pages.back().flags == 4);
    std::vector<int64_t> out;
    for (const auto& page : stream.pages) out.push_back(page.granule);
    return out;
}

}  // namespace

TEST_CASE("ogg_writer ends a page before it would span more granules than asked, and on flush()", "[encoders]") {
    std::vector<int64_t> granules{0};
    for (int64_t i = 1; i <= 20; ++i) granules.push_back(1000 * i);
    // 20-byte packets would all fit one 4 kB page: only the span and the flush end them. A fifth
    // 1000-granule packet would take a page to 5000, past 4500: it starts the next page.
    CHECK(page_granules(granules) == std::vector<int64_t>{0, 0, 4000, 8000, 12000, 16000, 20000});
}

TEST_CASE("ogg_writer gives a packet longer than the span a page of its own", "[encoders]") {
    CHECK(page_granules({6000, 12000, 18000, 24000}) == std::vector<int64_t>{0, 6000, 12000, 18000, 24000});
}
