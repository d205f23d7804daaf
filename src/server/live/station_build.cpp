// Building a running mount from its definition: one hub per output (the MP3 one tapped for HLS,
// or an MP3 lane of HLS's own), the events feed, the pushes to Icecast servers, and the engine's
// mount with the callbacks that carry its titles, events, news and block clock to them.
#include <fmt/format.h>

#include "encoders/mp3_frames.hpp"
#include "server/live/http_input.hpp"
#include "server/live/running_mount.hpp"
#include "server/live/station.hpp"

namespace timeside::server::live {

namespace {

// Each block: the event hub's clock (lag checks), and the mount's listener count as news when it
// changed, at most once a second.
struct listener_news {
    int64_t last_frame = -1;
    int64_t last_count = -1;
};

// A hub's numbers go on from where the previous hub of any mount left them across restarts of
// the mount and of the server: they start at the wall clock in microseconds (a feed never
// publishes a million messages a second), so a Last-Event-ID from before is never taken for one
// of now. Below 2^53: exact in JavaScript.
uint64_t first_seq_now() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

}  // namespace

std::shared_ptr<running_mount> station::build(const stream_definition& def) {
    auto m = std::make_shared<running_mount>();
    m->def = std::make_shared<const stream_definition>(def);
    std::vector<std::shared_ptr<chunk_target>> targets;
    auto mount_budget = std::make_shared<listener_budget>(def.listeners.max);  // max 0: uncapped
    auto make_hls = [&] {
        hls::hls_settings hs;
        hs.mount_id = def.id;
        hs.samplerate = def.samplerate;
        hs.segment_seconds = def.hls.segment_seconds;
        hs.window = def.hls.window;
        hs.first_sequence = hls::hls_first_sequence(std::chrono::system_clock::now());
        return std::make_shared<hls::hls_segmenter>(hs);
    };
    for (const auto& out : def.outputs) {
        m->hubs.push_back(std::make_shared<hub>(hub_settings_for(def, out, budget_, mount_budget)));
        targets.push_back(m->hubs.back());
        // HLS takes the MP3 output's frames as they are encoded: one encode for listeners and HLS.
        if (out.format == "mp3" && def.hls.enabled && !m->hls) {
            m->hls = make_hls();
            targets.back() = std::make_shared<hls::hls_tap>(m->hubs.back(), m->hls);
        }
    }
    // No MP3 output: HLS gets an MP3 encode of its own (CBR, 128 kbit/s at 32 kHz and up), run
    // on demand from the mount's blocks (hls_lane). MP3 codes rates up to 48 kHz only.
    std::string lane_spec;
    if (def.hls.enabled && !m->hls && mpeg_version(def.samplerate) != 0) {
        // LAME's CBR ceiling falls with the rate: 320 kbit/s at 32 - 48 kHz, 160 at 16 - 24, 64 at 8 - 12.
        lane_spec = fmt::format("mp3_encoder:mode=cbr,bitrate={}", def.samplerate >= 32000 ? 128 : def.samplerate >= 16000 ? 64 : 32);
        m->hls = make_hls();
    }
    mount_options options;
    // The engine plays files, playlists, signals and pushed sources itself; pulled streams are ours.
    options.make_input = [](const input_definition& in) -> std::shared_ptr<live_input> {
        if (in.type != input_definition::kind::http) return nullptr;
        return std::make_shared<http_input>(http_input_options{.uri = in.uri});
    };
    options.find_feed = [this](const std::string& id) -> std::shared_ptr<audio_feed> {
        auto other = find(id);
        return other && other->engine ? other->engine->feed() : nullptr;
    };
    events::event_hub_settings es;
    es.mount_id = def.id;
    es.samplerate = def.samplerate;
    es.max_subscribers = def.events.max_subscribers;
    es.server = subscriber_budget_;
    es.queue_seconds = def.events.queue_seconds;
    es.resume_seconds = def.events.resume_seconds;
    es.ping_seconds = def.events.ping_seconds;
    es.first_seq = first_seq_now();
    m->events = std::make_shared<events::event_hub>(es);
    for (size_t i = 0; i < def.outputs.size(); ++i) {
        const auto& out = def.outputs[i];
        for (const auto& target : out.push) {
            icecast_push_options po;
            po.target = target;
            po.info = {out.content_type, def.name, def.description, def.genre, def.url, def.is_public,
                       def.samplerate, def.channels, out.bitrate_kbps};
            // Icecast forwards /admin/metadata titles into MP3 (and AAC) streams only (REFERENCE.md).
            po.send_titles = out.format == "mp3";
            po.chain_titles = out.format == "ogg" || out.format == "opus";  // titles in new Ogg links
            m->pushes.push_back(std::make_shared<icecast_push>(network_, m->hubs[i], std::move(po)));
            m->push_output.push_back(i);
        }
    }
    options.on_title = [hubs = m->hubs, pushes = m->pushes, ev = m->events, hls = m->hls,
                        rate = def.samplerate](const std::string& title) {
        for (const auto& h : hubs) h->set_title(title);
        if (hls) hls->set_title(title);
        for (const auto& p : pushes) p->set_title(title);
        ev->publish(events::news{"title", ev->stream_frame(), rate, title, -1});
    };
    options.on_event = [ev = m->events, hls = m->hls](const analysis_event& e) {
        ev->publish(e);
        // Onsets, beats, segments: what a player shows as cues. Framewise values stay in the feed.
        if (hls)
            if (const auto cat = ev->get_catalog(); cat && !cat->decimated(e)) hls->add_event(e);
    };
    options.on_news = [ev = m->events, rate = def.samplerate](const mount_news& n) {
        ev->publish(events::news{n.what, n.frame, rate, n.text, -1});
    };
    // The mount's own listener hubs are reached through a weak pointer: the engine's callback
    // must not keep the running_mount alive.
    options.on_block = [ev = m->events, weak = std::weak_ptr<running_mount>(m), rate = def.samplerate,
                        state = std::make_shared<listener_news>()](int64_t end_frame) {
        ev->tick(end_frame);
        if (state->last_frame >= 0 && end_frame - state->last_frame < rate) return;
        auto self = weak.lock();
        if (!self) return;
        int64_t count = 0;
        for (const auto& h : self->hubs) count += static_cast<int64_t>(h->counters().listeners);
        state->last_frame = end_frame;
        if (count == state->last_count) return;
        state->last_count = count;
        ev->publish(events::news{"listeners", end_frame, rate, {}, count});
    };
    m->engine = std::make_unique<mount>(def, std::move(targets), std::move(options));
    if (!lane_spec.empty())
        m->lane = hls::hls_lane::make({lane_spec, hls::hls_lane_idle_seconds(def.hls.segment_seconds, def.hls.window)}, m->hls,
                                 m->engine->feed());
    if (def.input.type == input_definition::kind::icecast) m->ingest = std::make_shared<mount_ingest>(m->def, *m->engine);
    return m;
}

}  // namespace timeside::server::live
