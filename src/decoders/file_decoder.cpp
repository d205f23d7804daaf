// file_decoder: parameters, segment trimming by timestamps, and exact block sizes.
#include "decoders/file_decoder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <thread>

#include <pthread.h>
#include <sched.h>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/sha1.hpp"
#include "decoders/input_check.hpp"

namespace timeside {

const processor_info& file_decoder::describe() {
    static const processor_info info{
        "file_decoder", "File decoder", "1.0",
        "Decodes any file or http(s) URI GStreamer reads into float32 blocks", "",
        processor_kind::decoder,
        {string_param("uri", "path or URI of the input (file://, http://, https://)"),
         number_param("start", "segment start", 0, 0, 1e9, "s"),
         number_param("duration", "segment duration, 0 for the rest of the input", 0, 0, 1e9, "s"),
         integer_param("samplerate", "output sample rate, 0 for the source's", 0, 0, 768000, "Hz"),
         integer_param("channels", "output channel count, 0 for the source's", 0, 0, 64),
         integer_param("blocksize", "frames per block", 8192, 1, 1 << 20, "frames"),
         string_param("sha1", "the source's sha1 if already known (skips hashing it)")}};
    return info;
}

namespace {
std::mutex sink_mutex;
std::function<void(const decode_warning&)> warning_sink;
}  // namespace

void set_decode_warning_sink(std::function<void(const decode_warning&)> sink) {
    std::lock_guard lock(sink_mutex);
    warning_sink = std::move(sink);
}

file_decoder::file_decoder(parameter_set params) : decoder(describe(), std::move(params)) {}

file_decoder::~file_decoder() { close(); }

namespace {
int64_t seconds_to_frames(double s, int rate) { return static_cast<int64_t>(std::llround(s * rate)); }

// Where the container's length is exact and GStreamer reports it exactly. Ogg's comes from its
// last page, which GStreamer reads reliably only from a local file: over http, its push-mode
// duration check can settle on an earlier page.
bool has_exact_length(const std::string& mime, bool local) {
    if (mime == "audio/x-wav" || mime == "audio/x-flac" || mime == "audio/x-aiff") return true;
    return local && (mime == "audio/ogg" || mime == "application/ogg");
}
}  // namespace

stream_info file_decoder::open() {
    close();
    if (cancelled_) throw cancelled_error();
    const auto& p = parameters();
    resolved_input in = resolve_input(p.string("uri"));
    gst_source_options opts;
    opts.uri = in.uri;
    opts.label = in.label;
    opts.samplerate = static_cast<int>(p.integer("samplerate"));
    opts.channels = static_cast<int>(p.integer("channels"));
    opts.chunk_frames = p.integer("blocksize");
    {
        std::lock_guard lock(source_mutex_);
        source_ = std::make_unique<gst_audio_source>(opts);
        stop_hash_ = std::make_shared<std::atomic<bool>>(false);
        // A cancel() that came before: the source's preroll then stops at once.
        if (cancelled_) source_->cancel();
    }
    non_finite_ = 0;

    auto media = std::make_shared<media_info>();
    if (!p.string("sha1").empty()) {
        std::promise<std::string> known;
        known.set_value(p.string("sha1"));
        media->sha1 = known.get_future().share();
    } else if (in.local_path) {
        // Hashing runs beside the decode at idle priority: it takes the CPU time the decode leaves
        // over instead of competing with GStreamer's streaming thread for the cores.
        media->sha1 = std::async(std::launch::async, [path = *in.local_path, stop = stop_hash_] {
                          sched_param idle{};
                          pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
                          return sha1_file(path, stop.get());
                      }).share();
    }
    source_->open();
    auto sha1 = media->sha1;
    *media = source_->media();
    media->sha1 = sha1;

    const audio_format fmt_out = source_->output_format();
    lead_ = source_->lead_frames();
    const double start = p.number("start"), duration = p.number("duration");
    start_frame_ = seconds_to_frames(start, fmt_out.samplerate);
    requested_ = duration > 0 ? seconds_to_frames(duration, fmt_out.samplerate) : -1;
    const int64_t source_frames = source_->duration_frames();
    if (start > 0 && source_frames >= 0 && start_frame_ >= source_frames)
        throw usage_error(fmt::format("file_decoder: start={} is past the end of {} ({:.3f} s)", start,
                                      in.label, media->duration));

    stream_ = {};
    stream_.format = fmt_out;
    stream_.blocksize = static_cast<int>(p.integer("blocksize"));
    stream_.start = start;
    stream_.is_segment = start > 0 || duration > 0;
    stream_.media = media;
    // An MP3 whose LAME tag gave its length has an exact one too.
    exact_length_ = has_exact_length(media->mime, in.local_path.has_value()) || lead_ > 0;
    accepted_ = 0;
    apply_source_length();

    // The decoder's timeline runs lead_ frames ahead of the source's: seek and drop in its terms.
    const double lead_seconds = static_cast<double>(lead_) / fmt_out.samplerate;
    bool seeked = stream_.is_segment && source_->seek(start + lead_seconds, duration);
    // Until the first timestamp says otherwise, the next frame is where we asked to be.
    next_source_frame_ = seeked ? start_frame_ + lead_ : 0;
    position_ = 0;
    eos_ = false;
    pending_.clear();
    source_->play();
    return stream_;
}

// The stream's length from the source's duration, which GStreamer may refine while decoding (an
// Ogg over http learns its true length once the demuxer has read the last page). Containers whose
// length is exact (a WAV header, FLAC's STREAMINFO, Ogg's last granule) also cap the output:
// GStreamer's time-based end clipping can let a frame or, over http, a whole packet through.
void file_decoder::apply_source_length() {
    length_version_ = source_->duration_version();
    const int64_t source_frames = source_->duration_frames();
    if (source_frames < 0) {
        stream_.total_frames = requested_;
        limit_ = requested_;
        return;
    }
    const int64_t rest = std::max<int64_t>(0, source_frames - start_frame_);
    stream_.total_frames = requested_ >= 0 ? std::min(requested_, rest) : rest;
    limit_ = exact_length_ ? stream_.total_frames : requested_;
}

// Decodes one more buffer into pending_, cut to the segment. False at the end.
bool file_decoder::pull_more() {
    if (source_->duration_version() != length_version_) apply_source_length();
    if (limit_ >= 0 && accepted_ >= limit_) {
        // Before calling it the end, let a pending duration update (a longer length) arrive.
        source_->poll_messages();
        if (source_->duration_version() != length_version_) apply_source_length();
        if (accepted_ >= limit_) return false;
    }
    const int ch = stream_.format.channels;
    const size_t before = pending_.size();
    int64_t pts = -1;
    if (!source_->pull(pending_, pts)) return false;
    int64_t n = static_cast<int64_t>(pending_.size() - before) / ch;
    if (accepted_ == 0 && pts >= 0)
        next_source_frame_ = static_cast<int64_t>(std::llround(static_cast<double>(pts) * stream_.format.samplerate / GST_SECOND));
    // Frames before the segment's start (a decoder that could not seek, or a coarse seek), and
    // an MP3's delay.
    int64_t drop = std::clamp<int64_t>(start_frame_ + lead_ - next_source_frame_, 0, n);
    next_source_frame_ += n;
    if (drop > 0) {
        pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(before),
                       pending_.begin() + static_cast<std::ptrdiff_t>(before + drop * ch));
        n -= drop;
    }
    if (source_->duration_version() != length_version_) apply_source_length();
    if (limit_ >= 0) {
        int64_t keep = std::clamp<int64_t>(limit_ - accepted_, 0, n);
        pending_.resize(before + static_cast<size_t>(keep * ch));
        n = keep;
    }
    accepted_ += n;
    return true;
}

