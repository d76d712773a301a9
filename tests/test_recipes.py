"""Importing and exporting framework recipes (melwav.frameworks)."""


import pathlib

import numpy as np
import pytest
import yaml

from melwav import frameworks as R
from melwav import specaugment as A
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.frameworks import lingvo

REPO = pathlib.Path(__file__).resolve().parents[1]

S10 = MelSettings(sr=16000, hop_length=160, n_fft=400, n_mels=80)  # 10 ms, 80 mels: the paper's features
S_DEFAULT = MelSettings()  # 22050 Hz / 512 hop (~23.2 ms), 128 mels

# egs2/librispeech/asr1/conf/tuning/train_asr_conformer10_hop_length160.yaml (the parts that matter here)
ESPNET_LIBRISPEECH = """
encoder: conformer
frontend_conf:
    n_fft: 512
    hop_length: 160
specaug: specaug
specaug_conf:
    apply_time_warp: true
    time_warp_window: 5
    time_warp_mode: bicubic
    apply_freq_mask: true
    freq_mask_width_range:
    - 0
    - 27
    num_freq_mask: 2
    apply_time_mask: true
    time_mask_width_ratio_range:
    - 0.
    - 0.05
    num_time_mask: 10
normalize: global_mvn
"""

# examples/asr/conf/conformer/conformer_ctc_bpe.yaml (the parts that matter here)
NEMO_CONFORMER = """
name: "Conformer-CTC-BPE"
model:
  sample_rate: 16000
  preprocessor:
    _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
    sample_rate: 16000
    normalize: "per_feature"
    window_size: 0.025
    window_stride: 0.01
    window: "hann"
    features: 80
  spec_augment:
    _target_: nemo.collections.asr.modules.SpectrogramAugmentation
    freq_masks: 2 # set to zero to disable it
    time_masks: 10 # set to zero to disable it
    freq_width: 27
    time_width: 0.05
"""

TORCHAUDIO_CALL = ("T.SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, freq_mask_param=27, "
                   "iid_masks=True, p=1.0, zero_masking=True)")

LINGVO_LINES = """
# SpecAugment, LibriSpeech double
p.specaugment.freq_mask_max_bins = 27
p.specaugment.freq_mask_count = 2
p.specaugment.time_mask_max_frames = 100
p.specaugment.time_mask_count = 2
p.specaugment.time_mask_max_ratio = 1.0
p.specaugment.time_warp_max_frames = 80  # frames
p.specaugment.time_warp_max_ratio = 1.0
p.specaugment.time_warp_bound = 'static'
"""


# ---------------------------------------------------------------------------------------- real recipes


def test_espnet_librispeech_hop160():
    rec = R.import_recipe(ESPNET_LIBRISPEECH)
    assert rec.framework == "espnet"
    assert rec.hop_ms == pytest.approx(10.0) and rec.n_mels == 80
    p = rec.params
    assert p["time_warp_window"] == 5 and p["freq_mask_width_range"] == [0, 27]
    assert p["time_mask_width_ratio_range"] == [0.0, 0.05] and p["num_time_mask"] == 10
    cfg = rec.to_config(S10)
    assert cfg == A.SpecAugmentConfig(warp_frames=5, freq_mask_bands=27, n_freq_masks=2, time_mask_frames=0,
                                      n_time_masks=10, width_ratio=0.05, fill="absolute", fill_db=0.0,
                                      convention="espnet")
    # only the section, without frontend_conf: ESPnet's default frontend (8 ms) unless told
    section = yaml.safe_dump(yaml.safe_load(ESPNET_LIBRISPEECH)["specaug_conf"])
    assert R.import_recipe(section).hop_ms == 8.0
    assert R.import_recipe(section, hop_ms=10).to_config(S10) == cfg


def test_nemo_conformer_ctc_bpe():
    rec = R.import_recipe(NEMO_CONFORMER)
    assert rec.framework == "nemo" and rec.hop_ms == pytest.approx(10.0) and rec.n_mels == 80
    assert rec.params["time_width"] == 0.05 and isinstance(rec.params["time_width"], float)
    cfg = rec.to_config(S10)
    assert cfg == A.SpecAugmentConfig(freq_mask_bands=27, n_freq_masks=2, n_time_masks=10, width_ratio=0.05,
                                      fill="band_mean", convention="nemo")
    section = yaml.safe_dump(yaml.safe_load(NEMO_CONFORMER)["model"]["spec_augment"])
    assert R.import_recipe(section).params == rec.params


