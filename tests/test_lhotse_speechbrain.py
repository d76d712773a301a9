"""lhotse/icefall and SpeechBrain: draw rules over many seeds, the safe HyperPyYAML reader, detection, export."""

from __future__ import annotations

import html
import json
import math
import re
import time

import numpy as np
import pytest
from conftest import REPO

from melwav import cli
from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.frameworks import _resample, espnet, speechbrain

S10 = MelSettings(sr=16000, hop_length=160, n_fft=400, n_mels=80)
N = 3000


def lhotse_config(**changes):
    base = {"time_warp_factor": 80, "num_feature_masks": 2, "features_mask_size": 27, "num_frame_masks": 10,
            "frames_mask_size": 100, "max_frames_mask_fraction": 0.15, "p": 0.9}
    base.update(changes)
    return FW.import_recipe(json.dumps(base)).to_config(S10)


def draws(config, n_frames, n=N, n_mels=80, seed=0):
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng) for _ in range(n)]


def binomial_ok(hits: int, n: int, prob: float) -> bool:
    """Within 5 standard deviations of n * prob."""
    return abs(hits - n * prob) <= 5 * math.sqrt(n * prob * (1 - prob)) + 1


# ------------------------------------------------------------------------------------------------ lhotse


def test_lhotse_frequency_widths_and_last_bin():
    recs = draws(lhotse_config(p=1.0, time_warp_factor=None), 1000)
    widths = [m.width for r in recs for m in r.freq_masks]
    assert len(widths) == 2 * N and min(widths) == 0 and max(widths) == 26  # torch.randint(0, 27)
    assert max(m.stop for r in recs for m in r.freq_masks) == 79  # floor(U * (80 - w)) + w <= 79: bin 79 never
    assert min(m.start for r in recs for m in r.freq_masks) == 0


@pytest.mark.parametrize("n_frames, count, top", [(1000, 2, 74), (3000, 5, 89), (7000, 10, 99), (100, 1, 14)])
def test_lhotse_time_masks_shrink_with_length(n_frames, count, top):
    recs = draws(lhotse_config(p=1.0, time_warp_factor=None), n_frames, n=800)
    assert {len(r.time_masks) for r in recs} == {count}
    widths = [m.width for r in recs for m in r.time_masks]
    assert min(widths) == 0 and max(widths) == top
    assert max(m.stop for r in recs for m in r.time_masks) <= n_frames - 1


def test_lhotse_p_gates_warp_and_masks_separately():
    recs = draws(lhotse_config(p=0.7), 600)
    masked = [bool(r.freq_masks) for r in recs]
    warp_skipped = ["skipped the warp" in " ".join(r.notes) for r in recs]
    assert binomial_ok(sum(masked), N, 0.7)
    assert binomial_ok(sum(warp_skipped), N, 0.3)
    both = sum(m and s for m, s in zip(masked, warp_skipped))
    assert binomial_ok(both, N, 0.7 * 0.3)  # independent gates


def test_lhotse_warp_ranges():
    W, n = 20, 100
    recs = draws(lhotse_config(p=1.0, time_warp_factor=W), n)
    warps = [r.warp for r in recs if r.warp is not None]
    centers = [w.center for w in warps]
    dists = [w.distance for w in warps]
    assert min(centers) == W + 1 and max(centers) == n - W - 1
    assert min(dists) == -W and max(dists) == W and 0 not in dists  # w == c leaves the input alone
    assert binomial_ok(len(warps), N, 2 * W / (2 * W + 1))
    assert all(w.interpolation == "lhotse-bicubic" for w in warps)
    (short,) = draws(lhotse_config(p=1.0, time_warp_factor=W), 2 * W + 1, n=1)
    assert short.warp is None and any("2W + 1" in note for note in short.notes)


def test_lhotse_warp_is_espnets_resampler():
    L = np.random.default_rng(0).normal(size=(8, 60))
    warp = A.WarpDraw(25, -7, "lhotse-bicubic")
    assert np.allclose(A.apply_time_warp(L, warp), espnet.apply_warp(L, A.WarpDraw(25, -7, "espnet-bicubic")))


