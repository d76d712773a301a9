"""A public Space that stays up: the abuses of issue 15 against one launched app (gradio_client, loopback).

Heavy settings and the librosa method are refused before the work starts, params files cannot flood or
script the page, each endpoint works on a first API call, a page that goes away stops its render,
bad slider values cost one log line, and no message names a server path. Bounds are loose on purpose.
"""

from __future__ import annotations

import json
import pathlib
import threading
import time

import numpy as np
import pytest
import soundfile as sf
from conftest import launched_app

from melwav_lab.controls import defaults
from melwav_lab.handlers import RENDER_IN, RESTORED

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"
LD = defaults()  # the page's opening values (the LD preset), by control key

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with launched_app(tmp_path_factory, queue=dict(max_size=8, default_concurrency_limit=2)) as (url, _):
        yield url


@pytest.fixture()
def client(app):
    from gradio_client import Client

    return Client(app, verbose=False)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """30 s (the app's longest clip) at 44.1 kHz."""
    path = tmp_path_factory.mktemp("clips") / "long.wav"
    t = np.arange(30 * 44100) / 44100
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * t))).astype(np.float32),
             44100)
    return path


def _render(client, audio, **values):
    from gradio_client import handle_file

    return client.predict(audio=handle_file(str(audio)), **values, api_name="/render")


def test_the_four_minute_render_is_refused_in_seconds(client, long_clip):
    from gradio_client.exceptions import AppError

    t0 = time.perf_counter()
    with pytest.raises(AppError, match=r"over the work limit .* try at most \d+ iterations, a larger hop"):
        _render(client, long_clip, n_iter=200, sr=44100, n_fft=4096, hop=128, n_mels=128, show_rebuilt=True)
    assert time.perf_counter() - t0 < 60  # was 246 s


def test_librosa_method_on_a_long_clip_is_refused_before_it_starts(client, long_clip):
    from gradio_client.exceptions import AppError

    t0 = time.perf_counter()
    with pytest.raises(AppError, match="librosa method would need about .* GiB"):
        _render(client, long_clip, method="librosa")
    assert time.perf_counter() - t0 < 60


def test_solo_works_on_a_first_api_call(client):
    from gradio_client import handle_file

    from melwav import MelSettings, lab, pipeline
    from melwav.specaugment import apply

    warp, freq, time_, mels, pictures = client.predict(audio=handle_file(str(SPEECH)), seed=5, method="fgla", n_iter=2,
                                                       api_name="/solo")
    assert [caption for _, caption in ((p["image"], p["caption"]) for p in pictures)] == [
        "time warp only", "frequency masks only", "time masks only"]
    analysis = pipeline.load_and_analyse(SPEECH, settings=MelSettings(), trim=True)
    record = pipeline.draw_for(analysis, lab.config_from_units(
        analysis.settings, warp_ms=789, n_freq_masks=2, freq_mask_bands=43, n_time_masks=2, time_mask_ms=998),
        seed=5)
    by_op = {op: np.load(next(m for m in mels if f"_{op}_only" in m)) for op in ("warp", "freq", "time")}
    for op, L in by_op.items():
        assert np.array_equal(L, apply(analysis.L, record.only(op)).astype(np.float32)), op


def _params_file(client, tmp_path, **record_changes):
    files = _render(client, SPEECH, method="fgla", n_iter=1, seed=3)[6]
    data = json.loads(pathlib.Path(next(f for f in files if f.endswith(".json"))).read_text())
    data["record"].update(record_changes)
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data))
    return path


def _load(client, path):
    from gradio_client import handle_file

    out = client.predict(params_file=handle_file(str(path)), audio=handle_file(str(SPEECH)), api_name="/load_params")
    return dict(zip(("policy", *RESTORED, "audio"), out, strict=True))


