"""Whisper (transformers), WeNet and fairseq S2T: draws against each rule over many seeds, import/export,
detection, their own operations and warps, and hostile text (read, never run)."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.errors import ParameterError, RecordError
from melwav.features import MelSettings
from melwav.frameworks import fairseq, wenet, whisper
from melwav.records import AugmentRecord

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
N = 2000
S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)  # 10 ms frames, 80 bands: no conversion


def ex(settings) -> tuple:
    """``SpecAugmentConfig.extra`` triples from (name, value) pairs or a dict, the unit from the name's suffix."""
    items = settings.items() if isinstance(settings, dict) else settings
    return tuple(item if len(item) == 3 else
                 (item[0], item[1], "frames" if item[0].endswith("_frames") else
                  "bands" if item[0].endswith("_bands") else "") for item in items)


def draws(convention, *, n_mels=80, n_frames=300, n=N, seed=0, extra=(), **cfg):
    config = A.SpecAugmentConfig(convention=convention, extra=ex(extra), **cfg)
    rng = np.random.default_rng(seed)
    return [A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng) for _ in range(n)]


def share(values, value):
    return sum(v == value for v in values) / len(values)


# --------------------------------------------------------------------------------------------- Whisper

WHISPER_OPTS = (("attention_mask", True), ("mask_feature_prob", 0.0), ("window_frames", 3000))


def whisper_rule_count(prob, L, min_masks, length, S, eps):
    """The count as written in transformers' compute_num_masked_span (independent of melwav's code)."""
    n = max(int(prob * length / L + eps), min_masks)
    n = S // L if n * L > S else n
    return max(length - (L - 1), 0) if length - (L - 1) < n else n


def test_whisper_time_spans_with_attention_mask():
    # 5 s clip, defaults: int(0.05 * 500 / 10 + eps) = int(2.5 + eps): 2 or 3 spans, about half each.
    recs = draws("whisper", n_frames=500, time_mask_frames=10, n_time_masks=2, masks_per_frame=0.05,
                 fill="absolute", extra=WHISPER_OPTS)
    counts = [len(r.time_masks) for r in recs]
    assert set(counts) == {2, 3}
    assert abs(share(counts, 3) - 0.5) < 0.05
    widths = {m.width for r in recs for m in r.time_masks}
    assert widths == {10}  # fixed width, never cut: starts stay in 0..len - L
    starts = [m.start for r in recs for m in r.time_masks]
    assert min(starts) == 0 and max(starts) == 490
    assert abs(np.mean(starts) - 245) < 8  # uniform on 0..490
    assert all(len({m.start for m in r.time_masks}) == len(r.time_masks) for r in recs)  # distinct starts
    assert all(r.freq_masks == () and r.warp is None and r.order == ("warp", "time", "freq") for r in recs)


def test_whisper_without_attention_mask_spans_fall_in_the_window():
    opts = (("attention_mask", False), ("mask_feature_prob", 0.0), ("window_frames", 3000))
    recs = draws("whisper", n_frames=500, time_mask_frames=10, n_time_masks=2, masks_per_frame=0.05,
                 fill="absolute", extra=opts)
    # int(0.05 * 3000 / 10 + eps) = 15 spans over the window; those starting before 500 are heard
    assert all("drew 15 span(s)" in r.notes[-1] for r in recs)
    landed = [len(r.time_masks) for r in recs]
    expected = sum(15 * min(1.0, 500 / 2991) for _ in range(1))  # starts uniform on 0..2990
    assert abs(np.mean(landed) - expected) < 0.15
    assert any(m.width < 10 for r in recs for m in r.time_masks)  # a span across the clip's end is cut


def test_whisper_feature_prob_gives_one_band_with_probability_080():
    opts = (("attention_mask", True), ("mask_feature_prob", 0.1), ("window_frames", 3000))
    recs = draws("whisper", n_frames=300, freq_mask_bands=10, n_freq_masks=0, fill="absolute", extra=opts)
    counts = [len(r.freq_masks) for r in recs]
    assert set(counts) == {0, 1}
    assert abs(share(counts, 1) - 0.8) < 0.03  # int(0.1 * 80 / 10 + eps) = int(0.8 + eps)
    assert {m.width for r in recs for m in r.freq_masks} == {10}


