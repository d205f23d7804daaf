// How GStreamer's callbacks reach the object that registered them without outliving it. Setting a
// pipeline to NULL does not always stop every thread that can call back: decodebin may still be
// plugging a parser in a streaming thread, whose new pad then reaches "pad-added" after the owner
// is gone (the decode fuzzer found it with an ID3-wrapped MPEG stream). So callbacks are given a
// reference to a shared state, not the owner: each runs under its shared lock, the owner detaches
// under the exclusive lock (waiting for the callbacks running now), and a late callback finds none.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>

#include <gst/gst.h>

namespace timeside {

template <typename Owner>
class gst_callback_guard {
    struct state {
        std::shared_mutex mutex;
        Owner* owner = nullptr;
    };
    using ref = std::shared_ptr<state>;

public:
    explicit gst_callback_guard(Owner* owner) : state_(std::make_shared<state>()) { state_->owner = owner; }
    // Declare the guard as the owner's last member: it detaches before the members callbacks use
    // are destroyed. Release a callback that may be waiting (a full queue) before that.
    ~gst_callback_guard() { detach(); }
    gst_callback_guard(const gst_callback_guard&) = delete;
    gst_callback_guard& operator=(const gst_callback_guard&) = delete;

    // From now on no callback reaches the owner; returns once the callbacks running now are done.
    void detach() noexcept {
        std::unique_lock lock(state_->mutex);
        state_->owner = nullptr;
    }

    // A signal handler whose user data is this guard.
    void connect(gpointer instance, const char* signal, GCallback callback) const {
        g_signal_connect_data(instance, signal, callback, user_data(), release_closure, GConnectFlags{});
    }
    // User data for a C API that takes a destroy notify (gst_app_sink_set_callbacks): `release`.
    gpointer user_data() const { return new ref(state_); }
    static void release(gpointer data) { delete static_cast<ref*>(data); }

    // In a callback, over its body: the owner, or null once it detached.
    class scope {
    public:
        explicit scope(gpointer data) : state_(**static_cast<ref*>(data)), lock_(state_.mutex) {}
        Owner* owner() const { return state_.owner; }

    private:
        state& state_;
        std::shared_lock<std::shared_mutex> lock_;
    };

private:
    static void release_closure(gpointer data, GClosure*) { release(data); }
    ref state_;
};

}  // namespace timeside