def test_lhotse_forms_and_detection():
    call = (REPO / "examples" / "lhotse_icefall_librispeech.txt").read_text()
    recipe = FW.import_recipe(call)
    assert recipe.framework == "lhotse"
    assert recipe.params["time_warp_factor"] == 80 and recipe.params["num_frame_masks"] == 10
    assert any("icefall's default 80" in n for n in recipe.notes)
    flags = FW.import_recipe("./zipformer/train.py --world-size 4 \\\n  --use-cr-ctc 1 --time-mask-ratio 2.0 "
                             "--spec-aug-time-warp-factor 40")
    assert flags.framework == "lhotse"
    assert (flags.params["time_warp_factor"], flags.params["num_frame_masks"]) == (40, 20)
    assert flags.params["max_frames_mask_fraction"] == pytest.approx(0.3)
    with pytest.raises(ParameterError, match="runs no SpecAugment"):
        FW.import_recipe("--enable-spec-aug false")
    state = FW.import_recipe('{"time_warp_factor": null, "num_frame_masks": 3}')
    assert state.framework == "lhotse" and state.fields.W == 0 and state.params["p"] == 0.9
    # torchaudio's own call is still torchaudio
    assert FW.detect_framework("SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, "
                               "freq_mask_param=27)") == "torchaudio"
    assert FW.detect_framework("lhotse.dataset.SpecAugment(80, 2, 27)") == "lhotse"


@pytest.mark.parametrize("text, match", [
    ("SpecAugment(time_warp_factor=__import__('os').getpid())", "nothing was run"),
    ("SpecAugment(time_warp_factor=80, frames_mask_size=0)", "frames_mask_size"),
    ("SpecAugment(time_warp_factor=80, bogus=1)", "bogus"),
    ("SpecAugment(time_warp_factor=80, p=1.5)", "p must be"),
    ("SpecAugment(time_warp_factor=80)\nSpecAugment(time_warp_factor=80)", "found 2"),
    ("--spec-aug-time-warp-factor eighty", "must be a whole number"),
    ("SpecAugment(time_warp_factor=f('<img src=x>'))", "an expression of 16 characters"),
    ('{"num_frame_masks": 3, "frames": 1}', "frames"),
])
def test_lhotse_bad_input(text, match):
    with pytest.raises(ParameterError, match=match):
        FW.import_recipe(text, framework="lhotse")


def test_lhotse_zero_frame_masks_is_said():
    recipe = FW.import_recipe('{"num_frame_masks": 0}')
    assert any("raises" in n for n in recipe.field_notes)
    (rec,) = draws(recipe.to_config(S10), 500, n=1)
    assert rec.time_masks == () and any("divides by zero" in n for n in rec.notes)


# ------------------------------------------------------------------------------------------- SpeechBrain

SB_DROPS = """
time_drop: !new:speechbrain.augment.freq_domain.SpectrogramDrop
    drop_length_low: 5
    drop_length_high: 15
    drop_count_low: 1
    drop_count_high: 3
freq_drop: !new:speechbrain.augment.freq_domain.SpectrogramDrop
    drop_length_low: 2
    drop_length_high: 9
    drop_count_low: 0
    drop_count_high: 2
    replace: mean
    dim: 2
warp: !new:speechbrain.augment.freq_domain.Warping
    warp_window: 10
aug: !new:speechbrain.augment.augmenter.Augmenter
    augment_prob: {prob}
    min_augmentations: {lo}
    max_augmentations: {hi}
    augmentations: [!ref <warp>, !ref <freq_drop>, !ref <time_drop>]
"""


def sb_config(prob=1.0, lo=3, hi=3):
    return FW.import_recipe(SB_DROPS.format(prob=prob, lo=lo, hi=hi)).to_config(S10)


def test_speechbrain_counts_widths_and_starts():
    recs = draws(sb_config(), 200)
    assert {len(r.time_masks) for r in recs} == {1, 2, 3}  # randint(low, high + 1)
    assert {len(r.freq_masks) for r in recs} == {0, 1, 2}
    # every mask of a draw has its own width in low..high-1; starts anywhere, masks cut at the end
    full = [m for r in recs for m in r.time_masks if m.stop < 200]
    assert {m.width for m in full} == set(range(5, 15))
    starts = [m.start for r in recs for m in r.time_masks]
    assert min(starts) == 0 and max(starts) == 199
    assert any(m.stop == 200 and m.width < 5 for r in recs for m in r.time_masks)
    fstarts = [m.start for r in recs for m in r.freq_masks]
    assert max(fstarts) == 79
    assert {m.width for r in recs for m in r.freq_masks if m.stop < 80} == set(range(2, 9))
    assert all(r.order == ("warp", "freq", "time") for r in recs)