@pytest.mark.parametrize("prob,L,min_masks,length", [(0.05, 10, 2, 500), (0.3, 7, 0, 123), (0.9, 50, 5, 60),
                                                     (0.05, 10, 2, 5), (1.0, 10, 300, 3000)])
def test_whisper_counts_match_the_rule(prob, L, min_masks, length):
    recs = draws("whisper", n=400, n_frames=length, time_mask_frames=L, n_time_masks=min(min_masks, 100),
                 masks_per_frame=prob, fill="absolute", extra=WHISPER_OPTS)
    allowed = {whisper_rule_count(prob, L, min(min_masks, 100), length, 3000, eps) for eps in np.linspace(0, 0.999, 200)}
    assert {len(r.time_masks) for r in recs} <= allowed
    for eps in np.linspace(0, 0.999, 50):
        assert whisper.span_count(prob, L, min(min_masks, 100), length, 3000, eps) == whisper_rule_count(
            prob, L, min(min_masks, 100), length, 3000, eps)


def test_whisper_gates():
    # mask_time_prob 0: nothing, whatever min masks say; a zero count at the window size unmasks the batch
    recs = draws("whisper", n=20, time_mask_frames=10, n_time_masks=2, masks_per_frame=0.0, extra=WHISPER_OPTS)
    assert all(r.time_masks == () for r in recs) and "mask_time_prob is 0" in recs[0].notes[0]
    off = FW.import_recipe('{"apply_spec_augment": false, "mask_time_prob": 0.05}')
    assert off.to_config(S10).is_identity
    assert any("apply_spec_augment is false" in n for n in off.config_notes())
    unset = FW.import_recipe("model.config.mask_time_prob = 0.1")
    assert unset.to_config(S10).is_identity
    assert any("default is false" in n for n in unset.config_notes())


def test_whisper_forms_agree():
    kw = ('WhisperForConditionalGeneration.from_pretrained("openai/whisper-small", apply_spec_augment=True, '
          'mask_time_prob=0.1, mask_feature_prob=0.1, mask_feature_length=8)')
    lines = ("model.config.apply_spec_augment = True\nmodel.config.mask_time_prob = 0.1\n"
             "model.config.mask_feature_prob = 0.1\nmodel.config.mask_feature_length = 8\n")
    js = ('{"model_type": "whisper", "d_model": 768, "apply_spec_augment": true, "mask_time_prob": 0.1, '
          '"mask_feature_prob": 0.1, "mask_feature_length": 8, "num_mel_bins": 80}')
    recipes = [FW.import_recipe(t) for t in (kw, lines, js)]
    assert {r.framework for r in recipes} == {"whisper"}
    assert recipes[0].params == recipes[1].params == recipes[2].params
    assert recipes[2].fields.pM == 0.1 and recipes[2].fields.F == 8


def test_whisper_python_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"model.config.mask_time_prob = __import__('os').system('touch {marker}')\n"
    with pytest.raises(ParameterError, match="must be a literal"):
        FW.import_recipe(text)
    with pytest.raises(ParameterError, match="must be a literal"):
        FW.import_recipe(f"M.from_pretrained('x', apply_spec_augment=open('{marker}', 'w'))")
    assert not marker.exists()
    with pytest.raises(ParameterError):
        FW.import_recipe("model.config.mask_time_prob = " + "(" * 5000 + "0" + ")" * 5000, framework="whisper")


# ----------------------------------------------------------------------------------------------- WeNet


def test_wenet_masks_widths_one_to_max_cut_at_the_end():
    recs = draws("wenet", n_frames=200, time_mask_frames=50, n_time_masks=2, freq_mask_bands=10, n_freq_masks=2,
                 fill="absolute")
    assert all(len(r.time_masks) == 2 and len(r.freq_masks) == 2 for r in recs)
    starts = [m.start for r in recs for m in r.time_masks]
    assert min(starts) == 0 and max(starts) == 199  # randint(0, T - 1)
    whole = [m.width for r in recs for m in r.time_masks if m.start <= 150]  # never cut there
    assert min(whole) == 1 and max(whole) == 50  # randint(1, max_t): never 0, the top included
    assert abs(np.mean(whole) - 25.5) < 0.8
    assert all(m.stop <= 200 for r in recs for m in r.time_masks)
    assert any(m.stop == 200 and m.width < 50 and m.start > 150 for r in recs for m in r.time_masks)
    fw = [m.width for r in recs for m in r.freq_masks if m.start <= 70]
    assert min(fw) == 1 and max(fw) == 10
    assert max(m.start for r in recs for m in r.freq_masks) == 79  # the last bin can be masked
    assert all(r.order == ("warp", "time", "freq") for r in recs)


