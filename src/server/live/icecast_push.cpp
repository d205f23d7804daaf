// The push's connection, on its strand: resolve, connect, send the source request, read the
// answer (100/200: stream; 400/405/501 or a close to PUT: SOURCE at once; else back off), then
// the hub's chunks, one gathered write at a time, while reading whatever the server says until it
// closes. Every handler checks `attempt_`: one of a connection already given up does nothing.
#include "server/live/icecast_push.hpp"

#include <algorithm>

#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "server/http/nonblocking_write.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t max_answer = 16 * 1024;
constexpr size_t max_chunks_per_write = 256;
constexpr auto batch_interval = std::chrono::milliseconds(250);
}  // namespace

icecast_push::icecast_push(asio::any_io_executor executor, std::shared_ptr<hub> h, icecast_push_options options)
    : options_(std::move(options)),
      hub_(std::move(h)),
      strand_(asio::make_strand(executor)),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_),
      batch_timer_(strand_),
      backoff_(options_.first_backoff, options_.max_backoff, options_.backoff_reset),
      title_socket_(strand_),
      title_timer_(strand_) {
    status_.url = options_.target.redacted();
    status_.state = "connecting";
    status_.method = "PUT";
    status_.since = std::chrono::system_clock::now();
}

icecast_push::~icecast_push() = default;

void icecast_push::start() {
    asio::dispatch(strand_, [self = shared_from_this()] {
        if (self->started_ || self->stopped_) return;
        self->started_ = true;
        self->written_end_frame_ = self->hub_->end_frame();
        self->hub_->attach(self);
        self->do_connect();
    });
}

void icecast_push::stop() {
    asio::dispatch(strand_, [self = shared_from_this()] {
        if (self->stopped_) return;
        self->stopped_ = true;
        ++self->attempt_;
        self->close_socket();
        boost::system::error_code ec;
        self->title_socket_.close(ec);
        self->title_timer_.cancel();
        self->set_state("stopped");
    });
}

void icecast_push::set_title(std::string title) {
    asio::dispatch(strand_, [self = shared_from_this(), title = std::move(title)]() mutable {
        self->title_ = std::move(title);
        if (self->relinker_) self->relinker_->set_title(self->title_);
        self->send_title();
    });
}

push_status icecast_push::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

int64_t icecast_push::written_end_frame() const {
    // Not streaming: nothing of ours is waiting on it, it is never behind.
    return live_.load() ? written_end_frame_.load() : hub_->end_frame();
}

void icecast_push::on_chunks() {
    asio::post(strand_, [self = shared_from_this()] { self->on_chunks_here(); });
}

void icecast_push::on_chunks_here() {
    if (batch_waiting_ || !streaming_) return;
    const auto due = last_write_ + batch_interval;
    if (std::chrono::steady_clock::now() >= due) return do_take();
    batch_waiting_ = true;
    batch_timer_.expires_at(due);
    const uint64_t attempt = attempt_;
    batch_timer_.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
        self->batch_waiting_ = false;
        if (!ec && attempt == self->attempt_) self->do_take();
    });
}

void icecast_push::on_behind() {
    asio::post(strand_, [self = shared_from_this()] {
        if (self->streaming_) self->fail("fell more than the output's queue behind: the server does not read fast enough", true);
    });
}

void icecast_push::set_state(const char* state) {
    std::lock_guard lock(mutex_);
    if (status_.state == state) return;
    status_.state = state;
    status_.since = std::chrono::system_clock::now();
}

void icecast_push::close_socket() {
    boost::system::error_code ec;
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    timer_.cancel();
    batch_timer_.cancel();
    streaming_ = writing_ = false;
    live_ = false;
}

void icecast_push::do_connect() {
    if (stopped_) return;
    const uint64_t attempt = ++attempt_;
    set_state("connecting");
    {
        std::lock_guard lock(mutex_);
        status_.method = method_ == push_method::put ? "PUT" : "SOURCE";
    }
    timer_.expires_after(options_.answer_timeout);
    timer_.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
        if (ec || attempt != self->attempt_ || self->streaming_) return;
        self->fail(fmt::format("no answer within {} ms", self->options_.answer_timeout.count()));
    });
    resolver_.async_resolve(options_.target.host, std::to_string(options_.target.port),
                            [self = shared_from_this(), attempt](boost::system::error_code ec, tcp::resolver::results_type r) {
                                if (attempt == self->attempt_) self->on_resolved(ec, std::move(r));
                            });
}

void icecast_push::on_resolved(boost::system::error_code ec, tcp::resolver::results_type results) {
    if (ec) return fail(fmt::format("cannot resolve {}: {}", options_.target.host, ec.message()));
    const uint64_t attempt = attempt_;
    asio::async_connect(socket_, results, [self = shared_from_this(), attempt](boost::system::error_code e, const tcp::endpoint&) {
        if (attempt == self->attempt_) self->on_connected(e);
    });
}

