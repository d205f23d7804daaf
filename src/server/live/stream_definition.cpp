// Stream definitions read with toml++: one reader per table, each key checked for its type and
// range, so that a typo stops the server at start (exit 2) naming the file, the line and the key.
// Encoder and analyzer parameters go through the processors' own validator, as on the command line.
#include "server/live/stream_definition.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "core/registry.hpp"
#include "core/spec.hpp"

namespace timeside::server::live {

namespace {

const output_format formats[] = {
    {"mp3", "mp3_encoder", "mp3", "audio/mpeg"},
    {"ogg", "vorbis_encoder", "ogg", "audio/ogg"},
    {"opus", "opus_encoder", "opus", "audio/ogg"},
    {"flac", "flac_encoder", "flac", "audio/flac"},
};

bool is_id(const std::string& s) {
    static const std::regex pattern("^[a-z0-9][a-z0-9_-]*$");
    return std::regex_match(s, pattern);
}

// Reads one file; every failure names it, the line of the node at fault and the dotted key.
class reader {
public:
    explicit reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const toml::node& at, const std::string& key, const std::string& what) const {
        const auto line = at.source().begin.line;
        if (line) throw usage_error(fmt::format("{}:{}: key '{}': {}", file_, line, key, what));
        throw usage_error(fmt::format("{}: key '{}': {}", file_, key, what));
    }
    [[noreturn]] void expected(const toml::node& n, const std::string& key, const std::string& what) const {
        fail(n, key, fmt::format("expected {}, got {}", what, shown(n)));
    }

