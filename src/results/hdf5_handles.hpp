// RAII for HDF5's C API: every hid_t (file, group, dataset, dataspace, datatype, property list,
// attribute) lives in a move-only handle closed by its own H5*close; the error check that turns a
// negative id or status into a processing_error carrying HDF5's reason; the writer's primitives.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <hdf5.h>

namespace timeside::h5 {

template <herr_t (*Close)(hid_t)>
class handle {
public:
    handle() = default;
    explicit handle(hid_t id) : id_(id) {}
    ~handle() { reset(); }
    handle(handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)) {}
    handle& operator=(handle&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = std::exchange(o.id_, H5I_INVALID_HID);
        }
        return *this;
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;

    hid_t get() const { return id_; }
    explicit operator bool() const { return id_ >= 0; }
    // Closes now; returns false if HDF5 reported a failure (a final flush of a file, say).
    bool reset() noexcept {
        bool ok = true;
        if (id_ >= 0) ok = Close(id_) >= 0;
        id_ = H5I_INVALID_HID;
        return ok;
    }

private:
    hid_t id_ = H5I_INVALID_HID;
};

using file = handle<H5Fclose>;
using group = handle<H5Gclose>;
using dataset = handle<H5Dclose>;
using dataspace = handle<H5Sclose>;
using datatype = handle<H5Tclose>;
using plist = handle<H5Pclose>;
using attribute = handle<H5Aclose>;

// HDF5's innermost error message on this thread's stack (then cleared), e.g. "file exists".
std::string last_error();
// Stops HDF5 printing its error stack on stderr from this thread: failures become exceptions.
void quiet();

[[noreturn]] void fail(const std::string& where, const char* what);

// Throws processing_error("<where>: <what>: <HDF5's reason>") when `status` is negative.
template <typename T>
T check(T status, const std::string& where, const char* what) {
    if (status < 0) fail(where, what);
    return status;
}

// The primitives hdf5_writer builds its layout from; `where` names the file in errors.
group make_group(hid_t parent, const std::string& name, const std::string& where);
// Scalar attributes as h5py writes them: variable-length UTF-8 strings, little-endian int64 and
// float64, booleans as the enum {FALSE = 0, TRUE = 1} of int8.
void attr_string(hid_t obj, const std::string& name, const std::string& value, const std::string& where);
void attr_int(hid_t obj, const std::string& name, int64_t value, const std::string& where);
void attr_double(hid_t obj, const std::string& name, double value, const std::string& where);
void attr_bool(hid_t obj, const std::string& name, bool value, const std::string& where);
// A fixed-size dataset of `dims` (rank 1 or 2) holding `data` (float64 or int64 in the file); an
// empty one is chunked with an unlimited dimension, as h5py makes it for TimeSide.
void write_array(hid_t parent, const std::string& name, std::span<const double> data,
                 const std::vector<hsize_t>& dims, const std::string& where);
void write_array(hid_t parent, const std::string& name, std::span<const int> data, const std::string& where);

}  // namespace timeside::h5
