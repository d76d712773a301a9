"""Audio in and out (melwav.audio) and the mel analysis it feeds (melwav.features)."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
import soundfile as sf
from conftest import tone_noise

import melwav.audio as audio_mod
from melwav.audio import OUTPUT_PEAK, load_audio, write_wav
from melwav.errors import AudioError, ParameterError
from melwav.features import AMIN, MelSettings, logmel_to_power, mel_power, power_to_logmel


def _peak_hz(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


# -------------------------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("name, fmt, subtype", [
    ("a.wav", "WAV", "PCM_16"), ("a.flac", "FLAC", "PCM_16"), ("a.ogg", "OGG", "VORBIS"),
])
def test_formats_read(write_clip, name, fmt, subtype):
    path, data = write_clip(name, 0.5, 8000, format=fmt, subtype=subtype)
    a = load_audio(path, sr=8000)
    assert a.sr == 8000 and a.source_sr == 8000 and a.channels == 1 and a.name == name
    assert a.y.dtype == np.float32 and a.y.ndim == 1
    assert abs(len(a.y) - len(data)) <= (80 if fmt == "OGG" else 0)  # lossy codec: allow a little padding
    assert abs(_peak_hz(a.y, 8000) - 440) < 5

@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="this libsndfile has no MP3 support")
def test_mp3_read(write_clip):
    path, data = write_clip("a.mp3", 1.0, 22050, format="MP3", subtype="MPEG_LAYER_III")
    a = load_audio(path, sr=22050)
    # MP3 frames add encoder delay and padding; the content and the rough length survive.
    assert abs(len(a.y) - len(data)) <= 2 * 1152 and abs(_peak_hz(a.y, 22050) - 440) < 5



@pytest.mark.parametrize("subtype, tol", [("PCM_16", 1 / 32768 + 1e-7), ("PCM_32", 1e-7), ("FLOAT", 0.0)])
def test_sample_formats_decode_to_the_same_signal(write_clip, subtype, tol):
    path, data = write_clip("s.wav", 0.3, 8000, subtype=subtype)
    assert sf.info(str(path)).subtype == subtype
    a = load_audio(path, sr=8000)
    np.testing.assert_allclose(a.y, data, rtol=0, atol=tol)


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_channels_mixed_to_mono_by_averaging(write_clip, channels):
    path, data = write_clip("m.wav", 0.3, 8000, channels=channels, subtype="FLOAT")
    a = load_audio(path, sr=8000)
    assert a.channels == channels and a.y.ndim == 1
    want = data if channels == 1 else data.mean(axis=1)
    np.testing.assert_allclose(a.y, want, rtol=0, atol=1e-6)
    assert any(f"mixed {channels} channels" in n for n in a.notes) == (channels > 1)


@pytest.mark.parametrize("file_sr", [8000, 96000])
def test_resampled_to_the_analysis_rate_with_the_right_duration(write_clip, file_sr):
    duration = 0.4
    path, _ = write_clip("r.wav", duration, file_sr)
    a = load_audio(path, sr=22050)
    assert a.sr == 22050 and a.source_sr == file_sr
    assert abs(len(a.y) - duration * 22050) <= 1
    assert a.duration_s == pytest.approx(duration, abs=1e-4)
    assert abs(_peak_hz(a.y, 22050) - 440) < 5, "resampling must keep the pitch"
    assert any(f"resampled from {file_sr} Hz to 22050 Hz" in n for n in a.notes)


# ------------------------------------------------------------------------------------------- duration cap


@pytest.fixture
def long_file(write_clip):
    """40 s of 8 kHz 16-bit audio (640 kB)."""
    path, _ = write_clip("long.wav", 40.0, 8000)
    return path


def test_long_file_refused_naming_the_cap(long_file):
    with pytest.raises(AudioError, match=r"40\.0 s.*limit is 30 s"):
        load_audio(long_file, sr=8000)


def test_refusal_comes_from_the_header_before_decoding(long_file, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("the file was decoded")

    monkeypatch.setattr(sf, "read", no_decoding)
    with pytest.raises(AudioError, match="limit is 30 s"):
        load_audio(long_file, sr=8000)


def test_long_file_trimmed_with_a_note(long_file):
    a = load_audio(long_file, sr=8000, trim=True)
    assert a.trimmed and len(a.y) == 30 * 8000
    assert a.source_duration_s == pytest.approx(40.0)
    assert any("first 30 s" in n for n in a.notes)


def test_custom_cap(write_clip):
    path, _ = write_clip("c.wav", 2.0, 8000)
    with pytest.raises(AudioError, match="limit is 1.5 s"):
        load_audio(path, sr=8000, max_duration_s=1.5)
    assert load_audio(path, sr=8000, max_duration_s=2.0).duration_s == pytest.approx(2.0)


# ------------------------------------------------------------------------------------------ unusable input


def test_text_file_named_wav(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("this is not audio\n" * 20)
    with pytest.raises(AudioError, match="notes.wav"):
        load_audio(p)


def test_png_renamed_wav(tmp_path):
    p = tmp_path / "picture.wav"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + bytes(range(256)) * 4)
    with pytest.raises(AudioError, match="picture.wav"):
        load_audio(p)


def test_truncated_wav_is_read_with_a_note(write_clip, tmp_path):
    """libsndfile reads what is there (its frame count follows the file size); melwav must say so."""
    path, data = write_clip("full.wav", 1.0, 8000)
    blob = path.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(blob[: 44 + len(data)])  # header says 8000 frames (16000 bytes), half are there
    a = load_audio(cut, sr=8000)
    assert len(a.y) == len(data) // 2
    np.testing.assert_allclose(a.y, data[: len(data) // 2], atol=1 / 32768 + 1e-7)
    assert any("truncated" in n for n in a.notes), a.notes


def test_header_only_wav(write_clip, tmp_path):
    path, _ = write_clip("full.wav", 0.5, 8000)
    p = tmp_path / "hdr.wav"
    p.write_bytes(path.read_bytes()[:44])
    with pytest.raises(AudioError, match="no audio samples"):
        load_audio(p)


def test_cut_inside_the_header(write_clip, tmp_path):
    path, _ = write_clip("full.wav", 0.5, 8000)
    p = tmp_path / "half_header.wav"
    p.write_bytes(path.read_bytes()[:30])
    with pytest.raises(AudioError, match="half_header.wav"):
        load_audio(p)


def test_truncated_flac_is_an_audio_error(write_clip, tmp_path):
    # libsndfile cannot seek in a FLAC cut in half: melwav says so in one line, naming the file.
    path, data = write_clip("full.flac", 1.0, 8000, format="FLAC")
    p = tmp_path / "cut.flac"
    blob = path.read_bytes()
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(AudioError, match=r"^cut\.flac could not be decoded .*truncated\?$"):
        load_audio(p, sr=8000)


def test_zero_length_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(AudioError, match="empty"):
        load_audio(p)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "nope.wav")


def test_all_zero_audio_is_refused_as_silent(write_clip):
    path, _ = write_clip("zeros.wav", 0.5, 8000, data=np.zeros(4000, dtype=np.float32))
    with pytest.raises(AudioError, match="silent"):
        load_audio(path)


def test_nan_and_inf_samples_are_zeroed_with_a_note(write_clip):
    data = tone_noise(0.3, 8000)
    data[10], data[20], data[30] = np.nan, np.inf, -np.inf
    path, _ = write_clip("nan.wav", data=data, sr=8000, subtype="FLOAT")
    a = load_audio(path, sr=8000)
    assert np.isfinite(a.y).all()
    assert a.y[10] == 0 and a.y[20] == 0 and a.y[30] == 0
    np.testing.assert_array_equal(a.y[40:], data[40:])
    assert any("3 NaN/infinite" in n for n in a.notes)


def test_all_nan_is_refused(write_clip):
    path, _ = write_clip("allnan.wav", data=np.full(4000, np.nan, dtype=np.float32), sr=8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="finite"):
        load_audio(path)


def test_float_file_above_full_scale_is_scaled_with_a_note(write_clip):
    data = 3.0 * tone_noise(0.3, 8000, amp=1.0)
    path, _ = write_clip("loud.wav", data=data, sr=8000, subtype="FLOAT")
    a = load_audio(path, sr=8000)
    assert np.max(np.abs(a.y)) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(a.y, data / np.max(np.abs(data)), atol=1e-6)
    assert any("scaled down" in n for n in a.notes)


def test_short_clips(write_clip):
    path, _ = write_clip("short.wav", 0.1, 8000)
    a = load_audio(path, sr=22050)
    assert a.duration_s == pytest.approx(0.1, abs=1e-3)
    path, _ = write_clip("tiny.wav", 0.01, 8000)
    with pytest.raises(AudioError, match=r"10 ms.*at least 50 ms"):
        load_audio(path, sr=22050)


def test_bad_load_settings():
    with pytest.raises(ParameterError, match="max_duration_s"):
        load_audio("whatever.wav", max_duration_s=0)
    with pytest.raises(ParameterError, match="sr"):
        load_audio("whatever.wav", sr=100)


# -------------------------------------------------------------------------------------------------- writing


def test_write_wav_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "out.wav"
    target.write_bytes(b"previous")

    def broken_write(file, *args, **kwargs):
        with open(file, "r+b") as f:  # melwav hands libsndfile the temporary file by name
            f.write(b"RIFF" + b"\x00" * 100)  # half a file, then a failure
        raise OSError("disk full")

    monkeypatch.setattr(sf, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        write_wav(target, np.zeros(100, dtype=np.float32), sr=8000)
    assert target.read_bytes() == b"previous", "a failed write must leave the old file as it was"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"], "no temporary file may be left"
    new = tmp_path / "new.wav"
    with pytest.raises(OSError):
        write_wav(new, np.zeros(100, dtype=np.float32), sr=8000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_write_wav_protects_the_peak(tmp_path):
    y = 3.0 * tone_noise(0.2, 8000, amp=1.0)
    p = write_wav(tmp_path / "loud.wav", y, sr=8000)
    back, sr = sf.read(str(p), dtype="float32")
    assert sr == 8000 and len(back) == len(y)
    assert np.max(np.abs(back)) <= OUTPUT_PEAK + 1 / 32768
    assert np.max(np.abs(back)) > 0.9  # scaled, not crushed
    np.testing.assert_allclose(back, y * (OUTPUT_PEAK / np.max(np.abs(y))), atol=2 / 32768)


def test_write_wav_zeros_and_nan(tmp_path):
    p = write_wav(tmp_path / "z.wav", np.zeros(500, dtype=np.float32), sr=8000)
    back, _ = sf.read(str(p), dtype="float32")
    assert np.isfinite(back).all() and not back.any()
    y = np.full(500, 0.5, dtype=np.float32)
    y[::7] = np.nan
    back, _ = sf.read(str(write_wav(tmp_path / "n.wav", y, sr=8000, subtype="float")), dtype="float32")
    assert np.isfinite(back).all() and (back[::7] == 0).all() and back[1] == 0.5


def test_write_wav_subtypes(tmp_path):
    y = 0.5 * tone_noise(0.1, 8000, amp=1.0)
    pcm = write_wav(tmp_path / "pcm.wav", y, sr=8000)
    info = sf.info(str(pcm))
    assert (info.subtype, info.format, info.channels, info.samplerate) == ("PCM_16", "WAV", 1, 8000)
    flt = write_wav(tmp_path / "flt.wav", y, sr=8000, subtype="float")
    assert sf.info(str(flt)).subtype == "FLOAT"
    back, _ = sf.read(str(flt), dtype="float32")
    np.testing.assert_array_equal(back, y)
    with pytest.raises(ParameterError, match="subtype"):
        write_wav(tmp_path / "x.wav", y, sr=8000, subtype="mp3")
    with pytest.raises(ParameterError, match="mono"):
        write_wav(tmp_path / "x.wav", np.zeros((10, 2)), sr=8000)
    with pytest.raises(ParameterError, match="does not exist"):
        write_wav(tmp_path / "missing" / "x.wav", y, sr=8000)


def test_written_files_get_the_usual_permissions(tmp_path):
    """The temp file of an atomic write is private (0600); the result must have the mode open() would give."""
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"x")
    p = write_wav(tmp_path / "mode.wav", np.zeros(10), sr=8000)
    assert stat.S_IMODE(os.stat(p).st_mode) == stat.S_IMODE(os.stat(plain).st_mode)


def test_common_gain_keeps_clips_comparable():
    a, b = np.full(10, 2.0, dtype=np.float32), np.full(10, 0.5, dtype=np.float32)
    g = audio_mod.common_gain(a, b)
    assert g == pytest.approx(OUTPUT_PEAK / 2.0)
    assert audio_mod.common_gain(b) == 1.0


def test_common_gain_can_bring_quiet_clips_up_together():
    quiet, quieter = np.full(10, 0.01, dtype=np.float32), np.full(10, 0.001, dtype=np.float32)
    g = audio_mod.common_gain(quiet, quieter, max_boost_db=60.0)
    assert g == pytest.approx(OUTPUT_PEAK / 0.01)
    assert audio_mod.common_gain(quiet, quieter, max_boost_db=20.0) == pytest.approx(10.0)  # capped at +20 dB
    assert audio_mod.common_gain(np.zeros(5), max_boost_db=30.0) == 1.0


# ------------------------------------------------------------------------------------------------- analysis


def test_mel_shape_and_frame_count(small_settings):
    y = tone_noise(0.5, 8000)
    S = mel_power(y, settings=small_settings)
    assert S.shape == (32, small_settings.n_frames(len(y))) == (32, 1 + len(y) // 64)
    assert S.dtype == np.float32 and (S >= 0).all()


def test_logmel_inverse(small_settings):
    S = mel_power(tone_noise(0.3, 8000), settings=small_settings)
    L, ref = power_to_logmel(S)
    assert ref == pytest.approx(float(S.max()))
    assert L.max() == pytest.approx(0.0, abs=1e-4)
    assert L.min() >= 10 * np.log10(AMIN / ref) - 1e-3
    back = logmel_to_power(L, ref=ref)
    keep = S > 1e-6 * ref
    np.testing.assert_allclose(back[keep], S[keep], rtol=1e-4)


@pytest.mark.parametrize("kwargs, name", [({"n_fft": 256, "hop_length": 64, "n_mels": 200}, "n_mels"), ({"hop_length": 4096}, "hop"),
                                          ({"window": "kaiser"}, "window"), ({"fmax": 20000}, "fmax"),
                                          ({"sr": "22050"}, "sr")])
def test_mel_settings_refuse_bad_values(kwargs, name):
    with pytest.raises(ParameterError, match=name):
        MelSettings(**kwargs)


def test_mel_settings_dict_round_trip():
    s = MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80, fmin=20.0, fmax=7600.0)
    assert MelSettings.from_dict(s.to_dict()) == s
    with pytest.raises(ParameterError, match="bogus"):
        MelSettings.from_dict({**s.to_dict(), "bogus": 1})
    edges = s.band_edges_hz()
    assert len(edges) == 81 and edges[0] == pytest.approx(20.0) and edges[-1] == pytest.approx(7600.0)
    assert np.all(np.diff(edges) > 0)
