// A subscriber takes up to a batch of messages from the ring at once and writes them one by one;
// messages its filter or its current rate do not want are skipped here, the cursor past them.
#include "server/events/feed_cursor.hpp"

namespace timeside::server::events {

namespace {
constexpr size_t take_batch = 64;
constexpr size_t max_private = 64;
}  // namespace

feed_cursor::feed_cursor(std::shared_ptr<event_hub> hub, std::shared_ptr<event_hub::place> place, subscription sub)
    : hub_(std::move(hub)), place_(std::move(place)), catalog_(hub_->get_catalog()), sub_(std::move(sub)) {}

void feed_cursor::attach(const std::shared_ptr<feed_reader>& self, std::optional<uint64_t> last_event_id) {
    std::optional<resume_info> resume;
    cursor_ = start_seq_ = hub_->attach(self, sub_.rate, sub_.columns, last_event_id, resume);
    watch(self);
    static const catalog empty;
    push_private(hello_json(catalog_ ? *catalog_ : empty, hub_->stream_frame(), start_seq_, sub_.to_json(), resume));
}

void feed_cursor::detach(feed_reader* self) {
    hub_->detach(self);
    if (!sub_.sid.empty()) hub_->sync()->unwatch(sub_.sid, self);
}

// The registry's entry at the time of watching goes into the subscription (hello, subscribed);
// later starts come as start_frame messages.
void feed_cursor::watch(const std::shared_ptr<feed_reader>& self) {
    sub_.start_frame.reset();
    sub_.output.clear();
    if (sub_.sid.empty()) return;
    if (auto s = hub_->sync()->watch(sub_.sid, self)) {
        sub_.start_frame = s->start_frame;
        sub_.output = s->output;
        listener_ = s->listener;
    }
}

void feed_cursor::listener_started(const listener_start& start) {
    if (start.sid != sub_.sid || start.listener == listener_) return;  // an old sid's, or already told
    listener_ = start.listener;
    sub_.start_frame = start.start_frame;
    sub_.output = start.output;
    push_private(start_frame_json(start.sid, start.output, start.start_frame, hub_->settings().samplerate));
}

void feed_cursor::rate_changed(int rate, bool raised) {
    sub_.rate = rate;
    push_private(subscribed_json(sub_, raised ? "recovered" : "slow"));
}

void feed_cursor::resubscribe(const std::shared_ptr<feed_reader>& self, subscription sub) {
    hub_->set_rate(*self, sub.rate, sub.columns);
    const bool same_sid = sub.sid == sub_.sid;
    if (!same_sid && !sub_.sid.empty()) hub_->sync()->unwatch(sub_.sid, self.get());
    if (same_sid) {
        sub.start_frame = sub_.start_frame;
        sub.output = sub_.output;
    }
    sub_ = std::move(sub);
    if (!same_sid) {
        listener_ = 0;
        watch(self);
    }
    push_private(subscribed_json(sub_, "asked"));
}

bool feed_cursor::push_private(std::string json) {
    if (private_.size() - private_at_ >= max_private) return false;
    private_.push_back(std::make_shared<const std::string>(std::move(json)));
    return true;
}

void feed_cursor::push_closing(message_ptr closing) { closing_ = std::move(closing); }

feed_cursor::next_result feed_cursor::next(outgoing& out, const std::shared_ptr<feed_waiter>& waiter, feed_reader& self) {
    out = {};
    if (private_at_ < private_.size()) {
        out.own = std::move(private_[private_at_++]);
        if (private_at_ == private_.size()) {
            private_.clear();
            private_at_ = 0;
        }
        return next_result::item;
    }
    for (;;) {
        const int rate = self.rate.load();
        while (shared_at_ < shared_.size()) {
            message_ptr m = std::move(shared_[shared_at_++]);
            if (!m->closing.empty()) {
                closing_sent_ = true;
            } else if ((m->rate != 0 && m->rate != rate) || (!m->result_id.empty() && !sub_.wants(m->result_id)) ||
                       m->binary != (sub_.columns && m->rate != 0 && catalog_ && catalog_->spectra.count(m->result_id))) {
                continue;  // another rate's (it was lowered), not asked for, or the other form of a spectrum
            }
            out.shared = std::move(m);
            return next_result::item;
        }
        shared_.clear();
        shared_at_ = 0;
        if (shared_.capacity() > take_batch / 4) shared_ = {};  // a burst's worth is not kept by an idle subscriber
        mark_done(self);
        if (closing_sent_) return next_result::closed;
        const auto got = hub_->take(cursor_, rate, shared_, take_batch, closing_ ? nullptr : waiter);
        if (got == event_hub::take_result::lost) return next_result::lost;
        if (got == event_hub::take_result::data) continue;
        if (closing_ && !closing_sent_) {  // the hub closed before its closing news reached this cursor: send it now
            closing_sent_ = true;
            out.shared = closing_;
            return next_result::item;
        }
        return got == event_hub::take_result::closed ? next_result::closed : next_result::idle;
    }
}

void feed_cursor::written(const outgoing& item, feed_reader& self) {
    if (item.shared) hub_->count_delivered(item.shared->made, std::chrono::steady_clock::now());
    mark_done(self);
}

void feed_cursor::mark_done(feed_reader& self) {
    self.done_seq.store(shared_at_ == shared_.size() ? cursor_ : shared_[shared_at_]->seq - 1, std::memory_order_relaxed);
}

}  // namespace timeside::server::events
