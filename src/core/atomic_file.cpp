// Temporary-then-rename output. The temporary name starts with a dot and carries the pid, so
// concurrent writers never collide and a killed process leaves nothing under the final name.
#include "core/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

namespace {
constexpr size_t buffer_size = 1 << 18;
std::atomic<unsigned> temp_counter{0};
}  // namespace

atomic_file::atomic_file(std::filesystem::path final_path) : final_(std::move(final_path)) {}

atomic_file::~atomic_file() { abort(); }

void atomic_file::open() {
    if (fd_ >= 0) return;
    auto dir = final_.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (std::filesystem::is_directory(final_, ec))
        throw processing_error(fmt::format("cannot write {}: it is a directory", final_.string()));
    temp_ = dir / fmt::format(".{}.part-{}-{}", final_.filename().string(), getpid(), temp_counter++);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw processing_error(fmt::format("cannot write {}: {}", final_.string(), std::strerror(errno)));
    buffer_.reserve(buffer_size);
}

void atomic_file::flush() {
    const unsigned char* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            throw processing_error(fmt::format("cannot write {}: {}", final_.string(), std::strerror(err)));
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    buffer_.clear();
}

void atomic_file::write(const void* data, size_t size) {
    if (fd_ < 0) throw std::logic_error("atomic_file: write before open");
    auto bytes = static_cast<const unsigned char*>(data);
    if (buffer_.size() + size > buffer_size) flush();
    if (size >= buffer_size) {
        buffer_.assign(bytes, bytes + size);
        flush();
        return;
    }
    buffer_.insert(buffer_.end(), bytes, bytes + size);
}

void atomic_file::write_at(uint64_t offset, const void* data, size_t size) {
    if (fd_ < 0) throw std::logic_error("atomic_file: write_at before open or after commit");
    flush();
    auto p = static_cast<const unsigned char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd_, p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            throw processing_error(fmt::format("cannot write {}: {}", final_.string(), std::strerror(err)));
        }
        p += n;
        offset += static_cast<uint64_t>(n);
        size -= static_cast<size_t>(n);
    }
}

void atomic_file::commit() {
    if (fd_ < 0) throw std::logic_error("atomic_file: commit before open");
    flush();
    if (::close(fd_) != 0) {
        int err = errno;
        fd_ = -1;
        ::unlink(temp_.c_str());
        throw processing_error(fmt::format("cannot write {}: {}", final_.string(), std::strerror(err)));
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
        int err = errno;
        ::unlink(temp_.c_str());
        throw processing_error(fmt::format("cannot write {}: {}", final_.string(), std::strerror(err)));
    }
}

void atomic_file::abort() noexcept {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_.c_str());
    buffer_.clear();
}

void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes) {
    atomic_file f(path);
    f.open();
    f.write(bytes.data(), bytes.size());
    f.commit();
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    write_file_atomically(path, std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

}  // namespace timeside
