// The router: patterns with {name} and {name+} parameters, path decoding and the refusals that
// keep lookups inside the media folders, and the JSON errors (404, 405, 400) clients receive.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "server/http/router.hpp"

using namespace timeside::server::http;

namespace {

request make_request(verb method, const std::string& target) {
    request req{method, target, 11};
    return req;
}

nlohmann::json body_of(const response& res) { return nlohmann::json::parse(res.body()); }

}  // namespace

TEST_CASE("a greedy parameter takes every segment, slashes included", "[server][router]") {
    route_pattern items("/api/items/{id+}");
    auto m = items.match("/api/items/albums/x/track01");
    REQUIRE(m);
    CHECK(m->at("id") == "albums/x/track01");
    CHECK(items.match("/api/items/sweep")->at("id") == "sweep");
    CHECK_FALSE(items.match("/api/items"));
    CHECK_FALSE(items.match("/api/items/"));  // an empty id
    CHECK_FALSE(items.match("/api/itemsx/sweep"));
}

TEST_CASE("a parameter before a literal ends at the literal's last occurrence", "[server][router]") {
    route_pattern media("/media/{id+}.{ext}");
    auto m = media.match("/media/albums/x.y/track.01.ogg");
    REQUIRE(m);
    CHECK(m->at("id") == "albums/x.y/track.01");
    CHECK(m->at("ext") == "ogg");
    CHECK_FALSE(media.match("/media/noext"));
    CHECK_FALSE(media.match("/media/.ogg"));  // an empty id
    CHECK_FALSE(media.match("/media/x."));    // an empty extension
}

TEST_CASE("literal segments after a greedy parameter are matched from the end", "[server][router]") {
    route_pattern graphs("/api/items/{id+}/graphs/{grapher}.png");
    auto m = graphs.match("/api/items/a/b/graphs/waveform_simple.png");
    REQUIRE(m);
    CHECK(m->at("id") == "a/b");
    CHECK(m->at("grapher") == "waveform_simple");
    CHECK_FALSE(graphs.match("/api/items/a/graphs/x.jpg"));
    CHECK_FALSE(graphs.match("/api/items/graphs/x.png"));  // no id
    route_pattern items("/api/items/{id+}");
    // The generic route also matches: the router tries routes in the order they were added.
    CHECK(items.match("/api/items/a/b/graphs/waveform_simple.png")->at("id") == "a/b/graphs/waveform_simple.png");
}

TEST_CASE("a plain parameter stays within one segment", "[server][router]") {
    route_pattern one("/api/things/{name}");
    CHECK(one.match("/api/things/x")->at("name") == "x");
    CHECK_FALSE(one.match("/api/things/x/y"));
    route_pattern root("/");
    CHECK(root.match("/"));
    CHECK_FALSE(root.match("/x"));
}

TEST_CASE("malformed patterns are programming errors", "[server][router]") {
    CHECK_THROWS_AS(route_pattern("api"), std::invalid_argument);
    CHECK_THROWS_AS(route_pattern("/{a+}/{b+}"), std::invalid_argument);
    CHECK_THROWS_AS(route_pattern("/{a}{b}"), std::invalid_argument);
    CHECK_THROWS_AS(route_pattern("/{a"), std::invalid_argument);
}

TEST_CASE("paths are percent-decoded; traversal and encoded separators are refused", "[server][router]") {
    CHECK(decode_path("/media/a%20b.ogg").path == "/media/a b.ogg");
    CHECK(decode_path("/media/caf%C3%A9").path == "/media/caf\xC3\xA9");
    CHECK(decode_path("/media/a%20b.ogg").error.empty());
    for (const char* bad : {"/api/items/..%2f..%2fetc%2fpasswd", "/api/items/..%2F..%2Fetc%2Fpasswd",
                            "/media/../../x.ogg", "/media/%2e%2e/%2E%2E/x.ogg", "/media/./x.ogg",
                            "/media/a%5cb", "/media/a\\b", "/media/a%00.ogg", "/media/a%zz", "/media/a%2",
                            "media/x.ogg", ""}) {
        INFO(bad);
        CHECK_FALSE(decode_path(bad).error.empty());
    }
    // Dots inside a name are not traversal.
    CHECK(decode_path("/media/..x/y...ogg").error.empty());
}

