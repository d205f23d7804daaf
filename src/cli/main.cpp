// timeside: the command line. Exit status 0 done, 2 usage error, 1 processing error; every
// failure prints one line on stderr naming the input and the cause.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/errors.hpp"

int main(int argc, char** argv) {
    CLI::App app{"TimeSide " TIMESIDE_VERSION ": decode once; analyze, draw and transcode in one pass"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "timeside " TIMESIDE_VERSION);
    int exit_code = 0;
    timeside::cli::add_list(app, exit_code);
    timeside::cli::add_info(app, exit_code);
    timeside::cli::add_samples(app, exit_code);
    timeside::cli::add_run(app, exit_code);
    timeside::cli::add_serve(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        fmt::print(stderr, "timeside: {}\n", e.what());
        return 2;
    } catch (const timeside::usage_error& e) {
        fmt::print(stderr, "timeside: {}\n", e.what());
        return 2;
    } catch (const timeside::cancelled_error&) {
        fmt::print(stderr, "timeside: interrupted\n");
        return 130;
    } catch (const std::exception& e) {
        fmt::print(stderr, "timeside: {}\n", e.what());
        return 1;
    }
    return exit_code;
}
