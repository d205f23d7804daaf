// The format table and the file writer: text formats stream through an ostream into an
// atomic_file (never one string of the whole output), hdf5 goes through hdf5_writer.
#include "results/formats.hpp"

#include <array>
#include <streambuf>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "core/text.hpp"
#include "results/audacity_writer.hpp"
#include "results/csv_writer.hpp"
#include "results/hdf5_writer.hpp"
#include "results/jams_writer.hpp"
#include "results/json_writer.hpp"
#include "results/vtt_writer.hpp"

namespace timeside {

namespace {

constexpr std::array<result_format, 6> formats{{
    {"json", "json", "application/json", true},
    {"csv", "csv", "text/csv; charset=utf-8", true},
    {"jams", "jams", "application/json", true},
    {"vtt", "vtt", "text/vtt; charset=utf-8", false},
    {"audacity", "audacity.txt", "text/plain; charset=utf-8", false},
    {"hdf5", "h5", "application/x-hdf5", false},
}};

// An ostream's buffer that hands its bytes to an atomic_file (which buffers again, 256 KiB).
class atomic_file_buf : public std::streambuf {
public:
    explicit atomic_file_buf(atomic_file& f) : file_(f) { setp(buf_.data(), buf_.data() + buf_.size()); }

protected:
    int_type overflow(int_type c) override {
        drain();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override {
        drain();
        return 0;
    }

private:
    void drain() {
        file_.write(pbase(), static_cast<size_t>(pptr() - pbase()));
        setp(buf_.data(), buf_.data() + buf_.size());
    }

    atomic_file& file_;
    std::array<char, 1 << 16> buf_;
};

}  // namespace

std::span<const result_format> result_formats() { return formats; }

const result_format* find_result_format(std::string_view name) {
    for (const auto& f : formats)
        if (f.name == name) return &f;
    return nullptr;
}

std::string result_format_names() {
    std::string names;
    for (const auto& f : formats) names += (names.empty() ? "" : ", ") + std::string(f.name);
    return names;
}

std::vector<const result_format*> parse_result_formats(std::string_view list) {
    std::vector<const result_format*> out;
    for (auto name : split(list, ',')) {
        if (name.empty()) continue;
        const result_format* f = find_result_format(name);
        if (!f)
            throw usage_error(
                fmt::format("--results: unknown format '{}'; valid formats: {}", name, result_format_names()));
        if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    }
    return out;
}

void write_results(const result_format& f, std::ostream& out, std::span<const analyzer_result> results) {
    if (f.name == "json")
        out << results_to_json(results, 2) << '\n';
    else if (f.name == "csv")
        write_csv(out, results);
    else if (f.name == "jams")
        write_jams(out, results);
    else if (f.name == "vtt")
        write_vtt(out, results);
    else if (f.name == "audacity")
        write_audacity_labels(out, results);
    else
        throw usage_error(fmt::format("{} is not a text format", f.name));
}

void write_results_file(const result_format& f, const std::filesystem::path& path,
                        std::span<const analyzer_result> results) {
    if (f.name == "hdf5") {
        write_hdf5(path, results);
        return;
    }
    atomic_file file(path);
    file.open();
    {
        atomic_file_buf buf(file);
        std::ostream out(&buf);
        out.exceptions(std::ios::badbit);  // the atomic_file's own error comes through
        write_results(f, out, results);
        out.flush();
    }
    file.commit();
}

}  // namespace timeside
