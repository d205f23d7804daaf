// hls_segmenter: cutting, the ID3 tag of each segment, the window and the playlist text.
#include "server/hls/hls_segmenter.hpp"

#include <algorithm>
#include <iterator>
#include <utility>
#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "encoders/mp3_frames.hpp"
#include "server/live/codec_clock.hpp"
#include "server/hls/hls_id3.hpp"

namespace timeside::server::hls {

namespace {

// The longest MP3 frame there is: 576 samples at 8 kHz (MPEG-2.5). A segment is at most this much
// longer than segment_seconds.
constexpr double longest_frame_seconds = 576.0 / 8000.0;

std::string fnv1a_etag(const std::vector<unsigned char>& bytes) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char b : bytes) h = (h ^ b) * 1099511628211ull;
    return fmt::format("\"{:016x}\"", h);
}

// ISO 8601 in UTC with milliseconds (RFC 8216 §4.3.2.6), whatever the server's time zone.
std::string program_date_text(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(t);
    const auto secs = std::chrono::floor<std::chrono::seconds>(ms);
    const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
    std::tm utc{};
    gmtime_r(&tt, &utc);
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", utc, static_cast<int>((ms - secs).count()));
}

std::optional<uint64_t> decimal(std::string_view s) {
    if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

uint64_t hls_first_sequence(std::chrono::system_clock::time_point now) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() / 100) + 1;
}

std::optional<hls_segment_name> parse_hls_segment_name(std::string_view name) {
    if (!name.starts_with("seg-") || !name.ends_with(".mp3")) return std::nullopt;
    name = name.substr(4, name.size() - 8);
    const size_t dash = name.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const auto seq = decimal(name.substr(0, dash));
    std::string_view frame = name.substr(dash + 1);
    const bool negative = frame.starts_with('-');
    if (negative) frame.remove_prefix(1);
    const auto f = decimal(frame);
    if (!seq || !f || *f > static_cast<uint64_t>(INT64_MAX) || (negative && *f == 0)) return std::nullopt;
    return hls_segment_name{*seq, negative ? -static_cast<int64_t>(*f) : static_cast<int64_t>(*f)};
}

hls_segmenter::hls_segmenter(hls_settings settings)
    : settings_(std::move(settings)),
      target_duration_(std::max(1, static_cast<int>(std::lround(settings_.segment_seconds + longest_frame_seconds)))),
      start_(settings_.stream_start),
      next_sequence_(settings_.first_sequence) {
    if (!(settings_.segment_seconds >= 1 && settings_.segment_seconds <= 10))
        throw usage_error(fmt::format("[hls] segment_seconds: expected 1 to 10, got {}", settings_.segment_seconds));
    if (settings_.window < 3 || settings_.window > 100)
        throw usage_error(fmt::format("[hls] window: expected 3 to 100 segments, got {}", settings_.window));
    if (settings_.samplerate <= 0) throw usage_error("[hls]: the mount's rate must be positive");
    playlist_ = std::make_shared<const std::string>(render_playlist());
}

// Rounded as codec_clock rounds, so a segment's first frame is the audio_frame a listener
// starting at the same MP3 frame is given (docs/events.md).
int64_t hls_segmenter::stream_frame(int64_t codec_samples, int codec_rate) const {
    if (codec_rate <= 0) return 0;
    const int64_t scaled = (codec_samples - live::lame_total_delay) * settings_.samplerate;
    return scaled >= 0 ? (scaled + codec_rate / 2) / codec_rate : -((-scaled + codec_rate / 2) / codec_rate);
}

void hls_segmenter::publish(chunk_ptr chunk) {
    if (!chunk || chunk->header || chunk->bytes.empty()) return;  // a live MP3 has no header chunks
    std::vector<waiter> ready;
    std::shared_ptr<const std::string> playlist;
    {
        std::lock_guard lock(mutex_);
        if (!start_)
            start_ = std::chrono::system_clock::now() -
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(
                         std::chrono::duration<double>(static_cast<double>(chunk->end_frame) / settings_.samplerate));
        add_frames(chunk->bytes);
        const size_t listed = std::min<size_t>(held_.size(), settings_.window);
        if (listed > 0 && !waiters_.empty()) {
            auto later = std::stable_partition(waiters_.begin(), waiters_.end(),
                                               [&](const waiter& w) { return w.listed > listed; });
            ready.assign(std::make_move_iterator(later), std::make_move_iterator(waiters_.end()));
            waiters_.erase(later, waiters_.end());
            playlist = playlist_;
        }
    }
    for (auto& w : ready) w.give(playlist);
}

