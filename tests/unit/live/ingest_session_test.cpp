// The ingest at the socket: real source clients (ffmpeg's icecast:// with PUT and with SOURCE,
// libshout through gst-launch's shout2send, curl's chunked PUT) push to a loopback server whose
// route takes over into ingest_session; the mount hears what they sent (level and length against
// ffmpeg's decode of the same bytes), refusals carry their status and cause, silence past
// source_timeout, garbage and a server shutdown cut the source.
#include <catch2/catch.hpp>

#include <random>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "ingest_test_support.hpp"

using namespace timeside::test::live;
using timeside::test::temp_dir;
namespace asio = boost::asio;

namespace {

std::filesystem::path write_file(const temp_dir& dir, const std::string& name, const std::vector<unsigned char>& b) {
    const auto p = dir / name;
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return p;
}

void check_heard(const source_run& run, const temp_dir& dir, const std::vector<unsigned char>& sent) {
    INFO(run.error);
    REQUIRE(run.last == tl::live_input::status::ended);
    const auto heard = stats_of(run.audio, 2, 48000);
    const auto reference = stats_of(ffmpeg_decode(dir, sent), 2, 48000);
    CHECK(heard.rms_db == Approx(reference.rms_db).margin(0.1));
    CHECK(heard.audible_s == Approx(reference.audible_s).margin(0.05));
    CHECK(heard.audible_s > 2.9);
}

struct curl_answer {
    int status = 0;
    std::string headers, body;
};

curl_answer curl(const temp_dir& dir, const std::string& args) {
    const auto h = dir / "curl.headers";
    const auto b = dir / "curl.body";
    const auto code = dir / "curl.code";
    run("curl -sS -o '" + b.string() + "' -D '" + h.string() + "' -w '%{http_code}' " + args + " > '" + code.string() +
        "' 2>/dev/null");
    curl_answer a;
    a.status = std::atoi(read_text(code).c_str());
    a.headers = read_text(h);
    a.body = read_text(b);
    return a;
}

// A raw source connection: the head, then whatever the test sends.
struct raw_source {
    asio::io_context ioc;
    asio::ip::tcp::socket socket{ioc};
    explicit raw_source(uint16_t port, const std::string& type = "audio/ogg") {
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
        send("PUT /live/x HTTP/1.1\r\nHost: test\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\nContent-Type: " + type +
             "\r\n\r\n");
    }
    void send(const std::string& s) { asio::write(socket, asio::buffer(s)); }
    void send(const std::vector<unsigned char>& b) { asio::write(socket, asio::buffer(b)); }
    // Everything the server sends until it closes; false if it did not close within `within`.
    bool read_until_closed(std::string& out, std::chrono::milliseconds within) {
        const auto deadline = std::chrono::steady_clock::now() + within;
        socket.non_blocking(true);
        char buf[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            boost::system::error_code ec;
            const size_t n = socket.read_some(asio::buffer(buf), ec);
            if (ec == asio::error::would_block) {
                std::this_thread::sleep_for(10ms);
                continue;
            }
            if (ec) return true;  // eof or reset: closed
            out.append(buf, n);
        }
        return false;
    }
};

}  // namespace

TEST_CASE("ffmpeg pushes Ogg Vorbis with PUT; the mount hears it and gets the ice-* headers", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 3.0);
    const auto file = write_file(dir, "src.ogg", bytes);
    REQUIRE(run("ffmpeg -nostdin -hide_banner -loglevel error -re -i '" + file.string() +
                "' -c copy -content_type audio/ogg -ice_name 'Studio A' -ice_genre Jazz -ice_description 'Live room' "
                "-ice_url http://example.org -f ogg '" + server.url("/live/x") + "'") == 0);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.method == "PUT");
    CHECK(r.info.content_type == "audio/ogg");
    CHECK(r.info.name == "Studio A");
    CHECK(r.info.genre == "Jazz");
    CHECK(r.info.description == "Live room");
    CHECK(r.info.url == "http://example.org");
    CHECK(r.info.peer.rfind("127.0.0.1:", 0) == 0);
    check_heard(r, dir, bytes);
    CHECK_FALSE(server.mount->has_source());
}