def test_speechbrain_warp_ranges():
    W, n = 10, 60
    recs = draws(sb_config(), n)
    warps = [r.warp for r in recs if r.warp is not None]
    assert min(w.center for w in warps) == W and max(w.center for w in warps) == n - W - 1
    dists = [w.distance for w in warps]
    assert min(dists) == -W + 1 and max(dists) == W and 0 not in dists
    (short,) = draws(sb_config(), 2 * W, n=1)
    assert short.warp is None and any("2W" in note for note in short.notes)


def test_speechbrain_augment_prob_and_number_of_augmentations():
    recs = draws(sb_config(prob=0.6, lo=1, hi=2), 300)
    skipped = [r for r in recs if any("skipped" in n for n in r.notes)]
    assert binomial_ok(len(skipped), N, 0.4)
    applied = [r for r in recs if r not in skipped]
    # the first N of the list (warp, freq, time), N in 1..2: time masks never
    assert all(r.time_masks == () for r in recs)
    two = [r for r in applied if any("2 of its 3" in n for n in r.notes)]
    assert binomial_ok(len(two), len(applied), 0.5)


def test_speechbrain_example_and_units():
    recipe = FW.import_recipe((REPO / "examples" / "speechbrain_conformer_large.yaml").read_text())
    assert recipe.framework == "speechbrain" and (recipe.hop_ms, recipe.n_mels) == (10.0, 80)
    config = recipe.to_config(MelSettings(sr=16000, hop_length=320, n_fft=1024, n_mels=40))  # 20 ms, 40 bands
    assert (config.time_mask_frames, config.option("time_length_low")) == (12, 8)  # 25 and 15 frames of 10 ms
    assert (config.freq_mask_bands, config.option("freq_length_low")) == (10, 5)
    assert config.option("slots") == ("time", "freq", "warp")


# The pre-1.0 recipes/LibriSpeech/ASR/transformer/hparams/conformer_large.yaml (speechbrain/speechbrain before
# 9ca48f290), parts: its SpecAugment, Fbank and some of the tags around them.
SB_LEGACY = """
seed: 3407
__set_seed: !apply:torch.manual_seed [!ref <seed>]
output_folder: !ref results/conformer_large/<seed>
data_folder: !PLACEHOLDER  # e.g., /path/to/LibriSpeech
n_mels: 80
CNN: !new:speechbrain.lobes.models.convolution.ConvolutionFrontEnd
    input_shape: (8, 10, 80)
    out_channels: (64, 32)
activation: !name:torch.nn.GELU
augmentation: !new:speechbrain.lobes.augment.SpecAugment
    time_warp: True
    time_warp_window: 5
    time_warp_mode: bicubic
    freq_mask: True
    n_freq_mask: 2
    time_mask: True
    n_time_mask: 10
    replace_with_zero: False
    freq_mask_width: 30
    time_mask_width: 25
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
"""


def test_speechbrain_pre_1_0_specaugment():
    recipe = FW.import_recipe(SB_LEGACY)
    assert recipe.framework == "speechbrain" and (recipe.hop_ms, recipe.n_mels) == (10.0, 80)
    config = recipe.to_config(S10)
    assert (config.warp_frames, config.freq_mask_bands, config.n_freq_masks) == (5, 30, 2)
    assert (config.time_mask_frames, config.n_time_masks) == (25, 10)
    recs = draws(config, 200, n=1000)
    assert {len(r.time_masks) for r in recs} == {10} and {len(r.freq_masks) for r in recs} == {2}
    assert {m.width for r in recs for m in r.freq_masks} == set(range(30))
    # starts in 0..D - widest - 1: every mask whole, and the widest one of a draw never touches the end
    for r in recs:
        widest = max(m.width for m in r.time_masks)
        assert all(m.start < max(1, 200 - widest) for m in r.time_masks)
    assert all(r.order == ("warp", "freq", "time") for r in recs)
    text, notes = FW.export_recipe(config, settings=S10, framework="speechbrain")
    assert "drop_count_low: 10" in text and any("kept them whole" in n for n in notes)


