"""The framework draw conventions (melwav.frameworks): ranges over many seeds, replay, the warps."""

import math

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError, RecordError
from melwav.frameworks import lingvo
from melwav.frameworks._resample import resize_bicubic

N_DRAWS = 2000


def draws(convention, n_mels=80, n_frames=300, seed=0, n=N_DRAWS, **cfg):
    config = A.SpecAugmentConfig(convention=convention, **cfg)
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng) for _ in range(n)]


def widths(records, axis):
    return [m.width for r in records for m in (r.freq_masks if axis == "freq" else r.time_masks)]


def stops(records, axis):
    return [m.stop for r in records for m in (r.freq_masks if axis == "freq" else r.time_masks)]


def test_registered():
    for name in FW.FRAMEWORKS:
        assert name in A.conventions()
        A.SpecAugmentConfig(convention=name)


# ------------------------------------------------------------------------------------------ torchaudio


def test_torchaudio_widths_exclusive():
    recs = draws("torchaudio", freq_mask_bands=27, n_freq_masks=1, time_mask_frames=100, n_time_masks=1)
    fw, tw = widths(recs, "freq"), widths(recs, "time")
    assert min(fw) == 0 and max(fw) == 26
    assert min(tw) == 0 and max(tw) == 99
    # start = int(U * (axis - v)) with v unfloored: a mask never reaches the last cell
    assert max(stops(recs, "freq")) <= 79 and max(stops(recs, "time")) <= 299
    assert all(r.order == ("warp", "time", "freq") and r.warp is None for r in recs)


def test_torchaudio_p_caps_time_and_freq():
    recs = draws("torchaudio", freq_mask_bands=27, n_freq_masks=1, time_mask_frames=100, n_time_masks=1,
                 max_time_ratio=0.2)
    assert max(widths(recs, "time")) == 59  # min(100, int(0.2 * 300)) = 60, exclusive
    assert max(widths(recs, "freq")) == 15  # min(27, int(0.2 * 80)) = 16, exclusive
    assert any("caps the frequency masks" in n for n in recs[0].notes)


def test_torchaudio_bound_below_one_skips_masks():
    recs = draws("torchaudio", n=50, n_frames=50, time_mask_frames=100, n_time_masks=3, max_time_ratio=0.01)
    assert all(r.time_masks == () for r in recs)
    assert "below 1" in recs[0].notes[0]


def test_torchaudio_bound_over_axis_is_clipped():
    recs = draws("torchaudio", n_frames=40, time_mask_frames=100, n_time_masks=1)
    for m in (m for r in recs for m in r.time_masks):
        assert 0 <= m.start and m.stop <= 40
    assert max(widths(recs, "time")) == 40


def test_torchaudio_ignores_warp_with_note():
    (rec,) = draws("torchaudio", n=1, warp_frames=80)
    assert rec.warp is None and "no time warp" in rec.notes[0]


# ---------------------------------------------------------------------------------------------- ESPnet


def test_espnet_mask_ranges():
    recs = draws("espnet", freq_mask_bands=27, n_freq_masks=1, time_mask_frames=100, n_time_masks=1, fill="absolute")
    fw, tw = widths(recs, "freq"), widths(recs, "time")
    assert (min(fw), max(fw)) == (0, 26)
    assert (min(tw), max(tw)) == (0, 99)
    # start = randint(0, max(1, D - widest)): one mask -> stop <= D - 1
    assert max(stops(recs, "freq")) == 79 and max(stops(recs, "time")) == 299
    assert all(r.order == ("warp", "freq", "time") for r in recs)
    assert recs[0].notes == ()


def test_espnet_starts_use_the_widest_mask():
    recs = draws("espnet", n=500, freq_mask_bands=27, n_freq_masks=3)
    for r in recs:
        widest = max(m.width for m in r.freq_masks)
        assert all(m.start < max(1, 80 - widest) for m in r.freq_masks)


