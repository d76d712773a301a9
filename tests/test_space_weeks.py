"""A public Space that stays up for weeks (issue 25): what a visitor sees after the sweeper has run.

The servers here are ``python app.py`` itself, as separate processes (as a Space runs it), with the sweeper
every second (``MELWAV_SWEEP_EVERY_S``) and everything unclaimed stale after one second
(``MELWAV_STALE_AFTER_S``): hours of a Space's life in a few seconds.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from conftest import free_port

from melwav import limits

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
needs_chromium = pytest.mark.skipif(not pathlib.Path(CHROMIUM).exists(), reason="Debian chromium not installed")


# ------------------------------------------------------------------------------ the sweeper, unit level


def _claim_in_child(base: pathlib.Path) -> tuple[subprocess.Popen, pathlib.Path]:
    """A process that claims a folder of ``base``, writes a file there and waits; returns it and its folder."""
    code = ("import sys, time; from melwav import limits; d = limits.claim_process_dir(sys.argv[1]); "
            "(d / 'speech.wav').write_bytes(b'RIFF'); print(d, flush=True); time.sleep(600)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(base)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return proc, pathlib.Path(proc.stdout.readline().strip())


def test_a_live_process_folder_is_never_swept_and_a_dead_one_at_once(tmp_path):
    live, live_dir = _claim_in_child(tmp_path)
    dead, dead_dir = _claim_in_child(tmp_path)
    try:
        past = time.time() - 10 * 3600
        for p in (live_dir / "speech.wav", live_dir):
            os.utime(p, (past, past))  # old, but its process still runs (and a page may point at it)
        dead.send_signal(signal.SIGKILL)  # no clean-up of its own
        dead.wait(timeout=30)
        assert limits.sweep_stale(tmp_path, max_age_s=3600) == 1
        assert (live_dir / "speech.wav").exists()
        assert not dead_dir.exists()  # removed though it is only seconds old: its process is gone
    finally:
        live.kill()
        live.wait(timeout=30)
    assert limits.sweep_stale(tmp_path, max_age_s=3600) == 1 and not live_dir.exists()


def test_this_process_folder_is_its_own_and_claimed_once(tmp_path):
    first = limits.claim_process_dir(tmp_path)
    assert limits.claim_process_dir(tmp_path) == first and first.parent == tmp_path
    (first / "example.wav").write_bytes(b"RIFF")
    past = time.time() - 10 * 3600
    os.utime(first / "example.wav", (past, past))
    assert limits.sweep_stale(tmp_path, max_age_s=1) == 0 and (first / "example.wav").exists()


# ------------------------------------------------------------------------------ the Space, end to end


class _Server:
    """``python app.py`` on a free loopback port with the given Gradio cache and work folders."""

    def __init__(self, gradio_dir: pathlib.Path, work_dir: pathlib.Path, log: pathlib.Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = dict(os.environ, GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(self.port),
                   GRADIO_TEMP_DIR=str(gradio_dir), MELWAV_WORK_DIR=str(work_dir), GRADIO_ANALYTICS_ENABLED="False",
                   MELWAV_SWEEP_EVERY_S="1", MELWAV_STALE_AFTER_S="1")
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        end = time.monotonic() + 180
        while time.monotonic() < end:
            assert self.proc.poll() is None, log.read_text()[-2000:]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("the server did not start")
        self.folder = next(d for d in gradio_dir.iterdir() if d.name.startswith(f"melwav-{self.proc.pid}-"))

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)
        self.log.close()


@pytest.mark.app
@pytest.mark.browser
@needs_chromium
@pytest.mark.floor
def test_a_page_opened_after_many_sweeps_works(tmp_path):
    """Bug: the sweeper deleted Gradio's cached copy of the default example after an hour: every page opened
    later showed "Error" in the figure and empty players (403 on the clip)."""
    from playwright.sync_api import sync_playwright

    gradio_dir, work_dir = tmp_path / "gradio", tmp_path / "work"
    first = _Server(gradio_dir, work_dir, tmp_path / "first.log")
    first.stop(signal.SIGKILL)  # a Space restarted hard: its cache is left behind
    assert (first.folder / limits.OWNER_FILE).exists()
    server = _Server(gradio_dir, work_dir, tmp_path / "second.log")
    try:
        time.sleep(6)  # five sweeps, every unclaimed file 1 s stale
        assert not first.folder.exists()  # the dead process's cache went at the first sweep
        cached = [p for p in server.folder.rglob("*.wav")]
        assert {p.name for p in cached} >= {"speech.wav", "music.wav"}  # the page's clip and examples stay
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server.url)
            page.wait_for_function(
                "() => { const i = document.querySelector('#spectrograms img'); return i && i.naturalWidth > 0; }",
                timeout=120_000)
            page.wait_for_function("() => { const b = document.querySelector('#abc-box');"
                                   " return b && JSON.parse(b.dataset.urls).every(u => u); }", timeout=120_000)
            urls = page.evaluate("() => JSON.parse(document.querySelector('#abc-box').dataset.urls)")
            errors = page.locator("#spectrograms .error, .toast-body.error").count()
            browser.close()
        assert errors == 0
        for url in urls:  # the three players' clips, fetched as the page fetches them
            with urllib.request.urlopen(urllib.parse.urljoin(server.url, url), timeout=30) as response:
                assert response.status == 200 and response.read(4) == b"RIFF"
    finally:
        server.stop()
