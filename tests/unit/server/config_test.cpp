// The server's TOML config: defaults when a key is absent, every key read, and each mistake a
// usage error naming the file, the key and what was expected.
#include <algorithm>
#include <cctype>

#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "server/config.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace std::chrono_literals;

namespace {

std::string error_of(const std::string& text) {
    try {
        parse_config(text, "test.toml");
    } catch (const usage_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("an empty config gives the documented defaults", "[server][config]") {
    const server_config c = parse_config("", "test.toml");
    CHECK(c.listen.host == "127.0.0.1");
    CHECK(c.listen.port == 8000);
    CHECK(c.threads == 0);
    CHECK(c.max_connections == 1024);
    CHECK(c.connection_cap() == 1024 + 5000 + 10000);  // room for every listener and subscriber admitted
    CHECK(c.header_limit == 8192);
    CHECK(c.body_limit == 1048576);
    CHECK(c.read_timeout == 10s);
    CHECK(c.idle_timeout == 30s);
    CHECK(c.write_timeout == 30s);
    CHECK(c.drain_timeout == 4s);
    CHECK(c.access_log);
    CHECK(c.media_folders == std::vector<std::filesystem::path>{"samples"});
    CHECK(c.rescan_interval == 5s);
    CHECK(c.presets_dir.empty());
    CHECK(c.max_transcodes == 64);
    CHECK(c.cache_max_bytes == (uint64_t(2) << 30));
    CHECK(c.cache_dir.empty());
}

TEST_CASE("every key is read, relative folders taken from the config's directory", "[server][config]") {
    const server_config c = parse_config(R"(
[server]
listen = "[::1]:8123"
threads = 3
max_connections = 10
header_limit = 4096
body_limit = 0
read_timeout = 2.5
idle_timeout = 7
write_timeout = 1
drain_timeout = 0.5
access_log = false

[media]
folders = ["music", "/srv/audio"]
rescan_interval = 0.25
presets = "my-presets"
max_transcodes = 2
)",
                                         "test.toml", "/etc/timeside");
    CHECK(c.listen.host == "::1");
    CHECK(c.listen.port == 8123);
    CHECK(c.listen.to_string() == "[::1]:8123");
    CHECK(c.threads == 3);
    CHECK(c.max_connections == 10);
    CHECK(c.connection_cap() == 10);  // given: exactly that
    CHECK(c.header_limit == 4096);
    CHECK(c.body_limit == 0);
    CHECK(c.read_timeout == 2500ms);
    CHECK(c.idle_timeout == 7s);
    CHECK(c.write_timeout == 1s);
    CHECK(c.drain_timeout == 500ms);
    CHECK_FALSE(c.access_log);
    CHECK(c.media_folders == std::vector<std::filesystem::path>{"/etc/timeside/music", "/srv/audio"});
    CHECK(c.rescan_interval == 250ms);
    CHECK(c.presets_dir == "/etc/timeside/my-presets");
    CHECK(c.max_transcodes == 2);
}

TEST_CASE("unknown keys and tables are refused with the valid ones", "[server][config]") {
    CHECK(error_of("[server]\nlisten_port = 80\n") ==
          "test.toml: unknown key 'server.listen_port'; [server] takes: access_log, body_limit, drain_timeout, "
          "header_limit, idle_timeout, listen, max_connections, read_timeout, threads, web, write_timeout");
    CHECK(error_of("[serve]\nlisten = \":80\"\n") ==
          "test.toml: unknown table 'serve'; the config has [server], [media], [cache], [live], [plugins] and [rtsp]");
    CHECK(error_of("listen = \":80\"\n") ==
          "test.toml: unknown table 'listen'; the config has [server], [media], [cache], [live], [plugins] and [rtsp]");
    CHECK(error_of("server = 3\n") == "test.toml: 'server' must be a table ([server])");
}

TEST_CASE("[plugins] folders are searched for plugins, relative to the config", "[server][config]") {
    CHECK(timeside::server::parse_config("", "test.toml").plugin_folders.empty());
    const auto c = timeside::server::parse_config("[plugins]\nfolders = [\"plugins\", \"/opt/p\"]\n", "test.toml",
                                                  "/etc/timeside");
    CHECK(c.plugin_folders == std::vector<std::filesystem::path>{"/etc/timeside/plugins", "/opt/p"});
    CHECK(error_of("[plugins]\nfolders = \"x\"\n") ==
          "test.toml: key 'plugins.folders': expected an array of folder paths, got a string");
}

TEST_CASE("[live] streams names the stream definitions folder, relative to the config", "[server][config]") {
    const auto defaults = timeside::server::parse_config("", "test.toml", "/etc/timeside");
    CHECK(defaults.streams_dir == "streams");
    CHECK_FALSE(defaults.streams_given);  // a missing default folder is no error
    const auto c = timeside::server::parse_config("[live]\nstreams = \"live\"\n", "test.toml", "/etc/timeside");
    CHECK(c.streams_dir == "/etc/timeside/live");
    CHECK(c.streams_given);
    CHECK(error_of("[live]\nstreams = 3\n") == "test.toml: key 'live.streams': expected a string, got an integer");
    CHECK(error_of("[live]\nmounts = \"x\"\n") ==
          "test.toml: unknown key 'live.mounts'; [live] takes: admin_password, admin_user, max_listeners, "
          "max_subscribers, source_timeout, streams");
}

TEST_CASE("[live] credentials and limits: no built-in password, checked values", "[server][config]") {
    const auto defaults = timeside::server::parse_config("", "test.toml");
    CHECK(defaults.admin_user == "admin");
    CHECK(defaults.admin_password.empty());  // /admin/* refused until one is configured
    CHECK(defaults.max_listeners == 5000);
    CHECK(defaults.max_subscribers == 10000);
    CHECK(defaults.source_timeout == 10s);
    CHECK(timeside::server::parse_config("[live]\nmax_subscribers = 3\n", "test.toml").max_subscribers == 3);
    CHECK(error_of("[live]\nmax_subscribers = 0\n") ==
          "test.toml: key 'live.max_subscribers': expected an integer from 1 to 1000000, got 0");
    const auto c = timeside::server::parse_config(
        "[live]\nadmin_user = \"ops\"\nadmin_password = \"s3cret-Pw\"\nmax_listeners = 20000\nsource_timeout = 2.5\n",
        "test.toml");
    CHECK(c.admin_user == "ops");
    CHECK(c.admin_password == "s3cret-Pw");
    CHECK(c.max_listeners == 20000);
    CHECK(c.source_timeout == 2500ms);
    CHECK(error_of("[live]\nadmin_user = \"a:b\"\n") ==
          "test.toml: key 'live.admin_user': expected a non-empty user name without ':', got 'a:b'");
    CHECK(error_of("[live]\nadmin_user = \"\"\n") ==
          "test.toml: key 'live.admin_user': expected a non-empty user name without ':', got ''");
    CHECK(error_of("[live]\nadmin_password = 1234\n") ==
          "test.toml: key 'live.admin_password': expected a string, got an integer");
    CHECK(error_of("[live]\nmax_listeners = 0\n") ==
          "test.toml: key 'live.max_listeners': expected an integer from 1 to 1000000, got 0");
    CHECK(error_of("[live]\nsource_timeout = 0.5\n") ==
          "test.toml: key 'live.source_timeout': expected a number of seconds from 1 to 3600, got 0.5");
}

TEST_CASE("wrong types and out-of-range values name the key and the range", "[server][config]") {
    CHECK(error_of("[server]\nthreads = \"four\"\n") ==
          "test.toml: key 'server.threads': expected an integer from 0 to 256, got a string");
    CHECK(error_of("[server]\nmax_connections = 0\n") ==
          "test.toml: key 'server.max_connections': expected an integer from 1 to 1000000, got 0");
    CHECK(error_of("[server]\nread_timeout = 0\n") ==
          "test.toml: key 'server.read_timeout': expected a number of seconds from 0.1 to 3600, got 0");
    CHECK(error_of("[server]\naccess_log = 1\n") == "test.toml: key 'server.access_log': expected a boolean, got an integer");
    CHECK(error_of("[media]\nfolders = \"samples\"\n") ==
          "test.toml: key 'media.folders': expected an array of folder paths, got a string");
    CHECK(error_of("[media]\nfolders = [\"a\", 3]\n") == "test.toml: key 'media.folders'[1]: expected a string, got an integer");
    CHECK(error_of("[server]\nlisten = \"localhost\"\n").starts_with("test.toml: key 'server.listen': expected HOST:PORT"));
}

TEST_CASE("TOML syntax errors give the line", "[server][config]") {
    CHECK(error_of("[server]\nthreads = = 3\n").starts_with("test.toml:2: "));
}

TEST_CASE("listen addresses: host and port, IPv6 in brackets, the default host", "[server][config]") {
    CHECK(parse_listen("0.0.0.0:80", "--listen").to_string() == "0.0.0.0:80");
    CHECK(parse_listen(":9000", "--listen").to_string() == "127.0.0.1:9000");
    CHECK(parse_listen("[::]:0", "--listen").to_string() == "[::]:0");
    for (const char* bad : {"8000", "host:", "host:65536", "host:-1", "host:80x", "::1:8000", ""}) {
        INFO(bad);
        CHECK_THROWS_WITH(parse_listen(bad, "--listen"), Catch::StartsWith("--listen: expected HOST:PORT"));
    }
}

TEST_CASE("the cache section sets the folder (relative to the file) and the size cap", "[server][config]") {
    auto c = parse_config("[cache]\ndir = \"cache\"\nmax_size = 1048576\n", "test.toml", "/etc/timeside");
    CHECK(c.cache_dir == "/etc/timeside/cache");
    CHECK(c.cache_max_bytes == 1048576);
    CHECK(parse_config("[cache]\nmax_size = 0\n", "test.toml").cache_max_bytes == 0);
    CHECK(error_of("[cache]\nmax_size = -1\n") ==
          "test.toml: key 'cache.max_size': expected an integer from 0 to 1125899906842624, got -1");
    CHECK(error_of("[cache]\nsize = 1\n") == "test.toml: unknown key 'cache.size'; [cache] takes: dir, max_size");
}

TEST_CASE("a config file that is not UTF-8 is refused naming the file and the line", "[server][config]") {
    // TOML files are UTF-8: toml++ refuses a bad byte (or an escaped surrogate) before any key's
    // handler runs, so no config string reaching /api/status or a log line can hold one.
    for (const char* text : {"[server]\nweb = \"caf\xff\"\n", "[server]\n\n[cache]\ndir = 'a\xc0\xaf" "b'\n",
                             "[media]\nfolders = [\"ok\",\n  \"\xed\xa0\x80\"]\n", "[server]\nweb = \"\\uD800\"\n"}) {
        INFO(text);
        std::string error = error_of(text);
        CHECK(error.starts_with("test.toml:"));
        std::transform(error.begin(), error.end(), error.begin(), [](unsigned char c) { return std::tolower(c); });
        CHECK((error.find("utf-8") != std::string::npos || error.find("surrogate") != std::string::npos));
    }
    CHECK(error_of("[server]\n\n[cache]\ndir = 'a\xc0\xaf" "b'\n").starts_with("test.toml:4:"));
    // Valid UTF-8 beyond ASCII is a string like any other.
    CHECK(parse_config("[server]\nweb = \"caf\xc3\xa9\"\n", "test.toml", "/srv").web_dir == "/srv/caf\xc3\xa9");
}

TEST_CASE("[rtsp] listen: 127.0.0.1:8554 by default, off when empty, checked like [server] listen", "[server][config][rtsp]") {
    const auto defaults = timeside::server::parse_config("", "test.toml");
    REQUIRE(defaults.rtsp_listen);
    CHECK(defaults.rtsp_listen->to_string() == "127.0.0.1:8554");
    CHECK_FALSE(defaults.rtsp_listen_given);  // a busy default port only turns RTSP off
    CHECK(defaults.rtsp_bitrate_kbps == 128);
    const auto off = timeside::server::parse_config("[rtsp]\nlisten = \"\"\n", "test.toml");
    CHECK_FALSE(off.rtsp_listen);
    CHECK(off.rtsp_listen_given);
    const auto c = timeside::server::parse_config("[rtsp]\nlisten = \"[::1]:9554\"\nbitrate = 64\n", "test.toml");
    REQUIRE(c.rtsp_listen);
    CHECK(c.rtsp_listen->host == "::1");
    CHECK(c.rtsp_listen->port == 9554);
    CHECK(c.rtsp_bitrate_kbps == 64);
    CHECK(error_of("[rtsp]\nlisten = \"8554\"\n") ==
          "test.toml: key 'rtsp.listen': expected HOST:PORT (127.0.0.1:8000, [::1]:8000, :8000) with a port from 0 to "
          "65535, got '8554'");
    CHECK(error_of("[rtsp]\nbitrate = 600\n") == "test.toml: key 'rtsp.bitrate': expected an integer from 6 to 510, got 600");
    CHECK(error_of("[rtsp]\nport = 1\n") == "test.toml: unknown key 'rtsp.port'; [rtsp] takes: bitrate, listen");
}
