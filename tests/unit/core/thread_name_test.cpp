// name_this_thread: the name the kernel then reports, cut to Linux's 15 bytes.
#include "core/thread_name.hpp"

#include <pthread.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

using namespace timeside;

namespace {
std::string named(const std::string& name) {
    std::string seen;
    std::thread([&] {
        name_this_thread(name);
        char buf[32] = {};
        pthread_getname_np(pthread_self(), buf, sizeof buf);
        seen = buf;
    }).join();
    return seen;
}
}  // namespace

TEST_CASE("name_this_thread names the calling thread, cut to 15 bytes", "[core]") {
    CHECK(named("lane") == "lane");
    CHECK(named("m/a-very-long-mount-id") == "m/a-very-long-m");
}
