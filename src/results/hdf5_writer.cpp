// The HDF5 serializer and row sink. Streamed rows gather in a buffer of one chunk and are written
// a whole chunk at a time (one H5Dset_extent + H5Dwrite per chunk, the chunk cache bypassed), so
// memory stays at one chunk per framewise result however long the input.
#include "results/hdf5_writer.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside {

namespace {

constexpr size_t chunk_bytes = 256 * 1024;
constexpr size_t max_chunk_rows = 16384;  // a 1-D result's chunk: 128 KiB, not more for short files
std::atomic<unsigned> temp_counter{0};

void write_parameters(hid_t group, const nlohmann::json& params, const std::string& where) {
    if (!params.is_object()) return;
    for (const auto& [key, v] : params.items()) {
        if (v.is_null()) continue;  // as TimeSide: None is not written
        if (v.is_boolean())
            h5::attr_bool(group, key, v.get<bool>(), where);
        else if (v.is_number_integer())
            h5::attr_int(group, key, v.get<int64_t>(), where);
        else if (v.is_number())
            h5::attr_double(group, key, v.get<double>(), where);
        else if (v.is_string())
            h5::attr_string(group, key, v.get<std::string>(), where);
        else
            h5::attr_string(group, key, v.dump(), where);
    }
}

void write_labels(hid_t data_object, const label_metadata& m, const std::string& where) {
    auto g = h5::make_group(data_object, "label_metadata", where);
    h5::attr_string(g.get(), "label_type", m.label_type, where);
    auto names = h5::make_group(g.get(), "label", where);
    for (const auto& [k, v] : m.label) h5::attr_string(names.get(), std::to_string(k), v, where);
    auto descriptions = h5::make_group(g.get(), "description", where);
    for (const auto& [k, v] : m.description) h5::attr_string(descriptions.get(), std::to_string(k), v, where);
}

}  // namespace

struct hdf5_writer::stream {
    analyzer_result meta;  // as begun: ids, modes, width, frame metadata; no rows
    h5::group group, data_object;
    h5::dataset rows_set;
    size_t row_size = 1;    // values per row
    size_t chunk_rows = 1;
    hsize_t rows = 0;       // rows in the file
    std::vector<double> pending;
};

hdf5_writer::hdf5_writer(std::filesystem::path final_path)
    : final_(std::move(final_path)), where_(final_.string()) {
    h5::quiet();
    auto dir = final_.parent_path();
    if (dir.empty()) dir = ".";
    temp_ = dir / fmt::format(".{}.part-{}-{}", final_.filename().string(), getpid(), temp_counter++);
    // The 1.8 file format: readable by every h5py and h5dump in use, yet with dense attribute
    // storage for parameter lists of any size.
    h5::plist fapl(h5::check(H5Pcreate(H5P_FILE_ACCESS), where_, "cannot create a property list"));
    h5::check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18), where_, "cannot set the format");
    file_ = h5::file(h5::check(H5Fcreate(temp_.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.get()), where_,
                               "cannot create the file"));
}

hdf5_writer::~hdf5_writer() { abort(); }

void hdf5_writer::begin(const analyzer_result& meta) {
    std::lock_guard lock(mutex_);
    h5::quiet();
    if (done_) throw std::logic_error("hdf5_writer: begin after commit or abort");
    const std::string& id = meta.result_id();
    if (streams_.count(id))
        throw processing_error(fmt::format("{}: two results have the id '{}' (one analyzer twice with different "
                                           "parameters?); HDF5 groups are named by result id",
                                           where_, id));
    auto s = std::make_unique<stream>();
    s->meta = meta;
    s->meta.data.value.clear();
    s->meta.data.label.clear();
    const bool label = meta.dmode == data_mode::label;
    const size_t width = label ? 0 : meta.data.width;
    s->row_size = std::max<size_t>(width, 1);
    s->chunk_rows = std::clamp<size_t>(chunk_bytes / (s->row_size * sizeof(double)), 1, max_chunk_rows);
    s->group = h5::make_group(file_.get(), id, where_);
    s->data_object = h5::make_group(s->group.get(), "data_object", where_);

    const int rank = width > 0 ? 2 : 1;
    const hsize_t dims[2] = {0, width}, maxdims[2] = {H5S_UNLIMITED, width};
    const hsize_t chunk[2] = {s->chunk_rows, width};
    h5::plist dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), where_, "cannot create a property list"));
    h5::check(H5Pset_chunk(dcpl.get(), rank, chunk), where_, "cannot set chunks");
    h5::check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), where_, "cannot set the fill time");
    // Whole chunks are written at once: a chunk cache would only hold a second copy.
    h5::plist dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), where_, "cannot create a property list"));
    h5::check(H5Pset_chunk_cache(dapl.get(), H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT), where_,
              "cannot set the chunk cache");
    h5::dataspace space(h5::check(H5Screate_simple(rank, dims, maxdims), where_, "cannot create a dataspace"));
    s->rows_set = h5::dataset(h5::check(H5Dcreate2(s->data_object.get(), label ? "label" : "value",
                                                   label ? H5T_STD_I64LE : H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                                   dcpl.get(), dapl.get()),
                                        where_, "cannot create dataset"));
    s->pending.reserve(s->chunk_rows * s->row_size);
    streams_.emplace(id, std::move(s));
}

