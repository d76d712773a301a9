"""FunASR's SpecAug / SpecAugLFR: ESPnet's rules on its own features (issue 22, item 11).

Rules: modelscope/FunASR funasr/models/specaug/specaug.py (SpecAug, SpecAugLFR: no replace_with_zero argument;
SpecAugLFR passes lfr_rate + 1 to MaskAlongAxisLFR) and mask_along_axis.py (mask_along_axis is ESPnet's, byte for
byte: `torch.randint(mask_width_range[0], mask_width_range[1], ...)`, `randint(0, max(1, D - max))`;
mask_along_axis_lfr draws on D // lfr_rate bins and repeats the mask at offsets D * i of each stacked frame;
MaskAlongAxisLFR forces lfr_rate = 1 on the time axis).
"""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError

PARAFORMER = """\
frontend: WavFrontend
frontend_conf: {fs: 16000, window: hamming, n_mels: 80, frame_length: 25, frame_shift: 10, lfr_m: 7, lfr_n: 6}
specaug: SpecAugLFR
specaug_conf:
  apply_time_warp: false
  time_warp_window: 5
  time_warp_mode: bicubic
  apply_freq_mask: true
  freq_mask_width_range: [0, 30]
  lfr_rate: 6
  num_freq_mask: 1
  apply_time_mask: true
  time_mask_width_range: [0, 12]
  num_time_mask: 1
"""


def test_paraformer_is_read_with_espnet_rules_in_lfr_frames():
    recipe = FW.import_recipe(PARAFORMER)
    assert recipe.framework == "espnet" and recipe.params["funasr"] == "SpecAugLFR"
    assert (recipe.hop_ms, recipe.n_mels) == (60.0, 80)  # frame_shift 10 ms x lfr_n 6, 80 mel bins per frame
    native = FW.native_settings(recipe)
    config = recipe.to_config(native)
    assert config.fill == "band_mean"  # 0 after WavFrontend's CMVN
    rng = np.random.default_rng(0)
    recs = [A.draw(config, n_mels=80, n_frames=100, rng=rng) for _ in range(2000)]
    assert {m.width for r in recs for m in r.time_masks} == set(range(0, 12))  # randint(0, 12): 0..11 LFR frames
    assert {m.width for r in recs for m in r.freq_masks} == set(range(0, 30))  # the same bins in every stack
    text, _ = FW.export_recipe(config, settings=native, framework="espnet", recipe=recipe)
    assert text.splitlines()[1] == "specaug: SpecAugLFR" and "lfr_rate: 6" in text
    assert FW.import_recipe(text).params == recipe.params


def test_funasr_specaug_takes_no_replace_with_zero():
    with pytest.raises(ParameterError, match="replace_with_zero"):
        FW.import_recipe("specaug: SpecAug\nspecaug_conf: {replace_with_zero: false, time_mask_width_range: [0, 40]}\n")
