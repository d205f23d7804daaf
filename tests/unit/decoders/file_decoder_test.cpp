// file_decoder on real files: exact frame counts, exact samples, exact segments, block sizes,
// forced formats, media info, and clear errors for inputs that cannot decode.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "../test_support.hpp"
#include "core/errors.hpp"
#include "core/registry.hpp"
#include "decoders/file_decoder.hpp"

using namespace timeside;

namespace {

std::shared_ptr<file_decoder> make_decoder(const raw_parameters& params) {
    return get_processor_as<file_decoder>("file_decoder", params);
}

struct decoded {
    stream_info info;
    std::vector<float> samples;
    std::vector<int64_t> block_frames;
    std::vector<int64_t> positions;
};

// An HTTP server on loopback for one client: it answers with `response`, then holds the
// connection open, sending nothing more, until release() (at the latest after a minute).
class stalling_server {
public:
    explicit stalling_server(std::string response) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd_, 4) == 0);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this, response = std::move(response)] { serve(response); });
    }
    ~stalling_server() {
        release();
        thread_.join();
        ::close(fd_);
    }
    int port() const { return port_; }
    void release() {
        {
            std::lock_guard l(mutex_);
            released_ = true;
        }
        released_cv_.notify_all();
        ::shutdown(fd_, SHUT_RDWR);  // wakes a pending accept()
    }

private:
    void serve(const std::string& response) {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        std::string request;
        char buf[4096];
        pollfd p{c, POLLIN, 0};
        while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536 && ::poll(&p, 1, 10000) == 1) {
            const ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
        }
        for (size_t sent = 0; sent < response.size();) {
            const ssize_t n = ::send(c, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
            if (n <= 0) break;
            sent += static_cast<size_t>(n);
        }
        std::unique_lock l(mutex_);
        released_cv_.wait_for(l, std::chrono::minutes(1), [this] { return released_; });
        ::close(c);
    }

    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable released_cv_;
    bool released_ = false;
};

decoded decode_all(const raw_parameters& params) {
    auto d = make_decoder(params);
    decoded out;
    out.info = d->open();
    while (auto b = d->read()) {
        out.block_frames.push_back(b->frames());
        out.positions.push_back(b->position());
        out.samples.insert(out.samples.end(), b->samples().begin(), b->samples().end());
    }
    d->close();
    return out;
}

std::string error_of(const std::string& uri) {
    try {
        decode_all({{"uri", uri}});
    } catch (const processing_error& e) {
        return e.what();
    }
    return "";
}

std::string sha1sum(const std::filesystem::path& p) {
    std::string cmd = "sha1sum '" + p.string() + "'";
    FILE* f = popen(cmd.c_str(), "r");
    char buf[41] = {};
    REQUIRE(fread(buf, 1, 40, f) == 40);
    pclose(f);
    return buf;
}

}  // namespace

TEST_CASE("a 16-bit WAV decodes to its exact frames and sample values", "[decoders]") {
    test::temp_dir dir;
    const int64_t frames = 100003;  // not a multiple of anything
    auto pcm = test::pcm16_signal(frames, 2);
    test::write_wav16(dir / "in.wav", pcm, 44100, 2);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"blocksize", int64_t{4096}}});
    CHECK(d.info.format == audio_format{44100, 2});
    CHECK(d.info.total_frames == frames);
    REQUIRE(d.samples.size() == pcm.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < pcm.size(); ++i)
        if (d.samples[i] != pcm[i] / 32768.0f) ++mismatches;
    CHECK(mismatches == 0);
    // Every block but the last is exactly blocksize; positions are contiguous.
    for (size_t i = 0; i + 1 < d.block_frames.size(); ++i) CHECK(d.block_frames[i] == 4096);
    CHECK(d.block_frames.back() == frames % 4096);
    for (size_t i = 0; i < d.positions.size(); ++i) CHECK(d.positions[i] == static_cast<int64_t>(i) * 4096);
}

TEST_CASE("a segment is cut to the exact frame", "[decoders]") {
    test::temp_dir dir;
    auto pcm = test::pcm16_signal(48000 * 3, 1);
    test::write_wav16(dir / "in.wav", pcm, 48000, 1);
    // start 0.5 s = frame 24000, duration 1.25 s = 60000 frames.
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"start", 0.5}, {"duration", 1.25}});
    CHECK(d.info.is_segment);
    CHECK(d.info.start == 0.5);
    CHECK(d.info.total_frames == 60000);
    REQUIRE(d.samples.size() == 60000);
    CHECK(d.samples.front() == pcm[24000] / 32768.0f);
    CHECK(d.samples[12345] == pcm[24000 + 12345] / 32768.0f);
    CHECK(d.samples.back() == pcm[24000 + 59999] / 32768.0f);
    CHECK(d.positions.front() == 0);  // positions count from the segment's start
}

TEST_CASE("a segment running past the end stops at the end", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(8000, 1), 8000, 1);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"start", 0.75}, {"duration", 5.0}});
    CHECK(d.samples.size() == 2000);
    CHECK(d.info.total_frames == 2000);
}

