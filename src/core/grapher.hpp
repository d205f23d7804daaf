// Graphers: consumers that draw the stream (PNG renders) or reduce it to data a viewer draws
// (audiowaveform's .dat / .json). After finish(), or at any time while blocks arrive, they render
// their output on demand; the CLI and the server decide where the bytes go.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/processor.hpp"

namespace timeside {

class grapher : public consumer {
public:
    using consumer::consumer;
    // The output as it would be written to disk or sent to a client.
    virtual std::vector<unsigned char> render_bytes() const = 0;
    // The output's file extension (without the dot) and its media type: a PNG unless the
    // grapher says otherwise (waveform_data writes "dat" or "json").
    virtual std::string extension() const { return "png"; }
    virtual std::string media_type() const { return "image/png"; }
    // Writes the output atomically (complete under its final name, or absent).
    void render(const std::filesystem::path& output) const;
};

}  // namespace timeside