def test_units_are_converted_both_ways():
    rec = R.import_recipe("spec_augment:\n  freq_masks: 2\n  freq_width: 27\n  time_masks: 2\n  time_width: 100\n")
    cfg = rec.to_config(S_DEFAULT)  # 100 frames of 10 ms = 1 s; 27 of 80 channels = 33.75 % of 128 bands
    assert cfg.time_mask_frames == round(1000 / S_DEFAULT.hop_ms) == 43
    assert cfg.freq_mask_bands == round(27 * 128 / 80) == 43
    text, _ = R.export_recipe(cfg, settings=S_DEFAULT, framework="nemo")
    back = R.import_recipe(text).params
    assert back["freq_width"] == 27 and back["time_width"] == round(43 * S_DEFAULT.hop_ms / 10) == 100
    rows = rec.conversions(S_DEFAULT)
    assert {r["name"] for r in rows} == {"time warp W", "time mask T", "frequency mask F"}
    assert "1000 ms" in rec.describe(S_DEFAULT)


def test_default_units():
    assert R.default_units("espnet") == (8.0, 80)
    assert R.default_units("nemo") == (10.0, 80)
    assert R.default_units("lingvo") == (10.0, 80)
    assert R.default_units("torchaudio") == (10.0, 80)
    with pytest.raises(ParameterError, match="framework"):
        R.default_units("keras")


# ----------------------------------------------------------------------------------- the forms and detection


@pytest.mark.parametrize("text, framework", [
    (ESPNET_LIBRISPEECH, "espnet"), (NEMO_CONFORMER, "nemo"), (TORCHAUDIO_CALL, "torchaudio"),
    (LINGVO_LINES, "lingvo"), ("specaug = torchaudio.transforms.SpecAugment(2, 100, 2, 27)", "torchaudio"),
    ("freq_mask_width_range: [0, 27]\nnum_freq_mask: 2\ntime_mask_width_range: 40\n", "espnet"),
])
def test_detect(text, framework):
    assert R.detect_framework(text) == framework
    assert R.import_recipe(text).framework == framework


def test_torchaudio_forms():
    a = R.import_recipe(TORCHAUDIO_CALL).params
    b = R.import_recipe("torchaudio.transforms.SpecAugment(2, 100, 2, 27, True, 1.0, True)").params
    assert a == b == {"form": "SpecAugment", "n_time_masks": 2, "time_mask_param": 100, "n_freq_masks": 2,
                      "freq_mask_param": 27, "iid_masks": True, "p": 1.0, "zero_masking": True}
    seq = R.import_recipe("nn.Sequential(T.FrequencyMasking(freq_mask_param=27), T.FrequencyMasking(27), "
                          "T.TimeMasking(time_mask_param=100, p=0.2))")
    cfg = seq.to_config(S10)
    assert (cfg.freq_mask_bands, cfg.n_freq_masks, cfg.time_mask_frames, cfg.n_time_masks) == (27, 2, 100, 1)
    # TimeMasking's own p caps the time masks only (pS), not the frequency masks (p) (issue 13)
    assert cfg.max_time_ratio == 1.0 and cfg.width_ratio == 0.2
    assert cfg.fill == "absolute" and cfg.convention == "torchaudio"
    listed = R.import_recipe("[FrequencyMasking(27), TimeMasking(100)]")
    assert listed.params["form"] == "list" and len(listed.params["transforms"]) == 2


def test_lingvo_prefixes_and_comments():
    rec = R.import_recipe(LINGVO_LINES)
    assert rec.params["time_warp_max_frames"] == 80 and rec.params["freq_mask_count"] == 2
    cfg = rec.to_config(S10)
    assert (cfg.warp_frames, cfg.freq_mask_bands, cfg.time_mask_frames, cfg.max_time_ratio) == (80, 27, 100, 1.0)
    dyn = R.import_recipe("p.use_dynamic_time_mask_max_frames = True\np.time_mask_max_ratio = 0.05\n"
                          "p.time_mask_count = 10\np.time_masks_per_frame = 0.04")
    cfg = dyn.to_config(S10)
    assert cfg.width_ratio == 0.05 and cfg.max_time_ratio == 0.05 and cfg.masks_per_frame == 0.04


