// Range and validator handling of a cached file: RFC 9110's byte ranges (first-last, first-,
// -suffix), what makes a range unsatisfiable (416) or ignored (several ranges, a foreign
// If-Range), and If-None-Match (304).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>

#include "server/http/file_reply.hpp"

using namespace timeside::server::http;

namespace {
bool same(std::optional<byte_range> r, uint64_t first, uint64_t last) { return r && r->first == first && r->last == last; }

request get(std::initializer_list<std::pair<bhttp::field, const char*>> headers) {
    request req{bhttp::verb::get, "/media/x.ogg", 11};
    for (const auto& [f, v] : headers) req.set(f, v);
    return req;
}

std::string body_of(reply& r) {
    std::string out;
    std::vector<unsigned char> chunk;
    std::string error;
    r.stream->set_notify([] {});
    while (true) {
        chunk.clear();
        auto s = r.stream->take(chunk, error);
        if (s != body_stream::state::data) {
            REQUIRE(s == body_stream::state::end);
            return out;
        }
        out.append(chunk.begin(), chunk.end());
    }
}

struct file_fixture {
    std::string content = "0123456789";
    int fd;
    file_fixture() {
        char t[] = "/tmp/timeside-range-XXXXXX";
        fd = ::mkstemp(t);
        ::unlink(t);
        REQUIRE(::write(fd, content.data(), content.size()) == 10);
    }
    ~file_fixture() { ::close(fd); }
    reply answer(const request& req) { return file_reply(req, nullptr, fd, 10, "\"abc\"", "audio/ogg"); }
};
}  // namespace

TEST_CASE("byte ranges are parsed as RFC 9110 defines them", "[server][range]") {
    CHECK(same(parse_range("bytes=0-4", 10), 0, 4));
    CHECK(same(parse_range("bytes=5-", 10), 5, 9));
    CHECK(same(parse_range("bytes=-3", 10), 7, 9));
    CHECK(same(parse_range("bytes=-30", 10), 0, 9));     // a suffix longer than the file: all of it
    CHECK(same(parse_range("bytes=8-100", 10), 8, 9));   // a last byte past the end is cut
    CHECK(same(parse_range(" bytes=2-2 ", 10), 2, 2));
    CHECK_FALSE(parse_range("bytes=0-1,4-5", 10));        // several ranges: the whole file
    CHECK_FALSE(parse_range("items=0-1", 10));
    CHECK_FALSE(parse_range("bytes=5-2", 10));
    CHECK_FALSE(parse_range("bytes=a-", 10));
    CHECK_FALSE(parse_range("bytes=", 10));
    auto past = parse_range("bytes=10-", 10);  // unsatisfiable: 416
    REQUIRE(past);
    CHECK(past->first > past->last);
    auto empty_suffix = parse_range("bytes=-0", 10);
    REQUIRE(empty_suffix);
    CHECK(empty_suffix->first > empty_suffix->last);
}

TEST_CASE("If-None-Match compares entity tags weakly and accepts lists and *", "[server][range]") {
    CHECK(etag_matches("\"abc\"", "\"abc\""));
    CHECK(etag_matches("W/\"abc\"", "\"abc\""));
    CHECK(etag_matches("\"x\", \"abc\"", "\"abc\""));
    CHECK(etag_matches("*", "\"abc\""));
    CHECK_FALSE(etag_matches("\"abd\"", "\"abc\""));
    CHECK_FALSE(etag_matches("", "\"abc\""));
}

TEST_CASE("a whole file: 200 with its length, etag and ranges accepted", "[server][range]") {
    file_fixture f;
    auto r = f.answer(get({}));
    CHECK(r.res.result() == status::ok);
    CHECK(r.res[bhttp::field::content_length] == "10");
    CHECK(r.res[bhttp::field::etag] == "\"abc\"");
    CHECK(r.res[bhttp::field::accept_ranges] == "bytes");
    CHECK(r.res[bhttp::field::content_type] == "audio/ogg");
    CHECK(body_of(r) == "0123456789");
}

TEST_CASE("a range: 206 with Content-Range and exactly those bytes", "[server][range]") {
    file_fixture f;
    auto r = f.answer(get({{bhttp::field::range, "bytes=3-5"}}));
    CHECK(r.res.result() == status::partial_content);
    CHECK(r.res[bhttp::field::content_range] == "bytes 3-5/10");
    CHECK(r.res[bhttp::field::content_length] == "3");
    CHECK(body_of(r) == "345");
    auto tail = f.answer(get({{bhttp::field::range, "bytes=-2"}}));
    CHECK(body_of(tail) == "89");
}

TEST_CASE("an unsatisfiable range: 416 with the size; a stale If-Range: the whole file", "[server][range]") {
    file_fixture f;
    auto r = f.answer(get({{bhttp::field::range, "bytes=20-"}}));
    CHECK(r.res.result() == status::range_not_satisfiable);
    CHECK(r.res[bhttp::field::content_range] == "bytes */10");
    CHECK_FALSE(r.stream);
    auto stale = f.answer(get({{bhttp::field::range, "bytes=3-5"}, {bhttp::field::if_range, "\"old\""}}));
    CHECK(stale.res.result() == status::ok);
    CHECK(body_of(stale) == "0123456789");
    auto fresh = f.answer(get({{bhttp::field::range, "bytes=3-5"}, {bhttp::field::if_range, "\"abc\""}}));
    CHECK(fresh.res.result() == status::partial_content);
}

TEST_CASE("a matching If-None-Match: 304 with the etag and no body", "[server][range]") {
    file_fixture f;
    auto r = f.answer(get({{bhttp::field::if_none_match, "\"abc\""}}));
    CHECK(r.res.result() == status::not_modified);
    CHECK(r.res[bhttp::field::etag] == "\"abc\"");
    CHECK_FALSE(r.stream);
    CHECK(f.answer(get({{bhttp::field::if_none_match, "\"zzz\""}})).res.result() == status::ok);
}