TEST_CASE("dispatch answers with the first matching route and its decoded parameters", "[server][router]") {
    router r;
    std::string seen_id, seen_query;
    r.add({verb::get}, "/api/items", [](const request_context&) { return json_reply(status::ok, std::string("[]")); });
    r.add({verb::get}, "/api/items/{id+}", [&](const request_context& ctx) {
        seen_id = ctx.param("id");
        seen_query = ctx.query;
        return json_reply(status::ok, std::string("{}"));
    });
    auto res = r.dispatch(make_request(verb::get, "/api/items/albums/caf%C3%A9%20x?a=1&b=%23")).res;
    CHECK(res.result() == status::ok);
    CHECK(seen_id == "albums/caf\xC3\xA9 x");
    CHECK(seen_query == "a=1&b=%23");
    CHECK(r.dispatch(make_request(verb::head, "/api/items")).res.result() == status::ok);
    CHECK(res[bhttp::field::content_type] == "application/json");
}

TEST_CASE("unknown paths, wrong methods and bad paths are JSON errors", "[server][router]") {
    router r;
    r.add({verb::get}, "/api/items", [](const request_context&) { return json_reply(status::ok, std::string("[]")); });

    auto missing = r.dispatch(make_request(verb::get, "/nothing/here")).res;
    CHECK(missing.result() == status::not_found);
    CHECK(body_of(missing)["status"] == 404);
    CHECK(body_of(missing)["error"].get<std::string>().find("/nothing/here") != std::string::npos);

    auto wrong = r.dispatch(make_request(verb::post, "/api/items")).res;
    CHECK(wrong.result() == status::method_not_allowed);
    CHECK(wrong[bhttp::field::allow] == "GET, HEAD");
    CHECK(body_of(wrong)["status"] == 405);

    auto traversal = r.dispatch(make_request(verb::get, "/api/items/..%2f..%2fetc%2fpasswd")).res;
    CHECK(traversal.result() == status::bad_request);
    CHECK(body_of(traversal)["status"] == 400);
}

TEST_CASE("OPTIONS on a known path is a CORS preflight answer", "[server][router]") {
    router r;
    r.add({verb::get}, "/media/{id+}.{ext}", [](const request_context&) { return json_reply(status::ok, std::string("{}")); });
    auto pre = r.dispatch(make_request(verb::options, "/media/sweep.ogg")).res;
    CHECK(pre.result() == status::no_content);
    CHECK(pre[bhttp::field::access_control_allow_methods] == "GET, HEAD, OPTIONS");
    CHECK(std::string(pre[bhttp::field::access_control_allow_headers]).find("Range") != std::string::npos);
    CHECK(r.dispatch(make_request(verb::options, "/nothing")).res.result() == status::not_found);
}

TEST_CASE("a route can accept a method Beast does not know, by name (Icecast's SOURCE)", "[server][router]") {
    router r;
    std::string seen;
    r.add({verb::put}, "/live/{id}", [&](const request_context& c) {
        seen = std::string(c.req.method_string()) + " " + c.param("id");
        return json_reply(status::ok, std::string("{}"));
    }, route_options{.stream_body = true, .extra_methods = {"SOURCE"}, .cors_headers = {}});
    request source{verb::unknown, "/live/studio", 10};
    source.method_string("SOURCE");
    CHECK(r.dispatch(source).res.result() == status::ok);
    CHECK(seen == "SOURCE studio");
    CHECK(r.dispatch(make_request(verb::put, "/live/studio")).res.result() == status::ok);
    CHECK(seen == "PUT studio");

    request other{verb::unknown, "/live/studio", 11};
    other.method_string("BREW");
    auto refused = r.dispatch(other).res;
    CHECK(refused.result() == status::method_not_allowed);
    CHECK(refused[bhttp::field::allow] == "PUT, SOURCE");
    CHECK(body_of(refused)["error"].get<std::string>().find("method BREW") != std::string::npos);
}