def test_speechbrain_apply_is_not_run(tmp_path):
    marker = tmp_path / "ran"
    text = (f"boom: !apply:os.system [\"touch {marker}\"]\nalso: !new:subprocess.Popen [[\"touch\", \"{marker}\"]]\n"
            f"later: !applyref:os.system [\"touch {marker}\"]\ninc: !include:/etc/passwd\n"
            f"t: (1, 2)\n" + SB_DROPS.format(prob=1.0, lo=3, hi=3))
    recipe = FW.import_recipe(text)
    assert recipe.framework == "speechbrain" and recipe.fields.mT == 3
    assert not marker.exists()
    tree = speechbrain.load(text)
    assert tree["boom"].tag == "apply" and tree["boom"].path == "os.system" and tree["t"] == (1, 2)
    assert speechbrain.load("lr: 1e-3\nn: 5\n") == {"lr": 0.001, "n": 5}  # YAML 1.2 floats, as ruamel reads them
    # hyperpyyaml parses tuples with yaml.Loader (python/object tags run); here they are refused
    with pytest.raises(ParameterError, match="malformed"):
        speechbrain.load(f"t: (1, !!python/object/apply:os.system [\"touch {marker}\"])\n")
    with pytest.raises(ParameterError, match="malformed"):
        speechbrain.load(f"x: !!python/object/apply:os.system [\"touch {marker}\"]\n")
    assert not marker.exists()


@pytest.mark.parametrize("value, expected", [
    ("!ref <n> // 2", 3), ("!ref <n> * 2 + 1", 13), ("!ref <n>", 6), ("!ref (<n> - 1) % 4", 1),
])
def test_speechbrain_ref_arithmetic(value, expected):
    text = f"n: 6\nd: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    drop_count_high: {value}\n"
    assert FW.import_recipe(text).fields.mT == expected


@pytest.mark.parametrize("value, match", [
    ("!ref <n> ** 999999", "power"), ("!ref <n> // 0", "divides by zero"), ("!ref <loop>", "circular"),
    ("!ref <n.real>", "attribute"), ("!ref <nothing>", "no such key"), ("!ref <hole>", "PLACEHOLDER"),
    ("!ref -<n>", "whole number"), ("!ref <n>" + " + <n>" * 40, "too long"),
])
def test_speechbrain_bad_refs(value, match):
    text = ("n: 6\nloop: !ref <loop2>\nloop2: !ref <loop>\nhole: !PLACEHOLDER\n"
            f"d: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    drop_count_high: {value}\n")
    with pytest.raises(ParameterError, match=match):
        FW.import_recipe(text)


@pytest.mark.parametrize("text, match", [
    ("a: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    drop_length_low: 9\n    drop_length_high: 4\n",
     "above"),
    ("a: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    replace: noise\n", "replace must be"),
    ("a: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    bogus: 1\n", "bogus"),
    ("a: !new:speechbrain.lobes.augment.SpecAugment\n    time_warp: False\n    freq_mask: False\n"
     "    time_mask: False\n", "at least one"),
    ("a: !new:speechbrain.augment.freq_domain.SpectrogramDrop\nb: !new:speechbrain.augment.freq_domain."
     "SpectrogramDrop\n", "second one"),
    ("a: !new:speechbrain.augment.freq_domain.Warping\n" + "b: " + "[" * 2000 + "]" * 2000 + "\n", "nests brackets deeper"),
], ids=["length range", "replace", "unknown key", "pre-1.0 empty", "two drops", "deep nesting"])
def test_speechbrain_bad_input(text, match):
    with pytest.raises(ParameterError, match=match):
        FW.import_recipe(text, framework="speechbrain")  # (auto-detection's plain YAML pass is helper A's bound)


def test_speechbrain_alias_bomb_is_bounded():
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 40)}]" for i in range(1, 7)]  # 40**6 * 10 if expanded
    lines += ["aug: !new:speechbrain.augment.augmenter.Augmenter", "    augmentations: *a6"]
    start = time.perf_counter()
    with pytest.raises(ParameterError, match="expands to more than 5000 values"):  # the shared bounded reader
        FW.import_recipe("\n".join(lines) + "\n", framework="speechbrain")
    assert time.perf_counter() - start < 5


