// live_hub_server: one live hub behind the server's real HTTP stack (listener, router, session,
// takeover, listener_session), fed with an MP3 file's frames looped at real time. It measures
// the fan-out alone, without a mount's decode and encode, beside icecast2 relaying the same file:
//
//   live_hub_server PORT FILE.mp3 [--burst S] [--queue S] [--threads N] [--chunk-frames N] [--wake S]
//
// The listener URL is http://127.0.0.1:PORT/live/bench.mp3; SIGINT/SIGTERM close every listener
// and print the hub's counters as JSON.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "encoders/mp3_frames.hpp"
#include "server/http/listener.hpp"
#include "server/live/listener_session.hpp"

using namespace timeside;
using namespace timeside::server;
namespace asio = boost::asio;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: live_hub_server PORT FILE.mp3 [--burst S] [--queue S] [--threads N] [--chunk-frames N] [--wake S]\n");
        return 2;
    }
    live::hub_settings s;
    s.mount = "/live/bench.mp3";
    s.content_type = "audio/mpeg";
    s.name = "bench";
    unsigned threads = 2;
    size_t chunk_frames = 4;  // MPEG frames per chunk (~105 ms): what an encoder lane fed 4096-frame blocks writes
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--burst") s.burst_seconds = std::atof(argv[i + 1]);
        else if (a == "--queue") s.queue_seconds = std::atof(argv[i + 1]);
        else if (a == "--threads") threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
        else if (a == "--chunk-frames") chunk_frames = static_cast<size_t>(std::atoi(argv[i + 1]));
        else if (a == "--wake") s.wake_min_seconds = s.wake_max_seconds = std::atof(argv[i + 1]);
    }
    // One descriptor per listener: up to the hard limit (Debian's soft limit is 1024).
    if (rlimit r{}; getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
    std::ifstream in(argv[2], std::ios::binary);
    const std::vector<unsigned char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The file's frames (an ID3v2 tag, if any, skipped; a Xing frame is an ordinary frame here).
    size_t at = 0;
    if (file.size() > 10 && file[0] == 'I' && file[1] == 'D' && file[2] == '3')
        at = 10 + ((file[6] & 0x7F) << 21 | (file[7] & 0x7F) << 14 | (file[8] & 0x7F) << 7 | (file[9] & 0x7F));
    std::vector<std::pair<size_t, size_t>> frames;
    mp3_frame_header first{};
    while (at + 4 <= file.size()) {
        auto h = parse_mp3_frame_header(std::span(file).subspan(at));
        if (!h || at + h->length > file.size()) break;
        if (frames.empty()) first = *h;
        frames.emplace_back(at, h->length);
        at += h->length;
    }
    if (frames.empty()) {
        std::fprintf(stderr, "live_hub_server: no MPEG audio frames in %s\n", argv[2]);
        return 1;
    }
    s.samplerate = first.samplerate;
    s.channels = first.channels;
    s.bitrate_kbps = first.bitrate_kbps;
    auto h = std::make_shared<live::hub>(s);

    server_config config;
    config.listen = {"127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1]))};
    config.access_log = false;
    config.max_connections = 1u << 20;
    http::router routes;
    http::connection_registry connections;
    metrics stats;
    http::session_context context{config, routes, connections, stats};
    http::route_options options;
    options.cors_headers = {"Icy-MetaData"};
    routes.add({http::verb::get}, "/live/bench.mp3",
               [&](const http::request_context& ctx) { return live::serve_listener(h, live::read_listener_request(ctx.req), connections); }, options);
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    auto acceptor = std::make_shared<http::listener>(ioc, config.listen, context);
    acceptor->start();
    std::atomic<bool> stop{false};
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) {
        stop = true;
        acceptor->stop();
        connections.close_all();
        work.reset();
    });
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    std::fprintf(stderr, "live_hub_server: http://%s/live/bench.mp3 (%d Hz, %d kbit/s, %zu frames looped)\n",
                 config.listen.to_string().c_str(), s.samplerate, s.bitrate_kbps, frames.size());

    // Real time: chunk k is published when its audio's end is due.
    const auto t0 = std::chrono::steady_clock::now();
    int64_t end_frame = 0;
    for (size_t k = 0; !stop; ) {
        auto c = std::make_shared<live::live_chunk>();
        c->sync = true;
        for (size_t f = 0; f < chunk_frames; ++f, k = (k + 1) % frames.size()) {
            const auto [offset, length] = frames[k];
            c->bytes.insert(c->bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(offset),
                            file.begin() + static_cast<std::ptrdiff_t>(offset + length));
            end_frame += first.samples;
        }
        c->end_frame = end_frame;
        std::this_thread::sleep_until(t0 + std::chrono::microseconds(end_frame * 1000000 / s.samplerate));
        h->publish(std::move(c));
    }
    for (auto& t : pool) t.join();
    const auto c = h->counters();
    std::printf("{\"listeners\": %lu, \"listener_peak\": %lu, \"slow_listeners\": %lu, \"connects\": %lu, \"refused\": %lu, "
                "\"bytes_sent\": %lu, \"chunks\": %lu}\n",
                static_cast<unsigned long>(c.listeners), static_cast<unsigned long>(c.listener_peak),
                static_cast<unsigned long>(c.slow_listeners), static_cast<unsigned long>(c.connects),
                static_cast<unsigned long>(c.refused), static_cast<unsigned long>(c.bytes_sent), static_cast<unsigned long>(c.chunks));
    return 0;
}