    std::string string(const toml::node& n, const std::string& key) const {
        if (auto s = n.as_string()) return s->get();
        expected(n, key, "a string");
    }
    std::string nonempty(const toml::node& n, const std::string& key) const {
        std::string s = string(n, key);
        if (s.empty()) expected(n, key, "a non-empty string");
        return s;
    }
    bool boolean(const toml::node& n, const std::string& key) const {
        if (auto b = n.as_boolean()) return b->get();
        expected(n, key, "true or false");
    }
    int64_t integer(const toml::node& n, const std::string& key, int64_t lo, int64_t hi) const {
        const std::string what = fmt::format("an integer from {} to {}", lo, hi);
        auto i = n.as_integer();
        if (!i || i->get() < lo || i->get() > hi) expected(n, key, what);
        return i->get();
    }
    double seconds(const toml::node& n, const std::string& key, double lo, double hi) const {
        const std::string what = fmt::format("a number of seconds from {} to {}", lo, hi);
        double s = 0;
        if (auto i = n.as_integer()) s = static_cast<double>(i->get());
        else if (auto f = n.as_floating_point()) s = f->get();
        else expected(n, key, what);
        if (!(s >= lo && s <= hi)) expected(n, key, what);
        return s;
    }
    const toml::table& table(const toml::node& n, const std::string& key) const {
        if (auto t = n.as_table()) return *t;
        expected(n, key, fmt::format("a table ([{}])", key));
    }
    // A file named by an input or a fallback: a path or a file:// URI, which must exist.
    std::string existing_file(const toml::node& n, const std::string& key) const {
        std::string uri = nonempty(n, key);
        std::string path = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
        if (path.find("://") != std::string::npos)
            fail(n, key, fmt::format("'{}' is not a file (a URL is pulled with [input] kind = \"http\")", uri));
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            fail(n, key, fmt::format("no such file '{}' (relative paths are taken from the server's working "
                                     "directory, {})", path, std::filesystem::current_path(ec).string()));
        return uri;
    }
    [[noreturn]] void unknown(const toml::node& at, const std::string& key, const std::string& owner,
                              const std::vector<std::string_view>& valid) const {
        fail(at, key, fmt::format("unknown key; {} takes: {}", owner, fmt::join(valid, ", ")));
    }
    const std::string& file() const { return file_; }

private:
    static std::string shown(const toml::node& n) {
        if (auto i = n.as_integer()) return std::to_string(i->get());
        if (auto f = n.as_floating_point()) return fmt::format("{}", f->get());
        if (auto b = n.as_boolean()) return b->get() ? "true" : "false";
        if (auto s = n.as_string()) return fmt::format("'{}'", s->get());
        if (n.is_array()) return "an array";
        if (n.is_table()) return "a table";
        return "a date or time";
    }
    std::string file_;
};

// "sine:440" (1..20000 Hz), "clicks:120" (20..300 BPM), "silence".
void check_signal(const reader& r, const toml::node& n, const std::string& text) {
    const std::string expectation = "'sine:F' (F from 1 to 20000 Hz), 'clicks:BPM' (20 to 300) or 'silence'";
    if (text == "silence") return;
    const auto colon = text.find(':');
    const std::string kind = text.substr(0, colon);
    double value = 0;
    if (colon != std::string::npos && (kind == "sine" || kind == "clicks")) {
        const char* begin = text.data() + colon + 1;
        const char* end = text.data() + text.size();
        auto [ptr, ec] = std::from_chars(begin, end, value);
        const bool whole = ec == std::errc{} && ptr == end && begin != end;
        if (whole && kind == "sine" && value >= 1 && value <= 20000) return;
        if (whole && kind == "clicks" && value >= 20 && value <= 300) return;
    }
    r.expected(n, "input.signal", expectation);
}

input_definition read_input(const reader& r, const toml::table& t) {
    input_definition in;
    const toml::node* kind = t.get("kind");
    if (!kind) r.fail(t, "input.kind", "missing: kind = \"file\", \"playlist\", \"icecast\", \"http\" or \"signal\"");
    const std::string k = r.string(*kind, "input.kind");
    using ik = input_definition::kind;
    std::vector<std::string_view> keys;
    if (k == "file") in.type = ik::file, keys = {"kind", "uri", "loop"};
    else if (k == "playlist") in.type = ik::playlist, keys = {"kind", "files", "loop", "shuffle"};
    else if (k == "icecast") in.type = ik::icecast, keys = {"kind", "password"};
    else if (k == "http") in.type = ik::http, keys = {"kind", "uri"};
    else if (k == "signal") in.type = ik::signal, keys = {"kind", "signal"};
    else r.expected(*kind, "input.kind", "one of file, playlist, icecast, http, signal");

    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "input." + name;
        if (std::find(keys.begin(), keys.end(), name) == keys.end())
            r.unknown(node, dotted, fmt::format("an input of kind '{}'", k), keys);
        if (name == "uri" && in.type == ik::file) in.uri = r.existing_file(node, dotted);
        else if (name == "uri") {
            in.uri = r.nonempty(node, dotted);
            if (in.uri.rfind("http://", 0) != 0 && in.uri.rfind("https://", 0) != 0)
                r.expected(node, dotted, "an http:// or https:// URL");
        } else if (name == "loop") in.loop = r.boolean(node, dotted);
        else if (name == "shuffle") in.shuffle = r.boolean(node, dotted);
        else if (name == "password") in.password = r.nonempty(node, dotted);
        else if (name == "signal") {
            in.signal = r.string(node, dotted);
            check_signal(r, node, in.signal);
        } else if (name == "files") {
            auto a = node.as_array();
            if (!a || a->empty()) r.expected(node, dotted, "a non-empty array of file paths");
            for (size_t i = 0; i < a->size(); ++i)
                in.files.push_back(r.existing_file(*a->get(i), fmt::format("{}[{}]", dotted, i)));
        }
    }
    if ((in.type == ik::file || in.type == ik::http) && in.uri.empty())
        r.fail(t, "input.uri", fmt::format("missing: an input of kind '{}' needs its uri", k));
    if (in.type == ik::playlist && in.files.empty())
        r.fail(t, "input.files", "missing: a playlist needs files = [\"a.flac\", ...]");
    if (in.type == ik::icecast && in.password.empty()) {
        in.password = generate_password();
        in.password_generated = true;
    }
    return in;
}

