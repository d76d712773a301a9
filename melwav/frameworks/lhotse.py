"""lhotse / icefall: ``lhotse.dataset.signal_transforms.SpecAugment`` (lhotse >= 1.0, read at 1.33).

Draw rules, for ONE example of ``n`` frames (melwav has one clip, so lhotse's padded length is ``n``):

- gate: lhotse's ``_forward_single`` starts with ``if random.random() > p: return``. icefall's
  ``K2SpeechRecognitionDataset`` always passes supervisions, so the warp call and the mask call are gated
  separately, each skipped with probability ``1 - p`` (``p`` = the apply probability, default 0.9).
- warp, W = ``time_warp_factor`` (None or < 1: off): none when ``n - W <= W + 1``; anchor
  ``c = randint(W + 1, n - W)`` (``W+1..n-W-1``), new position ``randint(c - W, c + W + 1)``
  (``c-W..c+W``); ``[0, c)`` and ``[c, n)`` are resized bicubically (``align_corners=False``, as ESPnet's).
  Recorded as ``WarpDraw(c, w - c, "lhotse-bicubic")``.
- frequency: F = ``features_mask_size``, mF = ``num_feature_masks``: widths ``randint(0, F)`` (``0..F-1``),
  starts ``int(U * (n_mels - w))``, so the last bin is never masked.
- time: ``max_tot = max_frames_mask_fraction * n``; count ``min(num_frame_masks, ceil(max_tot /
  frames_mask_size))``, width bound ``min(frames_mask_size, max_tot // count)``: widths ``0..int(bound)-1``,
  starts ``int(U * (n - w))``. The count and width shrink with the length (1000 frames: 2 masks of <= 74).
- fill: the mean of the example after the warp, padding included (``_forward_single``: ``mean =
  features.mean()`` follows the ``time_warp`` call); melwav takes the clip's mean after the warp too
  (:data:`FILL_AFTER_WARP`). Order: warp, frequency, time.

In melwav's numbers: W, F, mF, T, mT as above, p = ``max_frames_mask_fraction``; the apply probability is the
config's ``extra`` setting ``apply_prob`` (0.9 when absent, lhotse's default).

Text forms read (nothing is imported or run): a ``SpecAugment(...)`` call (optionally ``lhotse.dataset.`` or
``lhotse.dataset.signal_transforms.``) with literal arguments, where icefall's own expressions
``self.args.spec_aug_time_warp_factor`` and ``num_frame_masks`` stand for its defaults (80 and 10);
icefall command-line flags (``--enable-spec-aug``, ``--spec-aug-time-warp-factor``, and for Zipformer's
CR-CTC ``--use-cr-ctc`` with ``--time-mask-ratio``); or a ``state_dict()`` as JSON/YAML.
"""

from __future__ import annotations

import ast
import math
import re
import shlex

import numpy as np

from ..errors import ParameterError, check_float
from ..records import MaskBatch, SpecAugmentConfig, WarpBatch, WarpDraw
from ._common import (
    MAX_PYTHON_CHARS,
    Fields,
    check_known,
    check_number,
    check_python_size,
    check_whole,
    dotted_name,
    make_batch,
    short,
    source_snippet,
)
from ._resample import two_piece_warp

NAME = "lhotse"
#: icefall's lhotse Fbank: 25 ms windows every 10 ms, 80 channels.
UNITS = (10.0, 80)
ORDER = ("warp", "freq", "time")
FILLS = ("mean",)
OPERATIONS: dict = {}
#: lhotse's mean fill is the mean of the warped example (see the module notes).
FILL_AFTER_WARP = True

