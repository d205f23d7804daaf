// setrlimit can only fail here when the hard limit is lowered meanwhile: the limit read back is
// what counts either way.
#include "server/open_files.hpp"

#include <sys/resource.h>

namespace timeside::server {

uint64_t raise_open_files_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    if (r.rlim_cur < r.rlim_max) {
        rlimit raised = r;
        raised.rlim_cur = r.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
    }
    return r.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(r.rlim_cur);
}

}  // namespace timeside::server
