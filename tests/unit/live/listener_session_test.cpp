// Listeners over real sockets: the server's own HTTP listener, router and session hand the
// connection to listener_session (takeover); a test thread publishes real MP3 chunks (our
// mp3_encoder, in memory) at real time; a raw-socket client, FFmpeg and a client that stops
// reading tune in. Checked: the Icecast head, the exact bytes (headers, burst, live, ICY blocks
// at every metaint), the decoded length and level, the slow client dropped and counted while the
// others keep everything, 503 at max, HEAD, and SIGTERM's close_all ending every stream.
#include "server/live/listener_session.hpp"

#include <atomic>
#include <cstring>
#include <functional>
#include <future>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "../encoders/mp3_test_support.hpp"
#include "../test_support.hpp"
#include "core/encoder.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "decoders/array_decoder.hpp"
#include "icy_test_support.hpp"
#include "server/http/listener.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace timeside::server::live;
using timeside::test::icy_reader;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr int rate = 44100;
constexpr double amplitude = 0.5;

// A 440 Hz sine encoded at 128 kbit/s, cut as the encoder wrote it: each write a chunk, its
// end_frame counted from the MPEG frames it holds (1152 samples each).
std::vector<chunk_ptr> mp3_chunks(double seconds) {
    auto sink = std::make_shared<test::recording_sink>();
    auto enc = default_registry().make("mp3_encoder", {{"bitrate", "128"}});
    std::dynamic_pointer_cast<timeside::encoder>(enc)->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples(test::sine(440, rate, static_cast<int64_t>(seconds * rate), 1, amplitude),
                                                 rate, 1, 4096));
    p.add(std::dynamic_pointer_cast<consumer>(enc));
    p.run();
    std::vector<chunk_ptr> out;
    int64_t frames = 0;
    for (const auto& written : sink->chunks) {
        auto c = std::make_shared<live_chunk>();
        c->bytes = written.data;
        c->header = written.is_header;
        if (!c->header) {
            const auto lengths = test::frame_lengths(c->bytes);
            REQUIRE_FALSE(lengths.empty());
            frames += static_cast<int64_t>(lengths.size()) * 1152;
            c->sync = true;
        }
        c->end_frame = frames;
        out.push_back(std::move(c));
    }
    return out;
}

// Opus in Ogg at 48 kHz, each page the encoder wrote a chunk; end_frame from the last page's
// granule position (48 kHz samples, pre-skip included).
std::vector<chunk_ptr> opus_chunks(double seconds) {
    constexpr int opus_rate = 48000;
    auto sink = std::make_shared<test::recording_sink>();
    auto enc = default_registry().make("opus_encoder", {{"bitrate", "96"}});
    std::dynamic_pointer_cast<timeside::encoder>(enc)->set_sink(sink);
    timeside::pipe p(array_decoder::from_samples(
        test::sine(440, opus_rate, static_cast<int64_t>(seconds * opus_rate), 1, amplitude), opus_rate, 1, 4096));
    p.add(std::dynamic_pointer_cast<consumer>(enc));
    p.run();
    std::vector<chunk_ptr> out;
    for (const auto& written : sink->chunks) {
        auto c = std::make_shared<live_chunk>();
        c->bytes = written.data;
        c->header = written.is_header;
        const auto pages = test::parse_ogg(c->bytes).pages;  // whole pages, or it throws
        REQUIRE_FALSE(pages.empty());
        c->sync = !c->header;
        c->end_frame = c->header ? 0 : pages.back().granule;
        out.push_back(std::move(c));
    }
    return out;
}


http::route_options listener_route_options();

// The server's real HTTP stack on a free loopback port, with one live route.
struct live_server {
    server_config config;
    http::router routes;
    http::connection_registry connections;
    metrics stats;
    http::session_context context{config, routes, connections, stats};
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
    std::shared_ptr<http::listener> acceptor;
    std::vector<std::thread> threads;
    uint16_t port = 0;

    explicit live_server(std::shared_ptr<hub> h, std::string ext = "mp3") {
        config.listen = {"127.0.0.1", 0};
        config.access_log = false;
        routes.add({http::verb::get}, "/live/{id}.{ext}",
                   [this, h, ext](const http::request_context& ctx) -> http::reply {
                       if (ctx.param("id") != "test" || ctx.param("ext") != ext)
                           throw http::http_error(http::status::not_found, "no such mount");
                       return serve_listener(h, read_listener_request(ctx.req), connections);
                   },
                   listener_route_options());
        acceptor = std::make_shared<http::listener>(ioc, config.listen, context);
        acceptor->start();
        port = acceptor->local_endpoint().port();
        for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
    }
    ~live_server() {
        acceptor->stop();
        connections.close_all();
        work.reset();
        test::eventually([&] { return connections.count() == 0; }, std::chrono::seconds(5));
        ioc.stop();
        for (auto& t : threads) t.join();
    }
};

