"""TimeSide plugin libraries built outside the tree: `meson install --destdir` of the build, then the
example dummy plugin (docs/examples/plugins/dummy/) configured and built against that installed
copy through its pkg-config file; `timeside list` shows it with its file, `timeside run` and the
server's results route give its values, which Python computes independently from ffmpeg's decoding;
broken libraries beside it (not a library, no entry point, another interface version, another
standard library mode, a throwing registration, taken ids) are each skipped with their cause named,
and nothing else changes."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from server_support import Server
from support import BUILD, ROOT, SAMPLES, TempDir, ffmpeg_pcm, free_port, sample

BLOCKSIZE = 1000  # the dummy's parameter: not its default, not a power of two

# A minimal analyzer for the broken fixtures; {id} and {register} are filled in.
FIXTURE = r"""
#include <core/analyzer.hpp>
#include <core/plugin_api.hpp>
#include <stdexcept>
namespace {
class fixture : public timeside::analyzer {
public:
    static const timeside::processor_info& describe() {
        static const timeside::processor_info info{"{id}", "Fixture", "1.0", "a test fixture", "",
                                                   timeside::processor_kind::analyzer, {}};
        return info;
    }
    explicit fixture(timeside::parameter_set p) : analyzer(describe(), std::move(p)) {}
protected:
    void on_setup(const timeside::stream_info&) override {}
    void on_process(const timeside::block_ptr&) override {}
    void on_finish() override {}
};
void register_fixture(timeside::plugin_registrar& r) { {register} }
}
{entry}
"""
MACRO_ENTRY = 'TIMESIDE_PLUGIN("fixture", register_fixture)'
# The macro's descriptor, but claiming the next interface version.
NEXT_VERSION_ENTRY = """extern "C" const timeside_plugin_descriptor* timeside_plugin_entry() {
    static const timeside_plugin_descriptor d = {TIMESIDE_PLUGIN_API_VERSION + 1, TIMESIDE_PLUGIN_STDLIB,
                                                 TIMESIDE_PLUGIN_LAYOUT, "next", register_fixture};
    return &d;
}"""


def meson_options():
    out = subprocess.run(["meson", "introspect", "--buildoptions", BUILD], capture_output=True, text=True, check=True)
    return {o["name"]: o["value"] for o in json.loads(out.stdout)}


def peaks(path, blocksize):
    """The dummy's definition, computed here: the peak |sample| of each window of `blocksize`
    frames (all channels), windows back to back, the last one zero-padded."""
    samples, channels = ffmpeg_pcm(path)
    step = blocksize * channels
    return [max(abs(x) for x in samples[i:i + step]) for i in range(0, len(samples), step)]


class PluginsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="timeside-plugins-")
        destdir = os.path.join(cls.tmp, "destdir")
        started = time.monotonic()
        r = subprocess.run(["meson", "install", "--destdir", destdir, "-C", BUILD], capture_output=True, text=True,
                           timeout=900)
        if r.returncode != 0:
            raise AssertionError(f"meson install failed:\n{r.stdout}\n{r.stderr}")
        cls.install_seconds = time.monotonic() - started
        options = meson_options()
        cls.root = destdir + options["prefix"]
        cls.binary = os.path.join(cls.root, options["bindir"], "timeside")
        cls.installed_plugins = os.path.join(cls.root, options["libdir"], "timeside", "plugins")
        pcdir = os.path.join(cls.root, options["libdir"], "pkgconfig")
        cls.pc_env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
        with open(os.path.join(pcdir, "timeside-plugin.pc")) as f:
            if not re.search(r"(?m)^prefix=\$\{pcfiledir\}", f.read()):
                cls.pc_env["PKG_CONFIG_SYSROOT_DIR"] = destdir  # a build configured before the pc was relocatable

        # The example, as a researcher builds it: its own folder, its own three-line meson.build.
        source = os.path.join(cls.tmp, "dummy")
        shutil.copytree(os.path.join(ROOT, "docs", "examples", "plugins", "dummy"), source)
        for step in (["meson", "setup", "build"], ["ninja", "-C", "build"]):
            r = subprocess.run(["nice", "-n", "19", *step], cwd=source, env=cls.pc_env, capture_output=True, text=True,
                               timeout=600)
            if r.returncode != 0:
                raise AssertionError(f"{' '.join(step)} failed for the dummy plugin:\n{r.stdout}\n{r.stderr}")
        cls.dummy_so = os.path.join(source, "build", "dummy.so")

        cls.folder = os.path.join(cls.tmp, "plugins")
        os.makedirs(cls.folder)
        shutil.copy(cls.dummy_so, os.path.join(cls.folder, "dummy.so"))
        # The same plugin once more under another name (an old build left beside it): its id is taken.
        shutil.copy(cls.dummy_so, os.path.join(cls.folder, "zz_dummy_again.so"))
        with open(os.path.join(cls.folder, "notes.so"), "w") as f:
            f.write("not a library\n")
        cls.build_fixture("no_entry", 'extern "C" int timeside_plugin_entry_not(void) { return 1; }', raw=True)
        cls.build_fixture("next_version", FIXTURE, id="next_version_analyzer", register="r.add<fixture>();",
                          entry=NEXT_VERSION_ENTRY)
        cls.build_fixture("debug_stdlib", FIXTURE, id="debug_analyzer", register="r.add<fixture>();",
                          entry=MACRO_ENTRY, flags=["-D_GLIBCXX_DEBUG"])
        cls.build_fixture("throws", FIXTURE, id="half_registered",
                          register='r.add<fixture>(); throw std::runtime_error("no licence file found");',
                          entry=MACRO_ENTRY)
        cls.build_fixture("takes_level", FIXTURE, id="level", register="r.add<fixture>();", entry=MACRO_ENTRY)

    @classmethod
    def build_fixture(cls, name, template, raw=False, flags=(), **fields):
        text = template
        if not raw:
            for k, v in fields.items():
                text = text.replace("{" + k + "}", v)
        src = os.path.join(cls.tmp, name + ".cpp")
        with open(src, "w") as f:
            f.write(text)
        cflags = subprocess.run(["pkg-config", "--cflags", "timeside-plugin"], env=cls.pc_env, capture_output=True,
                                text=True, check=True).stdout.split()
        r = subprocess.run(["nice", "-n", "19", "c++", *cflags, *flags, "-fPIC", "-shared", "-o",
                            os.path.join(cls.folder, name + ".so"), src], capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"building the {name} fixture failed:\n{r.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def timeside(self, *args, plugin_path=None):
        env = {k: v for k, v in os.environ.items() if k != "TIMESIDE_PLUGIN_PATH"}
        if plugin_path is not None:
            env["TIMESIDE_PLUGIN_PATH"] = plugin_path
        return subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=300, env=env)

    def skipped(self, stderr):
        """{file name: cause} of the "plugin FILE skipped: CAUSE" lines."""
        out = {}
        for line in stderr.splitlines():
            m = re.fullmatch(r"timeside: plugin (\S+) skipped: (.*)", line)
            if m:
                self.assertEqual(os.path.dirname(m.group(1)), self.folder, line)
                out[os.path.basename(m.group(1))] = m.group(2)
        return out

    def test_list_shows_the_plugin_with_its_file_and_names_each_broken_one(self):
        r = self.timeside("list", plugin_path=self.folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        dummy = os.path.join(self.folder, "dummy.so")
        lines = r.stdout.splitlines()
        self.assertIn(f"  * dummy 1.0: Peak absolute sample of each window (a plugin example) [plugin {dummy}]", lines)
        # Built-in processors keep their line, with no origin appended.
        self.assertIn("level", [m.group(1) for m in (re.fullmatch(r"  \* ([a-z_0-9]+) [0-9.]+: [^\[\]]+", l)
                                                     for l in lines) if m])
        for absent in ("half_registered", "next_version_analyzer", "debug_analyzer"):
            self.assertNotIn(f"  * {absent} ", r.stdout)

        causes = self.skipped(r.stderr)
        self.assertEqual(sorted(causes), ["debug_stdlib.so", "next_version.so", "no_entry.so", "notes.so",
                                          "takes_level.so", "throws.so", "zz_dummy_again.so"])
        self.assertRegex(causes["notes.so"], r"^cannot open it: .*notes\.so: (invalid ELF header|file too short)$")
        self.assertEqual(causes["no_entry.so"],
                         "it has no timeside_plugin_entry: not a TimeSide plugin (write it with TIMESIDE_PLUGIN)")
        self.assertRegex(causes["next_version.so"],
                         r"^it was built for plugin interface version (\d+), this TimeSide has version (\d+)$")
        theirs, ours = map(int, re.match(r"\D+(\d+)\D+(\d+)", causes["next_version.so"]).groups())
        self.assertEqual(theirs, ours + 1)
        self.assertRegex(causes["debug_stdlib.so"], r"^it was built with libstdc\+\+ \d+ cxx11abi=\d debug, "
                                                    r"TimeSide with libstdc\+\+ \d+ cxx11abi=\d; rebuild it")
        self.assertEqual(causes["throws.so"], "its registration threw: no licence file found")
        self.assertEqual(causes["takes_level.so"], "processor id 'level' is already taken (by a built-in processor)")
        self.assertEqual(causes["zz_dummy_again.so"], f"processor id 'dummy' is already taken (by plugin {dummy})")

        r = self.timeside("list", "--json", plugin_path=self.folder)
        self.assertEqual(r.returncode, 0, r.stderr)
        procs = {p["id"]: p for p in json.loads(r.stdout)}
        self.assertEqual((procs["dummy"]["origin"], procs["dummy"]["library"], procs["dummy"]["kind"]),
                         ("plugin", dummy, "analyzer"))
        blocksize = {p["name"]: p for p in procs["dummy"]["parameters"]}["blocksize"]
        self.assertEqual((blocksize["type"], blocksize["default"], blocksize["min"], blocksize["max"]),
                         ("integer", 1024, 16, 65536))
        self.assertEqual(procs["level"]["origin"], "built-in")
        self.assertNotIn("library", procs["level"])
        self.assertEqual(procs["level"]["unit"], "dBFS")  # the built-in one, not the fixture

    def test_each_file_loads_once_and_without_plugins_nothing_changes(self):
        # The folder twice (once through a link): its plugins once, no "already taken" by itself.
        link = os.path.join(self.tmp, "link")
        os.symlink(self.folder, link)
        try:
            r = self.timeside("list", plugin_path=f"{self.folder}:{link}:{self.folder}")
        finally:
            os.unlink(link)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("  * dummy "), 1)
        self.assertEqual(len([l for l in r.stderr.splitlines() if "skipped" in l]), 7, r.stderr)
        plain = self.timeside("list", plugin_path="")
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertNotIn("timeside: plugin ", plain.stderr)
        self.assertEqual([l for l in r.stdout.splitlines() if l != f"  * dummy 1.0: Peak absolute sample of each "
                          f"window (a plugin example) [plugin {os.path.join(self.folder, 'dummy.so')}]"],
                         plain.stdout.splitlines())

    def test_the_installed_plugins_folder_is_searched(self):
        os.makedirs(self.installed_plugins, exist_ok=True)
        target = os.path.join(self.installed_plugins, "dummy.so")
        shutil.copy(self.dummy_so, target)
        try:
            r = self.timeside("list")
        finally:
            os.unlink(target)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"[plugin {os.path.realpath(target)}]", r.stdout)

    def test_run_gives_the_values_python_computes(self):
        want = peaks(sample("C4_scale.wav"), BLOCKSIZE)
        with TempDir() as out:
            r = self.timeside("run", sample("C4_scale.wav"), f"dummy:blocksize={BLOCKSIZE}", "level", "-o", out,
                              "--results", "json,csv", plugin_path=self.folder)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(out, "C4_scale.results.json")) as f:
                results = {x["id_metadata"]["id"]: x for x in json.load(f)}
            with open(os.path.join(out, "C4_scale.results.csv")) as f:
                csv_rows = [l.split(",") for l in f.read().splitlines() if l.startswith("dummy,")]
        dummy = results["dummy"]
        self.assertEqual(dummy["time_mode"], "framewise")
        self.assertEqual((dummy["data_object"]["frame_metadata"]["blocksize"],
                          dummy["data_object"]["frame_metadata"]["stepsize"]), (BLOCKSIZE, BLOCKSIZE))
        self.assertEqual(dummy["parameters"], {"blocksize": BLOCKSIZE})
        got = dummy["data_object"]["value"]["numpyArray"]
        self.assertEqual(len(got), len(want))
        self.assertEqual(got, want)  # float32 samples, exact in a double either way
        self.assertEqual(len(csv_rows), len(want))
        rate = dummy["data_object"]["frame_metadata"]["samplerate"]
        self.assertAlmostEqual(float(csv_rows[7][1]), 7 * BLOCKSIZE / rate, places=6)
        self.assertIn("level.max", results)  # a built-in analyzer in the same pass
        # The peak of the windows is the file's peak, as level reports it in dBFS.
        self.assertAlmostEqual(20 * math.log10(max(got)), results["level.max"]["data_object"]["value"]["numpyArray"][0],
                               places=6)

    def test_the_servers_results_route_runs_it_from_env_and_from_config(self):
        want = peaks(sample("C4_scale.wav"), BLOCKSIZE)
        query = urllib.parse.quote(f"dummy:blocksize={BLOCKSIZE}", safe=":")
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as config:
            config.write(f'[plugins]\nfolders = ["{self.folder}"]\n')
        try:
            for how, env_path, extra in (("env", self.folder, ()), ("config", None, ("--config", config.name))):
                with self.subTest(how):
                    server = InstalledServer(self.binary, env_path, extra)
                    try:
                        server.wait_scanned()
                        status, _, doc = server.get(f"/api/items/C4_scale/results?processors={query}")
                        log = server.log()
                    finally:
                        server.stop_and_cleanup()
                    self.assertEqual(status, 200, doc)
                    self.assertEqual(doc[0]["id_metadata"]["id"], "dummy")
                    self.assertEqual(doc[0]["data_object"]["value"]["numpyArray"], want)
                    self.assertEqual(len(self.skipped(log)), 7, log)
        finally:
            os.unlink(config.name)


class InstalledServer(Server):
    """Server's helpers around the installed binary, with TIMESIDE_PLUGIN_PATH as given."""

    def __init__(self, binary, plugin_path, extra):  # pylint: disable=super-init-not-called
        self.port = free_port()
        self.log_file = tempfile.NamedTemporaryFile(prefix="timeside-serve-", suffix=".log", delete=False)
        self.cache_home = tempfile.mkdtemp(prefix="timeside-cache-")
        env = {k: v for k, v in os.environ.items() if k not in ("TIMESIDE_PLUGIN_PATH", "CACHE_DIRECTORY")}
        env["XDG_CACHE_HOME"] = self.cache_home
        if plugin_path is not None:
            env["TIMESIDE_PLUGIN_PATH"] = plugin_path
        self.proc = subprocess.Popen([binary, "serve", "--media", SAMPLES, "--listen", f"127.0.0.1:{self.port}",
                                      *extra], env=env, stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.log_file.close()
        self.wait_for_log(r"\blistening url=")


if __name__ == "__main__":
    unittest.main()
