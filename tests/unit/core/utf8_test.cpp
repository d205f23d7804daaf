// The UTF-8 checks every outside string goes through: RFC 3629's edge cases, one by one.
#include <catch2/catch.hpp>

#include "core/utf8.hpp"

using timeside::describe_invalid_utf8;
using timeside::is_valid_utf8;
using timeside::to_valid_utf8;
using timeside::utf8_invalid_at;

TEST_CASE("valid UTF-8 of every sequence length is accepted", "[utf8]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("sweep"));
    CHECK(is_valid_utf8("caf\xc3\xa9"));                  // é, 2 bytes
    CHECK(is_valid_utf8("\xe2\x82\xac"));                 // €, 3 bytes
    CHECK(is_valid_utf8("\xf0\x9f\x8e\xb5"));             // 🎵, 4 bytes
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));             // U+10FFFF, the last code point
    CHECK(is_valid_utf8(std::string_view("a\0b", 3)));  // NUL is valid UTF-8 (refused elsewhere)
}

TEST_CASE("invalid UTF-8 is found at its first bad byte", "[utf8]") {
    CHECK(utf8_invalid_at("\xff") == 0);
    CHECK(utf8_invalid_at("ab\xff") == 2);
    CHECK(utf8_invalid_at("\x80") == 0);                 // lone continuation byte
    CHECK(utf8_invalid_at("\xc0\xaf") == 0);             // overlong '/'
    CHECK(utf8_invalid_at("\xc1\xbf") == 0);             // overlong
    CHECK(utf8_invalid_at("\xe0\x80\xaf") == 0);         // overlong 3-byte
    CHECK(utf8_invalid_at("\xed\xa0\x80") == 0);         // surrogate U+D800
    CHECK(utf8_invalid_at("\xf0\x80\x80\xaf") == 0);     // overlong 4-byte
    CHECK(utf8_invalid_at("\xf4\x90\x80\x80") == 0);     // U+110000
    CHECK(utf8_invalid_at("\xf5\x80\x80\x80") == 0);
    CHECK(utf8_invalid_at("ok\xc3") == 2);               // truncated at the end
    CHECK(utf8_invalid_at("\xe2\x82z") == 0);            // bad continuation
}

TEST_CASE("to_valid_utf8 replaces each bad byte with U+FFFD and keeps the rest", "[utf8]") {
    CHECK(to_valid_utf8("sweep") == "sweep");
    CHECK(to_valid_utf8("a\xff" "b") == "a\xef\xbf\xbd" "b");
    CHECK(to_valid_utf8("\xc3\xa9\xc3") == "\xc3\xa9\xef\xbf\xbd");
    CHECK(to_valid_utf8("\xed\xa0\x80") == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(is_valid_utf8(to_valid_utf8("\xff\xfe\xfd\x80\xc0")));
}

TEST_CASE("describe_invalid_utf8 names the byte and its offset", "[utf8]") {
    CHECK(describe_invalid_utf8("ab\xff") == "byte 0xff at offset 2 is not valid UTF-8");
    CHECK(describe_invalid_utf8("fine") == "valid UTF-8");
}
