"""Issue 13: the fill levels the frameworks really write (an absolute 0 placed on the clip, NeMo's per-band mean)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ASSETS

from melwav import frameworks as FW
from melwav import pipeline
from melwav import specaugment as A
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.records import AugmentRecord, MaskDraw

ESPNET_ZERO = ("specaug: specaug\nspecaug_conf:\n  apply_time_warp: false\n  freq_mask_width_range: [0, 27]\n"
               "  num_freq_mask: 2\n  time_mask_width_range: [0, 40]\n  num_time_mask: 2\n  replace_with_zero: true\n")


@pytest.fixture(scope="module")
def speech():
    return pipeline.load_and_analyse(ASSETS / "speech.wav", settings=MelSettings())


def _masked_level(analysis, recipe_text):
    config = FW.import_recipe(recipe_text).to_config(analysis.settings)
    record = AugmentRecord(analysis.n_mels, analysis.n_frames, None, (), (MaskDraw(10, 5),), fill=config.fill,
                           fill_db=config.fill_db, convention=config.convention)
    out = A.apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    return out[:, 10:15], config


def test_espnet_zero_is_placed_through_the_clips_absolute_power(speech):
    # ESPnet's 0 in its natural-log mel = mel power 1 on its scale: about 15 dB below the peak of this speech
    # clip (it was played at -80 dB re. the peak, i.e. as silence).
    masked, config = _masked_level(speech, ESPNET_ZERO)
    assert config.fill == "absolute" and config.fill_db == 0.0
    level = float(masked[0, 0])
    assert np.all(masked == np.float32(level))
    assert -17.0 < level < -13.0
    assert level == pytest.approx(FW.absolute_gain_db("espnet", speech.settings) - 10 * math.log10(speech.ref),
                                  abs=1e-4)


def test_on_espnets_own_analysis_the_zero_is_mel_power_one():
    settings = MelSettings(sr=16000, n_fft=512, hop_length=128, n_mels=80)  # ESPnet's DefaultFrontend
    assert FW.absolute_gain_db("espnet", settings) == pytest.approx(0.0, abs=1e-6)
    analysis = pipeline.load_and_analyse(ASSETS / "speech.wav", settings=settings)
    masked, _ = _masked_level(analysis, ESPNET_ZERO)
    assert float(masked[0, 0]) == pytest.approx(-10 * math.log10(analysis.ref), abs=1e-4)  # 0 dB re. power 1


def test_the_level_hardly_depends_on_the_analysis():
    # the same sound, the same level re. its peak whichever analysis melwav uses (within a couple of dB)
    levels = []
    for settings in (MelSettings(), MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80)):
        analysis = pipeline.load_and_analyse(ASSETS / "speech.wav", settings=settings)
        levels.append(float(_masked_level(analysis, ESPNET_ZERO)[0][0, 0]))
    assert abs(levels[0] - levels[1]) < 2.5


def test_torchaudio_zero_masking_is_an_absolute_level_too(speech):
    text = "SpecAugment(n_time_masks=2, time_mask_param=40, n_freq_masks=2, freq_mask_param=27, zero_masking=True)"
    masked, config = _masked_level(speech, text)
    assert config.fill == "absolute"
    expected = FW.absolute_gain_db("torchaudio", speech.settings) - 10 * math.log10(speech.ref)
    assert float(masked[0, 0]) == pytest.approx(expected, abs=1e-4) and expected > -45


def test_absolute_fill_needs_the_reference():
    record = AugmentRecord(4, 10, None, (), (MaskDraw(1, 2),), fill="absolute", fill_db=0.0, convention="espnet")
    with pytest.raises(ParameterError, match="reference power"):
        A.apply(np.zeros((4, 10), np.float32), record)


def test_absolute_fill_replays_from_a_params_file(speech, tmp_path):
    config = FW.import_recipe(ESPNET_ZERO).to_config(speech.settings)
    rendered = pipeline.render(speech, config, seed=3, method="fgla", n_iter=2)
    params = pipeline.params_for(speech, rendered, policy=None)
    path = pipeline.write_params(tmp_path / "p.json", params)
    again = pipeline.replay(speech, pipeline.read_params(path))
    assert np.array_equal(again.L_aug, rendered.L_aug)


def test_nemo_fills_each_band_with_its_own_mean(speech):
    masked, config = _masked_level(speech, "spec_augment:\n  freq_masks: 2\n  time_masks: 2\n  freq_width: 27\n")
    assert config.fill == "band_mean"
    band_means = speech.L.mean(axis=-1)
    assert np.allclose(masked, band_means[:, None], atol=1e-4)
    assert np.ptp(band_means) > 10  # a per-band fill, not one level
    # a frequency mask keeps each masked band at its own mean
    rec = AugmentRecord(speech.n_mels, speech.n_frames, None, (MaskDraw(20, 3),), (), fill="band_mean",
                        convention="nemo")
    out = A.apply(speech.L, rec)
    assert np.allclose(out[20:23], band_means[20:23, None], atol=1e-4)


def test_fill_explanations_name_the_real_levels():
    assert "not silence" in FW.fill_explanation("espnet", fill="absolute", fill_db=0.0)
    assert "each band's own mean" in FW.fill_explanation("nemo", fill="band_mean")