TEST_CASE("streams_body names the routes that read their own body, by path and method", "[server][router]") {
    router r;
    auto ok = [](const request_context&) { return json_reply(status::ok, std::string("{}")); };
    r.add({verb::get}, "/live/{id}.{ext}", ok);
    r.add({verb::put}, "/live/{id}", ok, route_options{.stream_body = true, .extra_methods = {"SOURCE"}, .cors_headers = {}});
    r.add({verb::post}, "/api/things", ok);
    CHECK(r.streams_body(make_request(verb::put, "/live/studio")));
    request source{verb::unknown, "/live/studio", 10};
    source.method_string("SOURCE");
    CHECK(r.streams_body(source));
    // The same path with another method, another route, a path it refuses: the body is read first.
    CHECK_FALSE(r.streams_body(make_request(verb::get, "/live/studio.mp3")));
    CHECK_FALSE(r.streams_body(make_request(verb::post, "/api/things")));
    CHECK_FALSE(r.streams_body(make_request(verb::put, "/live/..%2fx")));
    CHECK_FALSE(r.streams_body(make_request(verb::put, "/nothing")));
}

TEST_CASE("a route's CORS request headers join the preflight's list", "[server][router]") {
    router r;
    r.add({verb::get}, "/live/{id}.{ext}", [](const request_context&) { return json_reply(status::ok, std::string("{}")); },
          route_options{.stream_body = false, .extra_methods = {}, .cors_headers = {"Icy-MetaData"}});
    auto pre = r.dispatch(make_request(verb::options, "/live/loop.mp3")).res;
    CHECK(pre.result() == status::no_content);
    CHECK(pre[bhttp::field::access_control_allow_headers] == "Range, If-None-Match, If-Range, Content-Type, Icy-MetaData");
}

TEST_CASE("a takeover answer carries its handler and the status the metrics count", "[server][router]") {
    router r;
    bool taken = false;
    r.add({verb::get}, "/live/{id}.{ext}", [&](const request_context&) {
        return reply::take_over([&](taken_connection&&) { taken = true; });
    });
    auto answer = r.dispatch(make_request(verb::get, "/live/loop.mp3"));
    REQUIRE(answer.takeover);
    CHECK(answer.res.result() == status::ok);
    CHECK_FALSE(taken);  // the session calls it, with the connection
}

TEST_CASE("handler exceptions become JSON errors with the right status", "[server][router]") {
    router r;
    r.add({verb::get}, "/usage", [](const request_context& ctx) -> response {
        ctx.query_params();  // a malformed query throws usage_error
        throw timeside::usage_error("width: expected an integer from 1 to 65536, got 0");
    });
    r.add({verb::get}, "/gone/{id}", [](const request_context& ctx) -> response {
        throw http_error(status::not_found, "no item '" + ctx.param("id") + "'");
    });
    r.add({verb::get}, "/broken", [](const request_context&) -> response { throw std::runtime_error("disk on fire"); });

    auto usage = r.dispatch(make_request(verb::get, "/usage?width=0")).res;
    CHECK(usage.result() == status::bad_request);
    CHECK(body_of(usage)["error"] == "width: expected an integer from 1 to 65536, got 0");
    auto bad_query = r.dispatch(make_request(verb::get, "/usage?a=%zz")).res;
    CHECK(bad_query.result() == status::bad_request);
    CHECK(body_of(bad_query)["error"].get<std::string>().find("percent-encoding") != std::string::npos);
    auto gone = r.dispatch(make_request(verb::get, "/gone/x")).res;
    CHECK(gone.result() == status::not_found);
    CHECK(body_of(gone)["error"] == "no item 'x'");
    auto broken = r.dispatch(make_request(verb::get, "/broken")).res;
    CHECK(broken.result() == status::internal_server_error);
    CHECK(body_of(broken)["status"] == 500);
}

