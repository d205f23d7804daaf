// A live mount's definition: one file streams/{id}.toml, parsed and checked by
// read_stream_definition (every key, default and range is in docs/live.md). The mount's id is the
// file's stem; listeners tune in at /live/{id}.{ext}, a source pushes to /live/{id}.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "server/live/icecast_push_target.hpp"

namespace timeside {
class preset_library;
}

namespace timeside::server::live {

struct input_definition {
    enum class kind { file, playlist, icecast, http, signal };
    kind type = kind::signal;
    std::string uri;                  // file: a path or URI; http: the URL pulled
    std::vector<std::string> files;   // playlist
    bool loop = true;                 // file, playlist
    bool shuffle = false;             // playlist
    std::string password;             // icecast: the source's password; never empty once read
    bool password_generated = false;  // no password was configured: a random one was made
    std::string signal = "silence";   // signal: "sine:440", "clicks:120" (BPM), "silence"
};

struct output_definition {
    std::string format;        // mp3 | ogg | opus | flac
    std::string extension;     // the listener URL's: mp3, ogg, opus, flac
    std::string encoder_spec;  // a processor spec the registry builds: "mp3_encoder:bitrate=128"
    std::string content_type;  // audio/mpeg, audio/ogg, audio/ogg (opus), audio/flac
    unsigned bitrate_kbps = 0; // nominal (mp3 cbr, opus) for icy-br and the status; 0: none set (vbr, vorbis, flac)
    std::vector<push_target> push{};  // Icecast servers this output is also sent to (icecast_push)
};

struct fallback_definition {
    enum class kind { silence, file, mount };
    kind type = kind::silence;
    std::string uri;    // file (played looped)
    std::string mount;  // mount: another mount's id, whose audio is heard
};

struct listener_limits {
    unsigned max = 0;              // per mount; 0: only the server-wide cap
    double burst_seconds = 2.0;    // given to a joining listener at once
    unsigned burst_bytes = 65536;  // ...and at least this many bytes, within half the queue (Icecast's burst-size)
    double queue_seconds = 10.0;   // a listener further behind is dropped (slow_listeners)
    unsigned metaint = 16000;      // audio bytes between ICY metadata blocks
};

// [events]: the mount's analysis events feed (/events/{id}, docs/events.md).
struct event_limits {
    unsigned max_subscribers = 0;  // per mount; 0: only the server-wide [live] max_subscribers
    double queue_seconds = 10.0;   // a subscriber whose oldest unwritten message is older is closed (1008)
    double resume_seconds = 30.0;  // how far back an SSE reconnect's Last-Event-ID resumes
    double ping_seconds = 30.0;    // a WebSocket ping after this long without a word from the peer
};

// [rtsp]: who may play the mount over RTSP (rtsp://HOST:8554/live/{id}). No password: anyone,
// like the HTTP listeners; a password: RTSP clients must give this user and password (Basic).
struct rtsp_definition {
    std::string user = "listener";
    std::string password;
};

// [hls]: the mount as HLS (/live/{id}/index.m3u8), cut from its MP3 output (hls_segmenter.hpp).
struct hls_options {
    bool enabled = true;
    double segment_seconds = 2.0;  // 1 - 10 s, cut at the first MP3 frame boundary at or past it
    unsigned window = 6;           // 3 - 100 segments in the playlist
};

struct stream_definition {
    std::string id;
    std::filesystem::path file;
    std::string text;  // the file's content: a reload restarts a mount only when it changed
    std::string name, description, genre, url;
    bool is_public = false;
    int samplerate = 44100;
    int channels = 2;
    input_definition input;
    std::vector<output_definition> outputs;
    std::vector<std::string> analysis;  // processor specs, as on the command line
    listener_limits listeners;
    event_limits events;
    hls_options hls;
    fallback_definition fallback;
    rtsp_definition rtsp;
    std::chrono::milliseconds source_timeout{10000};
};

// What a format maps to: its encoder, the listener URL's extension and the Content-Type served.
struct output_format {
    std::string_view format, encoder, extension, content_type;
};
// mp3, ogg (Vorbis), opus (Ogg Opus), flac; nullptr for anything else.
const output_format* find_output_format(std::string_view format);

// Values a definition falls back on when it does not set them (the server's [live] config).
struct definition_defaults {
    std::chrono::milliseconds source_timeout{10000};
};

// Reads and checks streams/{id}.toml: every key, type and range; presets resolved (their encoder
// must be the format's) and inline encoder parameters checked by the encoder's own validator;
// analysis specs checked against the registry (analyzers only); files named by a file or playlist
// input or a file fallback must exist (relative paths are taken from the working directory). An
// icecast input without a password gets a random one (password_generated). Throws usage_error
// "streams/x.toml:12: key 'listeners.burst': expected a number of seconds from 0 to 60, got -1".
stream_definition read_stream_definition(const std::filesystem::path& file, const preset_library& presets,
                                         const definition_defaults& defaults = {});
// The same from text already read (`file` names it in messages; its stem is the id).
stream_definition parse_stream_definition(std::string_view text, const std::filesystem::path& file,
                                          const preset_library& presets, const definition_defaults& defaults = {});

// A random source password: 24 bytes from the kernel's CSPRNG (192 bits), base64url, 32 characters.
std::string generate_password();

// The definition as /api/streams shows it. The password is never included: only whether one is
// set and whether it was generated (the mount's start-up log line prints a generated one once).
nlohmann::json to_json(const stream_definition& def);

}  // namespace timeside::server::live
