// TOML config parsing with toml++: one handler per key, each checking its type and range, so a
// typo or a bad value stops the server at start with the file, the key and what was expected.
#include "server/config.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/errors.hpp"

namespace timeside::server {

namespace {

using key_handler = std::function<void(const toml::node&, server_config&, const std::string& where)>;

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date or time";
    }
}

[[noreturn]] void bad(const std::string& where, const toml::node& n, const std::string& expected) {
    throw usage_error(fmt::format("{}: expected {}, got {}", where, expected, type_name(n)));
}

int64_t integer_in(const toml::node& n, const std::string& where, int64_t lo, int64_t hi) {
    auto v = n.as_integer();
    const std::string expected = fmt::format("an integer from {} to {}", lo, hi);
    if (!v) bad(where, n, expected);
    if (v->get() < lo || v->get() > hi)
        throw usage_error(fmt::format("{}: expected {}, got {}", where, expected, v->get()));
    return v->get();
}

std::chrono::milliseconds seconds_in(const toml::node& n, const std::string& where, double lo, double hi) {
    double s = 0;
    if (auto i = n.as_integer()) s = static_cast<double>(i->get());
    else if (auto f = n.as_floating_point()) s = f->get();
    const std::string expected = fmt::format("a number of seconds from {} to {}", lo, hi);
    if (!n.is_number()) bad(where, n, expected);
    if (!(s >= lo && s <= hi)) throw usage_error(fmt::format("{}: expected {}, got {}", where, expected, s));
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000 + 0.5));
}

const std::string& string_of(const toml::node& n, const std::string& where) {
    auto s = n.as_string();
    if (!s) bad(where, n, "a string");
    return s->get();
}

std::filesystem::path folder(const std::string& text, const std::filesystem::path& base) {
    std::filesystem::path p(text);
    return p.is_absolute() || base.empty() ? p : base / p;
}

// The handlers of one table; `base` is the config file's directory.
std::map<std::string, key_handler> server_keys(const std::filesystem::path& base) {
    return {
        {"listen", [](const toml::node& n, server_config& c, const std::string& w) {
             c.listen = parse_listen(string_of(n, w), w);
         }},
        {"threads", [](const toml::node& n, server_config& c, const std::string& w) {
             c.threads = static_cast<unsigned>(integer_in(n, w, 0, 256));
         }},
        {"max_connections", [](const toml::node& n, server_config& c, const std::string& w) {
             c.max_connections = static_cast<unsigned>(integer_in(n, w, 1, 1000000));
             c.max_connections_given = true;
         }},
        {"header_limit", [](const toml::node& n, server_config& c, const std::string& w) {
             c.header_limit = static_cast<size_t>(integer_in(n, w, 1024, 1024 * 1024));
         }},
        {"body_limit", [](const toml::node& n, server_config& c, const std::string& w) {
             c.body_limit = static_cast<size_t>(integer_in(n, w, 0, int64_t(1) << 30));
         }},
        {"read_timeout", [](const toml::node& n, server_config& c, const std::string& w) {
             c.read_timeout = seconds_in(n, w, 0.1, 3600);
         }},
        {"idle_timeout", [](const toml::node& n, server_config& c, const std::string& w) {
             c.idle_timeout = seconds_in(n, w, 0.1, 3600);
         }},
        {"write_timeout", [](const toml::node& n, server_config& c, const std::string& w) {
             c.write_timeout = seconds_in(n, w, 0.1, 3600);
         }},
        {"drain_timeout", [](const toml::node& n, server_config& c, const std::string& w) {
             c.drain_timeout = seconds_in(n, w, 0, 60);
         }},
        {"web", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.web_dir = folder(string_of(n, w), base);
         }},
        {"access_log", [](const toml::node& n, server_config& c, const std::string& w) {
             auto b = n.as_boolean();
             if (!b) bad(w, n, "a boolean");
             c.access_log = b->get();
         }},
    };
}

// A key holding an array of folder paths ([media] folders, [plugins] folders), each relative to `base`.
std::vector<std::filesystem::path> folder_list(const toml::node& n, const std::string& w, const std::filesystem::path& base) {
    auto a = n.as_array();
    if (!a) bad(w, n, "an array of folder paths");
    std::vector<std::filesystem::path> out;
    for (size_t i = 0; i < a->size(); ++i) out.push_back(folder(string_of(*a->get(i), fmt::format("{}[{}]", w, i)), base));
    return out;
}

std::map<std::string, key_handler> media_keys(const std::filesystem::path& base) {
    return {
        {"folders", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.media_folders = folder_list(n, w, base);
         }},
        {"rescan_interval", [](const toml::node& n, server_config& c, const std::string& w) {
             c.rescan_interval = seconds_in(n, w, 0.1, 86400);
         }},
        {"presets", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.presets_dir = folder(string_of(n, w), base);
         }},
        {"max_transcodes", [](const toml::node& n, server_config& c, const std::string& w) {
             c.max_transcodes = static_cast<unsigned>(integer_in(n, w, 1, 4096));
         }},
        {"max_result_values", [](const toml::node& n, server_config& c, const std::string& w) {
             c.max_result_values = static_cast<uint64_t>(integer_in(n, w, 1000, int64_t(1) << 34));
         }},
    };
}

std::map<std::string, key_handler> cache_keys(const std::filesystem::path& base) {
    return {
        {"dir", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.cache_dir = folder(string_of(n, w), base);
         }},
        {"max_size", [](const toml::node& n, server_config& c, const std::string& w) {
             c.cache_max_bytes = static_cast<uint64_t>(integer_in(n, w, 0, int64_t(1) << 50));
         }},
    };
}

