"""Property-based tests (hypothesis) of the SpecAugment draw/apply functions, for any shape and settings in range."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from melwav import specaugment as A
from melwav.specaugment import AugmentRecord, SpecAugmentConfig

PROFILE = settings(max_examples=120, deadline=None)

shapes = st.tuples(st.integers(1, 64), st.integers(1, 400))
ratios = st.one_of(st.just(0.0), st.floats(0.0, 1.0, allow_nan=False))
fills = st.sampled_from(["mean", "floor", "value", "stage_mean"])


@st.composite
def configs(draw, *, warp: bool = True):
    return SpecAugmentConfig(
        warp_frames=draw(st.integers(0, 60)) if warp else 0,
        freq_mask_bands=draw(st.integers(0, 80)),
        n_freq_masks=draw(st.integers(0, 5)),
        time_mask_frames=draw(st.integers(0, 120)),
        n_time_masks=draw(st.integers(0, 5)),
        max_time_ratio=draw(st.floats(0.0, 1.0, allow_nan=False)),
        width_ratio=draw(ratios),
        masks_per_frame=draw(ratios),
        fill=draw(fills),
        fill_db=draw(st.floats(-200.0, 50.0, allow_nan=False)),
    )


def _logmel(shape, seed):
    return (-100.0 * np.random.default_rng(seed).random(shape)).astype(np.float32)


@PROFILE
@given(shape=shapes, config=configs(), seed=st.integers(0, 2**32 - 1))
def test_draw_respects_every_bound(shape, config, seed):
    n_mels, n_frames = shape
    rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=np.random.default_rng(seed))
    assert (rec.n_mels, rec.n_frames) == shape
    # frequency masks: f in {0..min(F, nu)}, f0 in [0, nu - f)
    assert len(rec.freq_masks) == config.n_freq_masks
    for m in rec.freq_masks:
        assert 0 <= m.width <= min(config.freq_mask_bands, n_mels)
        assert (0 <= m.start < n_mels - m.width) or (m.width == n_mels and m.start == 0)
    # time masks: width bound T (or pS * tau), cut to p * tau; count mT (or min(mT, pM * tau))
    T = math.floor(config.width_ratio * n_frames) if config.width_ratio > 0 else config.time_mask_frames
    count = config.n_time_masks
    if config.masks_per_frame > 0:
        count = min(count, math.floor(config.masks_per_frame * n_frames))
    assert len(rec.time_masks) == count
    for m in rec.time_masks:
        assert 0 <= m.width <= T and m.width <= config.max_time_ratio * n_frames + 1e-9
        assert (0 <= m.start < n_frames - m.width) or (m.width == n_frames and m.start == 0)
    # warp: point inside (W', tau - W'), distance in [-W', W'], W' <= W; destination off the fixed ends
    if rec.warp is not None:
        W_fit = min(config.warp_frames, (n_frames - 3) // 2)
        assert 1 <= W_fit <= config.warp_frames
        assert W_fit < rec.warp.center < n_frames - W_fit
        assert abs(rec.warp.distance) <= W_fit
        assert 1 <= rec.warp.destination <= n_frames - 2
    else:
        assert config.warp_frames == 0 or n_frames < 5


@PROFILE
@given(shape=shapes, config=configs(warp=False), seed=st.integers(0, 2**32 - 1))
def test_masks_change_only_cells_inside_the_drawn_rectangles(shape, config, seed):
    L = _logmel(shape, seed % 1000)
    out, rec = A.augment(L, config, rng=np.random.default_rng(seed))
    assert out.shape == L.shape and out.dtype == L.dtype
    inside = np.zeros(shape, dtype=bool)
    for m in rec.freq_masks:
        inside[m.start:m.stop, :] = True
    for m in rec.time_masks:
        inside[:, m.start:m.stop] = True
    # everything outside the rectangles is unchanged, bit for bit
    assert out[~inside].tobytes() == L[~inside].tobytes()
    if config.fill != "stage_mean" and inside.any():
        # every masked cell holds the one fill value
        assert np.all(out[inside] == np.float32(A.fill_value(L, rec)))


@PROFILE
@given(shape=shapes, W=st.integers(0, 100), seed=st.integers(0, 2**32 - 1))
def test_warp_keeps_shape_and_end_frames_and_moves_the_point(shape, W, seed):
    L = _logmel(shape, seed % 1000)
    out, warp = A.time_warp(L, W=W, rng=np.random.default_rng(seed))
    assert out.shape == L.shape
    assert out[:, 0].tobytes() == L[:, 0].tobytes()
    assert out[:, -1].tobytes() == L[:, -1].tobytes()
    if warp is not None:
        assert out[:, warp.destination].tobytes() == L[:, warp.center].tobytes()
    else:
        assert out.tobytes() == L.tobytes()


@PROFILE
@given(shape=shapes, config=configs(), seed=st.integers(0, 2**32 - 1))
def test_record_replays_exactly_also_through_json(shape, config, seed):
    L = _logmel(shape, seed % 1000)
    out, rec = A.augment(L, config, rng=np.random.default_rng(seed))
    assert out.shape == L.shape
    assert A.apply(L, rec).tobytes() == out.tobytes()
    back = AugmentRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back == rec
    assert A.apply(L, back).tobytes() == out.tobytes()
    # the same seed draws the same record
    assert A.draw(config, n_mels=shape[0], n_frames=shape[1], rng=np.random.default_rng(seed)) == rec


@PROFILE
@given(config=configs())
def test_config_dict_round_trip(config):
    assert SpecAugmentConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
