// A file name is one path segment of safe characters, not hidden, with a known extension, and
// must resolve inside the folder (a symlink out is refused like in the media folders).
#include "server/web_routes.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <memory>

#include <fmt/format.h>

#include "server/http/file_reply.hpp"

namespace timeside::server {

using http::status;
namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::string>& types() {
    static const std::map<std::string, std::string> t{
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".wasm", "application/wasm"}};
    return t;
}

struct fd_owner {
    int fd;
    ~fd_owner() { ::close(fd); }
};

http::reply serve_file(const http::request_context& ctx, const web_state& state, const std::string& name) {
    const bool safe = !name.empty() && name.front() != '.' &&
                      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
                          std::string::npos;
    const auto type = safe ? types().find(fs::path(name).extension().string()) : types().end();
    if (type == types().end()) throw http::http_error(status::not_found, fmt::format("no page '/{}'", name));
    std::error_code ec;
    const fs::path folder = fs::canonical(state.folder, ec);
    if (ec) throw http::http_error(status::not_found, fmt::format("no web folder ({})", state.folder.string()));
    const fs::path file = fs::canonical(folder / name, ec);
    if (ec || file.parent_path() != folder) throw http::http_error(status::not_found, fmt::format("no page '/{}'", name));
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) ::close(fd);
        throw http::http_error(status::not_found, fmt::format("no page '/{}'", name));
    }
    std::shared_ptr<fd_owner> owner(new fd_owner{fd});
    const auto etag = fmt::format("\"w-{:x}-{:x}\"", st.st_size, int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
    return http::file_reply(ctx.req, std::move(owner), fd, static_cast<uint64_t>(st.st_size), etag, type->second);
}

}  // namespace

void add_web_routes(http::router& routes, const web_state& state) {
    using http::verb;
    routes.add({verb::get}, "/", [&state](const http::request_context& ctx) { return serve_file(ctx, state, "index.html"); });
    routes.add({verb::get}, "/{file}",
               [&state](const http::request_context& ctx) { return serve_file(ctx, state, ctx.param("file")); });
}

}  // namespace timeside::server