def test_params_with_20000_notes_are_refused(client, tmp_path):
    from gradio_client.exceptions import AppError

    path = _params_file(client, tmp_path, notes=["note"] * 20_000)
    with pytest.raises(AppError, match="'record.notes' must be a list of at most 16 texts"):
        _load(client, path)


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"format": "melwav-params", "version": 1, "seed": ' + "7" * 5000 + "}", "number too long"),
])
def test_hostile_params_json_gets_a_readable_message(client, tmp_path, text, message):
    from gradio_client.exceptions import AppError

    path = tmp_path / "params.json"
    path.write_text(text)
    with pytest.raises(AppError, match=message):
        _load(client, path)


def test_html_in_a_params_note_reaches_the_page_as_text(client, tmp_path):
    path = _params_file(client, tmp_path, notes=["<img src=x onerror=alert(1)> <b>hi</b> [link](http://e.vil)"])
    restored = _load(client, path)
    assert restored["keep"] is True  # "keep this draw"
    drawn = _render(client, SPEECH, method="fgla", n_iter=1, seed=restored["seed"], keep=True)[1]
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in drawn
    assert "<img" not in drawn and "<b>" not in drawn and "](" not in drawn


def test_out_of_range_slider_logs_one_line(client, capfd, caplog):
    from gradio_client.exceptions import AppError

    capfd.readouterr()
    caplog.set_level("WARNING", logger="melwav.app")
    with pytest.raises(AppError, match="greater than maximum value 2000"):
        _render(client, SPEECH, warp_ms=99_999, method="fgla", n_iter=1)
    assert "Traceback" not in capfd.readouterr().err
    assert [r.getMessage() for r in caplog.records if r.name == "melwav.app"] == [
        "refused an out-of-range value: Value 99999 is greater than maximum value 2000."]


def test_errors_never_name_server_paths(app):
    import httpx

    # A path on the server instead of an upload, sent raw (gradio_client would upload it): Gradio refuses
    # it with a message naming the path and the server's folders; visitors must not see that message.
    values = {**LD, "audio": {"path": str(SPEECH), "meta": {"_type": "gradio.FileData"}}, "method": "fgla", "n_iter": 1}
    data = [values[k] for k in RENDER_IN if k != "state"]  # the raw HTTP API is positional
    with httpx.Client(base_url=app, timeout=60) as http:
        event_id = http.post("gradio_api/call/render", json={"data": data}).json()["event_id"]
        text = http.get(f"gradio_api/call/render/{event_id}").text
    assert "event: error" in text
    assert str(ROOT) not in text and "/tmp" not in text and "Cannot move" not in text


def test_a_render_stops_when_its_client_goes(client, long_clip, monkeypatch):
    from melwav import limits

    stopped = []
    original = limits.Deadline.__call__

    def watched(self):
        try:
            original(self)
        except Exception as exc:
            stopped.append((time.monotonic(), str(exc)))
            raise

    monkeypatch.setattr(limits.Deadline, "__call__", watched)
    from gradio_client import handle_file

    threads_before = threading.active_count()  # the session's servers and browsers hold their own

    # About 1.91e9 work units (2585 frames x 2048 x 360 iterations: 120 for the original, 120 + 120 for the
    # augmented one): inside the budget, ~14 s of work.
    job = client.submit(audio=handle_file(str(long_clip)), method="fgla", n_iter=120, sr=44100, api_name="/render")
    time.sleep(4)
    cancelled_at = time.monotonic()
    job.cancel()
    deadline = time.monotonic() + 30
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stopped and "gone" in stopped[0][1]
    assert stopped[0][0] - cancelled_at < 15
    assert threading.active_count() < threads_before + 50  # nothing runaway from the render


def test_a_full_disk_is_one_message_without_the_servers_folder(client, monkeypatch):
    from gradio_client.exceptions import AppError

    from melwav import lab
    from melwav.errors import DiskFullError

    def full(path, *a, **k):
        raise DiskFullError(f"no space left on the device to write {path}")

    monkeypatch.setattr(lab, "write_wav", full)
    with pytest.raises(AppError, match=r"^The server's disk is full; try again in a few minutes\.$"):
        _render(client, SPEECH, method="fgla", n_iter=1, seed=123)
