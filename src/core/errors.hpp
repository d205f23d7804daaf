// The two kinds of failure the engine reports, and the exit status each maps to.
// usage_error: the caller asked for something invalid (exit 2); processing_error: the input or
// the machine failed us while working (exit 1). Both carry a message a user can act on.
#pragma once

#include <stdexcept>
#include <string>

namespace timeside {

class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class processing_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Thrown when a run is stopped on request (a signal, a client that went away).
class cancelled_error : public processing_error {
public:
    cancelled_error() : processing_error("cancelled") {}
};

}  // namespace timeside
