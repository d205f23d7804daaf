// Outputs appear complete under their final name, or not at all.
#include <catch2/catch.hpp>

#include <fstream>

#include "../test_support.hpp"
#include "core/atomic_file.hpp"
#include "core/errors.hpp"

using namespace timeside;

namespace {
std::string read_all(const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
}
size_t entries(const std::filesystem::path& dir) {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}
}  // namespace

TEST_CASE("nothing is visible under the final name until commit", "[core][atomic_file]") {
    test::temp_dir dir;
    atomic_file f(dir / "out.bin");
    f.open();
    std::string big(3 << 20, 'x');  // larger than the write buffer
    f.write(big.data(), big.size());
    f.write("end", 3);
    CHECK_FALSE(std::filesystem::exists(dir / "out.bin"));
    f.commit();
    CHECK(read_all(dir / "out.bin") == big + "end");
    CHECK(entries(dir.path()) == 1);  // no temporary left behind
}

TEST_CASE("abort and destruction leave nothing behind", "[core][atomic_file]") {
    test::temp_dir dir;
    {
        atomic_file f(dir / "a.bin");
        f.open();
        f.write("partial", 7);
        f.abort();
    }
    {
        atomic_file f(dir / "b.bin");
        f.open();
        f.write("partial", 7);
    }
    CHECK(entries(dir.path()) == 0);
}

TEST_CASE("an existing file is replaced only on commit", "[core][atomic_file]") {
    test::temp_dir dir;
    write_file_atomically(dir / "x.txt", std::string_view("old"));
    atomic_file f(dir / "x.txt");
    f.open();
    f.write("new", 3);
    CHECK(read_all(dir / "x.txt") == "old");
    f.commit();
    CHECK(read_all(dir / "x.txt") == "new");
}

TEST_CASE("an unwritable destination fails at open, naming it", "[core][atomic_file]") {
    test::temp_dir dir;
    atomic_file f(dir / "missing" / "out.bin");
    CHECK_THROWS_WITH(f.open(), Catch::Contains("missing/out.bin") && Catch::Contains("No such file"));
    atomic_file d(dir.path());
    CHECK_THROWS_WITH(d.open(), Catch::Contains("is a directory"));
}
