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

#include "server/live/listener_shard.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
constexpr size_t max_chunks_per_write = 512;
constexpr int min_send_buffer = 16 * 1024;

// The connection's socket, moved onto `executor` (its shard's strand). expires_never() first: the
// session's timer wait would keep the stream's state allocated until its deadline (10 s).
asio::ip::tcp::socket onto(const asio::any_io_executor& executor, beast::tcp_stream& stream) {
    stream.expires_never();
    asio::ip::tcp::socket from = stream.release_socket();
    asio::ip::tcp::socket to(executor);
    boost::system::error_code ec;
    const auto local = from.local_endpoint(ec);
    if (!ec) {
        const auto fd = from.release(ec);
        if (!ec) to.assign(local.protocol(), fd, ec);
    }
    return to;  // closed when the connection was already gone: the first write says client_gone
}
}  // namespace

listener_request read_listener_request(const http::request& req) {
    listener_request r;
    r.head_only = req.method() == http::bhttp::verb::head;
    if (auto it = req.find("Icy-MetaData"); it != req.end()) r.icy_metadata = std::atoi(std::string(it->value()).c_str()) > 0;
    return r;
}

http::reply serve_listener(std::shared_ptr<hub> h, const http::request& req, http::connection_registry& connections) {
    const listener_request request = read_listener_request(req);
    std::shared_ptr<hub::slot> place;
    if (!request.head_only) {
        auto joined = h->try_join();
        if (!joined.place) {
            auto res = http::error_reply(http::status::service_unavailable, joined.refusal);
            res.set(http::bhttp::field::retry_after, "10");
            return res;
        }
        place = std::move(joined.place);
    }
    return http::reply::take_over([h = std::move(h), place = std::move(place), request, &connections](http::taken_connection&& c) {
        std::make_shared<listener_session>(std::move(c), h, place, request, connections)->start();
    });
}

listener_session::listener_session(http::taken_connection&& taken, std::shared_ptr<hub> h, std::shared_ptr<hub::slot> place,
                                   listener_request request, http::connection_registry& connections)
    : shard_(shard_for(*h, taken.stream.get_executor())),
      socket_(onto(shard_->executor(), taken.stream)),
      executor_(shard_->executor()),
      hub_(std::move(h)),
      place_(std::move(place)),
      request_(request),
      connections_(connections),
      peer_(std::move(taken.peer)),
      started_(std::chrono::steady_clock::now()) {
    if (request_.icy_metadata) icy_.emplace(hub_->settings().metaint);
}

listener_session::~listener_session() {
    if (registration_) connections_.remove(registration_);
}

void listener_session::start() {
    size_t open = 0;
    registration_ = connections_.add(weak_from_this(), open);
    asio::dispatch(executor_, [self = shared_from_this()] {
        if (self->connections_.draining()) return self->do_close("drained");
        boost::system::error_code ec;
        // Little in the kernel, so that a client that stops reading shows as behind in seconds.
        self->bytes_per_second_ = self->hub_->bytes_per_second();
        const double rate = self->bytes_per_second_ > 0 ? self->bytes_per_second_ : 16000;
        self->socket_.set_option(asio::socket_base::send_buffer_size(std::max(min_send_buffer, static_cast<int>(rate / 2))), ec);
        asio::socket_base::send_buffer_size actual;
        self->socket_.get_option(actual, ec);
        self->send_buffer_seconds_ = ec ? 0 : actual.value() / rate;
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ec);  // chunks go out as they come
        self->socket_.non_blocking(true, ec);  // do_take writes what the socket takes at once
        if (!self->request_.head_only) {
            auto start = self->hub_->start();
            self->chunks_ = std::move(start.headers);
            self->cursor_ = start.from;
            self->written_end_frame_ = start.start_frame;
            self->hub_->attach(self);
        }
        self->do_take();
    });
}

void listener_session::drain() { close(); }

void listener_session::close() {
    asio::post(executor_, [self = shared_from_this()] { self->do_close("drained"); });
}

void listener_session::on_behind() {
    asio::post(executor_, [self = shared_from_this()] { self->do_close("slow"); });
}

void listener_session::on_hub_closed() {
    asio::post(executor_, [self = shared_from_this()] { self->do_close("mount_closed"); });
}

