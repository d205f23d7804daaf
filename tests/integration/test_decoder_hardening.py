"""Hostile and unlucky inputs to the decoder and the library scan: a float WAV holding NaN and ±Inf
(made finite once, where blocks are made, with a warning), a 20 GB sparse WAV (every phase
interruptible, the scan of other files never held up by it), and a file name that is not UTF-8."""
import array
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import time
import unittest
import urllib.parse

from server_support import Server, curl
from support import SAMPLES, TIMESIDE, TempDir, levels_of, run, sha1_of, visible_files

RATE = 44100


def write_float_wav(path, samples, rate=RATE, channels=1):
    """A WAVE_FORMAT_IEEE_FLOAT (3) WAV with a fact chunk, written by hand."""
    data = struct.pack(f"<{len(samples)}f", *samples)
    fmt = struct.pack("<HHIIHHH", 3, channels, rate, rate * channels * 4, channels * 4, 32, 0)
    fact = struct.pack("<I", len(samples) // channels)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", 4) + fact +
            b"data" + struct.pack("<I", len(data)) + data)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def poisoned_sine(seconds=2.0, amplitude=0.5):
    """A 440 Hz sine with runs of NaN, +Inf and -Inf inside it; the count of each."""
    n = int(seconds * RATE)
    s = [amplitude * math.sin(2 * math.pi * 440 * i / RATE) for i in range(n)]
    runs = {"nan": (int(0.5 * RATE), 100, float("nan")), "+inf": (int(1.0 * RATE), 50, float("inf")),
            "-inf": (int(1.5 * RATE), 30, float("-inf"))}
    for start, length, value in runs.values():
        for i in range(start, start + length):
            s[i] = value
    return s, sum(length for _, length, _ in runs.values())


def sparse_wav(path, declared, file_bytes=20 * 10**9, rate=RATE, channels=2):
    """A 44-byte 16-bit WAV header declaring `declared` bytes of audio, then a hole up to
    `file_bytes`: costs no disk."""
    header = (b"RIFF" + struct.pack("<I", min(declared + 36, 0xFFFFFFFF)) + b"WAVEfmt " +
              struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16) + b"data" +
              struct.pack("<I", declared))
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(file_bytes)


def ffmpeg_s16(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "s16le", "-ac", "1", "-"], capture_output=True,
                         check=True).stdout
    a = array.array("h")
    a.frombytes(raw)
    return [x / 32768 for x in a]


def assert_sine_level(test, pcm, codec_error=0.1):
    """The sine's level where it is clean (0.1 to 0.4 s, before the first NaN): RMS of a 0.5 sine
    is -9.03 dBFS."""
    _, rms = levels_of(pcm[int(0.1 * RATE):int(0.4 * RATE)])
    test.assertAlmostEqual(rms, 20 * math.log10(0.5 / math.sqrt(2)), delta=codec_error)


# LAME at 128 kbit/s gives this clean mono sine -9.48 dBFS (ffmpeg's libmp3lame too): 0.45 dB of codec error.
MP3_ERROR = 0.5


class NonFiniteSamplesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.media = os.path.join(cls.dir, "media")
        os.makedirs(cls.media)
        cls.wav = os.path.join(cls.media, "poisoned.wav")
        samples, cls.replaced = poisoned_sine()
        write_float_wav(cls.wav, samples)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_run_encodes_and_measures_a_float_wav_holding_nan_and_inf(self):
        out = os.path.join(self.dir, "out")
        r = run("run", self.wav, "mp3_encoder", "vorbis_encoder", "level", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        # one warning naming the input and how many samples were replaced
        self.assertEqual(r.stderr.count("non-finite"), 1, r.stderr)
        self.assertIn(f"{self.wav}: {self.replaced} non-finite samples", r.stderr)
        self.assertEqual(sorted(visible_files(out)), ["poisoned.mp3", "poisoned.ogg", "poisoned.results.json"])
        for name in ("poisoned.mp3", "poisoned.ogg"):
            with self.subTest(output=name):
                pcm = ffmpeg_s16(os.path.join(out, name))
                self.assertAlmostEqual(len(pcm) / RATE, 2.0, delta=0.002)
                assert_sine_level(self, pcm, MP3_ERROR if name.endswith(".mp3") else 0.1)
        with open(os.path.join(out, "poisoned.results.json")) as f:
            results = {x["id_metadata"]["id"]: x for x in json.load(f)}
        peak = results["level.max"]["data_object"]["value"]["numpyArray"][0]
        rms = results["level.rms"]["data_object"]["value"]["numpyArray"][0]
        self.assertTrue(math.isfinite(peak) and math.isfinite(rms), (peak, rms))
        self.assertAlmostEqual(peak, 0.0, delta=0.01)  # +-Inf became full scale, no more

    def test_the_server_transcodes_it_to_mp3_and_stays_up(self):
        server = Server(media=(self.media,))
        try:
            server.wait_scanned()
            status, headers, body = curl(f"http://127.0.0.1:{server.port}/media/poisoned.mp3")
            self.assertEqual(status, 200, body[:200])
            mp3 = os.path.join(self.dir, "served.mp3")
            with open(mp3, "wb") as f:
                f.write(body)
            pcm = ffmpeg_s16(mp3)
            # streamed as it is encoded, the MP3 has no LAME tag to say its delay and padding: ffmpeg
            # decodes whole frames, up to three more
            self.assertGreaterEqual(len(pcm), 2 * RATE)
            self.assertLess(len(pcm), 2 * RATE + 3 * 1152)
            assert_sine_level(self, pcm, MP3_ERROR)
            status, _, _ = server.get("/api/status")
            self.assertEqual(status, 200)
            server.wait_for_log(r"warn non_finite_samples .*replaced=180")
            server.stop()
        finally:
            server.cleanup()


class HugeSparseWavTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.media = os.path.join(cls.dir, "media")
        os.makedirs(cls.media)
        # 20 GB declaring the largest size a WAV can (0xFFFFFFFF): GStreamer's wavparse then walks
        # the zeros after it for chunks and never prerolls
        cls.huge = os.path.join(cls.media, "huge.wav")
        sparse_wav(cls.huge, 0xFFFFFFFF)
        # 2 GB of silence (3.1 hours), exactly as its header declares (wavparse clips a data chunk at
        # 2 GiB and walks what follows, so no larger WAV prerolls): it decodes, and hashing takes seconds
        cls.big = os.path.join(cls.media, "big.wav")
        sparse_wav(cls.big, 2 * 10**9, 44 + 2 * 10**9)
        for name in ("sweep.wav", "C4_scale.wav"):  # copies: a symlink out of the folder is refused
            shutil.copy(os.path.join(SAMPLES, name), os.path.join(cls.media, name))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def wait_for(self, proc, condition, what, timeout=10):
        """Polls `condition` until it holds (the phase to interrupt is reached), with a deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assertIsNone(proc.poll(), f"finished before {what}")
            if condition():
                return
            time.sleep(0.02)
        self.fail(f"not {what} within {timeout} s")

    @staticmethod
    def has_open(proc, path):
        """Whether the process holds `path` open (it is opening, probing or hashing it)."""
        fd_dir = f"/proc/{proc.pid}/fd"
        try:
            return any(os.readlink(os.path.join(fd_dir, fd)) == path for fd in os.listdir(fd_dir))
        except OSError:
            return False

    def interrupt_run(self, path, sig, specs=("vorbis_encoder", "level"), decoding=False):
        out = os.path.join(self.dir, f"out-{sig}-{decoding}")
        proc = subprocess.Popen([TIMESIDE, "run", path, *specs, "-o", out], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if decoding:  # bytes already encoded, under a temporary name: the decode is under way
            self.wait_for(proc, lambda: os.path.isdir(out) and any(".part" in n for n in os.listdir(out)),
                          "decoding (a .part file)")
        else:
            self.wait_for(proc, lambda: self.has_open(proc, path), "opening the input")
        sent = time.monotonic()
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        took = time.monotonic() - sent
        self.assertEqual(proc.returncode, 128 + sig, err)
        self.assertIn("interrupted", err)
        # Well under 1 s on a quiet machine; the bound leaves room for a loaded one (make test runs
        # the fuzzers beside these tests), where tearing the pipeline down waits for GStreamer's
        # streaming thread to leave wavparse's walk over the huge file. Before: minutes.
        self.assertLess(took, 5.0, err)
        self.assertEqual(visible_files(out) if os.path.isdir(out) else [], [])

    def test_run_stops_on_the_first_sigterm_while_opening_and_hashing(self):
        self.interrupt_run(self.huge, signal.SIGTERM)

    def test_run_stops_on_the_first_sigterm_mid_decode(self):
        self.interrupt_run(self.big, signal.SIGTERM, decoding=True)

    def test_run_stops_on_the_first_sigint_mid_decode(self):
        self.interrupt_run(self.big, signal.SIGINT, ("mp3_encoder",), decoding=True)

    def test_info_stops_on_the_first_sigterm_while_hashing(self):
        proc = subprocess.Popen([TIMESIDE, "info", self.big], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        self.wait_for(proc, lambda: self.has_open(proc, self.big), "opening the input to hash it")
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - sent, 2.0)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM)

    def test_the_scan_lists_the_other_files_at_once_and_sigterm_stops_it_while_hashing(self):
        started = time.monotonic()
        server = Server(media=(self.media,))
        try:
            deadline = started + 3.0
            ids = []
            while time.monotonic() < deadline:
                status, _, body = server.get("/api/items")
                ids = [i["id"] for i in body["items"]]
                if {"sweep", "C4_scale"} <= set(ids):
                    break
                time.sleep(0.05)
            self.assertTrue({"sweep", "C4_scale"} <= set(ids), (ids, server.log()))
            # the big files are probed and hashed in the background, not listed before their sha1 is known
            self.assertNotIn("big", ids)
            self.assertNotIn("huge", ids)
            server.wait_for_log(r"library_hashing .*file=big\.wav", timeout=15)
            took = server.stop(within=5.0)
            self.assertLess(took, 5.0)
        finally:
            server.cleanup()


class NonUtf8FileNameTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        media = os.path.join(cls.dir, "media").encode()
        os.makedirs(media)
        shutil.copy(os.path.join(SAMPLES, "sweep.wav").encode(), os.path.join(media, b"caf\xe9.wav"))
        shutil.copy(os.path.join(SAMPLES, "C4_scale.wav").encode(), os.path.join(media, b"ok.wav"))
        cls.server = Server(media=(media.decode("utf-8"),))
        cls.server.wait_scanned()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop_and_cleanup()
        cls.tmp.__exit__(None, None, None)

    def test_the_item_gets_a_percent_escaped_id_and_is_served(self):
        status, _, body = self.server.get("/api/items")
        self.assertEqual(status, 200)
        by_id = {i["id"]: i for i in body["items"]}
        self.assertEqual(sorted(by_id), ["caf%E9", "ok"])
        self.assertEqual(by_id["caf%E9"]["file"], "caf\ufffd.wav")
        path = "/api/items/" + urllib.parse.quote("caf%E9", safe="")
        status, _, item = self.server.get(path)
        self.assertEqual(status, 200)
        self.assertEqual(item["id"], "caf%E9")
        self.assertEqual(item["sha1"], sha1_of(os.path.join(SAMPLES, "sweep.wav")))
        status, headers, ogg = curl(f"http://127.0.0.1:{self.server.port}/media/" +
                                    urllib.parse.quote("caf%E9", safe="") + ".ogg")
        self.assertEqual(status, 200, ogg[:200])
        self.assertTrue(ogg.startswith(b"OggS"))
        self.assertEqual(self.server.get("/api/status")[0], 200)


if __name__ == "__main__":
    unittest.main()
