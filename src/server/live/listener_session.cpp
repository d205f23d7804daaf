// The listener's write loop: one write in flight, gathering every chunk taken since the last one
// (plus ICY blocks) into one buffer sequence; idle, it parks in its shard until the hub's next
// wake-up (listener_shard.hpp). Falling behind
// is measured in stream time: the audio not yet written plus what the socket still holds
// (SIOCOUTQ, over a send buffer kept to ~0.5 s of the stream so the kernel cannot hide minutes),
// after each write; a write that never completes is found by the hub's periodic check.
#include "server/live/listener_session.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <fmt/format.h>

#include "server/http/nonblocking_write.hpp"
#include "server/live/listener_shard.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
constexpr size_t max_chunks_per_write = 512;
constexpr int min_send_buffer = 16 * 1024;
}  // namespace

listener_request read_listener_request(const http::request& req) {
    listener_request r;
    r.head_only = req.method() == http::bhttp::verb::head;
    if (auto it = req.find("Icy-MetaData"); it != req.end()) r.icy_metadata = std::atoi(std::string(it->value()).c_str()) > 0;
    r.user_agent = std::string(req[http::bhttp::field::user_agent].substr(0, 256));
    return r;
}

http::reply serve_listener(std::shared_ptr<hub> h, listener_request request, http::connection_registry& connections,
                           std::shared_ptr<events::sync_registry> sync) {
    std::shared_ptr<hub::slot> place;
    if (request.sid.empty()) sync.reset();
    if (!request.head_only) {
        auto joined = h->try_join();
        if (!joined.place) {
            auto res = http::error_reply(http::status::service_unavailable, joined.refusal);
            res.set(http::bhttp::field::retry_after, "10");
            return res;
        }
        place = std::move(joined.place);
    }
    return http::reply::take_over([h = std::move(h), place = std::move(place), request = std::move(request), &connections,
                                   sync = std::move(sync)](http::taken_connection&& c) {
        std::make_shared<listener_session>(std::move(c), h, place, request, connections, sync)->start();
    });
}

listener_session::listener_session(http::taken_connection&& taken, std::shared_ptr<hub> h, std::shared_ptr<hub::slot> place,
                                   listener_request request, http::connection_registry& connections,
                                   std::shared_ptr<events::sync_registry> sync)
    : shard_(shard_for(*h, taken.stream.get_executor())),
      socket_(http::take_socket(taken, shard_->executor())),
      hub_(std::move(h)),
      place_(std::move(place)),
      connections_(connections),
      peer_(std::move(taken.peer)),
      started_(std::chrono::steady_clock::now()),
      request_(std::move(request)) {
    if (request_.icy_metadata) icy_.emplace(hub_->settings().metaint);
    if (sync && !request_.sid.empty() && !request_.head_only) {
        sync_ = std::move(sync);
        start_noted_ = false;
    }
}

std::optional<listener_info> listener_session::listener() const {
    if (request_.head_only) return std::nullopt;
    return listener_info{peer_, request_.user_agent, request_.sid, request_.icy_metadata, started_,
                         bytes_.load(std::memory_order_relaxed)};
}

listener_session::~listener_session() {
    if (registration_) connections_.remove(registration_);
}

void listener_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    asio::dispatch(shard_->executor(), [self = shared_from_this()] {
        if (self->connections_.draining()) return self->do_close("drained");
        boost::system::error_code ec;
        // Little in the kernel, so that a client that stops reading shows as behind in seconds.
        self->bytes_per_second_ = static_cast<float>(self->hub_->bytes_per_second());
        const double rate = self->bytes_per_second_ > 0 ? self->bytes_per_second_ : 16000;
        self->socket_.set_option(asio::socket_base::send_buffer_size(std::max(min_send_buffer, static_cast<int>(rate / 2))), ec);
        asio::socket_base::send_buffer_size actual;
        self->socket_.get_option(actual, ec);
        self->send_buffer_seconds_ = ec ? 0.0f : static_cast<float>(actual.value() / rate);
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // chunks go out as they come
        self->socket_.non_blocking(true, ec);  // do_take writes what the socket takes at once
        if (!self->request_.head_only) {
            auto start = self->hub_->start();
            self->shard_->chunks() = std::move(start.headers);  // written by do_take, below
            self->cursor_ = start.from;
            self->written_end_frame_ = start.start_frame;
            self->burst_frame_ = start.start_frame;
            self->hub_->attach(self);
        }
        self->do_take();
    });
}

void listener_session::drain() { close(); }

void listener_session::close() {
    asio::post(shard_->executor(), [self = shared_from_this()] { self->do_close("drained"); });
}

void listener_session::on_behind() {
    asio::post(shard_->executor(), [self = shared_from_this()] { self->do_close("slow"); });
}

void listener_session::on_hub_closed() {
    asio::post(shard_->executor(), [self = shared_from_this()] { self->do_close("mount_closed"); });
}

