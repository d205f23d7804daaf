// A running mount as the station holds it: the definition it was built from, one hub per output,
// the events feed, the engine, and for an ingest mount the side a source client attaches through.
// Private to the station's files (station*.cpp); the routes reach a mount through the station.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/events/event_hub.hpp"
#include "server/hls/hls_lane.hpp"
#include "server/hls/hls_segmenter.hpp"
#include "server/live/hub.hpp"
#include "server/live/icecast_push.hpp"
#include "server/live/ingest_session.hpp"
#include "server/live/mount.hpp"
#include "server/live/push_input.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

// What a source client said about itself, while it is on.
struct source_record {
    source_info info;
    std::shared_ptr<live_input> input;
};

// The ingest side of one mount: what ingest_session needs, over the engine's mount.
class mount_ingest : public ingest_mount {
public:
    mount_ingest(std::shared_ptr<const stream_definition> def, mount& engine) : def_(std::move(def)), engine_(engine) {}

    std::string source_password() const override { return def_->input.password; }
    audio_format format() const override { return {def_->samplerate, def_->channels}; }
    std::chrono::milliseconds source_timeout() const override { return def_->source_timeout; }

    bool attach_source(std::shared_ptr<live_input> input, const source_info& info) override {
        if (!engine_.attach_source(input)) return false;
        std::lock_guard lock(mutex_);
        source_ = source_record{info, std::move(input)};
        return true;
    }
    // A source that ended its body plays out what it sent: the engine lets go of it once its
    // input reads `ended` (or `failed`: stopped, cut off). Here only its description goes.
    void detach_source(const std::shared_ptr<live_input>& input) override {
        std::lock_guard lock(mutex_);
        if (source_ && source_->input == input) source_.reset();
    }
    std::optional<source_info> source() const {
        std::lock_guard lock(mutex_);
        if (!source_) return std::nullopt;
        return source_->info;
    }
    // The bytes the connected source sent so far (its body, as fed to the decoder); 0 without one.
    uint64_t source_bytes() const {
        std::lock_guard lock(mutex_);
        const auto* pushed = source_ ? dynamic_cast<const push_input*>(source_->input.get()) : nullptr;
        return pushed ? pushed->bytes_fed() : 0;
    }

private:
    std::shared_ptr<const stream_definition> def_;
    mount& engine_;
    mutable std::mutex mutex_;
    std::optional<source_record> source_;
};

struct running_mount {
    std::shared_ptr<const stream_definition> def;
    std::vector<std::shared_ptr<hub>> hubs;  // one per output, in the definition's order
    std::shared_ptr<events::event_hub> events;
    std::unique_ptr<mount> engine;
    std::shared_ptr<mount_ingest> ingest;  // kind icecast only
    // The outputs' pushes to Icecast servers (push = [...]), each with its output's index; they
    // start once the engine runs and stop with the mount (a changed definition restarts them
    // with it, an unchanged one keeps them).
    std::vector<std::shared_ptr<icecast_push>> pushes;
    std::vector<size_t> push_output;
    // HLS, cut from the MP3 output's chunks (null: [hls] enabled = false, or no MP3 output).
    std::shared_ptr<hls::hls_segmenter> hls;
    // No MP3 output: the encode that feeds `hls`, run while HLS is asked for (null otherwise).
    std::shared_ptr<hls::hls_lane> lane;

    void start_pushes() {
        const std::string title = engine->title();
        for (auto& p : pushes) {
            if (!title.empty()) p->set_title(title);
            p->start();
        }
    }

    // `why`: what the event subscribers are told before they are closed ("stopped", "restarted",
    // "shutdown"). A replaced mount's subscribers are closed too, as its listeners are: its
    // stream time starts again from 0 and its analyzers may differ, so they come back (1012) to a
    // fresh hello rather than carry on in a timeline that no longer holds.
    void stop(const std::string& why) noexcept {
        if (lane) lane->stop();
        for (auto& p : pushes) p->stop();
        if (engine) engine->stop();
        for (auto& h : hubs) h->close_listeners();
        if (events) events->close(why);
    }
};

}  // namespace timeside::server::live
