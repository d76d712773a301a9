"""torchaudio TimeMasking(time_mask_param=0, p=...) masks nothing (issue 22, item 7)."""

from __future__ import annotations

import numpy as np

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings

S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)


def time_masks(text, n_frames=1000, n=500):
    config = FW.import_recipe(text).to_config(S10)
    rng = np.random.default_rng(0)
    return [m for _ in range(n) for m in A.draw(config, n_mels=80, n_frames=n_frames, rng=rng).time_masks]


def test_zero_param_with_p_draws_nothing():
    # pytorch/audio src/torchaudio/functional/functional.py, mask_along_axis_iid and mask_along_axis:
    # `mask_param = _get_mask_param(mask_param, p, specgrams.shape[axis])` = min(0, int(n * p)) = 0, then
    # `if mask_param < 1: return specgrams`. melwav drew ~73 frames here before (no fixed bound taken as n).
    assert time_masks("[TimeMasking(time_mask_param=0, p=0.05), TimeMasking(time_mask_param=0, p=0.05)]") == []


def test_param_with_p_is_capped_at_int_p_n():
    # the same _get_mask_param: min(100, int(1000 * 0.05)) = 50; width int(U * 50) in 0..49
    widths = {m.width for m in time_masks("[TimeMasking(time_mask_param=100, p=0.05)]")}
    assert max(widths) == 49 and min(widths) <= 1


def test_the_adaptive_export_still_masks():
    # the export writes an adaptive width as a bound above any clip (10000) with p = pS, so it round-trips
    config = A.SpecAugmentConfig(time_mask_frames=0, n_time_masks=2, width_ratio=0.05, convention="melwav")
    text, _ = FW.export_recipe(config, settings=S10, framework="torchaudio")
    assert "time_mask_param=10000" in text
    assert max(m.width for m in time_masks(text)) == 49