void icecast_push::on_connected(boost::system::error_code ec) {
    if (ec) return fail(fmt::format("cannot connect to {}:{}: {}", options_.target.host, options_.target.port, ec.message()));
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // Little in the kernel (as for a listener): a server that stops reading shows as behind in
    // seconds, and the hub's check drops it, instead of minutes hidden in socket buffers.
    const double rate = hub_->bytes_per_second() > 0 ? hub_->bytes_per_second() : 16000;
    socket_.set_option(asio::socket_base::send_buffer_size(std::max(16 * 1024, static_cast<int>(rate / 2))), ignored);
    request_ = source_request(options_.target, method_, options_.info);
    answer_.clear();
    const uint64_t attempt = attempt_;
    asio::async_write(socket_, asio::buffer(request_), [self = shared_from_this(), attempt](boost::system::error_code e, size_t) {
        if (attempt != self->attempt_) return;
        if (e) return self->fail(fmt::format("sending the request: {}", e.message()));
        asio::async_read_until(self->socket_, asio::dynamic_buffer(self->answer_, max_answer), "\r\n\r\n",
                               [self, attempt](boost::system::error_code e2, size_t n) {
                                   if (attempt == self->attempt_) self->on_answer(e2, n);
                               });
    });
}

void icecast_push::retry_now() {
    method_ = push_method::source;
    close_socket();
    log(log_level::info, "push_fallback", {{"url", options_.target.redacted()}, {"method", "SOURCE"}});
    asio::post(strand_, [self = shared_from_this()] { self->do_connect(); });
}

void icecast_push::on_answer(boost::system::error_code ec, size_t bytes) {
    if (ec) {
        // A server that closes on PUT without a word predates it: SOURCE, as libshout would.
        if (method_ == push_method::put && (ec == asio::error::eof || ec == asio::error::connection_reset)) return retry_now();
        return fail(fmt::format("reading the answer: {}", ec.message()));
    }
    const std::string line = answer_.substr(0, answer_.find("\r\n"));
    const auto code = response_status(line);
    if (!code) return fail(fmt::format("not an HTTP answer: '{}'", line.substr(0, 80)));
    if (*code == 100 || (*code >= 200 && *code < 300)) {
        answer_.erase(0, bytes);
        return start_streaming();
    }
    if (method_ == push_method::put && asks_for_source(*code)) return retry_now();
    fail(refusal_text(*code, line));
}

void icecast_push::start_streaming() {
    timer_.cancel();
    streaming_ = true;
    boost::system::error_code nb;
    socket_.non_blocking(true, nb);  // do_take writes what the socket takes at once
    // The headers, then the live edge: a relay wants no burst. What the hub would burst is passed
    // over (the ring is bounded: so is this), then chunks up to the next point a decoder can start.
    auto start = hub_->start();
    cursor_ = start.from;
    for (int i = 0; i < 64 && hub_->take(cursor_, skipped_, max_chunks_per_write) == hub::take_result::data; ++i)
        skipped_.clear();
    skipped_.clear();
    cursor_.synced = false;
    written_end_frame_ = hub_->end_frame();
    live_ = true;
    chunks_ = std::move(start.headers);
    if (options_.chain_titles) {
        // A new connection is a new physical stream for the server: a fresh first link, with the title.
        relinker_ = std::make_unique<ogg_relinker>(ogg_relink_options{options_.chain_min_seconds, {}});
        relinker_->set_title(title_);
    }
    backoff_.connected(std::chrono::steady_clock::now());
    set_state("connected");
    {
        std::lock_guard lock(mutex_);
        status_.last_error.clear();
    }
    log(log_level::info, "push_connected", {{"mount", hub_->settings().mount}, {"url", options_.target.redacted()},
                                            {"method", method_ == push_method::put ? "PUT" : "SOURCE"}});
    do_read_server();
    do_take();
    title_sent_.clear();
    send_title();
}

void icecast_push::do_read_server() {
    const uint64_t attempt = attempt_;
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this(), attempt](boost::system::error_code ec, size_t) {
                                if (attempt != self->attempt_) return;
                                if (ec) return self->fail(ec == asio::error::eof ? "the server closed the connection"
                                                                                 : "connection lost: " + ec.message());
                                self->do_read_server();  // "200 OK" after the 100, or anything else: ignored
                            });
}

// Takes what the hub has and writes it: at once when the socket takes it all (the common case, a
// relay reads as fast as we send: no handler, no strand hop), else the rest with one async_write;
// with nothing to write it waits for the hub's next publish.
void icecast_push::do_take() {
    while (streaming_ && !writing_ && !stopped_) {
        const size_t room = chunks_.size() < max_chunks_per_write ? max_chunks_per_write - chunks_.size() : 1;
        auto got = hub_->take(cursor_, chunks_, room);
        // Nothing at all to write: wait for the next publish (take again, so none slips in between).
        if (got == hub::take_result::none && chunks_.empty()) got = hub_->take(cursor_, chunks_, room, shared_from_this());
        if (got == hub::take_result::lost) return fail("fell out of the output's ring: the server does not read fast enough", true);
        if (relinker_ && !chunks_.empty()) {
            relink_chunks();
            if (chunks_.empty()) continue;  // headers held for the first link: take (and wait) again
        }
        if (chunks_.empty()) return;  // woken by the next publish
        in_flight_.swap(chunks_);
        chunks_.clear();
        buffers_.clear();
        for (const auto& c : in_flight_) buffers_.emplace_back(c->bytes.data(), c->bytes.size());
        boost::system::error_code ec;
        const size_t total = asio::buffer_size(buffers_);
        last_write_ = std::chrono::steady_clock::now();
        const size_t n = http::write_now(socket_, buffers_, ec);
        if (!ec && n < total) {
            http::consume_front(buffers_, n);
            writing_ = true;
            const uint64_t attempt = attempt_;
            asio::async_write(socket_, buffers_, [self = shared_from_this(), attempt, n](boost::system::error_code e, size_t m) {
                if (attempt == self->attempt_) self->on_write(e, n + m);
            });
            return;
        }
        if (!written(ec, n)) return;
    }
}