TEST_CASE("ffmpeg's Ogg without -content_type (declared audio/mpeg) is decoded as what it is", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libopus -b:a 96k -f ogg", 3.0);
    const auto file = write_file(dir, "src.opus", bytes);
    REQUIRE(run("ffmpeg -nostdin -hide_banner -loglevel error -re -i '" + file.string() + "' -c copy -f ogg '" +
                server.url("/live/x") + "'") == 0);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.content_type == "audio/mpeg");
    check_heard(r, dir, bytes);
}

TEST_CASE("ffmpeg with a wrong password is refused at once with 401", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto file = write_file(dir, "src.ogg", ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 3.0));
    const auto log = dir / "ffmpeg.log";
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(run("ffmpeg -nostdin -hide_banner -loglevel error -re -i '" + file.string() +
              "' -c copy -content_type audio/ogg -f ogg '" + server.url("/live/x", "source:wrong") + "' 2> '" +
              log.string() + "'") != 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // refused before any audio was sent
    CHECK(read_text(log).find("401") != std::string::npos);
    CHECK(server.mount->run_count() == 0);
}

TEST_CASE("ffmpeg -legacy_icecast 1 pushes MP3 with SOURCE", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libmp3lame -b:a 128k -f mp3", 3.0);
    const auto file = write_file(dir, "src.mp3", bytes);
    REQUIRE(run("ffmpeg -nostdin -hide_banner -loglevel error -re -i '" + file.string() +
                "' -c copy -legacy_icecast 1 -f mp3 '" + server.url("/live/x") + "'") == 0);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.method == "SOURCE");
    CHECK(r.info.content_type == "audio/mpeg");
    check_heard(r, dir, bytes);
}

TEST_CASE("libshout (shout2send) learns PUT from Allow: and pushes Ogg Vorbis", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    // 3 s of a 440 Hz sine at amplitude 0.5, paced by shout2send's clock.
    const std::string cmd = "gst-launch-1.0 -q audiotestsrc wave=sine freq=440 volume=0.5 samplesperbuffer=4410 "
                            "num-buffers=30 ! audio/x-raw,rate=44100,channels=2 ! audioconvert ! vorbisenc ! oggmux ! "
                            "shout2send ip=127.0.0.1 port=" + std::to_string(server.port()) +
                            " mount=/live/x password=hackme streamname='Shout Radio' > '" + (dir / "gst.log").string() +
                            "' 2>&1";
    const int status = run(cmd);
    INFO(read_text(dir / "gst.log"));
    REQUIRE(status == 0);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.method == "PUT");  // libshout uses PUT only when our 401 listed it in Allow:
    CHECK(r.info.name == "Shout Radio");
    REQUIRE(r.last == tl::live_input::status::ended);
    const auto heard = stats_of(r.audio, 2, 48000);
    CHECK(heard.rms_db == Approx(20 * std::log10(0.5 / std::sqrt(2.0))).margin(0.5));
    CHECK(heard.audible_s == Approx(3.0).margin(0.05));
    CHECK(server.mount->run_count() == 1);  // the credential-less probe never took the mount
}

