// Graphers: consumers that draw the stream; after finish() they render a PNG on demand.
#pragma once

#include <filesystem>
#include <vector>

#include "core/processor.hpp"

namespace timeside {

class grapher : public consumer {
public:
    using consumer::consumer;
    virtual std::vector<unsigned char> render_png() const = 0;
    // Writes the PNG atomically (complete under its final name, or absent).
    void render(const std::filesystem::path& output) const;
};

}  // namespace timeside
