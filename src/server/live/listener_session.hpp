// An Icecast listener: the connection taken over from the HTTP session for GET/HEAD
// /live/{id}.{ext}. It writes Icecast's listener head itself (HTTP/1.0, no Content-Length, the
// body ends with the connection), then the hub's headers, the burst and the live chunks, with ICY
// blocks interleaved when the request asked (`Icy-MetaData: 1`), for every format.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "server/events/sync_registry.hpp"
#include "server/http/connections.hpp"
#include "server/http/reply.hpp"
#include "server/live/hub.hpp"
#include "server/live/icy.hpp"
#include "server/live/listener_head.hpp"

namespace timeside::server::live {

// What the listener's request asked for.
struct listener_request {
    bool head_only = false;     // HEAD: the head, then close
    bool icy_metadata = false;  // `Icy-MetaData: 1` (any positive number, as Icecast)
    std::string sid;            // `?sid=TOKEN` (checked by the route): its start frame is recorded
    std::string user_agent;     // for the admin's listener list
};
listener_request read_listener_request(const http::request& req);

// The route handler's answer for GET or HEAD /live/{id}.{ext} (the lead's route):
//
//     http::route_options o;
//     o.cors_headers = {"Icy-MetaData"};  // browser players' preflight
//     routes.add({verb::get}, "/live/{id}.{ext}", [&](const http::request_context& ctx) {
//         auto h = /* the hub of that mount's output with that extension, else throw 404 */;
//         return live::serve_listener(std::move(h), ctx.req, connections);
//     }, o);
//
// GET takes a place under the hub's `max` and the server's budget: a 503 JSON error naming the
// full cap when there is none (with Retry-After), else a takeover that starts a listener_session
// on the connection's strand. HEAD takes no place: it gets the same head, and the connection closes.
// With a `sid` (request.sid), the listener's start frame goes to `sync` (the mount's
// sync_registry) when its first audio is taken; without one, `sync` is never used.
http::reply serve_listener(std::shared_ptr<hub> h, listener_request request, http::connection_registry& connections,
                           std::shared_ptr<events::sync_registry> sync = nullptr);

class listener_shard;

class listener_session : public http::connection, public hub_reader,
                         public std::enable_shared_from_this<listener_session> {
public:
    // `place` may be null (HEAD).
    listener_session(http::taken_connection&& taken, std::shared_ptr<hub> h, std::shared_ptr<hub::slot> place,
                     listener_request request, http::connection_registry& connections,
                     std::shared_ptr<events::sync_registry> sync = nullptr);
    ~listener_session() override;

    void start();
    // Both close at once: a live stream never ends by itself, a draining server must not wait.
    void drain() override;
    void close() override;
    // On its shard's strand, at a wake-up: writes what arrived, or parks again.
    void resume() { do_take(); }
    void on_behind() override;
    void on_hub_closed() override;
    int64_t written_end_frame() const override { return written_end_frame_.load(std::memory_order_relaxed); }
    std::optional<listener_info> listener() const override;

private:
    // A write the socket did not take at once: what it still needs, kept until it completes.
    struct pending_write {
        std::vector<chunk_ptr> chunks;
        icy::title_ptr title;
        std::vector<boost::asio::const_buffer> buffers;
        size_t written = 0;  // taken at once, before the async_write
    };

    void do_take();
    // Gathers `chunks` (with the head first, and ICY blocks) into `buffers`; `title`: the ICY
    // title the blocks point into.
    void prepare_buffers(const std::vector<chunk_ptr>& chunks, std::vector<boost::asio::const_buffer>& buffers,
                         icy::title_ptr& title);
    void on_write(boost::system::error_code ec, size_t bytes);
    // Accounts a completed write of `chunks`; false when the listener is closed (by it or before it).
    bool finish_write(boost::system::error_code ec, size_t bytes, const std::vector<chunk_ptr>& chunks);
    void do_close(const char* why);
    bool too_far_behind();  // after a write: the audio not yet written and what the socket holds
    // The first audio chunk taken is where the player's decoder starts: its start frame is recorded.
    void note_start(const std::vector<chunk_ptr>& chunks);

    // The wake-up shard whose strand everything of this listener runs on; the socket is moved
    // onto that strand. A plain socket: no timer per write (the hub's check finds a stuck write).
    // What a listener takes and writes is gathered in the shard's vectors (listener_shard.hpp):
    // an idle listener holds no buffers.
    std::shared_ptr<listener_shard> shard_;
    boost::asio::ip::tcp::socket socket_;
    std::shared_ptr<hub> hub_;
    std::shared_ptr<hub::slot> place_;
    http::connection_registry& connections_;
    uint64_t registration_ = 0;
    std::string peer_;

    hub::cursor cursor_;
    std::unique_ptr<pending_write> pending_;  // the write in flight, if the socket was full
    std::optional<icy::interleaver> icy_;
    std::atomic<int64_t> written_end_frame_{0};  // the end of the audio written so far (or the burst's start)
    float bytes_per_second_ = 0;
    float send_buffer_seconds_ = 0;  // what the socket can hold, in stream time

    std::atomic<uint64_t> bytes_{0};  // written on the shard's strand, read by listener() anywhere
    std::chrono::steady_clock::time_point started_;
    listener_request request_;
    std::shared_ptr<events::sync_registry> sync_;  // null without a sid
    uint64_t sync_listener_ = 0;  // its entry in sync_
    int64_t burst_frame_ = 0;     // hub::start()'s start_frame: the fallback when the chunk has no audio_frame
    bool start_noted_ = true;     // false while a listener with a sid has not taken audio yet
    bool head_sent_ = false;
    bool done_ = false;
};

}  // namespace timeside::server::live
