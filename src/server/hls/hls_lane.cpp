// hls_lane: the on-demand encode's thread: subscribe, encode, stop when idle.
#include "server/hls/hls_lane.hpp"

#include <fmt/format.h>

#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "server/log.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "core/thread_name.hpp"
#include "server/live/output_sink.hpp"

namespace timeside::server::hls {

namespace {

int64_t now_ticks() {
    return std::chrono::steady_clock::now().time_since_epoch().count();
}

}  // namespace

double hls_lane_idle_seconds(double segment_seconds, unsigned window) {
    return 3.0 * window * segment_seconds;
}

hls_lane::hls_lane(hls_lane_settings settings, std::shared_ptr<hls_segmenter> hls, std::shared_ptr<audio_feed> feed)
    : settings_(std::move(settings)), hls_(std::move(hls)), feed_(std::move(feed)) {
    // Checked here, where a bad spec is a setup error, rather than on the first request.
    const auto spec = parse_spec(settings_.encoder_spec);
    if (!get_processor_as<encoder>(spec.id, spec.parameters))
        throw usage_error(fmt::format("[hls]: '{}' is not an encoder", settings_.encoder_spec));
}

std::shared_ptr<hls_lane> hls_lane::make(hls_lane_settings settings, std::shared_ptr<hls_segmenter> hls,
                                         std::shared_ptr<audio_feed> feed) {
    auto lane = std::make_shared<hls_lane>(std::move(settings), hls, std::move(feed));
    hls->set_demand([weak = std::weak_ptr<hls_lane>(lane)] {
        auto l = weak.lock();
        return l && l->touch();
    });
    return lane;
}

hls_lane::~hls_lane() {
    stop();
}

bool hls_lane::touch() {
    std::lock_guard lock(mutex_);
    if (stop_.load()) return false;
    last_touch_.store(now_ticks());
    if (running_.load()) return true;
    // The previous run set running_ false as the last thing it did: this join is immediate.
    if (thread_.joinable()) thread_.join();
    running_ = true;
    starts_.fetch_add(1);
    thread_ = std::thread([this] {
        name_this_thread("hls");
        run();
    });
    return true;
}

void hls_lane::stop() noexcept {
    std::thread t;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        t = std::move(thread_);
    }
    if (t.joinable()) t.join();
    hls_->close_waiters();
}

void hls_lane::run() {
    const std::string& id = hls_->settings().mount_id;
    for (;;) {
        const int64_t began = now_ticks();
        bool idle = false;
        try {
            idle = encode();
        } catch (const std::exception& e) {
            log(log_level::error, "hls_lane", {{"mount", id}, {"error", e.what()}});
        }
        hls_->clear();
        std::lock_guard lock(mutex_);
        // A request that came while the encode wound down starts it again here.
        if (idle && !stop_.load() && last_touch_.load() > began) {
            const std::chrono::steady_clock::duration elapsed(now_ticks() - last_touch_.load());
            if (elapsed < std::chrono::duration<double>(settings_.idle_seconds)) continue;
        }
        hls_->fail_waiters();
        running_ = false;
        log(log_level::info, "hls_lane_stopped", {{"mount", id}, {"why", idle ? "idle" : "ended"}});
        return;
    }
}

bool hls_lane::encode() {
    const auto idle = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(settings_.idle_seconds));
    // Two seconds of blocks held for the lane: more than its worst scheduling delay.
    auto reader = feed_->subscribe(2.0);
    const auto spec = parse_spec(settings_.encoder_spec);
    std::shared_ptr<encoder> enc;
    std::shared_ptr<live::output_sink> sink;
    int64_t next_frame = -1;
    std::vector<block_ptr> blocks;
    log(log_level::info, "hls_lane_started", {{"mount", hls_->settings().mount_id}});
    struct abort_guard {
        std::shared_ptr<encoder>& e;
        ~abort_guard() {
            if (e) e->abort();
        }
    } guard{enc};
    while (!stop_.load()) {
        blocks.clear();
        const auto st = reader->take(blocks);
        if (st == live::live_input::status::ended) return false;
        for (const auto& b : blocks) {
            // The first block, or blocks lost while this thread was late: a new encoder from
            // here (the segmenter marks the discontinuity), so stream frames stay exact.
            if (!enc || b->position() != next_frame) {
                if (enc) enc->abort();
                enc = get_processor_as<encoder>(spec.id, spec.parameters);
                sink = std::make_shared<live::output_sink>(hls_, "mp3", feed_->format().samplerate);
                enc->set_sink(sink);
                stream_info info;
                info.format = b->format();
                info.blocksize = static_cast<int>(b->frames());
                enc->setup(info);
                hls_->restart(b->position());
            }
            sink->set_end_frame(b->position() + b->frames());
            enc->process(b);
            next_frame = b->position() + b->frames();
        }
        const auto now = std::chrono::steady_clock::now();
        hls_->expire_waiters(now);
        if (now.time_since_epoch().count() - last_touch_.load() > idle.count()) return true;
        std::this_thread::sleep_for(settings_.poll);
    }
    return false;
}

}  // namespace timeside::server::hls
