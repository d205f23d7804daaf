// http_input against a local Icecast-like server (a small Python program speaking ICY: icy-metaint
// and StreamTitle blocks when asked with Icy-MetaData: 1): the audio heard is the stream's (level
// and length against ffmpeg's decode of the same MP3), the upstream's titles are taken over, and
// when the server goes away and comes back the input reconnects, never blocking past its wait.
#include <catch2/catch.hpp>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include "ingest_test_support.hpp"
#include "server/live/http_input.hpp"

using namespace timeside::test::live;
using timeside::test::temp_dir;

namespace {

// Serves argv[2] at any path, once per connection, to connections in turn; with Icy-MetaData: 1,
// a metadata block after every 8192 audio bytes: "StreamTitle='Artist - Song N';" (N counts the
// connections) first, empty blocks after. Writes its port to argv[3] once it listens.
const char* icy_server_py = R"PY(
import socket, sys
port, path = int(sys.argv[1]), sys.argv[2]
data = open(path, 'rb').read()
metaint = 8192
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port))
srv.listen(8)
with open(sys.argv[3] + '.tmp', 'w') as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(sys.argv[3] + '.tmp', sys.argv[3])
n = 0
while True:
    c, _ = srv.accept()
    n += 1
    req = b''
    while b'\r\n\r\n' not in req and len(req) < 65536:
        chunk = c.recv(4096)
        if not chunk:
            break
        req += chunk
    icy = b'icy-metadata: 1' in req.lower()
    head = b'HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\nicy-name: Test FM\r\n'
    if icy:
        head += b'icy-metaint: %d\r\n' % metaint
    body = bytearray()
    if icy:
        title = ("StreamTitle='Artist - Song %d';" % n).encode()
        title += b'\0' * (-len(title) % 16)
        for i in range(0, len(data), metaint):
            block = data[i:i + metaint]
            body += block
            if len(block) == metaint:
                body += (bytes([len(title) // 16]) + title) if i == 0 else b'\0'
    else:
        body = data
    try:
        c.sendall(head + b'\r\n' + bytes(body))
    except OSError:
        pass
    c.close()
)PY";

class icy_server {
public:
    icy_server(const temp_dir& dir, const std::filesystem::path& file, uint16_t port = 0) {
        const auto script = dir / "icy_server.py";
        if (!std::filesystem::exists(script)) std::ofstream(script) << icy_server_py;
        const auto port_file = dir / "icy_server.port";
        std::filesystem::remove(port_file);
        const std::string p = std::to_string(port);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            execlp("python3", "python3", script.c_str(), p.c_str(), file.c_str(), port_file.c_str(),
                   static_cast<char*>(nullptr));
            _exit(127);
        }
        REQUIRE(timeside::test::eventually([&] { return std::filesystem::exists(port_file); }, 10000ms));
        port_ = static_cast<uint16_t>(std::atoi(read_text(port_file).c_str()));
        REQUIRE(port_ != 0);
    }
    ~icy_server() { stop(); }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
    uint16_t port() const { return port_; }

private:
    pid_t pid_ = -1;
    uint16_t port_ = 0;
};

}  // namespace

TEST_CASE("a pulled Icecast stream is heard, its ICY titles taken over, and it reconnects", "[live][pull]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    const auto bytes = ffmpeg_sine(dir, "-c:a libmp3lame -b:a 128k -f mp3", 3.0);
    const auto file = dir / "stream.mp3";
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    auto server = std::make_unique<icy_server>(dir, file);
    const uint16_t port = server->port();

    tl::http_input_options o;
    o.uri = "http://127.0.0.1:" + std::to_string(port) + "/live.mp3";
    o.first_backoff = 200ms;
    o.max_backoff = 800ms;
    tl::http_input in(o);
    in.start({48000, 2});

    // Reads until `done` holds; every read returns within its wait (plus scheduling slack).
    std::vector<float> audio;
    std::vector<std::string> titles;
    auto read_until = [&](const std::function<bool()>& done, std::chrono::seconds within) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            const auto t0 = std::chrono::steady_clock::now();
            const auto st = in.read(audio, 4800, 100ms);
            CHECK(std::chrono::steady_clock::now() - t0 < 600ms);  // 103 ms seen; slack for a loaded machine
            CHECK(st != tl::live_input::status::ended);
            CHECK(st != tl::live_input::status::failed);
            if (auto t = in.take_title()) titles.push_back(*t);
        }
        return true;
    };

    // The first connection: the whole stream, then the server closes it; the input reconnects.
    REQUIRE(read_until([&] { return in.attempts() >= 2; }, 30s));
    const auto first = stats_of(audio, 2, 48000);
    const auto reference = stats_of(ffmpeg_decode(dir, bytes), 2, 48000);
    CHECK(first.rms_db == Approx(reference.rms_db).margin(0.1));
    CHECK(first.audible_s == Approx(reference.audible_s).margin(0.05));
    REQUIRE_FALSE(titles.empty());
    CHECK(titles.front() == "Artist - Song 1");
    CHECK(in.error().find("the stream ended") != std::string::npos);

    // The second connection brings its own title.
    REQUIRE(read_until([&] { return titles.back() == "Artist - Song 2"; }, 30s));

    // The server goes away: reads keep returning within their wait, the error says why.
    server->stop();
    const unsigned before = in.attempts();
    REQUIRE(read_until([&] { return in.attempts() >= before + 2; }, 30s));
    CHECK(in.error().find(o.uri) == 0);

    // It comes back on the same port: audio and a new title flow again.
    server = std::make_unique<icy_server>(dir, file, port);
    audio.clear();
    titles.clear();
    REQUIRE(read_until([&] { return !titles.empty() && stats_of(audio, 2, 48000).audible_s > 1.0; }, 30s));
    CHECK(titles.back().rfind("Artist - Song ", 0) == 0);
    in.stop();
    audio.clear();
    CHECK(in.read(audio, 4800, 100ms) == tl::live_input::status::ended);
}

TEST_CASE("a pulled input refuses what is not an http(s) URL", "[live][pull]") {
    tl::http_input_options o;
    o.uri = "file:///etc/passwd";
    CHECK_THROWS_WITH(tl::http_input(o), Catch::Contains("expected an http:// or https:// URL"));
}