# ------------------------------------------------------------------------------------ round trips, export


ROUND_TRIP = {
    "espnet": [ESPNET_LIBRISPEECH,
               "apply_time_warp: false\nfreq_mask_width_range: 30\nnum_freq_mask: 1\n"
               "time_mask_width_range: [0, 40]\nnum_time_mask: 3\nreplace_with_zero: false\n"],
    "nemo": [NEMO_CONFORMER, "freq_masks: 1\ntime_masks: 3\nfreq_width: 15\ntime_width: 25\n"],
    "torchaudio": [TORCHAUDIO_CALL, "SpecAugment(n_time_masks=1, time_mask_param=70, n_freq_masks=3, "
                                    "freq_mask_param=15, p=0.2)"],
    "lingvo": [LINGVO_LINES, "p.use_dynamic_time_mask_max_frames = True\np.time_mask_max_ratio = 0.05\n"
                             "p.time_mask_count = 10\np.time_masks_per_frame = 0.04\np.freq_mask_count = 2\n"
                             "p.freq_mask_max_bins = 27"],
    "lhotse": ["SpecAugment(time_warp_factor=80, num_frame_masks=10, features_mask_size=27, num_feature_masks=2, "
               "frames_mask_size=100)", '{"time_warp_factor": null, "num_feature_masks": 1, "features_mask_size": 15, '
               '"num_frame_masks": 3, "frames_mask_size": 40, "max_frames_mask_fraction": 0.3, "p": 1.0}'],
    "speechbrain": [(REPO / "examples" / "speechbrain_conformer_large.yaml").read_text(),
                    "time_drop: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n  drop_length_low: 12\n"
                    "  drop_length_high: 20\n  drop_count_low: 5\n  drop_count_high: 5\n"
                    "freq_drop: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n  drop_length_low: 20\n"
                    "  drop_length_high: 25\n  drop_count_low: 2\n  drop_count_high: 2\n  dim: 2\n"],
}


@pytest.mark.parametrize("framework", list(ROUND_TRIP))  # the later frameworks have their own test files
@pytest.mark.parametrize("index", [0, 1])
def test_import_export_import_is_identity(framework, index):
    first = R.import_recipe(ROUND_TRIP[framework][index])
    assert first.framework == framework
    settings = MelSettings(sr=16000, hop_length=round(16 * first.hop_ms), n_fft=512, n_mels=first.n_mels)
    cfg = first.to_config(settings)
    text, notes = R.export_recipe(cfg, settings=settings, framework=framework, hop_ms=first.hop_ms,
                                  n_mels=first.n_mels)
    second = R.import_recipe(text, framework=framework, hop_ms=first.hop_ms, n_mels=first.n_mels)
    assert second.params == first.params
    assert second.to_config(settings) == cfg
    assert not any("exported as they are" in n for n in notes)


def _doc_lingvo():
    return {"freq_mask_max_bins": 27, "freq_mask_count": 2, "time_mask_max_frames": 100, "time_mask_count": 2,
            "time_mask_max_ratio": 1.0, "use_dynamic_time_mask_max_frames": False, "time_masks_per_frame": 0.0,
            "time_warp_bound": "static", "time_warp_max_frames": 80, "time_warp_max_ratio": 1.0}


