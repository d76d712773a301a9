"""The command line, ``python -m melwav`` (one real subprocess run of the issue's command, the rest in-process)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import ASSETS, REPO

from melwav import cli, pipeline

SPEECH = ASSETS / "speech.wav"
MUSIC = ASSETS / "music.wav"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_assets_exist():
    for path in (SPEECH, MUSIC):
        info = sf.info(str(path))
        assert info.frames > 0 and info.samplerate > 0


@pytest.fixture(scope="module")
def issue_run(tmp_path_factory):
    """The issue's command, run as a user would (subprocess, cwd the repo root), into a temporary folder."""
    out = tmp_path_factory.mktemp("issue")
    cmd = [sys.executable, "-m", "melwav", "assets/speech.wav", "-o", str(out / "warped.wav"), "--policy", "LD",
           "--seed", "7", "--save-mel", str(out / "warped_mel.npy"), "--save-plot", str(out / "warped.png"),
           "--save-params", str(out / "warped.json")]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    return out, proc


def test_issue_command_succeeds(issue_run):
    out, proc = issue_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "speech.wav" in proc.stdout and "LD seed 7" in proc.stdout


def test_issue_command_wav(issue_run):
    out, _ = issue_run
    info = sf.info(str(out / "warped.wav"))
    src = sf.info(str(SPEECH))
    assert info.samplerate == 22050 and info.channels == 1 and info.subtype == "PCM_16"
    # speech.wav is already at 22050 Hz, so the rebuilt clip has exactly its length
    assert src.samplerate == 22050 and info.frames == src.frames
    y, _ = sf.read(str(out / "warped.wav"), dtype="float32")
    assert np.isfinite(y).all() and 0 < np.abs(y).max() <= 0.98 + 1 / 32768


def test_issue_command_mel(issue_run):
    out, _ = issue_run
    mel = np.load(out / "warped_mel.npy")
    n_frames = 1 + sf.info(str(SPEECH)).frames // 512
    assert mel.shape == (128, n_frames) and mel.dtype == np.float32 and np.isfinite(mel).all()


def test_issue_command_png(issue_run):
    out, _ = issue_run
    blob = (out / "warped.png").read_bytes()
    assert blob[:8] == PNG_SIGNATURE and blob[12:16] == b"IHDR"
    width, height = struct.unpack(">II", blob[16:24])
    assert width >= 300 and height >= 200
    assert blob.rstrip(b"\x00")[-8:-4] == b"IEND"


def test_issue_command_params(issue_run):
    out, _ = issue_run
    data = json.loads((out / "warped.json").read_text())
    params = pipeline.parse_params(data)
    assert params.policy == "LD" and params.seed == 7
    # LD converted to hop 512 at 22050 Hz and 128 mels
    assert (params.config.warp_frames, params.config.freq_mask_bands, params.config.time_mask_frames) == (34, 43, 43)
    assert params.record.n_frames == 1 + sf.info(str(SPEECH)).frames // 512 and params.record.n_mels == 128
    assert len(params.record.freq_masks) == 2 and len(params.record.time_masks) == 2


def test_issue_command_leaves_no_temporary_files(issue_run):
    out, _ = issue_run
    assert sorted(p.name for p in out.iterdir()) == ["warped.json", "warped.png", "warped.wav", "warped_mel.npy"]


def test_params_replay_gives_identical_bytes(issue_run, tmp_path, capsys):
    out, _ = issue_run
    rc = cli.main([str(SPEECH), "-o", str(tmp_path / "same.wav"), "--params", str(out / "warped.json"),
                   "--save-mel", str(tmp_path / "same.npy")])
    assert rc == 0, capsys.readouterr().err
    assert (tmp_path / "same.wav").read_bytes() == (out / "warped.wav").read_bytes()
    assert np.load(tmp_path / "same.npy").tobytes() == np.load(out / "warped_mel.npy").tobytes()


@pytest.mark.parametrize("extra, named", [(["--seed", "3"], "--seed"), (["--n-mels", "80", "--p", "0.5"], "--p"),
                                          (["--method", "fgla"], "--method")])
def test_params_replay_refuses_options_it_would_ignore(issue_run, tmp_path, capsys, extra, named):
    out, _ = issue_run
    target = tmp_path / "x.wav"
    rc = cli.main([str(SPEECH), "-o", str(target), "--params", str(out / "warped.json"), *extra])
    err = capsys.readouterr().err
    assert rc == 2 and "cannot change a replay" in err and named in err
    assert not target.exists()


