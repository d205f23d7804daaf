// Reloading the streams folder: each file read, compared with what runs by its content, and the
// difference applied through the server's callbacks in an order where a mount's fallback mount
// starts before it. A file that no longer reads never stops what runs: it only records an error.
#include "server/live/mount_set.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

using def_ptr = std::shared_ptr<const stream_definition>;

struct mount_set::candidate {
    std::string id;
    std::filesystem::path file;
    std::string text;
    std::string error;  // the file could not be read
};

namespace {

// Checks the mount fallbacks of `checked` against every mount that will run (`all`): the mount
// named must exist, and following fallbacks must not come back. Returns the errors by id.
std::map<std::string, std::string> fallback_errors(const std::map<std::string, def_ptr>& all,
                                                   const std::set<std::string>& checked, const std::filesystem::path& folder) {
    std::map<std::string, std::string> errors;
    for (const auto& id : checked) {
        const auto& def = all.at(id);
        if (def->fallback.type != fallback_definition::kind::mount) continue;
        std::vector<std::string> chain{id};
        std::string next = def->fallback.mount;
        while (true) {
            auto it = all.find(next);
            if (it == all.end()) {
                errors[id] = fmt::format("{}: key 'fallback.mount': no mount '{}' in {} ({}.toml is missing or does not read)",
                                         def->file.string(), next, folder.string(), next);
                break;
            }
            if (std::find(chain.begin(), chain.end(), next) != chain.end()) {
                chain.push_back(next);
                errors[id] = fmt::format("{}: key 'fallback.mount': the fallbacks go round in a loop: {}", def->file.string(),
                                         fmt::join(chain, " -> "));
                break;
            }
            chain.push_back(next);
            if (it->second->fallback.type != fallback_definition::kind::mount) break;
            next = it->second->fallback.mount;
        }
    }
    return errors;
}

// How many mount fallbacks lie behind a mount: those with fewer start first.
size_t depth(const std::map<std::string, def_ptr>& all, const std::string& id) {
    size_t d = 0;
    for (auto it = all.find(id); it != all.end() && d <= all.size() && it->second->fallback.type == fallback_definition::kind::mount;
         it = all.find(it->second->fallback.mount))
        ++d;
    return d;
}

void order_by_depth(std::vector<std::string>& ids, const std::map<std::string, def_ptr>& all) {
    std::stable_sort(ids.begin(), ids.end(), [&](const auto& a, const auto& b) { return depth(all, a) < depth(all, b); });
}

}  // namespace

const char* to_string(mount_state s) {
    switch (s) {
        case mount_state::running: return "running";
        case mount_state::kept_previous: return "kept_previous";
        case mount_state::failed: return "failed";
    }
    return "?";
}

mount_set::mount_set(std::filesystem::path folder, const preset_library& presets, mount_callbacks callbacks,
                     definition_defaults defaults)
    : folder_(std::move(folder)), presets_(presets), callbacks_(std::move(callbacks)), defaults_(defaults) {}

