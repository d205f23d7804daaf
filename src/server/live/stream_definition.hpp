// A live mount's definition: one file streams/{id}.toml, parsed and checked by
// read_stream_definition (every key, default and range is in docs/live.md). The mount's id is the
// file's stem; listeners tune in at /live/{id}.{ext}, a source pushes to /live/{id}.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

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
    double queue_seconds = 10.0;   // a listener further behind is dropped (slow_listeners)
    unsigned metaint = 16000;      // audio bytes between ICY metadata blocks
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
    fallback_definition fallback;
    std::chrono::milliseconds source_timeout{10000};
};

}  // namespace timeside::server::live
