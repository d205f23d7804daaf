// live_source: the clock, the switch between primary and fallback, and the bookkeeping status()
// reports. Everything but attach/detach/status runs on the pipe's decoding thread.
#include "server/live/live_source.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside::server::live {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {
constexpr int max_reads_per_block = 64;  // bounds every read loop of one block
const processor_info source_info{"live_source", "Live source", "1.0",
                                 "A live mount's input, paced by the real-time clock, with fallback", "",
                                 processor_kind::decoder, {}};
}  // namespace

live_source::live_source(live_source_options options, std::shared_ptr<live_input> input,
                         std::shared_ptr<live_input> fallback)
    : decoder(source_info, {}), options_(std::move(options)), input_(std::move(input)), fallback_(std::move(fallback)) {
    if (options_.format.samplerate <= 0 || options_.format.channels <= 0 || options_.block_frames <= 0)
        throw usage_error(fmt::format("{}: a live source needs a sample rate, channels and a block size", options_.label));
}

live_source::~live_source() {
    close();
}

// Single use: a cancel() that came before open() (a mount stopped while starting) stands.
stream_info live_source::open() {
    const int ch = options_.format.channels;
    auto start_input = [&](const std::shared_ptr<live_input>& in, bool& over) {
        if (!in) return;
        try {
            in->start(options_.format);
        } catch (const usage_error&) {
            throw;
        } catch (const std::exception& e) {
            over = true;
            std::lock_guard lock(state_mutex_);
            status_.last_error = e.what();
        }
    };
    start_input(input_, input_over_);
    start_input(fallback_, fallback_over_);
    // The first block waits for the input's first audio (a file prerolls), so a mount does not
    // open on a moment of fallback; bounded, and cancel() cuts it short.
    if (input_ && !input_over_) {
        const auto until = clock_type::now() + 3s;
        for (int i = 0; i < 400 && !cancelled_ && clock_type::now() < until; ++i) {
            auto st = input_->read(pending_, options_.block_frames - static_cast<int64_t>(pending_.size()) / ch, 10ms);
            if (st == live_input::status::failed || st == live_input::status::ended) break;
            if (static_cast<int64_t>(pending_.size()) / ch >= options_.block_frames) break;
        }
    }
    {
        std::lock_guard lock(state_mutex_);
        if (input_) status_.source = input_->describe();
    }
    primary_ = input_.get();
    start_ = clock_type::now();
    next_block_ = 0;

    stream_info s;
    s.format = options_.format;
    s.total_frames = -1;
    s.blocksize = static_cast<int>(options_.block_frames);
    auto media = std::make_shared<media_info>();
    media->uri = options_.label;
    media->samplerate = options_.format.samplerate;
    media->channels = options_.format.channels;
    s.media = std::move(media);
    return s;
}

clock_type::time_point live_source::due(int64_t block_index) const {
    // frames / rate in nanoseconds without overflow for years of frames
    const int64_t frames = block_index * options_.block_frames;
    const int64_t rate = options_.format.samplerate;
    const int64_t ns = frames / rate * 1'000'000'000 + frames % rate * 1'000'000'000 / rate;
    return start_ + std::chrono::nanoseconds(ns);
}

bool live_source::wait_until(clock_type::time_point t) {
    std::unique_lock lock(clock_mutex_);
    clock_cv_.wait_until(lock, t, [&] { return cancelled_.load(); });
    return !cancelled_;
}

void live_source::cancel() noexcept {
    {
        std::lock_guard lock(clock_mutex_);
        cancelled_ = true;
    }
    clock_cv_.notify_all();
}

void live_source::close() noexcept {
    cancel();
    std::shared_ptr<live_input> attached;
    {
        std::lock_guard lock(state_mutex_);
        attached = std::move(attached_);
        status_.source_connected = false;
    }
    if (attached) attached->stop();
    if (input_) input_->stop();
    if (fallback_) fallback_->stop();
}

bool live_source::attach_source(std::shared_ptr<live_input> source) {
    if (!source) return false;
    {
        std::lock_guard lock(state_mutex_);
        if (attached_) return false;
    }
    source->start(options_.format);
    std::lock_guard lock(state_mutex_);
    if (attached_) {
        source->stop();
        return false;
    }
    attached_ = std::move(source);
    ++status_.source_connects;
    status_.source_connected = true;
    status_.source_since = std::chrono::system_clock::now();
    return true;
}

void live_source::detach_source(const std::shared_ptr<live_input>& source) {
    {
        std::lock_guard lock(state_mutex_);
        if (!source || attached_ != source) return;
        attached_.reset();
        status_.source_connected = false;
    }
    source->stop();
}

live_source_status live_source::status() const {
    std::lock_guard lock(state_mutex_);
    return status_;
}

void live_source::primary_over(const std::shared_ptr<live_input>& input, bool attached, live_input::status why) {
    std::string error = why == live_input::status::failed ? input->error() : std::string{};
    // A source that ended (its client closed the stream) is heard to its last sample: what it sent
    // ahead of the clock plays out before the next primary or the fallback. A failed one's is not.
    playout_ = attached && why == live_input::status::ended;
    if (attached) {
        {
            std::lock_guard lock(state_mutex_);
            if (attached_ == input) {
                attached_.reset();
                status_.source_connected = false;
            }
            if (!error.empty()) status_.last_error = error;
        }
        input->stop();
    } else {
        input_over_ = true;
        std::lock_guard lock(state_mutex_);
        if (!error.empty()) status_.last_error = error;
    }
}

