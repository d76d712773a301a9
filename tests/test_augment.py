"""SpecAugment operations against their definitions (P2019 / P2020, see /work/shared/specaugment-reference.md)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from melwav import specaugment as A
from melwav.errors import ParameterError, RecordError
from melwav.features import MelSettings
from melwav.specaugment import AugmentRecord, MaskDraw, SpecAugmentConfig, WarpDraw

SEEDS = range(3000)


# ------------------------------------------------------------------------------------------------ time warp


@pytest.mark.parametrize("n_frames, W", [(60, 5), (200, 34), (13, 5)])
def test_warp_draw_inside_paper_bounds_and_reaches_both_ends(n_frames, W):
    centres, distances = set(), set()
    for seed in SEEDS:
        warp = A.draw_time_warp(n_frames, W=W, rng=np.random.default_rng(seed))
        assert warp is not None
        # P2019: the point lies in the open interval (W, tau - W); w in [-W, W] (P2020's U(-W, W)).
        assert W < warp.center < n_frames - W
        assert -W <= warp.distance <= W
        # The destination never reaches the fixed end frames.
        assert 1 <= warp.destination <= n_frames - 2
        centres.add(warp.center)
        distances.add(warp.distance)
    assert distances == set(range(-W, W + 1)), "every distance from -W to W must be drawn"
    # the documented centre range: {W+1 .. tau-W-2}
    assert min(centres) == W + 1 and max(centres) == n_frames - W - 2


def test_warp_W_cut_to_fit_short_clip_with_note():
    n_frames, W = 20, 80  # 20 < 2W + 3
    for seed in range(200):
        rec = A.draw(SpecAugmentConfig(warp_frames=W), n_mels=8, n_frames=n_frames, rng=np.random.default_rng(seed))
        W_fit = (n_frames - 3) // 2
        assert rec.warp is not None
        assert W_fit < rec.warp.center < n_frames - W_fit
        assert abs(rec.warp.distance) <= W_fit
    assert any("W cut" in n and str(W) in n for n in rec.notes)


@pytest.mark.parametrize("n_frames", [1, 2, 3, 4])
def test_no_warp_below_five_frames(n_frames):
    rec = A.draw(SpecAugmentConfig(warp_frames=10), n_mels=8, n_frames=n_frames, rng=np.random.default_rng(0))
    assert rec.warp is None
    assert rec.notes, "skipping the warp must be noted"


def test_warp_zero_W_draws_nothing():
    assert A.draw_time_warp(100, W=0, rng=np.random.default_rng(0)) is None


@pytest.mark.parametrize("center, distance", [(30, 7), (30, -7), (10, -9), (80, 18), (1, 1), (98, 0)])
def test_warp_keeps_shape_ends_and_moves_the_point(logmel_array, center, distance):
    L = logmel_array(16, 100)
    warp = WarpDraw(center, distance)
    out = A.apply_time_warp(L, warp)
    assert out.shape == L.shape
    np.testing.assert_array_equal(out[:, 0], L[:, 0])
    np.testing.assert_array_equal(out[:, -1], L[:, -1])
    # the output at the destination frame is the input at the centre
    np.testing.assert_array_equal(out[:, center + distance], L[:, center])


def test_warp_is_the_piecewise_linear_map():
    """On a ramp L[:, t] = t the warped value at t is exactly the inverse map (linear interpolation is exact)."""
    n, c, w = 50, 20, 6
    d, last = c + w, n - 1
    L = np.tile(np.arange(n, dtype=np.float64), (3, 1))
    out = A.apply_time_warp(L, WarpDraw(c, w))
    t = np.arange(n, dtype=np.float64)
    expected = np.where(t <= d, t * c / d, c + (t - d) * (last - c) / (last - d))
    np.testing.assert_allclose(out[0], expected, rtol=0, atol=1e-9)
    assert np.all(np.diff(out[0]) > 0), "a warp is monotone: it never reorders time"


def test_warp_distance_zero_is_identity(logmel_array):
    L = logmel_array(8, 40)
    out = A.apply_time_warp(L, WarpDraw(20, 0))
    assert out.tobytes() == L.tobytes()
    assert out is not L


def test_warp_that_does_not_fit_is_refused(logmel_array):
    L = logmel_array(8, 40)
    with pytest.raises(RecordError):
        A.apply_time_warp(L, WarpDraw(38, 1))  # destination 39 is the fixed last frame


# ---------------------------------------------------------------------------------------------------- masks


@pytest.mark.parametrize("axis_len, F", [(32, 10), (128, 43), (10, 10), (5, 9)])
def test_mask_widths_and_starts_follow_the_definition(axis_len, F):
    widths, starts = set(), set()
    F_eff = min(F, axis_len)
    for seed in range(1500):
        masks = A.draw_masks(axis_len, max_width=F, n_masks=2, rng=np.random.default_rng(seed))
        assert len(masks) == 2
        for m in masks:
            assert 0 <= m.width <= F_eff  # f ~ U{0..F}
            if m.width < axis_len:
                assert 0 <= m.start < axis_len - m.width  # f0 ~ U[0, nu - f)
            else:
                assert m.start == 0
            widths.add(m.width)
            starts.add(m.start)
    assert widths == set(range(F_eff + 1)), "both ends (0 and F) and everything between must be drawn"
    assert 0 in starts


def test_freq_width_larger_than_axis_is_cut_with_note():
    rec = A.draw(SpecAugmentConfig(freq_mask_bands=50, n_freq_masks=3), n_mels=20, n_frames=30,
                 rng=np.random.default_rng(1))
    assert all(m.width <= 20 and m.stop <= 20 for m in rec.freq_masks)
    assert any("F cut" in n for n in rec.notes)


@pytest.mark.parametrize("n_frames, T, p", [(100, 50, 0.2), (344, 43, 1.0), (37, 100, 0.3), (10, 4, 0.05)])
def test_time_mask_width_honours_T_and_p(n_frames, T, p):
    bound = min(T, math.floor(p * n_frames))
    widths = set()
    cfg = SpecAugmentConfig(time_mask_frames=T, n_time_masks=3, max_time_ratio=p)
    for seed in range(1000):
        rec = A.draw(cfg, n_mels=4, n_frames=n_frames, rng=np.random.default_rng(seed))
        assert len(rec.time_masks) == 3
        for m in rec.time_masks:
            assert m.width <= p * n_frames + 1e-9  # t <= p * tau
            assert m.width <= T
            assert 0 <= m.start and m.stop <= n_frames
            if m.width < n_frames:
                assert m.start < n_frames - m.width
            widths.add(m.width)
    assert widths == set(range(bound + 1))


def test_masks_cover_exactly_their_range(logmel_array):
    L = logmel_array(20, 60)
    rec = AugmentRecord(20, 60, freq_masks=(MaskDraw(3, 4), MaskDraw(15, 0)),
                        time_masks=(MaskDraw(10, 5), MaskDraw(59, 1)), fill="value", fill_db=-150.0)
    out = A.apply(L, rec)
    expected = np.zeros(L.shape, dtype=bool)
    expected[3:7, :] = True
    expected[:, 10:15] = True
    expected[:, 59:60] = True
    assert np.array_equal(out == np.float32(-150.0), expected)
    np.testing.assert_array_equal(out[~expected], L[~expected])


@pytest.mark.parametrize("fill", ["mean", "floor", "value"])
def test_fill_modes_write_the_right_value(logmel_array, fill):
    L = logmel_array(16, 50, seed=3)
    rec = AugmentRecord(16, 50, freq_masks=(MaskDraw(2, 3),), time_masks=(MaskDraw(20, 4),), fill=fill,
                        fill_db=-37.5)
    out = A.apply(L, rec)
    want = {"mean": np.mean(L, dtype=np.float64), "floor": L.min(), "value": -37.5}[fill]
    np.testing.assert_allclose(out[2:5, :], want, rtol=0, atol=1e-4)
    np.testing.assert_allclose(out[:, 20:24], want, rtol=0, atol=1e-4)
    assert A.fill_value(L, rec) == pytest.approx(float(want), abs=1e-4)


def test_fill_mean_is_taken_before_the_warp(logmel_array):
    L = logmel_array(8, 40, seed=5)
    L[:, :20] -= 50  # make the warp change the mean
    rec = AugmentRecord(8, 40, warp=WarpDraw(20, 10), time_masks=(MaskDraw(30, 2),), fill="mean")
    out = A.apply(L, rec)
    np.testing.assert_allclose(out[:, 30:32], np.mean(L, dtype=np.float64), atol=1e-4)


def test_stage_mean_recomputes_before_each_stage(logmel_array):
    L = logmel_array(10, 30, seed=2)
    rec = AugmentRecord(10, 30, freq_masks=(MaskDraw(0, 5),), time_masks=(MaskDraw(3, 2),), fill="stage_mean")
    out = A.apply(L, rec)
    after_freq = L.copy()
    after_freq[0:5] = np.float32(L.mean())
    np.testing.assert_allclose(out[0:5, 10], L.mean(), atol=1e-4)
    np.testing.assert_allclose(out[:, 3:5], after_freq.mean(), atol=1e-4)


def test_apply_does_not_modify_its_input(logmel_array):
    L = logmel_array(16, 50)
    before = L.copy()
    A.augment(L, SpecAugmentConfig(warp_frames=5, freq_mask_bands=8, n_freq_masks=2, time_mask_frames=10,
                                   n_time_masks=2), rng=np.random.default_rng(0))
    assert L.tobytes() == before.tobytes()


def test_apply_refuses_another_shape(logmel_array):
    rec = A.draw(SpecAugmentConfig(freq_mask_bands=3, n_freq_masks=1), n_mels=16, n_frames=50,
                 rng=np.random.default_rng(0))
    with pytest.raises(RecordError, match="16 mel bands x 50 frames"):
        A.apply(logmel_array(16, 51), rec)


# ------------------------------------------------------------------------------------------------- adaptive


@pytest.mark.parametrize("n_frames, pS, p", [(400, 0.05, 1.0), (100, 0.05, 1.0), (200, 0.5, 0.2)])
def test_adaptive_width_bound(n_frames, pS, p):
    cfg = SpecAugmentConfig(time_mask_frames=3, n_time_masks=4, width_ratio=pS, max_time_ratio=p)
    bound = min(math.floor(pS * n_frames), math.floor(p * n_frames))  # T = pS * tau, still cut to p * tau
    widths = set()
    for seed in range(600):
        rec = A.draw(cfg, n_mels=4, n_frames=n_frames, rng=np.random.default_rng(seed))
        widths |= {m.width for m in rec.time_masks}
    assert widths == set(range(bound + 1))


@pytest.mark.parametrize("n_frames, pM, mT, expected", [(400, 0.01, 10, 4), (2000, 0.01, 10, 10), (50, 0.01, 10, 0),
                                                       (300, 0.0, 7, 7)])
def test_adaptive_multiplicity(n_frames, pM, mT, expected):
    cfg = SpecAugmentConfig(time_mask_frames=5, n_time_masks=mT, masks_per_frame=pM)
    rec = A.draw(cfg, n_mels=4, n_frames=n_frames, rng=np.random.default_rng(0))
    assert len(rec.time_masks) == expected == (min(mT, math.floor(pM * n_frames)) if pM > 0 else mT)


# ------------------------------------------------------------------------------------------------- presets

# P2019 Table 1, in 10 ms frames and channels of an 80-channel filter bank.
PAPER = {"LB": (80, 27, 1, 100, 1.0, 1), "LD": (80, 27, 2, 100, 1.0, 2), "SM": (40, 15, 2, 70, 0.2, 2),
         "SS": (40, 27, 2, 70, 0.2, 2)}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_presets_at_paper_analysis_equal_the_paper(name):
    paper = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)  # 10 ms frames, 80 channels
    cfg = A.policy(name).to_config(paper)
    got = (cfg.warp_frames, cfg.freq_mask_bands, cfg.n_freq_masks, cfg.time_mask_frames, cfg.max_time_ratio,
           cfg.n_time_masks)
    assert got == PAPER[name]


def test_LD_converted_to_default_analysis():
    cfg = A.policy("LD").to_config(MelSettings())  # hop 512 at 22050 Hz (23.2 ms), 128 mels
    # W = 800 ms / 23.22 ms = 34.45; F = 27 * 128 / 80 = 43.2; T = 1000 ms / 23.22 ms = 43.07
    assert (cfg.warp_frames, cfg.freq_mask_bands, cfg.time_mask_frames) == (34, 43, 43)
    assert (cfg.n_freq_masks, cfg.n_time_masks, cfg.max_time_ratio) == (2, 2, 1.0)


@pytest.mark.parametrize("name", sorted(PAPER))
@pytest.mark.parametrize("settings", [MelSettings(), MelSettings(sr=16000, n_fft=512, hop_length=256, n_mels=64),
                                      MelSettings(sr=44100, n_fft=1024, hop_length=441, n_mels=40)])
def test_preset_conversion_keeps_durations_and_band_share(name, settings):
    W, F, _, T, _, _ = PAPER[name]
    cfg = A.policy(name).to_config(settings)
    half_hop = settings.hop_ms / 2 + 1e-9
    assert abs(cfg.warp_frames * settings.hop_ms - W * 10.0) <= half_hop
    assert abs(cfg.time_mask_frames * settings.hop_ms - T * 10.0) <= half_hop
    assert abs(cfg.freq_mask_bands - F / 80 * settings.n_mels) <= 0.5


def test_policy_lookup():
    assert A.policy("ld") is A.policy("LD")
    assert A.policy("none").to_config(MelSettings()).is_identity
    with pytest.raises(ParameterError, match="policy"):
        A.policy("XX")


def test_adaptive_preset_uses_width_ratio():
    cfg = A.policy("adaptive").to_config(MelSettings())
    assert cfg.width_ratio == 0.05 and cfg.n_time_masks == 10 and cfg.freq_mask_bands == 43


# ------------------------------------------------------------------------------------------ reproducibility

FULL = SpecAugmentConfig(warp_frames=8, freq_mask_bands=10, n_freq_masks=2, time_mask_frames=12, n_time_masks=3,
                         max_time_ratio=0.5, fill="floor")


def test_same_seed_same_output_different_seed_differs(logmel_array):
    L = logmel_array(32, 120)
    a, ra = A.augment(L, FULL, rng=np.random.default_rng(7))
    b, rb = A.augment(L, FULL, rng=np.random.default_rng(7))
    c, rc = A.augment(L, FULL, rng=np.random.default_rng(8))
    assert ra == rb and a.tobytes() == b.tobytes()
    assert rc != ra and c.tobytes() != a.tobytes()


def test_replay_from_record_is_bit_identical_and_json_round_trips(logmel_array):
    L = logmel_array(32, 120)
    out, rec = A.augment(L, FULL, rng=np.random.default_rng(3))
    assert A.apply(L, rec).tobytes() == out.tobytes()
    back = AugmentRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back == rec
    assert A.apply(L, back).tobytes() == out.tobytes()


def test_record_only_keeps_one_operation():
    rec = A.draw(FULL, n_mels=32, n_frames=120, rng=np.random.default_rng(0))
    assert rec.only("warp").freq_masks == () and rec.only("warp").time_masks == ()
    assert rec.only("freq").warp is None and rec.only("freq").freq_masks == rec.freq_masks
    assert rec.only("time").time_masks == rec.time_masks and rec.only("time").warp is None
    with pytest.raises(ParameterError):
        rec.only("pitch")


def test_draw_needs_a_generator():
    with pytest.raises(ParameterError, match="Generator"):
        A.draw(FULL, n_mels=8, n_frames=50, rng=42)


@pytest.mark.parametrize("field, value, name", [
    ("n_time_masks", -1, "n_time_masks"), ("max_time_ratio", 1.5, "max_time_ratio"), ("warp_frames", 2.5, "warp"),
    ("fill", "noise", "fill"), ("freq_mask_bands", "10", "freq_mask_bands"), ("width_ratio", float("nan"), "width"),
])
def test_config_refuses_out_of_range_settings(field, value, name):
    with pytest.raises(ParameterError, match=name):
        SpecAugmentConfig(**{field: value})


@pytest.mark.parametrize("order", [["warp", 1, "time"], ["warp", None, "time"], [{}, {}, {}]])
def test_record_order_with_non_string_items_is_a_record_error(order):
    data = A.draw(FULL, n_mels=8, n_frames=50, rng=np.random.default_rng(0)).to_dict()
    data["order"] = order
    with pytest.raises(RecordError, match="order"):
        AugmentRecord.from_dict(data)