// A blocking client on its own io_context.
struct raw_client {
    asio::io_context ioc;
    tcp::socket socket{ioc};
    explicit raw_client(uint16_t port, int receive_buffer = 0) {
        socket.open(tcp::v4());
        if (receive_buffer) socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
    }
    void send(const std::string& request) { asio::write(socket, asio::buffer(request)); }
    // Everything until the server closes.
    std::string read_all() {
        std::string out;
        char buf[65536];
        boost::system::error_code ec;
        for (;;) {
            const size_t n = socket.read_some(asio::buffer(buf), ec);
            out.append(buf, n);
            if (ec) return out;
        }
    }
    std::string read_head() {
        std::string out;
        char c;
        while (out.find("\r\n\r\n") == std::string::npos && asio::read(socket, asio::buffer(&c, 1)) == 1) out += c;
        return out;
    }
};

http::route_options listener_route_options() {
    http::route_options o;
    o.cors_headers = {"Icy-MetaData"};
    return o;
}

// A player on a thread: sends `request`, reads until the server closes, and says once the audio
// (ICY blocks stripped) ends with `tail`, the last bytes published.
struct reading_client {
    std::string bytes;  // everything received, head included
    std::atomic<bool> complete{false};
    std::thread thread;
    reading_client(uint16_t port, std::string request, size_t metaint, std::vector<unsigned char> tail)
        : thread([this, port, request = std::move(request), metaint, tail = std::move(tail)] {
              raw_client c(port);
              c.send(request);
              const std::string head = c.read_head();
              icy_reader live(metaint ? metaint : SIZE_MAX);
              char buf[65536];
              boost::system::error_code ec;
              while (!ec) {
                  const size_t n = c.socket.read_some(asio::buffer(buf), ec);
                  bytes.append(buf, n);
                  live.feed(reinterpret_cast<const unsigned char*>(buf), n);
                  if (live.audio.size() >= tail.size() &&
                      std::equal(tail.begin(), tail.end(), live.audio.end() - static_cast<std::ptrdiff_t>(tail.size())))
                      complete = true;
              }
              bytes.insert(0, head);
          }) {}
    void join() {
        if (thread.joinable()) thread.join();
    }
};

bool has_line(const std::string& head, const std::string& line) { return head.find("\r\n" + line + "\r\n") != std::string::npos; }

}  // namespace

