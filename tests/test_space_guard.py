"""The server-side bounds of issue 25 (melwav_lab.guard), against launched apps on loopback.

A small Gradio app with the guard (fast, its own queue) holds the request, upload, message and queue cases;
the lab as deployed holds the params-file and endpoint cases. Bounds are loose on purpose: each case is
refused before the work it would cost, so the point is the refusal and its message, not a timing.
"""

from __future__ import annotations

import json
import logging
import pathlib
import threading
import time

import gradio as gr
import numpy as np
import pytest
import soundfile as sf
from conftest import free_port, launched_app

from melwav_lab import guard

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"

pytestmark = pytest.mark.app

_RELEASE = threading.Event()


def _slow(x):
    _RELEASE.wait(30)
    return x


def _slow_page(x):
    _RELEASE.wait(30)
    return x


def _echo(choice, text):
    return f"{choice}:{len(text or '')}"


@pytest.fixture(scope="module")
def small_app():
    """A small app with the guard: a dropdown, a textbox, two slow heavy events; (url, demo)."""
    with gr.Blocks() as demo:
        choice = gr.Dropdown(["a", "b"], value="a", label="Letter")
        text = gr.Textbox(label="Note")
        out = gr.Textbox(label="Out")
        gr.Button("echo").click(_echo, [choice, text], out, api_name="echo")
        gr.Button("slow").click(_slow, text, out, api_name="slow")
        gr.Button("page").click(_slow_page, text, out, api_name="page")
        upload = gr.File(label="File")
        upload.upload(lambda f: str(f), upload, out, api_name="uploaded")
    guard.install(demo, heavy=("_slow", "_slow_page"),
                  share=guard.QueueShare(max_waiting=2, superseded=("_slow_page",)))
    demo.queue(max_size=32, default_concurrency_limit=2)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                max_file_size="4mb", app_kwargs=guard.app_kwargs())
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        _RELEASE.set()
        demo.close()


@pytest.fixture()
def http(small_app):
    import httpx

    with httpx.Client(base_url=small_app[0], timeout=60) as client:
        yield client


# ------------------------------------------------------------------------------------------- bodies


def test_a_body_over_the_limit_is_refused_before_it_is_read(http, small_app):
    """Bug: bodies had no limit; three 100 MB bodies left the server ~600 MB bigger."""
    t0 = time.perf_counter()
    r = http.post("gradio_api/queue/join", content=b"x" * (guard.MAX_BODY_BYTES + 1),
                  headers={"content-type": "application/json"})
    assert r.status_code == 413 and "the server takes at most 3.0 MB" in r.json()["detail"]
    assert time.perf_counter() - t0 < 10