def test_ld_policy_exports_the_reference_fragments():
    # The paper's numbers are its authors' lingvo numbers (widths exclusive of the top): LD in lingvo's
    # convention, with the paper's zero fill, on its own features (10 ms, 80 mels).
    ld = A.POLICIES["LD"].to_config(S10, fill="value").replace(convention="lingvo")
    units = {"hop_ms": 10.0, "n_mels": 80}

    text, notes = R.export_recipe(ld, settings=S10, framework="espnet", **units)
    conf = yaml.safe_load(text)
    assert conf["specaug"] == "specaug"
    expected = {"apply_time_warp": True, "time_warp_window": 80, "time_warp_mode": "bicubic",
                "freq_mask_width_range": [0, 27], "num_freq_mask": 2, "time_mask_width_range": [0, 100],
                "num_time_mask": 2, "replace_with_zero": True}
    assert {k: conf["specaug_conf"][k] for k in expected} == expected
    assert "time_mask_width_ratio_range" not in conf["specaug_conf"]

    text, notes = R.export_recipe(ld, settings=S10, framework="nemo", **units)
    sa = yaml.safe_load(text)["spec_augment"]
    assert {k: sa[k] for k in ("freq_masks", "freq_width", "time_masks", "time_width", "mask_value")} == {
        "freq_masks": 2, "freq_width": 27, "time_masks": 2, "time_width": 100, "mask_value": 0.0}
    assert isinstance(sa["time_width"], int)
    assert "time_width: 100," in text
    assert any("no time warp: W = 80 dropped" in n for n in notes)

    text, notes = R.export_recipe(ld, settings=S10, framework="torchaudio", **units)
    assert text == ("# melwav export for torchaudio: sizes in frames of 10 ms and channels of a 80-channel mel bank\n"
                    "torchaudio.transforms.SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, "
                    "freq_mask_param=27, iid_masks=True, p=1.0, zero_masking=True)")
    assert any("W = 80 dropped" in n for n in notes)

    text, notes = R.export_recipe(ld, settings=S10, framework="lingvo", **units)
    assert R.import_recipe(text).params == {**lingvo.normalise({}), **_doc_lingvo()}
    assert text.splitlines()[1] == "p.freq_mask_max_bins = 27"


def test_melwav_convention_exports_top_plus_one():
    ld = A.POLICIES["LD"].to_config(S10)  # melwav's own: widths 0..27 and 0..100 inclusive
    text, notes = R.export_recipe(ld, settings=S10, framework="espnet", hop_ms=10, n_mels=80)
    conf = yaml.safe_load(text)["specaug_conf"]
    assert conf["freq_mask_width_range"] == [0, 28] and conf["time_mask_width_range"] == [0, 101]
    assert conf["replace_with_zero"] is False  # melwav's "mean" -> ESPnet's mean (per stage)
    assert any("F + 1" in n for n in notes)
    text, _ = R.export_recipe(ld, settings=S10, framework="torchaudio")
    assert "time_mask_param=101" in text and "freq_mask_param=28" in text and "zero_masking=False" in text


def test_export_notes_what_cannot_be_expressed():
    cfg = A.SpecAugmentConfig(warp_frames=40, freq_mask_bands=15, n_freq_masks=2, time_mask_frames=70,
                              n_time_masks=2, max_time_ratio=0.2, masks_per_frame=0.05)
    _, notes = R.export_recipe(cfg, settings=S10, framework="espnet", hop_ms=10)
    assert any("p = 0.2 dropped" in n for n in notes) and any("pM" in n for n in notes)
    _, notes = R.export_recipe(cfg, settings=S10, framework="torchaudio")
    assert any("torchaudio has no time warp: W = 40 dropped" in n for n in notes)
    assert any("frequency masks too" in n for n in notes)
    adaptive = A.POLICIES["adaptive"].to_config(S10)
    text, notes = R.export_recipe(adaptive, settings=S10, framework="torchaudio")
    assert text.splitlines()[1].startswith("[") and "TimeMasking(time_mask_param=10000, p=0.05)" in text
    again = R.import_recipe(text).to_config(S10)  # our own export keeps F (issue 13: it came back as 5)
    assert (again.width_ratio, again.max_time_ratio, again.freq_mask_bands) == (0.05, 1.0, 28)
    text, _ = R.export_recipe(adaptive, settings=S10, framework="nemo")
    assert yaml.safe_load(text)["spec_augment"]["time_width"] == 0.05


def test_imported_configs_draw_and_replay():
    L = np.random.default_rng(0).normal(-40, 10, size=(80, 400)).astype(np.float32)
    for framework, texts in ROUND_TRIP.items():
        for text in texts:
            cfg = R.import_recipe(text, hop_ms=10, n_mels=80).to_config(S10)
            out, rec = A.augment(L, cfg, rng=np.random.default_rng(1), ref=1.0, settings=S10)
            assert rec.convention == framework
            back = A.apply(L, A.AugmentRecord.from_dict(rec.to_dict()), ref=1.0, settings=S10)
            assert np.array_equal(back, out)