void icecast_push::on_write(boost::system::error_code ec, size_t bytes) {
    writing_ = false;
    if (written(ec, bytes)) do_take();
}

bool icecast_push::written(boost::system::error_code ec, size_t bytes) {
    {
        std::lock_guard lock(mutex_);
        status_.bytes += bytes;
    }
    int64_t end = written_end_frame_.load();
    for (const auto& c : in_flight_)
        if (!c->header) end = std::max(end, c->end_frame);
    written_end_frame_ = end;
    in_flight_.clear();
    if (!ec) return true;
    fail("writing: " + ec.message());
    return false;
}

void icecast_push::fail(const std::string& why, bool dropped_behind) {
    if (stopped_) return;
    const bool was_streaming = streaming_;
    ++attempt_;
    close_socket();
    if (was_streaming) backoff_.dropped(std::chrono::steady_clock::now());
    const auto delay = backoff_.next();
    {
        std::lock_guard lock(mutex_);
        status_.last_error = why;
        ++status_.reconnects;
        if (dropped_behind) ++status_.dropped_behind;
    }
    set_state("backing_off");
    log(log_level::warn, "push_failed", {{"mount", hub_->settings().mount}, {"url", options_.target.redacted()},
                                         {"error", why}, {"retry_ms", std::to_string(delay.count())}});
    const uint64_t attempt = attempt_;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this(), attempt](boost::system::error_code ec) {
        if (!ec && attempt == self->attempt_) self->do_connect();
    });
}

void icecast_push::relink_chunks() {
    relinked_.clear();
    int64_t end = -1;
    const int64_t titled = relinker_->titled_links();
    for (const auto& c : chunks_) {
        relinker_->feed(c->bytes, relinked_);
        if (!c->header) end = std::max(end, c->end_frame);
    }
    chunks_.clear();
    if (const int64_t n = relinker_->titled_links() - titled; n > 0) {
        std::lock_guard lock(mutex_);
        status_.titles_sent += static_cast<uint64_t>(n);
    }
    if (relinked_.empty()) return;
    auto c = std::make_shared<live_chunk>();
    c->bytes.swap(relinked_);
    c->header = end < 0;  // only header pages: no audio frame reached
    c->end_frame = std::max<int64_t>(end, 0);
    chunks_.push_back(std::move(c));
}

// Titles: GET /admin/metadata on a connection of its own, the newest title only, while connected.
void icecast_push::send_title() {
    if (!options_.send_titles || !streaming_ || title_busy_ || title_.empty() || title_ == title_sent_) return;
    boost::system::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    if (ec) return;
    title_busy_ = true;
    title_sent_ = title_;
    title_request_ = metadata_request(options_.target, title_);
    title_answer_.clear();
    title_socket_ = tcp::socket(strand_);
    title_timer_.expires_after(options_.answer_timeout);
    title_timer_.async_wait([self = shared_from_this()](boost::system::error_code e) {
        if (e) return;
        boost::system::error_code ignored;
        self->title_socket_.close(ignored);  // the pending operation completes with an error
    });
    title_socket_.async_connect(peer, [self = shared_from_this()](boost::system::error_code e) {
        if (e) return self->on_title_done(e);
        asio::async_write(self->title_socket_, asio::buffer(self->title_request_), [self](boost::system::error_code e2, size_t) {
            if (e2) return self->on_title_done(e2);
            asio::async_read_until(self->title_socket_, asio::dynamic_buffer(self->title_answer_, max_answer), "\r\n",
                                   [self](boost::system::error_code e3, size_t) { self->on_title_done(e3); });
        });
    });
}

void icecast_push::on_title_done(boost::system::error_code ec) {
    title_busy_ = false;
    title_timer_.cancel();
    boost::system::error_code ignored;
    title_socket_.close(ignored);
    const std::string line = title_answer_.substr(0, title_answer_.find("\r\n"));
    const auto code = response_status(line);
    {
        std::lock_guard lock(mutex_);
        if (!ec && code && *code == 200) {
            ++status_.titles_sent;
            status_.title_error.clear();
        } else {
            status_.title_error = ec ? "title update: " + ec.message() : "title update: " + refusal_text(code.value_or(0), line);
        }
    }
    if (!stopped_) send_title();  // a newer title came meanwhile
}

}  // namespace timeside::server::live
