// Reloading the streams folder: what starts, is replaced and stops, in which order; unchanged files
// left alone; a file that turns bad keeps its previous version running with its error shown.
#include <condition_variable>
#include <fstream>
#include <future>
#include <map>
#include <mutex>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/presets.hpp"
#include "server/live/definition_watch.hpp"
#include "server/live/mount_set.hpp"
#include "../test_support.hpp"
#include "definition_test_support.hpp"

using namespace timeside;
using namespace timeside::server::live;
using namespace timeside::test;

namespace {

std::string definition(const std::string& name, const std::string& extra = {}) {
    return fmt::format("name = \"{}\"\n[input]\nkind = \"signal\"\n[[outputs]]\nformat = \"mp3\"\n{}", name, extra);
}

void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

// Records every callback as "start a", "replace a", "stop a", with the name each definition had.
struct recorder {
    std::vector<std::string> calls;
    std::map<std::string, std::string> names;       // id -> the running definition's name
    std::map<std::string, std::string> passwords;   // id -> the running definition's source password
    std::string fail_on;                            // a call ("start x") that throws
    mount_callbacks callbacks() {
        return {
            .start = [this](const stream_definition& d) { on("start", d); },
            .replace = [this](const stream_definition& d) { on("replace", d); },
            .stop = [this](const std::string& id) { calls.push_back("stop " + id), names.erase(id); },
        };
    }
    void on(const char* what, const stream_definition& d) {
        const std::string call = std::string(what) + " " + d.id;
        calls.push_back(call);
        if (call == fail_on) throw std::runtime_error("no audio device");
        names[d.id] = d.name;
        passwords[d.id] = d.input.password;
    }
    std::vector<std::string> take() { return std::exchange(calls, {}); }
};

const mount_entry& entry(const std::vector<mount_entry>& snap, const std::string& id) {
    for (const auto& e : snap)
        if (e.id == id) return e;
    FAIL("no entry " << id);
    throw;
}

}  // namespace

TEST_CASE("load starts every mount, a fallback mount before the mount that falls back to it", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "a.toml", definition("A", "[fallback]\nkind = \"mount\"\nmount = \"c\"\n"));
    write(dir / "b.toml", definition("B"));
    write(dir / "c.toml", definition("C", "[fallback]\nkind = \"mount\"\nmount = \"b\"\n"));
    write(dir / "notes.txt", "not a definition");
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    CHECK(r.take() == std::vector<std::string>{"start b", "start c", "start a"});
    const auto snap = set.snapshot();
    REQUIRE(snap.size() == 3);
    for (const auto& e : snap) {
        CHECK(e.state == mount_state::running);
        CHECK(e.error.empty());
        CHECK(e.definition->id == e.id);
    }
}

