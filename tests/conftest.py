"""Shared fixtures: small analysis settings and a writer of synthetic test clips (numpy + soundfile only)."""

from __future__ import annotations

import atexit
import contextlib
import os
import pathlib
import shutil
import socket
import sys
import tempfile

import numpy as np
import pytest
import soundfile as sf

from melwav.features import MelSettings

# Gradio's file cache defaults to one folder for every Gradio app on the machine, and each app's cache sweep
# (delete_cache) removes old files there: another app's tests could delete the bundled examples' cached copies
# under ours. The suite gets a folder of its own.
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="melwav-gradio-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], True)

REPO = pathlib.Path(__file__).resolve().parents[1]
ASSETS = REPO / "assets"

#: Small, fast analysis: 8 kHz, 256-point FFT, hop 64 (8 ms), 32 mel bands.
SMALL = MelSettings(sr=8000, n_fft=256, hop_length=64, n_mels=32)


def tone_noise(duration_s: float, sr: int, *, channels: int = 1, amp: float = 0.5, freq: float = 440.0,
               seed: int = 0) -> np.ndarray:
    """A tone plus a little noise, float32, shape (n,) or (n, channels); channel k has amplitude amp / (k + 1)."""
    n = int(round(duration_s * sr))
    t = np.arange(n) / sr
    rng = np.random.default_rng(seed)
    cols = []
    for k in range(channels):
        x = np.sin(2 * np.pi * freq * (k + 1) * t) + 0.05 * rng.standard_normal(n)
        cols.append(amp / (k + 1) * x / max(1.0, np.max(np.abs(x)) if n else 1.0))
    data = np.stack(cols, axis=1).astype(np.float32)
    return data[:, 0] if channels == 1 else data


@pytest.fixture
def small_settings() -> MelSettings:
    return SMALL


@pytest.fixture
def write_clip(tmp_path):
    """``write_clip(name, duration_s=0.5, sr=8000, channels=1, subtype="PCM_16", format=None, data=None)``.

    Writes a tone+noise clip (or ``data``) into ``tmp_path`` and returns ``(path, data_written)``.
    """

    def _write(name: str = "clip.wav", duration_s: float = 0.5, sr: int = 8000, *, channels: int = 1,
               subtype: str | None = "PCM_16", format: str | None = None, data: np.ndarray | None = None,
               amp: float = 0.5):
        if data is None:
            data = tone_noise(duration_s, sr, channels=channels, amp=amp)
        path = tmp_path / name
        sf.write(str(path), data, sr, subtype=subtype, format=format)
        return path, data

    return _write


@pytest.fixture
def logmel_array():
    """A random log-mel-like array (dB, no two cells equal with overwhelming probability)."""

    def _make(n_mels: int = 32, n_frames: int = 100, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return (-80.0 * rng.random((n_mels, n_frames))).astype(np.float32)

    return _make


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: True when no event runs on the page: no progress text, bar or timer anywhere, and the figure's status
#: tracker is hidden. The page's render (one event, app.render_page) shows the figure first and rebuilds the
#: audio after it: in between its "minimal" tracker is shown but empty, so without the second test a page
#: would look idle while its audio is still on the way. A tracker showing an error (its clear button) is idle.
IDLE_JS = ("() => !document.querySelector('.progress-text, .eta-bar, .progress-level, .timer') && "
           "!document.querySelector('#spectrograms .wrap:not(.hide):not(:has(.clear-status))')")


_DEPLOYED: dict = {}


@contextlib.contextmanager
def launched_app(tmp_path_factory, *, queue: dict | None = None):
    """The app on a free loopback port, with a work dir of its own: yields (url, demo).

    The page as deployed (``melwav_lab.app.create()``) is built and launched once for the whole session and
    stays up between modules, as on a Space: closing a Gradio app deletes the files its page was built
    with (the examples), which a relaunch does not make again. ``queue``: launch a freshly built page with
    these queue settings instead, closed when the block ends. ``MELWAV_WORK_DIR`` (one folder for the
    session) is set only inside the block, so no setting leaks into modules that do not launch the app.
    """
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if "work" not in _DEPLOYED:
        _DEPLOYED["work"] = str(tmp_path_factory.mktemp("melwav-work"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MELWAV_WORK_DIR", _DEPLOYED["work"])
        from melwav_lab import app as app_module

        if queue is None:
            if "url" not in _DEPLOYED:
                _DEPLOYED["demo"] = demo = app_module.create()
                port = free_port()
                demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                            **app_module.LAUNCH_KWARGS)
                _DEPLOYED["url"] = f"http://127.0.0.1:{port}/"
            yield _DEPLOYED["url"], _DEPLOYED["demo"]
            return
        demo = app_module.build()
        demo.queue(**queue)
        port = free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                    **app_module.LAUNCH_KWARGS)
        try:
            yield f"http://127.0.0.1:{port}/", demo
        finally:
            demo.close()


def pytest_sessionfinish(session, exitstatus):
    if "url" in _DEPLOYED:
        _DEPLOYED["demo"].close()


#: Debian's chromium, for the browser tests (Playwright's own browser download does not work offline).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def browser():
    """One headless chromium per test module (a module with other flags, as test_app's, defines its own)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
