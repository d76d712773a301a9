"""Adaptive recipes exported to Whisper keep their time masks (issue 22, item 2)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

import melwav
from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)


@pytest.mark.parametrize("source", ["adaptive", "espnet_librispeech_conformer.yaml", "nemo_conformer_ctc_bpe.yaml"])
def test_adaptive_time_masks_survive_the_export(source):
    # transformers modeling_whisper.py WhisperModel._mask_input_features:
    # `if self.config.mask_time_prob > 0 and self.training:` -- a prob of 0 draws nothing, whatever min_masks is.
    config = (melwav.policy("adaptive").to_config(S10) if source == "adaptive"
              else FW.import_recipe((EXAMPLES / source).read_text()).to_config(S10))
    text, notes = FW.export_recipe(config, settings=S10, framework="whisper")
    back = FW.import_recipe(text)
    assert back.params["mask_time_prob"] == pytest.approx(10 * 0.05 / 2)  # mT * pS / 2: the same masked share
    assert back.params["mask_time_length"] == 10 and back.params["mask_time_min_masks"] == 0
    assert any("mask_time_prob = mT * pS / 2" in n for n in notes)
    # what Whisper then masks on a 10 s clip: about a quarter of the frames, as the adaptive recipe does
    cfg, rng = back.to_config(S10), np.random.default_rng(0)
    covered = []
    for _ in range(300):
        rec = A.draw(cfg, n_mels=80, n_frames=1000, rng=rng)
        cells = np.zeros(1000, bool)
        for m in rec.time_masks:
            cells[m.start:m.start + m.width] = True
        covered.append(cells.mean())
    assert 0.18 < np.mean(covered) < 0.25  # 25 spans of 10 of 1000, less their overlaps


def test_no_min_masks_are_written_beside_a_zero_prob():
    config = A.SpecAugmentConfig(time_mask_frames=0, n_time_masks=4, freq_mask_bands=0, n_freq_masks=2)
    text, _ = FW.export_recipe(config, settings=S10, framework="whisper")
    back = FW.import_recipe(text)
    assert back.params["mask_time_prob"] == 0.0 and back.params["mask_time_min_masks"] == 0
    assert back.params["mask_feature_prob"] == 0.0 and back.params["mask_feature_min_masks"] == 0