DEFAULTS = {
    "time_warp_factor": 80, "num_feature_masks": 2, "features_mask_size": 27, "num_frame_masks": 10,
    "frames_mask_size": 100, "max_frames_mask_fraction": 0.15, "p": 0.9,
}
KEYS = tuple(DEFAULTS)
#: Keywords only lhotse's SpecAugment has (torchaudio's SpecAugment shares none of them).
_OWN_KEYWORDS = set(KEYS) - {"p"}
#: icefall's asr_datamodule.py: SpecAugment(time_warp_factor=args..., num_frame_masks=10, features_mask_size=27,
#: num_feature_masks=2, frames_mask_size=100); p and the fraction stay lhotse's defaults.
ICEFALL = {**DEFAULTS}
#: icefall's own expressions inside that call, and the values they hold by default.
_ICEFALL_NAMES = {
    "self.args.spec_aug_time_warp_factor": ("time_warp_factor", 80),
    "args.spec_aug_time_warp_factor": ("time_warp_factor", 80),
    "params.spec_aug_time_warp_factor": ("time_warp_factor", 80),
    "num_frame_masks": ("num_frame_masks", 10),
}
_FLAGS = {
    "--enable-spec-aug": "bool", "--spec-aug-time-warp-factor": "int", "--use-cr-ctc": "bool",
    "--time-mask-ratio": "float",
}
_PREFIXES = ("", "lhotse.", "lhotse.dataset.", "lhotse.dataset.signal_transforms.")
_CALL_RE = re.compile(r"\bSpecAugment\s*\(")
_KEYWORD_RE = re.compile(r"\b(" + "|".join(sorted(_OWN_KEYWORDS)) + r")\s*=")
_FLAG_RE = re.compile(r"(?:^|\s)--(?:enable-spec-aug|spec-aug-time-warp-factor|use-cr-ctc|time-mask-ratio)\b")


# ----------------------------------------------------------------------------------------------- draw


