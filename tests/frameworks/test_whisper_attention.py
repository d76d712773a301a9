"""Whisper's attention mask: only the call-time argument gives a per-frame mask (issue 22, item 1)."""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings
from melwav.frameworks import whisper

S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)  # Whisper's own frames: no conversion
ON = "model.config.apply_spec_augment = True\nmodel.config.mask_time_prob = 0.05\n"


def draw_many(recipe, n_frames, n=200, seed=0):
    config = recipe.to_config(S10)
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=80, n_frames=n_frames, rng=rng) for _ in range(n)]


def test_export_advises_the_call_time_argument_and_reads_back():
    # transformers 5.25.0 feature_extraction_whisper.py line 332: `if return_attention_mask:` (the call-time
    # argument) is the only place the mask is rescaled to frames, `[:, ::self.hop_length]`.
    cfg = FW.import_recipe(ON).to_config(S10)
    text, _ = FW.export_recipe(cfg, settings=S10, framework="whisper")
    assert "feature_extractor.return_attention_mask =" not in text
    assert "feature_extractor(audio, sampling_rate=16000, return_attention_mask=True)" in text
    back = FW.import_recipe(text)
    assert back.params["return_attention_mask"] is True
    assert back.params["return_attention_mask_at"] == "call"
    assert back.to_config(S10).option("attention_mask") is True
    assert back.to_config(S10).option("sample_attention_mask") is None


@pytest.mark.parametrize("text", [
    '{"apply_spec_augment": true, "mask_time_prob": 0.05, "return_attention_mask": true}',
    ON + "feature_extractor.return_attention_mask = True\n",
    ON + "fe = WhisperFeatureExtractor.from_pretrained('openai/whisper-tiny', return_attention_mask=True)\n",
    ON + "fe = WhisperFeatureExtractor(return_attention_mask=True)\n",
])
def test_attribute_or_config_key_gives_a_per_sample_mask_and_training_raises(text):
    # feature_extraction_sequence_utils.py lines 136-137: pad() falls back to self.return_attention_mask, a mask of
    # samples (480000), not rescaled; modeling_wav2vec2.py _compute_mask_indices then counts
    # int(0.05 * 80000 / 10 + eps) = 400 -> capped to 3000 // 10 = 300 spans for a 5 s clip, above the 15 of the
    # 3000-frame axis: np.ones(15 - 300) raises "negative dimensions are not allowed".
    recipe = FW.import_recipe(text)
    assert recipe.params["return_attention_mask_at"] == "extractor"
    assert any("negative dimensions" in n for n in recipe.field_notes)
    cfg = recipe.to_config(S10)
    assert cfg.option("sample_attention_mask") is True and cfg.option("attention_mask") is False
    recs = draw_many(recipe, n_frames=500)
    assert all(r.time_masks == () for r in recs)
    assert all(any("negative dimensions" in n for n in r.notes) for r in recs)
    export, notes = FW.export_recipe(cfg, settings=S10, framework="whisper", recipe=recipe)
    assert "return_attention_mask=True)" in export and any("call-time" in n for n in notes)


def test_call_time_argument_is_per_frame():
    recipe = FW.import_recipe(ON + "inputs = processor(audio, sampling_rate=16000, return_attention_mask=True)\n")
    assert recipe.params["return_attention_mask_at"] == "call"
    counts = {len(r.time_masks) for r in draw_many(recipe, n_frames=500)}
    assert counts == {2, 3}  # int(0.05 * 500 / 10 + eps): the frame count, as in the rescaled mask


def test_per_sample_mask_that_does_not_raise_clips_starts_to_the_last_frame():
    # prob 1.0, L 10: both counts are capped at 3000 // 10 = 300, so nothing raises; starts are drawn among the
    # samples and `spec_aug_mask_idxs[spec_aug_mask_idxs > sequence_length - 1] = sequence_length - 1`.
    recipe = FW.import_recipe('{"apply_spec_augment": true, "mask_time_prob": 1.0, "mask_time_min_masks": 0, '
                              '"return_attention_mask": true}')
    config = recipe.to_config(S10)
    spans, _ = whisper._sample_mask_spans(1.0, 10, 0, 500, 3000, np.random.default_rng(0), 200)
    assert config.option("sample_attention_mask") is True
    # 300 starts among 80000 - 9 samples: about 300 * 500 / 79991 ~ 1.9 land on the 500-frame clip
    landed = spans.drawn.sum(axis=1)
    assert landed.max() <= 10 and 1.2 < landed.mean() < 2.6
    assert (np.where(spans.drawn, spans.start + spans.width, 0) <= 500).all()


def test_real_extractor_mask_lengths_and_the_raise():
    """Optional: the installed transformers (``pip install .[compare-transformers]``), no weights downloaded."""
    torch = pytest.importorskip("torch", reason="optional: pip install .[compare-transformers]")
    pytest.importorskip("transformers", reason="optional: pip install .[compare-transformers]")
    from transformers import WhisperFeatureExtractor
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices

    audio = np.random.default_rng(0).standard_normal(80000).astype(np.float32) * 0.1  # 5 s at 16 kHz
    fe = WhisperFeatureExtractor()  # no download: the defaults
    per_frame = fe(audio, sampling_rate=16000, return_attention_mask=True)["attention_mask"]
    fe.return_attention_mask = True
    per_sample = fe(audio, sampling_rate=16000)["attention_mask"]
    assert per_frame.shape == (1, 3000) and int(per_frame.sum()) == 500
    assert per_sample.shape == (1, 480000) and int(per_sample.sum()) == 80000
    with pytest.raises(ValueError, match="negative dimensions"):
        _compute_mask_indices((1, 3000), 0.05, 10, attention_mask=torch.from_numpy(np.asarray(per_sample)), min_masks=2)
