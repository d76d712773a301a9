"""The app as a separate server process, on loopback, for the load and abuse benchmarks.

The server is ``python app.py`` itself (its real queue of 32 and launch settings), so its memory can be
read from ``/proc`` apart from the clients' and it can be sent SIGTERM like a Space being restarted.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count_files(root: pathlib.Path) -> int:
    root = pathlib.Path(root)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


class Server:
    """``python app.py`` with its own Gradio temp dir and work dir; ``rss_mib()``, ``peak_mib()``, ``stop()``."""

    def __init__(self, base: pathlib.Path, *, app_dir: pathlib.Path = ROOT, env: dict | None = None):
        self.base = pathlib.Path(base)
        self.gradio_dir = self.base / "gradio"
        self.work_dir = self.base / "work"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(self.port),
                        GRADIO_TEMP_DIR=str(self.gradio_dir), MELWAV_WORK_DIR=str(self.work_dir),
                        GRADIO_ANALYTICS_ENABLED="False", **(env or {}))
        self.app_dir = pathlib.Path(app_dir)
        self.proc: subprocess.Popen | None = None
        self._samples: list[float] = []
        self._sampling = False

    def start(self, timeout: float = 120.0) -> Server:
        self.log = open(self.base / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=self.app_dir, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    time.sleep(1.0)  # routes ready
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def _status(self, key: str) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def rss_mib(self) -> float:
        return self._status("VmRSS")

    def peak_mib(self) -> float:
        """The process's peak RSS since it started (VmHWM)."""
        return self._status("VmHWM")

    def sample(self, every_s: float = 0.2):
        """Start sampling RSS in a thread; ``stop_sampling()`` returns the highest sample (MiB)."""
        self._samples, self._sampling = [], True

        def loop():
            while self._sampling:
                try:
                    self._samples.append(self.rss_mib())
                except OSError:
                    return
                time.sleep(every_s)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> float:
        self._sampling = False
        self._thread.join()
        return max(self._samples, default=float("nan"))

    def stop(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout)
        finally:
            self.log.close()
