// Basic credentials: the header forms real clients send (ffmpeg, libshout, curl), the malformed
// ones refused, and the check that needs both the user and the password.
#include <catch2/catch.hpp>

#include "server/live/credentials.hpp"

namespace tl = timeside::server::live;

TEST_CASE("Basic authorization values are decoded as clients send them", "[live][ingest][credentials]") {
    // base64("source:hackme") as ffmpeg and libshout send it
    auto c = tl::parse_basic_authorization("Basic c291cmNlOmhhY2ttZQ==");
    REQUIRE(c);
    CHECK(c->user == "source");
    CHECK(c->password == "hackme");
    // scheme case-insensitive, extra blanks; a password holding ':' keeps it
    c = tl::parse_basic_authorization("  basic   YWRtaW46YTpiOmM=  ");
    REQUIRE(c);
    CHECK(c->user == "admin");
    CHECK(c->password == "a:b:c");
    // one and two padding characters, and none
    CHECK(tl::parse_basic_authorization("Basic dTpw")->password == "p");    // "u:p"
    CHECK(tl::parse_basic_authorization("Basic dTpwcQ==")->password == "pq");
    CHECK(tl::parse_basic_authorization("Basic dTpwcXI=")->password == "pqr");
}

TEST_CASE("malformed Basic values are refused", "[live][ingest][credentials]") {
    for (const char* v : {"", "Basic", "Basic ", "Bearer c291cmNlOmhhY2ttZQ==", "Basicc291cmNlOmhhY2ttZQ==",
                          "Basic c291cmNlOmhhY2ttZQ",   // length not a multiple of 4
                          "Basic c291cmNl",             // "source": no ':'
                          "Basic c29!cmNlOmhhY2ttZQ==",  // not base64
                          "Basic c2=1cmNlOmhhY2ttZQ=="})  // padding inside
        CHECK_FALSE(tl::parse_basic_authorization(v));
}

TEST_CASE("credentials match only with the right user and the right password", "[live][ingest][credentials]") {
    const char* good = "Basic c291cmNlOmhhY2ttZQ==";  // source:hackme
    CHECK(tl::basic_credentials_match(good, "source", "hackme"));
    CHECK_FALSE(tl::basic_credentials_match(good, "source", "hackm"));     // a prefix
    CHECK_FALSE(tl::basic_credentials_match(good, "source", "hackme!"));   // longer
    CHECK_FALSE(tl::basic_credentials_match(good, "admin", "hackme"));     // another user
    CHECK_FALSE(tl::basic_credentials_match("", "source", "hackme"));
    CHECK_FALSE(tl::basic_credentials_match("Basic Og==", "source", "hackme"));  // ":": empty user and password
    CHECK(tl::constant_time_equal("abc", "abc"));
    CHECK_FALSE(tl::constant_time_equal("abc", "abd"));
    CHECK_FALSE(tl::constant_time_equal("abc", "abcd"));
    CHECK(tl::constant_time_equal("", ""));
}
