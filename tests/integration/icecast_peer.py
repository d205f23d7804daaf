"""Debian's icecast2 started by a test or a bench on a free loopback port, with a configuration of
its own in a temporary folder (icecast2 refuses to run as root: it changes to Debian's icecast2
user when started as root). Use as a context manager; nothing is left running."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from support import stop_process


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Icecast2:
    source_password = "icecast-source-pw"
    admin_password = "icecast-admin-pw"

    def __init__(self, burst_size=65535, queue_size=524288, clients=20000, sources=64, source_timeout=10,
                 source_password=None, admin_password=None):
        # icecast2's own defaults for location, admin and hostname: its status documents show them.
        if source_password:
            self.source_password = source_password
        if admin_password:
            self.admin_password = admin_password
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="timeside-icecast2-")
        as_root = os.geteuid() == 0
        owner = ""
        if as_root:
            user = pwd.getpwnam("icecast2")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            owner = "<changeowner><user>icecast2</user><group>icecast</group></changeowner>"
        self.config = os.path.join(self.dir, "icecast.xml")
        with open(self.config, "w") as f:
            f.write(f"""<icecast>
  <location>Earth</location>
  <admin>icemaster@localhost</admin>
  <limits>
    <clients>{clients}</clients><sources>{sources}</sources><queue-size>{queue_size}</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>{source_timeout}</source-timeout><burst-size>{burst_size}</burst-size>
  </limits>
  <authentication>
    <source-password>{self.source_password}</source-password>
    <relay-password>{self.source_password}</relay-password>
    <admin-user>admin</admin-user><admin-password>{self.admin_password}</admin-password>
  </authentication>
  <hostname>localhost</hostname>
  <listen-socket><port>{self.port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>/usr/share/icecast2</basedir><logdir>{self.dir}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")
        self.proc = subprocess.Popen(["icecast2", "-c", self.config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                self.close()
                raise RuntimeError(f"icecast2 exited {self.proc.returncode}: {err}{self.error_log()}")
            # Its log says when it serves (a connection probe while it starts has crashed it).
            if "server started" in self.error_log():
                return
            time.sleep(0.02)
        self.close()
        raise RuntimeError("icecast2 did not listen within 10 s")

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def source_url(self, mount):
        return f"icecast://source:{self.source_password}@127.0.0.1:{self.port}{mount}"

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        stop_process(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
