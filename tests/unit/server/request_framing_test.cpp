// How a request's body is framed, decided from its head before the body is read: only chunked,
// last, and alone; and which limit a run of unparsed chunk framing ran into.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/http/request_framing.hpp"

using namespace timeside::server::http;

namespace {

request head_with(std::initializer_list<std::pair<bhttp::field, const char*>> fields, unsigned version = 11) {
    request req{bhttp::verb::post, "/api/items", version};
    for (const auto& [f, v] : fields) req.insert(f, v);
    return req;
}

std::string error_of(const response& res) { return nlohmann::json::parse(res.body())["error"]; }

}  // namespace

TEST_CASE("no Transfer-Encoding, or exactly chunked, lets the body be read", "[server][framing]") {
    using F = bhttp::field;
    CHECK_FALSE(transfer_coding_refusal(head_with({})));
    CHECK_FALSE(transfer_coding_refusal(head_with({{F::content_length, "5"}})));
    CHECK_FALSE(transfer_coding_refusal(head_with({{F::transfer_encoding, "chunked"}})));
    CHECK_FALSE(transfer_coding_refusal(head_with({{F::transfer_encoding, " Chunked "}})));
    CHECK_FALSE(transfer_coding_refusal(head_with({{F::transfer_encoding, ", chunked,"}})));  // empty list elements
}

TEST_CASE("codings that do not end with chunked are 400: the body's end would be unknown", "[server][framing]") {
    using F = bhttp::field;
    for (const char* te : {"xchunked", "gzip", "chunked, identity", "chunked;q=1", "identity", ",", ""}) {
        INFO(te);
        auto refusal = transfer_coding_refusal(head_with({{F::transfer_encoding, te}}));
        REQUIRE(refusal);
        CHECK(refusal->result() == status::bad_request);
        CHECK(error_of(*refusal) == fmt::format("Transfer-Encoding '{}': the last transfer coding must be chunked, else the "
                                                "body's end is unknown (RFC 9112 section 6.3)", te));
    }
}

TEST_CASE("a coding other than chunked before it is 501; several fields are one list", "[server][framing]") {
    using F = bhttp::field;
    auto gzip = transfer_coding_refusal(head_with({{F::transfer_encoding, "gzip, chunked"}}));
    REQUIRE(gzip);
    CHECK(gzip->result() == status::not_implemented);
    CHECK(error_of(*gzip) == "Transfer-Encoding 'gzip, chunked': only chunked is implemented");
    auto split = transfer_coding_refusal(head_with({{F::transfer_encoding, "gzip"}, {F::transfer_encoding, "chunked"}}));
    REQUIRE(split);
    CHECK(split->result() == status::not_implemented);
    auto last_not_chunked = transfer_coding_refusal(head_with({{F::transfer_encoding, "chunked"}, {F::transfer_encoding, "gzip"}}));
    REQUIRE(last_not_chunked);
    CHECK(last_not_chunked->result() == status::bad_request);
}

TEST_CASE("chunked with Content-Length, in HTTP/1.0, or not UTF-8 is 400", "[server][framing]") {
    using F = bhttp::field;
    auto both = transfer_coding_refusal(head_with({{F::transfer_encoding, "chunked"}, {F::content_length, "5"}}));
    REQUIRE(both);
    CHECK(both->result() == status::bad_request);
    CHECK(error_of(*both) == "Transfer-Encoding and Content-Length together: send one of them");
    auto old = transfer_coding_refusal(head_with({{F::transfer_encoding, "chunked"}}, 10));
    REQUIRE(old);
    CHECK(old->result() == status::bad_request);
    CHECK(error_of(*old).find("HTTP/1.0") != std::string::npos);
    auto bytes = transfer_coding_refusal(head_with({{F::transfer_encoding, "chunked\xff"}}));
    REQUIRE(bytes);
    CHECK(bytes->result() == status::bad_request);
    CHECK(error_of(*bytes) == "the Transfer-Encoding header: byte 0xff at offset 7 is not valid UTF-8");
}

TEST_CASE("framing that fills the read buffer: a chunk-size line is 413, trailers are 431", "[server][framing]") {
    auto line = framing_overflow_reply("1;ext=aaaaaaaa", 8192);
    CHECK(line.result() == status::payload_too_large);
    CHECK(error_of(line) == "a chunk-size line of the request body (the size and its extensions) exceeds 8192 bytes (header_limit)");
    CHECK(framing_overflow_reply("00000000000000", 8192).result() == status::payload_too_large);
    // After a chunk's data, the CRLF that ends it is still in the buffer, before the next line.
    CHECK(framing_overflow_reply("\r\n5;e=aaaaaa", 8192).result() == status::payload_too_large);
    auto trailer = framing_overflow_reply("0\r\nX-Trailer: aaaaaaa", 8192);
    CHECK(trailer.result() == status::request_header_fields_too_large);
    CHECK(error_of(trailer) == "the chunked body's trailer fields exceed 8192 bytes (header_limit)");
    CHECK(framing_overflow_reply("\r\n0\r\nX-T: a\r\nX-T: a\r\n", 8192).result() == status::request_header_fields_too_large);
}
