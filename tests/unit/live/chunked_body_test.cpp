// chunked_body: a source's chunked body split at every byte boundary gives the same payload;
// lengths and trailers end it; malformed or unbounded framing is an error.
#include <catch2/catch.hpp>

#include <string>

#include "server/live/chunked_body.hpp"

namespace tl = timeside::server::live;

namespace {

std::vector<unsigned char> bytes(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("a chunked body decodes the same whatever the reads' boundaries", "[live][ingest][chunked]") {
    const std::string wire = "5;name=x\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next";
    for (size_t split = 1; split <= wire.size(); ++split) {
        tl::chunked_body body(tl::chunked_body::framing::chunked);
        std::vector<unsigned char> out;
        for (size_t at = 0; at < wire.size(); at += split) {
            const auto part = bytes(wire.substr(at, split));
            REQUIRE(body.consume(part.data(), part.size(), out));
        }
        CHECK(std::string(out.begin(), out.end()) == "helloabcdefghijklmnopqrstuvwxyz");
        CHECK(body.done());
    }
}

TEST_CASE("a Content-Length body ends after its length; identity bodies never end", "[live][ingest][chunked]") {
    tl::chunked_body len(tl::chunked_body::framing::length, 4);
    std::vector<unsigned char> out;
    auto b = bytes("abcdef");
    REQUIRE(len.consume(b.data(), b.size(), out));
    CHECK(std::string(out.begin(), out.end()) == "abcd");
    CHECK(len.done());
    tl::chunked_body forever(tl::chunked_body::framing::until_close);
    out.clear();
    REQUIRE(forever.consume(b.data(), b.size(), out));
    CHECK(out.size() == 6);
    CHECK_FALSE(forever.done());
}

TEST_CASE("malformed chunk framing is refused, long lines included", "[live][ingest][chunked]") {
    for (const std::string wire : {"zz\r\n", "5\r\nhelloX\r\n", "5 x\r\nhello\r\n", "\r\n"}) {
        tl::chunked_body body(tl::chunked_body::framing::chunked);
        std::vector<unsigned char> out;
        auto b = bytes(wire);
        CHECK_FALSE(body.consume(b.data(), b.size(), out));
        CHECK_FALSE(body.error().empty());
    }
    tl::chunked_body body(tl::chunked_body::framing::chunked, 0, 64);
    std::vector<unsigned char> out;
    auto b = bytes("1;" + std::string(100, 'x'));
    CHECK_FALSE(body.consume(b.data(), b.size(), out));
    CHECK(body.error().find("longer than 64") != std::string::npos);
}
