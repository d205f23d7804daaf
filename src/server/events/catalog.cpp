// The catalog is read from the analyzers' results as made at setup (TimeSide's id_metadata,
// data_mode and time_mode), once per mount start.
#include "server/events/catalog.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace timeside::server::events {

bool catalog::knows(const std::string& name) const {
    for (const auto& a : analyzers) {
        if (a.id == name) return true;
        for (const auto& r : a.results)
            if (r.id == name) return true;
    }
    return false;
}

bool catalog::decimated(const analysis_event& e) const {
    if (auto it = modes.find(e.result_id); it != modes.end())
        return it->second == time_mode::framewise || it->second == time_mode::global;
    return !e.label.has_value();
}

aggregation catalog::aggregate(const std::string& result_id) const {
    const auto it = aggregates.find(result_id);
    return it != aggregates.end() ? it->second : aggregation::mean;
}

namespace {

void add_analyzers(catalog* c, const std::vector<std::shared_ptr<analyzer>>& analyzers) {
    for (const auto& a : analyzers) {
        analyzer_entry entry{a->id(), a->info().name, a->info().unit, {}};
        for (const auto& r : a->results()) {
            result_entry e{r.id.id, r.id.name, r.id.unit, r.tmode, r.dmode};
            e.aggregate = r.interval_aggregate;
            if (r.interval_aggregate != aggregation::mean) c->aggregates[r.id.id] = r.interval_aggregate;
            // One value per channel of the audio the analyzer is given: the mount's or the item's.
            if (r.value_axis == "channel") {
                e.values = static_cast<size_t>(std::max(1, c->channels));
                e.per = r.value_axis;
            }
            // The spectrogram's rows: a magnitude per frequency bin. Its windows are Hann-weighted,
            // so a full-scale sine peaks at a quarter of the window's length in its bin.
            if (a->id() == "spectrogram_analyzer" && r.tmode == time_mode::framewise && r.data.width > 1 &&
                r.data.y_value.size() == r.data.width && r.frames.blocksize > 0) {
                e.bins = r.data.width;
                e.bin_hz = r.data.y_value.size() > 1 ? r.data.y_value[1] - r.data.y_value[0] : 0;
                c->spectra[r.id.id] = {r.data.width, r.frames.blocksize / 4.0};
            }
            entry.results.push_back(std::move(e));
            c->modes[r.id.id] = r.tmode;
        }
        c->analyzers.push_back(std::move(entry));
    }
}

}  // namespace

std::shared_ptr<const catalog> make_catalog(const live::stream_definition& def,
                                            const std::vector<std::shared_ptr<analyzer>>& analyzers) {
    auto c = std::make_shared<catalog>();
    c->mount = def.id;
    c->samplerate = def.samplerate;
    c->channels = def.channels;
    for (const auto& out : def.outputs)
        c->outputs.push_back({"/live/" + def.id + "." + out.extension, out.format, out.content_type});
    add_analyzers(c.get(), analyzers);
    return c;
}

std::shared_ptr<const catalog> make_item_catalog(const std::string& item_id, int samplerate, int channels, double duration,
                                                 const std::vector<std::shared_ptr<analyzer>>& analyzers) {
    auto c = std::make_shared<catalog>();
    c->item = item_id;
    c->samplerate = samplerate;
    c->channels = channels;
    c->duration = duration;
    add_analyzers(c.get(), analyzers);
    return c;
}

std::string hello_json(const catalog& c, int64_t frame, uint64_t seq, const nlohmann::json& subscription,
                       const std::optional<resume_info>& resume) {
    using ordered = nlohmann::ordered_json;
    ordered analyzers = ordered::array();
    for (const auto& a : c.analyzers) {
        ordered results = ordered::array();
        for (const auto& r : a.results) {
            const bool decimated = r.tmode == time_mode::framewise || r.tmode == time_mode::global;
            ordered e{{"id", r.id}, {"name", r.name}, {"unit", r.unit}, {"time_mode", to_string(r.tmode)},
                      {"data_mode", to_string(r.dmode)}, {"decimated", decimated}};
            if (decimated && r.dmode == data_mode::value) e["aggregate"] = to_string(r.aggregate);
            if (r.values) e["values"] = {{"count", r.values}, {"per", r.per}};
            if (r.bins) e["columns"] = {{"bins", r.bins}, {"bin_hz", r.bin_hz}, {"min_db", column_min_db}, {"max_db", column_max_db}};
            results.push_back(std::move(e));
        }
        analyzers.push_back({{"id", a.id}, {"name", a.name}, {"unit", a.unit}, {"results", results}});
    }
    ordered outputs = ordered::array();
    for (const auto& o : c.outputs) outputs.push_back({{"url", o.url}, {"format", o.format}, {"content_type", o.content_type}});
    ordered j{{"type", "hello"}, {"protocol", 1}};
    if (c.item.empty()) j["mount"] = c.mount;
    else j["item"] = c.item;
    j["samplerate"] = c.samplerate;
    j["channels"] = c.channels;
    if (!c.item.empty()) j["duration"] = c.duration >= 0 ? ordered(c.duration) : ordered(nullptr);
    j["frame"] = frame;
    j["t"] = c.samplerate ? static_cast<double>(frame) / c.samplerate : 0.0;
    j["seq"] = seq;
    j["analyzers"] = analyzers;
    if (c.item.empty()) j["outputs"] = outputs;
    j["subscription"] = ordered::parse(subscription.dump());
    if (resume) j["resume"] = {{"last_event_id", resume->last_event_id}, {"complete", resume->complete}};
    return j.dump();
}

}  // namespace timeside::server::events
