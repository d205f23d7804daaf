#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): real requests like
the integration tests send, the documented config and its near misses, the shipped stream
definition, specs from presets/ and docs, and tiny media files made by our own encoders.

    fuzz/make_corpus.py --timeside build/src/cli/timeside

Each file stays under 8 KB. Run it again after a route, a config key or a preset is added.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def request(method, target, headers=(), body=b""):
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if body and not any(n.lower() in ("content-length", "transfer-encoding") for n, _ in headers):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


REQUESTS = {
    "items": request("GET", "/api/items"),
    "item": request("GET", "/api/items/tone"),
    "item_nested": request("GET", "/api/items/album/mono"),
    "item_encoded": request("GET", "/api/items/%61lbum/m%C3%A9no"),
    "item_invalid_utf8": request("GET", "/api/items/%ff"),
    "processors": request("GET", "/api/processors"),
    "presets": request("GET", "/api/presets"),
    "streams": request("GET", "/api/streams"),
    "status": request("GET", "/api/status"),
    "metrics": request("GET", "/metrics"),
    "index": request("GET", "/"),
    "page": request("GET", "/index.html", [("If-None-Match", '"x"')]),
    "media_mp3": request("GET", "/media/tone.mp3?bitrate=128"),
    "media_mp3_preset": request("GET", "/media/tone.mp3?preset=mp3-v2"),
    "media_ogg_segment": request("GET", "/media/tone.ogg?quality=0.6&start=0.05&duration=0.1"),
    "media_opus": request("GET", "/media/album/mono.opus?bitrate=64"),
    "media_flac_head": request("HEAD", "/media/tone.flac?compression=8"),
    "media_wav_range": request("GET", "/media/tone.wav", [("Range", "bytes=0-99"), ("If-Range", '"abc"')]),
    "media_wav_suffix": request("GET", "/media/tone.wav", [("Range", "bytes=-10")]),
    "results": request("GET", "/api/items/tone/results?processors=level,mean_dc_shift&format=json"),
    "results_csv": request("GET", "/api/items/tone/results?processors=level&format=csv&start=0.01&duration=0.1"),
    "graph": request("GET", "/api/items/tone/graphs/waveform_simple.png?width=64&height=32"),
    "spectrogram": request("GET", "/api/items/tone/graphs/spectrogram_log.png?width=32&height=32"),
    "waveform_json": request("GET", "/api/items/tone/waveform.json?pixels_per_second=100"),
    "waveform_dat": request("GET", "/api/items/album/mono/waveform.dat?zoom=64&bits=8"),
    "options": request("OPTIONS", "/api/items", [("Origin", "http://x"), ("Access-Control-Request-Method", "GET")]),
    "post_body": request("POST", "/api/items", [("Content-Type", "application/json")], b'{"a": 1}'),
    "chunked": request("POST", "/api/items", [("Transfer-Encoding", "chunked")], b"4;ext=1\r\nabcd\r\n0\r\nX-Trailer: 1\r\n\r\n"),
    "expect": request("PUT", "/media/tone.wav", [("Expect", "100-continue"), ("Content-Length", "3")], b"abc"),
    "pipelined": request("GET", "/api/items") + request("GET", "/api/items/tone", [("Connection", "close")]),
    "http10": b"GET /api/status HTTP/1.0\r\n\r\n",
    "dotdot": request("GET", "/media/%2e%2e/etc/passwd.wav"),
    "query_junk": request("GET", "/media/tone.mp3?bitrate=8&&=&%ff=1&mode=cbr&bitrate=320"),
}

CONFIGS = {
    "empty": "",
    "documented": None,  # docs/server.md's block, filled below
    "listen_v6": '[server]\nlisten = "[::1]:0"\nthreads = 2\n',
    "limits": "[server]\nheader_limit = 1024\nbody_limit = 0\nread_timeout = 0.5\n[cache]\nmax_size = 0\n",
    "folders": '[media]\nfolders = ["a", "/b", "c/../d"]\nrescan_interval = 0.1\nmax_transcodes = 1\n',
    "unknown_key": "[server]\nlisten = 8000\nflavour = 1\n",
    "out_of_range": "[server]\nmax_connections = 0\n[media]\nmax_result_values = 17179869185\n",
    "bad_toml": '[server\nlisten = "127.0.0.1:8000\n',
    "live": '[live]\nstreams = "streams"\n',
}

