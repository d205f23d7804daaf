// name_this_thread: names the calling thread as top -H, perf and gdb show it (Linux keeps the first
// 15 bytes). A live server runs a handful of threads per mount; named, their costs can be told apart.
#pragma once

#include <string_view>

namespace timeside {

void name_this_thread(std::string_view name) noexcept;

}  // namespace timeside