// push = ["icecast://source:PASS@host:port/mount", ...]: each checked (parse_push_url's message,
// which never shows the password), none twice.
std::vector<push_target> read_pushes(const reader& r, const toml::node& node, const std::string& key) {
    const auto* a = node.as_array();
    const std::string what = "an array of URLs ([\"icecast://source:PASSWORD@host:port/mount\"])";
    // A URL given as a plain string is not echoed back: it holds a password.
    if (!a && node.is_string()) r.fail(node, key, fmt::format("expected {}, got a string (put it in brackets)", what));
    if (!a) r.expected(node, key, what);
    std::vector<push_target> out;
    for (size_t i = 0; i < a->size(); ++i) {
        const toml::node& n = *a->get(i);
        const std::string k = fmt::format("{}[{}]", key, i);
        if (!n.is_string()) r.expected(n, k, "a URL string");
        const std::string url = n.as_string()->get();
        push_target t;
        try {
            t = parse_push_url(url);
        } catch (const usage_error& e) {
            r.fail(n, k, e.what());
        }
        for (const auto& other : out)
            if (other.host == t.host && other.port == t.port && other.mount == t.mount)
                r.fail(n, k, fmt::format("{} is pushed to twice", t.redacted()));
        out.push_back(std::move(t));
    }
    return out;
}

output_definition read_output(const reader& r, const toml::node& node, size_t index, const preset_library& presets) {
    const std::string at = fmt::format("outputs[{}]", index);
    const toml::table& t = r.table(node, at);
    const toml::node* format = t.get("format");
    if (!format) r.fail(t, at + ".format", "missing: format = \"mp3\", \"ogg\", \"opus\" or \"flac\"");
    const output_format* f = find_output_format(r.string(*format, at + ".format"));
    if (!f) r.expected(*format, at + ".format", "one of mp3, ogg, opus, flac");
    const std::string encoder(f->encoder);

    raw_parameters raw;
    const toml::node* pushes = nullptr;
    for (const auto& [key, value] : t) {
        const std::string name(key.str());
        if (name == "format") continue;
        if (name == "push") {
            pushes = &value;
            continue;
        }
        if (name == "preset") {
            const std::string p = r.nonempty(value, at + ".preset");
            const preset* found = presets.find(p);
            std::vector<std::string> fitting;
            for (const auto& [n, candidate] : presets.all())
                if (candidate.processor == encoder) fitting.push_back(n);
            const std::string offer = fitting.empty() ? std::string("none") : fmt::format("{}", fmt::join(fitting, ", "));
            if (!found) r.fail(value, at + ".preset", fmt::format("unknown preset '{}'; {} presets: {}", p, f->format, offer));
            if (found->processor != encoder)
                r.fail(value, at + ".preset", fmt::format("preset '{}' configures {}, format '{}' is encoded by {}; {} presets: {}",
                                                          p, found->processor, f->format, encoder, f->format, offer));
            // The preset's parameters first: inline ones given beside it come later and win.
            raw.insert(raw.begin(), found->parameters.begin(), found->parameters.end());
            continue;
        }
        const std::string dotted = at + "." + name;
        if (auto b = value.as_boolean()) raw.emplace_back(name, b->get());
        else if (auto i = value.as_integer()) raw.emplace_back(name, static_cast<int64_t>(i->get()));
        else if (auto d = value.as_floating_point()) raw.emplace_back(name, d->get());
        else if (auto s = value.as_string()) raw.emplace_back(name, s->get());
        else r.expected(value, dotted, fmt::format("a parameter of {} (a boolean, number or string)", encoder));
    }
    const processor_info* info = default_registry().find(encoder);
    if (!info) throw std::logic_error("encoder " + encoder + " is not registered");
    parameter_set set;
    try {
        set = validate_parameters(encoder, info->parameters, raw);
    } catch (const usage_error& e) {
        r.fail(t, at, e.what());
    }
    parameter_set given;
    for (const auto& [name, v] : set.values())
        if (set.given(name)) given.set(name, v, true);
    output_definition out;
    out.format = f->format;
    out.extension = f->extension;
    out.content_type = f->content_type;
    out.encoder_spec = given.values().empty() ? encoder : encoder + ":" + given.to_kv();
    if (encoder == "opus_encoder" || (encoder == "mp3_encoder" && set.string("mode") == "cbr"))
        out.bitrate_kbps = static_cast<unsigned>(set.integer("bitrate"));
    if (pushes) out.push = read_pushes(r, *pushes, at + ".push");
    return out;
}

