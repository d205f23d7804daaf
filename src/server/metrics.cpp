// The metrics registry and its text rendering. Samples follow Prometheus's text exposition
// format 0.0.4: `# HELP` and `# TYPE` once per family, then `name{labels} value` lines; a
// histogram's buckets are cumulative and end with le="+Inf" equal to its _count.
#include "server/metrics.hpp"

#include <fmt/format.h>

namespace timeside::server {

namespace {

// Time to first byte: loopback answers take tens of microseconds, a cold transcode tens of
// milliseconds, a stuck one seconds.
const std::vector<double> first_byte_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5,     10};
// Seconds of audio per second of wall time: below 1 a listener starves; an idle machine reaches
// hundreds for Opus, thousands for WAV.
const std::vector<double> realtime_buckets{0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class T>
void sample(std::string& out, std::string_view name, std::string_view labels, T value) {
    if (labels.empty()) fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
    else fmt::format_to(std::back_inserter(out), "{}{{{}}} {}\n", name, labels, value);
}

std::string label(std::string_view name, std::string_view value) {
    return fmt::format("{}=\"{}\"", name, escape_label_value(value));
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void histogram::observe(double value) {
    size_t i = 0;
    while (i < bounds_.size() && value > bounds_[i]) ++i;  // le: a value equal to a bound is in it
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t histogram::count() const {
    uint64_t n = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) n += buckets_[i].load(std::memory_order_relaxed);
    return n;
}

void histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
    // One pass over the buckets, so that +Inf and _count agree even while others observe.
    const std::string sep = labels.empty() ? "" : ",";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        sample(out, fmt::format("{}_bucket", name), fmt::format("{}{}le=\"{}\"", labels, sep, bounds_[i]), cumulative);
    }
    cumulative += buckets_[bounds_.size()].load(std::memory_order_relaxed);
    sample(out, fmt::format("{}_bucket", name), fmt::format("{}{}le=\"+Inf\"", labels, sep), cumulative);
    sample(out, fmt::format("{}_sum", name), labels, sum());
    sample(out, fmt::format("{}_count", name), labels, cumulative);
}

metrics::metrics() : first_byte_(first_byte_buckets), realtime_factor_(realtime_buckets) {}

void metrics::on_request(std::string_view route, std::string_view method, unsigned status, uint64_t bytes,
                         double first_byte_seconds) {
    {
        std::lock_guard lock(mutex_);
        ++requests_[{std::string(route), std::string(method), status}];
        response_bytes_[std::string(route)] += bytes;
    }
    if (first_byte_seconds >= 0) first_byte_.observe(first_byte_seconds);
}

void metrics::on_transcode_end(std::string_view format, std::string_view outcome, double audio_seconds,
                               double wall_seconds) {
    {
        std::lock_guard lock(mutex_);
        ++transcodes_[{std::string(format), std::string(outcome)}];
    }
    // A cancelled or failed encode still ran at some speed; an instant one (nothing decoded)
    // would only add noise to the top bucket.
    if (wall_seconds > 0 && audio_seconds > 0) realtime_factor_.observe(audio_seconds / wall_seconds);
}

void metrics::on_cache_lookup(std::string_view kind, bool hit) {
    std::lock_guard lock(mutex_);
    ++cache_lookups_[std::string(kind)][hit ? 1 : 0];
}

void metrics::set_cache_usage(uint64_t bytes, uint64_t entries) {
    cache_bytes_ = bytes;
    cache_entries_ = entries;
}

void metrics::set_cache_limit(uint64_t max_bytes) { cache_max_bytes_ = max_bytes; }

metrics::cache_totals metrics::cache() const {
    cache_totals t{cache_bytes_.load(), cache_entries_.load(), cache_max_bytes_.load(), 0, 0};
    std::lock_guard lock(mutex_);
    for (const auto& [kind, counts] : cache_lookups_) {
        t.misses += counts[0];
        t.hits += counts[1];
    }
    return t;
}

metrics::transcode_totals metrics::transcodes() const {
    transcode_totals t;
    std::lock_guard lock(mutex_);
    for (const auto& [key, n] : transcodes_) {
        if (key.second == "done") t.done += n;
        else if (key.second == "cancelled") t.cancelled += n;
        else t.failed += n;
    }
    return t;
}

std::string metrics::render(const live_gauges& live) const {
    std::string out;
    out.reserve(8192);
    {
        std::lock_guard lock(mutex_);
        family(out, "timeside_http_requests_total", "counter", "HTTP responses by matched route pattern, method and status.");
        for (const auto& [key, n] : requests_) {
            const auto& [route, method, status] = key;
            sample(out, "timeside_http_requests_total",
                   fmt::format("{},{},{}", label("route", route), label("method", method),
                               label("status", std::to_string(status))),
                   n);
        }
        family(out, "timeside_http_response_bytes_total", "counter", "Bytes sent in responses (head and body) by route pattern.");
        for (const auto& [route, n] : response_bytes_) sample(out, "timeside_http_response_bytes_total", label("route", route), n);
        family(out, "timeside_transcodes_total", "counter", "On-demand transcodes ended, by format and outcome (done, cancelled, failed).");
        for (const auto& [key, n] : transcodes_)
            sample(out, "timeside_transcodes_total", fmt::format("{},{}", label("format", key.first), label("outcome", key.second)), n);
        family(out, "timeside_cache_hits_total", "counter", "Cache lookups answered from the cache, by kind.");
        for (const auto& [kind, counts] : cache_lookups_) sample(out, "timeside_cache_hits_total", label("kind", kind), counts[1]);
        family(out, "timeside_cache_misses_total", "counter", "Cache lookups that had to compute, by kind.");
        for (const auto& [kind, counts] : cache_lookups_) sample(out, "timeside_cache_misses_total", label("kind", kind), counts[0]);
    }
    family(out, "timeside_http_time_to_first_byte_seconds", "histogram",
           "Time from a request's arrival to the first body byte sent.");
    first_byte_.render(out, "timeside_http_time_to_first_byte_seconds");
    family(out, "timeside_transcode_realtime_factor", "histogram",
           "Seconds of audio encoded per second of wall time, observed when a transcode ends.");
    realtime_factor_.render(out, "timeside_transcode_realtime_factor");
    family(out, "timeside_http_open_connections", "gauge", "Open HTTP connections.");
    sample(out, "timeside_http_open_connections", "", live.connections);
    family(out, "timeside_transcodes_active", "gauge", "On-demand transcodes running.");
    sample(out, "timeside_transcodes_active", "", live.transcodes_active);
    family(out, "timeside_cache_bytes", "gauge", "Bytes held in the disk cache.");
    sample(out, "timeside_cache_bytes", "", cache_bytes_.load());
    family(out, "timeside_cache_entries", "gauge", "Entries in the disk cache.");
    sample(out, "timeside_cache_entries", "", cache_entries_.load());
    family(out, "timeside_library_items", "gauge", "Items in the media library.");
    sample(out, "timeside_library_items", "", live.library_items);
    family(out, "timeside_uptime_seconds", "gauge", "Seconds since the server started.");
    sample(out, "timeside_uptime_seconds", "", live.uptime_seconds);
    return out;
}

}  // namespace timeside::server
