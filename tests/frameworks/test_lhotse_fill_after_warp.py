"""lhotse's mean fill is the mean of the warped example (issue 22, item 8)."""

from __future__ import annotations

import numpy as np

from melwav import specaugment as A
from melwav.records import AugmentRecord, MaskDraw, WarpDraw


def a_clip(n_mels=40, n_frames=300):
    rng = np.random.default_rng(3)
    L = rng.normal(-40.0, 12.0, size=(n_mels, n_frames)).astype(np.float32)
    L[:, :60] += 30.0  # a loud start that a warp stretches, so the mean moves
    return L


def record(convention, interpolation):
    return AugmentRecord(n_mels=40, n_frames=300, fill="mean", fill_db=-80.0, convention=convention,
                         order=("warp", "freq", "time"), warp=WarpDraw(60, 40, interpolation),
                         freq_masks=(MaskDraw(3, 5),), time_masks=(MaskDraw(200, 20),))


def test_lhotse_fills_with_the_mean_after_the_warp():
    # lhotse/dataset/signal_transforms.py SpecAugment._forward_single: the warp (`features = time_warp(...)`)
    # comes first, then `mean = features.mean()` is taken for the masks -- the warped example's mean.
    L = a_clip()
    rec = record("lhotse", "lhotse-bicubic")
    warped = A.apply_time_warp(L, rec.warp)
    out = A.apply(L, rec)
    assert abs(float(np.mean(warped)) - float(np.mean(L))) > 1.0  # the warp does move the mean here
    np.testing.assert_allclose(out[:, 200:220], np.mean(warped), rtol=0, atol=1e-4)
    assert abs(A.fill_value(L, rec) - float(np.mean(warped))) < 1e-4  # what the page shows as the level


def test_fairseq_keeps_the_mean_before_the_warp():
    # fairseq/data/audio/feature_transforms/specaugment.py __call__: `mask_value = spectrogram.mean()` when
    # mask_value is None, computed from the input before the warp.
    L = a_clip()
    out = A.apply(L, record("fairseq", "fairseq-linear"))
    np.testing.assert_allclose(out[:, 200:220], np.mean(L), rtol=0, atol=1e-4)