def test_wenet_spec_sub_and_trim_draws():
    opts = {"spec_sub": True, "sub_count": 3, "sub_max_frames": 30, "spec_trim": True, "trim_max_frames": 50}
    recs = draws("wenet", n_frames=60, time_mask_frames=5, n_time_masks=1, extra=opts)
    assert all(r.order == ("warp", "time", "freq", "sub", "trim") for r in recs)
    subs = [s for r in recs for s in dict(r.extra)["sub"]]
    assert all(len(dict(r.extra)["sub"]) == 3 for r in recs)
    assert all(1 <= w <= 30 and 0 <= p <= s and s + w <= 60 for s, w, p in subs)
    assert max(p for _, _, p in subs) == 59 and share([p for _, _, p in subs], 0) > 0
    trims = [dict(r.extra)["trim"] for r in recs]
    # randint(1, 50) dropped only when under 60 / 2: 1..29 with probability 29 / 50, else nothing
    assert set(trims) <= set(range(0, 30)) and max(trims) == 29
    assert abs(share(trims, 0) - 21 / 50) < 0.04


def test_wenet_sub_and_trim_apply_exactly():
    L = np.arange(4 * 20, dtype=np.float64).reshape(4, 20)
    out = wenet.apply_sub(L, [[10, 3, 4], [12, 2, 12]], value=0.0)
    assert np.array_equal(out[:, 10:12], L[:, 6:8])  # read from the input, not the first substitution
    assert np.array_equal(out[:, 12:14], L[:, 0:2])
    assert np.array_equal(out[:, :10], L[:, :10]) and np.array_equal(out[:, 14:], L[:, 14:])
    trimmed = wenet.apply_trim(L, 3, value=0.0)
    assert np.all(trimmed[:, -3:] == L.min()) and np.array_equal(trimmed[:, :-3], L[:, :-3])
    with pytest.raises(RecordError):
        wenet.apply_sub(L, [[5, 3, 6]], value=0.0)  # pos > start
    with pytest.raises(RecordError):
        wenet.apply_trim(L, 15, value=0.0)


def test_wenet_record_json_round_trip_and_solo():
    rec = draws("wenet", n=1, n_frames=80, time_mask_frames=5, n_time_masks=1,
                extra={"spec_sub": True, "spec_trim": True, "trim_max_frames": 10})[0]
    again = AugmentRecord.from_dict(rec.to_dict())
    assert again == rec
    L = np.random.default_rng(0).normal(size=(80, 80))
    assert np.array_equal(A.apply(L, again), A.apply(L, rec))
    solo = rec.only("trim")
    assert solo.order == ("warp", "time", "freq", "trim") and solo.time_masks == ()


def test_config_extra_survives_json_and_is_checked():
    cfg = FW.import_recipe((EXAMPLES / "wenet_aishell_u2pp_conformer.yaml").read_text()).to_config(S10)
    assert A.SpecAugmentConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    assert "extra" not in A.SpecAugmentConfig().to_dict()  # params files without extra stay as they were
    with pytest.raises(ParameterError, match="name must be a new lower-case identifier"):
        A.SpecAugmentConfig(extra=(("Bad name", 1, ""),))
    with pytest.raises(ParameterError, match="extra sub_count must hold at most 8 values"):
        A.SpecAugmentConfig(extra=(("sub_count", [1] * 1000, ""),))
    # sizes in frames are converted like T: 30 frames of 10 ms are 13 frames of 23.2 ms
    at_22k = FW.import_recipe((EXAMPLES / "wenet_aishell_u2pp_conformer.yaml").read_text()).to_config(
        MelSettings(sr=22050, n_fft=2048, hop_length=512, n_mels=128))
    assert at_22k.option("sub_max_frames") == 13 and at_22k.option("sub_count") == 3


