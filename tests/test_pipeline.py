"""The whole path (clip -> log-mel -> SpecAugment -> audio) and the params file that replays it."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from conftest import SMALL, tone_noise

from melwav import pipeline
from melwav.errors import ParameterError, RecordError
from melwav.features import MelSettings
from melwav.specaugment import AugmentRecord, MaskDraw, SpecAugmentConfig

FAST = {"method": "fgla", "n_iter": 4}
CONFIG = SpecAugmentConfig(warp_frames=6, freq_mask_bands=8, n_freq_masks=2, time_mask_frames=10, n_time_masks=2)


@pytest.fixture
def analysis():
    return pipeline.analyse(tone_noise(0.5, 8000), settings=SMALL, name="clip.wav")


@pytest.fixture
def rendered(analysis):
    return pipeline.render(analysis, CONFIG, seed=11, **FAST)


@pytest.fixture
def params_dict(analysis, rendered):
    return json.loads(pipeline.params_for(analysis, rendered, policy=None).to_json())


def test_analysis_shapes(analysis):
    assert analysis.n_samples == 4000 and analysis.n_mels == 32
    assert analysis.n_frames == 1 + 4000 // 64
    assert analysis.duration_s == pytest.approx(0.5)
    with pytest.raises(ParameterError):
        pipeline.analyse(np.zeros((10, 2)), settings=SMALL)


def test_render_output(analysis, rendered):
    assert rendered.y.shape == (analysis.n_samples,) and rendered.y.dtype == np.float32
    assert np.isfinite(rendered.y).all() and np.abs(rendered.y).max() > 0
    assert rendered.L_aug.shape == analysis.L.shape
    assert rendered.record.n_frames == analysis.n_frames


def test_same_seed_same_audio_different_seed_differs(analysis, rendered):
    again = pipeline.render(analysis, CONFIG, seed=11, **FAST)
    assert again.record == rendered.record and again.y.tobytes() == rendered.y.tobytes()
    other = pipeline.render(analysis, CONFIG, seed=12, **FAST)
    assert other.record != rendered.record and other.y.tobytes() != rendered.y.tobytes()


def test_params_json_round_trip(tmp_path, analysis, rendered):
    params = pipeline.params_for(analysis, rendered, policy="LD")
    path = pipeline.write_params(tmp_path / "p.json", params)
    back = pipeline.read_params(path)
    assert back == params
    assert back.to_dict() == params.to_dict()
    assert back.record == rendered.record and back.seed == 11 and back.policy == "LD"


def test_replay_is_bit_identical_from_a_cold_cache(tmp_path, analysis, rendered):
    params = pipeline.params_for(analysis, rendered)
    path = pipeline.write_params(tmp_path / "p.json", params)
    pipeline._ORIGINAL_REBUILDS.clear()  # nothing shared with the first render
    fresh = pipeline.analyse(tone_noise(0.5, 8000), settings=SMALL, name="clip.wav")
    again = pipeline.replay(fresh, pipeline.read_params(path))
    assert again.L_aug.tobytes() == rendered.L_aug.tobytes()
    assert again.y.tobytes() == rendered.y.tobytes()


def test_check_fits_other_clip_length(analysis, rendered):
    params = pipeline.params_for(analysis, rendered)
    longer = pipeline.analyse(tone_noise(0.6, 8000), settings=SMALL)
    with pytest.raises(RecordError, match="4000 samples"):
        pipeline.check_fits(params, longer)
    with pytest.raises(RecordError):
        pipeline.replay(longer, params)


def test_check_fits_other_analysis(analysis, rendered):
    params = pipeline.params_for(analysis, rendered)
    other = pipeline.analyse(analysis.y, settings=MelSettings(sr=8000, n_fft=256, hop_length=64, n_mels=40))
    with pytest.raises(RecordError, match="n_mels 32"):
        pipeline.check_fits(params, other)


def test_check_fits_record_shape_without_clip_length(analysis, rendered, params_dict):
    del params_dict["clip"]["n_samples"]
    params_dict["record"]["n_frames"] = analysis.n_frames + 3
    params_dict["record"]["time_masks"] = []
    params = pipeline.parse_params(params_dict)
    with pytest.raises(RecordError, match="frames"):
        pipeline.check_fits(params, analysis)


def _set(path, value):
    def mutate(d):
        *parents, last = path
        for key in parents:
            d = d[key]
        d[last] = value
    return mutate


def _delete(path):
    def mutate(d):
        *parents, last = path
        for key in parents:
            d = d[key]
        del d[last]
    return mutate


BAD_PARAMS = [
    ("unknown top key", _set(["colour"], "red"), "colour"),
    ("unknown record key", _set(["record", "shift"], 3), "shift"),
    ("unknown augment key", _set(["augment", "warp"], 3), "warp"),
    ("unknown analysis key", _set(["analysis", "gain"], 3), "gain"),
    ("wrong format", _set(["format"], "other"), "format"),
    ("wrong version", _set(["version"], 99), "version"),
    ("no record", _delete(["record"]), "record"),
    ("negative seed", _set(["seed"], -1), "seed"),
    ("non-integer seed", _set(["seed"], 2.5), "seed"),
    ("seed as text", _set(["seed"], "7"), "seed"),
    ("seed too large", _set(["seed"], 2**40), "seed"),
    ("n_mels as text", _set(["analysis", "n_mels"], "32"), "n_mels"),
    ("hop wrong type", _set(["analysis", "hop_length"], [64]), "hop_length"),
    ("analysis not a mapping", _set(["analysis"], [1, 2]), "analysis"),
    ("record not a mapping", _set(["record"], "x"), "record"),
    ("mask past the axis", _set(["record", "time_masks"], [[60, 10]]), "time_masks"),
    ("mask negative start", _set(["record", "freq_masks"], [[-1, 2]]), "freq_masks"),
    ("mask not a pair", _set(["record", "freq_masks"], [[1, 2, 3]]), "freq_masks"),
    ("mask width text", _set(["record", "freq_masks"], [[1, "2"]]), "freq_masks"),
    ("warp centre out of range", _set(["record", "warp"], {"center": 70, "distance": 1}), "warp"),
    ("warp destination past the end", _set(["record", "warp"], {"center": 30, "distance": 40}), "warp"),
    ("warp missing distance", _set(["record", "warp"], {"center": 30}), "warp"),
    ("record fill", _set(["record", "fill"], "noise"), "fill"),
    ("augment fill", _set(["augment", "fill"], "noise"), "fill"),
    ("augment negative count", _set(["augment", "n_time_masks"], -2), "n_time_masks"),
    ("p above one", _set(["augment", "max_time_ratio"], 1.5), "max_time_ratio"),
    ("order incomplete", _set(["record", "order"], ["warp", "time"]), "order"),
    ("notes not strings", _set(["record", "notes"], [1]), "notes"),
    ("method unknown", _set(["reconstruction", "method"], "wavenet"), "method"),
    ("n_iter negative", _set(["reconstruction", "n_iter"], -1), "n_iter"),
    ("clip not a mapping", _set(["clip"], 5), "clip"),
    ("clip length as text", _set(["clip", "n_samples"], "4000"), "n_samples"),
    ("policy not text", _set(["policy"], 3), "policy"),
]


@pytest.mark.parametrize("label, mutate, field", BAD_PARAMS, ids=[b[0] for b in BAD_PARAMS])
def test_malformed_params_name_the_field(params_dict, label, mutate, field):
    data = copy.deepcopy(params_dict)
    mutate(data)
    with pytest.raises((RecordError, ParameterError), match=field):
        pipeline.parse_params(data)


def test_params_that_do_not_fit_the_clip(analysis, params_dict):
    params_dict["record"]["n_frames"] = analysis.n_frames - 5
    params_dict["record"]["time_masks"] = []
    params_dict["record"]["warp"] = None
    with pytest.raises(RecordError, match="frames"):
        pipeline.replay(analysis, pipeline.parse_params(params_dict))


def test_params_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(RecordError, match="not valid JSON"):
        pipeline.read_params(bad)
    with pytest.raises(RecordError, match="no such params file"):
        pipeline.read_params(tmp_path / "missing.json")
    arr = tmp_path / "list.json"
    arr.write_text("[1, 2]")
    with pytest.raises(RecordError, match="JSON object"):
        pipeline.read_params(arr)


@pytest.mark.parametrize("fill, fill_db", [("floor", -80.0), ("value", -200.0), ("value", 50.0), ("mean", 0.0)])
def test_fully_masked_spectrogram_rebuilds_to_finite_audio(analysis, fill, fill_db):
    rec = AugmentRecord(analysis.n_mels, analysis.n_frames, freq_masks=(MaskDraw(0, analysis.n_mels),),
                        fill=fill, fill_db=fill_db)
    out = pipeline.render(analysis, SpecAugmentConfig(), seed=0, record=rec, **FAST)
    assert np.unique(out.L_aug).size == 1
    assert out.y.shape == (analysis.n_samples,) and np.isfinite(out.y).all()


def test_fully_masked_by_config_with_F_at_least_n_mels(analysis):
    cfg = SpecAugmentConfig(freq_mask_bands=64, n_freq_masks=20, fill="floor")
    out = pipeline.render(analysis, cfg, seed=3, **FAST)
    assert np.isfinite(out.y).all()
    assert any("F cut" in n for n in out.record.notes)


def test_original_rebuild_cache_cannot_be_corrupted_by_a_caller(analysis):
    first = pipeline.rebuild_original(analysis, **FAST)
    keep = first.y.copy()
    try:
        first.y[:] = 0.0
    except ValueError:
        pass  # read-only: good
    again = pipeline.rebuild_original(analysis, **FAST)
    np.testing.assert_array_equal(again.y, keep)


def test_rebuilt_logmel_on_the_original_reference(analysis, rendered):
    L = pipeline.rebuilt_logmel(rendered.y, analysis=analysis)
    assert L.shape == analysis.L.shape and np.isfinite(L).all()
    same = pipeline.rebuilt_logmel(analysis.y, analysis=analysis)
    np.testing.assert_allclose(same, analysis.L, atol=1e-3)


def test_load_and_analyse(write_clip):
    path, _ = write_clip("c.wav", 0.5, 16000)
    a = pipeline.load_and_analyse(path, settings=SMALL)
    assert a.n_samples == 4000 and a.name == "c.wav"
    assert any("resampled" in n for n in a.notes)


def test_record_fill_db_outside_the_config_range_is_refused_at_parse(params_dict):
    params_dict["record"]["fill"] = "value"
    params_dict["record"]["fill_db"] = 400.0
    with pytest.raises(RecordError, match="fill_db"):
        pipeline.parse_params(params_dict)


def test_explain_in_seconds_hz_and_paper_units():
    from melwav.explain import describe, summary_line
    from melwav.specaugment import WarpDraw, policy

    settings = MelSettings()  # hop 512 at 22050 Hz = 23.22 ms, 128 mels
    rec = AugmentRecord(128, 344, warp=WarpDraw(100, -10), freq_masks=(MaskDraw(10, 43),),
                        time_masks=(MaskDraw(50, 43), MaskDraw(7, 0)), fill="floor")
    line = summary_line(rec, settings=settings)
    assert "100->90" in line and "bands 10-53" in line
    assert "frames width 0, 50-93" in line  # time order; a zero-width mask says so (not "7-7")
    text = describe(rec, settings=settings, policy=policy("LD"))
    # 43 frames x 23.22 ms = 0.998 s = 100 of the paper's 10 ms frames; 43 of 128 bands = 34% = about 27 of 80
    assert "43 frames = 1.00 s (= 100 of the paper's 10 ms frames)" in text
    assert "34% of the mel scale" in text and "about 27 of the paper's 80 channels" in text
    assert "26.9" not in text
    assert "earlier" in text and "1 of 2 drawn with width > 0" in text and "silence" in text


def test_explain_numbers_time_masks_in_time_order():
    from melwav.explain import describe, time_order

    settings = MelSettings()
    rec = AugmentRecord(128, 344, time_masks=(MaskDraw(200, 10), MaskDraw(20, 5), MaskDraw(90, 0), MaskDraw(100, 3)),
                        fill="stage_mean")
    assert [m.start for m in time_order(rec.time_masks)] == [20, 100, 200]
    text = describe(rec, settings=settings)
    first, second, third = (text.index(f"  {k}. ") for k in (1, 2, 3))
    assert first < second < third
    assert text[first:].startswith(f"  1. {20 * settings.hop_ms / 1000:.2f} s")
    assert text[third:].startswith(f"  3. {200 * settings.hop_ms / 1000:.2f} s")
    assert "recomputed before each stage" in text


@pytest.mark.parametrize("fill", ["mean", "floor", "value", "stage_mean", "absolute", "band_mean"])
def test_every_fill_mode_is_described_in_words(analysis, fill):
    from melwav import explain
    from melwav.specaugment import FILL_MODES, apply, fill_value

    assert fill in FILL_MODES
    record = AugmentRecord(analysis.n_mels, analysis.n_frames, freq_masks=(MaskDraw(2, 3),), fill=fill)
    apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    level = fill_value(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    text = explain.describe(record, settings=analysis.settings, fill_db=level)
    assert f"filled with {explain.FILL_WORDS[fill]}" in text
