"""fairseq concatenates `transforms` and `feature_transforms` (issue 22, item 6)."""

from __future__ import annotations

import yaml

import melwav
from melwav import frameworks as FW
from melwav.features import MelSettings

S10 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)
SPEC = "specaugment: {freq_mask_F: 27, freq_mask_N: 2, time_mask_T: 100, time_mask_N: 2, time_mask_p: 1.0}\n"


def fairseq_lists(conf: dict, split: str, is_train: bool) -> list:
    """fairseq/data/audio/data_cfg.py S2TDataConfig.get_transforms + get_feature_transforms, restated:
    each key's list is the split's own, else _train / _eval, else '*'; the `transforms` list is extended by
    the `feature_transforms` one (`cur.extend(ft_transforms)`)."""
    def get(prefix):
        cur = conf.get(f"{prefix}transforms", {}) or {}
        out = cur.get(split)
        out = cur.get("_train") if out is None and is_train else out
        out = cur.get("_eval") if out is None and not is_train else out
        return cur.get("*") if out is None else out
    first = get("")
    return list(first) + list(get("feature_") or []) if first is not None else list(get("feature_") or [])


def test_split_lists_are_concatenated():
    text = SPEC + "transforms:\n  _train: [utterance_cmvn]\nfeature_transforms:\n  _train: [specaugment]\n"
    recipe = FW.import_recipe(text)
    assert fairseq_lists(yaml.safe_load(text), "train", True) == ["utterance_cmvn", "specaugment"]
    assert recipe.params["applied"] is True and recipe.params["cmvn"] == "utterance_cmvn"
    assert not recipe.to_config(S10).is_identity


def test_feature_transforms_alone_still_count():
    recipe = FW.import_recipe(SPEC + "feature_transforms:\n  _train: [global_cmvn, specaugment]\n")
    assert recipe.params["applied"] is True and recipe.params["cmvn"] == "global_cmvn"


def test_export_applies_cmvn_once_per_split():
    text, _ = FW.export_recipe(melwav.policy("LD").to_config(S10), settings=S10, framework="fairseq")
    conf = yaml.safe_load(text.split("\n", 1)[1])
    assert "*" not in conf["transforms"]  # utterance_cmvn is not written into both '*' and _train
    assert fairseq_lists(conf, "train", True) == ["utterance_cmvn", "specaugment"]
    assert fairseq_lists(conf, "dev", False) == ["utterance_cmvn"]
    assert FW.import_recipe(text).params["cmvn"] == "utterance_cmvn"