def test_help():
    proc = subprocess.run([sys.executable, "-m", "melwav", "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0
    for name in ("LB", "LD", "SM", "SS", "--policy", "--params", "--seed"):
        assert name in proc.stdout


def test_error_in_a_real_process_has_no_traceback(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    proc = subprocess.run([sys.executable, "-m", "melwav", str(bad), "-o", str(tmp_path / "o.wav")], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("melwav: error: ") and "notes.wav" in lines[0]
    assert not (tmp_path / "o.wav").exists()


# ------------------------------------------------------------------------------------ in-process errors


@pytest.fixture
def small_clip(write_clip):
    path, _ = write_clip("in.wav", 0.5, 8000)
    return path


def _run_error(argv, capsys, tmp_path, expect):
    rc = cli.main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("melwav: error: ") and "Traceback" not in err
    assert expect in lines[0]
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name not in {"in.wav", "notes.wav", "p.json"})
    assert leftovers == [], f"output left behind: {leftovers}"


SMALL_ANALYSIS = ["--sr", "8000", "--n-fft", "256", "--hop", "64", "--n-mels", "32"]
SMALL_ARGS = SMALL_ANALYSIS + ["--method", "fgla", "--n-iter", "3"]

BAD_ARGS = [
    ("bad policy", ["--policy", "XX"], "policy"),
    ("negative time masks", ["--n-time-masks", "-1"], "n_time_masks"),
    ("p above one", ["--p", "1.5"], "max_time_ratio"),
    ("negative seed", ["--seed", "-1"], "seed"),
    ("negative warp ms", ["--warp-ms", "-5"], "--warp-ms"),
    ("bad method", ["--method", "wavenet"], "method"),
    ("n_mels too many", ["--n-mels", "500"], "n_mels"),
]


@pytest.mark.parametrize("label, extra, expect", BAD_ARGS, ids=[b[0] for b in BAD_ARGS])
def test_bad_options_exit_2_with_one_line(small_clip, tmp_path, capsys, label, extra, expect):
    argv = [str(small_clip), "-o", str(tmp_path / "out.wav"), "--save-params", str(tmp_path / "out.json")]
    argv += (SMALL_ANALYSIS if "--method" in extra else SMALL_ARGS) + extra
    _run_error(argv, capsys, tmp_path, expect)


def test_non_audio_input(tmp_path, capsys):
    bad = tmp_path / "notes.wav"
    bad.write_text("hello")
    _run_error([str(bad), "-o", str(tmp_path / "out.wav")], capsys, tmp_path, "notes.wav")


def test_missing_input(tmp_path, capsys):
    _run_error([str(tmp_path / "gone.wav"), "-o", str(tmp_path / "out.wav")], capsys, tmp_path, "no such file")


def test_malformed_params_file(small_clip, tmp_path, capsys):
    (tmp_path / "p.json").write_text("{oops")
    _run_error([str(small_clip), "-o", str(tmp_path / "out.wav"), "--params", str(tmp_path / "p.json")], capsys,
               tmp_path, "JSON")


def test_params_with_a_mask_past_the_axis(small_clip, tmp_path, capsys):
    assert cli.main([str(small_clip), "--save-params", str(tmp_path / "p.json"), "--policy", "LB"] + SMALL_ARGS) == 0
    data = json.loads((tmp_path / "p.json").read_text())
    data["record"]["time_masks"] = [[data["record"]["n_frames"] - 1, 5]]
    (tmp_path / "p.json").write_text(json.dumps(data))
    capsys.readouterr()
    _run_error([str(small_clip), "-o", str(tmp_path / "out.wav"), "--params", str(tmp_path / "p.json")], capsys,
               tmp_path, "time_masks")


def test_params_made_for_another_clip(small_clip, write_clip, tmp_path, capsys):
    assert cli.main([str(small_clip), "--save-params", str(tmp_path / "p.json"), "--policy", "LB"] + SMALL_ARGS) == 0
    other, _ = write_clip("notes.wav", 0.7, 8000)  # (named so the leftover check ignores it)
    capsys.readouterr()
    _run_error([str(other), "-o", str(tmp_path / "out.wav"), "--params", str(tmp_path / "p.json")], capsys,
               tmp_path, "samples")


def test_small_run_with_float_output_and_original(small_clip, tmp_path, capsys):
    rc = cli.main([str(small_clip), "-o", str(tmp_path / "a.wav"), "--save-original", str(tmp_path / "o.wav"),
                   "--float", "--time-mask-ms", "100", "--n-time-masks", "2", "--fill", "floor"] + SMALL_ARGS)
    assert rc == 0, capsys.readouterr().err
    for name in ("a.wav", "o.wav"):
        info = sf.info(str(tmp_path / name))
        assert info.subtype == "FLOAT" and info.samplerate == 8000 and info.frames == 4000


def test_params_with_non_string_order_is_a_clean_error(small_clip, tmp_path, capsys):
    assert cli.main([str(small_clip), "--save-params", str(tmp_path / "p.json")] + SMALL_ARGS) == 0
    data = json.loads((tmp_path / "p.json").read_text())
    data["record"]["order"] = ["warp", 1, "time"]
    (tmp_path / "p.json").write_text(json.dumps(data))
    capsys.readouterr()
    _run_error([str(small_clip), "-o", str(tmp_path / "out.wav"), "--params", str(tmp_path / "p.json")], capsys,
               tmp_path, "order")