def test_espnet_ratio_width():
    recs = draws("espnet", width_ratio=0.05, n_time_masks=2)
    tw = widths(recs, "time")
    assert (min(tw), max(tw)) == (0, 14)  # min(300, floor(300 * 0.05)) = 15, exclusive
    short = draws("espnet", n=20, n_frames=19, width_ratio=0.05, n_time_masks=2)  # floor(0.95) = 0: empty range
    assert all(r.time_masks == () for r in short)


def test_espnet_warp_ranges():
    W, n = 5, 100
    recs = draws("espnet", n_frames=n, warp_frames=W)
    centers = [r.warp.center for r in recs]
    dists = [r.warp.distance for r in recs]
    assert (min(centers), max(centers)) == (W, n - W - 1)
    assert (min(dists), max(dists)) == (-W + 1, W)
    assert all(r.warp.interpolation == "espnet-bicubic" for r in recs)
    assert max(r.warp.destination for r in recs) == n - 1  # allowed for the framework warps


def test_espnet_no_warp_when_short():
    assert all(r.warp is None for r in draws("espnet", n=200, n_frames=10, warp_frames=5))
    assert all(r.warp is not None and r.warp.center == 5 for r in draws("espnet", n=50, n_frames=11, warp_frames=5))


def test_bicubic_resize_matches_torch_semantics():
    x = np.arange(10, dtype=np.float64)
    # constant stays constant (weights sum to 1); same size is the identity
    assert np.allclose(resize_bicubic(np.full(7, 3.0), 13, align_corners=False), 3.0)
    assert np.array_equal(resize_bicubic(x, 10, align_corners=False), x)
    # align_corners=False: output i reads (i + 0.5) * in/out - 0.5, edge taps clamped, A = -0.75 (which does
    # not reproduce a ramp exactly). Expected: F.interpolate(arange(4).view(1, 1, 1, 4), size=(1, 8),
    # mode="bicubic", align_corners=False) as torch prints it to 4 decimals (torch is not installed here;
    # bench/compare_torchaudio.py checks against the real thing).
    up = resize_bicubic(np.arange(4.0), 8, align_corners=False)
    assert np.allclose(up, [-0.1055, 0.1914, 0.6680, 1.2969, 1.7031, 2.3320, 2.8086, 3.1055], atol=1e-4)
    # an interior output by hand: position 1.25 -> taps 0..3 with t = 0.25
    t, a = 0.25, -0.75
    near = lambda z: ((a + 2) * z - (a + 3)) * z * z + 1  # noqa: E731
    far = lambda z: ((a * z - 5 * a) * z + 8 * a) * z - 4 * a  # noqa: E731
    assert up[3] == pytest.approx(0 * far(1 + t) + 1 * near(t) + 2 * near(1 - t) + 3 * far(2 - t))
    down = resize_bicubic(x, 5, align_corners=False)
    assert np.allclose(down[1:-1], [2.5, 4.5, 6.5])


def test_espnet_warp_moves_the_anchor():
    n, c, new = 60, 30, 35
    L = np.tile(np.arange(n, dtype=np.float32), (4, 1))
    out = A.apply_time_warp(L, A.WarpDraw(c, new - c, "espnet-bicubic"))
    assert out.shape == L.shape
    # left piece [0, 30) stretched over 35 frames, right piece [30, 60) squeezed into 25
    assert np.allclose(out[:, :new], resize_bicubic(L[:, :c], new, align_corners=False))
    assert np.allclose(out[:, new:], resize_bicubic(L[:, c:], n - new, align_corners=False))
    assert np.all(np.diff(out[0, 3:-3]) > 0)


# ------------------------------------------------------------------------------------------------ NeMo


