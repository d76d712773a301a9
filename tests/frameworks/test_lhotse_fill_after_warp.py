"""lhotse's mean fill is the mean of the warped example (issue 22, item 8)."""

from __future__ import annotations

import numpy as np
import pytest

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
    # lhotse 1.33.0 lhotse/dataset/signal_transforms.py SpecAugment._forward_single: line 232
    # `features = time_warp(features, ...)`, then line 234 `mean = features.mean()` -- the warped example's mean.
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


def test_matches_the_real_lhotse_fill():
    """Optional: the installed lhotse (with torch): its fill is melwav's post-warp mean for the same warp."""
    torch = pytest.importorskip("torch", reason="optional: pip install .[compare-lhotse]")
    signal_transforms = pytest.importorskip("lhotse.dataset.signal_transforms", reason="optional: pip install .[compare-lhotse]")
    L = a_clip()
    features = torch.from_numpy(np.ascontiguousarray(L.T))  # lhotse's (T, F)
    aug = signal_transforms.SpecAugment(time_warp_factor=80, num_feature_masks=0, num_frame_masks=1,
                                        frames_mask_size=100, max_frames_mask_fraction=0.9, p=1.0)
    for seed in range(20):
        np.random.seed(seed)  # the warp's centre and destination come from numpy
        center = np.random.randint(81, 300 - 80)
        warped = np.random.randint(center - 80, center + 81)
        if warped == center:
            continue
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = aug._forward_single(features.clone(), warp=True, mask=True).numpy().T
        masked = np.flatnonzero(np.ptp(out, axis=0) == 0)  # a masked frame: every band holds the fill
        if not len(masked):
            continue
        real_fill = float(out[0, masked[0]])
        rec = AugmentRecord(n_mels=40, n_frames=300, fill="mean", fill_db=-80.0, convention="lhotse",
                            order=("warp", "freq", "time"), warp=WarpDraw(int(center), int(warped - center),
                                                                          "lhotse-bicubic"),
                            time_masks=(MaskDraw(int(masked[0]), 1),))
        assert abs(A.apply(L, rec)[0, masked[0]] - real_fill) < 0.01  # dB; the mean before the warp is > 1 dB off
        return
    pytest.fail("no draw with a warp and a mask in 20 seeds")