std::vector<std::string> read_analysis(const reader& r, const toml::table& t, const preset_library& presets) {
    std::vector<std::string> specs;
    for (const auto& [key, node] : t) {
        const std::string name(key.str());
        if (name != "processors") r.unknown(node, "analysis." + name, "[analysis]", {"processors"});
        auto a = node.as_array();
        if (!a) r.expected(node, "analysis.processors", "an array of processor specs ([\"level\", \"aubio_temporal\"])");
        for (size_t i = 0; i < a->size(); ++i) {
            const std::string at = fmt::format("analysis.processors[{}]", i);
            const std::string text = r.nonempty(*a->get(i), at);
            try {
                for (const auto& spec : parse_spec_list(text)) {
                    const processor_spec resolved = presets.resolve(spec);
                    const processor_info* info = default_registry().find(resolved.id);
                    if (!info || info->kind != processor_kind::analyzer) {
                        std::vector<std::string> analyzers;
                        for (const auto* p : default_registry().list())
                            if (p->kind == processor_kind::analyzer) analyzers.push_back(p->id);
                        throw usage_error(fmt::format("'{}' is {} {}; live analysis takes analyzers: {}", spec.text,
                                                      info ? "a" : "not", info ? to_string(info->kind) : "a processor",
                                                      fmt::join(analyzers, ", ")));
                    }
                    const parameter_set set = validate_parameters(resolved.id, info->parameters, resolved.parameters);
                    parameter_set given;
                    for (const auto& [n, v] : set.values())
                        if (set.given(n)) given.set(n, v, true);
                    specs.push_back(given.values().empty() ? resolved.id : resolved.id + ":" + given.to_kv());
                }
            } catch (const usage_error& e) {
                r.fail(*a->get(i), at, e.what());
            }
        }
    }
    return specs;
}

listener_limits read_listeners(const reader& r, const toml::table& t) {
    listener_limits l;
    const toml::node* queue = nullptr;
    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "listeners." + name;
        if (name == "max") l.max = static_cast<unsigned>(r.integer(node, dotted, 0, 1000000));
        else if (name == "burst") l.burst_seconds = r.seconds(node, dotted, 0, 60);
        else if (name == "burst_bytes") l.burst_bytes = static_cast<unsigned>(r.integer(node, dotted, 0, 16 << 20));
        else if (name == "queue") l.queue_seconds = r.seconds(node, dotted, 1, 600), queue = &node;
        else if (name == "metaint") l.metaint = static_cast<unsigned>(r.integer(node, dotted, 256, 65535));
        else r.unknown(node, dotted, "[listeners]", {"max", "burst", "burst_bytes", "queue", "metaint"});
    }
    if (l.queue_seconds < l.burst_seconds)
        r.fail(queue ? *queue : static_cast<const toml::node&>(t), "listeners.queue",
               fmt::format("{} s is less than the burst ({} s): a joining listener would be dropped at once",
                           l.queue_seconds, l.burst_seconds));
    return l;
}