def test_speechbrain_ref_fan_out_is_bounded():
    lines = ["r0: 1"] + ["r{}: !ref {}".format(i, f"<r{i - 1}>" * 8) for i in range(1, 30)]
    lines += ["d: !new:speechbrain.augment.freq_domain.SpectrogramDrop", "    drop_count_high: !ref <r29>"]
    start = time.perf_counter()
    with pytest.raises(ParameterError, match="look-ups exceed|over 1000 characters"):
        FW.import_recipe("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 5


def test_speechbrain_detection_leaves_the_others_alone():
    text = (REPO / "examples" / "speechbrain_conformer_large.yaml").read_text()
    assert FW.detect_framework(text) == "speechbrain"
    for name, framework in [("espnet_librispeech_conformer.yaml", "espnet"), ("nemo_conformer_ctc_bpe.yaml", "nemo"),
                            ("torchaudio_ld.py", "torchaudio"), ("lingvo_ld.txt", "lingvo"),
                            ("lhotse_icefall_librispeech.txt", "lhotse")]:
        assert FW.detect_framework((REPO / "examples" / name).read_text()) == framework


def test_speechbrain_names_from_the_file_reach_messages_only_as_plain_names():
    text = ('"<img src=x onerror=alert(1)>": !new:speechbrain.augment.freq_domain.SpectrogramDrop\n'
            '  drop_length_low: 4\n  drop_length_high: 9\n')
    notes = " ".join(FW.import_recipe(text).config_notes())
    assert "an unnamed entry: 1..3 masks per batch of 4..8 frames" in notes and "<" not in notes
    bad = 'd: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n  "<b>x</b>": 1\n'
    with pytest.raises(ParameterError, match="argument an unnamed entry") as info:
        FW.import_recipe(bad)
    assert "<" not in str(info.value)


def test_speechbrain_align_corners_resampler():
    x = np.random.default_rng(0).normal(size=(3, 17))
    for size in (5, 17, 30):
        out = _resample.resize_bicubic(x, size, align_corners=True)
        assert np.allclose(out[:, 0], x[:, 0]) and np.allclose(out[:, -1], x[:, -1])  # corners kept
    # ESPnet's warp is the same resampler with align_corners=False (its own tests: test_conventions.py)
    L, warp = np.random.default_rng(1).normal(size=(4, 40)), A.WarpDraw(15, 4, "espnet-bicubic")
    assert np.array_equal(espnet.apply_warp(L, warp), _resample.two_piece_warp(L, warp, align_corners=False))


# ----------------------------------------------------------------------------------------- export, extras


def test_export_ld_to_both_names_what_they_cannot_express():
    ld = A.POLICIES["SM"].to_config(S10)
    text, notes = FW.export_recipe(ld, settings=S10, framework="lhotse")
    assert text.split("\n", 1)[1].startswith("lhotse.dataset.SpecAugment(time_warp_factor=40")
    assert "features_mask_size=16" in text and "max_frames_mask_fraction=0.2" in text and "p=1.0" in text
    assert any("caps the time masks' total" in n for n in notes)
    again = FW.import_recipe(text)
    assert again.framework == "lhotse" and again.params["frames_mask_size"] == 71
    text, notes = FW.export_recipe(ld, settings=S10, framework="speechbrain")
    assert "warp_window: 40" in text and "drop_length_high: 71" in text and "drop_count_low: 2" in text
    assert any("no p" in n for n in notes) and any("cuts it at the end" in n for n in notes)
    back = FW.import_recipe(text).to_config(S10)
    assert back.option("slots") == ("warp", "freq", "time")
    assert (back.warp_frames, back.freq_mask_bands, back.time_mask_frames) == (40, 16, 71)


def test_own_settings_are_dropped_with_a_note_for_another_framework():
    config = sb_config(prob=0.5)
    _, notes = FW.export_recipe(config, settings=S10, framework="espnet")
    assert any("augment_prob" in n and "dropped" in n for n in notes)


def test_config_extra_is_checked_and_survives_json():
    config = sb_config(prob=0.5, lo=1, hi=2)
    again = A.SpecAugmentConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config and hash(again) == hash(config)
    for bad in ([("x", 1, "seconds")], [("x", 1)], [("X", 1, "")], [("x", -1, "frames")], [("x", "y" * 41, "")],
                [("x", 1, ""), ("x", 2, "")]):
        with pytest.raises(ParameterError, match="extra"):
            A.SpecAugmentConfig(extra=bad)


def test_cli_config_and_export(small_settings, write_clip, tmp_path, capsys):
    clip, _ = write_clip("in.wav", 0.5, 8000)
    cfg = REPO / "examples" / "speechbrain_conformer_large.yaml"
    assert cli.main([str(clip), "--config", str(cfg), "--framework", "speechbrain", "--save-params",
                     str(tmp_path / "p.json"), "--sr", "8000", "--n-fft", "256", "--hop", "80", "--n-mels", "32",
                     "--method", "fgla", "--n-iter", "2"]) == 0
    saved = json.loads((tmp_path / "p.json").read_text())
    assert saved["augment"]["convention"] == "speechbrain" and saved["record"]["order"] == ["time", "freq", "warp"]
    capsys.readouterr()
    assert cli.main([str(clip), "--policy", "LD", "--export", "lhotse"]) == 0
    assert "lhotse.dataset.SpecAugment(" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------- properties

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def recipe_texts(draw):
    """A lhotse call or SpeechBrain hparams with any settings in range, as a user could paste them."""
    if draw(st.booleans()):
        warp = draw(st.one_of(st.none(), st.integers(-5, 90)))
        return (f"SpecAugment(time_warp_factor={warp}, num_feature_masks={draw(st.integers(0, 4))}, "
                f"features_mask_size={draw(st.integers(1, 90))}, num_frame_masks={draw(st.integers(0, 12))}, "
                f"frames_mask_size={draw(st.integers(1, 150))}, "
                f"max_frames_mask_fraction={draw(st.floats(0, 1, allow_nan=False))!r}, "
                f"p={draw(st.floats(0, 1, allow_nan=False))!r})")
    blocks, names = [], []
    for name, dim in (("t", 1), ("f", 2)):
        if draw(st.booleans()):
            lo, hi = sorted(draw(st.lists(st.integers(0, 90), min_size=2, max_size=2)))
            c_lo, c_hi = sorted(draw(st.lists(st.integers(0, 5), min_size=2, max_size=2)))
            replace = draw(st.sampled_from(speechbrain.REPLACE))
            blocks.append(f"{name}: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n  drop_length_low: {lo}\n"
                          f"  drop_length_high: {hi}\n  drop_count_low: {c_lo}\n  drop_count_high: {c_hi}\n"
                          f"  replace: {replace}\n  dim: {dim}\n")
            names.append(name)
    if draw(st.booleans()) or not names:
        blocks.append(f"w: !new:speechbrain.augment.freq_domain.Warping\n  warp_window: {draw(st.integers(0, 60))}\n")
        names.append("w")
    order = draw(st.permutations(names))
    lo, hi = draw(st.integers(-1, 4)), draw(st.integers(-1, 4))
    blocks.append(f"aug: !new:speechbrain.augment.augmenter.Augmenter\n  min_augmentations: {lo}\n"
                  f"  max_augmentations: {hi}\n  augment_prob: {draw(st.floats(0, 1, allow_nan=False))!r}\n"
                  f"  shuffle_augmentations: {str(draw(st.booleans())).lower()}\n"
                  f"  augmentations: [{', '.join(f'!ref <{n}>' for n in order)}]\n")
    return "".join(blocks)


@settings(max_examples=80, deadline=None)
@given(recipe_texts(), st.integers(8, 60), st.integers(1, 500), st.integers(0, 2**31))
def test_any_recipe_draws_a_valid_record_that_replays(text, n_mels, n_frames, seed):
    config = FW.import_recipe(text).to_config(MelSettings(sr=16000, hop_length=160, n_fft=400, n_mels=n_mels))
    rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=np.random.default_rng(seed))
    assert all(0 <= m.start and m.stop <= n_mels for m in rec.freq_masks)
    assert all(0 <= m.start and m.stop <= n_frames for m in rec.time_masks)
    assert sorted(rec.order) == ["freq", "time", "warp"]
    again = A.AugmentRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert again == rec
    L = np.random.default_rng(seed % 1000).normal(-40, 10, size=(n_mels, n_frames))
    out = A.apply(L, again)
    assert out.shape == L.shape and np.all(np.isfinite(out))


