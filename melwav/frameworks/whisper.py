"""Hugging Face transformers, Whisper: ``WhisperModel._mask_input_features`` and ``_compute_mask_indices``.

Read from ``src/transformers/models/whisper/modeling_whisper.py`` and ``configuration_whisper.py``
(transformers 5.24.0; ``_compute_mask_indices`` is wav2vec2's, byte for byte).

Draw rules, for ONE utterance, each axis on its own: nothing unless ``apply_spec_augment`` (WhisperConfig's
default is false) and ``mask_*_prob > 0``. One ``eps = U`` per axis; for a length ``len`` the count is
``n = int(prob * len / L + eps)``, ``n = max(n, min_masks)``, ``n = S // L`` if ``n * L > S`` (S the axis size),
``n = max(len - L + 1, 0)`` if ``len - L + 1 < n``; nothing at all when that count at ``len = S`` is 0.
``n`` distinct starts uniform on ``{0..len - L}`` (``choice(..., replace=False)``), every span exactly ``L``
wide, overlaps allowed. Time first, then frequency; fill 0 in both. No warp.

Time axis: S = Whisper's 30 s window (3000 frames of 10 ms); ``len`` = the clip's frames when an
``attention_mask`` reaches the model (option ``attention_mask`` true, the default here), else ``len = S``
and the spans fall anywhere in the window, padding included (only those on the clip are heard).
Frequency axis: ``len = S = num_mel_bins``.

melwav's numbers in this convention: T = ``mask_time_length`` (fixed width), mT = ``mask_time_min_masks``,
pM = ``mask_time_prob``; F = ``mask_feature_length``, mF = ``mask_feature_min_masks``; extra
``mask_feature_prob``, ``attention_mask`` and ``window_frames`` (the 30 s window, converted like T; without
it the clip stands for the window, which changes a count only when the spans would cover the whole clip).

Text forms read: ``config.json`` (JSON or YAML keys), ``from_pretrained(..., apply_spec_augment=True, ...)`` or
``WhisperConfig(...)`` keyword arguments, and ``model.config.mask_time_prob = 0.05`` lines; values are literals
only, nothing is imported or run. ``return_attention_mask`` (a feature-extractor setting) says whether an
attention mask is forwarded, and WHERE it is set decides which: only the call-time argument,
``feature_extractor(audio, return_attention_mask=True)``, rescales the mask to frames
(``feature_extraction_whisper.py`` ``__call__``: ``if return_attention_mask: ... [:, ::hop_length]``, line 332
in 5.25.0). The attribute, the constructor argument and a ``preprocessor_config.json`` key reach only ``pad``
(``feature_extraction_sequence_utils.py`` lines 136-137), which returns a mask of SAMPLES (480000 for 30 s); fed
to the model, ``_compute_mask_indices`` counts spans on the sample length, more than the 3000-frame maximum, and
``np.ones(max_num_masked_span - num_masked_span)`` raises ``negative dimensions are not allowed``
(``modeling_wav2vec2.py`` / ``modeling_whisper.py``). melwav draws that case as the real code does: nothing
when it raises (with a note), else the sample-indexed starts clipped to the last frame.
"""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from ..errors import ParameterError
from ..records import MaskBatch, SpecAugmentConfig
from ._common import (
    Fields,
    Frontend,
    check_bool,
    check_whole,
    distinct_starts,
    hf_mask_params,
    hf_span_count,
    make_batch,
    python_literals,
    short,
)

NAME = "whisper"
#: WhisperFeatureExtractor: hop 160 at 16 kHz (10 ms), 80 mel bins (128 for large-v3).
UNITS = (10.0, 80)
ORDER = ("warp", "time", "freq")
FILLS = ("absolute",)
#: WhisperFeatureExtractor: 16 kHz, n_fft 400 (hann), 80 slaney mel bands to 8 kHz; its 0 after
#: log10, clamp to max - 8 and (x + 4) / 4 is log10 mel power -4, i.e. -40 dB re. mel power 1.
FRONTEND = Frontend(sr=16000, n_fft=400, n_mels=80, fmin=0.0, fmax=8000.0, htk=False, norm="slaney", zero_db=-40.0)
WARPS: dict = {}
OPERATIONS: dict = {}
#: Whisper's input window: 30 s = 3000 frames of 10 ms.
WINDOW_FRAMES = 3000
#: Samples per Whisper frame (hop 160 at 16 kHz): a sample-level attention mask is this much longer.
HOP_SAMPLES = 160

