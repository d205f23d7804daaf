// Basic credentials: a strict base64 decoder (RFC 4648, padding required as RFC 7617 sends it) and
// a comparison that leaks neither contents nor lengths through its timing.
#include "server/live/credentials.hpp"

#include <array>
#include <cctype>

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace timeside::server::live {

namespace {

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

std::optional<std::string> base64_decode(std::string_view in) {
    if (in.empty() || in.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (size_t i = 0; i < in.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = in[i + static_cast<size_t>(k)];
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            v[k] = base64_value(c);
            if (v[k] < 0) return std::nullopt;
        }
        const unsigned triple = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                                (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
        out.push_back(static_cast<char>((triple >> 16) & 0xff));
        if (pad < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(triple & 0xff));
    }
    return out;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view s) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
    return d;
}

}  // namespace

std::optional<basic_credentials> parse_basic_authorization(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    constexpr std::string_view scheme = "basic";
    if (value.size() <= scheme.size() || (value[scheme.size()] != ' ' && value[scheme.size()] != '\t'))
        return std::nullopt;
    for (size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(value[i])) != scheme[i]) return std::nullopt;
    value.remove_prefix(scheme.size());
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    auto decoded = base64_decode(value);
    if (!decoded) return std::nullopt;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return basic_credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    const auto da = digest(a);
    const auto db = digest(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

bool basic_credentials_match(std::string_view header_value, std::string_view user, std::string_view password) {
    const auto given = parse_basic_authorization(header_value);
    // Without credentials, empty ones are compared, so that every answer costs the same work.
    const bool user_ok = constant_time_equal(given ? std::string_view(given->user) : std::string_view(), user);
    const bool password_ok = constant_time_equal(given ? std::string_view(given->password) : std::string_view(), password);
    return given.has_value() & user_ok & password_ok;
}

}  // namespace timeside::server::live