void hdf5_writer::append(const std::string& result_id, std::span<const double> row) {
    std::lock_guard lock(mutex_);
    h5::quiet();
    auto it = streams_.find(result_id);
    if (it == streams_.end() || done_)
        throw std::logic_error(fmt::format("hdf5_writer: rows for '{}', which was not begun", result_id));
    stream& s = *it->second;
    if (row.size() != s.row_size)
        throw processing_error(fmt::format("{}: a row of {} values for '{}', which has {} per row", where_, row.size(),
                                           result_id, s.row_size));
    s.pending.insert(s.pending.end(), row.begin(), row.end());
    if (s.pending.size() >= s.chunk_rows * s.row_size) flush(s);
}

void hdf5_writer::flush(stream& s) {
    const hsize_t n = s.pending.size() / s.row_size;
    if (n == 0) return;
    const int rank = s.meta.dmode == data_mode::value && s.meta.data.width > 0 ? 2 : 1;
    const hsize_t extent[2] = {s.rows + n, s.row_size}, start[2] = {s.rows, 0}, count[2] = {n, s.row_size};
    h5::check(H5Dset_extent(s.rows_set.get(), extent), where_, "cannot extend dataset");
    h5::dataspace file_space(h5::check(H5Dget_space(s.rows_set.get()), where_, "cannot get a dataspace"));
    h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), where_,
              "cannot select rows");
    h5::dataspace mem_space(h5::check(H5Screate_simple(rank, count, nullptr), where_, "cannot create a dataspace"));
    h5::check(H5Dwrite(s.rows_set.get(), H5T_NATIVE_DOUBLE, mem_space.get(), file_space.get(), H5P_DEFAULT,
                       s.pending.data()),
              where_, "cannot write rows");
    s.rows += n;
    s.pending.clear();
}

size_t hdf5_writer::streamed_rows(const std::string& result_id) {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(result_id);
    return it == streams_.end() ? 0 : it->second->rows + it->second->pending.size() / it->second->row_size;
}