def test_nemo_widths_and_starts():
    recs = draws("nemo", freq_mask_bands=27, n_freq_masks=1, time_mask_frames=100, n_time_masks=1)
    fw, tw = widths(recs, "freq"), widths(recs, "time")
    assert (min(fw), max(fw)) == (0, 26)
    assert (min(tw), max(tw)) == (0, 99)
    assert max(stops(recs, "freq")) <= 79 and max(stops(recs, "time")) <= 299
    assert all(r.order == ("warp", "time", "freq") and r.warp is None for r in recs)


def test_nemo_adaptive_width():
    tw = widths(draws("nemo", width_ratio=0.05, n_time_masks=1), "time")
    assert (min(tw), max(tw)) == (0, 14)  # int(U * 15.0)
    tw = widths(draws("nemo", n_frames=301, width_ratio=0.05, n_time_masks=1), "time")
    assert max(tw) == 15  # int(U * 15.05)


def test_nemo_ignores_p_with_note():
    (rec,) = draws("nemo", n=1, time_mask_frames=100, n_time_masks=1, max_time_ratio=0.1)
    assert any("no p" in n for n in rec.notes)
    assert max(widths(draws("nemo", time_mask_frames=100, n_time_masks=1, max_time_ratio=0.1), "time")) == 99


# ---------------------------------------------------------------------------------------------- lingvo


def test_lingvo_mask_ranges():
    recs = draws("lingvo", freq_mask_bands=27, n_freq_masks=1, time_mask_frames=100, n_time_masks=1)
    fw, tw = widths(recs, "freq"), widths(recs, "time")
    assert (min(fw), max(fw)) == (0, 26)
    assert (min(tw), max(tw)) == (0, 99)
    # start = int(U * (len - w + 1)): the last cell can be masked
    assert max(stops(recs, "freq")) == 80
    assert all(r.order == ("warp", "time", "freq") for r in recs)


def test_lingvo_ratio_cap():
    tw = widths(draws("lingvo", time_mask_frames=100, n_time_masks=1, max_time_ratio=0.2), "time")
    assert max(tw) == 60  # min(int(U * 100), max(int(0.2 * 300), 1)): the cap itself is reachable
    assert sum(w == 60 for w in tw) > 0.3 * len(tw)


def test_lingvo_dynamic_width_and_multiplicity():
    tw = widths(draws("lingvo", width_ratio=0.05, n_time_masks=1), "time")
    assert (min(tw), max(tw)) == (0, 14)  # int(U * 0.05 * 300)
    recs = draws("lingvo", n=20, n_frames=250, time_mask_frames=10, n_time_masks=10, masks_per_frame=0.01)
    assert all(len(r.time_masks) == math.ceil(0.01 * 250) for r in recs)


def test_lingvo_off_switches():
    assert all(r.time_masks == () for r in draws("lingvo", n=20, time_mask_frames=0, n_time_masks=3))
    assert all(r.time_masks == () for r in draws("lingvo", n=20, time_mask_frames=50, n_time_masks=3,
                                                  max_time_ratio=0.0))
    assert all(r.freq_masks == () for r in draws("lingvo", n=20, freq_mask_bands=0, n_freq_masks=3))


def test_lingvo_warp_ranges():
    W, n = 80, 300
    recs = draws("lingvo", n_frames=n, warp_frames=W, seed=3)
    origins = [r.warp.center for r in recs]
    shifts = [r.warp.distance for r in recs]
    dests = [r.warp.destination for r in recs]
    assert (min(origins), max(origins)) == (1, n - 2)
    assert min(shifts) >= -W and max(shifts) <= W
    assert W in shifts and -W in shifts
    assert (min(dests), max(dests)) == (1, n - 1)
    assert min(dests) >= 1 and max(dests) <= n - 1
    assert all(r.warp.interpolation == "lingvo-linear" for r in recs)
    # unclipped shifts cover -W..W
    inner = [r.warp.distance for r in recs if W + 1 <= r.warp.center <= n - W - 1]
    assert (min(inner), max(inner)) == (-W, W)


