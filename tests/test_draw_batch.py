"""Draws as batches (issue 23's speed): every rule draws many utterances at once, and a render's draw is the
batch of one. The batch must be the per-utterance rule repeated, not another rule."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from melwav import frameworks
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.records import AugmentRecord, DrawBatch, MaskBatch
from melwav.specaugment import SpecAugmentConfig, draw, draw_many, policy

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
SETTINGS = MelSettings(sr=16000, hop_length=160, n_fft=512, n_mels=80)  # the recipes' own 10 ms frames

# One recipe per rule: every framework's bundled example, melwav's own policies, and corners that draw
# per-utterance counts, notes or orders (SpeechBrain's shuffled Augmenter, lhotse's apply probability,
# Whisper without an attention mask, NeMo's SpecCutout, lingvo's block masks, WeNet's spec_sub/spec_trim).
EXTRA_RECIPES = {
    "speechbrain shuffled": "augmenter: !new:speechbrain.augment.augmenter.Augmenter\n"
                            "  min_augmentations: 1\n  max_augmentations: 3\n  shuffle_augmentations: True\n"
                            "  augment_prob: 0.7\n  augmentations: [!ref <drop_t>, !ref <drop_f>, !ref <warp>]\n"
                            "drop_t: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n"
                            "  drop_length_low: 3\n  drop_length_high: 20\n  drop_count_low: 0\n"
                            "  drop_count_high: 4\n  dim: 1\n"
                            "drop_f: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n"
                            "  drop_length_low: 2\n  drop_length_high: 12\n  drop_count_low: 1\n"
                            "  drop_count_high: 2\n  dim: 2\n"
                            "warp: !new:speechbrain.augment.freq_domain.Warping\n  warp_window: 5\n",
    "wav2vec2": '{"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "conv_stride": [5, 2, 2, 2, 2, 2, '
                '2], "hidden_size": 768, "mask_time_prob": 0.05, "mask_time_length": 10, "mask_channel_prob": 0.0}',
    "hubert heavy": '{"model_type": "hubert", "conv_stride": [5, 2, 2, 2, 2, 2, 2], "mask_time_prob": 0.65, '
                    '"mask_time_length": 10, "mask_time_min_masks": 2}',
    "nemo cutout": "spec_augment:\n  _target_: nemo.collections.asr.modules.SpectrogramAugmentation\n"
                   "  freq_masks: 2\n  freq_width: 15\n  time_masks: 5\n  time_width: 0.05\n"
                   "  rect_masks: 3\n  rect_time: 10\n  rect_freq: 20\n",
}


def _configs():
    out = {name: policy(name).to_config(SETTINGS) for name in ("LB", "LD", "SM")}
    out["adaptive"] = SpecAugmentConfig(warp_frames=5, freq_mask_bands=27, n_freq_masks=2, time_mask_frames=40,
                                        n_time_masks=20, width_ratio=0.05, masks_per_frame=0.04)
    for path in sorted(EXAMPLES.iterdir()):
        out[path.name] = frameworks.import_recipe(path.read_text(encoding="utf-8")).to_config(SETTINGS)
    for name, text in EXTRA_RECIPES.items():
        out[name] = frameworks.import_recipe(text).to_config(SETTINGS)
    return out


CONFIGS = _configs()


def test_every_framework_draws_in_batches():
    # the fallback (one utterance at a time) is for a new framework; none of the ones here needs it
    assert all(hasattr(frameworks.get(name), "draw_many") for name in frameworks.FRAMEWORKS)
    assert {c.convention for c in CONFIGS.values()} == {"melwav", *frameworks.FRAMEWORKS}


@pytest.mark.parametrize("name", CONFIGS)
def test_a_render_draw_is_the_batch_of_one(name):
    config = CONFIGS[name]
    for seed in range(20):
        one = draw(config, n_mels=80, n_frames=700, rng=np.random.default_rng(seed))
        batch = draw_many(config, n_mels=80, n_frames=700, rng=np.random.default_rng(seed), size=1)
        assert one == batch.record(0)
        if config.convention != "melwav":  # the framework module's own draw: the same
            module = frameworks.get(config.convention)
            assert module.draw(config, n_mels=80, n_frames=700, rng=np.random.default_rng(seed)) == one
        assert AugmentRecord.from_dict(one.to_dict()) == one  # inside the axes, replayable


def _summary(records, n_frames):
    t = np.array([sum(m.width for m in r.time_masks) for r in records], dtype=float)
    f = np.array([sum(m.width for m in r.freq_masks) for r in records], dtype=float)
    nt = np.array([len(r.time_masks) for r in records], dtype=float)
    warp = np.array([abs(r.warp.distance) if r.warp else 0 for r in records], dtype=float)
    starts = np.array([m.start for r in records for m in r.time_masks] or [0], dtype=float)
    # masks that reach the clip's last frame: where a start bound shared across a batch would show
    at_end = np.array([m.stop >= n_frames for r in records for m in r.time_masks] or [0], dtype=float)
    freq_starts = np.array([m.start for r in records for m in r.freq_masks] or [0], dtype=float)
    return {"time width": t, "freq width": f, "time count": nt, "warp": warp, "time start": starts,
            "at the end": at_end, "freq start": freq_starts}


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("n_frames", [150, 1200])
def test_a_batch_draws_as_the_utterances_drawn_one_by_one(name, n_frames):
    """N utterances in one batch against N batches of one: the same distributions (means within 5 standard
    errors), so nothing in a batch is shared between its utterances (a start bound, a count, a skip)."""
    config, n = CONFIGS[name], 3000
    batch = draw_many(config, n_mels=80, n_frames=n_frames, rng=np.random.default_rng(1), size=n)
    together = [batch.record(i) for i in range(n)]
    rng = np.random.default_rng(2)
    apart = [draw(config, n_mels=80, n_frames=n_frames, rng=rng) for _ in range(n)]
    a, b = _summary(together, n_frames), _summary(apart, n_frames)
    for key in a:
        se = np.sqrt((a[key].var() + b[key].var()) / 2 * (1 / a[key].size + 1 / b[key].size))
        assert abs(a[key].mean() - b[key].mean()) <= 5 * se + 1e-9, (key, a[key].mean(), b[key].mean())
    # per-utterance notes and orders are per utterance: the same share of draws carry each
    notes_a = {note for r in together for note in r.notes}
    notes_b = {note for r in apart for note in r.notes}
    for note in notes_a | notes_b:
        pa, pb = np.mean([note in r.notes for r in together]), np.mean([note in r.notes for r in apart])
        assert abs(pa - pb) <= 5 * np.sqrt(max(pa * (1 - pa), 1e-4) * 2 / n), note
    orders_a = {r.order for r in together}
    assert orders_a == {r.order for r in apart} or len(orders_a) > 1


def test_more_masks_keep_the_first_ones_of_a_seed():
    """melwav's rule takes each mask's numbers in turn: the lesson's slider adds masks, it does not move
    the ones drawn (and a render reuses what an earlier one rebuilt)."""
    base = SpecAugmentConfig(warp_frames=10, freq_mask_bands=20, n_freq_masks=2, time_mask_frames=30,
                             n_time_masks=3)
    for seed in range(30):
        few = draw(base, n_mels=80, n_frames=400, rng=np.random.default_rng(seed))
        more = draw(SpecAugmentConfig(**{**base.__dict__, "n_time_masks": 7}), n_mels=80, n_frames=400,
                    rng=np.random.default_rng(seed))
        assert more.time_masks[:3] == few.time_masks and more.freq_masks == few.freq_masks
        assert more.warp == few.warp


def test_draw_many_refuses_bad_sizes_in_one_line():
    config = CONFIGS["LB"]
    for size, match in [(0, "size must be"), (10**7, "size must be"), (2.5, "size must be")]:
        with pytest.raises(ParameterError, match=match):
            draw_many(config, n_mels=80, n_frames=100, rng=np.random.default_rng(0), size=size)
    with pytest.raises(ParameterError, match="rng must be a numpy.random.Generator"):
        draw_many(config, n_mels=80, n_frames=100, rng=0, size=5)


def test_a_batch_from_records_gives_the_records_back():
    config = CONFIGS["speechbrain shuffled"]
    rng = np.random.default_rng(4)
    records = [draw(config, n_mels=80, n_frames=300, rng=rng) for _ in range(200)]
    batch = DrawBatch.from_records(records)
    back = [batch.record(i) for i in range(200)]
    for r, b in zip(records, back):
        assert (b.warp, b.freq_masks, b.time_masks, b.order) == (r.warp, r.freq_masks, r.time_masks, r.order)
        assert set(b.notes) == set(r.notes)


def test_mask_batch_clips_to_the_axis():
    m = MaskBatch.clipped([[-5, 90, 120]], [[10, 30, 5]], 100)
    assert m.masks(0)[0].start == 0 and m.masks(0)[0].width == 5
    assert (m.masks(0)[1].start, m.masks(0)[1].width) == (90, 10)
    assert (m.masks(0)[2].start, m.masks(0)[2].width) == (100, 0)
    with pytest.raises(ParameterError, match="one \\(n_draws, slots\\) shape"):
        MaskBatch(np.zeros((2, 3), dtype=np.int64), np.zeros((2, 2), dtype=np.int64), np.zeros((2, 3), bool))
