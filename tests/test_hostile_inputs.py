"""Hostile files and texts of issue 25, at unit level: each is refused with one line, bounded in time and memory.

A demo .zip that lies about its members' sizes, lists thousands of entries, holds params.json twice or a
clip with a 300-character name; a params file whose analysis would need gigabytes; Python-form recipes of
1 MB; recipes with NUL or control characters; ``time_warp_factor=a+a+...``. The app-level and heavier
cases are in ``tests/test_space_guard.py`` and ``bench/abuse.py``.
"""

from __future__ import annotations

import errno
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
import soundfile as sf

from melwav import demofile, pipeline
from melwav.errors import DiskFullError, LimitError, RecordError


def _params_json() -> bytes:
    """A valid params file for a 1 s clip at 8 kHz (a demo's params are read before its clip)."""
    if not _PARAMS:
        from melwav.features import MelSettings
        from melwav.specaugment import SpecAugmentConfig

        y = (0.1 * np.sin(np.arange(8000) / 5.0)).astype(np.float32)
        analysis = pipeline.analyse(y, settings=MelSettings(sr=8000, n_fft=256, hop_length=64, n_mels=32))
        rendered = pipeline.render(analysis, SpecAugmentConfig(), seed=1, method="fgla", n_iter=1)
        _PARAMS.append(pipeline.params_for(analysis, rendered).to_json().encode())
    return _PARAMS[0]


_PARAMS: list = []


