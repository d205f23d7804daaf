// Where an encoder's bytes go: a file (complete or absent), memory, or later a live hub. Each
// write is one chunk; chunks carrying codec headers are marked so a hub can replay them to a
// listener who joins late.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "core/atomic_file.hpp"

namespace timeside {

class byte_sink {
public:
    virtual ~byte_sink() = default;
    virtual void open() {}
    virtual void write(std::span<const unsigned char> chunk, bool is_header) = 0;
    // Overwrites bytes already written, before commit (a WAV header's sizes, known at the end).
    // False when the sink cannot: a live stream has already sent them.
    virtual bool rewrite(uint64_t /*offset*/, std::span<const unsigned char> /*bytes*/) { return false; }
    // Whether rewrite() will work: encoders ask at setup, to write headers they patch at the end
    // (an MP3 Xing/LAME frame, FLAC's STREAMINFO totals) only where they can.
    virtual bool can_rewrite() const { return false; }
    // A live stream: no beginning a listener is sure to get, no end. Encoders leave out what only
    // a file needs (an MP3's ID3 tag: players of a live MP3 expect frames from the first byte, as
    // Icecast sends them; titles go as ICY metadata).
    virtual bool is_live() const { return false; }
    virtual void commit() {}
    virtual void abort() noexcept {}
};

class file_sink : public byte_sink {
public:
    explicit file_sink(std::filesystem::path path) : file_(std::move(path)) {}
    void open() override { file_.open(); }
    void write(std::span<const unsigned char> chunk, bool) override { file_.write(chunk.data(), chunk.size()); }
    bool rewrite(uint64_t offset, std::span<const unsigned char> bytes) override {
        file_.write_at(offset, bytes.data(), bytes.size());
        return true;
    }
    bool can_rewrite() const override { return true; }
    void commit() override { file_.commit(); }
    void abort() noexcept override { file_.abort(); }
    const std::filesystem::path& path() const { return file_.path(); }

private:
    atomic_file file_;
};

class memory_sink : public byte_sink {
public:
    void write(std::span<const unsigned char> chunk, bool is_header) override {
        data_.insert(data_.end(), chunk.begin(), chunk.end());
        if (is_header) header_bytes_ = data_.size();
        ++chunks_;
    }
    // Only within what was written: the bytes rewritten must already exist.
    bool rewrite(uint64_t offset, std::span<const unsigned char> bytes) override {
        if (offset > data_.size() || bytes.size() > data_.size() - offset) return false;
        std::copy(bytes.begin(), bytes.end(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
        return true;
    }
    bool can_rewrite() const override { return true; }
    void abort() noexcept override { data_.clear(); }
    const std::vector<unsigned char>& data() const { return data_; }
    size_t header_bytes() const { return header_bytes_; }  // bytes up to the last header chunk
    size_t chunks() const { return chunks_; }

private:
    std::vector<unsigned char> data_;
    size_t header_bytes_ = 0;
    size_t chunks_ = 0;
};

}  // namespace timeside