def test_cli_reads_an_apply_line_without_running_it(write_clip, tmp_path, capsys):
    clip, _ = write_clip("in.wav", 0.5, 8000)
    marker = tmp_path / "pwned"
    cfg = tmp_path / "hparams.yaml"
    cfg.write_text(f"boom: !apply:os.system [\"touch {marker}\"]\n" + SB_DROPS.format(prob=1.0, lo=3, hi=3))
    ten_ms_80 = ["--sr", "8000", "--hop", "80", "--n-fft", "256", "--n-mels", "80"]  # the recipe's own units
    assert cli.main([str(clip), "--config", str(cfg), "--export", "speechbrain", *ten_ms_80]) == 0
    out = capsys.readouterr().out
    assert "drop_count_high: 3" in out and "warp_window: 10" in out and "boom" not in out
    assert not marker.exists()


def test_app_import_and_export_handlers(tmp_path):
    from melwav_lab import app

    analysis = (16000, 400, 160, 80)
    marker = tmp_path / "pwned"
    text = f"boom: !apply:os.system [\"touch {marker}\"]\n" + SB_DROPS.format(prob=1.0, lo=3, hi=3)
    out = app.import_recipe_handler(text, "auto", 0, 0, -60, *analysis)
    assert out[11] == "speechbrain" and "**Imported: speechbrain**" in out[12] and not marker.exists()
    sliders = out[1:12]
    exported, notes = app.export_recipe_handler("lhotse", 0, 0, *sliders, *analysis)
    assert exported.split("\n", 1)[1].startswith("lhotse.dataset.SpecAugment(time_warp_factor=10") and "cannot express" in notes
    out = app.import_recipe_handler((REPO / "examples" / "lhotse_icefall_librispeech.txt").read_text(), "auto", 0, 0,
                                    -60, *analysis)
    shown = html.unescape(re.sub(r"\\(.)", r"\1", out[12]))  # what the page shows: the file's text is escaped
    assert out[11] == "lhotse" and "icefall's default 80" in shown


