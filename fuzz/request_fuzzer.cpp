// libFuzzer target: bytes parsed as HTTP requests by Beast's request_parser with the server's
// header and body limits (as the session reads them), each complete request dispatched through
// the real server's routes: a `server` built over a scratch media folder holding a tiny WAV, its
// socket bound on loopback port 0 and never read. Every answer must be well-formed: a status from
// 100 to 599, header values without CR, LF or NUL, a JSON body that parses, and a streamed body
// that ends (or fails with a message) within a deadline.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "server/server.hpp"

using namespace timeside;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto stream_deadline = std::chrono::seconds(20);

server::server* the_server = nullptr;
server::server_config limits;

void check_header_value(std::string_view name, std::string_view value) {
    for (char c : value)
        if (c == '\r' || c == '\n' || c == '\0')
            fuzz::fail(fmt::format("response header {} holds a CR, LF or NUL: {}", name, fuzz::escaped(value)));
}

// Takes every byte of a streamed body as the session does: take() again after each chunk, and
// wait for a notification only when take() says pending. A stream that neither ends nor fails
// within the deadline is a hang.
void drain(server::http::body_stream& stream) {
    std::mutex m;
    std::condition_variable cv;
    bool ready = false;
    stream.set_notify([&] {
        std::lock_guard lock(m);
        ready = true;
        cv.notify_all();
    });
    const auto deadline = std::chrono::steady_clock::now() + stream_deadline;
    std::vector<unsigned char> bytes;
    std::string error;
    for (;;) {
        if (std::chrono::steady_clock::now() > deadline) {
            stream.cancel();
            fuzz::fail("a streamed body still sending after 20 s");
        }
        {
            std::lock_guard lock(m);
            ready = false;
        }
        bytes.clear();
        const auto st = stream.take(bytes, error);
        if (st == server::http::body_stream::state::end) break;
        if (st == server::http::body_stream::state::error) {
            if (error.empty()) fuzz::fail("a streamed body failed without a message");
            break;
        }
        if (st == server::http::body_stream::state::data) continue;
        std::unique_lock lock(m);
        if (!cv.wait_until(lock, deadline, [&] { return ready; })) {
            stream.cancel();
            fuzz::fail("a streamed body neither ended nor failed within 20 s");
        }
    }
    stream.set_notify(nullptr);  // the locals above go out of scope
}

void check_reply(const bhttp::request<bhttp::string_body>& req, server::http::reply& r) {
    const int code = r.res.result_int();
    if (code < 100 || code > 599) fuzz::fail(fmt::format("status {} out of 100-599", code));
    for (const auto& field : r.res)
        check_header_value(std::string_view(field.name_string().data(), field.name_string().size()),
                           std::string_view(field.value().data(), field.value().size()));
    const auto type = r.res[bhttp::field::content_type];
    if (!r.stream && type.starts_with("application/json")) {
        if (!nlohmann::json::accept(r.res.body()))
            fuzz::fail(fmt::format("{} answered a JSON body that does not parse: {}", fuzz::escaped(req.target()),
                                   fuzz::escaped(r.res.body())));
        if (code >= 400) {
            auto body = nlohmann::json::parse(r.res.body());
            if (!body.contains("error") || !body["error"].is_string() || body.value("status", 0) != code)
                fuzz::fail(fmt::format("error body without its message or status: {}", fuzz::escaped(r.res.body())));
        }
    }
    if (r.stream) {
        if (req.method() == bhttp::verb::head) r.stream->cancel();  // what the session does
        else drain(*r.stream);
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const auto dir = fuzz::scratch_dir("request");
    std::filesystem::create_directories(dir / "media" / "album");
    fuzz::write_file(dir / "media" / "tone.wav", fuzz::tiny_wav(22050, 2, 4410));
    fuzz::write_file(dir / "media" / "album" / "mono.wav", fuzz::tiny_wav(8000, 1, 800));
    server::server_config config;
    config.listen = {"127.0.0.1", 0};
    config.threads = 1;
    config.access_log = false;
    config.media_folders = {dir / "media"};
    config.cache_dir = dir / "cache";
    config.cache_max_bytes = 16 << 20;
    config.max_transcodes = 4;
    config.presets_dir = TIMESIDE_SOURCE_ROOT "/presets";
    // One live mount (a signal: nothing to read from disk), so that the live routes (listeners,
    // sources, /admin/metadata, /status-json.xsl) answer from a running mount.
    std::filesystem::create_directories(dir / "streams");
    fuzz::write_file(dir / "streams" / "tone.toml",
                          "name = \"Tone\"\n[input]\nkind = \"signal\"\nsignal = \"sine:440\"\n"
                          "[[outputs]]\nformat = \"mp3\"\npreset = \"mp3-128k\"\n");
    config.streams_dir = dir / "streams";
    config.admin_password = "fuzz-admin";
    config.web_dir = TIMESIDE_SOURCE_ROOT "/web";
    limits = config;
    // Never destroyed: job threads may still be finishing when libFuzzer exits.
    the_server = new server::server(std::move(config));
    the_server->library().scan_once();
    if (the_server->library().snapshot()->items.size() != 2) fuzz::fail("the scratch media folder did not scan");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;  // no request (and `data` may be null)
    boost::beast::flat_buffer buffer;
    {
        auto in = buffer.prepare(size);
        std::memcpy(in.data(), data, size);
        buffer.commit(size);
    }
    // Pipelined requests, as one connection's bytes: the session answers each and stops at the
    // first error (which it answers 400/413/431 before closing).
    for (int n = 0; n < 8 && buffer.size() > 0; ++n) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
        parser.body_limit(limits.body_limit);
        boost::beast::error_code ec;
        while (!parser.is_done() && buffer.size() > 0) {
            const size_t used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (ec == bhttp::error::need_more) {
                ec = {};
                if (used == 0) break;  // the rest of the request never comes
                continue;
            }
            if (ec) return 0;
        }
        if (!parser.is_done()) {
            parser.put_eof(ec);
            if (ec || !parser.is_done()) return 0;
        }
        const auto& req = parser.get();
        std::string_view route;
        auto r = the_server->routes().dispatch(req, &route);
        check_reply(req, r);
        if (!req.keep_alive()) break;
    }
    return 0;
}
