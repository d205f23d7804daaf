// Each path segment is checked before the file system is asked (safe characters, not hidden), and
// the canonical path must stay inside the folder, so a symlink out is refused as in the media folders.
#include "server/web_routes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <regex>

#include <fmt/format.h>

#include "server/http/file_reply.hpp"

namespace timeside::server {

using http::status;
namespace fs = std::filesystem;

namespace {

constexpr size_t max_segments = 8;

const std::map<std::string, std::string>& types() {
    static const std::map<std::string, std::string> t{
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".wasm", "application/wasm"}, {".map", "application/json"},
        {".woff2", "font/woff2"}};
    return t;
}

bool safe_segment(std::string_view s) {
    return !s.empty() && s.size() <= 128 && s.front() != '.' &&
           s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-@") ==
               std::string_view::npos;
}

// lib/<name>@<version>/...: a version of digits and dots (a pinned release, never a range).
bool versioned_library(std::string_view relative) {
    static const std::regex pattern(R"(lib/[a-z0-9._-]+@[0-9]+(\.[0-9]+)*/.+)");
    return std::regex_match(relative.begin(), relative.end(), pattern);
}

struct fd_owner {
    int fd;
    ~fd_owner() { ::close(fd); }
};

http::reply serve_file(const http::request_context& ctx, const web_state& state, const std::string& relative) {
    std::error_code ec;
    if (!fs::is_directory(state.folder, ec))
        throw http::http_error(status::not_found, fmt::format("no web folder ({})", state.folder.string()));
    const auto file = resolve_web_file(state.folder, relative);
    if (!file) throw http::http_error(status::not_found, fmt::format("no page '/{}'", relative));
    const int fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) ::close(fd);
        throw http::http_error(status::not_found, fmt::format("no page '/{}'", relative));
    }
    std::shared_ptr<fd_owner> owner(new fd_owner{fd});
    const auto etag = fmt::format("\"w-{:x}-{:x}\"", st.st_size, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
    auto reply = http::file_reply(ctx.req, std::move(owner), fd, static_cast<uint64_t>(st.st_size), etag, file->content_type);
    if (file->immutable && (reply.res.result() == status::ok || reply.res.result() == status::not_modified ||
                            reply.res.result() == status::partial_content))
        reply.res.set(http::bhttp::field::cache_control, "public, max-age=31536000, immutable");
    return reply;
}

}  // namespace

std::optional<web_file> resolve_web_file(const fs::path& folder, std::string_view relative) {
    size_t segments = 0;
    for (size_t at = 0; at <= relative.size(); ++segments) {
        const size_t slash = std::min(relative.find('/', at), relative.size());
        const std::string_view segment = relative.substr(at, slash - at);
        // npm's install folder holds what builds the page, not the page (web/lib/ has the libraries).
        if (segments == max_segments || !safe_segment(segment) || segment == "node_modules") return std::nullopt;
        at = slash + 1;
    }
    if (relative == "package.json" || relative == "package-lock.json") return std::nullopt;
    const auto type = types().find(fs::path(relative).extension().string());
    if (type == types().end()) return std::nullopt;
    std::error_code ec;
    const fs::path root = fs::canonical(folder, ec);
    if (ec) return std::nullopt;
    const fs::path file = fs::canonical(root / fs::path(relative), ec);
    if (ec) return std::nullopt;
    // Inside: the root's path is a prefix of the file's, segment by segment.
    auto [r, f] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (r != root.end() || f == file.end() || !fs::is_regular_file(file, ec)) return std::nullopt;
    return web_file{file, type->second, versioned_library(relative)};
}

void add_web_routes(http::router& routes, const web_state& state) {
    using http::verb;
    routes.add({verb::get}, "/", [&state](const http::request_context& ctx) { return serve_file(ctx, state, "index.html"); });
    routes.add({verb::get}, "/{path+}",
               [&state](const http::request_context& ctx) { return serve_file(ctx, state, ctx.param("path")); });
}

}  // namespace timeside::server
