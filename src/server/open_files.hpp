// The process's open-files limit: every listener, subscriber and source is a descriptor, and a
// shell's default soft limit (1024) is far below what a server admitting thousands of them needs.
#pragma once

#include <cstdint>

namespace timeside::server {

// Raises the soft RLIMIT_NOFILE to the hard limit (as the systemd unit's LimitNOFILE= would) and
// returns the soft limit in force afterwards.
uint64_t raise_open_files_limit();

}  // namespace timeside::server
