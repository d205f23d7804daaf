"""`meson install --destdir`: the binary, presets, streams, web page, example config and systemd unit
land where the docs say; the installed binary, run from elsewhere with no preset option, serves the
installed presets; the unit passes `systemd-analyze verify` without a warning."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from server_support import Server
from support import BUILD, ROOT, SAMPLES, free_port


def build_prefix():
    out = subprocess.run(["meson", "introspect", "--buildoptions", BUILD], capture_output=True, text=True, check=True)
    options = {o["name"]: o["value"] for o in json.loads(out.stdout)}
    return options["prefix"], options["bindir"], options["datadir"]


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.destdir = tempfile.mkdtemp(prefix="timeside-install-")
        r = subprocess.run(["meson", "install", "--destdir", cls.destdir, "-C", BUILD],
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise AssertionError(f"meson install failed:\n{r.stdout}\n{r.stderr}")
        prefix, bindir, datadir = build_prefix()
        cls.prefix = prefix
        cls.root = cls.destdir + prefix
        cls.binary = os.path.join(cls.root, bindir, "timeside")
        cls.data = os.path.join(cls.root, datadir, "timeside")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.destdir, ignore_errors=True)

    def test_files_land_where_expected(self):
        self.assertTrue(os.access(self.binary, os.X_OK))
        source_presets = sorted(f for f in os.listdir(os.path.join(ROOT, "presets")) if f.endswith(".toml"))
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "presets"))), source_presets)
        self.assertEqual(sorted(os.listdir(os.path.join(self.data, "streams"))), ["scale.toml", "studio.toml"])
        # The shipped scale mount's file, relative to the unit's working directory (the data dir).
        with open(os.path.join(self.data, "streams", "scale.toml")) as f:
            uri = re.search(r'(?m)^uri = "([^"]+)"', f.read()).group(1)
        with open(os.path.join(self.data, uri), "rb") as f:
            self.assertEqual(f.read(4), b"RIFF")
        with open(os.path.join(self.data, "web", "index.html")) as f:
            self.assertIn('src="/js/app.js"', f.read())
        # The page's modules and styles, subfolders included, as in the source tree.
        source_web = os.path.join(ROOT, "web")
        for folder, folders, names in os.walk(source_web):
            folders[:] = [d for d in folders if d != "node_modules"]  # npm's, not the page's
            for name in names:
                if folder == source_web and name in ("package.json", "package-lock.json"):
                    self.assertFalse(os.path.exists(os.path.join(self.data, "web", name)))
                    continue
                relative = os.path.relpath(os.path.join(folder, name), source_web)
                with self.subTest(relative), open(os.path.join(folder, name), "rb") as a, \
                        open(os.path.join(self.data, "web", relative), "rb") as b:
                    self.assertEqual(a.read(), b.read())
        self.assertTrue(os.path.isfile(os.path.join(self.data, "timeside.toml")))
        with open(os.path.join(self.root, "lib", "systemd", "system", "timeside.service")) as f:
            unit = f.read()
        # The unit names this installation's paths, not the template's placeholders.
        self.assertNotRegex(unit, r"@[A-Z_]+@")
        self.assertIn(f"ExecStart={self.prefix}/bin/timeside serve --config /etc/timeside/timeside.toml", unit)
        self.assertRegex(unit, r"(?m)^DynamicUser=yes$")
        self.assertRegex(unit, r"(?m)^CacheDirectory=timeside$")
        self.assertRegex(unit, r"(?m)^ProtectSystem=strict$")

    def test_installed_binary_serves_the_installed_presets(self):
        # A preset only the installation has: finding it proves the binary read its own data dir.
        presets = os.path.join(self.data, "presets")
        with open(os.path.join(presets, "opus-96k.toml")) as f:
            text = f.read()
        with open(os.path.join(presets, "installed-only.toml"), "w") as f:
            f.write(re.sub(r'(?m)^description = .*$', 'description = "installed copy"', text))
        try:
            env = {k: v for k, v in os.environ.items() if k != "TIMESIDE_PRESETS"}
            with tempfile.TemporaryDirectory() as cwd:
                server = InstalledServer(self.binary, cwd, env)
                try:
                    status, _, listing = server.get("/api/presets")
                finally:
                    server.stop_and_cleanup()
        finally:
            os.unlink(os.path.join(presets, "installed-only.toml"))
        self.assertEqual(status, 200)
        ids = sorted(p["id"] for p in listing)
        expected = sorted(f[:-5] for f in os.listdir(presets) if f.endswith(".toml")) + ["installed-only"]
        self.assertEqual(ids, sorted(expected))
        self.assertEqual(next(p for p in listing if p["id"] == "installed-only")["description"], "installed copy")

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_unit_passes_systemd_analyze_verify(self):
        with open(os.path.join(self.root, "lib", "systemd", "system", "timeside.service")) as f:
            unit = f.read()
        # verify checks that ExecStart's binary exists: point it at the staged one.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "timeside.service")
            with open(path, "w") as f:
                f.write(unit.replace(self.prefix + "/", self.root + "/"))
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=60)
        # verify exits 0 even for unknown keys or bad values; they show as messages.
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


class InstalledServer(Server):
    """Server's helpers around another binary, run from `cwd` with `env` and no --presets."""

    def __init__(self, binary, cwd, env):  # pylint: disable=super-init-not-called
        self.port = free_port()
        self.log_file = tempfile.NamedTemporaryFile(prefix="timeside-serve-", suffix=".log", delete=False)
        self.cache_home = tempfile.mkdtemp(prefix="timeside-cache-")
        env = dict(env, XDG_CACHE_HOME=self.cache_home)
        self.proc = subprocess.Popen([binary, "serve", "--media", SAMPLES, "--listen", f"127.0.0.1:{self.port}"],
                                     cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=self.log_file)
        self.log_file.close()
        self.wait_for_log(r"\blistening url=")


if __name__ == "__main__":
    unittest.main()
