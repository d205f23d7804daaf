// The subcommands of `timeside`, one file each; main.cpp wires them into CLI11.
#pragma once

#include <CLI/CLI.hpp>

namespace timeside::cli {

// Each adds its subcommand; the callback it installs returns through `exit_code`.
void add_list(CLI::App& app, int& exit_code);
void add_info(CLI::App& app, int& exit_code);
void add_samples(CLI::App& app, int& exit_code);
void add_run(CLI::App& app, int& exit_code);
void add_serve(CLI::App& app, int& exit_code);

}  // namespace timeside::cli
