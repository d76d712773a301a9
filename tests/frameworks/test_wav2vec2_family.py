"""The wav2vec2 family as a framework of its own (issue 22, item 5).

Rules: transformers 5.25.0 src/transformers/models/wav2vec2/modeling_wav2vec2.py, _compute_mask_indices (line
105) and Wav2Vec2Model._mask_hidden_states (lines 1224-1267): `if not getattr(self.config, "apply_spec_augment",
True)` (line 1236), `elif self.config.mask_time_prob > 0 and self.training` (line 1245), masked steps get
`self.masked_spec_embed` (line 1254), feature masks zero hidden channels (line 1265); configuration_wav2vec2.py
conv_stride (5, 2, 2, 2, 2, 2, 2) = 320 samples = 20 ms.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings

S20 = MelSettings(sr=16000, n_fft=400, hop_length=320, n_mels=80)  # the encoder's own 20 ms frames
BASE = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "conv_stride": [5, 2, 2, 2, 2, 2, 2],
        "hidden_size": 768, "mask_time_prob": 0.05, "mask_time_length": 10, "mask_channel_prob": 0.0}


def rule_count(prob, L, min_masks, length, S, eps):
    """compute_num_masked_span as written in _compute_mask_indices (independent of melwav's code)."""
    n = max(int(prob * length / L + eps), min_masks)
    n = S // L if n * L > S else n
    return max(length - (L - 1), 0) if length - (L - 1) < n else n


@pytest.mark.parametrize("conf,family", [
    (BASE, "wav2vec2"),
    ({"model_type": "hubert", "mask_time_prob": 0.08}, "wav2vec2"),
    ({"model_type": "wavlm", "mask_time_prob": 0.05, "mask_feature_prob": 0.0}, "wav2vec2"),
    ({"model_type": "data2vec-audio", "mask_time_length": 10}, "wav2vec2"),
    ({"model_type": "wav2vec2-bert", "mask_time_prob": 0.05}, "wav2vec2"),
    ({"architectures": ["HubertForCTC"], "mask_time_prob": 0.05}, "wav2vec2"),
    ({"model_type": "whisper", "apply_spec_augment": True, "mask_time_prob": 0.05}, "whisper"),
])
def test_detection_beats_whisper_for_the_family(conf, family):
    assert FW.detect_framework(json.dumps(conf)) == family


def test_python_naming_a_family_class_is_the_family():
    text = "model = Wav2Vec2ForCTC.from_pretrained('facebook/wav2vec2-base', mask_time_prob=0.075, layerdrop=0.0)"
    recipe = FW.import_recipe(text)
    assert recipe.framework == "wav2vec2" and recipe.params["mask_time_prob"] == 0.075


def test_apply_spec_augment_defaults_to_true_and_units_come_from_conv_stride():
    recipe = FW.import_recipe(json.dumps(BASE))
    assert recipe.params["apply_spec_augment"] is True
    assert (recipe.hop_ms, recipe.framework) == (20.0, "wav2vec2")  # 5*2*2*2*2*2*2 = 320 samples at 16 kHz
    assert any("mask_channel_prob" in n for n in recipe.notes)  # a fairseq leftover, never read
    config = recipe.to_config(S20)
    rng = np.random.default_rng(0)
    recs = [A.draw(config, n_mels=80, n_frames=250, rng=rng) for _ in range(3000)]  # 5 s of 20 ms frames
    counts = [len(r.time_masks) for r in recs]
    allowed = {rule_count(0.05, 10, 2, 250, 250, e) for e in np.linspace(0, 0.999, 200)}
    assert set(counts) == allowed == {2}  # int(1.25 + eps) <= 2, then min_masks 2
    assert {m.width for r in recs for m in r.time_masks} == {10}
    starts = [m.start for r in recs for m in r.time_masks]
    assert (min(starts), max(starts)) == (0, 240)
    assert all(r.freq_masks == () and r.fill == "mean" for r in recs)


def test_off_draws_nothing_and_feature_masks_are_not_mel_bands():
    off = FW.import_recipe(json.dumps({**BASE, "apply_spec_augment": False}))
    assert off.to_config(S20).is_identity
    feat = FW.import_recipe(json.dumps({**BASE, "mask_feature_prob": 0.1, "mask_feature_length": 64}))
    rec = A.draw(feat.to_config(S20), n_mels=80, n_frames=250, rng=np.random.default_rng(1))
    assert rec.freq_masks == ()
    assert any("hidden channels" in n for n in feat.field_notes)
    assert "learned vector" in FW.fill_explanation("wav2vec2")


def test_export_round_trips():
    recipe = FW.import_recipe(json.dumps({**BASE, "mask_time_prob": 0.065, "mask_time_min_masks": 3,
                                          "mask_feature_prob": 0.012, "mask_feature_length": 64}))
    text, _ = FW.export_recipe(recipe.to_config(S20), settings=S20, framework="wav2vec2", recipe=recipe)
    back = FW.import_recipe(text)
    assert back.framework == "wav2vec2"
    assert {k: v for k, v in back.params.items() if k != "model_type"} == {
        k: v for k, v in recipe.params.items() if k != "model_type"}


def test_matches_the_real_compute_mask_indices():
    """Optional: the installed transformers' function (``pip install .[compare-transformers]``), no weights."""
    pytest.importorskip("torch", reason="optional: pip install .[compare-transformers]")
    pytest.importorskip("transformers", reason="optional: pip install .[compare-transformers]")
    from transformers import Wav2Vec2Config
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices

    cfg = Wav2Vec2Config()  # the class defaults, no download
    assert (cfg.apply_spec_augment, cfg.mask_time_prob, cfg.mask_time_length, cfg.mask_time_min_masks) == (
        True, 0.05, 10, 2)
    assert int(np.prod(cfg.conv_stride)) == 320
    np.random.seed(0)
    real = [_compute_mask_indices((1, 700), 0.3, 7, min_masks=0)[0] for _ in range(2000)]
    config = FW.import_recipe(json.dumps({"model_type": "wav2vec2", "mask_time_prob": 0.3, "mask_time_length": 7,
                                          "mask_time_min_masks": 0})).to_config(S20)
    rng = np.random.default_rng(0)
    ours = []
    for _ in range(2000):
        cells = np.zeros(700, bool)
        for m in A.draw(config, n_mels=80, n_frames=700, rng=rng).time_masks:
            cells[m.start:m.start + m.width] = True
        ours.append(cells)
    assert abs(np.mean([c.sum() for c in real]) - np.mean([c.sum() for c in ours])) < 2.0  # ~ 170 of 700
    assert np.abs(np.mean(real, axis=0) - np.mean(ours, axis=0)).max() < 0.06  # per-frame rates