def test_wenet_import_notes_and_defaults():
    r = FW.import_recipe((EXAMPLES / "wenet_aishell_u2pp_conformer.yaml").read_text())
    assert r.framework == "wenet" and (r.hop_ms, r.n_mels) == (10.0, 80)
    c = r.to_config(S10)
    assert (c.time_mask_frames, c.n_time_masks, c.freq_mask_bands, c.n_freq_masks) == (50, 2, 10, 2)
    assert c.option("spec_sub") is True and c.option("sub_max_frames") == 30 and c.option("spec_trim") is False
    # absent spec_aug means on; max_w accepted and ignored, said so
    bare = FW.import_recipe("encoder: conformer\ndataset_conf:\n"
                            "  spec_aug_conf: {num_t_mask: 3, max_t: 100, max_f: 27, max_w: 80}\n")
    assert bare.to_config(S10).n_time_masks == 3
    notes = " ".join(bare.config_notes())
    assert "max_w = 80 is accepted and ignored" in notes and "default is on" in notes
    assert "23 mel bins" in notes and bare.n_mels == 23
    with pytest.raises(ParameterError, match="max_t must be >= 1"):
        FW.import_recipe("dataset_conf:\n  spec_aug_conf: {num_t_mask: 2, max_t: 0}\n")


# --------------------------------------------------------------------------------------------- fairseq


def test_fairseq_exclusive_tops_and_p_gate():
    recs = draws("fairseq", n_frames=300, freq_mask_bands=27, n_freq_masks=2, time_mask_frames=100, n_time_masks=2,
                 max_time_ratio=1.0)
    fw = [m.width for r in recs for m in r.freq_masks]
    tw = [m.width for r in recs for m in r.time_masks]
    assert min(fw) == 0 and max(fw) == 26 and abs(np.mean(fw) - 13) < 0.5
    assert min(tw) == 0 and max(tw) == 99 and abs(np.mean(tw) - 49.5) < 1.5
    assert max(m.stop for r in recs for m in r.freq_masks) == 79  # f0 in 0..nu - f - 1
    assert max(m.stop for r in recs for m in r.time_masks) == 299
    capped = draws("fairseq", n=500, n_frames=300, time_mask_frames=100, n_time_masks=1, max_time_ratio=0.2)
    assert max(m.width for r in capped for m in r.time_masks) == 59  # min(100, floor(0.2 * 300)) - 1
    none = draws("fairseq", n=10, time_mask_frames=100, n_time_masks=2, max_time_ratio=0.0)
    assert all(r.time_masks == () for r in none) and "time_mask_p is 0" in none[0].notes[0]


def test_fairseq_warp_ranges():
    W = 20
    recs = draws("fairseq", n_frames=100, warp_frames=W)
    centers = [r.warp.center for r in recs]
    shifts = [r.warp.distance for r in recs]
    assert min(centers) == W and max(centers) == 100 - W - 1
    assert min(shifts) == -W + 1 and max(shifts) == W - 1
    assert {r.warp.interpolation for r in recs} == {"fairseq-linear"}
    short = draws("fairseq", n=5, n_frames=40, warp_frames=20)
    assert all(r.warp is None for r in short) and "2W = 40" in short[0].notes[0]
    wide = draws("fairseq", n=5, n_mels=20, warp_frames=5, freq_mask_bands=27, n_freq_masks=1)
    assert all(r.warp is None and r.freq_masks == () for r in wide)  # nu < freq_mask_F: unchanged


def test_fairseq_linear_resize_is_cv2s():
    x = np.arange(10, dtype=np.float64)
    up = fairseq.resize_linear(x, 20)
    assert np.allclose(up, np.clip((np.arange(20) + 0.5) * 0.5 - 0.5, 0, 9))
    down = fairseq.resize_linear(x, 5)
    assert np.allclose(down, (np.arange(5) + 0.5) * 2 - 0.5)
    L = np.random.default_rng(0).normal(size=(80, 100))
    rec = draws("fairseq", n=1, n_frames=100, warp_frames=20, seed=3)[0]
    out = A.apply(L, rec)
    assert out.shape == L.shape and not np.array_equal(out, L)


