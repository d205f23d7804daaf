// ICY metadata: the exact bytes of a block (length byte, StreamTitle, NUL padding, the longest
// block) and the interleaver's positions, read back by an independent ICY reader.
#include "server/live/icy.hpp"

#include <catch2/catch.hpp>

#include "core/utf8.hpp"
#include "icy_test_support.hpp"

using namespace timeside::server::live;
using timeside::test::icy_reader;

namespace {
std::string block_text(const std::string& b) { return b.substr(1); }
}  // namespace

TEST_CASE("icy block: length byte times 16, StreamTitle, NUL padding", "[icy]") {
    const std::string b = icy::metadata_block("Artist - Title");
    // "StreamTitle='Artist - Title';" is 29 bytes: two 16-byte units, 3 NULs.
    REQUIRE(b.size() == 1 + 32);
    CHECK(static_cast<unsigned char>(b[0]) == 2);
    CHECK(b.substr(1, 29) == "StreamTitle='Artist - Title';");
    CHECK(b.substr(30) == std::string(3, '\0'));
}

TEST_CASE("icy block: a payload filling whole units still ends with a NUL, as Icecast's", "[icy]") {
    // 13 + 17 + 2 = 32 bytes of text: Icecast's length counts the terminator, so 3 units.
    const std::string b = icy::metadata_block(std::string(17, 'x'));
    REQUIRE(b.size() == 1 + 48);
    CHECK(static_cast<unsigned char>(b[0]) == 3);
    CHECK(b[32] == ';');
    CHECK(b.substr(33) == std::string(16, '\0'));
}

TEST_CASE("icy block: an empty title clears the title", "[icy]") {
    const std::string b = icy::metadata_block("");
    CHECK(static_cast<unsigned char>(b[0]) == 1);
    CHECK(block_text(b) == std::string("StreamTitle='';") + '\0');
}

TEST_CASE("icy title: what would break the quoting or the block is neutralized", "[icy]") {
    CHECK(icy::clean_title("Guns N' Roses - Patience") == "Guns N' Roses - Patience");  // a lone ' stays
    CHECK(icy::clean_title("a';StreamUrl='http://evil';b") == "a'StreamUrl='http://evil'b");
    CHECK(icy::clean_title(std::string("a\0b\r\nc", 6)) == "a b  c");
    CHECK(icy::clean_title("Ça – ünï") == "Ça – ünï");  // UTF-8 untouched
    // Read back as a player does: the value ends at the first "';", which is ours.
    timeside::test::icy_block parsed{0, 0, block_text(icy::metadata_block("x';y"))};
    CHECK(parsed.title() == "x'y");
}

TEST_CASE("icy block: the longest title is cut to 255 units on a UTF-8 boundary", "[icy]") {
    SECTION("ASCII") {
        const std::string b = icy::metadata_block(std::string(5000, 'a'));
        REQUIRE(b.size() == 1 + 255 * 16);
        CHECK(static_cast<unsigned char>(b[0]) == 255);
        CHECK(b.back() == '\0');
        timeside::test::icy_block parsed{0, 255, block_text(b)};
        REQUIRE(parsed.title());
        CHECK(parsed.title()->size() == 255 * 16 - 1 - 15);  // one NUL, "StreamTitle='" and "';"
    }
    SECTION("multibyte characters are never split") {
        std::string title;
        for (int i = 0; i < 1500; ++i) title += "\xE2\x82\xAC";  // €, 3 bytes: 4500 bytes
        const std::string b = icy::metadata_block(title);
        REQUIRE(b.size() == 1 + 255 * 16);
        timeside::test::icy_block parsed{0, 255, block_text(b)};
        REQUIRE(parsed.title());
        CHECK(parsed.title()->size() == 4062);  // the largest multiple of 3 up to 4064
        CHECK(timeside::is_valid_utf8(*parsed.title()));
    }
    SECTION("a title that fits exactly is kept whole") {
        const std::string b = icy::metadata_block(std::string(4064, 'b'));
        CHECK(static_cast<unsigned char>(b[0]) == 255);
        CHECK(timeside::test::icy_block{0, 255, block_text(b)}.title()->size() == 4064);
    }
}

