// The engine's public interface in one include: processors, the pipe, the registry, results.
#pragma once

#include "core/analyzer.hpp"
#include "core/decoder.hpp"
#include "core/encoder.hpp"
#include "core/errors.hpp"
#include "core/grapher.hpp"
#include "core/pipe.hpp"
#include "core/registry.hpp"
#include "core/result.hpp"
#include "results/json_writer.hpp"