TEST_CASE("listener: Icecast head, exact stream with ICY blocks, FFmpeg decodes it, a stalled client is dropped", "[listener]") {
    const double pre_seconds = 3, live_seconds = 5;
    const auto chunks = mp3_chunks(pre_seconds + live_seconds);
    REQUIRE(chunks.front()->header);  // the ID3v2 tag

    hub_settings s;
    s.mount = "/live/test.mp3";
    s.content_type = "audio/mpeg";
    s.samplerate = rate;
    s.channels = 1;
    s.bitrate_kbps = 128;
    s.name = "Test FM";
    s.description = "A test\r\nInjected: no";
    s.genre = "Tests";
    s.url = "http://example.org/";
    s.burst_seconds = 1;
    s.burst_bytes = 0;  // the seconds alone: what the checks below count
    s.queue_seconds = 2;
    s.max_listeners = 3;
    auto h = std::make_shared<hub>(s);
    live_server server(h);

    // The mount has been running: headers and 3 s are there before anyone tunes in.
    size_t next = 0;
    while (next < chunks.size() && chunks[next]->end_frame <= static_cast<int64_t>(pre_seconds * rate)) h->publish(chunks[next++]);
    const int64_t pre_end = chunks[next - 1]->end_frame;
    std::thread publisher;

    // Whatever fails below, the threads end: the streams are closed, then joined.
    std::unique_ptr<reading_client> a;
    std::future<std::string> ffmpeg;
    struct joiner {
        std::function<void()> f;
        ~joiner() { f(); }
    } join_all{[&] {
        server.connections.close_all();
        if (publisher.joinable()) publisher.join();
        // As the station does when a mount goes: parked listeners and the hub let go of each other.
        h->close_listeners();
        if (a) a->join();
    }};
    // Client A: raw HTTP/1.1 with Icy-MetaData, reads until the server closes.
    std::vector<unsigned char> last_bytes;
    for (size_t i = chunks.size() - 3; i < chunks.size(); ++i)
        last_bytes.insert(last_bytes.end(), chunks[i]->bytes.begin(), chunks[i]->bytes.end());
    a = std::make_unique<reading_client>(server.port, "GET /live/test.mp3 HTTP/1.1\r\nHost: 127.0.0.1\r\nIcy-MetaData: 1\r\n\r\n",
                                         16000, last_bytes);
    // FFmpeg, as a player: it asks for ICY metadata itself.
    ffmpeg = std::async(std::launch::async, [&] {
        return test::run_command("ffmpeg -nostdin -v error -i http://127.0.0.1:" + std::to_string(server.port) +
                                 "/live/test.mp3 -f f32le -c:a pcm_f32le -ac 1 - 2>/dev/null");
    });
    // A client that reads the head, then nothing (a small receive buffer: its own kernel holds little).
    raw_client stalled(server.port, 4096);
    stalled.send("GET /live/test.mp3 HTTP/1.0\r\n\r\n");
    const std::string stalled_head = stalled.read_head();

    REQUIRE(test::eventually([&] { return h->counters().listeners == 3; }, std::chrono::seconds(5)));
    // From here on the mount goes on at real time: every listener has its burst, then 5 s.
    const auto t0 = std::chrono::steady_clock::now();
    std::atomic<bool> titled{false};
    publisher = std::thread([&] {
        for (; next < chunks.size(); ++next) {
            const auto due = t0 + std::chrono::microseconds((chunks[next]->end_frame - pre_end) * 1000000 / rate);
            std::this_thread::sleep_until(due);
            h->publish(chunks[next]);
            if (!titled && chunks[next]->end_frame - pre_end > rate * 3 / 2) {
                h->set_title("Artist - Song");
                titled = true;
            }
        }
    });

    {  // a fourth listener: the mount is full
        raw_client extra(server.port);
        extra.send("GET /live/test.mp3 HTTP/1.0\r\n\r\n");
        const std::string answer = extra.read_all();
        CHECK(answer.substr(0, answer.find("\r\n")).find(" 503 ") != std::string::npos);
        CHECK(answer.find("/live/test.mp3 has its maximum of 3 listeners") != std::string::npos);
    }
    {
        raw_client head_only(server.port);
        head_only.send("HEAD /live/test.mp3 HTTP/1.1\r\nHost: x\r\nIcy-MetaData: 1\r\n\r\n");
        const std::string answer = head_only.read_all();
        CHECK(answer == listener_head(s, true));  // the head, nothing after, then the close
    }

    // The stalled client goes once it is queue_seconds behind; the others are not slowed.
    REQUIRE(test::eventually([&] { return h->counters().slow_listeners == 1; }, std::chrono::seconds(6)));
    const double dropped_after = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();  // it stalled before
    CHECK(dropped_after <= s.queue_seconds + 1.5);
    // Not before it could be that far behind: it joined burst seconds behind.
    CHECK(dropped_after >= s.queue_seconds - s.burst_seconds - 0.2);
    // Its place is given back before the drop is counted; read on another thread, within a moment.
    CHECK(test::eventually([&] { return h->counters().listeners == 2; }, std::chrono::seconds(1)));
    CHECK(stalled_head.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);

    publisher.join();
    REQUIRE(test::eventually([&] { return a->complete.load(); }, std::chrono::seconds(3)));
    CHECK(server.connections.count() == 2);  // A and FFmpeg: the others are gone
    server.connections.close_all();  // SIGTERM: live streams end at once
    a->join();
    const std::string& a_bytes = a->bytes;
    const std::string decoded = ffmpeg.get();
    REQUIRE(test::eventually([&] { return h->counters().listeners == 0; }, std::chrono::seconds(2)));

    // A's head: Icecast's, with CORS for browser players, no Content-Length.
    const size_t head_end = a_bytes.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    const std::string head = a_bytes.substr(0, head_end + 2);
    CHECK(head.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(has_line(head, "Content-Type: audio/mpeg"));
    CHECK(has_line(head, "Cache-Control: no-cache, no-store"));
    CHECK(has_line(head, "Expires: Mon, 26 Jul 1997 05:00:00 GMT"));
    CHECK(has_line(head, "Pragma: no-cache"));
    CHECK(has_line(head, "icy-name: Test FM"));
    CHECK(has_line(head, "icy-description: A test  Injected: no"));
    CHECK(has_line(head, "icy-genre: Tests"));
    CHECK(has_line(head, "icy-url: http://example.org/"));
    CHECK(has_line(head, "icy-br: 128"));
    CHECK(has_line(head, "icy-pub: 0"));
    CHECK(has_line(head, "icy-metaint: 16000"));
    CHECK(has_line(head, "ice-audio-info: ice-samplerate=44100;ice-channels=1;ice-bitrate=128"));
    CHECK(has_line(head, "Access-Control-Allow-Origin: *"));
    CHECK(has_line(head,
                   "Access-Control-Expose-Headers: icy-br, icy-description, icy-genre, icy-metaint, icy-name, icy-pub, "
                   "icy-url, ice-audio-info"));
    CHECK(head.find("Content-Length") == std::string::npos);
    CHECK(stalled_head.find("icy-metaint") == std::string::npos);  // not asked for

    // A's body: ICY blocks at every 16000 audio bytes; the audio is the header, then published
    // chunks from one inside the burst to the last, whole and in order.
    icy_reader reader(16000);
    reader.feed(reinterpret_cast<const unsigned char*>(a_bytes.data()) + head_end + 4, a_bytes.size() - head_end - 4);
    CHECK_FALSE(reader.in_block());
    const auto& header = chunks.front()->bytes;
    REQUIRE(reader.audio.size() > header.size());
    CHECK(std::equal(header.begin(), header.end(), reader.audio.begin()));
    const size_t audio_after_header = reader.audio.size() - header.size();
    size_t tail = 0, first = chunks.size();
    while (tail < audio_after_header && first > 1) tail += chunks[--first]->bytes.size();
    REQUIRE(tail == audio_after_header);  // starts on a chunk boundary
    std::vector<unsigned char> expected(header);
    for (size_t i = first; i < chunks.size(); ++i) expected.insert(expected.end(), chunks[i]->bytes.begin(), chunks[i]->bytes.end());
    CHECK(reader.audio == expected);
    const int64_t burst_start = chunks[first - 1]->end_frame;
    CHECK(burst_start >= pre_end - rate);             // within the 1 s burst of the newest chunk when A joined
    CHECK(burst_start <= pre_end - rate + rate / 5);  // and as much of it as a sync chunk allows
    size_t titled_blocks = 0;
    for (const auto& b : reader.blocks) {
        if (b.length_byte == 0) continue;
        ++titled_blocks;
        CHECK(b.title() == "Artist - Song");
    }
    CHECK(titled_blocks == 1);
    CHECK(reader.blocks.size() == reader.audio.size() / 16000);

    // FFmpeg decoded the sine at its level, for the burst plus everything published after.
    std::vector<float> samples(decoded.size() / 4);
    std::memcpy(samples.data(), decoded.data(), samples.size() * 4);
    const double seconds = static_cast<double>(samples.size()) / rate;
    // A burst of at most 1 s and at least 1 s less one chunk (93 ms), then the 5 s published.
    CHECK(seconds > live_seconds + s.burst_seconds - 0.2);
    CHECK(seconds < live_seconds + s.burst_seconds + 0.1);
    REQUIRE(samples.size() > static_cast<size_t>(rate));
    std::vector<float> middle(samples.begin() + rate / 2, samples.end() - rate / 2);
    // The reference: the same MP3 bytes decoded from a file by FFmpeg (LAME renders this sine
    // 0.45 dB under the input's -9.03 dB, FFmpeg's own libmp3lame alike).
    test::temp_dir dir;
    {
        std::FILE* f = std::fopen((dir / "all.mp3").c_str(), "wb");
        for (const auto& c : chunks) std::fwrite(c->bytes.data(), 1, c->bytes.size(), f);
        std::fclose(f);
    }
    const std::string whole = test::run_command("ffmpeg -nostdin -v error -i '" + (dir / "all.mp3").string() +
                                                "' -f f32le -c:a pcm_f32le -ac 1 - 2>/dev/null");
    std::vector<float> reference(whole.size() / 4);
    std::memcpy(reference.data(), whole.data(), reference.size() * 4);
    REQUIRE(reference.size() > static_cast<size_t>(2 * rate));
    reference = std::vector<float>(reference.begin() + rate / 2, reference.end() - rate / 2);
    CHECK(test::rms_db(middle) == Approx(test::rms_db(reference)).margin(0.05));
    CHECK(test::rms_db(middle) == Approx(20 * std::log10(amplitude / std::sqrt(2.0))).margin(0.6));

    const auto c = h->counters();
    CHECK(c.connects == 3);
    CHECK(c.listener_peak == 3);
    CHECK(c.refused == 1);
    CHECK(c.slow_listeners == 1);
    CHECK(c.bytes_sent >= a_bytes.size() + stalled_head.size());
}

TEST_CASE("listener: Ogg Opus with ICY blocks too: the blocks sit at every metaint bytes and FFmpeg decodes the stream", "[listener]") {
    constexpr int opus_rate = 48000;
    const double pre_seconds = 2, live_seconds = 3;
    const auto chunks = opus_chunks(pre_seconds + live_seconds);
    REQUIRE(chunks.front()->header);  // OpusHead
    hub_settings s;
    s.mount = "/live/test.opus";
    s.content_type = "audio/ogg";
    s.samplerate = opus_rate;
    s.channels = 1;
    s.bitrate_kbps = 96;
    s.burst_seconds = 1;
    s.burst_bytes = 0;  // the seconds alone: what the checks below count
    s.queue_seconds = 5;
    s.metaint = 4000;  // several blocks a second at 96 kbit/s
    auto h = std::make_shared<hub>(s);
    h->set_title("Opus - Title");
    live_server server(h, "opus");

    size_t next = 0;
    while (next < chunks.size() && (chunks[next]->header || chunks[next]->end_frame <= static_cast<int64_t>(pre_seconds * opus_rate)))
        h->publish(chunks[next++]);
    const int64_t pre_end = chunks[next - 1]->end_frame;

    std::thread publisher;
    std::unique_ptr<reading_client> a;
    std::future<std::string> ffmpeg;
    struct joiner {
        std::function<void()> f;
        ~joiner() { f(); }
    } join_all{[&] {
        server.connections.close_all();
        if (publisher.joinable()) publisher.join();
        // As the station does when a mount goes: parked listeners and the hub let go of each other.
        h->close_listeners();
        if (a) a->join();
    }};
    a = std::make_unique<reading_client>(server.port, "GET /live/test.opus HTTP/1.0\r\nIcy-MetaData: 1\r\n\r\n", 4000,
                                         chunks.back()->bytes);
    ffmpeg = std::async(std::launch::async, [&] {
        return test::run_command("ffmpeg -nostdin -v error -i http://127.0.0.1:" + std::to_string(server.port) +
                                 "/live/test.opus -f f32le -c:a pcm_f32le -ac 1 -ar 48000 - 2>/dev/null");
    });
    REQUIRE(test::eventually([&] { return h->counters().listeners == 2; }, std::chrono::seconds(5)));
    const auto t0 = std::chrono::steady_clock::now();
    publisher = std::thread([&] {
        for (; next < chunks.size(); ++next) {
            std::this_thread::sleep_until(t0 + std::chrono::microseconds((chunks[next]->end_frame - pre_end) * 1000000 / opus_rate));
            h->publish(chunks[next]);
        }
    });
    publisher.join();
    REQUIRE(test::eventually([&] { return a->complete.load(); }, std::chrono::seconds(3)));  // the last page reached it
    server.connections.close_all();
    a->join();
    const std::string& a_bytes = a->bytes;
    const std::string decoded = ffmpeg.get();

    const size_t head_end = a_bytes.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    CHECK(a_bytes.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(a_bytes.find("\r\nicy-metaint: 4000\r\n") < head_end);
    CHECK(a_bytes.find("\r\nContent-Type: audio/ogg\r\n") < head_end);
    icy_reader reader(4000);
    reader.feed(reinterpret_cast<const unsigned char*>(a_bytes.data()) + head_end + 4, a_bytes.size() - head_end - 4);
    // Stripped of its blocks, the body is a valid Ogg stream: the headers, then whole pages.
    const auto stream = test::parse_ogg(reader.audio);
    REQUIRE(stream.pages.size() > 3);
    CHECK(std::equal(chunks.front()->bytes.begin(), chunks.front()->bytes.end(), reader.audio.begin()));
    for (const auto& page : stream.pages) CHECK(page.crc_ok);
    CHECK(reader.blocks.size() == reader.audio.size() / 4000);
    REQUIRE_FALSE(reader.blocks.empty());
    CHECK(reader.blocks.front().title() == "Opus - Title");  // the title at once, then empty blocks
    for (size_t i = 1; i < reader.blocks.size(); ++i) CHECK(reader.blocks[i].length_byte == 0);

    std::vector<float> samples(decoded.size() / 4);
    std::memcpy(samples.data(), decoded.data(), samples.size() * 4);
    const double seconds = static_cast<double>(samples.size()) / opus_rate;
    CHECK(seconds > live_seconds + 0.5);  // the burst: whole pages within 1 s
    CHECK(seconds < live_seconds + s.burst_seconds + 0.1);
    REQUIRE(samples.size() > static_cast<size_t>(opus_rate));
    std::vector<float> middle(samples.begin() + opus_rate / 2, samples.end() - opus_rate / 4);
    CHECK(test::rms_db(middle) == Approx(20 * std::log10(amplitude / std::sqrt(2.0))).margin(0.5));
}
