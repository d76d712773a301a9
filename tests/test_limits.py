"""Bounded work per request, params files that cannot flood a page, files and memory that do not pile up.

Each case here was an abuse found in issue 15; time and memory bounds are asserted loosely (they only
have to tell "refused before the work" from "did the work"). bench/abuse.py prints the figures.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import SMALL, tone_noise

from melwav import cli, limits, pipeline
from melwav import reconstruction as rc
from melwav.errors import Cancelled, DiskFullError, LimitError, ParameterError, RecordError, check_int
from melwav.explain import describe, escape_markdown
from melwav.features import MelSettings
from melwav.reconstruction import reconstruct
from melwav.specaugment import AugmentRecord, SpecAugmentConfig

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: The issue's four-minute render: 30 s at 44.1 kHz, FFT 4096, hop 128, 200 iterations, rebuilt-mel panel.
HEAVY = MelSettings(sr=44100, n_fft=4096, hop_length=128, n_mels=128)


def _analysis(seconds=1.0, settings=SMALL):
    return pipeline.analyse(tone_noise(seconds, settings.sr), settings=settings, name="clip.wav")


# ----------------------------------------------------------------------------------- work budget


def test_the_four_minute_render_is_refused_before_any_work():
    frames = HEAVY.n_frames(30 * 44100)
    cost = limits.render_cost(HEAVY, frames, method="fgla-mel", n_iter=200, rebuilt_mel=True)
    # 200 for the original, 200 for the augmented base, 200 for its time masks (on at most all the frames),
    # 1 for the panel
    assert rc.LOCAL_MAX_SHARE == 1.0 and cost.iterations == 601
    with pytest.raises(LimitError) as info:
        limits.check_cost(cost, budget=limits.SERVER_BUDGET, duration_s=30.0)
    msg = str(info.value)
    # It says by how much, and what to change (iterations, hop, FFT size, clip length), in one line.
    assert "over the work limit" in msg and "10336 frames x FFT 4096 x 601 iterations" in msg
    assert "iterations" in msg and "larger hop" in msg and "smaller FFT" in msg and "\n" not in msg
    # Its advice fits: the iterations it names, asked for, are within the budget.
    fit = int(re.search(r"try at most (\d+) iterations", msg).group(1))
    assert fit == 15  # (2e9 / (10336 x 4096) - 2) / 3
    assert limits.render_cost(HEAVY, frames, method="fgla-mel", n_iter=fit, rebuilt_mel=True).units <= \
        limits.SERVER_BUDGET


def test_default_settings_on_the_longest_clip_fit_the_server_budget():
    settings = MelSettings()
    cost = limits.render_cost(settings, settings.n_frames(30 * 22050), method="fgla-mel", n_iter=None,
                              rebuilt_mel=True)
    assert cost.units < limits.SERVER_BUDGET / 4


def test_render_checks_the_budget_before_reconstructing(monkeypatch):
    analysis = _analysis()
    calls = []
    monkeypatch.setattr(pipeline, "reconstruct", lambda *a, **k: calls.append(1))
    with pytest.raises(LimitError, match="over the work limit"):
        pipeline.render(analysis, SpecAugmentConfig(), seed=1, method="fgla", n_iter=200, budget=1e6)
    assert calls == []


def test_a_cached_original_is_not_counted_twice():
    analysis = _analysis(0.5)
    before = pipeline.check_render(analysis, method="fgla", n_iter=3)
    pipeline.rebuild_original(analysis, method="fgla", n_iter=3)
    after = pipeline.check_render(analysis, method="fgla", n_iter=3)
    # 3 for the original (until cached), 3 for the augmented base and 3 for its time masks (70% of 3, rounded up)
    assert (before.iterations, after.iterations) == (9, 6)


def test_solo_and_variety_are_counted_and_refused_before_work(monkeypatch):
    from melwav import lab

    analysis = _analysis()
    solo = pipeline.check_render(analysis, method="fgla", n_iter=10, n_renders=3)
    # three operations (10 for the base, 10 for time masks on at most all the frames) + the original
    assert solo.iterations == 70 and solo.rebuilds == 4
    monkeypatch.setattr(lab, "plot_thumbnail", lambda *a, **k: pytest.fail("plotted before the check"))
    with pytest.raises(LimitError, match="for 8 thumbnails"):
        lab.variety(analysis, SpecAugmentConfig(), first_seed=0, n=8, budget=10.0)


def test_cli_refuses_over_its_budget_and_the_flag_lifts_it(tmp_path, capsys, monkeypatch):
    import soundfile as sf

    clip = tmp_path / "c.wav"
    sf.write(clip, tone_noise(0.5, 8000), 8000)
    monkeypatch.setattr(limits, "CLI_BUDGET", 1e5)
    args = [str(clip), "--sr", "8000", "--n-fft", "256", "--hop", "64", "--n-mels", "32", "--method", "fgla",
            "--n-iter", "4", "-o", str(tmp_path / "o.wav")]
    assert cli.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("melwav: error: this request is") and "\n" not in err
    assert cli.main([*args, "--no-work-limit"]) == 0
    assert (tmp_path / "o.wav").exists()


# ------------------------------------------------------------------------------------ deadlines


def test_a_deadline_stops_the_reconstruction_loop():
    a = _analysis()
    calls = []

    def cancel():
        calls.append(1)
        if len(calls) > 5:
            raise Cancelled("stop")

    with pytest.raises(Cancelled):
        reconstruct(a.S, settings=SMALL, method="fgla-mel", n_iter=50, cancel=cancel)
    assert len(calls) == 6  # once before the work, then once per iteration
    with pytest.raises(Cancelled, match="time limit"):
        reconstruct(a.S, settings=SMALL, n_iter=50, cancel=limits.Deadline(0.0))
    with pytest.raises(Cancelled, match="gone"):
        reconstruct(a.S, settings=SMALL, n_iter=50, cancel=limits.Deadline(None, gone=lambda: True))


def test_a_deadline_that_does_not_fire_changes_nothing():
    a = _analysis()
    for method, n_iter in (("fgla-mel", None), ("fgla", 7)):
        plain = reconstruct(a.S, settings=SMALL, method=method, n_iter=n_iter, seed=3)
        timed = reconstruct(a.S, settings=SMALL, method=method, n_iter=n_iter, seed=3,
                            cancel=limits.Deadline(600, gone=lambda: False))
        assert np.array_equal(plain.y, timed.y) and np.array_equal(plain.phase, timed.phase)
        assert plain.n_iter == timed.n_iter


def test_a_stopped_original_is_not_cached():
    a = _analysis(0.7)
    with pytest.raises(Cancelled):
        pipeline.render(a, SpecAugmentConfig(), seed=1, method="fgla", n_iter=5, cancel=limits.Deadline(0.0))
    assert (a.key, "fgla", 5) not in pipeline._ORIGINAL_REBUILDS


# ----------------------------------------------------------------------------- librosa memory


def test_librosa_method_is_refused_where_it_cannot_fit_before_starting(monkeypatch):
    import librosa

    settings = MelSettings()
    # 30 s at the defaults: scipy's solver would reserve 8.1 GiB (the figure).
    assert limits.librosa_peak_bytes(settings, settings.n_frames(30 * 22050)) / 2**30 == pytest.approx(8.1, abs=0.1)
    started = []
    monkeypatch.setattr(librosa.feature.inverse, "mel_to_stft", lambda *a, **k: started.append(1))
    y = tone_noise(30.0, 22050, amp=0.3)
    analysis = pipeline.analyse(y, settings=settings)
    t0 = time.perf_counter()
    with pytest.raises(LimitError, match=r"librosa method would need about 8\.\d GiB.*use fgla-mel"):
        pipeline.render(analysis, SpecAugmentConfig(), method="librosa")
    assert time.perf_counter() - t0 < 2.0 and started == []
    # At 44.1 kHz / 4096, 259 frames (0.75 s) overflow scipy's 32-bit work index: a segfault, so refused
    # whatever the memory allowed.
    with pytest.raises(LimitError):
        limits.check_librosa(HEAVY, 259, max_bytes=2**50)
    limits.check_librosa(SMALL, SMALL.n_frames(2 * 8000))  # a small clip is fine


# ----------------------------------------------------------------------------------- params files


def _params(tmp_path, **record_changes):
    a = _analysis(0.5)
    rendered = pipeline.render(a, SpecAugmentConfig(n_time_masks=1, time_mask_frames=5), seed=2, method="fgla",
                               n_iter=1)
    data = pipeline.params_for(a, rendered).to_dict()
    data["record"].update(record_changes)
    return data


def test_params_notes_are_capped(tmp_path):
    data = _params(tmp_path, notes=["a note"] * 20_000)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    t0 = time.perf_counter()
    with pytest.raises(RecordError, match="'record.notes' must be a list of at most 16 texts"):
        pipeline.read_params(path)
    assert time.perf_counter() - t0 < 2.0
    with pytest.raises(RecordError, match="at most 300 characters"):
        pipeline.parse_params(_params(tmp_path, notes=["x" * 301]))
    with pytest.raises(RecordError, match="at most 64 characters"):
        pipeline.parse_params(_params(tmp_path, convention="y" * 65))
    big = dict(_params(tmp_path), clip={"name": "n" * 256})
    with pytest.raises(RecordError, match="clip.name"):
        pipeline.parse_params(big)
    path.write_text(" " * (pipeline.MAX_PARAMS_BYTES + 1))
    with pytest.raises(RecordError, match="larger than 1000 kB"):
        pipeline.read_params(path)


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"format": "melwav-params", "seed": ' + "7" * 5000 + "}", "number too long"),
])
def test_hostile_json_is_one_line(tmp_path, capsys, text, message):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(RecordError, match=message):
        pipeline.read_params(path)
    clip = tmp_path / "c.wav"
    import soundfile as sf

    sf.write(clip, tone_noise(0.3, 8000), 8000)
    assert cli.main([str(clip), "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_text_from_a_file_is_inert_in_markdown():
    rec = AugmentRecord(SMALL.n_mels, 20, notes=("<img src=x onerror=alert(1)> <b>bold</b> [a](http://e.vil)",),
                        convention="<a href=//x>c</a>")
    text = describe(rec, settings=SMALL)
    assert "<img" not in text and "<b>" not in text and "<a " not in text and "](" not in text
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert escape_markdown("x" * 1000).endswith("…") and len(escape_markdown("x" * 1000)) == 500


def test_messages_show_the_size_of_a_huge_value_not_the_value():
    with pytest.raises(ParameterError, match=r"^seed must be between 0 and 4294967295, got an integer of about 5001"):
        check_int("seed", 10**5000, low=0, high=pipeline.MAX_SEED)
    with pytest.raises(ParameterError, match="a str of 100000 characters"):
        check_int("seed", "9" * 100_000, low=0)


# ------------------------------------------------------------------------------ files and memory


def test_caches_are_bounded_in_bytes():
    cache = pipeline._LRU(16, max_bytes=10_000)
    for i in range(8):
        cache.put(i, np.zeros(1000, dtype=np.float32))  # 4 kB each
    assert len(cache) == 2 and cache.bytes == 8000 and cache.get(7) is not None and cache.get(5) is None
    cache.put("huge", np.zeros(100_000, dtype=np.float32))
    assert cache.get("huge") is None and cache.bytes <= 10_000


def test_sweep_removes_what_a_dead_process_left(tmp_path):
    now = time.time()
    old_dir, fresh_dir = tmp_path / "old", tmp_path / "fresh"
    for d in (old_dir, fresh_dir):
        d.mkdir()
        (d / "a.wav").write_bytes(b"0")
    old_file = tmp_path / "stale.bin"
    old_file.write_bytes(b"0")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir(exist_ok=True)
    (outside / "keep.txt").write_text("k")
    link = tmp_path / "link"
    link.symlink_to(outside)
    for p in (old_dir / "a.wav", old_dir, old_file):
        os.utime(p, (now - 7200, now - 7200))
    os.utime(link, (now - 7200, now - 7200), follow_symlinks=False)
    empty = tmp_path / "vibe_edit_history"  # Gradio's own working folder: nothing to free, kept
    empty.mkdir()
    os.utime(empty, (now - 7200, now - 7200))
    assert limits.sweep_stale(tmp_path, max_age_s=3600) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh", "vibe_edit_history"]
    assert (outside / "keep.txt").exists()  # a link is removed, never followed


def test_app_start_up_sweeps_an_earlier_process_files(tmp_path):
    gradio_dir, work = tmp_path / "gradio", tmp_path / "work"
    stale = [gradio_dir / "0a1b" / "speech.wav", work / "deadbeef" / "clip_original.wav"]
    fresh = gradio_dir / "2c3d" / "new.wav"
    for p in (*stale, fresh):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"RIFF")
    past = time.time() - 2 * 3600
    for p in stale:
        os.utime(p, (past, past))
        os.utime(p.parent, (past, past))
    env = dict(os.environ, GRADIO_TEMP_DIR=str(gradio_dir), MELWAV_WORK_DIR=str(work))
    code = "import app, time; time.sleep(0.5)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120, capture_output=True)
    assert [p.exists() for p in stale] == [False, False] and fresh.exists()


def test_memory_is_handed_back_to_the_os():
    assert limits.release_memory() is True  # glibc here; False (and harmless) elsewhere


def test_the_heap_is_trimmed_once_the_requests_stop(monkeypatch):
    trims = []
    monkeypatch.setattr(limits, "release_memory", lambda: trims.append(time.monotonic()))
    started = time.monotonic()
    for _ in range(3):  # a burst of requests: each one puts the trim off
        limits.release_memory_when_quiet(0.3)
        time.sleep(0.1)
    assert trims == []
    time.sleep(0.6)
    assert len(trims) == 1 and trims[0] - started >= 0.5


def test_disk_full_is_one_line_in_the_cli(tmp_path, capsys, monkeypatch):
    import shutil

    import soundfile as sf

    clip = tmp_path / "c.wav"
    sf.write(clip, tone_noise(0.3, 8000), 8000)
    out = tmp_path / "o.wav"
    args = [str(clip), "--sr", "8000", "--n-fft", "256", "--hop", "64", "--n-mels", "32", "--method", "fgla",
            "--n-iter", "2", "-o", str(out)]

    # soundfile reports a full disk as an AssertionError (fewer frames written than given).
    def short_write(*a, **k):
        raise AssertionError

    monkeypatch.setattr(sf, "write", short_write)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err == f"melwav: error: no space left on the device to write {out}\n"
    assert not list(tmp_path.glob(".o.wav.*"))  # no half-written temporary file


def test_disk_full_as_enospc_is_a_disk_full_error(tmp_path, monkeypatch):
    import errno

    from melwav.audio import atomic_write

    def fill(f):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DiskFullError, match="no space left on the device to write"):
        atomic_write(tmp_path / "x.bin", fill)


def test_output_folder_as_file_is_named_without_temp_paths(tmp_path, capsys):
    import soundfile as sf

    clip = tmp_path / "c.wav"
    sf.write(clip, tone_noise(0.3, 8000), 8000)
    assert cli.main([str(clip), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"melwav: error: -o {tmp_path} is a folder; give a file name (e.g. {tmp_path / 'out'})\n"
    assert ".part" not in err


def test_seed_range_is_printed_in_full(tmp_path, capsys):
    import soundfile as sf

    clip = tmp_path / "c.wav"
    sf.write(clip, tone_noise(0.3, 8000), 8000)
    assert cli.main([str(clip), "--seed", "5000000000"]) == 2
    assert "between 0 and 4294967295" in capsys.readouterr().err
