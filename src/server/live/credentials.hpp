// HTTP Basic credentials as Icecast's source clients and admin tools send them: parsing the
// Authorization header and checking it against the configured user and password in constant time
// (the comparison takes as long whatever the guess, so a guess's timing says nothing about it).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace timeside::server::live {

struct basic_credentials {
    std::string user;
    std::string password;
};

// The user and password of an `Authorization: Basic <base64(user:password)>` value; nothing when
// the scheme is not Basic (case-insensitive), the base64 is malformed or there is no ':'.
std::optional<basic_credentials> parse_basic_authorization(std::string_view header_value);

// Equal strings, in a time that depends on neither their contents nor their lengths: both are
// hashed (SHA-256) and the digests compared with CRYPTO_memcmp.
bool constant_time_equal(std::string_view a, std::string_view b);

// Whether `header_value` (the Authorization header, possibly empty) carries exactly `user` and
// `password`. User and password are both checked, always, in constant time.
bool basic_credentials_match(std::string_view header_value, std::string_view user, std::string_view password);

// The value of a 401's WWW-Authenticate header.
inline constexpr const char* basic_challenge = "Basic realm=\"TimeSide\"";

}  // namespace timeside::server::live
