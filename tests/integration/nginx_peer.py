"""Debian's nginx as the caching reverse proxy we recommend in front of a server's HLS
(docs/live.md, "HLS"), started by a test or a bench on a free loopback port with its files in a
temporary folder. The one writer of that configuration: tests/integration/test_live_hls.py and
bench/hls.py both use it. Use as a context manager; nothing is left running."""
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time

from support import stop_process

NGINX = "/usr/sbin/nginx"

# The location blocks docs/live.md recommends, {origin} the server's host:port. Why each line:
# - Segments never change (Cache-Control: a day, immutable) and a 404 for a number already past
#   is cacheable too: proxy_cache_lock makes concurrent misses of one URL wait for the one request
#   passed to the origin. Waiters look again every 500 ms (nginx 1.22, fixed); one that waited
#   proxy_cache_lock_timeout is passed to the origin as well, uncached, hence 30 s, far above the
#   time a single worker takes to get through a herd of 10,000.
# - proxy_cache_min_uses 0: the lock alone lets every 1024th concurrent miss through. nginx counts
#   the requests that looked a cache node up in a 10-bit field (ngx_http_file_cache_node_t.uses);
#   while the first request for a new segment is at the origin, the herd's requests wrap it to 0,
#   and a request that finds uses (0) below min_uses (1) is passed to the origin uncached, lock
#   or not. 10,000 players asking for the newest segment within one origin answer gave up to 10
#   origin requests for it (docs/benchmarks.md); with min_uses 0 that comparison always holds, and it
#   means nothing else (a response is cached from its first request, as with 1).
# - The playlist lives half a segment: proxy_cache_use_stale updating lets one request refresh it
#   while the others get the previous one. No proxy_cache_background_update: with it the refresh
#   is a subrequest, which at 10,000 players ran late (the origin saw 0.09 playlist requests a
#   second instead of about one every 1-2 s: docs/benchmarks.md); without it the request that
#   finds the playlist expired waits for the origin itself. proxy_cache_lock_age bounds how long
#   a stalled refresh keeps the others on the old playlist: one segment.
HLS_LOCATIONS = """    location ~ ^/live/[^/]+/index\\.m3u8$ {{
        proxy_pass http://{origin};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_cache hls;
        proxy_cache_lock on;
        proxy_cache_lock_timeout 2s;
        proxy_cache_lock_age 2s;
        proxy_cache_min_uses {min_uses};
        proxy_cache_use_stale updating;
        add_header X-Cache-Status $upstream_cache_status;
    }}
    location ~ ^/live/[^/]+/seg- {{
        proxy_pass http://{origin};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_cache hls;
        proxy_cache_lock on;
        proxy_cache_lock_timeout 30s;
        proxy_cache_lock_age 30s;
        proxy_cache_min_uses {min_uses};
        add_header X-Cache-Status $upstream_cache_status;
    }}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nofile_limit(wanted):
    """`wanted` open files, within the hard limit nginx inherits (it cannot raise it unless root
    in a namespace that allows it)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return max(1024, wanted if hard == resource.RLIM_INFINITY else min(wanted, hard))


def hls_cache_conf(root, port, origin_port, worker_connections=4096, error_level="warn", min_uses=0):
    """nginx.conf: one worker, the cache and every temporary path under `root`, an access log
    (`root`/access.log: cache status, status, URI, time, upstream status) for counting what
    reached the origin, listening on 127.0.0.1:`port`. `min_uses`: 0, as recommended; 1 (nginx's
    default) only to show what it does."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must write the cache folder
    files = nofile_limit(2 * worker_connections + 64)
    worker_connections = min(worker_connections, files - 64)  # within what the worker may open
    return f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log {error_level};
worker_rlimit_nofile {files};
events {{ worker_connections {worker_connections}; }}
http {{
    log_format cache '$upstream_cache_status $status $request_uri $msec $upstream_status $request_time $upstream_response_time';
    access_log {root}/access.log cache buffer=64k flush=1s;
    keepalive_requests 1000000;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    proxy_cache_path {root}/cache levels=1:2 keys_zone=hls:10m max_size=200m inactive=10m use_temp_path=off;
    server {{
        listen 127.0.0.1:{port} backlog=16384;
{HLS_LOCATIONS.format(origin=f"127.0.0.1:{origin_port}", min_uses=min_uses)}    }}
}}
"""


class NginxCache:
    """nginx with hls_cache_conf in a temporary folder. `worker_pid()`: its one worker (whose CPU
    serves the clients); `origin_passes()`: per URI, what the access log says went to the origin."""

    def __init__(self, origin_port, worker_connections=4096, timeout=10, error_level="warn", min_uses=0):
        self.root = tempfile.mkdtemp(prefix="timeside-nginx-")
        self.port = free_port()
        conf = os.path.join(self.root, "nginx.conf")
        with open(conf, "w") as f:
            f.write(hls_cache_conf(self.root, self.port, origin_port, worker_connections, error_level, min_uses))
        self.proc = subprocess.Popen([NGINX, "-p", self.root, "-c", conf, "-e", os.path.join(self.root, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.close()
            raise

    def _wait_ready(self, timeout):
        """Listening, and the master has forked its worker."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited {self.proc.returncode}: "
                                   f"{self.proc.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                if self.worker_pid():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen with a worker within {timeout} s")
            time.sleep(0.05)  # the next look, within the deadline above

    def worker_pid(self):
        kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        return int(kids[0]) if kids else None

    def access_log(self):
        """[(cache status, status, uri, msec, upstream status, request time, upstream
        response time)] of the requests logged so far
        (the log is flushed every second and when nginx stops)."""
        rows = []
        path = os.path.join(self.root, "access.log")
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 7:
                        rows.append((parts[0], parts[1], parts[2], float(parts[3]), parts[4], float(parts[5]), parts[6]))
        return rows

    def origin_passes(self):
        """{uri: ["MISS 200", ...]}: the requests nginx passed to the origin (not served from its cache)."""
        out = {}
        for cache, status, uri, _, upstream, _, _ in self.access_log():
            if upstream != "-":
                out.setdefault(uri, []).append(f"{cache} {upstream}")
        return out

    def error_log(self):
        path = os.path.join(self.root, "error.log")
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            return f.read().splitlines()

    def close(self):
        stop_process(self.proc, timeout=10)

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        self.remove()