def test_lingvo_no_warp_on_tiny_clip():
    assert all(r.warp is None for r in draws("lingvo", n=10, n_frames=2, warp_frames=5))


def test_lingvo_warp_map_fixes_zero_and_n():
    n = 50
    warp = A.WarpDraw(20, 5, "lingvo-linear")
    src = lingvo.source_positions(n, warp)
    assert src[0] == 0 and src[25] == pytest.approx(20)
    slope = (n - 20) / (n - 25)
    assert src[-1] == pytest.approx(20 + (n - 1 - 25) * slope)
    L = np.tile(np.arange(n, dtype=np.float32), (3, 1))
    out = A.apply_time_warp(L, warp)
    assert np.allclose(out[0], np.minimum(src, n - 1), atol=1e-4)


# ------------------------------------------------------------------------------------------------ replay


@pytest.mark.parametrize("convention", FW.FRAMEWORKS)
def test_records_replay_exactly(convention):
    rng = np.random.default_rng(7)
    L = rng.normal(-40, 10, size=(64, 180)).astype(np.float32)
    config = A.SpecAugmentConfig(warp_frames=20, freq_mask_bands=15, n_freq_masks=2, time_mask_frames=30,
                                 n_time_masks=3, convention=convention,
                                 fill="stage_mean" if convention == "espnet" else "mean")
    for seed in range(40):
        rec = A.draw(config, n_mels=64, n_frames=180, rng=np.random.default_rng(seed))
        assert rec.convention == convention
        out = A.apply(L, rec)
        again = A.AugmentRecord.from_dict(rec.to_dict())
        assert again == rec
        assert np.array_equal(A.apply(L, again), out)
        assert np.array_equal(A.apply(L, rec), out)
        assert out.shape == L.shape and np.all(np.isfinite(out))


def test_espnet_stage_mean_fill_is_recomputed():
    L = np.random.default_rng(0).normal(size=(20, 50)).astype(np.float32)
    rec = A.AugmentRecord(20, 50, None, (A.MaskDraw(0, 5),), (A.MaskDraw(10, 5),), fill="stage_mean",
                          convention="espnet", order=FW.get("espnet").ORDER)
    out = A.apply(L, rec)
    after_freq = L.copy()
    after_freq[0:5] = L.mean()
    assert np.allclose(out[0:5, 0], L.mean())
    assert np.allclose(out[6:, 10:15], after_freq.mean())


def test_record_validation_of_framework_warps():
    rec = A.AugmentRecord(10, 40, A.WarpDraw(20, 19, "espnet-bicubic"), convention="espnet")
    assert A.AugmentRecord.from_dict(rec.to_dict()).warp.destination == 39
    bad = rec.to_dict()
    bad["warp"]["distance"] = 20
    with pytest.raises(RecordError):
        A.AugmentRecord.from_dict(bad)
    bad = rec.to_dict()
    bad["warp"]["interpolation"] = "linear"  # melwav's own keeps 1..n-2
    with pytest.raises(RecordError):
        A.AugmentRecord.from_dict(bad)


def test_fill_explanations():
    for name in FW.FRAMEWORKS:
        for fill in FW.get(name).FILLS:
            text = FW.fill_explanation(name, fill=fill, fill_db=-60)
            assert text.endswith(".") and len(text) < 400
    assert "-60 dB from it" in FW.fill_explanation("espnet", fill="absolute", fill_db=-60)
    assert "not silence" in FW.fill_explanation("espnet", fill="absolute", fill_db=0)
    assert "mean" in FW.fill_explanation("torchaudio", fill="mean")
    assert FW.fill_explanation("melwav", fill="floor")
    with pytest.raises(ParameterError):
        FW.fill_explanation("keras")


def test_fill_outside_framework_is_noted():
    (rec,) = draws("lingvo", n=1, fill="floor", n_freq_masks=1, freq_mask_bands=3)
    assert rec.fill == "floor" and any("cannot fill" in n for n in rec.notes)
