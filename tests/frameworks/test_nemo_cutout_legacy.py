"""NeMo's SpecCutout and its legacy (non-vectorised) SpecAugment (issue 22, item 9).

Rules: NVIDIA/NeMo nemo/collections/asr/parts/submodules/spectr_augment.py, SpecAugment._forward_legacy
(`start = self._rng.randint(0, freq_start_upper_bound)`, `width = self._rng.randint(0, self.freq_width)`; time:
`time_max_width = max(1, int(length * time_width))`, `randint(0, max(1, length - time_max_width))`) and
SpecCutout.forward (`rect_x = randint(0, sh[1] - rect_freq)`, `rect_y = randint(0, sh[2] - rect_time)`,
`w_x = randint(0, rect_freq)`, `w_y = randint(0, rect_time)`, `= 0.0`); modules/audio_preprocessing.py
SpectrogramAugmentation.forward runs `self.spec_cutout` before `self.spec_augment`. Python's randint includes
both ends.
"""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError
from melwav.features import MelSettings

S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)
QUARTZNET = ("spec_augment:\n  _target_: nemo.collections.asr.modules.SpectrogramAugmentation\n"
             "  rect_masks: 5\n  rect_time: 120\n  rect_freq: 50\n")


def records(text, n_frames=400, n=3000, seed=0):
    config = FW.import_recipe(text).to_config(S10)
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=80, n_frames=n_frames, rng=rng) for _ in range(n)]


def test_speccutout_rectangles_are_drawn_first_with_inclusive_ranges():
    recs = records(QUARTZNET)
    assert all(r.order[0] == "cutout" for r in recs)
    rects = [rect for r in recs for rect in dict(r.extra)["cutout"]]
    assert len(rects) == 5 * len(recs)
    t0, wt, f0, wf = (np.array(v) for v in zip(*rects))
    assert (t0.min(), t0.max(), f0.min(), f0.max()) == (0, 400 - 120, 0, 80 - 50)
    assert (wt.min(), wt.max(), wf.min(), wf.max()) == (0, 120, 0, 50)  # both ends included


def test_cutout_is_applied_with_the_band_mean():
    rec = next(r for r in records(QUARTZNET, n=50) if any(w and b for _, w, _, b in dict(r.extra)["cutout"]))
    L = np.linspace(-80, 0, 80 * 400, dtype=np.float32).reshape(80, 400)
    out = A.apply(L, rec)
    t0, wt, f0, wf = next(x for x in dict(rec.extra)["cutout"] if x[1] and x[3])
    np.testing.assert_allclose(out[f0:f0 + wf, t0:t0 + wt], np.broadcast_to(L.mean(axis=1, keepdims=True)[f0:f0 + wf],
                                                                            (wf, wt)), atol=1e-4)


def test_legacy_widths_include_their_top():
    text = ("spec_augment: {freq_masks: 2, freq_width: 27, time_masks: 2, time_width: 0.05,\n"
            "  use_vectorized_spec_augment: false}\n")
    recs = records(text)
    fw = {m.width for r in recs for m in r.freq_masks}
    tw = {m.width for r in recs for m in r.time_masks}
    assert fw == set(range(0, 28))  # randint(0, 27): 0..27 (the vectorised code: 0..26)
    assert tw == set(range(0, 21))  # max(1, int(400 * 0.05)) = 20: randint(0, 20)
    assert max(m.start for r in recs for m in r.freq_masks) == 80 - 27
    assert max(m.start for r in recs for m in r.time_masks) == 400 - 20


def test_cutout_and_legacy_round_trip():
    recipe = FW.import_recipe(QUARTZNET.replace("rect_freq: 50\n", "rect_freq: 50\n  freq_masks: 2\n"
                                                "  use_vectorized_spec_augment: false\n"))
    text, _ = FW.export_recipe(recipe.to_config(S10), settings=S10, framework="nemo", recipe=recipe)
    assert FW.import_recipe(text).params == recipe.params


def test_too_many_rectangles_name_the_key():
    with pytest.raises(ParameterError, match="rect_masks"):
        FW.import_recipe("spec_augment: {rect_masks: 100000}\n")