event_limits read_events(const reader& r, const toml::table& t) {
    event_limits e;
    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "events." + name;
        if (name == "max_subscribers") e.max_subscribers = static_cast<unsigned>(r.integer(node, dotted, 0, 1000000));
        else if (name == "queue") e.queue_seconds = r.seconds(node, dotted, 1, 600);
        else if (name == "resume") e.resume_seconds = r.seconds(node, dotted, 1, 600);
        else if (name == "ping") e.ping_seconds = r.seconds(node, dotted, 1, 300);
        else r.unknown(node, dotted, "[events]", {"max_subscribers", "queue", "resume", "ping"});
    }
    return e;
}

rtsp_definition read_rtsp(const reader& r, const toml::table& t) {
    rtsp_definition d;
    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "rtsp." + name;
        if (name == "user") {
            d.user = r.string(node, dotted);
            // Basic auth sends "user:password": the user cannot hold a colon.
            if (d.user.empty() || d.user.find(':') != std::string::npos)
                r.fail(node, dotted, fmt::format("expected a non-empty user name without ':', got '{}'", d.user));
        } else if (name == "password") d.password = r.string(node, dotted);
        else r.unknown(node, dotted, "[rtsp]", {"user", "password"});
    }
    return d;
}

hls_options read_hls(const reader& r, const toml::table& t) {
    hls_options h;
    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "hls." + name;
        if (name == "enabled") h.enabled = r.boolean(node, dotted);
        else if (name == "segment_seconds") h.segment_seconds = r.seconds(node, dotted, 1, 10);
        else if (name == "window") h.window = static_cast<unsigned>(r.integer(node, dotted, 3, 100));
        else r.unknown(node, dotted, "[hls]", {"enabled", "segment_seconds", "window"});
    }
    return h;
}

fallback_definition read_fallback(const reader& r, const toml::table& t, const std::string& id) {
    fallback_definition fb;
    const toml::node* kind = t.get("kind");
    if (!kind) r.fail(t, "fallback.kind", "missing: kind = \"silence\", \"file\" or \"mount\"");
    const std::string k = r.string(*kind, "fallback.kind");
    using fk = fallback_definition::kind;
    std::vector<std::string_view> keys;
    if (k == "silence") fb.type = fk::silence, keys = {"kind"};
    else if (k == "file") fb.type = fk::file, keys = {"kind", "uri"};
    else if (k == "mount") fb.type = fk::mount, keys = {"kind", "mount"};
    else r.expected(*kind, "fallback.kind", "one of silence, file, mount");
    for (const auto& [key, node] : t) {
        const std::string name(key.str()), dotted = "fallback." + name;
        if (std::find(keys.begin(), keys.end(), name) == keys.end())
            r.unknown(node, dotted, fmt::format("a fallback of kind '{}'", k), keys);
        if (name == "uri") fb.uri = r.existing_file(node, dotted);
        else if (name == "mount") {
            fb.mount = r.nonempty(node, dotted);
            if (!is_id(fb.mount)) r.expected(node, dotted, "another mount's id (lower-case letters, digits, - and _)");
            if (fb.mount == id) r.fail(node, dotted, fmt::format("mount '{}' cannot fall back to itself", id));
        }
    }
    if (fb.type == fk::file && fb.uri.empty()) r.fail(t, "fallback.uri", "missing: a file fallback needs its uri");
    if (fb.type == fk::mount && fb.mount.empty()) r.fail(t, "fallback.mount", "missing: the id of the mount heard");
    return fb;
}

}  // namespace

const output_format* find_output_format(std::string_view format) {
    for (const auto& f : formats)
        if (f.format == format) return &f;
    return nullptr;
}

std::string generate_password() {
    unsigned char bytes[24];
    size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw processing_error(fmt::format("getrandom failed: {}", std::strerror(errno)));
        got += static_cast<size_t>(n);
    }
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (size_t i = 0; i < sizeof bytes; i += 3) {  // 24 bytes: whole groups of 3, no padding
        const unsigned v = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(v >> shift) & 63];
    }
    return out;
}

