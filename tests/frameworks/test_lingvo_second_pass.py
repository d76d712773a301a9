"""lingvo: warp ratio cap, the dynamic bound, block masks and encoder-prefixed lines (issue 22, item 4).

Rules from tensorflow/lingvo lingvo/core/spectrum_augmenter.py @e0be5dc (2025-08): _GetWarpMatrix,
_TimeWarp, _BlockMask, _AugmentationNetwork; lingvo/tasks/asr/encoder.py line 42 (use_specaugment).
"""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError
from melwav.features import MelSettings

S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)
OFF = "p.freq_mask_max_bins = 0\np.time_mask_max_frames = 0\n"


def records(text, n_frames=300, n=2000, seed=0):
    config = FW.import_recipe(text, framework="lingvo").to_config(S10)
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=80, n_frames=n_frames, rng=rng) for _ in range(n)]


def shifts(recs):
    return [r.warp.distance if r.warp else 0 for r in recs]


def test_warp_ratio_caps_the_shift():
    # _GetWarpMatrix: length_upper_bound = int(max_ratio * choose_range);
    # final_shift = max(-bound, min(shift, bound)): ratio 0.1 on 300 frames caps W = 80 at +-30.
    recs = records(OFF + "p.time_warp_max_frames = 80\np.time_warp_max_ratio = 0.1\n")
    d = shifts(recs)
    assert max(d) == 30 and min(d) == -30
    # 102 of the 161 shifts -80..80 are clipped to +-30 (fewer recorded: the destination stays in 1..n-1)
    assert np.mean([abs(x) == 30 for x in d]) > 0.5


def test_dynamic_bound_warps_by_a_share_of_the_length():
    # _TimeWarp: 'dynamic' sets time_warp_max_frames = None; _GetWarpMatrix then draws
    # shift = tf.cast(U[-1, 1) * int(max_ratio * len), tf.int32): |shift| <= int(0.2 * 300) - 1 = 59, any W.
    recs = records(OFF + "p.time_warp_bound = 'dynamic'\np.time_warp_max_frames = 0\np.time_warp_max_ratio = 0.2\n")
    d = shifts(recs)
    assert max(d) == 59 and min(d) == -59
    assert 25.0 < np.mean(np.abs(d)) < 30.0  # magnitudes 0..59 (mean 29.5), less the clipped destinations


def test_block_masks_run_last_with_a_per_utterance_probability():
    # _BlockMask: batch_mask_prob = U[0, block_mask_prob); each 32 x 32 tile is kept when its U > that prob;
    # _AugmentationNetwork calls it after _FrequencyMask.
    recs = records(OFF + "p.block_mask_prob = 0.4\np.block_mask_size = dict(t=32, f=32)\n", n=1500)
    assert all(r.order[-1] == "block" for r in recs)
    tiles = [len(dict(r.extra)["block"]["tiles"]) for r in recs]
    n_tiles = 10 * 3  # ceil(300 / 32) x ceil(80 / 32)
    assert abs(np.mean(tiles) / n_tiles - 0.2) < 0.01  # E[q] = 0.4 / 2
    rec = next(r for r in recs if dict(r.extra)["block"]["tiles"])
    L = np.zeros((80, 300), np.float32) - 20.0
    L[:, ::2] = -60.0
    out = A.apply(L, rec)
    i, j = dict(rec.extra)["block"]["tiles"][0]
    assert np.all(out[j * 32:(j + 1) * 32, i * 32:(i + 1) * 32] == np.float32(np.mean(L)))


def test_block_masks_round_trip():
    text = "p.freq_mask_max_bins = 10\np.block_mask_prob = 0.3\np.block_mask_size = dict(t=16, f=20)\n"
    recipe = FW.import_recipe(text, framework="lingvo")
    back, _ = FW.export_recipe(recipe.to_config(S10), settings=S10, framework="lingvo", recipe=recipe)
    assert "p.block_mask_size = dict(t=16, f=20)" in back
    assert FW.import_recipe(back).params == recipe.params


def test_encoder_prefixed_lines_are_read_and_gated():
    # lingvo/tasks/asr/encoder.py: p.Define('use_specaugment', False, ...); `if p.use_specaugment:` builds it.
    on = FW.import_recipe("p.encoder.use_specaugment = True\np.encoder.specaugment_network.freq_mask_max_bins = 27\n"
                          "p.encoder.specaugment_network.freq_mask_count = 2\n")
    assert on.framework == "lingvo" and on.params["freq_mask_max_bins"] == 27
    assert on.to_config(S10).n_freq_masks == 2
    unset = FW.import_recipe("p.encoder.specaugment_network.freq_mask_max_bins = 27\n")
    assert unset.to_config(S10).is_identity
    assert any("use_specaugment is not set" in n for n in unset.notes)


def test_a_bad_block_size_names_the_key():
    with pytest.raises(ParameterError, match="block_mask_size"):
        FW.import_recipe("p.block_mask_prob = 0.1\np.block_mask_size = dict(t=0, f=32)\n")


def test_block_masks_on_a_huge_grid_are_refused_with_a_note():
    # 1 x 1 tiles on 80 bins x 300 frames: 24000 tiles, over melwav's bound (the record lists each masked tile)
    recs = records(OFF + "p.block_mask_prob = 0.5\np.block_mask_size = dict(t=1, f=1)\n", n=3)
    assert all(dict(r.extra)["block"]["tiles"] == [] for r in recs)
    assert all(any("no block masks: 24000 tiles" in n for n in r.notes) for r in recs)
