// The set of live mounts the streams folder defines, kept in step with the folder: read whole at
// start (a bad file stops the server), read again on request (SIGHUP) or when the folder changes
// (definition_watch), and turned into start / replace / stop calls for the mounts that changed.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "server/live/stream_definition.hpp"

namespace timeside::server::live {

enum class mount_state {
    running,        // the file's definition runs
    kept_previous,  // the file no longer reads (or its restart failed): the previous version runs on
    failed,         // the file does not read (or its mount failed to start): nothing runs for it
};
const char* to_string(mount_state s);

struct mount_entry {
    std::string id;
    std::filesystem::path file;
    std::shared_ptr<const stream_definition> definition;  // what runs; null when nothing does
    std::string error;                                    // why the file is not what runs; empty if it is
    mount_state state = mount_state::failed;
};

// What the server does with a mount; each is called with no lock of the set's held but one reload
// at a time, so a callback may call snapshot() and must not call reload(). start() and replace()
// report failure by throwing (the error is kept for /api/streams); replace() must leave the
// previous version running when it throws. Unset callbacks do nothing.
struct mount_callbacks {
    std::function<void(const stream_definition&)> start;    // a new mount, or one that failed before
    std::function<void(const stream_definition&)> replace;  // its file changed: the same id, a new definition
    std::function<void(const std::string& id)> stop;        // its file is gone
};

struct reload_report {
    std::vector<std::string> added, changed, removed, invalid;  // ids, sorted
    size_t unchanged = 0;
};

class mount_set {
public:
    mount_set(std::filesystem::path folder, const preset_library& presets, mount_callbacks callbacks,
              definition_defaults defaults = {});

    // The first read: every *.toml must read, else a usage_error naming the file and the key (exit
    // 2) and nothing is started; then start() for each mount, a mount's fallback mount first. A
    // missing folder defines no mounts.
    void load();
    // Reads the folder again: a new file starts, a file whose content changed is replaced, a
    // removed file stops, a file that no longer reads keeps its previous version running (its
    // error kept and logged), a file whose content did not change is not touched (its listeners
    // and source stay). A source password generated for an ingest mount is kept across replaces.
    // Never throws for a bad file. Thread-safe (reloads are serialized).
    reload_report reload();

    std::vector<mount_entry> snapshot() const;  // sorted by id
    // GET /api/streams: {"folder", "streams": [{"id", "file", "state", "definition"?, "error"?}], "count"}
    nlohmann::json listing() const;
    const std::filesystem::path& folder() const { return folder_; }

private:
    struct candidate;
    std::vector<candidate> read_folder() const;

    std::filesystem::path folder_;
    const preset_library& presets_;
    mount_callbacks callbacks_;
    definition_defaults defaults_;
    std::mutex reload_mutex_;         // one load/reload at a time
    mutable std::mutex state_mutex_;  // entries_, for snapshot() while a reload runs
    std::map<std::string, mount_entry> entries_;
};

// The listing's JSON for entries (mount_set::listing, and stream_catalog for a folder as it is).
nlohmann::json listing_json(const std::filesystem::path& folder, const std::vector<mount_entry>& entries);

}  // namespace timeside::server::live
