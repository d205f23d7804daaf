// The file side of rendering, shared by every grapher.
#include "core/grapher.hpp"

#include "core/atomic_file.hpp"

namespace timeside {

void grapher::render(const std::filesystem::path& output) const {
    write_file_atomically(output, render_bytes());
}

}  // namespace timeside