std::vector<mount_set::candidate> mount_set::read_folder() const {
    std::vector<candidate> out;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (it->path().extension() != ".toml" || !it->is_regular_file(type_ec)) continue;
        candidate c{it->path().stem().string(), it->path(), {}, {}};
        std::ifstream in(c.file, std::ios::binary);
        std::ostringstream text;
        if (in && (text << in.rdbuf())) c.text = text.str();
        else if (!in) c.error = fmt::format("{}: cannot be read", c.file.string());
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

void mount_set::load() {
    std::lock_guard reload_lock(reload_mutex_);
    std::map<std::string, def_ptr> all;
    std::set<std::string> ids;
    for (const auto& c : read_folder()) {
        if (!c.error.empty()) throw usage_error(c.error);
        all[c.id] = std::make_shared<const stream_definition>(parse_stream_definition(c.text, c.file, presets_, defaults_));
        ids.insert(c.id);
    }
    if (auto errors = fallback_errors(all, ids, folder_); !errors.empty()) throw usage_error(errors.begin()->second);
    {
        std::lock_guard state_lock(state_mutex_);
        entries_.clear();
        for (const auto& [id, def] : all) entries_[id] = mount_entry{id, def->file, def, {}, mount_state::running};
    }
    std::vector<std::string> order(ids.begin(), ids.end());
    order_by_depth(order, all);
    for (const auto& id : order)
        if (callbacks_.start) callbacks_.start(*all.at(id));
    log(log_level::info, "mounts_loaded", {{"folder", folder_.string()}, {"count", std::to_string(all.size())}});
}

reload_report mount_set::reload() {
    std::lock_guard reload_lock(reload_mutex_);
    // entries_ changes only under reload_mutex_, which we hold: reading it needs no state lock.
    const std::map<std::string, mount_entry> before = entries_;
    std::map<std::string, mount_entry> after;
    std::map<std::string, def_ptr> runs;  // every mount that will run, for the fallback checks
    std::set<std::string> fresh;          // mounts whose new definition will be started or replaced
    reload_report report;

    for (const auto& c : read_folder()) {
        auto old = before.find(c.id);
        const mount_entry* prev = old == before.end() ? nullptr : &old->second;
        // The running version's own text (unchanged, or put back after a bad edit): nothing to do.
        if (prev && prev->definition && prev->definition->text == c.text && c.error.empty()) {
            after[c.id] = *prev;
            after[c.id].error.clear();
            runs[c.id] = prev->definition;
            ++report.unchanged;
            continue;
        }
        mount_entry e{c.id, c.file, prev ? prev->definition : nullptr, c.error, mount_state::failed};
        if (e.error.empty()) {
            try {
                stream_definition def = parse_stream_definition(c.text, c.file, presets_, defaults_);
                // An ingest mount keeps the password it was given at start while its file sets none.
                if (prev && prev->definition && def.input.password_generated && prev->definition->input.password_generated)
                    def.input.password = prev->definition->input.password;
                runs[c.id] = std::make_shared<const stream_definition>(std::move(def));
                fresh.insert(c.id);
            } catch (const std::exception& ex) {
                e.error = ex.what();
            }
        }
        if (!e.error.empty() && e.definition) runs[c.id] = e.definition;  // the previous version runs on
        after[c.id] = std::move(e);
    }
    for (const auto& [id, message] : fallback_errors(runs, fresh, folder_)) {
        fresh.erase(id);
        after[id].error = message;
        if (after[id].definition) runs[id] = after[id].definition;
        else runs.erase(id);
    }

    // Stops first (a removed mount frees its id and its fallback listeners), then replaces and starts.
    for (const auto& [id, e] : before)
        if (!after.count(id)) {
            report.removed.push_back(id);
            if (e.definition && callbacks_.stop) {
                try {
                    callbacks_.stop(id);
                } catch (const std::exception& ex) {
                    log(log_level::error, "mount_stop_failed", {{"id", id}, {"error", ex.what()}});
                }
            }
            log(log_level::info, "mount_removed", {{"id", id}});
        }
    std::vector<std::string> order(fresh.begin(), fresh.end());
    order_by_depth(order, runs);
    for (const auto& id : order) {
        mount_entry& e = after[id];
        const bool replacing = e.definition != nullptr;
        const def_ptr def = runs.at(id);
        try {
            if (replacing && callbacks_.replace) callbacks_.replace(*def);
            if (!replacing && callbacks_.start) callbacks_.start(*def);
            e.definition = def;
            (replacing ? report.changed : report.added).push_back(id);
            log(log_level::info, replacing ? "mount_changed" : "mount_added", {{"id", id}, {"file", e.file.string()}});
        } catch (const std::exception& ex) {
            e.error = fmt::format("{}: the mount could not {}: {}", e.file.string(), replacing ? "restart" : "start", ex.what());
        }
    }
    for (auto& [id, e] : after) {
        if (e.error.empty()) {
            e.state = mount_state::running;
            continue;
        }
        e.state = e.definition ? mount_state::kept_previous : mount_state::failed;
        report.invalid.push_back(id);
        auto old = before.find(id);
        if (old == before.end() || old->second.error != e.error)  // each new error logged once
            log(log_level::warn, "mount_invalid",
                {{"id", id}, {"error", e.error}, {"running", e.definition ? "previous version" : "nothing"}});
    }
    std::lock_guard state_lock(state_mutex_);
    entries_ = std::move(after);
    return report;
}

std::vector<mount_entry> mount_set::snapshot() const {
    std::lock_guard state_lock(state_mutex_);
    std::vector<mount_entry> out;
    for (const auto& [id, e] : entries_) out.push_back(e);
    return out;
}

nlohmann::json mount_set::listing() const { return listing_json(folder_, snapshot()); }

nlohmann::json listing_json(const std::filesystem::path& folder, const std::vector<mount_entry>& entries) {
    nlohmann::json streams = nlohmann::json::array();
    for (const auto& e : entries) {
        nlohmann::json s{{"id", e.id}, {"file", e.file.string()}, {"state", to_string(e.state)}};
        if (e.definition) s["definition"] = to_json(*e.definition);
        if (!e.error.empty()) s["error"] = e.error;
        streams.push_back(std::move(s));
    }
    return {{"folder", folder.string()}, {"streams", streams}, {"count", entries.size()}};
}

}  // namespace timeside::server::live
