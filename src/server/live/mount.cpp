// mount: building the pipe from a definition, its thread, and the status snapshot.
#include "server/live/mount.hpp"

#include <future>

#include <fmt/format.h>

#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"
#include "core/thread_name.hpp"
#include "server/live/file_input.hpp"
#include "server/live/output_sink.hpp"
#include "server/live/playlist_input.hpp"
#include "server/live/signal_input.hpp"

namespace timeside::server::live {

namespace {

// An output's encoder in the pipe: before each block, the sink learns the frame its chunks
// will be stamped with (the end of the block being encoded).
class encoder_lane : public consumer {
public:
    encoder_lane(std::shared_ptr<encoder> e, std::shared_ptr<output_sink> sink)
        : consumer(e->info(), e->parameters()), encoder_(std::move(e)), sink_(std::move(sink)) {
        encoder_->set_sink(sink_);
    }
    void setup(const stream_info& in) override { encoder_->setup(in); }
    void process(const block_ptr& b) override {
        sink_->set_end_frame(b->position() + b->frames());
        encoder_->process(b);
    }
    void finish() override { encoder_->finish(); }
    void abort() noexcept override { encoder_->abort(); }

private:
    std::shared_ptr<encoder> encoder_;
    std::shared_ptr<output_sink> sink_;
};

template <class T>
std::shared_ptr<T> build(const std::string& spec_text, const std::string& where) {
    try {
        const processor_spec spec = parse_spec(spec_text);
        auto p = std::dynamic_pointer_cast<T>(get_processor(spec.id, spec.parameters));
        if (!p)
            throw usage_error(fmt::format("'{}' is not {}", spec.id,
                                          std::is_same_v<T, analyzer> ? "an analyzer" : "an encoder"));
        return p;
    } catch (const std::exception& e) {
        throw usage_error(fmt::format("{}: '{}': {}", where, spec_text, e.what()));
    }
}

}  // namespace

mount::mount(stream_definition def, std::vector<std::shared_ptr<chunk_target>> targets, mount_options options)
    : def_(std::move(def)),
      targets_(std::move(targets)),
      options_(std::move(options)),
      feed_(std::make_shared<audio_feed>(audio_format{def_.samplerate, def_.channels})) {}

mount::~mount() {
    stop();
}

std::shared_ptr<live_input> mount::make_input() const {
    const auto& in = def_.input;
    const std::string file = def_.file.string();
    if (options_.make_input)
        if (auto made = options_.make_input(in)) return made;
    switch (in.type) {
        case input_definition::kind::file:
            if (in.uri.empty()) throw usage_error(fmt::format("{}: [input] uri: a file input needs one", file));
            return std::make_shared<file_input>(in.uri, in.loop);
        case input_definition::kind::playlist:
            try {
                return std::make_shared<playlist_input>(in.files, in.loop, in.shuffle);
            } catch (const usage_error& e) {
                throw usage_error(fmt::format("{}: [input] files: {}", file, e.what()));
            }
        case input_definition::kind::signal:
            try {
                return std::make_shared<signal_input>(in.signal);
            } catch (const usage_error& e) {
                throw usage_error(fmt::format("{}: [input] signal: {}", file, e.what()));
            }
        case input_definition::kind::icecast: return nullptr;  // pushed sources attach
        case input_definition::kind::http: break;
    }
    throw usage_error(fmt::format("{}: [input] kind: this server cannot pull http inputs (no input maker given)", file));
}

std::shared_ptr<live_input> mount::make_fallback() const {
    const auto& fb = def_.fallback;
    const std::string file = def_.file.string();
    switch (fb.type) {
        case fallback_definition::kind::silence: return nullptr;
        case fallback_definition::kind::file:
            if (fb.uri.empty()) throw usage_error(fmt::format("{}: [fallback] uri: a file fallback needs one", file));
            return std::make_shared<file_input>(fb.uri, true);
        case fallback_definition::kind::mount:
            if (fb.mount.empty() || fb.mount == def_.id)
                throw usage_error(fmt::format("{}: [fallback] mount: another mount's id is needed", file));
            if (!options_.find_feed)
                throw usage_error(fmt::format("{}: [fallback] mount: mounts cannot be looked up here", file));
            return std::make_shared<mount_input>(fb.mount, options_.find_feed);
    }
    return nullptr;
}

void mount::build_pipe() {
    const std::string file = def_.file.string();
    if (targets_.size() != def_.outputs.size())
        throw usage_error(fmt::format("{}: {} output(s) defined but {} target(s) given", file, def_.outputs.size(),
                                      targets_.size()));
    live_source_options so;
    so.format = {def_.samplerate, def_.channels};
    so.block_frames = options_.block_frames;
    so.label = "live/" + def_.id;
    source_ = std::make_shared<live_source>(so, make_input(), make_fallback());
    pipe_ = std::make_unique<timeside::pipe>(source_);
    sinks_.clear();
    for (size_t i = 0; i < def_.outputs.size(); ++i) {
        const auto& out = def_.outputs[i];
        auto e = build<encoder>(out.encoder_spec, fmt::format("{}: [[outputs]] #{} ({})", file, i + 1, out.format));
        auto sink = std::make_shared<output_sink>(targets_[i], out.format, def_.samplerate);
        sinks_.push_back(sink);
        pipe_->add(std::make_shared<encoder_lane>(std::move(e), std::move(sink)));
    }
    analyzers_.clear();
    for (const auto& spec : def_.analysis) {
        auto a = build<analyzer>(spec, fmt::format("{}: [analysis] processors", file));
        a->set_row_sink(nullptr, false);  // live: rows go out as events, none is kept
        if (options_.on_event) a->set_event_sink(options_.on_event);
        analyzers_.push_back(a);
        pipe_->add(a);
    }
    source_->on_title([this](const std::string& t) { set_title(t); });
}

void mount::start() {
    if (thread_.joinable()) return;
    build_pipe();
    cancel_ = false;
    auto started = std::make_shared<std::promise<void>>();
    auto once = std::make_shared<std::once_flag>();
    auto ready = started->get_future();
    reported_connected_ = reported_fallback_ = false;
    source_->on_block([this, feed = feed_, started, once](const block_ptr& b) {
        feed->publish(b);
        std::call_once(*once, [&] { started->set_value(); });
        report(b);
    });
    stream_start_ = std::chrono::system_clock::now();
    {
        std::lock_guard lock(mutex_);
        running_ = true;
        failure_.clear();
    }
    thread_ = std::thread([this, started, once] {
        name_this_thread("m/" + def_.id);  // the mount's pipe: pacing, decoding's hand-off, encoders
        run_options o;
        o.cancel = &cancel_;
        o.lossy_analysis = true;
        o.fewer_threads = true;  // encoders inline, one analysis lane: a futex hand-over per block, not three
        o.skips = &skips_;
        o.queue_blocks = options_.queue_blocks;
        std::exception_ptr error;
        try {
            pipe_->run(o);
        } catch (const cancelled_error&) {
        } catch (...) {
            error = std::current_exception();
        }
        {
            std::lock_guard lock(mutex_);
            running_ = false;
            if (error) {
                try {
                    std::rethrow_exception(error);
                } catch (const std::exception& e) {
                    failure_ = e.what();
                }
            }
        }
        std::call_once(*once, [&] {
            if (error) started->set_exception(error);
            else started->set_value();
        });
    });
    try {
        ready.get();
    } catch (const usage_error& e) {
        stop();
        throw usage_error(fmt::format("{}: {}", def_.file.string(), e.what()));
    } catch (const std::exception& e) {
        stop();
        throw processing_error(fmt::format("{}: {}", def_.file.string(), e.what()));
    }
}

void mount::report(const block_ptr& b) {
    if (options_.on_news) {
        const auto st = source_->status();
        if (st.source_connected != reported_connected_) {
            reported_connected_ = st.source_connected;
            options_.on_news({st.source_connected ? "source_connected" : "source_lost", b->position(),
                              st.source_connected ? st.source : st.last_error});
        }
        if (st.fallback_active != reported_fallback_) {
            reported_fallback_ = st.fallback_active;
            options_.on_news({st.fallback_active ? "fallback_started" : "fallback_ended", b->position(), {}});
        }
    }
    if (options_.on_block) options_.on_block(b->position() + b->frames());
}

void mount::stop() noexcept {
    cancel_ = true;
    if (source_) source_->cancel();
    if (thread_.joinable()) thread_.join();
    feed_->close();
}

bool mount::attach_source(std::shared_ptr<live_input> source) {
    return source_ && source_->attach_source(std::move(source));
}

void mount::detach_source(const std::shared_ptr<live_input>& source) {
    if (source_) source_->detach_source(source);
}

void mount::set_title(std::string title) {
    {
        std::lock_guard lock(mutex_);
        if (title == title_) return;
        title_ = title;
    }
    if (options_.on_title) options_.on_title(title);
}

std::string mount::title() const {
    std::lock_guard lock(mutex_);
    return title_;
}

mount_status mount::status() const {
    mount_status s;
    s.id = def_.id;
    s.stream_start = stream_start_;
    s.samplerate = def_.samplerate;
    s.channels = def_.channels;
    {
        std::lock_guard lock(mutex_);
        s.running = running_;
        s.failure = failure_;
        s.title = title_;
    }
    if (source_) {
        const auto src = source_->status();
        s.stream_frames = src.stream_frames;
        s.source_connected = src.source_connected;
        s.source_since = src.source_since;
        s.source = src.source;
        s.last_error = src.last_error;
        s.fallback_active = src.fallback_active;
        s.filled_frames = src.filled_frames;
        s.trimmed_frames = src.trimmed_frames;
        s.source_connects = src.source_connects;
        s.fallback_switches = src.fallback_switches;
        s.fallback_seconds = src.fallback_seconds(def_.samplerate);
    }
    s.skipped_analysis_blocks = skips_.total();
    for (size_t i = 0; i < def_.outputs.size(); ++i) {
        const auto& o = def_.outputs[i];
        mount_output_status os{o.format, o.extension, o.content_type, o.encoder_spec, 0, 0};
        if (i < sinks_.size()) os.chunks = sinks_[i]->chunks(), os.bytes = sinks_[i]->bytes();
        s.outputs.push_back(std::move(os));
    }
    return s;
}

}  // namespace timeside::server::live