def test_slider_configs_say_which_defaults_stand_in_for_the_recipe():
    rng = np.random.default_rng(0)
    plain = A.SpecAugmentConfig(time_mask_frames=20, n_time_masks=2, convention="speechbrain")
    rec = A.draw(plain, n_mels=40, n_frames=200, rng=rng)
    assert any("widths from 0, fixed counts" in n for n in rec.notes) and len(rec.time_masks) == 2
    rec = A.draw(plain.replace(convention="lhotse"), n_mels=40, n_frames=200, rng=rng)
    assert any("its default 0.9" in n for n in rec.notes)
    assert not any("not given" in n for n in draws(lhotse_config(), 200, n=1)[0].notes)


@pytest.mark.parametrize("entry", [("n_min", "x", ""), ("augment_prob", 2.0, ""), ("slots", ("time", "jump"), ""),
                                   ("time_count_low", 9, ""), ("shuffle", "yes", ""), ("starts", "middle", "")])
def test_hand_edited_settings_are_checked_when_drawn(entry):
    config = sb_config().to_dict()
    config["extra"] = [list(e) for e in config["extra"] if e[0] != entry[0]] + [list(entry)]
    config = A.SpecAugmentConfig.from_dict(json.loads(json.dumps(config)))
    with pytest.raises(ParameterError, match=f"extra {entry[0]}"):
        A.draw(config, n_mels=80, n_frames=100, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError, match=f"extra {entry[0]}"):
        FW.export_recipe(config, settings=S10, framework="speechbrain")


def test_hand_edited_replace_never_reaches_the_yaml():
    config = sb_config().to_dict()
    config["extra"] = [e for e in config["extra"] if e[0] != "time_replace"] + [["time_replace", 'x"\nboom: 1', ""]]
    with pytest.raises(ParameterError, match="extra replace"):
        FW.export_recipe(A.SpecAugmentConfig.from_dict(config), settings=S10, framework="speechbrain")
    lhotse = lhotse_config().to_dict()
    lhotse["extra"] = [["apply_prob", "0.5", ""]]
    with pytest.raises(ParameterError, match="extra apply_prob"):
        A.draw(A.SpecAugmentConfig.from_dict(lhotse), n_mels=80, n_frames=100, rng=np.random.default_rng(0))
