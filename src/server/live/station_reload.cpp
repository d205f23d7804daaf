// Reloading the streams folder (SIGHUP, inotify, POST /admin/api/reload) and the report the admin
// API gives of it: each definition file loaded, unchanged, in error (and what runs instead) or removed.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/live/reload_runner.hpp"
#include "server/live/station.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

reload_report station::reload() {
    if (!set_) return {};
    auto report = set_->reload();
    auto ids = [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); };
    log(log_level::info, "streams_reloaded",
        {{"added", ids(report.added)}, {"changed", ids(report.changed)}, {"removed", ids(report.removed)},
         {"invalid", ids(report.invalid)}, {"unchanged", std::to_string(report.unchanged)}});
    return report;
}

void station::request_reload(std::function<void(const std::optional<reload_report>&)> done) {
    if (reloader_) return reloader_->request(std::move(done));
    if (done) done(std::nullopt);  // not started, or stopped
}

nlohmann::json station::reload_json(const reload_report& report) const {
    auto has = [](const std::vector<std::string>& v, const std::string& id) {
        return std::find(v.begin(), v.end(), id) != v.end();
    };
    nlohmann::json files = nlohmann::json::array();
    if (set_)
        for (const auto& e : set_->snapshot()) {
            nlohmann::json f{{"id", e.id}, {"file", e.file.filename().string()}};
            if (!e.error.empty()) {
                f["result"] = "error";
                f["error"] = e.error;
                f["running"] = e.definition ? "previous version" : "nothing";
            } else if (has(report.added, e.id) || has(report.changed, e.id)) {
                f["result"] = "loaded";
                f["change"] = has(report.added, e.id) ? "added" : "changed";
            } else {
                f["result"] = "unchanged";
            }
            files.push_back(std::move(f));
        }
    for (const auto& id : report.removed) files.push_back({{"id", id}, {"file", id + ".toml"}, {"result", "removed"}});
    return {{"folder", config_.streams_dir.string()},
            {"files", files},
            {"added", report.added},
            {"changed", report.changed},
            {"removed", report.removed},
            {"invalid", report.invalid},
            {"unchanged", report.unchanged}};
}

}  // namespace timeside::server::live