DEFAULTS = {
    "apply_spec_augment": False, "mask_time_prob": 0.05, "mask_time_length": 10, "mask_time_min_masks": 2,
    "mask_feature_prob": 0.0, "mask_feature_length": 10, "mask_feature_min_masks": 0,
}
KEYS = set(DEFAULTS)
#: Not a model setting: whether the feature extractor's attention mask reaches the model.
MASK_KEY = "return_attention_mask"
#: Where ``return_attention_mask`` was set: ``"call"`` (the call-time argument: a per-frame mask) or
#: ``"extractor"`` (attribute, constructor or config key: a per-sample mask, see the module notes).
MASK_AT_KEY = "return_attention_mask_at"
_RAISES = ("transformers raises ValueError ('negative dimensions are not allowed') in training: the attention "
           "mask is per sample")
_PY_RE = re.compile(r"\b(apply_spec_augment|mask_(time|feature)_(prob|length|min_masks))\b\s*=(?!=)")
_NOTE_PREFIX = "melwav draws widths 0..F and 0..T inclusive"


# ----------------------------------------------------------------------------------------------- draw


#: ``compute_num_masked_span`` of ``_compute_mask_indices`` (shared with the wav2vec2 family).
span_count = hf_span_count


def draw_spans(prob: float, L: int, min_masks: int, length: int, S: int, rng: np.random.Generator,
               size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The span starts ``_compute_mask_indices`` draws for ``size`` examples of one ``length`` (``L`` checked
    by the caller): ``(starts, drawn)`` of shape ``(size, most spans)``, and the count per example."""
    eps = rng.random(size)  # one per example (the batch's rounding; melwav's clip is a batch of one)
    n = np.where(span_count(prob, L, min_masks, S, S, eps) == 0, 0, span_count(prob, L, min_masks, length, S, eps))
    starts, drawn = distinct_starts(n, max(length - L + 1, 1), rng)
    return starts, drawn, n


def _sample_mask_spans(prob, L, k, n_frames, window, rng, size) -> tuple[MaskBatch, list]:
    """Time spans ``_compute_mask_indices`` draws when the attention mask counts samples, not frames:
    ``(masks, draw notes)``.

    The input length is ``HOP_SAMPLES * n_frames`` against an axis of ``window`` frames: the count is capped at
    ``window // L`` and, when above the window's own count, ``np.ones(max_num_masked_span - num_masked_span)``
    raises (nothing is drawn, a note says so); otherwise the starts are drawn among the samples and every index
    past the axis is set to its last frame (``spec_aug_mask_idxs[... > sequence_length - 1] = sequence_length - 1``).
    """
    samples = HOP_SAMPLES * n_frames
    eps = rng.random(size)
    most = span_count(prob, L, k, window, window, eps)
    n = span_count(prob, L, k, samples, window, eps)
    raises = (most > 0) & (n > most)
    notes = [(f"{_RAISES} ({samples} samples give {a} spans, more than the {b} of the 3000-frame axis): no time "
              f"masks; pass return_attention_mask=True when calling the feature extractor", raises & (n == a) & (most == b))
             for a, b in sorted(set(zip(n[raises].tolist(), most[raises].tolist())))]
    drew = (most > 0) & ~raises
    n = np.where(drew, n, 0)
    starts, drawn = distinct_starts(n, samples - L + 1, rng)
    first, last = np.minimum(starts, window - 1), np.minimum(starts + L - 1, window - 1)
    spans = MaskBatch.clipped(first, last - first + 1, n_frames, drawn)
    notes.append(("the attention mask is per sample (set on the extractor, not at call time): span starts are "
                  "drawn among the samples and clipped to the last frame", drew))
    return _nonzero(spans), notes


def _nonzero(masks: MaskBatch) -> MaskBatch:
    """The spans that land on the clip (a span past its end has no width left)."""
    return MaskBatch(masks.start, masks.width, masks.drawn & (masks.width > 0))


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """Whisper's ``_mask_input_features`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """Whisper's ``_mask_input_features`` for ``size`` utterances of one length (see the module notes)."""
    notes, draw_notes = [], []
    if config.warp_frames:
        notes.append(f"Whisper has no time warp: W = {config.warp_frames} ignored")
    if config.max_time_ratio < 1.0 or config.width_ratio:
        notes.append("Whisper has no p and no adaptive width (its spans are exactly L wide): ignored")
    attention = bool(config.option("attention_mask", True))
    window = config.option("window_frames")
    if window is None:  # a config built without the import (e.g. from sliders): the 30 s window is unknown
        window = n_frames
        L, k = config.time_mask_frames, config.n_time_masks
        if not attention or (L >= 1 and max(int(config.masks_per_frame * n_frames / L + 1), k) * L > n_frames):
            notes.append("Whisper's 30 s window is unknown here (no window_frames option): taken as the clip")
    if window < n_frames:
        notes.append(f"the clip ({n_frames} frames) is longer than Whisper's 30 s window ({window}): Whisper "
                     f"would cut it; melwav masks the whole clip")
        window = n_frames
    time = None
    prob, L, k = config.masks_per_frame, config.time_mask_frames, config.n_time_masks
    if prob <= 0:
        if k:
            notes.append("no time masks: mask_time_prob is 0 (Whisper masks only when it is > 0, whatever "
                         "mask_time_min_masks says)")
    elif L < 1:
        notes.append("no time masks: mask_time_length is 0 frames here (Whisper raises on a length below 1)")
    elif config.option("sample_attention_mask"):
        time, more = _sample_mask_spans(prob, L, k, n_frames, window, rng, size)
        draw_notes += more
    else:
        length = n_frames if attention else window
        starts, drawn, n = draw_spans(prob, L, k, length, window, rng, size)
        time = _nonzero(MaskBatch.clipped(starts, L, n_frames, drawn))
        if not attention:
            landed = time.drawn.sum(axis=1)
            for a, b in sorted(set(zip(n.tolist(), landed.tolist()))):
                draw_notes.append((f"no attention_mask: Whisper drew {a} span(s) over its 30 s window ({window} "
                                   f"frames); {b} land on this {n_frames}-frame clip", (n == a) & (landed == b)))
    freq = None
    fprob, FL, fk = float(config.option("mask_feature_prob", 0.0) or 0.0), config.freq_mask_bands, config.n_freq_masks
    if fprob <= 0:
        if fk:
            notes.append("no frequency masks: mask_feature_prob is 0 (Whisper masks only when it is > 0)")
    elif FL < 1 or FL > n_mels:
        notes.append(f"no frequency masks: mask_feature_length is {FL} bands here, outside 1..{n_mels} (Whisper "
                     f"raises)")
    else:
        starts, drawn, _ = draw_spans(fprob, FL, fk, n_mels, n_mels, rng, size)
        freq = MaskBatch.clipped(starts, FL, n_mels, drawn)
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, None, freq, time, notes, draw_notes)


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """4 for Python that sets Whisper's SpecAugment keys, 3 for a JSON/YAML mapping holding them, else 0."""
    data = source.json_or_yaml()
    if isinstance(data, dict) and KEYS & set(data) and (
            any(k.startswith("mask_") for k in KEYS & set(data)) or data.get("model_type") == "whisper"
            or set(data) <= KEYS | {MASK_KEY, "num_mel_bins", "model_type"}):
        return 3
    if _PY_RE.search(source.text):
        return 4
    return 0


def parse(source):
    """``(params, notes, found units)`` of a Whisper config.json, from_pretrained kwargs or config lines."""
    data = source.json_or_yaml()
    notes = []
    if isinstance(data, dict):
        conf = {k: v for k, v in data.items() if k in KEYS or k == MASK_KEY}
        if MASK_KEY in conf:  # a preprocessor_config.json key is read into the extractor's attribute
            conf[MASK_AT_KEY] = "extractor"
        typos = sorted(k for k in data if isinstance(k, str) and k not in KEYS and k != MASK_KEY
                       and (k.startswith("mask_") or "spec_aug" in k))
        if typos:
            raise ParameterError(f"unknown Whisper SpecAugment key(s): {', '.join(short(k)[1:-1] for k in typos[:5])}"
                                 f" (known: {', '.join(sorted(KEYS))})")
        model_type = data.get("model_type")
        if isinstance(model_type, str) and model_type != "whisper":
            notes.append(f"model_type {short(model_type)}: drawn with Whisper's rules (the same "
                         f"_compute_mask_indices), fill 0")
        mels = data.get("num_mel_bins")
        found = (None, check_whole("num_mel_bins", mels, low=1, high=4096)) if mels is not None else None
    else:
        conf, found = _python(source.text), None
        mels = conf.pop("num_mel_bins", None)
        if mels is not None:
            found = (None, check_whole("num_mel_bins", mels, low=1, high=4096))
    if not conf or not (KEYS & set(conf)):
        raise ParameterError("no Whisper SpecAugment settings found (apply_spec_augment, mask_time_prob, "
                             "mask_time_length, mask_time_min_masks, mask_feature_*)")
    params = normalise(conf)
    if "apply_spec_augment" not in conf:
        notes.append("apply_spec_augment is not set: WhisperConfig's default is false, so Whisper applies no "
                     "SpecAugment (add apply_spec_augment: true)")
    return params, notes, found


def _python(text: str) -> dict:
    """Keyword arguments of calls and ``x.config.key = value`` lines, literals only (never run)."""
    found = python_literals(text, KEYS | {MASK_KEY, "num_mel_bins"}, what="the Whisper settings")
    out = {key: value for key, (value, _) in found.items()}
    if MASK_KEY in found:  # where the mask is asked for decides its shape (see _is_extractor_call)
        call = found[MASK_KEY][1]
        out[MASK_AT_KEY] = "call" if call is not None and _is_extractor_call(call.func) else "extractor"
    return out


def _is_extractor_call(func) -> bool:
    """Whether a call is the feature extractor (or processor) applied to audio, not a constructor.

    ``feature_extractor(audio, return_attention_mask=True)`` is the call-time argument; ``from_pretrained``,
    ``WhisperFeatureExtractor(...)`` (a capitalised class) and ``.pad(...)``-free constructors set the attribute.
    """
    name = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
    return bool(name) and name[0].islower() and name not in ("from_pretrained", "dict")


def normalise(conf: dict) -> dict:
    """Whisper's SpecAugment keys with WhisperConfig's defaults filled in and checked."""
    p = {**DEFAULTS, **{k: v for k, v in conf.items() if k in KEYS}}
    out = hf_mask_params(p, raises="Whisper")
    mask = conf.get(MASK_KEY)
    out[MASK_KEY] = None if mask is None else check_bool(MASK_KEY, mask)
    out[MASK_AT_KEY] = conf.get(MASK_AT_KEY, "call") if out[MASK_KEY] else None  # False: no mask, wherever set
    if out["mask_feature_length"] > 4096:
        raise ParameterError("mask_feature_length must be at most the mel bins (4096 at most)")
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's numbers (Whisper's units) and notes on what they leave out."""
    notes = []
    if not p["apply_spec_augment"]:
        notes.append("apply_spec_augment is false: Whisper applies no SpecAugment, so nothing is drawn")
        return Fields(fill="absolute"), notes
    per_sample = p[MASK_KEY] is True and p.get(MASK_AT_KEY) == "extractor"
    attention = p[MASK_KEY] is not False and not per_sample
    if p[MASK_KEY] is None:
        notes.append("assumed an attention_mask reaches the model (masks stay on the clip); with none, they fall "
                     "anywhere in the 30 s window: set return_attention_mask = False to hear that")
    if per_sample:
        notes.append("return_attention_mask is set on the feature extractor (attribute, constructor or config "
                     "key): its mask counts samples, not frames (only the call-time argument rescales it); "
                     + (_RAISES if p["mask_time_prob"] > 0 else "harmless while mask_time_prob is 0")
                     + ". Call feature_extractor(audio, return_attention_mask=True) instead")
    if p["mask_time_prob"] == 0 and p["mask_time_min_masks"]:
        notes.append("mask_time_prob is 0: Whisper draws no time masks, whatever mask_time_min_masks says")
    notes.append("Whisper's spans are exactly L wide (no random width); the count comes from prob * length / L "
                 "plus one random rounding per batch, at least min_masks")
    # feature_length_bands repeats F for the export: the shared export passes F = 0 when mF (min masks) is 0
    extra = (("attention_mask", attention, ""), ("feature_length_bands", p["mask_feature_length"], "bands"),
             ("mask_feature_prob", p["mask_feature_prob"], ""), ("window_frames", WINDOW_FRAMES, "frames"))
    if per_sample:
        extra += (("sample_attention_mask", True, ""),)
    return Fields(W=0, F=p["mask_feature_length"], mF=p["mask_feature_min_masks"], T=p["mask_time_length"],
                  mT=p["mask_time_min_masks"], p=1.0, pS=0.0, pM=p["mask_time_prob"], fill="absolute",
                  extra=extra), notes


# --------------------------------------------------------------------------------------------- export


def _fmt(x: float) -> str:
    return repr(float(x))


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """``model.config.<key> = value`` lines (also valid as ``from_pretrained`` keyword arguments)."""
    notes[:] = [n for n in notes if not n.startswith(_NOTE_PREFIX)]
    x = extra or {}  # its own settings (SpecAugmentConfig.extra), sizes in its units
    own = c.convention == NAME
    if W:
        notes.append(f"Whisper has no time warp: W = {c.warp_frames} dropped")
    if c.max_time_ratio < 1.0:
        notes.append(f"Whisper has no p: p = {c.max_time_ratio:g} dropped")
    if c.width_ratio and (T or not mT):
        notes.append(f"Whisper has no adaptive width: pS = {c.width_ratio:g} dropped")
    if c.fill != "absolute":
        notes.append(f"Whisper fills 0 on its own log-mel scale, not {c.fill!r}")
    elif c.fill_db:
        notes.append(f"Whisper fills its own 0; the shift of {c.fill_db:+g} dB is not written")
    if inclusive:  # melwav widths 0..T: Whisper's fixed width L = T (the exclusive top T + 1 was passed)
        T, F = max(T - 1, 0), max(F - 1, 0)
    conf = {"apply_spec_augment": True}
    if own:
        t_prob, t_min = c.masks_per_frame, mT
        f_prob, f_min = float(x.get("mask_feature_prob", 0.0) or 0.0), mF
        if not F and f_prob and c.freq_mask_bands:
            F = int(x.get("feature_length_bands", 0) or 0)
    else:
        if T or F:
            notes.append("Whisper's spans are all exactly L wide: melwav's largest width T (and F) is written as L")
        if c.width_ratio and not T and mT:  # adaptive width: the same expected masked share, as fixed spans
            T = DEFAULTS["mask_time_length"]
            t_prob, t_min = round(min(1.0, mT * c.width_ratio / 2), 4), 0
            notes.append(f"adaptive width pS = {c.width_ratio:g} with mT = {mT}: written as Whisper's share of "
                         f"frames masked, mask_time_prob = mT * pS / 2 = {t_prob:g} (the mean of widths 0..pS * n), "
                         f"in spans of L = {T} frames; the count grows with the length as the adaptive widths do")
        elif c.masks_per_frame:
            t_prob, t_min = c.masks_per_frame * T, 0
            notes.append(f"Whisper's count int(prob * n / L + U) replaces melwav's floor(pM * n); the cap "
                         f"mT = {mT} is dropped")
        else:  # the smallest prob that turns masking on; min_masks then fixes the count at mT
            t_prob, t_min = (math.floor(T / WINDOW_FRAMES * 1e4) / 1e4 if T and mT else 0.0), mT
        f_prob, f_min = (math.floor(F / 128 * 1e4) / 1e4 if F and mF else 0.0), mF
        if t_min or f_min:
            notes.append("mask_*_prob set to the least share that switches masking on, so mask_*_min_masks fixes "
                         "the count (Whisper has no exact count otherwise)")
    if not T or not t_prob:  # Whisper masks time only when mask_time_prob > 0: no min_masks without it
        t_prob, T = 0.0, T or DEFAULTS["mask_time_length"]
        t_min = t_min if own else 0
    if not F or not f_prob:
        f_prob, F = 0.0, F or DEFAULTS["mask_feature_length"]
        f_min = f_min if own else 0
    if t_prob == 0 and f_prob == 0:
        conf["apply_spec_augment"] = False
        notes.append("nothing to mask: apply_spec_augment = False")
    conf.update({"mask_time_prob": t_prob, "mask_time_length": T, "mask_time_min_masks": t_min,
                 "mask_feature_prob": f_prob, "mask_feature_length": F, "mask_feature_min_masks": f_min})
    lines = [f"model.config.{k} = {v!r}" if not isinstance(v, float) else f"model.config.{k} = {_fmt(v)}"
             for k, v in conf.items()]
    attention = bool(x.get("attention_mask", True) or x.get("sample_attention_mask")) if own else True
    if own and x.get("sample_attention_mask"):
        notes.append("return_attention_mask was set on the feature extractor (a per-sample mask, training raises): "
                     "written as the call-time argument, which gives the per-frame mask")
    lines.append("# the attention mask, asked for AT CALL TIME (the only form rescaled to frames; the attribute or a")
    lines.append("# preprocessor_config.json key gives a per-sample mask and training raises); the collator passes it on")
    lines.append(f"inputs = feature_extractor(audio, sampling_rate=16000, {MASK_KEY}={attention})")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what Whisper writes into a mask and how melwav plays it."""
    if fill in (None, "absolute"):
        shift = f" ({fill_db:+g} dB from it)" if fill == "absolute" and fill_db else ""
        return ("Whisper writes 0 into its log-mel (log10 power clamped at the example's max - 8, then (x + 4) / 4): "
                "log10 mel power -4 on its absolute scale (audio in [-1, 1], 16 kHz, n_fft 400, 80 mel bands). "
                f"melwav places that level{shift} on this clip through the clip's own absolute power: near the "
                "floor of a loud clip, mid-range in a quiet one.")
    return f"Whisper cannot fill with {fill!r}; melwav shows its own {fill!r} fill."
