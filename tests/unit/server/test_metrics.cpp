// The metrics registry as a scraper sees it: the exposition text parsed back line by line
// (names, labels with their escapes, values), histograms cumulative with +Inf equal to _count,
// totals exact under concurrent updates, and the figures /api/status reads.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "server/metrics.hpp"

using timeside::server::escape_label_value;
using timeside::server::histogram;
using timeside::server::metrics;

namespace {

struct sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

// A reader of the text format written from its description, independent of the writer: label
// values are unescaped here, so a wrong escape shows as a wrong value or a parse failure.
std::vector<sample> parse(const std::string& text, std::map<std::string, std::string>* types = nullptr) {
    std::vector<sample> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line.rfind("# TYPE ", 0) == 0) {
            std::istringstream t(line.substr(7));
            std::string name, type;
            t >> name >> type;
            if (types) (*types)[name] = type;
            continue;
        }
        if (line[0] == '#') continue;
        sample s;
        size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
        if (line[i] == '{') {
            ++i;
            while (line.at(i) != '}') {
                std::string key, value;
                while (line.at(i) != '=') key += line[i++];
                REQUIRE(line.at(i + 1) == '"');
                i += 2;
                while (line.at(i) != '"') {
                    if (line[i] == '\\') {
                        const char e = line.at(++i);
                        REQUIRE((e == '\\' || e == '"' || e == 'n'));
                        value += e == 'n' ? '\n' : e;
                    } else {
                        value += line[i];
                    }
                    ++i;
                }
                ++i;
                if (line.at(i) == ',') ++i;
                s.labels[key] = value;
            }
            ++i;
        }
        REQUIRE(line.at(i) == ' ');
        s.value = std::stod(line.substr(i + 1));
        out.push_back(std::move(s));
    }
    return out;
}

const sample* find(const std::vector<sample>& all, const std::string& name,
                   const std::map<std::string, std::string>& labels = {}) {
    for (const auto& s : all)
        if (s.name == name && s.labels == labels) return &s;
    return nullptr;
}

double value_of(const std::vector<sample>& all, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
    const sample* s = find(all, name, labels);
    INFO(name);
    REQUIRE(s);
    return s->value;
}

}  // namespace

TEST_CASE("requests are counted by route pattern, method and status", "[server][metrics]") {
    metrics m;
    m.on_request("/media/{id+}.{ext}", "GET", 200, 1000, 0.01);
    m.on_request("/media/{id+}.{ext}", "GET", 200, 500, 0.02);
    m.on_request("/media/{id+}.{ext}", "GET", 404, 80, 0.001);
    m.on_request("unmatched", "GET", 404, 70, 0.001);
    m.on_request("/api/items", "HEAD", 200, 120, -1);
    std::map<std::string, std::string> types;
    const auto s = parse(m.render({}), &types);
    CHECK(value_of(s, "timeside_http_requests_total",
                   {{"route", "/media/{id+}.{ext}"}, {"method", "GET"}, {"status", "200"}}) == 2);
    CHECK(value_of(s, "timeside_http_requests_total",
                   {{"route", "/media/{id+}.{ext}"}, {"method", "GET"}, {"status", "404"}}) == 1);
    CHECK(value_of(s, "timeside_http_requests_total", {{"route", "unmatched"}, {"method", "GET"}, {"status", "404"}}) == 1);
    CHECK(value_of(s, "timeside_http_response_bytes_total", {{"route", "/media/{id+}.{ext}"}}) == 1580);
    CHECK(value_of(s, "timeside_http_response_bytes_total", {{"route", "/api/items"}}) == 120);
    // The HEAD answer sent no body byte: four observations, not five.
    CHECK(value_of(s, "timeside_http_time_to_first_byte_seconds_count") == 4);
    CHECK(value_of(s, "timeside_http_time_to_first_byte_seconds_sum") == Approx(0.032));
    CHECK(types["timeside_http_requests_total"] == "counter");
    CHECK(types["timeside_http_time_to_first_byte_seconds"] == "histogram");
    CHECK(types["timeside_http_open_connections"] == "gauge");
}