TEST_CASE("a target that is not UTF-8 is refused with 400 naming where and which byte", "[server][router]") {
    router r;
    int handled = 0;
    r.add({verb::get}, "/api/items/{id+}", [&](const request_context& ctx) {
        ++handled;
        ctx.query_params();
        return json_reply(status::ok, std::string("{}"));
    });
    r.add({verb::get}, "/{file}", [&](const request_context&) {
        ++handled;
        return json_reply(status::ok, std::string("{}"));
    });
    const std::pair<const char*, const char*> cases[] = {
        {"/api/items/%ff", "the path (percent-decoded): byte 0xff at offset 11 is not valid UTF-8"},
        {"/%ff", "the path (percent-decoded): byte 0xff at offset 1 is not valid UTF-8"},
        {"/api/items/caf%C3", "the path (percent-decoded): byte 0xc3 at offset 14 is not valid UTF-8"},
        {"/api/items/%ed%a0%80", "the path (percent-decoded): byte 0xed at offset 11 is not valid UTF-8"},
        {"/api/items/sweep\xff", "the request target: byte 0xff at offset 16 is not valid UTF-8"},
        {"/api/items/sweep?preset=\xc0\xaf", "the request target: byte 0xc0 at offset 24 is not valid UTF-8"},
        {"/api/items/sweep?preset=%ff",
         "the query parameter 'preset' (percent-decoded): byte 0xff at offset 0 is not valid UTF-8"},
        {"/api/items/sweep?a=1&format=json%ff&b=2",
         "the query parameter 'format' (percent-decoded): byte 0xff at offset 4 is not valid UTF-8"},
        {"/api/items/sweep?%ff=1", "the query parameter name '%ff' (percent-decoded): byte 0xff at offset 0 is not valid UTF-8"},
        {"/x?%ff", "the query parameter name '%ff' (percent-decoded): byte 0xff at offset 0 is not valid UTF-8"},
        // Refused even where the route never reads its query, and before a malformed escape is.
        {"/x?a=%zz&b=%fe", "the query parameter 'b' (percent-decoded): byte 0xfe at offset 0 is not valid UTF-8"},
    };
    for (const auto& [target, message] : cases) {
        INFO(target);
        auto res = r.dispatch(make_request(verb::get, target)).res;
        CHECK(res.result() == status::bad_request);
        CHECK(res[bhttp::field::content_type] == "application/json");
        CHECK(body_of(res) == nlohmann::json{{"error", message}, {"status", 400}});
    }
    CHECK(handled == 0);
    // Valid UTF-8, encoded or not, reaches the handler.
    CHECK(r.dispatch(make_request(verb::get, "/api/items/caf%C3%A9?title=%E2%82%AC+1&x=\xc3\xa9")).res.result() == status::ok);
    CHECK(handled == 1);
}

TEST_CASE("a header the server reads that is not UTF-8 is refused with 400 naming it", "[server][router]") {
    router r;
    r.add({verb::get}, "/media/{id+}.{ext}", [](const request_context&) { return json_reply(status::ok, std::string("{}")); });
    for (auto field : {bhttp::field::range, bhttp::field::if_none_match, bhttp::field::if_range}) {
        request req = make_request(verb::get, "/media/sweep.wav");
        req.set(field, "bytes=0-\xff");
        auto res = r.dispatch(req).res;
        INFO(std::string(bhttp::to_string(field)));
        CHECK(res.result() == status::bad_request);
        CHECK(body_of(res)["error"] == fmt::format("the {} header: byte 0xff at offset 8 is not valid UTF-8",
                                                   std::string(bhttp::to_string(field))));
    }
    // A header nobody reads is none of our business.
    request req = make_request(verb::get, "/media/sweep.wav");
    req.set(bhttp::field::user_agent, "\xff\xfe");
    CHECK(r.dispatch(req).res.result() == status::ok);
}

TEST_CASE("error bodies stay valid JSON whatever bytes a message carries", "[server][router]") {
    // The last defence: a message built from an unchecked string must not throw while dumped.
    auto res = error_reply(status::not_found, "no such item: caf\xff");
    CHECK(body_of(res)["error"] == "no such item: caf\xef\xbf\xbd");
    auto json = json_reply(status::ok, nlohmann::json{{"title", "\xc0\xaf"}});
    CHECK(body_of(json)["title"] == "\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("a handler throwing anything becomes a 500, never an escaped exception", "[server][router]") {
    router r;
    r.add({verb::get}, "/int", [](const request_context&) -> response { throw 42; });
    auto res = r.dispatch(make_request(verb::get, "/int")).res;
    CHECK(res.result() == status::internal_server_error);
    CHECK(body_of(res) == nlohmann::json{{"error", "internal error"}, {"status", 500}});
}
