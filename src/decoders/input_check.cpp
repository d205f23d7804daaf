// Input resolution and the cheap checks that fail fast, before GStreamer is involved.
#include "decoders/input_check.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <regex>

#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <glib.h>

#include "core/errors.hpp"

namespace timeside {

namespace {

uint32_t le32(const unsigned char* p) {
    return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

resolved_input check_local(const std::filesystem::path& path, const std::string& label) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        int err = errno;
        throw processing_error(fmt::format("{}: {}", label, err == ENOENT ? "no such file" : std::strerror(err)));
    }
    if (S_ISDIR(st.st_mode)) throw processing_error(fmt::format("{}: is a directory, not a media file", label));
    if (!S_ISREG(st.st_mode)) throw processing_error(fmt::format("{}: not a regular file", label));
    if (st.st_size == 0) throw processing_error(fmt::format("{}: empty file", label));
    if (::access(path.c_str(), R_OK) != 0)
        throw processing_error(fmt::format("{}: {}", label, std::strerror(errno)));
    check_wav_complete(path, label);
    auto absolute = std::filesystem::absolute(path).lexically_normal();
    gchar* uri = g_filename_to_uri(absolute.c_str(), nullptr, nullptr);
    if (!uri) throw processing_error(fmt::format("{}: cannot be expressed as a file URI", label));
    resolved_input r{uri, label, absolute};
    g_free(uri);
    return r;
}

}  // namespace

void check_wav_complete(const std::filesystem::path& path, const std::string& label) {
    std::ifstream in(path, std::ios::binary);
    std::array<unsigned char, 12> riff{};
    if (!in.read(reinterpret_cast<char*>(riff.data()), riff.size())) return;
    if (std::memcmp(riff.data(), "RIFF", 4) != 0 || std::memcmp(riff.data() + 8, "WAVE", 4) != 0) return;
    const auto file_size = static_cast<uint64_t>(std::filesystem::file_size(path));
    uint64_t offset = 12;
    std::array<unsigned char, 8> head{};
    while (in.seekg(static_cast<std::streamoff>(offset)) && in.read(reinterpret_cast<char*>(head.data()), 8)) {
        uint32_t size = le32(head.data() + 4);
        if (std::memcmp(head.data(), "data", 4) == 0) {
            if (size == 0 || size == 0xFFFFFFFFu) return;  // written as a stream: length unknown
            uint64_t have = file_size - (offset + 8);
            if (have < size)
                throw processing_error(fmt::format(
                    "{}: truncated WAV: its header declares {} bytes of audio, the file holds {}", label,
                    size, have));
            return;
        }
        offset += 8 + size + (size & 1);
    }
    throw processing_error(fmt::format("{}: malformed WAV: no data chunk", label));
}

resolved_input resolve_input(const std::string& input) {
    if (input.empty()) throw processing_error("no input given");
    static const std::regex scheme("^([a-zA-Z][a-zA-Z0-9+.-]*)://.*");
    std::smatch m;
    if (!std::regex_match(input, m, scheme)) return check_local(input, input);
    std::string s = m[1].str();
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "file") {
        gchar* name = g_filename_from_uri(input.c_str(), nullptr, nullptr);
        if (!name) throw processing_error(fmt::format("{}: malformed file URI", input));
        std::filesystem::path p(name);
        g_free(name);
        auto r = check_local(p, input);
        return r;
    }
    if (s == "http" || s == "https") return {input, input, std::nullopt};
    throw processing_error(fmt::format("{}: unsupported URI scheme '{}' (use a path, file://, http:// or https://)",
                                       input, s));
}

}  // namespace timeside
