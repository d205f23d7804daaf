// gst_callback_guard: a callback's user data outlives the owner; once the owner detached (or the
// guard was destroyed) a callback sees no owner; detaching waits for the callbacks running now.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>

#include "../test_support.hpp"
#include "core/gst_callback_guard.hpp"

using namespace timeside;
using timeside::test::eventually;
using namespace std::chrono_literals;

namespace {
struct owner {
    int value = 42;
};
using guard = gst_callback_guard<owner>;
}  // namespace

TEST_CASE("a callback reaches its owner until the guard is gone, and its user data stays valid", "[decoders][guard]") {
    auto o = std::make_unique<owner>();
    auto g = std::make_unique<guard>(o.get());
    gpointer data = g->user_data();
    {
        guard::scope scope(data);
        REQUIRE(scope.owner() == o.get());
        CHECK(scope.owner()->value == 42);
    }
    g.reset();  // the owner's destruction: what GStreamer holds must still be usable
    o.reset();
    {
        guard::scope scope(data);
        CHECK(scope.owner() == nullptr);
    }
    guard::release(data);  // GStreamer's destroy notify, when the element is finalized
}

TEST_CASE("detaching waits for a callback that is running", "[decoders][guard]") {
    owner o;
    guard g(&o);
    gpointer data = g.user_data();
    std::atomic<bool> in_callback{false}, leave{false}, detached{false};
    std::thread callback([&] {
        guard::scope scope(data);
        in_callback = true;
        while (!leave) std::this_thread::yield();
        CHECK(scope.owner() == &o);  // still attached while the callback runs
    });
    REQUIRE(eventually([&] { return in_callback.load(); }, 5s));
    std::thread detacher([&] {
        g.detach();
        detached = true;
    });
    // However long the detacher runs, it cannot get past a callback holding the scope.
    for (int i = 0; i < 1000; ++i) std::this_thread::yield();
    CHECK_FALSE(detached);
    leave = true;
    callback.join();
    detacher.join();
    CHECK(detached);
    guard::scope scope(data);
    CHECK(scope.owner() == nullptr);
    guard::release(data);
}

TEST_CASE("several callbacks run at once under the guard", "[decoders][guard]") {
    owner o;
    guard g(&o);
    gpointer a = g.user_data(), b = g.user_data();
    {
        guard::scope first(a);
        guard::scope second(b);  // a shared lock: a second streaming thread is not held up
        CHECK(first.owner() == second.owner());
    }
    guard::release(a);
    guard::release(b);
}
