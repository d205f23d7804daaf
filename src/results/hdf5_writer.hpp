// Results as HDF5 in TimeSide's layout (AnalyzerResult.to_hdf5): one group per result, named by
// its id, metadata as attributes, data as datasets. Also a row_sink: framewise results grow in
// the file while analyzers compute them, so an hour-long spectrogram never sits in memory.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>

#include "core/result.hpp"
#include "core/row_sink.hpp"
#include "results/hdf5_handles.hpp"

namespace timeside {

// /<result id>                  attributes data_mode, time_mode
//   id_metadata/                attributes id, name, unit, description, date, version, author, proc_uuid
//   audio_metadata/             attributes uri, start, duration, is_segment, sha1, channels, channelsManagement
//   parameters/                 one attribute per parameter (nested values as JSON text)
//   data_object/                value (float64, (n) or (rows, width)) and y_value: value mode
//                               label (int64) and label_metadata/ (attribute label_type; groups
//                               label/ and description/, one attribute per label number): label mode
//                               time (float64): event and segment; duration (float64): segment
//                               frame_metadata/ (attributes samplerate, blocksize, stepsize): framewise
// Strings are variable-length UTF-8, booleans h5py's FALSE/TRUE enum, so h5py and TimeSide's
// AnalyzerResult.from_hdf5 read them back. Streamed datasets are chunked with an unlimited first
// dimension (chunks of at most 256 KiB, written whole: memory holds one chunk per result).
class hdf5_writer final : public row_sink {
public:
    // Creates the file under a hidden temporary name in the same directory; throws
    // processing_error naming the output and HDF5's reason.
    explicit hdf5_writer(std::filesystem::path final_path);
    // Without commit(), the temporary file is removed: a failed run leaves nothing.
    ~hdf5_writer() override;
    hdf5_writer(const hdf5_writer&) = delete;
    hdf5_writer& operator=(const hdf5_writer&) = delete;

    // row_sink: thread-safe (one mutex; every HDF5 call of this writer is made under it).
    // A result id begun twice is a processing_error: groups are named by result id.
    void begin(const analyzer_result& meta) override;
    void append(const std::string& result_id, std::span<const double> row) override;

    // At the end of a run: every result's metadata; streamed results keep the rows already in
    // the file (rows kept in memory as well are not written twice), the others are written whole.
    // Streams begun but absent from `results` are completed from what begin() was given.
    void write(std::span<const analyzer_result> results);
    // Closes the file and renames it to its final name.
    void commit();
    void abort() noexcept;

    const std::filesystem::path& path() const { return final_; }
    // Rows in the file for a streamed result (0 if none), pending rows included.
    size_t streamed_rows(const std::string& result_id);

private:
    struct stream;
    void flush(stream& s);
    void write_result(const analyzer_result& r, stream* s);
    void close_all() noexcept;

    std::filesystem::path final_, temp_;
    std::string where_;  // the output named in every error
    std::mutex mutex_;
    h5::file file_;
    std::map<std::string, std::unique_ptr<stream>> streams_;
    std::set<std::string> written_;
    bool done_ = false;
};

// A whole set of results at once (no streaming), complete under `path` or not at all.
void write_hdf5(const std::filesystem::path& path, std::span<const analyzer_result> results);

}  // namespace timeside