// Takes what the hub has and writes it: at once when the socket takes it all (the common case:
// no handler, no allocation, no strand hop), else the rest with one async_write; with nothing to
// write it parks in its shard.
void listener_session::do_take() {
    while (!done_ && !writing_) {
        if (!request_.head_only && chunks_.size() < max_chunks_per_write) {
            // Park only when there is nothing at all to write (the head is something); the shard is
            // registered for the hub's next wake-up by the first of its listeners that parks.
            const bool idle = head_sent_ && chunks_.empty();
            const bool register_shard = idle && !shard_->registered();
            const auto got = hub_->take(cursor_, chunks_, max_chunks_per_write - chunks_.size(),
                                        register_shard ? shard_ : nullptr);
            if (got == hub::take_result::lost) return do_close("slow");
            if (got == hub::take_result::none && idle) {
                if (register_shard) shard_->set_registered();
                return shard_->park(shared_from_this());
            }
        }
        prepare_buffers();
        boost::system::error_code ec;
        const size_t total = asio::buffer_size(buffers_);
        size_t n = socket_.write_some(buffers_, ec);  // non-blocking
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            ec = {};
            n = 0;
        }
        if (!ec && n < total) {
            consume_buffers(n);
            partial_ = n;
            writing_ = true;
            asio::async_write(socket_, buffers_, beast::bind_front_handler(&listener_session::on_write, shared_from_this()));
            return;
        }
        if (!finish_write(ec, n)) return;
    }
}

void listener_session::prepare_buffers() {
    buffers_.clear();
    if (!head_sent_) {
        const std::string& head = hub_->head(request_.icy_metadata);
        buffers_.emplace_back(head.data(), head.size());
    }
    if (icy_) {
        title_in_flight_ = hub_->title();
        for (const auto& c : chunks_)
            icy_->interleave(c->bytes, *title_in_flight_, [this](std::span<const unsigned char> p) { buffers_.emplace_back(p.data(), p.size()); });
    } else {
        for (const auto& c : chunks_) buffers_.emplace_back(c->bytes.data(), c->bytes.size());
    }
}

void listener_session::consume_buffers(size_t n) {
    size_t whole = 0;
    while (whole < buffers_.size() && n >= buffers_[whole].size()) n -= buffers_[whole++].size();
    buffers_.erase(buffers_.begin(), buffers_.begin() + static_cast<std::ptrdiff_t>(whole));
    if (n > 0) buffers_.front() += n;
}

void listener_session::on_write(boost::system::error_code ec, size_t bytes) {
    writing_ = false;
    if (finish_write(ec, partial_ + bytes)) do_take();
}

bool listener_session::finish_write(boost::system::error_code ec, size_t bytes) {
    bytes_ += bytes;
    hub_->add_bytes_sent(bytes);
    partial_ = 0;
    int64_t end = written_end_frame_.load(std::memory_order_relaxed);
    for (const auto& c : chunks_)
        if (!c->header) end = std::max(end, c->end_frame);
    written_end_frame_.store(end, std::memory_order_relaxed);
    if (!head_sent_ && chunks_.capacity() > 8) {
        // The burst is behind: a live write holds a chunk or two; 10,000 listeners keep only that.
        std::vector<chunk_ptr>().swap(chunks_);  // (`= {}` would keep the capacity)
        std::vector<asio::const_buffer>().swap(buffers_);
    }
    chunks_.clear();
    title_in_flight_.reset();
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
    if (bytes_per_second_ <= 0) bytes_per_second_ = hub_->bytes_per_second();
    int queued = 0;
    const double held = bytes_per_second_ > 0 && ::ioctl(socket_.native_handle(), SIOCOUTQ, &queued) == 0 ? queued / bytes_per_second_ : 0;
    return ring_lag + held > s.queue_seconds;
}

void listener_session::do_close(const char* why) {
    if (done_) return;
    done_ = true;
    if (std::string_view(why) == "slow") hub_->count_slow();
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    log(log_level::info, "listener",
        {{"peer", peer_},
         {"mount", hub_->settings().mount},
         {"bytes", std::to_string(bytes_)},
         {"seconds", fmt::format("{:.3f}", seconds)},
         {"icy", request_.icy_metadata ? "1" : "0"},
         {"why", why}});
    if (registration_) connections_.remove(std::exchange(registration_, 0));
    place_.reset();
    shard_->unpark(this);
}

}  // namespace timeside::server::live
