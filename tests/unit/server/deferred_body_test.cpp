// A body completed later on another thread: pending until then, the session notified once, the
// whole body taken in one piece then the end; a failure's message and status for the JSON error.
#include <atomic>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "server/http/deferred_body.hpp"

using namespace timeside::server::http;

namespace {
std::string text(const std::vector<unsigned char>& v) { return {v.begin(), v.end()}; }
}  // namespace

TEST_CASE("a deferred body is pending until completed, then gives the whole body and ends", "[deferred_body]") {
    deferred_body body;
    std::atomic<int> notified{0};
    body.set_notify([&] { ++notified; });
    std::vector<unsigned char> out;
    std::string error;
    CHECK(body.take(out, error) == body_stream::state::pending);
    CHECK(notified == 0);
    std::thread worker([&] { body.complete(R"({"added":["a"]})"); });
    worker.join();
    CHECK(notified == 1);
    CHECK(body.take(out, error) == body_stream::state::data);
    CHECK(text(out) == R"({"added":["a"]})");
    CHECK(body.take(out, error) == body_stream::state::end);
    body.complete("again");  // once only
    CHECK(notified == 1);
    CHECK(text(out) == R"({"added":["a"]})");
}

TEST_CASE("a session that asks after the body is complete is notified at once", "[deferred_body]") {
    deferred_body body;
    body.complete("{}");
    int notified = 0;
    body.set_notify([&] { ++notified; });
    CHECK(notified == 1);
}

TEST_CASE("a failed deferred body gives its message and status for the error answer", "[deferred_body]") {
    deferred_body body;
    body.fail(status::service_unavailable, "the server is shutting down");
    std::vector<unsigned char> out;
    std::string error;
    CHECK(body.take(out, error) == body_stream::state::error);
    CHECK(error == "the server is shutting down");
    CHECK(body.error_status() == status::service_unavailable);
    CHECK(out.empty());
}