void hls_segmenter::restart(int64_t stream_frame) {
    std::lock_guard lock(mutex_);
    open_ = {};
    restart_frame_ = stream_frame;
    discontinuity_next_ = !held_.empty();
}

void hls_segmenter::clear() {
    std::lock_guard lock(mutex_);
    open_ = {};
    held_.clear();
    discontinuity_next_ = false;
    playlist_ = std::make_shared<const std::string>(render_playlist());
}

void hls_segmenter::add_waiter(playlist_waiter give, std::chrono::steady_clock::time_point deadline, size_t listed) {
    std::shared_ptr<const std::string> playlist;
    {
        std::lock_guard lock(mutex_);
        listed = std::clamp<size_t>(listed, 1, settings_.window);
        const size_t now = std::min<size_t>(held_.size(), settings_.window);
        if (now < listed && !waiters_closed_) {
            waiters_.push_back({std::move(give), deadline, listed});
            return;
        }
        playlist = now >= listed ? playlist_ : nullptr;  // published meanwhile, or no encode any more
    }
    give(std::move(playlist));
}

size_t hls_segmenter::listed() const {
    std::lock_guard lock(mutex_);
    return std::min<size_t>(held_.size(), settings_.window);
}

void hls_segmenter::expire_waiters(std::chrono::steady_clock::time_point now) {
    std::vector<waiter> expired;
    {
        std::lock_guard lock(mutex_);
        if (waiters_.empty()) return;
        auto late = std::stable_partition(waiters_.begin(), waiters_.end(), [&](const waiter& w) { return w.deadline > now; });
        expired.assign(std::make_move_iterator(late), std::make_move_iterator(waiters_.end()));
        waiters_.erase(late, waiters_.end());
    }
    for (auto& w : expired) w.give(nullptr);
}

void hls_segmenter::fail_waiters() {
    std::vector<waiter> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(waiters_);
    }
    for (auto& w : all) w.give(nullptr);
}

void hls_segmenter::close_waiters() {
    {
        std::lock_guard lock(mutex_);
        waiters_closed_ = true;
    }
    fail_waiters();
}

uint64_t hls_segmenter::next_sequence() const {
    std::lock_guard lock(mutex_);
    return next_sequence_;
}

void hls_segmenter::add_frames(std::span<const unsigned char> bytes) {
    const auto target = [&](int rate) { return static_cast<int64_t>(std::ceil(settings_.segment_seconds * rate)); };
    size_t at = 0;
    while (at < bytes.size()) {
        const auto h = parse_mp3_frame_header(bytes.subspan(at));
        if (!h || h->length == 0 || at + h->length > bytes.size()) {
            // Not a frame where one should start: our encoder hands over whole frames, so this should
            // not happen; the bytes stay in the segment (a decoder resyncs) and count no time, and
            // the next whole frame gives the segment its rate and start.
            open_.frames.insert(open_.frames.end(), bytes.begin() + static_cast<ptrdiff_t>(at), bytes.end());
            return;
        }
        if (open_.mp3_rate == 0) {  // the segment's first frame (stray bytes before it count no time)
            if (restart_frame_) {
                // A new encoder's first frame: its samples start at the stream frame it was first
                // given (the MP3 lane encodes at the mount's rate; scaled should they differ).
                codec_samples_ = *restart_frame_ * h->samplerate / settings_.samplerate;
                restart_frame_.reset();
            }
            open_.start_samples = codec_samples_;
            open_.mp3_rate = h->samplerate;
        }
        open_.frames.insert(open_.frames.end(), bytes.begin() + static_cast<ptrdiff_t>(at),
                            bytes.begin() + static_cast<ptrdiff_t>(at + h->length));
        open_.samples += h->samples;
        codec_samples_ += h->samples;
        at += h->length;
        if (open_.samples >= target(open_.mp3_rate)) close_segment();
    }
}

