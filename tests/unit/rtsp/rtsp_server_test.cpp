// rtsp_server's glue without an external client: binding, the media pipeline's launch line, and
// the answers a raw RTSP DESCRIBE gets as paths are added, protected and removed, with a thread
// publishing a sine into the mount's feed as the mount's clock would.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include "core/errors.hpp"
#include "core/gst_handles.hpp"
#include "server/rtsp/rtsp_server.hpp"

using namespace timeside;
using namespace timeside::server;
using namespace std::chrono_literals;

namespace {

// A DESCRIBE on a fresh connection: the status code of the answer (0: none within 5 s).
int describe(uint16_t port, const std::string& path, const std::string& extra_header = "") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return 0;
    }
    const std::string req = "DESCRIBE rtsp://127.0.0.1:" + std::to_string(port) + path + " RTSP/1.0\r\nCSeq: 1\r\n" +
                            extra_header + "\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string answer;
    char buf[4096];
    for (int i = 0; i < 100 && answer.find("\r\n\r\n") == std::string::npos; ++i) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        answer.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    if (answer.rfind("RTSP/1.0 ", 0) != 0) return 0;
    return std::stoi(answer.substr(9, 3));
}

// Publishes 1024-frame blocks of a 440 Hz sine in real time, as a mount's clock does.
class sine_clock {
public:
    explicit sine_clock(std::shared_ptr<server::live::audio_feed> feed) : feed_(std::move(feed)) {
        thread_ = std::thread([this] {
            const auto f = feed_->format();
            int64_t pos = 0;
            auto next = std::chrono::steady_clock::now();
            while (!stop_) {
                std::vector<float> s(1024 * static_cast<size_t>(f.channels));
                for (int64_t i = 0; i < 1024; ++i)
                    for (int c = 0; c < f.channels; ++c)
                        s[static_cast<size_t>(i * f.channels + c)] =
                            0.5f * static_cast<float>(std::sin(2 * M_PI * 440.0 * double(pos + i) / f.samplerate));
                feed_->publish(block::make(f, pos, std::move(s)));
                pos += 1024;
                next += std::chrono::microseconds(1024 * 1000000LL / f.samplerate);
                std::this_thread::sleep_until(next);
            }
            feed_->close();
        });
    }
    ~sine_clock() {
        stop_ = true;
        thread_.join();
    }

private:
    std::shared_ptr<server::live::audio_feed> feed_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("the RTSP media's launch line builds a pipeline for mono and stereo, 44.1 and 48 kHz", "[rtsp]") {
    ensure_gstreamer();
    for (auto [rate, channels] : {std::pair{44100, 2}, std::pair{48000, 1}}) {
        const std::string line = rtsp::rtsp_mount_media::launch_line(rate, channels, 96000);
        INFO(line);
        GError* error = nullptr;
        GstElement* bin = gst_parse_launch(line.c_str(), &error);
        g_error_ptr owned(error);
        REQUIRE(bin);
        CHECK_FALSE(owned);
        gst_ptr<GstElement> src(gst_bin_get_by_name(GST_BIN(bin), "src"));
        gst_ptr<GstElement> pay(gst_bin_get_by_name(GST_BIN(bin), "pay0"));
        CHECK(src);
        CHECK(pay);
        gst_object_unref(bin);
    }
}

TEST_CASE("rtsp_server binds a free port, and a taken address is a processing_error naming it", "[rtsp]") {
    rtsp::rtsp_server first(listen_address{"127.0.0.1", 0}, 64000);
    REQUIRE(first.port() != 0);
    CHECK(first.url("x") == "rtsp://127.0.0.1:" + std::to_string(first.port()) + "/live/x");
    CHECK_THROWS_WITH(rtsp::rtsp_server(listen_address{"127.0.0.1", first.port()}, 64000),
                      Catch::StartsWith("RTSP: cannot listen on 127.0.0.1:" + std::to_string(first.port()) +
                                        " ([rtsp] listen)"));
}

TEST_CASE("paths answer DESCRIBE while their mount is there: 200, 401 without the password, 404 once removed", "[rtsp]") {
    rtsp::rtsp_server server(listen_address{"127.0.0.1", 0}, 64000);
    server.start();
    auto open = std::make_shared<server::live::audio_feed>(audio_format{48000, 2});
    auto locked = std::make_shared<server::live::audio_feed>(audio_format{44100, 1});
    sine_clock open_clock(open), locked_clock(locked);
    server.add_mount("open", open, {});
    server.add_mount("locked", locked, rtsp::rtsp_access{"listener", "s3cret"});

    CHECK(describe(server.port(), "/live/open") == 200);
    CHECK(describe(server.port(), "/live/nothing") == 404);
    CHECK(describe(server.port(), "/live/locked") == 401);
    // "listener:wrong" and "listener:s3cret" in base64.
    CHECK(describe(server.port(), "/live/locked", "Authorization: Basic bGlzdGVuZXI6d3Jvbmc=\r\n") == 401);
    CHECK(describe(server.port(), "/live/locked", "Authorization: Basic bGlzdGVuZXI6czNjcmV0\r\n") == 200);

    auto counts = server.counts();
    REQUIRE(counts.count("open") == 1);
    CHECK(counts["open"].clients == 0);  // a DESCRIBE sets up no session
    CHECK(counts["open"].media_starts >= 1);

    server.remove_mount("open");
    CHECK(describe(server.port(), "/live/open") == 404);
    CHECK(server.counts().count("open") == 0);
    server.stop();
}