namespace {
struct fed_chunk {
    std::vector<unsigned char> bytes;
    icy::title_ptr title;  // current while this chunk was interleaved
};

icy::title_ptr make_title(uint64_t version, const std::string& t) {
    auto p = std::make_shared<icy::title_block>();
    p->version = version;
    p->title = t;
    p->block = version ? icy::metadata_block(t) : std::string();
    return p;
}
}  // namespace

TEST_CASE("icy interleaver: a block after exactly every metaint audio bytes, across chunks, titles once", "[icy]") {
    const size_t metaint = GENERATE(16000, 100, 1);
    // Chunk sizes that straddle, end on, and fall short of metaint boundaries.
    const std::vector<size_t> sizes = {417, 1044, 16000, 15583, 1, 3, 32000, 7, 40001, 418, 626, 16000, 999};
    std::vector<fed_chunk> chunks;
    std::vector<icy::title_ptr> titles = {make_title(0, ""), make_title(1, "First - One"),
                                          make_title(2, std::string(300, 'z')), make_title(3, "Third")};
    unsigned char next = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
        fed_chunk c;
        for (size_t k = 0; k < sizes[i]; ++k) c.bytes.push_back(next += 7);
        c.title = titles[std::min<size_t>(i / 3, titles.size() - 1)];  // changes every 3 chunks
        chunks.push_back(std::move(c));
    }
    icy::interleaver il(metaint);
    icy_reader reader(metaint);
    std::vector<unsigned char> all_audio;
    std::vector<std::span<const unsigned char>> pieces;
    // What each block should carry: the title current in the chunk holding the audio byte before it.
    std::vector<std::string> expected_titles;
    std::vector<std::string> expected_kind;
    uint64_t last_version_sent = 0;
    for (const auto& c : chunks) {
        pieces.clear();
        il.interleave(c.bytes, *c.title, pieces);
        for (auto p : pieces) reader.feed(p.data(), p.size());
        for (size_t k = 0; k < c.bytes.size(); ++k) {
            all_audio.push_back(c.bytes[k]);
            if (all_audio.size() % metaint == 0) {
                const bool changed = c.title->version != last_version_sent;
                expected_titles.push_back(changed ? c.title->title : "");
                expected_kind.push_back(changed ? "title" : "empty");
                if (changed) last_version_sent = c.title->version;
            }
        }
    }
    CHECK(reader.audio == all_audio);
    REQUIRE(reader.blocks.size() == all_audio.size() / metaint);
    CHECK(il.blocks_sent() == reader.blocks.size());
    for (size_t k = 0; k < reader.blocks.size(); ++k) {
        INFO("block " << k);
        CHECK(reader.blocks[k].audio_offset == (k + 1) * metaint);
        if (expected_kind[k] == "empty") {
            CHECK(reader.blocks[k].length_byte == 0);
        } else {
            CHECK(reader.blocks[k].title() == expected_titles[k]);
        }
    }
    CHECK(il.until_block() == metaint - all_audio.size() % metaint);
}

TEST_CASE("icy interleaver: spans point into the chunk, never copies of it", "[icy]") {
    std::vector<unsigned char> audio(50, 1);
    icy::interleaver il(20);
    std::vector<std::span<const unsigned char>> pieces;
    const auto title = make_title(1, "T");
    il.interleave(audio, *title, pieces);
    REQUIRE(pieces.size() == 5);  // 20 | block | 20 | empty block | 10
    CHECK(pieces[0].data() == audio.data());
    CHECK(pieces[1].data() == reinterpret_cast<const unsigned char*>(title->block.data()));
    CHECK(pieces[2].data() == audio.data() + 20);
    CHECK(pieces[3].size() == 1);
    CHECK(pieces[3][0] == 0);
    CHECK(pieces[4].data() == audio.data() + 40);
    CHECK(pieces[4].size() == 10);
}