def test_fairseq_time_wrap_trap_and_transforms():
    text = (EXAMPLES / "fairseq_mustc_lb.yaml").read_text()
    r = FW.import_recipe(text)
    assert r.framework == "fairseq" and r.fields.W == 0
    assert any("time_wrap_W: 0 is ignored" in n for n in r.config_notes())
    warped = FW.import_recipe(text.replace("time_wrap_W: 0", "time_wrap_W: 40"))
    assert warped.fields.W == 0
    assert FW.import_recipe(text.replace("time_wrap_W: 0", "time_warp_W: 40")).fields.W == 40
    # CMVN first: the fill is 0 after CMVN, i.e. each band's own mean; specaugment only in the '*' list of another split means not applied
    assert r.fields.fill == "band_mean" and r.params["cmvn"] == "global_cmvn"
    off = FW.import_recipe("specaugment: {freq_mask_F: 27, freq_mask_N: 1}\ntransforms:\n  _train: [utterance_cmvn]\n")
    assert off.to_config(S10).is_identity
    assert any("applies no SpecAugment" in n for n in off.config_notes())
    raw = FW.import_recipe("specaugment: {freq_mask_F: 27, freq_mask_N: 1, mask_value: 0.0}\n"
                           "transforms:\n  _train: [specaugment, utterance_cmvn]\n")
    # specaugment before CMVN: mask_value lands in the natural-log fbank, an absolute level (0: its own 0)
    assert (raw.fields.fill, raw.fields.fill_db) == ("absolute", 0.0)
    minus = FW.import_recipe("specaugment: {freq_mask_F: 27, freq_mask_N: 1, mask_value: -2.0}\n"
                             "transforms:\n  _train: [specaugment]\n")
    assert minus.to_config(S10).fill_db == pytest.approx(-2.0 * 10 * math.log10(math.e))


# ------------------------------------------------------------------------------ detection, round trips


EXAMPLE_FRAMEWORKS = {
    "espnet_librispeech_conformer.yaml": "espnet", "nemo_conformer_ctc_bpe.yaml": "nemo",
    "torchaudio_ld.py": "torchaudio", "lingvo_ld.txt": "lingvo", "whisper_apply_spec_augment.py": "whisper",
    "wenet_aishell_u2pp_conformer.yaml": "wenet", "fairseq_mustc_lb.yaml": "fairseq",
}


@pytest.mark.parametrize("name,framework", sorted(EXAMPLE_FRAMEWORKS.items()))
def test_examples_detected(name, framework):
    assert FW.detect_framework((EXAMPLES / name).read_text()) == framework


@pytest.mark.parametrize("text,framework", [
    ("mask_time_prob: 0.05\nmask_time_length: 10\n", "whisper"),
    ('{"apply_spec_augment": true}', "whisper"),
    ("model = M.from_pretrained('openai/whisper-tiny', apply_spec_augment=True)", "whisper"),
    ("spec_aug_conf: {num_t_mask: 2, max_t: 50}\n", "wenet"),
    ("num_t_mask: 2\nnum_f_mask: 2\nmax_t: 50\nmax_f: 10\n", "wenet"),
    ("freq_mask_F: 27\nfreq_mask_N: 2\ntime_mask_T: 100\ntime_mask_N: 2\ntime_mask_p: 1.0\n", "fairseq"),
    ("transforms:\n  _train: [utterance_cmvn, specaugment]\n", "fairseq"),
    ("SpecAugment(n_time_masks=2, time_mask_param=100, n_freq_masks=2, freq_mask_param=27)", "torchaudio"),
    ("specaug: specaug\nspecaug_conf: {num_freq_mask: 2}\n", "espnet"),
    ("spec_augment: {freq_masks: 2, time_masks: 10}\n", "nemo"),
])
def test_detection_from_text_alone(text, framework):
    assert FW.detect_framework(text) == framework