TEST_CASE("label values with quotes, backslashes and newlines survive the round trip", "[server][metrics]") {
    CHECK(escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
    metrics m;
    const std::string odd = "/x/\"quoted\"\\back\nnext";
    m.on_request(odd, "GET", 200, 1, 0.1);
    const auto s = parse(m.render({}));
    CHECK(value_of(s, "timeside_http_requests_total", {{"route", odd}, {"method", "GET"}, {"status", "200"}}) == 1);
}

TEST_CASE("histogram buckets are cumulative, bounds inclusive, +Inf equal to the count", "[server][metrics]") {
    histogram h({0.1, 1, 10});
    for (double v : {0.05, 0.1, 0.5, 1.0, 3.0, 20.0, 50.0}) h.observe(v);
    std::string text;
    h.render(text, "x", "kind=\"a\"");
    const auto s = parse(text);
    CHECK(value_of(s, "x_bucket", {{"kind", "a"}, {"le", "0.1"}}) == 2);  // 0.05 and 0.1 itself
    CHECK(value_of(s, "x_bucket", {{"kind", "a"}, {"le", "1"}}) == 4);
    CHECK(value_of(s, "x_bucket", {{"kind", "a"}, {"le", "10"}}) == 5);
    CHECK(value_of(s, "x_bucket", {{"kind", "a"}, {"le", "+Inf"}}) == 7);
    CHECK(value_of(s, "x_count", {{"kind", "a"}}) == 7);
    CHECK(value_of(s, "x_sum", {{"kind", "a"}}) == Approx(74.65));
    // The bucket lines come in ascending order, as scrapers expect.
    double last = -1;
    for (const auto& b : s)
        if (b.name == "x_bucket") {
            CHECK(b.value >= last);
            last = b.value;
        }
}

TEST_CASE("transcode ends feed the outcome counters and the realtime factor", "[server][metrics]") {
    metrics m;
    m.on_transcode_end("ogg", "done", 60, 0.5);        // 120x real time
    m.on_transcode_end("ogg", "cancelled", 3, 1.5);    // 2x
    m.on_transcode_end("opus", "failed", 0, 0.01);     // nothing decoded: no factor
    const auto s = parse(m.render({}));
    CHECK(value_of(s, "timeside_transcodes_total", {{"format", "ogg"}, {"outcome", "done"}}) == 1);
    CHECK(value_of(s, "timeside_transcodes_total", {{"format", "ogg"}, {"outcome", "cancelled"}}) == 1);
    CHECK(value_of(s, "timeside_transcodes_total", {{"format", "opus"}, {"outcome", "failed"}}) == 1);
    CHECK(value_of(s, "timeside_transcode_realtime_factor_count") == 2);
    CHECK(value_of(s, "timeside_transcode_realtime_factor_sum") == Approx(122));
    CHECK(value_of(s, "timeside_transcode_realtime_factor_bucket", {{"le", "1"}}) == 0);
    CHECK(value_of(s, "timeside_transcode_realtime_factor_bucket", {{"le", "2"}}) == 1);
    CHECK(value_of(s, "timeside_transcode_realtime_factor_bucket", {{"le", "200"}}) == 2);
    const auto t = m.transcodes();
    CHECK(t.done == 1);
    CHECK(t.cancelled == 1);
    CHECK(t.failed == 1);
}

TEST_CASE("cache lookups and usage reach both /metrics and the status totals", "[server][metrics]") {
    metrics m;
    m.on_cache_lookup("media", true);
    m.on_cache_lookup("media", false);
    m.on_cache_lookup("media", true);
    m.on_cache_lookup("waveform", false);
    m.set_cache_usage(123456, 7);
    m.set_cache_limit(1 << 20);
    const auto s = parse(m.render({3, 2, 41, 12.5}));
    CHECK(value_of(s, "timeside_cache_hits_total", {{"kind", "media"}}) == 2);
    CHECK(value_of(s, "timeside_cache_misses_total", {{"kind", "media"}}) == 1);
    CHECK(value_of(s, "timeside_cache_misses_total", {{"kind", "waveform"}}) == 1);
    CHECK(value_of(s, "timeside_cache_bytes") == 123456);
    CHECK(value_of(s, "timeside_cache_entries") == 7);
    CHECK(value_of(s, "timeside_http_open_connections") == 3);
    CHECK(value_of(s, "timeside_transcodes_active") == 2);
    CHECK(value_of(s, "timeside_library_items") == 41);
    CHECK(value_of(s, "timeside_uptime_seconds") == 12.5);
    const auto c = m.cache();
    CHECK(c.hits == 2);
    CHECK(c.misses == 2);
    CHECK(c.bytes == 123456);
    CHECK(c.entries == 7);
    CHECK(c.max_bytes == 1 << 20);
}

TEST_CASE("concurrent updates lose no count", "[server][metrics]") {
    metrics m;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&m, t] {
            for (int i = 0; i < 5000; ++i) {
                m.on_request(t % 2 ? "/a" : "/b", "GET", 200, 10, 0.001);
                m.on_cache_lookup("media", i % 2 == 0);
            }
        });
    for (auto& th : threads) th.join();
    const auto s = parse(m.render({}));
    CHECK(value_of(s, "timeside_http_requests_total", {{"route", "/a"}, {"method", "GET"}, {"status", "200"}}) == 10000);
    CHECK(value_of(s, "timeside_http_requests_total", {{"route", "/b"}, {"method", "GET"}, {"status", "200"}}) == 10000);
    CHECK(value_of(s, "timeside_http_time_to_first_byte_seconds_bucket", {{"le", "+Inf"}}) == 20000);
    CHECK(m.cache().hits == 10000);
}