SPECS = [
    "level", "vorbis_encoder:quality=0.6", "waveform_simple:width=2048,height=128",
    "level,mean_dc_shift,aubio_pitch", "opus-64k:complexity=5", "mp3_encoder:mode=cbr,bitrate=32",
    "waveform_data:format=json,pixels_per_second=20,bits=8", "spectrogram_log:width=64,height=64,fft_size=4096",
    "flac_encoder:compression=8", "file_decoder:uri=samples/sweep.wav,start=1,duration=2",
    "fx_gain:gain=-6", "waveform_simple:bg_color=#ffffff,color_scheme=default", "level:,=",
]
QUERIES = ["bitrate=128&mode=cbr", "quality=0.6", "width=2048&height=128&bg_color=%23ffffff",
           "pixels_per_second=44100", "bitrate=%ff", "=&&a", "fft_size=65536&hop=1"]


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert len(data) < 8192, f"{target}/{name}: {len(data)} bytes"
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def media(timeside):
    """Tiny files from our own encoders (0.1 s of a sine), and a float WAV holding NaN and Inf."""
    import array
    import math
    with tempfile.TemporaryDirectory() as tmp:
        rate, frames = 8000, 800
        samples = array.array("h", (int(12000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames)))
        wav = os.path.join(tmp, "tone.wav")
        with open(wav, "wb") as f:
            data = samples.tobytes()
            f.write(b"RIFF" + (36 + len(data)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") +
                    (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little") +
                    (rate * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little") +
                    b"data" + len(data).to_bytes(4, "little") + data)
        with open(wav, "rb") as f:
            write("decode", "tone.wav", f.read())
        floats = array.array("f", [0.5, float("nan"), float("inf"), -float("inf"), -0.5] * 40).tobytes()
        write("decode", "float_nonfinite.wav",
              b"RIFF" + (36 + len(floats)).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") +
              (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + rate.to_bytes(4, "little") +
              (rate * 4).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little") +
              b"data" + len(floats).to_bytes(4, "little") + floats)
        for spec, ext in (("flac_encoder", "flac"), ("vorbis_encoder:quality=0", "ogg"),
                          ("opus_encoder:bitrate=16", "opus"), ("mp3_encoder:mode=cbr,bitrate=64", "mp3")):
            out = os.path.join(tmp, "out")
            subprocess.run([timeside, "run", wav, spec, "-o", out], check=True, capture_output=True)
            produced = [p for p in os.listdir(out) if p.endswith("." + ext)]
            with open(os.path.join(out, produced[0]), "rb") as f:
                data = f.read()
            write("decode", f"tone.{ext}", data)
            write("decode", f"tone_truncated.{ext}", data[: len(data) // 2])
            shutil.rmtree(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeside", default=os.path.join(ROOT, "build", "src", "cli", "timeside"))
    ap.add_argument("--no-media", action="store_true", help="only the text seeds (no binary needed)")
    args = ap.parse_args()
    for name, data in REQUESTS.items():
        write("request", name, data)
    with open(os.path.join(ROOT, "docs", "server.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```toml\n(.*?)```", f.read(), re.S)
    CONFIGS["documented"] = "".join(blocks)
    for name, text in CONFIGS.items():
        write("config", name + ".toml", text)
    for folder in ("streams",):
        for f in sorted(os.listdir(os.path.join(ROOT, folder))):
            with open(os.path.join(ROOT, folder, f), "rb") as fh:
                write("stream", f, fh.read())
    write("stream", "broken.toml", '[input]\nkind = "file"\nuri = \n[[outputs]]\nformat = "ogg"\n')
    write("stream", "dates.toml", "when = 1979-05-27T07:32:00-08:00\nday = 1979-05-27\n[a.b]\nc = [1, 2.5, true, 'x']\n")
    # Spec targets: first byte even = a spec list; odd = (processor index, query).
    for i, spec in enumerate(SPECS):
        write("spec", f"spec_{i:02d}", b"\x00" + spec.encode())
    for f in sorted(os.listdir(os.path.join(ROOT, "presets"))):
        write("spec", "preset_" + f[:-5], b"\x00" + f[:-5].encode())
    for i, query in enumerate(QUERIES):
        for j in range(0, 40, 7):  # several processors for each query
            write("spec", f"query_{i:02d}_{j:02d}", bytes([1, j]) + query.encode())
    if not args.no_media:
        media(args.timeside)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(CORPUS) for f in fs)
    print(f"{CORPUS}: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