def time_mask_bounds(n_frames: int, T: int, mT: int, fraction: float) -> tuple[int, int]:
    """``(count, width bound)`` of lhotse's time masks on ``n_frames`` frames: widths are ``0..bound-1``.

    ``count`` is 0 when lhotse would divide by zero (``num_frame_masks = 0``) or ``T = 0``; ``bound`` below 1 is
    where ``torch.randint(0, 0)`` would raise.
    """
    if mT == 0 or T == 0:
        return 0, 0
    max_tot = fraction * n_frames
    count = min(mT, math.ceil(max_tot / T))
    if count == 0:
        return 0, 0
    return count, int(min(T, max_tot // count))


def _masks(axis_len: int, bound: int, count: int, rng: np.random.Generator, size: int, drawn) -> MaskBatch:
    widths = rng.integers(0, bound, size=(size, count))  # torch.randint(0, mask_size)
    starts = (rng.random((size, count)) * (axis_len - widths)).astype(np.int64)  # (U * (n - w)).long()
    return MaskBatch.clipped(starts, widths, axis_len, np.broadcast_to(drawn[:, None], (size, count)))


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """lhotse ``SpecAugment`` for one example: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """lhotse ``SpecAugment`` for ``size`` examples of one length (see the module notes)."""
    notes, draw_notes = [], []
    p = check_float("extra apply_prob", config.option("apply_prob", DEFAULTS["p"]), low=0.0, high=1.0)
    if config.option("apply_prob") is None:
        notes.append(f"lhotse's p (apply probability) not given: its default {p:g}")
    if config.width_ratio or config.masks_per_frame:
        notes.append("lhotse has no pS or pM (its count and width follow max_frames_mask_fraction): ignored")
    warp = None
    W = config.warp_frames
    if W >= 1:
        skipped = rng.random(size) > p
        draw_notes.append((f"lhotse skipped the warp this time (it applies it with probability p = {p:g})", skipped))
        if n_frames - W <= W + 1:
            draw_notes.append((f"no time warp: lhotse skips it when the clip ({n_frames} frames) is <= 2W + 1 = "
                               f"{2 * W + 1}", ~skipped))
        else:
            center = rng.integers(W + 1, n_frames - W, size=size)
            new = rng.integers(center - W, center + W + 1)
            warp = WarpBatch(center, new - center, ~skipped & (new != center), "lhotse-bicubic")
    masked = rng.random(size) <= p
    draw_notes.append((f"lhotse skipped the masks this time (it applies them with probability p = {p:g})",
                       ~masked))
    mask_notes = []  # for the examples it masks
    freq = time = None
    if config.n_freq_masks:
        F = config.freq_mask_bands
        if F < 1:
            mask_notes.append("no frequency masks: lhotse requires features_mask_size > 0")
        else:
            if F > n_mels:
                mask_notes.append(f"features_mask_size {F} is wider than the {n_mels} bands: masks cut to the axis")
            freq = _masks(n_mels, F, config.n_freq_masks, rng, size, masked)
    count, bound = time_mask_bounds(n_frames, config.time_mask_frames, config.n_time_masks, config.max_time_ratio)
    if count == 0:
        mask_notes.append("no time masks: with num_frame_masks, frames_mask_size or max_frames_mask_fraction 0, "
                          "lhotse divides by zero and raises")
    else:
        if bound < 1:
            mask_notes.append(f"no time masks: the width bound int(min(T, {config.max_time_ratio:g} * {n_frames} // "
                              f"{count})) is 0, where lhotse's torch.randint(0, 0) raises")
        else:
            if count < config.n_time_masks or bound < config.time_mask_frames:
                mask_notes.append(f"lhotse shrinks the time masks for {n_frames} frames: {count} of "
                                  f"{config.n_time_masks}, widths 0..{bound - 1} (max_frames_mask_fraction "
                                  f"{config.max_time_ratio:g})")
            time = _masks(n_frames, bound, count, rng, size, masked)
    draw_notes += [(note, masked) for note in mask_notes]
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, warp, freq, time, notes, draw_notes)


def apply_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """lhotse's ``time_warp``: the two sides of the anchor resized bicubically (``align_corners=False``)."""
    return two_piece_warp(L, warp, align_corners=False)


WARPS = {"lhotse-bicubic": apply_warp}


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """4 for a SpecAugment call with lhotse's keywords, icefall flags or a lhotse state_dict; else 0.

    A ``SpecAugment(...)`` call with none of lhotse's own keywords is left to torchaudio (which scores 2).
    """
    text = source.text
    if _CALL_RE.search(text) and (_KEYWORD_RE.search(text) or re.search(r"\blhotse\.", text)):
        return 4
    if _FLAG_RE.search(text):
        return 4
    if "{" in text or ":" in text:
        data = source.yaml_or_none()
        if isinstance(data, dict) and data and set(data) <= set(KEYS) and set(data) & _OWN_KEYWORDS:
            return 4
    return 0


def parse(source):
    """``(params, notes, found units)`` of a lhotse call, icefall flags or a state_dict (module notes)."""
    text = source.text
    if _CALL_RE.search(text):
        conf, notes = _parse_call(text)
    elif _FLAG_RE.search(text):
        conf, notes = _parse_flags(text)
    else:
        data = source.yaml
        if not isinstance(data, dict):
            raise ParameterError("lhotse settings must be a SpecAugment(...) call, icefall flags or a state_dict "
                                 "mapping")
        check_known("lhotse SpecAugment state_dict", data, set(KEYS))
        conf, notes = dict(data), []
    return normalise(conf), notes, None


def _parse_call(text: str) -> tuple[dict, list[str]]:
    text = text.strip()
    check_python_size(text, "the lhotse call")
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ParameterError(f"the lhotse call is not valid Python at line {exc.lineno}: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ParameterError("the lhotse call is nested too deeply or too large to read") from None
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = dotted_name(node.func)
            if name is not None and any(name == prefix + "SpecAugment" for prefix in _PREFIXES):
                calls.append(node)
    if len(calls) != 1:
        raise ParameterError(f"expected one lhotse SpecAugment(...) call, found {len(calls)}")
    call = calls[0]
    if len(call.args) > len(KEYS):
        raise ParameterError(f"line {call.lineno}: SpecAugment takes at most {len(KEYS)} positional arguments")
    conf, notes = {}, []
    for key, value in list(zip(KEYS, call.args)) + [(kw.arg, kw.value) for kw in call.keywords]:
        if key is None:
            raise ParameterError(f"line {call.lineno}: SpecAugment(**...) is not read; write the arguments out")
        if key not in DEFAULTS:
            raise ParameterError(f"line {call.lineno}: unknown lhotse SpecAugment argument {short(key)} "
                                 f"(known: {', '.join(KEYS)})")
        if key in conf:
            raise ParameterError(f"line {call.lineno}: SpecAugment argument {key!r} given twice")
        expression = dotted_name(value)
        if expression in _ICEFALL_NAMES and _ICEFALL_NAMES[expression][0] == key:
            conf[key] = _ICEFALL_NAMES[expression][1]
            notes.append(f"{key}={expression} read as icefall's default {conf[key]}")
            continue
        try:
            conf[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ParameterError(f"line {call.lineno}: SpecAugment argument {key}= must be a literal number (or "
                                 f"None), got {_shown(source_snippet(text, value, MAX_PYTHON_CHARS))}; nothing was run") from None
    return conf, notes


_PLAIN_RE = re.compile(r"[\w.()+\-*/ ]{1,60}")


def _shown(text: str) -> str:
    """Text from the recipe as it may appear in a message (which can reach Markdown): plain characters only."""
    return repr(text) if _PLAIN_RE.fullmatch(text) else f"an expression of {len(text)} characters"


def _parse_flags(text: str) -> tuple[dict, list[str]]:
    try:
        tokens = shlex.split(text.replace("\\\n", " "), comments=True)
    except ValueError as exc:
        raise ParameterError(f"the icefall command line cannot be split: {exc}") from None
    flags = {}
    for i, token in enumerate(tokens):
        name, eq, value = token.partition("=")
        if name not in _FLAGS:
            continue
        if not eq:
            value = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].startswith("--") else None
        if value is None:
            raise ParameterError(f"icefall flag {name} needs a value (icefall's str2bool flags take one too)")
        kind = _FLAGS[name]
        try:
            if kind == "bool":
                low = value.lower()
                if low not in ("true", "false", "1", "0", "yes", "no", "t", "f", "y", "n"):
                    raise ValueError
                flags[name] = low in ("true", "1", "yes", "t", "y")
            else:
                flags[name] = int(value) if kind == "int" else float(value)
        except ValueError:
            what = {"bool": "true or false", "int": "a whole number", "float": "a number"}[kind]
            raise ParameterError(f"icefall flag {name} must be {what}"
                                 f", got {_shown(value)}") from None
    conf = dict(ICEFALL)
    notes = []
    if not flags.get("--enable-spec-aug", True):
        raise ParameterError("--enable-spec-aug false: icefall runs no SpecAugment (nothing to hear)")
    if "--spec-aug-time-warp-factor" in flags:
        conf["time_warp_factor"] = flags["--spec-aug-time-warp-factor"]
    if flags.get("--use-cr-ctc", False):
        ratio = flags.get("--time-mask-ratio", 2.5)
        conf["num_frame_masks"] = int(10 * ratio)
        conf["max_frames_mask_fraction"] = 0.15 * ratio
        notes.append(f"--use-cr-ctc: Zipformer masks in the model (num_frame_masks int(10 * {ratio:g}), fraction "
                     f"0.15 * {ratio:g}) two copies of the batch independently; melwav shows one copy")
    else:
        notes.append("icefall's asr_datamodule.py SpecAugment: num_frame_masks 10, features_mask_size 27, "
                     "num_feature_masks 2, frames_mask_size 100 (p 0.9, fraction 0.15: lhotse's defaults)")
    return conf, notes


def normalise(conf: dict) -> dict:
    """lhotse ``SpecAugment`` parameters with defaults filled in and checked as its constructor does."""
    check_known("lhotse SpecAugment", conf, set(KEYS))
    p = {**DEFAULTS, **conf}
    out = {}
    tw = p["time_warp_factor"]
    out["time_warp_factor"] = None if tw is None else check_whole("SpecAugment time_warp_factor (or None)", tw,
                                                                  low=-100_000, high=100_000)
    for key in ("num_feature_masks", "num_frame_masks"):
        out[key] = check_whole(f"SpecAugment {key}", p[key], low=0, high=100)
    for key in ("features_mask_size", "frames_mask_size"):
        out[key] = check_whole(f"SpecAugment {key} (lhotse asserts > 0)", p[key], low=1, high=100_000)
    out["max_frames_mask_fraction"] = check_number("SpecAugment max_frames_mask_fraction",
                                                   p["max_frames_mask_fraction"], low=0.0, high=1.0)
    out["p"] = check_number("SpecAugment p", p["p"], low=0.0, high=1.0)
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (lhotse's units) plus the apply probability."""
    notes = []
    tw = p["time_warp_factor"]
    W = tw if tw is not None and tw >= 1 else 0
    if p["num_frame_masks"] == 0:
        notes.append("num_frame_masks 0: lhotse 1.33 divides by it (max_tot // 0) and raises when masking")
    count, bound = time_mask_bounds(1000, p["frames_mask_size"], p["num_frame_masks"], p["max_frames_mask_fraction"])
    if count:
        notes.append(f"time masks shrink with the length: at 1000 of its frames {count} of {p['num_frame_masks']}, "
                     f"widths 0..{bound - 1} (max_frames_mask_fraction {p['max_frames_mask_fraction']:g})")
    if p["p"] < 1.0:
        notes.append(f"p = {p['p']:g}: each draw skips the warp and, separately, the masks with probability "
                     f"{1 - p['p']:.2g}")
    return Fields(W=W, F=p["features_mask_size"], mF=p["num_feature_masks"], T=p["frames_mask_size"],
                  mT=p["num_frame_masks"], p=p["max_frames_mask_fraction"], fill="mean",
                  extra=(("apply_prob", p["p"], ""),)), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """A ``lhotse.dataset.SpecAugment(...)`` call."""
    apply_prob = check_float("extra apply_prob", (extra or {}).get("apply_prob", 1.0), low=0.0, high=1.0)
    if c.convention != NAME:
        if W:
            notes.append("lhotse's warp: anchor in W+1..n-W-1, displacement -W..W, bicubic resize of both sides, "
                         "none when n <= 2W + 1")
        notes.append(f"lhotse's max_frames_mask_fraction ({c.max_time_ratio:g}) caps the time masks' total: "
                     f"min({mT}, ceil(p * n / T)) masks of width < min(T, p * n // count); shorter clips get fewer")
    if mF and not F:
        notes.append("lhotse needs features_mask_size > 0: num_feature_masks 0 written")
    if not F:
        mF, F = 0, 1
    if not (T and mT):
        notes.append("no time masks: written as num_frame_masks=1, frames_mask_size=1 (always width 0), since lhotse "
                     "raises on num_frame_masks=0 and asserts frames_mask_size > 0")
        mT, T = 1, 1
    if c.width_ratio or c.masks_per_frame:
        notes.append("lhotse has no adaptive pS / pM: dropped")
    if c.fill != "mean":
        notes.append(f"lhotse always fills with the example's mean, not {c.fill!r}")
    return (f"lhotse.dataset.SpecAugment(time_warp_factor={W if W else None}, num_feature_masks={mF}, "
            f"features_mask_size={F}, num_frame_masks={mT}, frames_mask_size={T}, "
            f"max_frames_mask_fraction={float(c.max_time_ratio)!r}, p={apply_prob!r})")


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what lhotse writes into a mask and how melwav plays it."""
    return ("lhotse fills masks with the mean of the example's whole feature matrix (padding at ln 1e-10 "
            "included, so shorter utterances in a batch get a lower fill); melwav plays the clip's mean "
            "level: a steady hum.")
