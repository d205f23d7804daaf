// Progress rendering: bar, percentage, position and speed as a multiple of real time.
#include "cli/progress.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <unistd.h>

namespace timeside::cli {

progress_bar::progress_bar(std::string label, int samplerate)
    : label_(std::move(label)), samplerate_(samplerate), enabled_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void progress_bar::update(int64_t frames, int64_t total) {
    if (!enabled_ || samplerate_ <= 0) return;
    auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::milliseconds(500) || now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double pos = static_cast<double>(frames) / samplerate_;
    double speed = elapsed > 0 ? pos / elapsed : 0;
    std::string line;
    if (total > 0) {
        double f = std::min(1.0, static_cast<double>(frames) / total);
        int filled = static_cast<int>(f * 30);
        line = fmt::format("\r{} [{}{}] {:3.0f}% {:.1f}/{:.1f} s {:.0f}x ", label_, std::string(filled, '#'),
                           std::string(30 - filled, ' '), f * 100, pos,
                           static_cast<double>(total) / samplerate_, speed);
    } else {
        line = fmt::format("\r{} {:.1f} s {:.0f}x ", label_, pos, speed);
    }
    std::fputs(line.c_str(), stderr);
    shown_ = true;
}

void progress_bar::clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    shown_ = false;
}

}  // namespace timeside::cli