TEST_CASE("curl: refusals name their cause; a chunked PUT is heard", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 3.0);
    const auto file = write_file(dir, "src.ogg", bytes);
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    const std::string put = "-X PUT --data-binary @'" + file.string() + "' ";

    auto a = curl(dir, put + "-u source:wrong -H 'Content-Type: audio/ogg' " + base + "/live/x");
    CHECK(a.status == 401);
    CHECK(a.headers.find("WWW-Authenticate: Basic realm=\"TimeSide\"") != std::string::npos);
    CHECK(a.body.find("wrong or missing credentials") != std::string::npos);

    a = curl(dir, put + "-u source:hackme -H 'Content-Type: audio/ogg' " + base + "/live/nope");
    CHECK(a.status == 404);
    CHECK(a.body.find("/live/nope") != std::string::npos);

    a = curl(dir, put + "-u source:hackme -H 'Content-Type:' " + base + "/live/x");
    CHECK(a.status == 400);
    CHECK(a.body.find("needs a Content-Type") != std::string::npos);

    a = curl(dir, put + "-u source:hackme -H 'Content-Type: text/plain' " + base + "/live/x");
    CHECK(a.status == 415);
    CHECK(a.body.find("'text/plain' is not accepted") != std::string::npos);

    // A source on the mount already: 409, and the mount keeps it.
    auto first = std::make_shared<tl::push_input>(tl::push_input_options{});
    REQUIRE(server.mount->attach_source(first, {}));
    a = curl(dir, put + "-u source:hackme -H 'Content-Type: audio/ogg' " + base + "/live/x");
    CHECK(a.status == 409);
    CHECK(a.body.find("a source is already connected") != std::string::npos);
    first->stop();
    server.mount->detach_source(first);
    CHECK(server.mount->run_count() == 1);

    // Chunked (curl -T - reads stdin): heard in full.
    a = curl(dir, "-T - -u source:hackme -H 'Content-Type: audio/ogg' " + base + "/live/x < '" + file.string() + "'");
    CHECK(a.status == 200);
    CHECK(a.headers.find("Transfer-Encoding") == std::string::npos);
    source_run r;
    REQUIRE(server.mount->finished_run(1, r));
    check_heard(r, dir, bytes);
    CHECK(server.mount->run_count() == 2);  // none of the refused requests took the mount
}

TEST_CASE("a source silent past source_timeout is cut and the mount is free again", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    server.mount->timeout = 500ms;
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 20.0);
    REQUIRE(bytes.size() > 20000);
    raw_source source(server.port());
    source.send(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 20000));
    const auto sent_at = std::chrono::steady_clock::now();
    std::string answer;
    REQUIRE(source.read_until_closed(answer, 5000ms));
    const auto cut_after = std::chrono::steady_clock::now() - sent_at;
    CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(cut_after >= 450ms);
    CHECK(cut_after < 2000ms);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK_FALSE(server.mount->has_source());
}

TEST_CASE("garbage from a source fails its input, closes it, and the next source is taken", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    {
        raw_source source(server.port(), "audio/mpeg");
        std::mt19937 gen(3);
        std::vector<unsigned char> garbage(256 * 1024);
        std::string answer;
        bool closed = false;
        boost::system::error_code ec;
        // Bounded: 64 MiB at most; the server must give up far earlier.
        for (int i = 0; i < 256 && !ec; ++i) {
            for (auto& b : garbage) b = static_cast<unsigned char>(gen());
            asio::write(source.socket, asio::buffer(garbage), ec);
        }
        closed = source.read_until_closed(answer, 10000ms);
        CHECK(closed);
        CHECK(ec);  // the server closed the connection while garbage was still coming
    }
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.last == tl::live_input::status::failed);
    CHECK(r.error.find("source on /live/x") == 0);
    CHECK(r.audio.empty());
    // The mount and the server are fine: a real source follows.
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 3.0);
    const auto file = write_file(dir, "src.ogg", bytes);
    REQUIRE(run("ffmpeg -nostdin -hide_banner -loglevel error -re -i '" + file.string() +
                "' -c copy -content_type audio/ogg -f ogg '" + server.url("/live/x") + "'") == 0);
    REQUIRE(server.mount->finished_run(1, r));
    check_heard(r, dir, bytes);
}

TEST_CASE("closing the server's connections cuts a source at once", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 20.0);
    REQUIRE(bytes.size() > 20000);
    raw_source source(server.port());
    source.send(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 20000));
    REQUIRE(timeside::test::eventually([&] { return server.mount->has_source(); }, 5000ms));
    CHECK(server.connections().count() == 1);  // the ingest registered itself
    server.connections().close_all();
    std::string answer;
    REQUIRE(source.read_until_closed(answer, 2000ms));
    source_run r;
    REQUIRE(server.mount->finished_run(0, r, 2000ms));
    CHECK(server.connections().count() == 0);
}