std::map<std::string, key_handler> live_keys(const std::filesystem::path& base) {
    return {
        {"streams", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.streams_dir = folder(string_of(n, w), base);
             c.streams_given = true;
         }},
        {"admin_user", [](const toml::node& n, server_config& c, const std::string& w) {
             const std::string& user = string_of(n, w);
             // Basic auth sends "user:password": the user cannot hold a colon.
             if (user.empty() || user.find(':') != std::string::npos)
                 throw usage_error(fmt::format("{}: expected a non-empty user name without ':', got '{}'", w, user));
             c.admin_user = user;
         }},
        {"admin_password", [](const toml::node& n, server_config& c, const std::string& w) {
             c.admin_password = string_of(n, w);
         }},
        {"max_listeners", [](const toml::node& n, server_config& c, const std::string& w) {
             c.max_listeners = static_cast<unsigned>(integer_in(n, w, 1, 1000000));
         }},
        {"max_subscribers", [](const toml::node& n, server_config& c, const std::string& w) {
             c.max_subscribers = static_cast<unsigned>(integer_in(n, w, 1, 1000000));
         }},
        {"source_timeout", [](const toml::node& n, server_config& c, const std::string& w) {
             c.source_timeout = seconds_in(n, w, 1, 3600);
         }},
    };
}

std::map<std::string, key_handler> rtsp_keys() {
    return {
        {"listen", [](const toml::node& n, server_config& c, const std::string& w) {
             const std::string& text = string_of(n, w);
             if (text.empty()) c.rtsp_listen.reset();  // no RTSP
             else c.rtsp_listen = parse_listen(text, w);
             c.rtsp_listen_given = true;
         }},
        {"bitrate", [](const toml::node& n, server_config& c, const std::string& w) {
             // Opus's own range, in kbit/s.
             c.rtsp_bitrate_kbps = static_cast<unsigned>(integer_in(n, w, 6, 510));
         }},
    };
}

void apply_table(const toml::table& table, const std::string& name, const std::map<std::string, key_handler>& keys,
                 server_config& config, const std::string& file) {
    for (const auto& [key, node] : table) {
        const std::string k(key.str());
        auto it = keys.find(k);
        if (it == keys.end()) {
            std::vector<std::string> valid;
            for (const auto& [v, h] : keys) valid.push_back(v);
            throw usage_error(fmt::format("{}: unknown key '{}.{}'; [{}] takes: {}", file, name, k, name,
                                          fmt::join(valid, ", ")));
        }
        it->second(node, config, fmt::format("{}: key '{}.{}'", file, name, k));
    }
}

}  // namespace

std::string listen_address::to_string() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

listen_address parse_listen(const std::string& text, const std::string& what) {
    auto fail = [&] {
        return usage_error(fmt::format("{}: expected HOST:PORT (127.0.0.1:8000, [::1]:8000, :8000) with a port "
                                       "from 0 to 65535, got '{}'", what, text));
    };
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) throw fail();
    listen_address a;
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos) throw fail();  // IPv6 needs its brackets
    if (!host.empty()) a.host = host;
    const std::string port = text.substr(colon + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535) throw fail();
    a.port = static_cast<uint16_t>(value);
    return a;
}

std::map<std::string, key_handler> plugins_keys(const std::filesystem::path& base) {
    return {
        {"folders", [base](const toml::node& n, server_config& c, const std::string& w) {
             c.plugin_folders = folder_list(n, w, base);
         }},
    };
}

server_config parse_config(std::string_view toml_text, const std::string& where, const std::filesystem::path& base_dir) {
    toml::table doc;
    try {
        doc = toml::parse(toml_text, where);
    } catch (const toml::parse_error& e) {
        throw usage_error(fmt::format("{}:{}: {}", where, e.source().begin.line, e.description()));
    }
    server_config config;
    const auto server = server_keys(base_dir);
    const auto media = media_keys(base_dir);
    const auto cache = cache_keys(base_dir);
    const auto live = live_keys(base_dir);
    const auto plugins = plugins_keys(base_dir);
    const auto rtsp = rtsp_keys();
    for (const auto& [key, node] : doc) {
        const std::string k(key.str());
        const auto* keys = k == "server" ? &server : k == "media" ? &media : k == "cache" ? &cache : k == "live" ? &live
                         : k == "plugins" ? &plugins : k == "rtsp" ? &rtsp : nullptr;
        if (!keys)
            throw usage_error(fmt::format("{}: unknown table '{}'; the config has [server], [media], [cache], [live], [plugins] and [rtsp]", where, k));
        if (!node.is_table()) throw usage_error(fmt::format("{}: '{}' must be a table ([{}])", where, k, k));
        apply_table(*node.as_table(), k, *keys, config, where);
    }
    return config;
}

std::filesystem::path default_cache_dir() {
    auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return v && *v ? std::string(v) : std::string();
    };
    // systemd may list several directories, separated by colons: the first is ours.
    if (auto d = env("CACHE_DIRECTORY"); !d.empty()) return d.substr(0, d.find(':'));
    if (auto d = env("XDG_CACHE_HOME"); !d.empty()) return std::filesystem::path(d) / "timeside";
    if (auto d = env("HOME"); !d.empty()) return std::filesystem::path(d) / ".cache" / "timeside";
    return "/var/cache/timeside";
}

server_config load_config(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw usage_error(fmt::format("--config {}: no such file", file.string()));
    if (std::filesystem::is_directory(file, ec))
        throw usage_error(fmt::format("--config {}: is a directory, not a TOML file", file.string()));
    std::ifstream in(file);
    if (!in) throw usage_error(fmt::format("--config {}: cannot be read", file.string()));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    server_config c = parse_config(text, file.string(), file.parent_path());
    c.source = file;
    return c;
}

}  // namespace timeside::server
