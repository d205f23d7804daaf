// HDF5 error reporting: the library's error stack is read, not printed, so a failure reaches the
// user as one message naming the output file and HDF5's reason.
#include "results/hdf5_handles.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace timeside::h5 {

namespace {
herr_t innermost(unsigned n, const H5E_error2_t* e, void* out) {
    if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
    return 0;
}
}  // namespace

std::string last_error() {
    std::string desc;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &desc);
    H5Eclear2(H5E_DEFAULT);
    return desc.empty() ? "unknown HDF5 error" : desc;
}

// Thread-safe builds keep this setting per thread: every entry point that runs on a lane calls it.
void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void fail(const std::string& where, const char* what) {
    throw processing_error(fmt::format("{}: {}: {}", where, what, last_error()));
}

group make_group(hid_t parent, const std::string& name, const std::string& where) {
    return group(check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), where,
                       "cannot create group"));
}

namespace {
void scalar_attr(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type, const void* value,
                 const std::string& where) {
    dataspace space(check(H5Screate(H5S_SCALAR), where, "cannot create a dataspace"));
    attribute a(check(H5Acreate2(obj, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), where,
                      "cannot create attribute"));
    check(H5Awrite(a.get(), mem_type, value), where, "cannot write attribute");
}
}  // namespace

void attr_string(hid_t obj, const std::string& name, const std::string& value, const std::string& where) {
    datatype t(check(H5Tcopy(H5T_C_S1), where, "cannot create a string type"));
    check(H5Tset_size(t.get(), H5T_VARIABLE), where, "cannot create a string type");
    check(H5Tset_cset(t.get(), H5T_CSET_UTF8), where, "cannot create a string type");
    const char* p = value.c_str();
    scalar_attr(obj, name, t.get(), t.get(), &p, where);
}

void attr_int(hid_t obj, const std::string& name, int64_t value, const std::string& where) {
    scalar_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, where);
}

void attr_double(hid_t obj, const std::string& name, double value, const std::string& where) {
    scalar_attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, where);
}

void attr_bool(hid_t obj, const std::string& name, bool value, const std::string& where) {
    datatype t(check(H5Tenum_create(H5T_NATIVE_INT8), where, "cannot create the boolean type"));
    int8_t v = 0;
    check(H5Tenum_insert(t.get(), "FALSE", &v), where, "cannot create the boolean type");
    v = 1;
    check(H5Tenum_insert(t.get(), "TRUE", &v), where, "cannot create the boolean type");
    v = value ? 1 : 0;
    scalar_attr(obj, name, t.get(), t.get(), &v, where);
}

namespace {
void array(hid_t parent, const std::string& name, const void* data, std::vector<hsize_t> dims, hid_t file_type,
           hid_t mem_type, const std::string& where) {
    hsize_t total = 1;
    for (auto d : dims) total *= d;
    plist dcpl(check(H5Pcreate(H5P_DATASET_CREATE), where, "cannot create a property list"));
    std::vector<hsize_t> maxdims = dims;
    if (total == 0) {
        maxdims[0] = H5S_UNLIMITED;
        std::vector<hsize_t> chunk = dims;
        for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
        chunk[0] = 64;
        check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), where, "cannot set chunks");
    }
    dataspace space(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), maxdims.data()), where,
                          "cannot create a dataspace"));
    dataset ds(check(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                     where, "cannot create dataset"));
    if (total > 0)
        check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where, "cannot write dataset");
}
}  // namespace

void write_array(hid_t parent, const std::string& name, std::span<const double> data,
                 const std::vector<hsize_t>& dims, const std::string& where) {
    array(parent, name, data.data(), dims, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, where);
}

void write_array(hid_t parent, const std::string& name, std::span<const int> data, const std::string& where) {
    array(parent, name, data.data(), {data.size()}, H5T_STD_I64LE, H5T_NATIVE_INT, where);
}

}  // namespace timeside::h5