TEST_CASE("a start past the end is a usage error naming it", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(8000, 1), 8000, 1);
    CHECK_THROWS_WITH(decode_all({{"uri", (dir / "in.wav").string()}, {"start", 3.0}}),
                      Catch::Contains("start=3 is past the end"));
}

TEST_CASE("forced rate and channels are delivered", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(44100, 2), 44100, 2);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}, {"samplerate", int64_t{22050}}, {"channels", int64_t{1}}});
    CHECK(d.info.format == audio_format{22050, 1});
    CHECK(d.info.media->samplerate == 44100);  // the source's own format is still reported
    CHECK(d.info.media->channels == 2);
    CHECK(static_cast<double>(d.samples.size()) == Approx(22050).margin(2));
}

TEST_CASE("media info: mime, duration, tags-free, and the file's sha1", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "in.wav", test::pcm16_signal(22050, 1), 22050, 1);
    auto d = decode_all({{"uri", (dir / "in.wav").string()}});
    CHECK(d.info.media->mime == "audio/x-wav");
    CHECK(d.info.media->duration == Approx(1.0));
    CHECK(d.info.media->sha1_hex() == sha1sum(dir / "in.wav"));
    auto m = file_decoder::probe((dir / "in.wav").string());
    CHECK(m.samplerate == 22050);
    CHECK(m.channels == 1);
    CHECK(m.sha1_hex() == sha1sum(dir / "in.wav"));
}

TEST_CASE("file:// URIs decode like paths", "[decoders]") {
    test::temp_dir dir;
    test::write_wav16(dir / "a b.wav", test::pcm16_signal(1000, 1), 8000, 1);
    auto d = decode_all({{"uri", "file://" + (dir / "a%20b.wav").string()}});
    CHECK(d.samples.size() == 1000);
}

TEST_CASE("inputs that cannot decode fail with the input and the cause", "[decoders]") {
    test::temp_dir dir;
    std::ofstream(dir / "empty.wav").close();
    std::ofstream(dir / "text.txt") << "this is not audio, just some text\n";
    test::write_wav16(dir / "full.wav", test::pcm16_signal(44100, 2), 44100, 2);
    std::filesystem::copy_file(dir / "full.wav", dir / "trunc.wav");
    std::filesystem::resize_file(dir / "trunc.wav", 20000);

    CHECK(error_of((dir / "missing.wav").string()) == (dir / "missing.wav").string() + ": no such file");
    CHECK(error_of(dir.path().string()).find("is a directory") != std::string::npos);
    CHECK(error_of("/dev/null") == "/dev/null: not a regular file");
    CHECK(error_of((dir / "empty.wav").string()).find("empty file") != std::string::npos);
    CHECK(error_of((dir / "text.txt").string()).find("could not determine its type") != std::string::npos);
    CHECK(error_of((dir / "trunc.wav").string()).find("truncated WAV") != std::string::npos);
    CHECK(error_of("ftp://example.com/a.wav").find("unsupported URI scheme") != std::string::npos);
    CHECK(error_of("http://127.0.0.1:9/x.wav").find("Connection refused") != std::string::npos);
}

TEST_CASE("cancel from another thread stops a blocked read", "[decoders]") {
    // Ten seconds announced, one second sent, then nothing while the connection stays open: the
    // reader has all there is and waits in read() for more.
    constexpr int rate = 44100, channels = 2;
    constexpr int64_t sent_frames = rate, announced_frames = 10 * rate;
    const auto pcm = test::pcm16_signal(sent_frames, channels);
    std::string wav = test::wav16_header(announced_frames, rate, channels);
    wav.append(reinterpret_cast<const char*>(pcm.data()), pcm.size() * 2);
    stalling_server server("HTTP/1.1 200 OK\r\nContent-Type: audio/x-wav\r\nContent-Length: " +
                           std::to_string(44 + announced_frames * channels * 2) + "\r\n\r\n" + wav);

    auto d = make_decoder({{"uri", fmt::format("http://127.0.0.1:{}/in.wav", server.port())}, {"blocksize", int64_t{1024}}});
    d->open();
    enum outcome { reading, cancelled, ended, failed };
    std::atomic<int64_t> frames{0};
    std::atomic<outcome> how{reading};
    std::thread reader([&] {
        try {
            while (auto b = d->read()) frames += b->frames();
            how = ended;
        } catch (const cancelled_error&) {
            how = cancelled;
        } catch (...) {
            how = failed;
        }
    });
    // Blocked: it took (nearly) all that was sent, and gets no further while nothing comes.
    CHECK(test::eventually([&] { return frames.load() >= sent_frames - 2 * 1024; }, std::chrono::seconds(10)));
    CHECK_FALSE(test::eventually([&] { return how.load() != reading; }, std::chrono::milliseconds(300)));
    CHECK(frames.load() <= sent_frames);

    d->cancel();  // from this thread, while the reader waits in read()
    const bool stopped = test::eventually([&] { return how.load() != reading; }, std::chrono::seconds(5));
    server.release();  // if cancel() failed, the closed connection ends the read: no hang
    reader.join();
    CHECK(stopped);
    CHECK(how.load() == cancelled);
    d->close();
}
