// What the web folder serves and refuses (resolve_web_file): subfolders of safe segments, known
// types, never a hidden file, a folder, a symlink out of the folder or a path too deep; which
// files are immutable (versioned libraries under lib/).
#include <catch2/catch.hpp>

#include <fstream>

#include "server/web_routes.hpp"
#include "../test_support.hpp"

using timeside::server::resolve_web_file;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text = "x") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("the web folder serves files in subfolders with their type", "[server][web]") {
    timeside::test::temp_dir d;
    const auto web = d / "web";
    write(web / "index.html");
    write(web / "js" / "home.js");
    write(web / "css" / "app.css");
    write(web / "lib" / "uplot@1.6.31" / "dist" / "uPlot.esm.js");
    write(web / "lib" / "uplot" / "uPlot.esm.js");

    auto index = resolve_web_file(web, "index.html");
    REQUIRE(index);
    CHECK(index->content_type == "text/html; charset=utf-8");
    CHECK(index->path == fs::canonical(web / "index.html"));
    CHECK_FALSE(index->immutable);
    auto js = resolve_web_file(web, "js/home.js");
    REQUIRE(js);
    CHECK(js->content_type == "text/javascript; charset=utf-8");
    CHECK_FALSE(js->immutable);
    CHECK(resolve_web_file(web, "css/app.css")->content_type == "text/css; charset=utf-8");
    auto lib = resolve_web_file(web, "lib/uplot@1.6.31/dist/uPlot.esm.js");
    REQUIRE(lib);
    CHECK(lib->immutable);
    // Without a version in its folder's name, a library may change under its URL: revalidated.
    CHECK_FALSE(resolve_web_file(web, "lib/uplot/uPlot.esm.js")->immutable);
}

TEST_CASE("the web folder refuses what could leak or escape", "[server][web]") {
    timeside::test::temp_dir d;
    const auto web = d / "web";
    write(web / "index.html");
    write(web / ".git" / "config.json");
    write(web / "js" / ".hidden.js");
    write(web / "js" / "tool.sh");
    write(web / "a" / "b" / "c" / "d" / "e" / "f" / "g" / "h" / "i.js");
    write(web / "a" / "b" / "c" / "d" / "e" / "f" / "g" / "h.js");
    fs::create_directories(web / "dir.js");
    write(d / "outside" / "secret.js");
    fs::create_directory_symlink(d / "outside", web / "out");
    fs::create_symlink(d / "outside" / "secret.js", web / "js" / "link.js");
    write(web / "inner.js");
    fs::create_symlink(web / "inner.js", web / "js" / "inside.js");
    // What builds the page is not the page: npm's files and its install folder.
    write(web / "package.json");
    write(web / "package-lock.json");
    write(web / "node_modules" / "uplot" / "dist" / "uPlot.esm.js");

    for (const char* path : {".git/config.json", "js/.hidden.js", "js/tool.sh", "js/missing.js", "out/secret.js",
                             "js/link.js", "dir.js", "js//home.js", "js/", "../outside/secret.js", "js/../index.html",
                             "a/b/c/d/e/f/g/h/i.js", "", "js/home js", "js/h\\a.js", "package.json",
                             "package-lock.json", "node_modules/uplot/dist/uPlot.esm.js"}) {
        INFO(path);
        CHECK_FALSE(resolve_web_file(web, path));
    }
    // Eight segments are allowed; a symlink that stays inside the folder is followed.
    CHECK(resolve_web_file(web, "a/b/c/d/e/f/g/h.js"));
    REQUIRE(resolve_web_file(web, "js/inside.js"));
    CHECK(resolve_web_file(web, "js/inside.js")->path == fs::canonical(web / "inner.js"));
    // A folder that does not exist serves nothing.
    CHECK_FALSE(resolve_web_file(d / "nowhere", "index.html"));
}
