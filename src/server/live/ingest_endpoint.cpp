// ingest_endpoint: what a source's request head must carry before its body is read, in Icecast's
// order (the mount, the credentials, the type, the mount being free), each refusal a text body
// naming the cause. libshout's first request (no credentials, Content-Length: 0) gets the 401 with
// `Allow: PUT, SOURCE`, from which it learns to send PUT with Expect: 100-continue.
#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/utf8.hpp"
#include "server/http/reply.hpp"
#include "server/live/credentials.hpp"
#include "server/live/ingest_session.hpp"
#include "server/log.hpp"

namespace timeside::server::live {

namespace {

http::response text_reply(http::status code, const std::string& text) {
    http::response res{code, 11};
    res.set(http::bhttp::field::content_type, "text/plain; charset=utf-8");
    res.set(http::bhttp::field::allow, "PUT, SOURCE");
    res.body() = text + "\n";
    res.prepare_payload();
    return res;
}

std::string header(const http::request& req, std::string_view name) {
    auto it = req.find(boost::beast::string_view(name.data(), name.size()));
    if (it == req.end()) return {};
    return to_valid_utf8(std::string_view(it->value().data(), it->value().size()));
}

bool equals_ci(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

}  // namespace

ingest_endpoint::ingest_endpoint(http::connection_registry& connections, ingest_mount_lookup lookup, ingest_limits limits)
    : connections_(connections), lookup_(std::move(lookup)), limits_(limits) {}

http::route_options ingest_endpoint::route_options() {
    http::route_options o;
    o.stream_body = true;
    o.extra_methods = {"SOURCE"};
    return o;
}

http::reply ingest_endpoint::handle(const http::request_context& ctx) const {
    const http::request& req = ctx.req;
    const std::string& id = ctx.param("id");
    const std::string mount_path = "/live/" + id;
    const std::string method(req.method_string());
    auto mount = lookup_(id);
    if (!mount) return text_reply(http::status::not_found, fmt::format("no mount {} takes a source", mount_path));

    if (!basic_credentials_match(header(req, "Authorization"), "source", mount->source_password())) {
        auto res = text_reply(http::status::unauthorized,
                              fmt::format("{}: wrong or missing credentials (user 'source' and the stream's password)",
                                          mount_path));
        res.set(http::bhttp::field::www_authenticate, basic_challenge);
        return res;
    }

    std::string type = header(req, "Content-Type");
    if (type.empty()) {
        if (method != "SOURCE")
            return text_reply(http::status::bad_request,
                              fmt::format("{}: {} needs a Content-Type (audio/mpeg, audio/ogg, audio/flac, audio/aac, "
                                          "audio/webm)",
                                          mount_path, method));
        type = "audio/mpeg";  // as Icecast: a SOURCE without a type is MP3
    }
    if (!accepted_source_type(type))
        return text_reply(http::status::unsupported_media_type,
                          fmt::format("{}: Content-Type '{}' is not accepted; use audio/mpeg, audio/ogg, "
                                      "application/ogg, audio/flac, audio/aac or audio/webm",
                                      mount_path, type));

    // The body's framing: chunked, a length, or (ffmpeg, libshout) until the connection closes.
    // request_framing already refused every other Transfer-Encoding.
    chunked_body body(chunked_body::framing::until_close);
    if (req.find(http::bhttp::field::transfer_encoding) != req.end()) body = chunked_body(chunked_body::framing::chunked);
    else if (auto cl = req.find(http::bhttp::field::content_length); cl != req.end())
        body = chunked_body(chunked_body::framing::length, std::stoull(std::string(cl->value())));
    // An authenticated request with an empty body (Content-Length: 0) has nothing to decode: a
    // bad request, rather than the mount taken by an empty source. (libshout's probe is empty too,
    // but carries no credentials: it got its 401 above.)
    if (body.done())
        return text_reply(http::status::bad_request, fmt::format("{}: the source's body is empty (Content-Length: 0)",
                                                                 mount_path));

    source_info info;
    info.method = method;
    info.content_type = type;
    info.user_agent = header(req, "User-Agent");
    info.name = header(req, "ice-name");
    info.description = header(req, "ice-description");
    info.genre = header(req, "ice-genre");
    info.url = header(req, "ice-url");
    info.audio_info = header(req, "ice-audio-info");
    info.bitrate = header(req, "ice-bitrate");
    info.is_public = header(req, "ice-public") == "1";
    info.since = std::chrono::system_clock::now();

    push_input_options options;
    options.label = fmt::format("source on {}", mount_path);
    options.content_type = type;
    options.buffer_bytes = limits_.input_buffer_bytes;
    options.undecodable_for = mount->source_timeout();
    auto input = std::make_shared<push_input>(std::move(options));
    try {
        input->start(mount->format());
    } catch (const std::exception& e) {
        return text_reply(http::status::internal_server_error, e.what());
    }
    // The mount is taken (or 409 answered) by the session, which knows the peer.
    ingest_session::setup s{mount, input, std::move(info), body, false, req.version() < 11, mount_path};
    s.send_continue = req.version() >= 11 && equals_ci(header(req, "Expect"), "100-continue");
    return http::reply::take_over(
        [s = std::move(s), &connections = connections_, limits = limits_](http::taken_connection&& c) mutable {
            s.info.peer = c.peer;
            auto session = std::make_shared<ingest_session>(std::move(c), std::move(s), connections, limits);
            session->start();
        });
}

}  // namespace timeside::server::live