void hdf5_writer::write_result(const analyzer_result& r, stream* s) {
    const std::string& id = r.result_id();
    if (!written_.insert(id).second)
        throw processing_error(fmt::format("{}: two results have the id '{}' (one analyzer twice with different "
                                           "parameters?); HDF5 groups are named by result id",
                                           where_, id));
    h5::group own_group, own_data;
    if (!s) {
        own_group = h5::make_group(file_.get(), id, where_);
        own_data = h5::make_group(own_group.get(), "data_object", where_);
    }
    const hid_t g = s ? s->group.get() : own_group.get();
    const hid_t data = s ? s->data_object.get() : own_data.get();

    h5::attr_string(g, "data_mode", to_string(r.dmode), where_);
    h5::attr_string(g, "time_mode", to_string(r.tmode), where_);

    auto idg = h5::make_group(g, "id_metadata", where_);
    const std::pair<const char*, const std::string*> ids[] = {
        {"id", &r.id.id},           {"name", &r.id.name}, {"unit", &r.id.unit},     {"description", &r.id.description},
        {"date", &r.id.date}, {"version", &r.id.version}, {"author", &r.id.author}, {"proc_uuid", &r.id.proc_uuid}};
    for (const auto& [k, v] : ids) h5::attr_string(idg.get(), k, *v, where_);

    auto audio = h5::make_group(g, "audio_metadata", where_);
    h5::attr_string(audio.get(), "uri", r.audio.uri, where_);
    h5::attr_double(audio.get(), "start", r.audio.start, where_);
    h5::attr_double(audio.get(), "duration", r.audio.duration, where_);
    h5::attr_bool(audio.get(), "is_segment", r.audio.is_segment, where_);
    h5::attr_string(audio.get(), "sha1", r.audio.sha1, where_);
    h5::attr_int(audio.get(), "channels", r.audio.channels, where_);
    h5::attr_string(audio.get(), "channelsManagement", r.audio.channels_management, where_);

    auto params = h5::make_group(g, "parameters", where_);
    write_parameters(params.get(), r.parameters, where_);

    if (r.dmode == data_mode::value) {
        if (!s) {
            const size_t w = r.data.width;
            const std::vector<hsize_t> dims = w > 0 ? std::vector<hsize_t>{r.data.value.size() / w, w}
                                                    : std::vector<hsize_t>{r.data.value.size()};
            const size_t n = w > 0 ? r.data.value.size() / w * w : r.data.value.size();
            h5::write_array(data, "value", std::span<const double>(r.data.value).first(n), dims, where_);
        }
        h5::write_array(data, "y_value", r.data.y_value, {r.data.y_value.size()}, where_);
        // Named columns (a Vamp output's binNames): their names, as a label result's are written.
        if (!r.labels.label.empty()) write_labels(data, r.labels, where_);
    } else {
        if (!s) h5::write_array(data, "label", r.data.label, where_);
        write_labels(data, r.labels, where_);
    }
    if (r.tmode == time_mode::event || r.tmode == time_mode::segment)
        h5::write_array(data, "time", r.data.time, {r.data.time.size()}, where_);
    if (r.tmode == time_mode::segment)
        h5::write_array(data, "duration", r.data.duration, {r.data.duration.size()}, where_);
    if (r.tmode == time_mode::framewise) {
        auto fm = h5::make_group(data, "frame_metadata", where_);
        h5::attr_int(fm.get(), "samplerate", r.frames.samplerate, where_);
        h5::attr_int(fm.get(), "blocksize", r.frames.blocksize, where_);
        h5::attr_int(fm.get(), "stepsize", r.frames.stepsize, where_);
    }
}

void hdf5_writer::write(std::span<const analyzer_result> results) {
    std::lock_guard lock(mutex_);
    h5::quiet();
    if (done_) throw std::logic_error("hdf5_writer: write after commit or abort");
    std::set<std::string> finished;
    for (const auto& r : results) {
        auto it = streams_.find(r.result_id());
        stream* s = it != streams_.end() && !finished.count(r.result_id()) ? it->second.get() : nullptr;
        if (s) {
            flush(*s);
            finished.insert(r.result_id());
        }
        write_result(r, s);
    }
    for (auto& [id, s] : streams_)
        if (!finished.count(id)) {
            flush(*s);
            write_result(s->meta, s.get());
        }
}

void hdf5_writer::close_all() noexcept {
    streams_.clear();  // datasets and groups before the file
    file_.reset();
}

void hdf5_writer::commit() {
    std::lock_guard lock(mutex_);
    h5::quiet();
    if (done_) throw std::logic_error("hdf5_writer: commit after commit or abort");
    for (auto& [id, s] : streams_) {
        if (!s->pending.empty()) flush(*s);
        s->rows_set.reset();
        s->data_object.reset();
        s->group.reset();
    }
    streams_.clear();
    const bool closed = file_.reset();  // the final flush happens here
    done_ = true;
    if (!closed) {
        ::unlink(temp_.c_str());
        h5::fail(where_, "cannot close the file");
    }
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
        const int err = errno;
        ::unlink(temp_.c_str());
        throw processing_error(fmt::format("cannot write {}: {}", where_, std::strerror(err)));
    }
}

void hdf5_writer::abort() noexcept {
    std::lock_guard lock(mutex_);
    if (done_) return;
    h5::quiet();
    close_all();
    H5Eclear2(H5E_DEFAULT);
    ::unlink(temp_.c_str());
    done_ = true;
}

void write_hdf5(const std::filesystem::path& path, std::span<const analyzer_result> results) {
    hdf5_writer w(path);
    w.write(results);
    w.commit();
}

}  // namespace timeside