def _lying_zip(path, *, member: str, stated: int, actual: int, clip_name: str = "c.wav"):
    """A demo zip whose ``member`` says ``stated`` bytes in both headers and inflates to ``actual`` (spaces)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if member != clip_name:
            z.writestr(clip_name, b"RIFF")
        if member != demofile.PARAMS_NAME:
            z.writestr(demofile.PARAMS_NAME, _params_json())
        info = zipfile.ZipInfo(member)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w") as f:
            left = actual
            while left > 0:
                f.write(b" " * min(left, 1 << 20))
                left -= 1 << 20
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x01\x02", 24, 28, 46), (b"PK\x03\x04", 22, 26, 30)):
        i = data.find(sig)
        while i >= 0:
            n = struct.unpack_from("<H", data, i + name_len_at)[0]
            if data[i + name_at:i + name_at + n] == name:
                struct.pack_into("<I", data, i + size_at, stated)
            i = data.find(sig, i + 4)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("member", [demofile.PARAMS_NAME, "c.wav"])
def test_a_zip_that_lies_about_a_members_size_is_read_through_a_cap(tmp_path, member):
    """Bug: ZipFile.read inflated the whole params member (500 bytes stated, 1 GiB inside: +2 GB)."""
    path = _lying_zip(tmp_path / "liar.zip", member=member, stated=500, actual=48 << 20)
    assert path.stat().st_size < 1 << 20
    out = tmp_path / "out"
    out.mkdir()
    tracemalloc.start()
    try:
        with pytest.raises(RecordError, match=f"the demo file's {'params.json' if member == 'params.json' else 'clip'} "
                                              "is larger than its zip directory says"):
            demofile.read_demo(path, out, max_bytes=10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak / 2**20:.0f} MiB"  # 48 MiB before
    assert list(out.iterdir()) == []  # nothing half-written


def test_a_lie_the_sizes_cannot_show_is_read_through_the_cap(tmp_path, monkeypatch):
    """Past the size check (a member that says 200 kB, inflates to 48 MiB): the 64 kB steps and the cap hold."""
    path = _lying_zip(tmp_path / "liar.zip", member=demofile.PARAMS_NAME, stated=200_000, actual=48 << 20)
    monkeypatch.setattr(demofile, "MAX_PARAMS_BYTES", 100_000)
    tracemalloc.start()
    try:
        with pytest.raises(RecordError, match="params.json is 200000 bytes"):
            demofile.read_demo(path, tmp_path, max_bytes=10_000)
        monkeypatch.setattr(demofile, "MAX_PARAMS_BYTES", 1_000_000)
        with pytest.raises(RecordError, match="damaged or encrypted"):  # its CRC fails after 200 kB
            demofile.read_demo(path, tmp_path, max_bytes=10_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_a_zip_with_params_json_twice_gets_a_reason(tmp_path):
    """Bug: StopIteration ("Something went wrong inside melwav")."""
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as z, pytest.warns(UserWarning, match="Duplicate name"):
        z.writestr("params.json", _params_json())
        z.writestr("params.json", _params_json())
    with pytest.raises(RecordError, match="holds params.json twice"):
        demofile.read_demo(path, tmp_path, max_bytes=10_000)


def test_a_300_character_clip_name_gets_a_reason(tmp_path):
    """Bug: the clip's name became a file name past the file system's 255 bytes (an OSError)."""
    path = tmp_path / "long.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("params.json", _params_json())
        z.writestr("a" * 296 + ".wav", b"RIFF")
    with pytest.raises(RecordError, match=r"clip name has 300 characters \(at most 128\)"):
        demofile.read_demo(path, tmp_path, max_bytes=10_000)


def test_a_zip_listing_thousands_of_entries_is_refused_from_its_end_record(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(5000):
            z.writestr(f"{i}.wav", b"")
    with pytest.raises(RecordError, match="this one lists 5000 entries"):  # from the end record: no entry read
        demofile.read_demo(path, tmp_path, max_bytes=10_000)
    assert list(tmp_path.glob("*.wav")) == []


def _real_demo(tmp_path):
    clip = tmp_path / "lesson.wav"
    sf.write(clip, np.full(8000, 0.1, dtype=np.float32), 8000)
    analysis = pipeline.load_and_analyse(clip)
    from melwav.specaugment import SpecAugmentConfig

    rendered = pipeline.render(analysis, SpecAugmentConfig(), seed=1, method="fgla", n_iter=1)
    pipeline.write_params(tmp_path / "p.json", pipeline.params_for(analysis, rendered))
    return demofile.write_demo(tmp_path / "demo.zip", clip=clip, params_json=tmp_path / "p.json")


def test_a_full_disk_leaves_no_partial_clip(tmp_path, monkeypatch):
    """Bug: the clip was written in place: a full disk left a partial file under the clip's own name."""
    demo = _real_demo(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    real = demofile._read_capped
    calls = []

    def full_disk(z, info, cap, what, write=None):
        if write is None:
            return real(z, info, cap, what)
        calls.append(info.filename)
        write(b"RIFF0000")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(demofile, "_read_capped", full_disk)
    with pytest.raises(DiskFullError):
        demofile.read_demo(demo, out, max_bytes=10_000_000)
    assert calls == ["lesson.wav"] and list(out.iterdir()) == []
    monkeypatch.setattr(demofile, "_read_capped", real)
    clip, params = demofile.read_demo(demo, out, max_bytes=10_000_000)
    assert clip.read_bytes() == (tmp_path / "lesson.wav").read_bytes() and params.seed == 1


# ------------------------------------------------------------------------------------------ recipes


@pytest.mark.parametrize("text", [
    "SpecAugment(time_warp_factor=" + "+".join(["1"] * 450_000) + ")",  # lhotse
    "WhisperConfig(mask_time_prob=" + "+".join(["1"] * 450_000) + ")",  # Whisper
    "Wav2Vec2Config(mask_time_prob=" + "+".join(["1"] * 450_000) + ")",  # the wav2vec2 family
])
def test_python_form_recipes_are_capped_before_the_parser(text):
    """Bug: 1 MB went to ast.parse whole: 2-16 s and +200-450 MB each, SystemError with two at once."""
    from melwav import frameworks
    from melwav.errors import ParameterError

    tracemalloc.start()
    try:
        with pytest.raises(ParameterError, match=r": 9000[23]\d characters; melwav reads Python recipes of at most 20 kB"):
            frameworks.import_recipe(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20  # refused before the parser: 198 MB here before (and 1.9-3.1 s)


def test_a_long_sum_of_names_is_one_line_not_a_recursion_error():
    from melwav import frameworks
    from melwav.errors import ParameterError

    text = "SpecAugment(time_warp_factor=" + "+".join(["a"] * 500) + ")"
    with pytest.raises(ParameterError, match=r"time_warp_factor= must be a literal number .*an expression of 999 "
                                             r"characters; nothing was run"):
        frameworks.import_recipe(text)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x9b"])
def test_control_characters_in_a_recipe_are_one_line(char):
    """Bug: YAML's reader raised from the loader's constructor, outside the bounded parse (a CLI traceback)."""
    from melwav import frameworks
    from melwav.errors import ParameterError

    with pytest.raises(ParameterError, match=rf"control character \(U\+{ord(char):04X}\) at line 2"):
        frameworks.import_recipe(f"specaug_conf:\n  num_freq_mask: 2{char}\n")


def test_yaml_the_reader_refuses_is_one_line():
    from melwav.errors import ParameterError
    from melwav.frameworks import _common

    with pytest.raises(ParameterError, match="the YAML is malformed"):
        _common.load_yaml("a: \ufffe\n")


def test_the_cli_says_one_line_for_a_nul_in_a_recipe(tmp_path):
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    recipe = tmp_path / "nul.yaml"
    recipe.write_bytes(b"specaug_conf:\n  num_freq_mask: 2\x00\n")
    proc = subprocess.run([sys.executable, "-m", "melwav", str(root / "assets" / "speech.wav"), "--config",
                           str(recipe), "--export", "espnet"], cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "control character (U+0000) at line 2" in proc.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------------------------ analysis settings


def _big_params_text(n_iter=None) -> str:
    data = json.loads(_params_json())
    data["analysis"].update(sr=192000, n_fft=16384, hop_length=16, n_mels=512)
    data["reconstruction"]["n_iter"] = n_iter
    return json.dumps(data)


@pytest.mark.parametrize("n_iter", [None, 0])
def test_a_params_files_analysis_is_costed_from_the_header_before_any_work(tmp_path, n_iter):
    """Bug: the params' analysis block skipped every check; 1 s at 192 kHz / FFT 16384 / hop 16 / 512 mels took
    +1.5 GB and 7-25 s to analyse. With n_iter 0 the work units are 0: the analysis' own memory is the bound."""
    from melwav import limits

    clip = tmp_path / "one_second.wav"
    sf.write(clip, np.zeros(8000, dtype=np.float32) + 0.01, 8000)
    params = pipeline.loads_params(_big_params_text(n_iter))
    tracemalloc.start()
    try:
        with pytest.raises(LimitError, match=r"analysing this clip would need about 1,5\d\d MiB \(a 1.0 s clip, "
                                             r"12001 frames x 8193 FFT bins .* at most 0.\d+ s"):
            pipeline.check_file_render(clip, settings=params.settings, max_duration_s=30, method=params.method,
                                       n_iter=params.n_iter, budget=limits.server_budget())
        with pytest.raises(LimitError, match="analysing this clip would need"):
            pipeline.load_and_analyse(clip, settings=params.settings)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20  # refused before the STFT (1.5 GB)


def test_the_pages_largest_analysis_fits():
    from melwav import limits
    from melwav.features import MelSettings

    settings = MelSettings(sr=44100, n_fft=4096, hop_length=128, n_mels=128)
    limits.check_analysis(settings, settings.n_frames(30 * 44100))  # 30 s: ~340 MB
    with pytest.raises(LimitError, match=r"667 MiB .* at most 46.\d\d s"):
        limits.check_analysis(settings, settings.n_frames(60 * 44100))


def test_a_clip_not_yet_open_is_costed_with_its_originals_rebuild(tmp_path, monkeypatch):
    """Bug: the header check assumed the original's rebuild cached, so a render over the budget only with it was
    refused after decoding and analysing (1.3-1.9 s under load); a clip not yet open cannot have it cached."""
    from melwav import limits
    from melwav.features import MelSettings

    clip = tmp_path / "thirty.wav"
    sf.write(clip, np.zeros(30 * 22050, dtype=np.float32), 22050)
    kw = dict(settings=MelSettings(), max_duration_s=30, method="fgla-mel", n_iter=350, budget=limits.SERVER_BUDGET)
    pipeline.check_file_render(clip, **kw)  # with the original cached it fits
    monkeypatch.setattr(sf, "read", lambda *a, **k: pytest.fail("the clip was decoded"))  # the header only
    with pytest.raises(LimitError, match=r"over the work limit .* for 1 augmented rebuild, the original's rebuild"):
        pipeline.check_file_render(clip, original_cached=False, **kw)