stream_definition parse_stream_definition(std::string_view text, const std::filesystem::path& file,
                                          const preset_library& presets, const definition_defaults& defaults) {
    const std::string where = file.string();
    toml::table doc;
    try {
        doc = toml::parse(text, where);
    } catch (const toml::parse_error& e) {
        throw usage_error(fmt::format("{}:{}: {}", where, e.source().begin.line, e.description()));
    }
    const reader r(where);
    stream_definition d;
    d.id = file.stem().string();
    d.file = file;
    d.text = std::string(text);
    d.source_timeout = defaults.source_timeout;
    if (!is_id(d.id))
        throw usage_error(fmt::format("{}: the file's name is the mount's id, a URL segment: lower-case letters, digits, "
                                      "- and _, starting with a letter or digit (got '{}')", where, d.id));
    bool have_input = false;
    const toml::node* fallback = nullptr;
    for (const auto& [key, node] : doc) {
        const std::string k(key.str());
        if (k == "name") d.name = r.string(node, k);
        else if (k == "description") d.description = r.string(node, k);
        else if (k == "genre") d.genre = r.string(node, k);
        else if (k == "url") d.url = r.string(node, k);
        else if (k == "public") d.is_public = r.boolean(node, k);
        else if (k == "samplerate") d.samplerate = static_cast<int>(r.integer(node, k, 8000, 192000));
        else if (k == "channels") d.channels = static_cast<int>(r.integer(node, k, 1, 2));
        else if (k == "source_timeout")
            d.source_timeout = std::chrono::milliseconds(static_cast<int64_t>(r.seconds(node, k, 1, 3600) * 1000 + 0.5));
        else if (k == "input") d.input = read_input(r, r.table(node, k)), have_input = true;
        else if (k == "analysis") d.analysis = read_analysis(r, r.table(node, k), presets);
        else if (k == "listeners") d.listeners = read_listeners(r, r.table(node, k));
        else if (k == "events") d.events = read_events(r, r.table(node, k));
        else if (k == "rtsp") d.rtsp = read_rtsp(r, r.table(node, k));
        else if (k == "hls") d.hls = read_hls(r, r.table(node, k));
        else if (k == "fallback") fallback = &node;
        else if (k == "outputs") {
            auto a = node.as_array();
            if (!a) r.expected(node, k, "an array of tables ([[outputs]])");
            std::set<std::string> extensions;
            for (size_t i = 0; i < a->size(); ++i) {
                output_definition o = read_output(r, *a->get(i), i, presets);
                if (!extensions.insert(o.extension).second)
                    r.fail(*a->get(i), fmt::format("outputs[{}].format", i),
                           fmt::format("a second '{}' output: each output is served at /live/{}.{ext}, so one per "
                                       "format", o.format, d.id, fmt::arg("ext", o.extension)));
                d.outputs.push_back(std::move(o));
            }
        } else
            r.unknown(node, k, "a stream definition",
                      {"name", "description", "genre", "url", "public", "samplerate", "channels", "source_timeout",
                       "[input]", "[[outputs]]", "[analysis]", "[listeners]", "[events]", "[hls]", "[fallback]", "[rtsp]"});
    }
    if (fallback) d.fallback = read_fallback(r, r.table(*fallback, "fallback"), d.id);
    if (!have_input)
        throw usage_error(fmt::format("{}: missing table [input] (kind = \"file\", \"playlist\", \"icecast\", \"http\" "
                                      "or \"signal\")", where));
    if (d.outputs.empty())
        throw usage_error(fmt::format("{}: no [[outputs]]: a mount needs at least one (format = \"mp3\", \"ogg\", "
                                      "\"opus\" or \"flac\")", where));
    return d;
}

stream_definition read_stream_definition(const std::filesystem::path& file, const preset_library& presets,
                                         const definition_defaults& defaults) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw usage_error(fmt::format("{}: cannot be read", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_stream_definition(text.str(), file, presets, defaults);
}

}  // namespace timeside::server::live