block_ptr file_decoder::read() {
    if (!source_) throw std::logic_error("file_decoder: read before open");
    const int ch = stream_.format.channels;
    const size_t want = static_cast<size_t>(stream_.blocksize) * ch;
    while (pending_.size() < want && !eos_) eos_ = !pull_more();
    if (pending_.empty()) {
        say_repairs();
        return nullptr;
    }
    std::vector<float> out;
    if (pending_.size() <= want) {
        out = std::move(pending_);
        pending_ = {};
        pending_.reserve(want);
    } else {
        std::vector<float> rest(pending_.begin() + static_cast<std::ptrdiff_t>(want), pending_.end());
        out = std::move(pending_);
        out.resize(want);
        pending_ = std::move(rest);
        pending_.reserve(want);
    }
    auto b = block::make(stream_.format, position_, std::move(out));
    non_finite_ += b->replaced();
    position_ += b->frames();
    return b;
}

void file_decoder::say_repairs() noexcept {
    if (non_finite_ == 0) return;
    decode_warning w{parameters().string("uri"), non_finite_};
    non_finite_ = 0;
    try {
        std::lock_guard lock(sink_mutex);
        if (warning_sink) {
            warning_sink(w);
        } else {
            std::fprintf(stderr,
                         "timeside: warning: %s: %lld non-finite samples (NaN, +-Inf) replaced: NaN by 0, "
                         "+-Inf by +-1.0 (full scale)\n",
                         w.input.c_str(), static_cast<long long>(w.non_finite));
        }
    } catch (...) {
        // a warning that cannot be said is not worth failing the decode
    }
}

void file_decoder::cancel() noexcept {
    cancelled_ = true;
    std::lock_guard lock(source_mutex_);
    if (source_) source_->cancel();
    if (stop_hash_) *stop_hash_ = true;
}

void file_decoder::close() noexcept {
    say_repairs();
    std::lock_guard lock(source_mutex_);
    source_.reset();
    pending_.clear();
}

media_info file_decoder::probe(const std::string& input, const std::atomic<bool>* stop) {
    resolved_input in = resolve_input(input);
    gst_source_options opts;
    opts.uri = in.uri;
    opts.label = in.label;
    gst_audio_source source(opts);
    // The preroll polls its own flag: a watcher hands `stop` over to it.
    std::atomic<bool> done{false};
    std::thread watcher;
    if (stop)
        watcher = std::thread([&] {
            while (!done && !stop->load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
            if (!done) source.cancel();
        });
    struct join_watcher {
        std::atomic<bool>& done;
        std::thread& t;
        ~join_watcher() {
            done = true;
            if (t.joinable()) t.join();
        }
    } joiner{done, watcher};
    source.open();
    media_info m = source.media();
    if (in.local_path) {
        std::string digest = sha1_file(*in.local_path, stop);
        if (stop && stop->load()) throw cancelled_error();
        std::promise<std::string> known;
        known.set_value(digest);
        m.sha1 = known.get_future().share();
    }
    return m;
}

}  // namespace timeside
