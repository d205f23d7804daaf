// The request is checked in full on the network thread (item, format, preset, segment, encoder
// parameters: 404 or 400 naming what is wrong); only then does an encode start, on its own thread.
#include "server/media_routes.hpp"

#include <map>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "server/output_reply.hpp"

namespace timeside::server {

using http::status;

namespace {

const std::map<std::string, std::string>& formats() {
    static const std::map<std::string, std::string> f{{"flac", "flac_encoder"}, {"mp3", "mp3_encoder"},
                                                      {"ogg", "vorbis_encoder"}, {"opus", "opus_encoder"},
                                                      {"wav", "wav_encoder"}};
    return f;
}

media::transcode_request parse_request(const http::request_context& ctx, const media::media_item& item,
                                       const std::string& encoder, const preset_library& presets) {
    media::transcode_request r;
    r.source = {item.path, item.relative, item.sha1, 0, 0, item.size, item.mtime_ns};
    r.ext = ctx.param("ext");
    r.label = item.id + "." + r.ext;
    r.encoder = encoder;
    raw_parameters own;
    const double length = item.duration > 0 ? item.duration : 1e9;
    for (auto& [name, value] : ctx.query_params()) {
        if (name == "preset") {
            const std::string& id = std::get<std::string>(value);
            const preset* p = presets.find(id);
            std::vector<std::string> fitting;
            for (const auto& [n, q] : presets.all())
                if (q.processor == encoder) fitting.push_back(n);
            const std::string valid = fitting.empty() ? "none" : fmt::format("{}", fmt::join(fitting, ", "));
            if (!p) throw usage_error(fmt::format("preset: no preset '{}'; presets for .{}: {}", id, ctx.param("ext"), valid));
            if (p->processor != encoder)
                throw usage_error(fmt::format("preset: '{}' is a {} preset, not for .{}; presets for .{}: {}", id,
                                              p->processor, ctx.param("ext"), ctx.param("ext"), valid));
            r.parameters.insert(r.parameters.begin(), p->parameters.begin(), p->parameters.end());
        } else if (name == "start") {
            r.source.start = http::query_seconds(value, "start", length);
        } else if (name == "duration") {
            r.source.duration = http::query_seconds(value, "duration");
        } else {
            own.emplace_back(name, value);
        }
    }
    // The query's own parameters come after the preset's and win.
    r.parameters.insert(r.parameters.end(), own.begin(), own.end());
    const double rest = item.duration > 0 ? item.duration - r.source.start : 0;
    const double asked = r.source.duration;
    r.audio_seconds = asked > 0 && (rest <= 0 || asked < rest) ? asked : rest;
    return r;
}

}  // namespace

const media::media_item& servable_item(const media::library_snapshot& snap, const std::string& id) {
    const media::media_item* item = snap.find(id);
    if (!item) throw http::http_error(status::not_found, fmt::format("no item '{}' in the media library", id));
    // The file must still be what the scan accepted (not swapped for a symlink out since).
    std::error_code ec;
    if (std::filesystem::canonical(item->path, ec) != item->path || ec)
        throw http::http_error(status::not_found, fmt::format("item '{}' is gone", item->id));
    return *item;
}

std::string encoder_for(const std::string& ext) {
    auto it = formats().find(ext);
    return it == formats().end() ? std::string() : it->second;
}

void add_media_routes(http::router& routes, media_state& state) {
    using http::verb;
    routes.add({verb::get}, "/media/{id+}.{ext}", [&state](const http::request_context& ctx) -> http::reply {
        auto snap = state.library.snapshot();
        const media::media_item* item = &servable_item(*snap, ctx.param("id"));
        const std::string encoder = encoder_for(ctx.param("ext"));
        if (encoder.empty())
            throw http::http_error(status::not_found, fmt::format("no format '.{}'; formats: flac, mp3, ogg, opus, wav",
                                                                  ctx.param("ext")));
        auto plan = media::transcoder::plan(parse_request(ctx, *item, encoder, state.presets));
        const output_target target{"media", plan.key, plan.request.ext, plan.mime};
        return cached_or_produced(
            ctx, state.cache, state.counters, target,
            [&] { return state.transcoder.start(std::move(plan)); }, state.transcoder.max_jobs());
    });
}

}  // namespace timeside::server