// Takes what the hub has and writes it: at once when the socket takes it all (the common case:
// no handler, no allocation, no strand hop), else the rest with one async_write; with nothing to
// write it parks in its shard. The shard's vectors are empty again whenever it returns.
void listener_session::do_take() {
    auto& chunks = shard_->chunks();
    auto& buffers = shard_->buffers();
    while (!done_ && !pending_) {
        if (!request_.head_only && chunks.size() < max_chunks_per_write) {
            // Park only when there is nothing at all to write (the head is something); the shard is
            // registered for the hub's next wake-up by the first of its listeners that parks.
            const bool idle = head_sent_ && chunks.empty();
            const bool register_shard = idle && !shard_->registered();
            const auto got = hub_->take(cursor_, chunks, max_chunks_per_write - chunks.size(),
                                        register_shard ? shard_ : nullptr);
            if (got == hub::take_result::lost) {
                chunks.clear();
                return do_close("slow");
            }
            if (got == hub::take_result::none && idle) {
                if (register_shard) shard_->set_registered();
                return shard_->park(shared_from_this());
            }
        }
        if (!start_noted_) note_start(chunks);
        icy::title_ptr title;
        prepare_buffers(chunks, buffers, title);
        boost::system::error_code ec;
        const size_t total = asio::buffer_size(buffers);
        const size_t n = http::write_now(socket_, buffers, ec);
        if (!ec && n < total) {
            // The socket is full: the rest goes with one async write, which keeps what it needs.
            pending_ = std::make_unique<pending_write>();
            pending_->chunks.assign(chunks.begin(), chunks.end());
            pending_->title = std::move(title);
            pending_->written = n;
            http::consume_front(buffers, n);
            pending_->buffers.assign(buffers.begin(), buffers.end());
            chunks.clear();
            buffers.clear();
            asio::async_write(socket_, pending_->buffers,
                              beast::bind_front_handler(&listener_session::on_write, shared_from_this()));
            return;
        }
        const bool more = finish_write(ec, n, chunks);
        chunks.clear();
        buffers.clear();
        if (!more) return;
    }
}

void listener_session::note_start(const std::vector<chunk_ptr>& chunks) {
    for (const auto& c : chunks) {
        if (c->header) continue;
        start_noted_ = true;
        const int64_t frame = c->audio_frame >= 0 ? c->audio_frame : burst_frame_;
        sync_listener_ = sync_->started(request_.sid, hub_->settings().mount, frame);
        return;
    }
}

void listener_session::prepare_buffers(const std::vector<chunk_ptr>& chunks, std::vector<asio::const_buffer>& buffers,
                                       icy::title_ptr& title) {
    buffers.clear();
    if (!head_sent_) {
        const std::string& head = hub_->head(request_.icy_metadata);
        buffers.emplace_back(head.data(), head.size());
    }
    if (icy_) {
        title = hub_->title();
        for (const auto& c : chunks)
            icy_->interleave(c->bytes, *title, [&buffers](std::span<const unsigned char> p) { buffers.emplace_back(p.data(), p.size()); });
    } else {
        for (const auto& c : chunks) buffers.emplace_back(c->bytes.data(), c->bytes.size());
    }
}

void listener_session::on_write(boost::system::error_code ec, size_t bytes) {
    const auto done = std::move(pending_);
    if (finish_write(ec, done->written + bytes, done->chunks)) do_take();
}

bool listener_session::finish_write(boost::system::error_code ec, size_t bytes, const std::vector<chunk_ptr>& chunks) {
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
    hub_->add_bytes_sent(bytes);
    int64_t end = written_end_frame_.load(std::memory_order_relaxed);
    for (const auto& c : chunks)
        if (!c->header) end = std::max(end, c->end_frame);
    written_end_frame_.store(end, std::memory_order_relaxed);
    if (done_) return false;
    if (ec) {
        do_close("client_gone");
        return false;
    }
    head_sent_ = true;
    if (request_.head_only) {
        do_close("head");
        return false;
    }
    if (too_far_behind()) {
        do_close("slow");
        return false;
    }
    return true;
}

bool listener_session::too_far_behind() {
    const auto& s = hub_->settings();
    const double ring_lag = static_cast<double>(hub_->end_frame() - written_end_frame()) / s.samplerate;
    // The socket can hide at most send_buffer_seconds_: ask it only when that could matter.
    if (ring_lag + send_buffer_seconds_ <= s.queue_seconds) return false;
    if (bytes_per_second_ <= 0) bytes_per_second_ = static_cast<float>(hub_->bytes_per_second());
    int queued = 0;
    const double held = bytes_per_second_ > 0 && ::ioctl(socket_.native_handle(), SIOCOUTQ, &queued) == 0 ? queued / bytes_per_second_ : 0;
    return ring_lag + held > s.queue_seconds;
}

void listener_session::do_close(const char* why) {
    if (done_) return;
    done_ = true;
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log(log_level::info, "listener",
        {{"peer", peer_},
         {"mount", hub_->settings().mount},
         {"bytes", std::to_string(bytes_.load(std::memory_order_relaxed))},
         {"seconds", fmt::format("{:.3f}", seconds)},
         {"icy", request_.icy_metadata ? "1" : "0"},
         {"why", why}});
    if (registration_) connections_.remove(std::exchange(registration_, 0));
    if (sync_listener_) sync_->closed(request_.sid, std::exchange(sync_listener_, 0));
    place_.reset();
    // Counted once it has left: a status read never shows it both dropped and listening.
    if (std::string_view(why) == "slow") hub_->count_slow();
    shard_->unpark(this);
}

}  // namespace timeside::server::live
