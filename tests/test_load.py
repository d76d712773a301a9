"""Several users at once against a launched app, on loopback only, bounded in count and time.

- every request gets its own result (each user has a clip of a different pitch; the audio they get back
  must be theirs, never another user's);
- a full queue turns requests away with a message instead of piling them up;
- rendered files are swept, so temporary files do not pile up.
bench/load.py runs the same with more users and prints the figures recorded in the README.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pathlib
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import launched_app

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

pytestmark = pytest.mark.app

# The page's LD draw without its frequency masks (they could hide the pitch that identifies each user), and a
# cheap reconstruction; every other /render parameter is the page's default.
PITCH_SAFE = dict(n_freq_masks=0, method="fgla", n_iter=8)


def _tone(path: pathlib.Path, freq: float, seconds: float = 2.0, sr: int = 22050) -> pathlib.Path:
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32), sr)
    return path


def _dominant_hz(path: str) -> float:
    y, sr = sf.read(path)
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    with launched_app(tmp_path_factory, queue=dict(max_size=2, default_concurrency_limit=1)) as (url, demo):
        yield url, demo


def _user(url: str, clip: pathlib.Path, seed: int):
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    out = client.predict(audio=handle_file(str(clip)), **PITCH_SAFE, seed=seed, api_name="/render")
    original = out[3]["value"] if isinstance(out[3], dict) else out[3]
    augmented = out[5]["value"] if isinstance(out[5], dict) else out[5]
    return original, augmented


def test_concurrent_users_each_get_their_own_clip(launched, tmp_path):
    url, _ = launched
    freqs = [220.0, 330.0, 495.0, 740.0]
    clips = [_tone(tmp_path / f"user{i}.wav", f) for i, f in enumerate(freqs)]
    from gradio_client.utils import QueueError

    results, rejected = {}, 0
    # Queue size 2 and one worker: send in waves of two users so nobody is turned away here.
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        for wave in range(0, len(clips), 2):
            futures = {pool.submit(_user, url, clips[i], i): i for i in range(wave, wave + 2)}
            for fut in cf.as_completed(futures, timeout=240):
                try:
                    results[futures[fut]] = fut.result()
                except QueueError:
                    rejected += 1
    assert rejected == 0
    assert sorted(results) == list(range(len(freqs)))
    for i, (original, augmented) in results.items():
        for path in (original, augmented):
            # Each user hears their own pitch: of all users' pitches, theirs is the nearest (the mel bands
            # are tens of Hz wide down there, so the rebuilt peak is only near the original one).
            heard = _dominant_hz(path)
            assert int(np.argmin([abs(heard - f) for f in freqs])) == i, (i, heard, path)


def test_full_queue_rejects_politely(launched, tmp_path):
    from gradio_client import Client, handle_file

    url, _ = launched
    clip = _tone(tmp_path / "busy.wav", 300.0, seconds=6.0)
    clients = [Client(url, verbose=False) for _ in range(6)]
    jobs = [c.submit(audio=handle_file(str(clip)), **{**PITCH_SAFE, "n_iter": 60}, seed=s, api_name="/render")
            for s, c in enumerate(clients)]
    outcomes = []
    deadline = time.monotonic() + 300
    for job in jobs:
        try:
            job.result(timeout=max(1.0, deadline - time.monotonic()))
            outcomes.append("ok")
        except Exception as exc:  # the client raises on a rejected job
            outcomes.append(str(exc))
    assert "ok" in outcomes
    rejected = [o for o in outcomes if o != "ok"]
    assert rejected, "six simultaneous requests against a queue of two: some must be turned away"
    assert set(rejected) == {"Queue is full! Please try again."}, rejected


def test_rendered_files_are_swept(monkeypatch, tmp_path):
    from melwav import lab

    monkeypatch.setenv("MELWAV_WORK_DIR", str(tmp_path))
    old = lab.new_output_dir()
    (old / "x.wav").write_bytes(b"0")
    past = time.time() - lab.MAX_AGE_S - 10
    os.utime(old, (past, past))
    monkeypatch.setattr(lab, "_last_sweep", [0.0])
    fresh = lab.new_output_dir()
    assert fresh.exists() and not old.exists()
