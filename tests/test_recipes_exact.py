"""Issue 13: recipes exact both ways (own parameters per transform, round trips at any analysis, units
named in the fragment, ESPnet without SpecAug, width-0 masks, a closed pipe)."""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings

S22 = MelSettings(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
S16 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)
S8 = MelSettings(sr=8000, n_fft=256, hop_length=64, n_mels=32)
ANALYSES = [S22, S16, S8]


def _widths(config, axis, *, n_mels=128, n_frames=400, n=3000):
    rng = np.random.default_rng(0)
    recs = [A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng) for _ in range(n)]
    return [m.width for r in recs for m in (r.freq_masks if axis == "freq" else r.time_masks)]


def test_torchaudio_list_keeps_each_transforms_parameters():
    # torchaudio draws FrequencyMasking(28) widths 0..27 whatever TimeMasking's p is.
    recipe = FW.import_recipe("[FrequencyMasking(28), TimeMasking(10000, p=0.05)]")
    config = recipe.to_config(S16)
    assert max(_widths(config, "freq")) == 27
    assert max(_widths(config, "time")) == int(0.05 * 400) - 1  # TimeMasking's p caps its own masks


def test_reimporting_our_adaptive_export_keeps_F():
    adaptive = A.POLICIES["adaptive"].to_config(S22)
    units = {"hop_ms": S22.hop_ms, "n_mels": S22.n_mels}  # torchaudio masking this very analysis
    text, _ = FW.export_recipe(adaptive, settings=S22, framework="torchaudio", **units)
    again = FW.import_recipe(text, **units).to_config(S22)
    assert again.freq_mask_bands == adaptive.freq_mask_bands + 1  # melwav's 0..F is torchaudio's F + 1
    assert max(_widths(again, "freq")) == adaptive.freq_mask_bands
