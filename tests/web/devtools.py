"""A headless Chromium (Debian's /usr/bin/chromium) driven through the DevTools protocol over its
WebSocket with Debian's python3-websockets: start it, open a page, evaluate JavaScript (awaiting
promises), collect events; and tests/web itself served over HTTP on loopback for pages that need
an origin (AudioWorklet modules, hls.js from node_modules). Used by the browser tests in
tests/integration; nothing here downloads."""
import asyncio
import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request

import websockets

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
WEB = os.path.dirname(os.path.abspath(__file__))


class WebFolder:
    """tests/web at / on a loopback port (its node_modules installed by `make web-deps`), on a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    def __init__(self):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(self.Quiet, directory=WEB))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class Chromium:
    """One headless browser with a profile of its own, on a DevTools port it picks itself."""

    def __init__(self, extra_flags=()):
        self.profile = tempfile.mkdtemp(prefix="timeside-chromium-")
        flags = ["--headless", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                 "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--mute-audio",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-breakpad", "--autoplay-policy=no-user-gesture-required", *extra_flags]
        # Chromium will not run as root with its sandbox on: only as root (CI, containers) is it off.
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
        # Its log goes to a file (a pipe nobody reads could fill and stall it); its own session, so
        # that close() ends the renderer, GPU and utility processes with it.
        self.log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        self.proc = subprocess.Popen([CHROMIUM, *flags, "about:blank"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        self.port = self._read_port()

    def _read_port(self, timeout=20):
        # Chromium writes its port to DevToolsActivePort in the profile once it listens.
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                log = self.log.read().decode(errors="replace")[-2000:]
                self.close()
                raise RuntimeError(f"chromium exited {self.proc.returncode}: {log}")
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if re.fullmatch(r"\d+", first):
                    return int(first)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        self.close()
        raise RuntimeError("chromium did not open its DevTools port")

    def page_url(self):
        """The WebSocket URL of the first page target (the about:blank the browser opened)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            targets = json.load(r)
        return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """A DevTools session on one page: call(method, params) and the events received so far."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    async def call(self, method, params=None, timeout=30):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{method}: no answer within {timeout} s")
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            if "method" in msg:
                self.events.append(msg)

    async def wait_event(self, method, timeout=30):
        """The first event `method` received so far or within `timeout` s; it is taken off the list."""
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method:
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} within {timeout} s")
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if "method" in msg:
                self.events.append(msg)

    async def navigate(self, url, timeout=30):
        """Loads url and waits for its load event (Page.enable must have been called)."""
        self.events = [e for e in self.events if e["method"] != "Page.loadEventFired"]
        result = await self.call("Page.navigate", {"url": url}, timeout)
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")
        await self.wait_event("Page.loadEventFired", timeout)

    async def evaluate(self, expression, timeout=30):
        """The value of a JavaScript expression (a promise is awaited), returned by value."""
        result = await self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                      "returnByValue": True}, timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")


def connect(browser):
    """`async with connect(browser) as page:` a Page on the browser's first tab."""

    class _Session:
        async def __aenter__(self):
            self.ws = await websockets.connect(browser.page_url(), max_size=None)
            return Page(self.ws)

        async def __aexit__(self, *exc):
            await self.ws.close()

    return _Session()