ROUND_TRIP = {
    "whisper": ["model.config.apply_spec_augment = True\nmodel.config.mask_time_prob = 0.08\n"
                "model.config.mask_time_length = 12\nmodel.config.mask_feature_prob = 0.1\n"
                "feature_extractor.return_attention_mask = False\n",
                '{"apply_spec_augment": true, "mask_time_prob": 0.05, "mask_time_min_masks": 3, '
                '"mask_feature_min_masks": 1, "mask_feature_length": 6, "return_attention_mask": false}'],
    "wenet": [(EXAMPLES / "wenet_aishell_u2pp_conformer.yaml").read_text(),
              "dataset_conf:\n  spec_aug_conf: {num_t_mask: 3, max_f: 27}\n  spec_trim: true\n  spec_trim_conf: {max_t: 30}\n"],
    "fairseq": [(EXAMPLES / "fairseq_mustc_lb.yaml").read_text().replace("time_wrap_W", "time_warp_W"),
                "specaugment: {time_warp_W: 40, freq_mask_F: 15, freq_mask_N: 2, time_mask_T: 70, time_mask_N: 2, "
                "time_mask_p: 0.2, mask_value: 0.0}\ntransforms:\n  '*': [utterance_cmvn]\n"
                "  _train: [utterance_cmvn, specaugment]\n"],
}


@pytest.mark.parametrize("framework", sorted(ROUND_TRIP))
@pytest.mark.parametrize("index", [0, 1])
def test_import_export_import_is_identity(framework, index):
    first = FW.import_recipe(ROUND_TRIP[framework][index])
    assert first.framework == framework
    cfg = first.to_config(S10)
    text, notes = FW.export_recipe(cfg, settings=S10, framework=framework, hop_ms=10.0, n_mels=80)
    second = FW.import_recipe(text)
    assert second.framework == framework
    assert second.to_config(S10) == cfg
    assert second.params == first.params


@pytest.mark.parametrize("framework", ["whisper", "wenet", "fairseq"])
def test_ld_policy_export_notes_what_cannot_be_expressed(framework):
    ld = A.POLICIES["LD"].to_config(S10)
    text, notes = FW.export_recipe(ld, settings=S10, framework=framework)
    back = FW.import_recipe(text).to_config(S10)
    joined = " ".join(notes)
    if framework == "fairseq":  # all six numbers, exclusive tops (F + 1, T + 1)
        assert (back.warp_frames, back.freq_mask_bands, back.time_mask_frames) == (80, 28, 101)
        assert "time_wrap_W" in joined
    else:
        assert "no time warp" in joined and "W = 80 dropped" in joined
        assert (back.time_mask_frames, back.n_time_masks, back.n_freq_masks) == (100, 2, 2)
    if framework == "whisper":  # the least prob that switches masking on: the count is exactly mT
        assert back.masks_per_frame == math.floor(100 / 3000 * 1e4) / 1e4
        counts = {len(r.time_masks) for r in draws("whisper", n=200, n_frames=1000, **{
            k: getattr(back, k) for k in ("time_mask_frames", "n_time_masks", "masks_per_frame")},
            extra=back.extra)}
        assert counts == {2}
    if framework == "wenet":
        assert "1..max" in joined and back.freq_mask_bands == 27


@pytest.mark.parametrize("name,example", [("whisper", "whisper_apply_spec_augment.py"),
                                          ("wenet", "wenet_aishell_u2pp_conformer.yaml"),
                                          ("fairseq", "fairseq_mustc_lb.yaml")])
def test_cli_framework_names_import_and_export(name, example, capsys):
    from melwav import cli
    analysis = ["--sr", "16000", "--n-fft", "400", "--hop", "160", "--n-mels", "80"]
    path = str(EXAMPLES / example)
    assert cli.main(["assets/speech.wav", "--config", path, "--framework", name, "--export", name, *analysis]) == 0
    out, err = capsys.readouterr()
    assert f"{name} recipe in frames of 10 ms" in err
    again = FW.import_recipe(out)  # the fragment (with its '# note:' lines) reads back as the same settings
    assert again.framework == name
    assert again.to_config(S10) == FW.import_recipe((EXAMPLES / example).read_text()).to_config(S10)
    other = "fairseq" if name != "fairseq" else "wenet"
    assert cli.main(["assets/speech.wav", "--config", path, "--framework", other, "--export", other, *analysis]) == 2
    err = capsys.readouterr().err
    assert err.startswith("melwav: error: ") and err.count("\n") == 1