# ---------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("text, kwargs, match", [
    ("specaug_conf: {freq_mask_width_range: [0, 27]", {}, "malformed at line 1"),
    ("specaug_conf:\n  num_freq_mask: 2\n  bogus: 3\n", {"framework": "espnet"}, "bogus"),
    ("specaug_conf:\n  freq_mask_width_range: [27, 0]\n  time_mask_width_range: 5\n", {}, "high > low"),
    ("specaug_conf:\n  time_mask_width_range: 5\n  time_mask_width_ratio_range: 0.05\n", {}, "exactly one"),
    ("specaug_conf:\n  time_mask_width_range: 5.5\n", {}, "time_mask_width_range must be"),
    ("specaug_conf:\n  time_mask_width_range: [0, 27.5]\n", {}, r"time_mask_width_range\[1\]"),
    ("specaug_conf:\n  time_warp_mode: area\n  time_mask_width_range: 5\n", {}, "time_warp_mode"),
    ("spec_augment:\n  freq_masks: 2\n  time_width: 100.0\n", {}, "write 100 .an int."),
    ("spec_augment:\n  freq_masks: 2\n  time_width: 1.5\n", {}, "time_width"),
    ("spec_augment:\n  freq_width: 27.0\n  freq_masks: 2\n", {}, "freq_width"),
    ("spec_augment:\n  freq_masks: -1\n", {}, "freq_masks"),
    ("spec_augment:\n  freq_masks: 2\n  time_masks: yes\n", {}, "time_masks"),
    ("spec_augment:\n  freq_masks: 2\n  mask_value: mean\n", {}, "mask_value"),
    ('__import__("os").system("echo hacked")', {}, "nothing was run"),
    ('SpecAugment(n_time_masks=__import__("os").getpid(), time_mask_param=1, n_freq_masks=1, '
     'freq_mask_param=1)', {}, "must be a literal"),
    ("SpecAugment(2, 100, 2, 27, True, 1.0, True, 9)", {}, "at most 7"),
    ("SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, freq_mask_param=27, foo=1)", {}, "foo"),
    ("SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2)", {}, "freq_mask_param"),
    ("TimeMasking(time_mask_param=100, p=1.5)", {}, "p must be"),
    ("FrequencyMasking(27.5)", {}, "freq_mask_param"),
    ("[FrequencyMasking(27), FrequencyMasking(15)]", {}, "differ in freq_mask_param"),
    ("os.system('ls')", {"framework": "torchaudio"}, "nothing was run"),
    ("import os", {"framework": "torchaudio"}, "one torchaudio expression"),
    ("p.freq_mask_max_bins = 27\np.bogus = 1", {}, "line 2.*bogus"),
    ("p.freq_mask_max_bins = 27\np.freq_mask_count = open('x')", {}, "line 2.*literal"),
    ("p.freq_mask_max_bins = 27\np.time_mask_count = -2", {}, "line 2.*time_mask_count"),
    ("p.time_warp_bound = 'sometimes'", {}, "time_warp_bound"),
    ("hello world", {}, "cannot tell which framework"),
    ("", {}, "empty"),
    ("freq_masks: 2", {"framework": "caffe"}, "framework must be one of"),
    (NEMO_CONFORMER, {"hop_ms": 0}, "hop_ms"),
    (NEMO_CONFORMER, {"n_mels": 2.5}, "n_mels"),
])
def test_bad_input_is_a_clear_parameter_error(text, kwargs, match, capfd):
    with pytest.raises(ParameterError, match=match):
        R.import_recipe(text, **kwargs)
    out, err = capfd.readouterr()
    assert "hacked" not in out and out == ""


def test_values_out_of_range_for_melwav():
    huge = "spec_augment:\n  freq_masks: 500\n  freq_width: 27\n"
    rec = R.import_recipe(huge)
    with pytest.raises(ParameterError, match="n_freq_masks"):
        rec.to_config(S10)


def test_export_rejects_unknown_framework():
    with pytest.raises(ParameterError, match="framework"):
        R.export_recipe(A.SpecAugmentConfig(), settings=S10, framework="kaldi")
