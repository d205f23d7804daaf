// The server's configuration: every key of the TOML file (`timeside serve --config FILE`), with
// the defaults that apply when the file or the key is absent. docs/server.md documents each key;
// load_config() refuses unknown keys, wrong types and out-of-range values as usage errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace timeside::server {

struct listen_address {
    std::string host = "127.0.0.1";
    uint16_t port = 8000;
    std::string to_string() const;  // "127.0.0.1:8000", "[::1]:8000"
};

// "HOST:PORT", "[IPv6]:PORT" or ":PORT" (the default host); `what` names the key or option in
// the usage_error a malformed value raises.
listen_address parse_listen(const std::string& text, const std::string& what);

struct server_config {
    // [server]
    listen_address listen;
    unsigned threads = 0;                 // 0: one per core
    unsigned max_connections = 1024;      // beyond: 503 and close (see connection_cap())
    bool max_connections_given = false;   // the file set it
    size_t header_limit = 8 * 1024;       // bytes of request line + headers; beyond: 431
    size_t body_limit = 1024 * 1024;      // bytes of request body; beyond: 413
    std::chrono::milliseconds read_timeout{10000};   // a whole request must arrive within it
    std::chrono::milliseconds idle_timeout{30000};   // keep-alive wait for the next request
    std::chrono::milliseconds write_timeout{30000};  // each response write
    std::chrono::milliseconds drain_timeout{4000};   // SIGTERM: in-flight responses get this long
    bool access_log = true;
    std::filesystem::path web_dir;        // the page served at /; empty: core's default_data_dir("web")

    // [media]
    std::vector<std::filesystem::path> media_folders{"samples"};
    std::chrono::milliseconds rescan_interval{5000};
    std::filesystem::path presets_dir;    // empty: core's default_presets_dir()
    unsigned max_transcodes = 64;         // concurrent jobs (encodes, results, renders); beyond: 429
    uint64_t max_result_values = 4 << 20;  // framewise values one /results request may hold; beyond: 400

    // [cache]
    std::filesystem::path cache_dir;      // empty: default_cache_dir()
    uint64_t cache_max_bytes = uint64_t(2) << 30;  // LRU eviction beyond; 0: no cache

    // [live]
    std::filesystem::path streams_dir{"streams"};  // one TOML file per live stream
    bool streams_given = false;  // set by the file or --streams: then the folder must exist
    std::string admin_user = "admin";  // /admin/* (Icecast's /admin/metadata) Basic auth user
    std::string admin_password;        // no default: empty refuses every /admin/* request (401)
    unsigned max_listeners = 5000;     // live listeners server-wide, all mounts; beyond: 503
    unsigned max_subscribers = 10000;  // event subscribers (/events/{id}) server-wide, all mounts; beyond: 503
    std::chrono::milliseconds source_timeout{10000};  // a definition's source_timeout when it sets none

    // [plugins]
    std::vector<std::filesystem::path> plugin_folders;  // searched after $TIMESIDE_PLUGIN_PATH, before the installed folder
    // [rtsp]
    std::optional<listen_address> rtsp_listen = listen_address{"127.0.0.1", 8554};  // "": no RTSP
    bool rtsp_listen_given = false;  // the file set it: then a busy address stops the server
    unsigned rtsp_bitrate_kbps = 128;  // each mount's Opus encode for RTSP

    std::filesystem::path source;         // the file read, empty for the defaults

    // The cap on open connections: max_connections when the file gives it; else 1024 plus room
    // for every live listener and event subscriber the server admits (each is a connection: a
    // station configured for 5,000 listeners must not refuse the 1,025th).
    unsigned connection_cap() const {
        return max_connections_given ? max_connections : max_connections + max_listeners + max_subscribers;
    }
};

// Reads `file` over the defaults; relative folders in the file are taken relative to the file's
// own directory. Throws usage_error "FILE: key 'server.x': expected ..., got ...".
server_config load_config(const std::filesystem::path& file);
// $CACHE_DIRECTORY (systemd's CacheDirectory=), else $XDG_CACHE_HOME/timeside, else
// ~/.cache/timeside, else /var/cache/timeside.
std::filesystem::path default_cache_dir();
// The same, from TOML text (the unit tests; `where` stands for the file name in messages).
server_config parse_config(std::string_view toml_text, const std::string& where,
                           const std::filesystem::path& base_dir = {});

}  // namespace timeside::server
