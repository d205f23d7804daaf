// The server's counters, gauges and histograms, rendered for GET /metrics in Prometheus's text
// exposition format (version 0.0.4) and read back by /api/status. Every method may be called from
// any thread: plain counters are atomics, labelled ones a small map under a mutex.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace timeside::server {

// Buckets fixed at construction (upper bounds, ascending); +Inf is implicit.
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double value);
    // `name` without suffix; `labels` already formatted ("" or `a="b"`).
    void render(std::string& out, std::string_view name, std::string_view labels = {}) const;
    uint64_t count() const;
    double sum() const { return sum_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0};
};

// A label value escaped for the exposition format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

class metrics {
public:
    metrics();

    // One finished response. `route` is the router's matched pattern ("unmatched" when none),
    // `first_byte_seconds` the time from the request read to the first body byte, < 0 when no
    // body byte was sent (HEAD, 304, a client gone before).
    void on_request(std::string_view route, std::string_view method, unsigned status, uint64_t bytes,
                    double first_byte_seconds);
    // One transcode ended: outcome is done, cancelled or failed; audio_seconds encoded in
    // wall_seconds gives the realtime factor.
    void on_transcode_end(std::string_view format, std::string_view outcome, double audio_seconds,
                          double wall_seconds);
    // kind: media, results, graph, waveform.
    void on_cache_lookup(std::string_view kind, bool hit);
    void set_cache_usage(uint64_t bytes, uint64_t entries);
    void set_cache_limit(uint64_t max_bytes);

    // The gauges other objects own, read when /metrics is asked for.
    struct live_gauges {
        uint64_t connections = 0;
        uint64_t transcodes_active = 0;
        uint64_t library_items = 0;
        double uptime_seconds = 0;
    };
    std::string render(const live_gauges& live) const;

    // For /api/status.
    struct cache_totals {
        uint64_t bytes = 0, entries = 0, max_bytes = 0, hits = 0, misses = 0;
    };
    cache_totals cache() const;
    struct transcode_totals {
        uint64_t done = 0, cancelled = 0, failed = 0;
    };
    transcode_totals transcodes() const;

private:
    mutable std::mutex mutex_;  // the labelled maps
    std::map<std::tuple<std::string, std::string, unsigned>, uint64_t> requests_;  // route, method, status
    std::map<std::string, uint64_t> response_bytes_;                                // route
    std::map<std::pair<std::string, std::string>, uint64_t> transcodes_;            // format, outcome
    std::map<std::string, std::array<uint64_t, 2>> cache_lookups_;                 // kind: misses, hits

    histogram first_byte_;
    histogram realtime_factor_;
    std::atomic<uint64_t> cache_bytes_{0}, cache_entries_{0}, cache_max_bytes_{0};
};

}  // namespace timeside::server
