// A file that appears under its final name only when complete: written to a hidden temporary
// name in the same directory, renamed on commit, removed on abort or destruction.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace timeside {

class atomic_file {
public:
    explicit atomic_file(std::filesystem::path final_path);
    ~atomic_file();
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;

    // Creates the temporary file; throws processing_error naming the output and the cause.
    void open();
    void write(const void* data, size_t size);
    // Overwrites bytes already written (a header whose sizes are known only at the end): flushes
    // the buffer, then pwrite()s, so later write()s still append. Only before commit.
    void write_at(uint64_t offset, const void* data, size_t size);
    void commit();
    void abort() noexcept;

    const std::filesystem::path& path() const { return final_; }
    bool is_open() const { return fd_ >= 0; }

private:
    void flush();

    std::filesystem::path final_;
    std::filesystem::path temp_;
    int fd_ = -1;
    std::vector<unsigned char> buffer_;
};

void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace timeside
