// What a mount's feed offers, as its `hello` message tells a subscriber: the mount's format, its
// outputs, and its analyzers with their result ids, units and time modes. It also decides which
// results are framewise values (decimated to a subscriber's rate) and which are events (never).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/analyzer.hpp"
#include "server/live/stream_definition.hpp"

namespace timeside::server::events {

struct result_entry {
    std::string id, name, unit;
    time_mode tmode = time_mode::framewise;
    data_mode dmode = data_mode::value;
    size_t bins = 0;      // a spectrum (a framewise row of magnitudes per frequency bin): its bins
    double bin_hz = 0;    // and their spacing
    aggregation aggregate = aggregation::mean;  // a decimated result's interval value
    size_t values = 0;    // values per message when they are one per `per` (0: not told)
    std::string per{};    // what each value is of: "channel" (in channel order)
};

// A spectrum result, as binary 8-bit columns can carry it (docs/events.md, "Binary columns").
struct spectrum_info {
    size_t bins = 0;
    double full_scale = 1;  // the magnitude of a full-scale sine in its bin (0 dB)
};

struct analyzer_entry {
    std::string id, name, unit;
    std::vector<result_entry> results;
};

struct output_entry {
    std::string url, format, content_type;
};

struct catalog {
    std::string mount;
    std::string item;      // an on-demand item's feed (/events/items/{id}): its id; `mount` is then empty
    double duration = -1;  // the item's: seconds (-1: unknown)
    int samplerate = 0, channels = 0;
    std::vector<analyzer_entry> analyzers;
    std::vector<output_entry> outputs;

    // An analyzer id or one of its result ids.
    bool knows(const std::string& name) const;
    // Framewise and global results' values (meters, spectra, running estimates) are decimated;
    // event and segment results (onsets, beats, silence changes, notes) never are. A result the
    // analyzer did not declare at setup counts as an event when it carries a label.
    bool decimated(const analysis_event& e) const;
    // How a decimated result's interval is summed up (mean for a result it does not know).
    aggregation aggregate(const std::string& result_id) const;

    std::unordered_map<std::string, time_mode> modes;  // result id -> its time mode
    std::unordered_map<std::string, aggregation> aggregates;  // result id -> its interval aggregate, where not the mean
    std::unordered_map<std::string, spectrum_info> spectra;  // results binary columns can carry
};

// The catalog of a running mount: `analyzers` as its engine built them (after start()).
std::shared_ptr<const catalog> make_catalog(const live::stream_definition& def,
                                            const std::vector<std::shared_ptr<analyzer>>& analyzers);

// The catalog of an item's analysis run (`analyzers` set up, before the first block).
std::shared_ptr<const catalog> make_item_catalog(const std::string& item_id, int samplerate, int channels, double duration,
                                                 const std::vector<std::shared_ptr<analyzer>>& analyzers);

// Binary columns map this range of dB (relative to a full-scale sine) onto 0..255.
inline constexpr double column_min_db = -120, column_max_db = 0;

// Where a resumed SSE subscription starts: the id it gave and whether the ring still held
// everything after it (else it starts from now).
struct resume_info {
    uint64_t last_event_id = 0;
    bool complete = false;
};

// {"type":"hello","protocol":1,"mount","samplerate","channels","frame","t","seq","analyzers",
//  "outputs","subscription"(,"resume")}: `frame` is the stream time now, `seq` the feed's last
// message before this subscriber's first. An item's: "item" and "duration" instead of "mount"
// and "outputs", `frame` the frames analysed so far.
std::string hello_json(const catalog& c, int64_t frame, uint64_t seq, const nlohmann::json& subscription,
                       const std::optional<resume_info>& resume);

}  // namespace timeside::server::events
