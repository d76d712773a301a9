"""Hugging Face transformers, the wav2vec2 family: ``Wav2Vec2Model._mask_hidden_states``.

Read from ``src/transformers/models/wav2vec2/modeling_wav2vec2.py`` (transformers 5.25.0: ``_compute_mask_indices``
line 105, ``_mask_hidden_states`` lines 1224-1267) and ``configuration_wav2vec2.py``; HuBERT, WavLM,
data2vec-audio, wav2vec2-conformer, UniSpeech(-SAT) and w2v-BERT 2.0 (``Wav2Vec2BertModel``) carry the same
method ("Copied from"), with the same defaults.

What it masks, and what the mel view can show. The masks fall on the ENCODER's frames: the hidden vectors the
feature encoder (a stack of strided convolutions; for w2v-BERT the fbank frames stacked by 2) makes, one per
20 ms (the product of ``conv_stride``, 320 samples at 16 kHz). Masked time steps are not set to a level: the
whole hidden vector is replaced by one learned vector, ``masked_spec_embed`` (``modeling_wav2vec2.py`` line
1254), so the model sees "something was here, I don't know what", the same at every masked step. melwav shows
WHEN that happens on the clip's mel (each 20 ms step as the frames it covers) and plays a neutral constant, the
clip's mean level, in them; it cannot show the learned vector, which is no sound. ``mask_feature_*`` masks zero
CHANNELS of the hidden vector (``hidden_size``, 768 or 1024 of them, line 1265), not mel bands: they have no
place on a mel spectrogram and are not drawn (kept for the export, named in a note).

Draw rules, for ONE utterance: nothing unless ``apply_spec_augment`` (default TRUE here, unlike Whisper; a
config without the key, as data2vec-audio's, counts as true: ``getattr(config, "apply_spec_augment", True)``),
``mask_time_prob > 0`` and training. ``_compute_mask_indices``: one ``eps = U``; ``n = int(prob * len / L + eps)``,
``n = max(n, min_masks)``, ``n = S // L`` if ``n * L > S``, ``n = max(len - L + 1, 0)`` if ``len - L + 1 < n``;
nothing when that count at ``len = S`` is 0; ``n`` distinct starts uniform on ``{0..len - L}``, spans exactly
``L`` wide, overlaps allowed. Here S = len = the clip's encoder frames (a batch of one; in a padded batch
without an attention mask the spans can fall in the padding, which melwav does not model).

melwav's numbers: T = ``mask_time_length`` (fixed width), mT = ``mask_time_min_masks``, pM = ``mask_time_prob``;
extra ``mask_feature_prob``, ``mask_feature_length``, ``mask_feature_min_masks`` (not drawn).

Text read: ``config.json`` (JSON or YAML), ``*.from_pretrained(..., mask_time_prob=...)`` or ``*Config(...)``
keyword arguments, ``model.config.key = value`` lines; literals only, nothing is imported or run. It is this
family's when ``model_type`` or ``architectures`` say so, or the Python names one of its classes.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..errors import ParameterError
from ..records import MaskBatch, SpecAugmentConfig
from ._common import (
    Fields,
    check_whole,
    distinct_starts,
    hf_mask_params,
    hf_span_count,
    make_batch,
    python_literals,
    short,
)

NAME = "wav2vec2"
#: Encoder frames of 20 ms (conv_stride (5, 2, 2, 2, 2, 2, 2) = 320 samples at 16 kHz); the channel count
#: does not apply (its feature masks are on hidden channels): 80 stands for "as the user says".
UNITS = (20.0, 80)
ORDER = ("warp", "time", "freq")
FILLS = ("mean",)
FRONTEND = None
WARPS: dict = {}
OPERATIONS: dict = {}
#: transformers' sample rate for every model of the family.
SAMPLE_RATE = 16000

DEFAULTS = {
    "apply_spec_augment": True, "mask_time_prob": 0.05, "mask_time_length": 10, "mask_time_min_masks": 2,
    "mask_feature_prob": 0.0, "mask_feature_length": 10, "mask_feature_min_masks": 0,
}
KEYS = set(DEFAULTS)
#: ``model_type`` of each model whose ``_mask_hidden_states`` is wav2vec2's.
MODEL_TYPES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "wav2vec2-bert", "wav2vec2-conformer",
               "unispeech", "unispeech-sat")
_CLASS_RE = re.compile(r"\b(Wav2Vec2|Wav2Vec2Bert|Wav2Vec2Conformer|Hubert|WavLM|Data2VecAudio|UniSpeech|"
                       r"UniSpeechSat)(Model|Config|ForCTC|ForPreTraining|ForSequenceClassification|"
                       r"ForAudioFrameClassification|ForXVector|ForMaskedLM)\b")
_NOTE_PREFIX = "melwav draws widths 0..F and 0..T inclusive"


# ----------------------------------------------------------------------------------------------- draw


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """``_mask_hidden_states`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """``_mask_hidden_states`` for ``size`` utterances of one length, their time spans on the clip (see the
    module notes)."""
    notes = []
    if config.warp_frames:
        notes.append(f"wav2vec2 has no time warp: W = {config.warp_frames} ignored")
    if config.max_time_ratio < 1.0 or config.width_ratio:
        notes.append("wav2vec2 has no p and no adaptive width (its spans are exactly L wide): ignored")
    if config.n_freq_masks or config.option("mask_feature_prob"):
        notes.append("mask_feature_* zero channels of the encoder's hidden vectors, not mel bands: not drawn")
    prob, L, k = config.masks_per_frame, config.time_mask_frames, config.n_time_masks
    time = None
    if prob <= 0:
        if k:
            notes.append("no time masks: mask_time_prob is 0 (wav2vec2 masks only when it is > 0)")
    elif L < 1 or L > n_frames:
        notes.append(f"no time masks: mask_time_length is {L} frames here, outside 1..{n_frames} (transformers "
                     f"raises)")
    else:
        n = hf_span_count(prob, L, k, n_frames, n_frames, rng.random(size))  # one eps per utterance
        starts, drawn = distinct_starts(n, n_frames - L + 1, rng)
        time = MaskBatch.clipped(starts, L, n_frames, drawn)
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, None, None, time, notes)


# ---------------------------------------------------------------------------------------------- parse


def _family(data: dict) -> bool:
    model_type = data.get("model_type")
    archs = data.get("architectures")
    return (isinstance(model_type, str) and model_type in MODEL_TYPES) or (
        isinstance(archs, list) and any(isinstance(a, str) and _CLASS_RE.search(a) for a in archs[:20]))


def detect(source) -> int:
    """5 for a config of the family (``model_type``/``architectures``) or Python naming one of its classes
    (above Whisper's 3 and 4 for the same keys), else 0."""
    data = source.json_or_yaml()
    if isinstance(data, dict):
        return 5 if _family(data) else 0
    head = source.text[:20_000]
    return 5 if _CLASS_RE.search(head) and any(k in head for k in (*KEYS, "from_pretrained")) else 0


def parse(source):
    """``(params, notes, found units)`` of a config.json, from_pretrained kwargs or config lines."""
    data = source.json_or_yaml()
    notes = []
    if isinstance(data, dict):
        conf = {k: v for k, v in data.items() if k in KEYS}
        ignored = sorted(k for k in data if isinstance(k, str) and k.startswith("mask_") and k not in KEYS)
        if ignored:  # fairseq leftovers in hub configs (mask_channel_*, mask_time_selection, ...)
            notes.append(f"{', '.join(short(k)[1:-1] for k in ignored[:6])}: stored in the config, never read by "
                         f"transformers' masking")
        model_type = data.get("model_type")
        found = _units(data)
    else:
        conf, found, model_type = _python(source.text), None, None
    params = normalise(conf)
    params["model_type"] = model_type if isinstance(model_type, str) and model_type in MODEL_TYPES else None
    if "apply_spec_augment" not in conf:
        notes.append("apply_spec_augment is not set: its default here is true (unlike Whisper's), so masks are "
                     "drawn")
    return params, notes, found


def _units(data: dict):
    """``(hop_ms, None)`` from ``conv_stride`` (its product in samples at 16 kHz), or None."""
    strides = data.get("conv_stride")
    if strides is None:
        return None
    if not isinstance(strides, list) or not 1 <= len(strides) <= 20:
        raise ParameterError(f"conv_stride must be a list of whole numbers, got {short(strides)}")
    hop = math.prod(check_whole(f"conv_stride[{i}]", s, low=1, high=100) for i, s in enumerate(strides))
    return 1000.0 * hop / SAMPLE_RATE, None


def _python(text: str) -> dict:
    """Keyword arguments of calls and ``x.config.key = value`` lines, literals only (never run)."""
    return {key: value for key, (value, _) in python_literals(text, KEYS, what="the wav2vec2 settings").items()}


def normalise(conf: dict) -> dict:
    """The family's SpecAugment keys with its defaults filled in and checked."""
    p = {**DEFAULTS, **{k: v for k, v in conf.items() if k in KEYS}}
    out = hf_mask_params(p, raises="transformers")
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's numbers (20 ms encoder frames) and notes on what they leave out."""
    notes = []
    extra = (("mask_feature_prob", p["mask_feature_prob"], ""), ("mask_feature_length", p["mask_feature_length"], ""),
             ("mask_feature_min_masks", p["mask_feature_min_masks"], ""))
    if not p["apply_spec_augment"]:
        notes.append("apply_spec_augment is false: no SpecAugment, so nothing is drawn")
        return Fields(fill="mean", extra=extra), notes
    if p["mask_time_prob"] == 0 and p["mask_time_min_masks"]:
        notes.append("mask_time_prob is 0: no time masks, whatever mask_time_min_masks says")
    notes.append("masks fall on the encoder's 20 ms frames; each masked step gets one learned vector "
                 "(masked_spec_embed), played here as the clip's mean level")
    if p["mask_feature_prob"] > 0:
        notes.append(f"mask_feature_prob {p['mask_feature_prob']:g}: spans of {p['mask_feature_length']} of the "
                     f"encoder's hidden channels are zeroed; they are not mel bands and are not drawn")
    return Fields(W=0, F=0, mF=0, T=p["mask_time_length"], mT=p["mask_time_min_masks"], p=1.0, pS=0.0,
                  pM=p["mask_time_prob"], fill="mean", extra=extra), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """``config.json`` keys (also valid as ``from_pretrained`` keyword arguments), with ``model_type``."""
    notes[:] = [n for n in notes if not n.startswith(_NOTE_PREFIX)]
    x = extra or {}
    own = c.convention == NAME
    if W:
        notes.append(f"wav2vec2 has no time warp: W = {c.warp_frames} dropped")
    if c.max_time_ratio < 1.0:
        notes.append(f"wav2vec2 has no p: p = {c.max_time_ratio:g} dropped")
    if F and mF:
        notes.append("frequency masks dropped: wav2vec2's feature masks zero hidden channels, not mel bands")
    if c.fill != "mean":
        notes.append(f"wav2vec2 writes a learned vector into masked steps, not {c.fill!r}")
    if inclusive:  # melwav widths 0..T: the fixed width L = T (the exclusive top T + 1 was passed)
        T = max(T - 1, 0)
    if own:
        prob, t_min = c.masks_per_frame, mT
    elif c.width_ratio and not T and mT:  # adaptive width: the same expected masked share, in fixed spans
        T = DEFAULTS["mask_time_length"]
        prob, t_min = round(min(1.0, mT * c.width_ratio / 2), 4), 0
        notes.append(f"adaptive width pS = {c.width_ratio:g} with mT = {mT}: mask_time_prob = mT * pS / 2 = "
                     f"{prob:g} in spans of L = {T} encoder frames")
    elif c.masks_per_frame:
        prob, t_min = c.masks_per_frame * T, 0
        notes.append(f"the count int(prob * n / L + U) replaces melwav's floor(pM * n); the cap mT = {mT} is dropped")
    else:  # a small share that switches masking on; min_masks then fixes the count at mT
        prob, t_min = (0.001 if T and mT else 0.0), mT
        if t_min:
            notes.append("mask_time_prob set to 0.001, so mask_time_min_masks fixes the count")
    if not own and (T or c.width_ratio):
        notes.append("wav2vec2's spans are all exactly L encoder frames (20 ms) wide")
    if not T or not prob:
        prob, T, t_min = 0.0, T or DEFAULTS["mask_time_length"], (t_min if own else 0)
    conf = {"model_type": "wav2vec2", "apply_spec_augment": bool(prob or x.get("mask_feature_prob")),
            "mask_time_prob": float(prob), "mask_time_length": int(T), "mask_time_min_masks": int(t_min),
            "mask_feature_prob": float(x.get("mask_feature_prob", 0.0)) if own else 0.0,
            "mask_feature_length": int(x.get("mask_feature_length", 10)) if own else 10,
            "mask_feature_min_masks": int(x.get("mask_feature_min_masks", 0)) if own else 0}
    if not conf["apply_spec_augment"]:
        notes.append("nothing to mask: apply_spec_augment = false")
    return json.dumps(conf, indent=2) + "\n"


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what the wav2vec2 family writes into a mask and how melwav plays it."""
    if fill in (None, "mean"):
        return ("wav2vec2 (HuBERT, WavLM, data2vec, w2v-BERT) masks the encoder's 20 ms steps, not the sound: each "
                "masked step's hidden vector becomes one learned vector, the same everywhere. That vector is no "
                "sound level, so melwav plays the clip's mean level there, a neutral steady hum: hear WHEN the "
                "model is blinded, not what it sees.")
    return (f"wav2vec2 writes a learned vector (no sound level) into masked steps; melwav shows its own {fill!r} "
            "fill there.")