namespace {

// Reads from `s` until `received` holds `marker` `times` times (or `within` passes).
bool read_until_marker(asio::ip::tcp::socket& s, std::string& received, const std::string& marker, int times,
                       std::chrono::milliseconds within) {
    auto count = [&] {
        int n = 0;
        for (size_t at = received.find(marker); at != std::string::npos; at = received.find(marker, at + 1)) ++n;
        return n;
    };
    s.non_blocking(true);
    const auto deadline = std::chrono::steady_clock::now() + within;
    char buf[4096];
    while (count() < times) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        boost::system::error_code ec;
        const size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block) {
            std::this_thread::sleep_for(5ms);
            continue;
        }
        if (ec) return false;
        received.append(buf, n);
    }
    s.non_blocking(false);
    return true;
}

}  // namespace

TEST_CASE("libshout's exchange byte by byte: probe, 401 with Allow, PUT on the same connection, 100 then 200",
          "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libvorbis -f ogg", 3.0);
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    // What libshout 2.4 sends first: no credentials, an empty body, keep-alive.
    asio::write(s, asio::buffer(std::string("SOURCE /live/x HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: libshout/2.4.6\r\n"
                                            "Content-Type: application/ogg\r\nContent-Length: 0\r\n"
                                            "Connection: Keep-Alive\r\nice-public: 0\r\n\r\n")));
    std::string answer;
    REQUIRE(read_until_marker(s, answer, "\r\n\r\n", 1, 5000ms));
    const std::string head = answer.substr(0, answer.find("\r\n\r\n") + 4);
    CHECK(head.rfind("HTTP/1.1 401 Unauthorized\r\n", 0) == 0);
    CHECK(head.find("\r\nWWW-Authenticate: Basic realm=\"TimeSide\"\r\n") != std::string::npos);
    CHECK(head.find("\r\nAllow: PUT, SOURCE\r\n") != std::string::npos);  // libshout then uses PUT
    CHECK(head.find("Connection: close") == std::string::npos);           // and may reuse the connection
    const size_t cl = head.find("Content-Length: ");
    REQUIRE(cl != std::string::npos);
    const size_t body_size = std::stoul(head.substr(cl + 16));
    while (answer.size() < head.size() + body_size) REQUIRE(read_until_marker(s, answer, "\n", 1, 5000ms));
    CHECK(answer.substr(head.size()).find("wrong or missing credentials") != std::string::npos);
    CHECK(server.mount->run_count() == 0);

    // The real request on the same connection.
    answer.clear();
    asio::write(s, asio::buffer(std::string("PUT /live/x HTTP/1.1\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
                                            "Host: 127.0.0.1\r\nContent-Type: application/ogg\r\n"
                                            "Expect: 100-continue\r\nice-name: Probe FM\r\n\r\n")));
    REQUIRE(read_until_marker(s, answer, "\r\n\r\n", 2, 5000ms));
    CHECK(answer.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0) == 0);
    asio::write(s, asio::buffer(bytes));
    s.shutdown(asio::ip::tcp::socket::shutdown_send);
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.method == "PUT");
    CHECK(r.info.name == "Probe FM");
    check_heard(r, dir, bytes);
}

TEST_CASE("a SOURCE over HTTP/1.0 without a type is taken as MP3 and answered in HTTP/1.0", "[live][ingest][push]") {
    REQUIRE(have_ffmpeg());
    temp_dir dir;
    ingest_server server;
    const auto bytes = ffmpeg_sine(dir, "-c:a libmp3lame -b:a 128k -f mp3", 3.0);
    asio::io_context ioc;
    asio::ip::tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(s, asio::buffer(std::string("SOURCE /live/x HTTP/1.0\r\nAuthorization: Basic c291cmNlOmhhY2ttZQ==\r\n"
                                            "ice-name: Old \xff Client\r\n\r\n")));
    std::string answer;
    REQUIRE(read_until_marker(s, answer, "\r\n\r\n", 1, 5000ms));
    CHECK(answer.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    asio::write(s, asio::buffer(bytes));
    s.close();
    source_run r;
    REQUIRE(server.mount->finished_run(0, r));
    CHECK(r.info.method == "SOURCE");
    CHECK(r.info.content_type == "audio/mpeg");
    CHECK(r.info.name == "Old \xEF\xBF\xBD Client");  // a Latin-1 byte: U+FFFD, never invalid UTF-8
    check_heard(r, dir, bytes);
}
