// flac_encoder: FLAC through libFLAC's stream encoder, 16 or 24 bits, compression levels 0 to 8.
// Where the sink can rewrite, STREAMINFO's totals and MD5 and the SEEKTABLE are patched at the end
// as libFLAC asks; a live sink gets a stream whose header is final from the first byte.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "core/encoder.hpp"

namespace timeside {

struct flac_session;
struct flac_io;
class md5_lane;

class flac_encoder : public encoder {
public:
    static const processor_info& describe();
    explicit flac_encoder(parameter_set params);
    ~flac_encoder() override;

    std::string extension() const override { return "flac"; }
    std::string mime_type() const override { return "audio/flac"; }

protected:
    void on_setup(const stream_info& in) override;
    void on_process(const block_ptr& b) override;
    void on_finish() override;
    void on_abort() noexcept override;

private:
    friend struct flac_io;  // libFLAC's callbacks write through sink() and track the offsets

    void encode(const float* samples, int64_t frames);
    void encode_silence(int64_t frames);
    [[noreturn]] void fail(const char* while_doing);
    void release() noexcept;

    std::unique_ptr<flac_session> flac_;
    std::unique_ptr<md5_lane> md5_;  // STREAMINFO's MD5, computed beside libFLAC (files only)
    int bits_ = 16;
    int channels_ = 0;
    bool can_rewrite_ = false;
    int64_t declared_frames_ = -1;  // what STREAMINFO says from the start (-1: nothing)
    int64_t frames_ = 0;            // given to libFLAC so far
    uint64_t position_ = 0;         // where libFLAC's next write lands: it seeks back at the end
    uint64_t written_ = 0;          // bytes appended to the sink
    uint64_t streaminfo_offset_ = 0;
    std::exception_ptr sink_error_;  // thrown by the sink inside a callback, rethrown outside libFLAC
    std::vector<int32_t> buffer_;    // one block converted, interleaved, reused
};

}  // namespace timeside
