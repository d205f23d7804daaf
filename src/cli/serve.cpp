// `timeside serve [--config FILE] [--listen HOST:PORT] [--media DIR]... [--streams DIR] [--presets DIR]`: the
// HTTP server. Options given on the command line override the config file's keys.
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/plugin_loader.hpp"
#include "core/utf8.hpp"
#include "decoders/file_decoder.hpp"
#include "server/config.hpp"
#include "server/log.hpp"
#include "server/server.hpp"

namespace timeside::cli {

void add_serve(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("serve", "Serve the media library over HTTP (default http://127.0.0.1:8000/)");
    struct options {
        std::string config, listen, presets, streams;
        std::vector<std::string> media;
    };
    auto o = std::make_shared<options>();
    cmd->add_option("--config", o->config, "TOML config file (keys and defaults: docs/server.md)");
    cmd->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8000)");
    cmd->add_option("--media", o->media, "a media folder, repeatable (replaces the config's; default samples/)");
    cmd->add_option("--streams", o->streams, "live stream definitions folder, one TOML per stream (default streams/)");
    cmd->add_option("--presets", o->presets, "presets folder (default: $TIMESIDE_PRESETS, else presets/)");
    cmd->callback([o, &exit_code] {
        server::server_config config;
        if (!o->config.empty()) config = server::load_config(o->config);
        if (!o->listen.empty()) config.listen = server::parse_listen(o->listen, "--listen");
        if (!o->media.empty()) config.media_folders.assign(o->media.begin(), o->media.end());
        if (!o->presets.empty()) config.presets_dir = o->presets;
        if (!o->streams.empty()) {
            config.streams_dir = o->streams;
            config.streams_given = true;
        }
        set_decode_warning_sink([](const decode_warning& w) {
            server::log(server::log_level::warn, "non_finite_samples",
                        {{"input", to_valid_utf8(w.input)}, {"replaced", std::to_string(w.non_finite)},
                         {"as", "NaN by 0, +-Inf by +-1.0 (full scale)"}});
        });
        // Before the server lists or builds processors: plugins from $TIMESIDE_PLUGIN_PATH, the
        // config's [plugins] folders and the installation (broken ones skipped on stderr).
        load_default_plugins(config.plugin_folders);
        server::server s(std::move(config));
        exit_code = s.run();
    });
}

}  // namespace timeside::cli
