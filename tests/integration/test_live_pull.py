"""A mount that pulls its input from another server, as a station relays an upstream: Debian's
icecast2 (started by the test) carries an ffmpeg source; our mount pulls its listener URL through
GStreamer, takes over the ICY titles set on icecast2, plays its fallback while the upstream is gone
and reconnects (with back-off) when it returns. Our listener decodes the tones and reads the
titles in its own ICY blocks."""
import base64
import subprocess
import unittest
import urllib.request

from icecast_peer import Icecast2
from live_support import Listener, Station, decode, rms_db, tone_frequency, wait_until
from support import stop_process


def upstream_source(ice, freq, seconds):
    """ffmpeg pushing a sine (peak 0.5) to icecast2's /up.mp3 in real time."""
    return subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-re", "-f", "lavfi", "-i",
                             f"aevalsrc=0.5*sin(2*PI*{freq}*t):s=44100:d={seconds}", "-c:a", "libmp3lame", "-b:a",
                             "128k", "-content_type", "audio/mpeg", "-f", "mp3", ice.source_url("/up.mp3")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def icecast_title(ice, song):
    req = urllib.request.Request(ice.url(f"/admin/metadata?mount=/up.mp3&mode=updinfo&song={song.replace(' ', '%20')}"))
    req.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{ice.admin_password}".encode()).decode())
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


class LivePull(unittest.TestCase):
    def test_a_pulled_upstream_is_heard_with_its_titles_and_comes_back_after_a_drop(self):
        with Icecast2() as ice:
            up = upstream_source(ice, 660, 30)
            self.addCleanup(stop_process, up)
            wait_until("the upstream on icecast2", lambda: b"/up.mp3" in urllib.request.urlopen(
                ice.url("/status-json.xsl"), timeout=2).read(), 15)
            definition = f'''name = "Relay"
[input]
kind = "http"
uri = "{ice.url('/up.mp3')}"
[[outputs]]
format = "ogg"
preset = "vorbis-q5"
[listeners]
burst = 0
'''
            with Station({"relay": definition}) as station:
                station.wait_mount("relay", lambda m: m["state"] == "running" and not m["fallback_active"], 20)
                listener = Listener(station.port, "/live/relay.ogg", metadata=True)
                self.addCleanup(listener.close)
                self.assertEqual(listener.status(), 200)
                self.assertEqual(icecast_title(ice, "Upstream Artist - Song 1"), 200)
                wait_until("the upstream's title in our ICY blocks",
                           lambda: any("Song 1" in t for _, t in listener.titles), 20)
                listener.wait_seconds("ogg", 3)
                # The upstream goes: the fallback plays, the listener stays; it comes back: heard again.
                stop_process(up)
                station.wait_mount("relay", lambda m: m["fallback_active"], 15)
                up2 = upstream_source(ice, 990, 30)
                self.addCleanup(stop_process, up2)
                station.wait_mount("relay", lambda m: not m["fallback_active"], 30)
                have, _ = decode(listener.snapshot(), "ogg")
                listener.wait_seconds("ogg", len(have) / 44100 + 3)
                self.assertFalse(listener.closed)
                samples, errors = decode(listener.snapshot(), "ogg")
                self.assertEqual(errors.strip(), "")
                n = 11025
                freqs = [round(tone_frequency(samples[i:i + n])) for i in range(0, len(samples) - n + 1, n)
                         if rms_db(samples[i:i + n]) > -15]
                self.assertTrue(any(abs(f - 660) < 5 for f in freqs), "the first upstream was not heard")
                self.assertTrue(any(abs(f - 990) < 5 for f in freqs), "the upstream was not heard after it came back")
                first_990 = next(i for i, f in enumerate(freqs) if abs(f - 990) < 5)
                self.assertFalse(any(abs(f - 660) < 5 for f in freqs[first_990:]))


if __name__ == "__main__":
    unittest.main()