def test_a_streamed_body_is_cut_at_the_limit(http):
    sent = []

    def chunks():
        for _ in range(40):
            sent.append(1)
            yield b"x" * 100_000

    r = http.post("gradio_api/queue/join", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "larger than the 3.0 MB" in r.json()["detail"]


# ------------------------------------------------------------------------------------------ uploads


def _upload_dir(demo) -> pathlib.Path:
    return pathlib.Path(demo.server_app.uploaded_file_dir)


def _files(root: pathlib.Path) -> set:
    return {p for p in root.rglob("*") if p.is_file()}


def test_uploads_are_capped_in_bytes_and_files_per_request(http, small_app):
    """Bug: one POST of 40 x 25 MiB put 1 GB on disk (max_file_size is per file)."""
    before = _files(_upload_dir(small_app[1]))
    many = [("files", (f"f{i}.wav", b"\0" * (1 << 20))) for i in range(40)]
    r = http.post("gradio_api/upload", files=many)
    assert r.status_code == 413 and "at most 27.3 MB in one request" in r.json()["detail"]
    small = [("files", (f"f{i}.wav", b"\0" * 100)) for i in range(5)]
    r = http.post("gradio_api/upload", files=small)
    assert r.status_code == 413 and "Too many files in one upload (at most 2)" in r.text
    assert _files(_upload_dir(small_app[1])) == before  # nothing half-written left behind
    r = http.post("gradio_api/upload", files=[("files", ("one.wav", b"RIFF"))])
    assert r.status_code == 200 and pathlib.Path(r.json()[0]).read_bytes() == b"RIFF"


def test_uploads_nobody_uses_are_removed(http, monkeypatch):
    monkeypatch.setattr(guard.UPLOADS, "unused_s", 0.5)
    monkeypatch.setattr(guard.UPLOADS, "idle_s", 60.0)
    unused = pathlib.Path(http.post("gradio_api/upload", files=[("files", ("unused.wav", b"RIFF1"))]).json()[0])
    used = pathlib.Path(http.post("gradio_api/upload", files=[("files", ("used.wav", b"RIFF2"))]).json()[0])
    data = [{"path": str(used), "meta": {"_type": "gradio.FileData"}}]
    http.post("gradio_api/queue/join", json={"data": data, "fn_index": 0, "session_hash": "s-uploads",
                                              "event_data": None, "trigger_id": None})
    time.sleep(1.0)
    guard.UPLOADS.sweep()
    assert not unused.exists() and unused not in guard.UPLOADS
    assert used.exists() and used.read_bytes() == b"RIFF2"


def test_uploads_past_the_disk_budget_wait_for_unused_ones_to_go(http, monkeypatch):
    monkeypatch.setattr(guard.UPLOADS, "disk_bytes", guard.UPLOADS.total_bytes + 10_000)
    r = http.post("gradio_api/upload", files=[("files", ("big.wav", b"\0" * 20_000))])
    assert r.status_code == 507 and "holds too many uploads right now" in r.json()["detail"]
    assert http.post("gradio_api/upload", files=[("files", ("small.wav", b"RIFF"))]).status_code == 200


# ----------------------------------------------------------------------------------------- messages


def test_an_invalid_dropdown_value_is_not_echoed(small_app, capfd):
    """Bug: a 1 MB value came back as a 1 MB error, and a 100 MB one was a 100 MB log line."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    capfd.readouterr()
    client = Client(small_app[0], verbose=False)
    with pytest.raises(AppError) as err:
        client.predict("z" * 1_000_000, "note", api_name="/echo")
    message = str(err.value)
    assert "a text of 1,000,000 characters is not one of the choices of Letter ('a', 'b')" in message
    assert len(message) < 400
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err and max(map(len, (printed.out + printed.err).splitlines()), default=0) < 3000


def test_text_inputs_have_a_length_the_server_checks(small_app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    demo = small_app[1]
    assert all(b.max_length == guard.MAX_TEXTBOX_CHARS for b in demo.blocks.values() if isinstance(b, gr.Textbox))
    client = Client(small_app[0], verbose=False)
    assert client.predict("a", "n" * 1_000_000, api_name="/echo") == "a:1000000"
    with pytest.raises(AppError, match="Note takes at most 1,000,000 characters; this one has 1,000,001"):
        client.predict("a", "n" * 1_000_001, api_name="/echo")


def test_log_lines_are_cut_whatever_the_logger():
    guard.cut_log_records()
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep()
    loggers = [logging.getLogger(n) for n in ("gradio.some.module", "uvicorn.error", "melwav.app")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        loggers[0].warning("value: %s", "v" * 1_000_000)
        loggers[1].warning("x" * 1_000_000)
        try:
            raise ValueError("w" * 1_000_000)
        except ValueError:
            loggers[2].exception("a fault")
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert len(lines) == 3
    assert all(len(line) <= guard.MAX_LOG_CHARS + 60 for text in lines for line in text.splitlines())
    assert "1,000,000 characters in all" in lines[0] and "Traceback" in lines[2]  # a real fault keeps its traceback


def test_gradio_prints_a_cut_traceback(capsys):
    tb = guard._CutTraceback()
    try:
        raise RuntimeError("r" * 100_000)
    except RuntimeError:
        tb.print_exc()
    err = capsys.readouterr().err
    assert "Traceback" in err and max(len(line) for line in err.splitlines()) <= guard.MAX_LOG_CHARS


# -------------------------------------------------------------------------------------------- queue


def _wait_for(predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _waiting(demo, session):
    return [e for q in demo._queue.event_queue_per_concurrency_id.values() for e in q.queue
            if e.session_hash == session]


def _running(demo):
    return [job for jobs in demo._queue.active_jobs if jobs for job in jobs]


def test_one_session_cannot_hold_the_queue(small_app):
    """Bug: 34 heavy renders from one session in under a second filled all 32 places for ~14 minutes."""
    from gradio_client import Client
    from gradio_client.utils import QueueError

    url, demo = small_app
    _RELEASE.clear()
    client = Client(url, verbose=False)
    try:
        # The first two must have left the queue before the rest arrive: a burst of six sent before either
        # starts finds them still waiting, and then a third one already is refused (CI saw exactly that).
        jobs = [client.submit(f"job {i}", api_name="/slow") for i in range(2)]
        assert _wait_for(lambda: len(_running(demo)) == 2)
        jobs += [client.submit(f"job {i}", api_name="/slow") for i in range(2, 6)]
        assert _wait_for(lambda: len(_waiting(demo, client.session_hash)) == 2)
        refused = 0
        for job in jobs:
            try:
                job.result(timeout=0.5)
            except QueueError:
                refused += 1
            except TimeoutError:
                pass
        assert refused == 2  # 2 running + 2 waiting; the 5th and 6th turned away
        someone = Client(url, verbose=False)
        other = someone.submit("someone else", api_name="/slow")
        assert _wait_for(lambda: len(_waiting(demo, someone.session_hash)) == 1)  # others still get in
    finally:
        _RELEASE.set()
    assert other.result(timeout=30) == "someone else"


def test_heavy_events_share_one_group_across_endpoints(small_app):
    """Bug: "two at a time" was per endpoint: 2 renders and 2 zips ran together."""
    url, demo = small_app
    from gradio_client import Client

    _RELEASE.clear()
    try:
        a, b = Client(url, verbose=False), Client(url, verbose=False)
        jobs = [a.submit("1", api_name="/slow"), b.submit("2", api_name="/page"), a.submit("3", api_name="/page"),
                b.submit("4", api_name="/slow")]
        assert _wait_for(lambda: len(_running(demo)) == 2)
        time.sleep(0.5)
        assert len(_running(demo)) == 2  # never 4: one group of two for both endpoints
    finally:
        _RELEASE.set()
    assert sorted(job.result(timeout=30) for job in jobs) == ["1", "2", "3", "4"]


def test_a_newer_page_render_drops_the_sessions_waiting_one(small_app):
    from gradio_client import Client

    url, demo = small_app
    _RELEASE.clear()
    client = Client(url, verbose=False)
    try:
        blockers = [Client(url, verbose=False).submit(f"b{i}", api_name="/slow") for i in range(2)]
        assert _wait_for(lambda: len(_running(demo)) == 2)
        older = client.submit("older", api_name="/page")
        assert _wait_for(lambda: len(_waiting(demo, client.session_hash)) == 1)
        newer = client.submit("newer", api_name="/page")
        assert _wait_for(lambda: older.done())
        assert [e.data.data for e in _waiting(demo, client.session_hash)] == [["newer"]]
    finally:
        _RELEASE.set()
    assert older.result(timeout=30) == {"__type__": "update"}  # ended changing nothing: no error on the page
    assert newer.result(timeout=30) == "newer" and [j.result(timeout=30) for j in blockers] == ["b0", "b1"]


# ------------------------------------------------------------------------------------- the lab as deployed


@pytest.fixture(scope="module")
def lab_app(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, demo):
        yield url, demo


def test_every_heavy_endpoint_of_the_lab_is_in_one_group(lab_app):
    _, demo = lab_app
    names = {fn.fn.__name__: fn for fn in demo.fns.values() if getattr(fn, "fn", None) is not None}
    heavy = [name for name in guard.HEAVY_FNS if name in names]
    assert len(heavy) == 7  # render, the page's render, solo, variety, load_params, the recipe import, demo_file
    for name in heavy:
        assert names[name].concurrency_id == guard.HEAVY_ID and names[name].concurrency_limit == guard.HEAVY_LIMIT
    light = [fn for name, fn in names.items() if name.startswith("export_recipe")]
    assert light and all(fn.concurrency_id != guard.HEAVY_ID for fn in light)


def test_an_upload_of_a_bundled_clip_never_removes_the_pages_example(lab_app, monkeypatch):
    """Gradio names an upload by its bytes' hash, as its cached copy of an example: uploading the bundled
    music.wav lands on the example's own file, which the unused-upload sweep then deleted (the example was
    dead for every visitor ten minutes later)."""
    import httpx

    url, _ = lab_app
    monkeypatch.setattr(guard.UPLOADS, "unused_s", 0.0)
    with httpx.Client(base_url=url, timeout=60) as http:
        with open(ROOT / "assets" / "music.wav", "rb") as f:
            path = pathlib.Path(http.post("gradio_api/upload", files=[("files", ("music.wav", f))]).json()[0])
        mine = pathlib.Path(http.post("gradio_api/upload", files=[("files", ("mine.wav", b"RIFF-mine"))]).json()[0])
        time.sleep(0.1)
        guard.UPLOADS.sweep()
        assert not mine.exists()  # the sweep ran, and removes a visitor's own unused upload
        assert path.exists() and path.read_bytes() == (ROOT / "assets" / "music.wav").read_bytes()
        assert http.get(f"gradio_api/file={path}").status_code == 200


def test_the_page_choices_the_guard_knows_are_the_pages(lab_app):
    _, demo = lab_app
    offered = {tuple(v for _, v in b.choices) for b in demo.blocks.values()
               if isinstance(b, gr.Dropdown) and b.choices and all(isinstance(v, int) for _, v in b.choices)}
    assert offered == set(guard.PAGE_ANALYSIS.values())


def _params_for_speech(lab_url, tmp_path, **analysis):
    from gradio_client import Client, handle_file

    files = Client(lab_url, verbose=False).predict(audio=handle_file(str(SPEECH)), method="fgla", n_iter=1, seed=3,
                                                   api_name="/render")[6]
    data = json.loads(pathlib.Path(next(f for f in files if f.endswith(".json"))).read_text())
    data["analysis"].update(analysis)
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data))
    return path


def _load(lab_url, params, clip):
    from gradio_client import Client, handle_file

    return Client(lab_url, verbose=False).predict(params_file=handle_file(str(params)), audio=handle_file(str(clip)),
                                                  api_name="/load_params")


def test_a_params_files_analysis_is_refused_before_the_stft(lab_app, tmp_path):
    """Bug: /load_params built the STFT first: 1 s at 192 kHz / FFT 16384 / hop 16 / 512 mels: +1.5 GB, 7-25 s."""
    from gradio_client.exceptions import AppError

    url, _ = lab_app
    clip = tmp_path / "one_second.wav"
    sf.write(clip, (0.1 * np.sin(np.arange(192000) / 9.0)).astype(np.float32), 192000)
    params = _params_for_speech(url, tmp_path, sr=192000, n_fft=16384, hop_length=16, n_mels=512)
    t0 = time.perf_counter()
    with pytest.raises(AppError, match=r"made with sr 192000; the lab offers 16000, 22050, 44100"):
        _load(url, params, clip)
    assert time.perf_counter() - t0 < 30
    # Within the page's choices, but over the cost: refused from the header of the clip it names (speech.wav).
    params = _params_for_speech(url, tmp_path, sr=44100, n_fft=4096, hop_length=128, n_mels=128)
    data = json.loads(params.read_text())
    data["reconstruction"]["n_iter"] = 10_000
    params.write_text(json.dumps(data))
    with pytest.raises(AppError, match=r"over the work limit"):
        _load(url, params, SPEECH)