int64_t live_source::take_primary(clock_type::time_point deadline) {
    const int ch = options_.format.channels;
    const int64_t block = options_.block_frames;
    std::shared_ptr<live_input> src;
    {
        std::lock_guard lock(state_mutex_);
        src = attached_;
    }
    const bool attached = src != nullptr;
    if (!attached && !input_over_) src = input_;
    // A new primary: what the previous one left is not this one's audio, unless it is an ended
    // source's last audio, played out first (a new source taking over cuts it).
    if (src.get() != primary_) {
        if (primary_ != nullptr && !(playout_ && !attached)) pending_.clear();
        playout_ = false;
        primary_ = src.get();
        std::lock_guard lock(state_mutex_);
        status_.source = src ? src->describe() : std::string{};
    }
    auto have = [&] { return static_cast<int64_t>(pending_.size()) / ch; };
    if (!src) return std::min(have(), block);

    auto st = live_input::status::data;
    if (attached) {
        // A pushed source comes by its sender's clock: take all it has, keep at most
        // max_ahead beyond this block, oldest dropped first.
        for (int i = 0; i < max_reads_per_block && st == live_input::status::data; ++i) {
            const size_t before = pending_.size();
            st = src->read(pending_, 8 * block, 0ms);
            if (st == live_input::status::data && pending_.size() == before) break;
        }
        const auto limit = block + static_cast<int64_t>(options_.max_ahead_seconds * options_.format.samplerate);
        if (have() > limit) {
            const int64_t drop = have() - limit;
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(drop * ch));
            std::lock_guard lock(state_mutex_);
            status_.trimmed_frames += drop;
        }
    } else {
        // An input read on demand (a file decoding ahead, a signal): just what this block needs.
        for (int i = 0; i < max_reads_per_block && st == live_input::status::data && have() < block; ++i)
            st = src->read(pending_, block - have(), 0ms);
    }
    // Late: wait for the rest within the grace (it may come in pieces), unless the fallback is
    // already filling in.
    const auto usable = [](live_input::status s) {
        return s == live_input::status::waiting || s == live_input::status::data;
    };
    for (int i = 0; i < max_reads_per_block && have() < block && usable(st) && !on_fallback_ && !cancelled_; ++i) {
        const auto now = clock_type::now();
        if (now >= deadline) break;
        const auto slice = std::min<clock_type::duration>(deadline - now, 10ms);
        st = src->read(pending_, attached ? 8 * block : block - have(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(slice) + 1ms);
    }
    if (auto title = src->take_title(); title && on_title_) on_title_(*title);
    if (st == live_input::status::ended || st == live_input::status::failed) primary_over(src, attached, st);
    // Back from the fallback only with a whole block: no splicing while a source warms up.
    if (on_fallback_ && have() < block && st == live_input::status::waiting) return 0;
    return std::min(have(), block);
}

void live_source::fill_from_fallback(std::vector<float>& out, int64_t frames) {
    const int ch = options_.format.channels;
    const size_t start = out.size();
    const auto got = [&] { return static_cast<int64_t>(out.size() - start) / ch; };
    if (fallback_ && !fallback_over_) {
        for (int i = 0; i < max_reads_per_block && got() < frames; ++i) {
            const auto st = fallback_->read(out, frames - got(), 0ms);
            if (st == live_input::status::waiting) break;
            if (st != live_input::status::data) {
                fallback_over_ = true;
                if (st == live_input::status::failed) {
                    std::lock_guard lock(state_mutex_);
                    status_.last_error = fallback_->error();
                }
                break;
            }
        }
    }
    out.resize(start + static_cast<size_t>(frames * ch), 0.0f);  // silence for what is still missing
}

block_ptr live_source::read() {
    if (cancelled_) return nullptr;
    const int ch = options_.format.channels;
    const int64_t block = options_.block_frames;
    const int64_t n = next_block_;
    auto t = due(n);
    if (const auto late = clock_type::now() - t; late > options_.max_late) {
        start_ += late;
        t = due(n);
        std::lock_guard lock(state_mutex_);
        ++status_.clock_slips;
    }
    if (!wait_until(t)) return nullptr;

    const auto grace = options_.grace.count() > 0
                           ? std::chrono::duration_cast<clock_type::duration>(options_.grace)
                           : std::chrono::duration_cast<clock_type::duration>(due(2) - due(0));
    const int64_t primary = take_primary(t + grace);
    if (cancelled_) return nullptr;

    std::vector<float> out;
    out.reserve(static_cast<size_t>(block * ch));
    out.assign(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(primary * ch));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(primary * ch));
    const int64_t filled = block - primary;
    if (filled > 0) fill_from_fallback(out, filled);
    {
        std::lock_guard lock(state_mutex_);
        status_.stream_frames = (n + 1) * block;
        status_.filled_frames += filled;
        if (filled > 0 && !on_fallback_) ++status_.fallback_switches;
        status_.fallback_active = filled > 0;
    }
    on_fallback_ = filled > 0;
    auto b = block::make(options_.format, n * block, std::move(out));
    ++next_block_;
    if (on_block_) on_block_(b);
    return b;
}

}  // namespace timeside::server::live
