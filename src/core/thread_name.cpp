#include "core/thread_name.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstring>

namespace timeside {

void name_this_thread(std::string_view name) noexcept {
    char buf[16] = {};
    std::memcpy(buf, name.data(), std::min(name.size(), sizeof buf - 1));
    pthread_setname_np(pthread_self(), buf);  // only fails on a name too long: not possible here
}

}  // namespace timeside
