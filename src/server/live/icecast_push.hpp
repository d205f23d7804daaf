// A push: one live output sent on to an Icecast server as a source client. It reads the output's
// hub as a listener does (the stream's headers, then the live edge: no burst), on a strand of the
// server's io_context, one write in flight; a push that falls queue_seconds behind is dropped by
// the hub's own check and reconnects, so the mount and our listeners never wait for it. PUT with
// Expect: 100-continue, SOURCE (icecast 2.3) when the server refuses PUT; titles through
// /admin/metadata (MP3), or for Ogg by chaining the pushed copy (ogg_relinker); reconnects with
// push_backoff when refused, dropped or silent.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/error_code.hpp>

#include "server/live/hub.hpp"
#include "server/live/icecast_push_backoff.hpp"
#include "server/live/icecast_push_request.hpp"
#include "server/live/icecast_push_target.hpp"
#include "server/live/ogg_relinker.hpp"

namespace timeside::server::live {

struct icecast_push_options {
    push_target target;
    push_stream_info info;
    bool send_titles = false;  // MP3/AAC: titles go through /admin/metadata
    // Ogg Vorbis / Opus: titles go in the stream, a new link per title (Icecast reads each link's
    // comments), no sooner than chain_min_seconds of audio after the last link began.
    bool chain_titles = false;
    double chain_min_seconds = 5;
    std::chrono::milliseconds answer_timeout{5000};  // connect + the server's answer to the request
    std::chrono::milliseconds first_backoff{1000}, max_backoff{60000}, backoff_reset{60000};
};

struct push_status {
    std::string url;    // redacted
    std::string state;  // connecting | connected | backing_off | stopped
    std::string method; // PUT | SOURCE: the one in use (or to be tried next)
    std::chrono::system_clock::time_point since{};  // of the state
    uint64_t bytes = 0;       // audio and headers written to the server, all connections
    uint64_t reconnects = 0;  // attempts after a failure or a drop
    uint64_t dropped_behind = 0;  // connections dropped for falling behind the hub
    std::string last_error;
    std::string title_error;  // the last /admin/metadata failure, if any
    uint64_t titles_sent = 0;  // MP3: /admin/metadata updates taken; Ogg: links begun with a title
};

class icecast_push : public hub_waiter, public hub_reader, public std::enable_shared_from_this<icecast_push> {
public:
    icecast_push(boost::asio::any_io_executor executor, std::shared_ptr<hub> h, icecast_push_options options);
    ~icecast_push() override;

    void start();  // connects; any thread
    void stop();   // closes the connection and stops retrying; any thread
    // The mount's title changed (any thread): sent once connected, the newest only.
    void set_title(std::string title);
    push_status status() const;

    void on_chunks() override;
    void on_behind() override;
    void on_hub_closed() override { stop(); }
    int64_t written_end_frame() const override;

private:
    void do_connect();
    void on_resolved(boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type results);
    void on_connected(boost::system::error_code ec);
    void on_answer(boost::system::error_code ec, size_t bytes);
    void start_streaming();
    void do_take();
    void on_chunks_here();  // on the strand: take now, or when the batch interval is over
    void on_write(boost::system::error_code ec, size_t bytes);
    bool written(boost::system::error_code ec, size_t bytes);  // in_flight_ is out: false when it failed
    void do_read_server();  // while streaming: anything the server says, and its close
    void fail(const std::string& why, bool dropped_behind = false);
    void retry_now();       // PUT refused: SOURCE at once
    void close_socket();
    void set_state(const char* state);
    void send_title();
    void relink_chunks();  // chunks_ -> the pushed copy's pages, chained on title changes
    void on_title_done(boost::system::error_code ec);

    const icecast_push_options options_;
    const std::shared_ptr<hub> hub_;
    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::ip::tcp::resolver resolver_;
    boost::asio::ip::tcp::socket socket_;
    boost::asio::steady_timer timer_;  // the answer's deadline, then the back-off wait
    // Writes are batched: at most one per batch_interval (a relay buffers seconds; one write per
    // encoder chunk would cost a wake-up and a syscall each, more than a listener's share).
    boost::asio::steady_timer batch_timer_;
    bool batch_waiting_ = false;
    std::chrono::steady_clock::time_point last_write_{};
    push_backoff backoff_;
    push_method method_ = push_method::put;
    uint64_t attempt_ = 0;  // bumps on every new connection: late handlers of an old one are ignored
    bool streaming_ = false, writing_ = false, stopped_ = false, started_ = false;
    std::string request_, answer_;
    std::array<char, 512> scratch_;  // what the server says while we stream: read and ignored
    hub::cursor cursor_;
    std::vector<chunk_ptr> chunks_, in_flight_, skipped_;
    std::vector<boost::asio::const_buffer> buffers_;
    std::atomic<int64_t> written_end_frame_{0};
    std::atomic<bool> live_{false};  // streaming_, for written_end_frame() on the hub's thread

    // Titles: one update at a time, on a connection of its own.
    std::string title_, title_sent_;
    bool title_busy_ = false;
    boost::asio::ip::tcp::socket title_socket_;
    boost::asio::steady_timer title_timer_;
    std::string title_request_, title_answer_;
    std::unique_ptr<ogg_relinker> relinker_;  // chain_titles: one per connection, its first link titled
    std::vector<unsigned char> relinked_;

    mutable std::mutex mutex_;  // status_
    push_status status_;
};

}  // namespace timeside::server::live
