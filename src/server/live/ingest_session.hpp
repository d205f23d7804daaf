// Icecast source ingest at /live/{id}: PUT (Icecast 2.4+, ffmpeg, libshout when we list PUT in
// Allow:) and legacy SOURCE (ffmpeg -legacy_icecast 1, older libshout, Liquidsoap). The route
// handler (ingest_endpoint::handle) checks the request head and answers refusals as ordinary
// replies (text bodies naming the cause: 404, 401 + WWW-Authenticate, 400, 415); an accepted
// source's connection is taken over by an ingest_session, which attaches a push_input to the mount
// (409 when it has a source), answers 100 Continue / 200 OK and reads the body into the input.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/format.hpp"
#include "server/http/connections.hpp"
#include "server/http/router.hpp"
#include "server/live/chunked_body.hpp"
#include "server/live/push_input.hpp"

namespace timeside::server::live {

// What a source said about itself, for status (ice-* headers, UTF-8 checked: invalid bytes become
// U+FFFD) and logs.
struct source_info {
    std::string method;        // PUT | SOURCE
    std::string content_type;  // as declared ("audio/mpeg" when a SOURCE sent none)
    std::string peer;          // "address:port"
    std::string user_agent;
    std::string name, description, genre, url;  // ice-name, ice-description, ice-genre, ice-url
    std::string audio_info;    // ice-audio-info, raw ("samplerate=44100;channels=2;bitrate=128")
    std::string bitrate;       // ice-bitrate
    bool is_public = false;    // ice-public: 1
    std::chrono::system_clock::time_point since;
};

// What the ingest needs from a mount; the lead implements it over the engine's mount (its
// live_source's attach_source). Called on network threads.
class ingest_mount {
public:
    virtual ~ingest_mount() = default;
    // The stream's [input] password (kind = "icecast"): the source's credentials are user
    // `source` and this password.
    virtual std::string source_password() const = 0;
    // The mount's rate and channels: the source's audio is decoded towards them.
    virtual audio_format format() const = 0;
    // source_timeout: a source silent that long is cut and the mount falls back.
    virtual std::chrono::milliseconds source_timeout() const = 0;
    // Puts `input` (started already) on the air; false when a source is already on (409). Called
    // on the connection's strand once the session owns it (info.peer is known).
    virtual bool attach_source(std::shared_ptr<live_input> input, const source_info& info) = 0;
    // The source's connection ended (closed, timed out, failed, server shutdown). The input then
    // reads `ended` once its buffered audio is played (or `failed`): the mount falls back.
    virtual void detach_source(const std::shared_ptr<live_input>& input) = 0;
};

// The mount a source pushes to (`id` from /live/{id}); nullptr: no such mount, or one whose input
// is not `icecast` (404).
using ingest_mount_lookup = std::function<std::shared_ptr<ingest_mount>(const std::string& id)>;

struct ingest_limits {
    size_t input_buffer_bytes = 256 * 1024;  // push_input_options::buffer_bytes
    size_t read_bytes = 16 * 1024;           // one socket read
    std::chrono::seconds write_timeout{10};  // for our 100/200 heads
};

class ingest_endpoint {
public:
    ingest_endpoint(http::connection_registry& connections, ingest_mount_lookup lookup, ingest_limits limits = {});

    // The options of the route it serves (PUT, and SOURCE through extra_methods):
    //   router.add({http::verb::put}, "/live/{id}", [&e](const auto& ctx) { return e.handle(ctx); },
    //              ingest_endpoint::route_options());
    static http::route_options route_options();
    // The handler: the request head only (the body is the connection's, after a takeover).
    http::reply handle(const http::request_context& ctx) const;

private:
    http::connection_registry& connections_;
    ingest_mount_lookup lookup_;
    ingest_limits limits_;
};

// One accepted source's connection, from the takeover to its end. Registered in the connection
// registry: drain() and close() (SIGTERM) cut it at once, the mount falls back.
class ingest_session : public http::connection, public std::enable_shared_from_this<ingest_session> {
public:
    struct setup {
        std::shared_ptr<ingest_mount> mount;
        std::shared_ptr<push_input> input;
        source_info info;
        chunked_body body;
        bool send_continue = false;  // the request had Expect: 100-continue
        bool http10 = false;         // answer HTTP/1.0 (a SOURCE request)
        std::string mount_path;      // "/live/studio", for logs
    };
    ingest_session(http::taken_connection&& taken, setup s, http::connection_registry& connections,
                   const ingest_limits& limits);
    ~ingest_session() override;

    void start();
    void drain() override;
    void close() override;

private:
    void do_attach();
    void do_linger();
    void do_write_head();
    void on_head(boost::beast::error_code ec, size_t bytes);
    void do_read();
    void on_read(boost::beast::error_code ec, size_t bytes);
    void take_body(const unsigned char* data, size_t size);
    void on_space();
    void finish(const char* why, bool source_ended);

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer first_bytes_;  // read past the head by the HTTP session
    setup setup_;
    http::connection_registry& connections_;
    ingest_limits limits_;
    uint64_t registration_ = 0;
    std::string head_;
    bool continue_sent_ = false;
    std::vector<unsigned char> read_buf_;
    std::vector<unsigned char> payload_;
    bool attached_ = false;  // the mount took the input (else 409 was answered)
    bool paused_ = false;    // the input buffer is full: no read until on_space
    std::shared_ptr<ingest_session> paused_self_;  // alive while paused (no handler holds us)
    bool finished_ = false;
    uint64_t body_bytes_ = 0;
    std::chrono::steady_clock::time_point started_;
};

}  // namespace timeside::server::live
