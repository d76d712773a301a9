"""Issue 14 on issue 13's fill levels: Whisper's and WeNet's 0 and fairseq's mask_value placed through the
clip's absolute power; fairseq after CMVN and SpeechBrain's zeros after global normalisation as per-band means."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import ASSETS

from melwav import frameworks as FW
from melwav import pipeline
from melwav import specaugment as A
from melwav.features import MelSettings
from melwav.records import AugmentRecord, MaskDraw

WHISPER = "model.config.apply_spec_augment = True\nmodel.config.mask_time_prob = 0.05\n"
WENET = "dataset_conf:\n  spec_aug: true\n  spec_aug_conf: {num_t_mask: 2, num_f_mask: 2, max_t: 50, max_f: 10}\n"
FAIRSEQ_RAW = "specaugment: {freq_mask_F: 27, freq_mask_N: 1, mask_value: %s}\ntransforms:\n  _train: [specaugment]\n"
FAIRSEQ_CMVN = ("specaugment: {freq_mask_F: 27, freq_mask_N: 1, time_mask_N: 1, time_mask_T: 40, time_mask_p: 1.0}\n"
                "transforms:\n  _train: [utterance_cmvn, specaugment]\n")
SPEECHBRAIN = """time_drop: !new:speechbrain.augment.freq_domain.SpectrogramDrop
    drop_length_low: 0
    drop_length_high: 20
    drop_count_low: 1
    drop_count_high: 2
    replace: "zeros"
    dim: 1
fea_augment: !new:speechbrain.augment.augmenter.Augmenter
    augmentations: [!ref <time_drop>]
"""


@pytest.fixture(scope="module")
def speech():
    return pipeline.load_and_analyse(ASSETS / "speech.wav", settings=MelSettings())


def _masked(analysis, text):
    config = FW.import_recipe(text).to_config(analysis.settings)
    record = AugmentRecord(analysis.n_mels, analysis.n_frames, None, (), (MaskDraw(10, 5),), fill=config.fill,
                           fill_db=config.fill_db, convention=config.convention)
    return A.apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)[:, 10:15], config


def test_whisper_zero_is_log10_power_minus_4_on_its_own_analysis():
    settings = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)  # WhisperFeatureExtractor's
    analysis = pipeline.load_and_analyse(ASSETS / "speech.wav", settings=settings)
    masked, config = _masked(analysis, WHISPER)
    assert (config.fill, config.fill_db) == ("absolute", 0.0)
    assert np.all(masked == masked[0, 0])
    assert float(masked[0, 0]) == pytest.approx(-40.0 - 10 * math.log10(analysis.ref), abs=0.5)


def test_whisper_and_wenet_zeros_are_placed_below_espnets(speech):
    espnet = FW.absolute_gain_db("espnet", speech.settings)
    whisper_level = float(_masked(speech, WHISPER)[0][0, 0])
    wenet_level = float(_masked(speech, WENET)[0][0, 0])
    peak = -10 * math.log10(speech.ref)
    # Whisper's 0 is 40 dB under mel power 1 (n_fft 400 vs ESPnet's 512: about 1 dB more); WeNet's is power 1
    # in 16-bit units, ~90 dB under it: near silence, as WeNet really writes it (was the fill slider's -80)
    assert whisper_level == pytest.approx(espnet + peak - 40.0, abs=2.5)
    assert wenet_level == pytest.approx(FW.absolute_gain_db("wenet", speech.settings) + peak, abs=1e-4)
    assert -125.0 < wenet_level < -110.0


def test_fairseq_mask_value_without_cmvn_is_a_level_in_nepers(speech):
    zero, config = _masked(speech, FAIRSEQ_RAW % "0.0")
    assert config.fill == "absolute"
    plus, config = _masked(speech, FAIRSEQ_RAW % "5.0")
    assert config.fill_db == pytest.approx(5.0 * 10 * math.log10(math.e))
    assert float(plus[0, 0] - zero[0, 0]) == pytest.approx(21.71, abs=0.01)
    assert float(zero[0, 0]) == pytest.approx(float(_masked(speech, WENET)[0][0, 0]), abs=1e-4)  # same Kaldi 0


@pytest.mark.parametrize("text", [FAIRSEQ_CMVN, SPEECHBRAIN], ids=["fairseq-utterance-cmvn", "speechbrain-zeros"])
def test_zero_after_normalisation_is_each_bands_mean(speech, text):
    masked, config = _masked(speech, text)
    assert config.fill == "band_mean"
    assert np.allclose(masked, speech.L.mean(axis=-1)[:, None], atol=1e-4)


def test_fill_explanations_of_the_new_frameworks():
    assert "log10 mel power -4" in FW.fill_explanation("whisper", fill="absolute", fill_db=0.0)
    assert "16-bit units" in FW.fill_explanation("wenet", fill="absolute", fill_db=0.0)
    assert "each band's own mean" in FW.fill_explanation("fairseq", fill="band_mean")
    assert "each band's own mean" in FW.fill_explanation("speechbrain", fill="band_mean")


def test_texts_that_list_the_frameworks_name_all_nine():
    from melwav import cli
    from melwav.errors import ParameterError

    assert len(FW.FRAMEWORKS) == 10  # nine, plus the wav2vec2 family (issue 22)
    with pytest.raises(ParameterError, match="cannot tell which framework") as info:
        FW.detect_framework("hello: world\n")
    help_text = cli.build_parser().format_help()
    for name in FW.FRAMEWORKS:
        assert name in str(info.value)
        assert name in help_text.split("training recipes (", 1)[1].split(")", 1)[0]


def test_extra_sizes_come_back_exactly_at_any_analysis():
    # WeNet's spec_sub max 40 frames of 10 ms is 17 frames of 23.2 ms here, which convert back to 39;
    # the export writes the recipe's own 40 (and spec_trim's 25, not 26)
    text = ("dataset_conf:\n  spec_sub: true\n  spec_sub_conf: {num_t_sub: 3, max_t: 40}\n  spec_trim: true\n"
            "  spec_trim_conf: {max_t: 25}\n")
    settings = MelSettings()
    recipe = FW.import_recipe(text)
    config = recipe.to_config(settings)
    assert config.option("sub_max_frames") == 17
    out, _ = FW.export_recipe(config, settings=settings, framework="wenet", recipe=recipe)
    assert FW.import_recipe(out).params == recipe.params
    blind, _ = FW.export_recipe(config, settings=settings, framework="wenet")  # without the recipe: converted
    assert (FW.import_recipe(blind).params["sub_max_t"], FW.import_recipe(blind).params["trim_max_t"]) == (39, 26)
    # a changed size is converted: 20 frames here are 46 of WeNet's
    changed = config.replace(extra=tuple((n, 20 if n == "sub_max_frames" else v, u) for n, v, u in config.extra))
    out, _ = FW.export_recipe(changed, settings=settings, framework="wenet", recipe=recipe)
    assert FW.import_recipe(out).params["sub_max_t"] == 46