TEST_CASE("load refuses a folder with one bad file, naming it, and starts nothing", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "good.toml", definition("Good"));
    write(dir / "bad.toml", definition("Bad", "[listeners]\nburst = -1\n"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    CHECK_THROWS_WITH(set.load(), (dir / "bad.toml").string() +
                                      ":7: key 'listeners.burst': expected a number of seconds from 0 to 60, got -1");
    CHECK(r.calls.empty());
    // A fallback to a mount that does not exist, or a loop of fallbacks, is refused too.
    write(dir / "bad.toml", definition("Bad", "[fallback]\nkind = \"mount\"\nmount = \"gone\"\n"));
    CHECK_THROWS_WITH(set.load(), (dir / "bad.toml").string() + ": key 'fallback.mount': no mount 'gone' in " +
                                      dir.path().string() + " (gone.toml is missing or does not read)");
    write(dir / "bad.toml", definition("Bad", "[fallback]\nkind = \"mount\"\nmount = \"good\"\n"));
    write(dir / "good.toml", definition("Good", "[fallback]\nkind = \"mount\"\nmount = \"bad\"\n"));
    CHECK_THROWS_WITH(set.load(), Catch::Contains("the fallbacks go round in a loop: bad -> good -> bad"));
    CHECK(r.calls.empty());
    // A missing folder defines nothing.
    mount_set none(dir / "absent", shipped_presets(), r.callbacks());
    none.load();
    CHECK(none.snapshot().empty());
}

TEST_CASE("reload applies what changed and leaves the rest alone", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "keep.toml", definition("Keep"));
    write(dir / "edit.toml", definition("Edit"));
    write(dir / "drop.toml", definition("Drop"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    r.take();
    const auto keep_before = entry(set.snapshot(), "keep").definition;

    // Nothing changed: no call at all.
    auto report = set.reload();
    CHECK(r.take().empty());
    CHECK(report.unchanged == 3);

    write(dir / "edit.toml", definition("Edited"));
    write(dir / "new.toml", definition("New"));
    std::filesystem::remove(dir / "drop.toml");
    report = set.reload();
    CHECK(r.take() == std::vector<std::string>{"stop drop", "replace edit", "start new"});
    CHECK(report.added == std::vector<std::string>{"new"});
    CHECK(report.changed == std::vector<std::string>{"edit"});
    CHECK(report.removed == std::vector<std::string>{"drop"});
    CHECK(report.invalid.empty());
    CHECK(report.unchanged == 1);
    CHECK(r.names == std::map<std::string, std::string>{{"edit", "Edited"}, {"keep", "Keep"}, {"new", "New"}});
    // The unchanged mount is the very same definition object: not re-read, not restarted.
    CHECK(entry(set.snapshot(), "keep").definition == keep_before);
    // Touching a file without changing its content is no change either.
    write(dir / "keep.toml", definition("Keep"));
    set.reload();
    CHECK(r.take().empty());
}

TEST_CASE("a file that turns bad keeps its previous version running, with its error", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "radio.toml", definition("Radio"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    r.take();

    write(dir / "radio.toml", definition("Radio 2", "[listeners]\nqueue = 9000\n"));
    write(dir / "broken.toml", "name = \n");
    auto report = set.reload();
    CHECK(r.take().empty());  // nothing stopped, nothing started
    CHECK(report.invalid == std::vector<std::string>{"broken", "radio"});
    auto snap = set.snapshot();
    const auto& radio = entry(snap, "radio");
    CHECK(radio.state == mount_state::kept_previous);
    CHECK(radio.definition->name == "Radio");
    CHECK(radio.error == (dir / "radio.toml").string() +
                             ":7: key 'listeners.queue': expected a number of seconds from 1 to 600, got 9000");
    const auto& broken = entry(snap, "broken");
    CHECK(broken.state == mount_state::failed);
    CHECK(broken.definition == nullptr);
    CHECK(broken.error.starts_with((dir / "broken.toml").string() + ":1: "));

    // /api/streams shows both the running definition and the error.
    const auto listing = set.listing();
    CHECK(listing["count"] == 2);
    CHECK(listing["streams"][1]["id"] == "radio");
    CHECK(listing["streams"][1]["state"] == "kept_previous");
    CHECK(listing["streams"][1]["definition"]["name"] == "Radio");
    CHECK(listing["streams"][1]["error"] == radio.error);
    CHECK_FALSE(listing["streams"][0].contains("definition"));

    // Put back as it runs: no restart, the error is gone.
    write(dir / "radio.toml", definition("Radio"));
    set.reload();
    CHECK(r.take().empty());
    CHECK(entry(set.snapshot(), "radio").state == mount_state::running);
    CHECK(entry(set.snapshot(), "radio").error.empty());

    // Fixed: the new version replaces the old one; the broken file fixed starts.
    write(dir / "radio.toml", definition("Radio 3"));
    write(dir / "broken.toml", definition("Mended"));
    report = set.reload();
    CHECK(r.take() == std::vector<std::string>{"start broken", "replace radio"});
    CHECK(r.names["radio"] == "Radio 3");
    for (const auto& e : set.snapshot()) {
        CHECK(e.state == mount_state::running);
        CHECK(e.error.empty());
    }
}

TEST_CASE("a generated source password survives a change of the file", "[reload]") {
    timeside::test::temp_dir dir;
    const std::string ingest = "name = \"{}\"\n[input]\nkind = \"icecast\"\n[[outputs]]\nformat = \"opus\"\n";
    write(dir / "studio.toml", fmt::format(fmt::runtime(ingest), "Studio"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    const std::string first = r.passwords["studio"];
    CHECK(first.size() == 32);
    write(dir / "studio.toml", fmt::format(fmt::runtime(ingest), "Studio B"));
    set.reload();
    CHECK(r.names["studio"] == "Studio B");
    CHECK(r.passwords["studio"] == first);  // the source keeps its credentials
    // A password written in the file wins.
    write(dir / "studio.toml", fmt::format(fmt::runtime(ingest), "Studio C") + "[input.x]\n");  // invalid: kept
    set.reload();
    CHECK(r.passwords["studio"] == first);
    write(dir / "studio.toml", "name = \"S\"\n[input]\nkind = \"icecast\"\npassword = \"chosen-one\"\n[[outputs]]\nformat = \"opus\"\n");
    set.reload();
    CHECK(r.passwords["studio"] == "chosen-one");
}

TEST_CASE("a mount that fails to start is shown failed and retried at the next reload", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "a.toml", definition("A"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    r.take();
    write(dir / "b.toml", definition("B"));
    r.fail_on = "start b";
    auto report = set.reload();
    CHECK(r.take() == std::vector<std::string>{"start b"});
    CHECK(report.invalid == std::vector<std::string>{"b"});
    const auto b = entry(set.snapshot(), "b");
    CHECK(b.state == mount_state::failed);
    CHECK(b.error == (dir / "b.toml").string() + ": the mount could not start: no audio device");
    r.fail_on.clear();
    report = set.reload();
    CHECK(r.take() == std::vector<std::string>{"start b"});
    CHECK(entry(set.snapshot(), "b").state == mount_state::running);
    // A failed replace keeps the previous version (replace must leave it running when it throws).
    write(dir / "a.toml", definition("A2"));
    r.fail_on = "replace a";
    set.reload();
    const auto a = entry(set.snapshot(), "a");
    CHECK(a.state == mount_state::kept_previous);
    CHECK(a.definition->name == "A");
    CHECK(a.error == (dir / "a.toml").string() + ": the mount could not restart: no audio device");
}

TEST_CASE("a reload never takes away a mount another one falls back to while it still runs", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "main.toml", definition("Main"));
    write(dir / "backup.toml", definition("Backup"));
    recorder r;
    mount_set set(dir.path(), shipped_presets(), r.callbacks());
    set.load();
    r.take();
    // A new mount falling back to one that does not exist is refused; the others are untouched.
    write(dir / "late.toml", definition("Late", "[fallback]\nkind = \"mount\"\nmount = \"nowhere\"\n"));
    auto report = set.reload();
    CHECK(r.take().empty());
    CHECK(report.invalid == std::vector<std::string>{"late"});
    CHECK(entry(set.snapshot(), "late").error.find("key 'fallback.mount': no mount 'nowhere'") != std::string::npos);
    // Pointed at a mount that exists, it starts.
    write(dir / "late.toml", definition("Late", "[fallback]\nkind = \"mount\"\nmount = \"backup\"\n"));
    set.reload();
    CHECK(r.take() == std::vector<std::string>{"start late"});
}

TEST_CASE("callbacks may read the snapshot; readers never wait for a reload's callbacks", "[reload]") {
    timeside::test::temp_dir dir;
    write(dir / "a.toml", definition("A"));
    std::promise<void> entered, release;
    std::shared_future<void> released = release.get_future().share();
    size_t seen_in_callback = 99;
    mount_set* self = nullptr;
    mount_callbacks cb{.start = [&](const stream_definition& d) {
        seen_in_callback = self->snapshot().size();  // no deadlock: no lock of the set is held
        if (d.id == "b") {
            entered.set_value();
            released.wait_for(std::chrono::seconds(10));  // a slow start, e.g. opening a device
        }
    }, .replace = {}, .stop = {}};
    mount_set set(dir.path(), shipped_presets(), cb);
    self = &set;
    set.load();
    CHECK(seen_in_callback == 1);
    write(dir / "b.toml", definition("B"));
    auto reload = std::async(std::launch::async, [&] { return set.reload(); });
    REQUIRE(entered.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    // While b's start runs, /api/streams answers at once, from the state before the reload.
    auto reader = std::async(std::launch::async, [&] { return set.snapshot().size(); });
    REQUIRE(reader.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
    CHECK(reader.get() == 1);
    release.set_value();
    REQUIRE(reload.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    CHECK(reload.get().added == std::vector<std::string>{"b"});
    CHECK(set.snapshot().size() == 2);
}

TEST_CASE("the folder watch drives reloads: a file saved into the folder starts its mount", "[reload]") {
    timeside::test::temp_dir dir;
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> calls;
    mount_callbacks cb{
        .start = [&](const stream_definition& d) { std::lock_guard l(m); calls.push_back("start " + d.id), cv.notify_all(); },
        .replace = [&](const stream_definition& d) { std::lock_guard l(m); calls.push_back("replace " + d.id), cv.notify_all(); },
        .stop = [&](const std::string& id) { std::lock_guard l(m); calls.push_back("stop " + id), cv.notify_all(); },
    };
    mount_set set(dir.path(), shipped_presets(), cb);
    set.load();
    definition_watch watch(dir.path(), [&] { set.reload(); }, std::chrono::milliseconds(100));
    auto wait_calls = [&](size_t n) {
        std::unique_lock l(m);
        return cv.wait_for(l, std::chrono::seconds(5), [&] { return calls.size() >= n; });
    };
    // Written elsewhere, then renamed into place, as editors and deploy tools do.
    write(dir / "new.part", definition("New"));
    std::filesystem::rename(dir / "new.part", dir / "new.toml");
    REQUIRE(wait_calls(1));
    write(dir / "new.toml", definition("Newer"));
    REQUIRE(wait_calls(2));
    std::filesystem::remove(dir / "new.toml");
    REQUIRE(wait_calls(3));
    std::lock_guard l(m);
    CHECK(calls == std::vector<std::string>{"start new", "replace new", "stop new"});
}
