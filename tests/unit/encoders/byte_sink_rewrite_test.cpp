// byte_sink::rewrite, which the WAV encoder patches its header with: files and memory can be
// rewritten before commit, a plain (live) sink cannot.
#include <catch2/catch.hpp>

#include <string>

#include "../test_support.hpp"
#include "core/byte_sink.hpp"
#include "core/errors.hpp"
#include "encoder_test_support.hpp"

using namespace timeside;
using namespace timeside::test;

namespace {
std::span<const unsigned char> text(const std::string& s) {
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}
std::string as_string(const bytes& b) {
    return std::string(b.begin(), b.end());
}
}  // namespace

TEST_CASE("file_sink rewrites bytes already written, buffered or not, and keeps appending after",
          "[encoders]") {
    temp_dir dir;
    auto path = dir / "out.bin";
    file_sink sink(path);
    sink.open();
    sink.write(text("header:????;"), true);
    sink.write(text("body-1;"), false);
    CHECK(sink.rewrite(7, text("1234")));  // still in the write buffer
    std::string big(1 << 19, 'x');         // larger than the buffer: goes straight to the file
    sink.write(text(big), false);
    CHECK(sink.rewrite(12, text("BODY")));
    sink.write(text(";end"), false);
    CHECK_FALSE(std::filesystem::exists(path));  // nothing under the final name before commit
    sink.commit();
    CHECK(as_string(read_bytes(path)) == "header:1234;BODY-1;" + big + ";end");
}

TEST_CASE("file_sink rewrite before open is refused", "[encoders]") {
    temp_dir dir;
    file_sink sink(dir / "never.bin");
    CHECK_THROWS(sink.rewrite(0, text("x")));
}

TEST_CASE("memory_sink rewrites within what was written, and only there", "[encoders]") {
    memory_sink sink;
    sink.write(text("abcdef"), true);
    sink.write(text("ghij"), false);
    CHECK(sink.rewrite(2, text("XY")));
    CHECK(sink.rewrite(8, text("ZZ")));
    CHECK_FALSE(sink.rewrite(9, text("too long")));
    CHECK_FALSE(sink.rewrite(100, text("z")));
    CHECK(as_string(sink.data()) == "abXYefghZZ");
    CHECK(sink.header_bytes() == 6);
    CHECK(sink.chunks() == 2);
}

TEST_CASE("a sink that does not override rewrite says it cannot", "[encoders]") {
    recording_sink sink;
    sink.write(text("abc"), true);
    CHECK_FALSE(sink.byte_sink::rewrite(0, text("x")));
}