void hls_segmenter::close_segment() {
    auto s = std::make_shared<hls_segment>();
    s->sequence = next_sequence_++;
    s->mp3_rate = open_.mp3_rate;
    s->codec_samples = open_.samples;
    s->duration = static_cast<double>(open_.samples) / open_.mp3_rate;
    s->first_frame = stream_frame(open_.start_samples, open_.mp3_rate);
    s->pts_90khz = (open_.start_samples * 90000 + open_.mp3_rate / 2) / open_.mp3_rate;
    const auto since_start = std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::duration<double>(static_cast<double>(s->first_frame) / settings_.samplerate));
    s->program_date = start_.value_or(std::chrono::system_clock::time_point{}) + since_start;
    s->name = fmt::format("seg-{}-{}.mp3", s->sequence, s->first_frame);

    // Events up to this segment's end go in its tag; later ones wait for the segment that plays them.
    const int64_t end_frame = stream_frame(open_.start_samples + open_.samples, open_.mp3_rate);
    std::vector<id3_text_frame> texts;
    if (!title_.empty()) texts.push_back({"TIT2", {}, title_});
    std::vector<pending_event> later;
    for (auto& e : pending_events_) {
        if (e.frame >= end_frame) later.push_back(std::move(e));
        else texts.push_back({"TXXX", "timeside.event", std::move(e.json)}), ++s->events;
    }
    pending_events_ = std::move(later);
    s->bytes = hls_id3_tag(s->pts_90khz, texts);
    s->bytes.insert(s->bytes.end(), open_.frames.begin(), open_.frames.end());
    s->etag = fnv1a_etag(s->bytes);
    s->published = std::chrono::steady_clock::now();
    s->discontinuity = std::exchange(discontinuity_next_, false);
    if (s->discontinuity) ++discontinuities_;
    last_latency_ = std::chrono::duration<double>(std::chrono::system_clock::now() - s->program_date).count();
    open_ = {};

    held_.push_back(std::move(s));
    while (held_.size() > settings_.window + 2) held_.pop_front();
    ++segments_;
    playlist_ = std::make_shared<const std::string>(render_playlist());
}

std::string hls_segmenter::render_playlist() const {
    const size_t listed = std::min<size_t>(held_.size(), settings_.window);
    const size_t first = held_.size() - listed;
    const uint64_t media_sequence = listed ? held_[first]->sequence : next_sequence_;
    std::string out = fmt::format("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{}\n#EXT-X-MEDIA-SEQUENCE:{}\n",
                                  target_duration_, media_sequence);
    uint64_t listed_discontinuities = 0;
    for (size_t i = first; i < held_.size(); ++i) listed_discontinuities += held_[i]->discontinuity ? 1 : 0;
    // RFC 8216 §4.3.3.3: the discontinuities before the first listed segment.
    if (discontinuities_ > 0)
        out += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", discontinuities_ - listed_discontinuities);
    for (size_t i = first; i < held_.size(); ++i) {
        const auto& s = *held_[i];
        if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
        out += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n#EXTINF:{:.5f},\n{}\n", program_date_text(s.program_date),
                           s.duration, s.name);
    }
    return out;
}

void hls_segmenter::add_event(const analysis_event& e) {
    nlohmann::json j{{"id", e.result_id}, {"frame", e.frame}, {"rate", settings_.samplerate},
                     {"time", settings_.samplerate ? static_cast<double>(e.frame) / settings_.samplerate : 0.0}};
    if (e.duration_frames > 0) j["duration_frames"] = e.duration_frames;
    if (!e.values.empty()) j["values"] = e.values;
    if (e.label) j["label"] = *e.label;
    std::lock_guard lock(mutex_);
    if (pending_events_.size() >= settings_.max_events) {
        ++events_dropped_;
        return;
    }
    pending_events_.push_back({e.frame, j.dump()});
    ++events_;
}

void hls_segmenter::set_title(std::string title) {
    std::lock_guard lock(mutex_);
    title_ = std::move(title);
}

std::shared_ptr<const std::string> hls_segmenter::playlist() const {
    std::lock_guard lock(mutex_);
    return playlist_;
}

hls_segment_ptr hls_segmenter::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    for (const auto& s : held_)
        if (s->name == name) return s;
    return nullptr;
}

std::vector<hls_segment_ptr> hls_segmenter::segments() const {
    std::lock_guard lock(mutex_);
    return {held_.begin(), held_.end()};
}

hls_counters hls_segmenter::counters() const {
    hls_counters c;
    {
        std::lock_guard lock(mutex_);
        c.segments = segments_;
        c.sequence = segments_ ? next_sequence_ - 1 : 0;  // the newest published, held or not
        c.events = events_;
        c.events_dropped = events_dropped_;
        c.last_latency = last_latency_;
    }
    c.playlist_requests = playlist_requests_.load(std::memory_order_relaxed);
    c.segment_requests = segment_requests_.load(std::memory_order_relaxed);
    c.not_found = not_found_.load(std::memory_order_relaxed);
    return c;
}

}  // namespace timeside::server::hls
