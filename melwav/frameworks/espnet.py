"""ESPnet: ``SpecAug`` (``espnet2/asr/specaug/specaug.py``, ``layers/time_warp.py``, ``mask_along_axis.py``).

Draw rules, for ONE utterance: W = ``time_warp_window``: no warp when ``n <= 2W``; anchor
``c = randint(W, n - W)`` (``W..n-W-1``), new position ``randint(c - W, c + W) + 1`` (``c-W+1..c+W``);
``[0, c)`` and ``[c, n)`` are each resized to their new lengths with torch's
``F.interpolate(mode="bicubic", align_corners=False)`` (re-implemented here in numpy, along time only: the
frequency size does not change, which makes the 2-D bicubic an identity along frequency). Recorded as
``WarpDraw(c, new - c, "espnet-bicubic")``. F = the top of ``freq_mask_width_range`` (widths ``0..F-1``),
mF = ``num_freq_mask``; T = the top of ``time_mask_width_range`` or, when ``width_ratio`` pS > 0,
``time_mask_width_ratio_range = [r0, pS]``: widths ``floor(n * r0)..min(n, floor(n * pS)) - 1``, no time masks
when that range is empty (``MaskAlongAxisVariableMaxWidth.forward``). Lower bounds are drawn as written:
``torch.randint(lo, hi)`` in ``mask_along_axis`` (extra ``freq_mask_low_bands``, ``time_mask_low_frames``,
``time_mask_low_ratio``; kept only when not 0). Starts: ``randint(0, max(1, axis - widest mask of this stage))``.
p and pM cannot be expressed (ignored, noted). Warp, frequency masks, time masks.

Text read: the ``specaug_conf`` mapping (YAML), alone or inside a whole training YAML (``specaug: specaug``
+ ``specaug_conf:``; ``frontend_conf`` supplies the hop and mel count).

FunASR (Paraformer, SenseVoice: ``specaug: SpecAug`` or ``SpecAugLFR``) copies these rules
(``funasr/models/specaug/specaug.py``, ``mask_along_axis.py``: the same ``mask_along_axis`` and
``MaskAlongAxisVariableMaxWidth``), so it is read here, with its differences: its ``SpecAug`` takes no
``replace_with_zero`` (always 0); ``SpecAugLFR``'s frequency masks (``MaskAlongAxisLFR``, ``lfr_rate + 1``
stacked copies) cover the same mel bands in every frame stacked by low-frame-rate stacking, i.e. an ordinary
mask on its ``n_mels`` bands, and its time masks (``lfr_rate`` forced to 1) count LFR frames, of ``frame_shift
* lfr_n`` ms (60 ms in Paraformer); its ``WavFrontend`` applies the model's CMVN (``am.mvn``) before SpecAug, so
0 is each band's mean (``band_mean``). The units come from ``frontend_conf`` (``frame_shift``, ``lfr_n``,
``n_mels``).
"""

from __future__ import annotations

import math
import re

import numpy as np
import yaml

from ..errors import ParameterError
from ..records import MaskBatch, SpecAugmentConfig, WarpBatch, WarpDraw
from ._common import (
    Fields,
    Frontend,
    check_bool,
    check_known,
    check_number,
    check_whole,
    find_section,
    make_batch,
    short,
)
from ._resample import two_piece_warp

NAME = "espnet"
#: DefaultFrontend: fs 16000, hop 128 (8 ms), 80 mels; LibriSpeech recipes use hop 160 (10 ms).
UNITS = (8.0, 80)
ORDER = ("warp", "freq", "time")
FILLS = ("stage_mean", "absolute", "band_mean")  # band_mean: FunASR's 0 after its CMVN
#: DefaultFrontend at 16 kHz: n_fft 512, hop 128, 80 librosa (slaney) mel filters up to 8 kHz, power |X|^2 of
#: audio in [-1, 1] without normalisation, then the natural log: its 0 (replace_with_zero) is mel power 1.
#: LibriSpeech recipes use hop 160, which does not change the power scale. melwav places that 0 on its own
#: analysis with :func:`melwav.frameworks._common.frontend_gain_db` (same power per Hz; exact for noise).
FRONTEND = Frontend(sr=16000, n_fft=512, n_mels=80, fmin=0.0, fmax=8000.0, htk=False, norm="slaney")

DEFAULTS = {
    "apply_time_warp": True, "time_warp_window": 5, "time_warp_mode": "bicubic",
    "apply_freq_mask": True, "freq_mask_width_range": [0, 20], "num_freq_mask": 2,
    "apply_time_mask": True, "time_mask_width_range": None, "time_mask_width_ratio_range": None,
    "num_time_mask": 2, "replace_with_zero": True,
}
KEYS = set(DEFAULTS)
#: FunASR's SpecAug classes (``specaug:`` values) and what each adds to or takes from ESPnet's keys.
FUNASR = ("SpecAug", "SpecAugLFR")
_MODES = ("bicubic", "bilinear", "nearest")


# ----------------------------------------------------------------------------------------------- draw


def warp_skipped(n_frames: int, W: int) -> bool:
    """True when ESPnet's ``time_warp`` returns its input unchanged (``n - W <= W``)."""
    return n_frames - W <= W


def _masks(axis_len: int, lo: int, hi: int, count: int, rng: np.random.Generator, size: int) -> MaskBatch:
    widths = rng.integers(lo, hi, size=(size, count))  # torch.randint(lo, hi): lo..hi-1
    # one start bound per utterance, from its widest mask (mask_along_axis)
    bound = np.maximum(1, axis_len - widths.max(axis=1, initial=0))
    starts = rng.integers(0, bound[:, None], size=(size, count))
    return MaskBatch.clipped(starts, widths, axis_len)


def time_width_range(config: SpecAugmentConfig, n_frames: int) -> tuple[int, int]:
    """``(lo, hi)`` of ESPnet's time-mask widths (``lo..hi-1``) for a clip of ``n_frames`` frames.

    ``MaskAlongAxisVariableMaxWidth.forward``: ``floor(n * r0)`` to ``min(n, floor(n * r1))``; an absolute
    range keeps its low bound (converted to this analysis, kept below the top).
    """
    if config.width_ratio > 0:
        low_ratio = float(config.option("time_mask_low_ratio", 0.0) or 0.0)
        return max(0, math.floor(n_frames * low_ratio)), min(n_frames, math.floor(n_frames * config.width_ratio))
    return low_bound(config.option("time_mask_low_frames", 0), config.time_mask_frames), config.time_mask_frames


def low_bound(low, high: int) -> int:
    """A range's converted low bound, kept below its top (rounding to coarser frames could meet it)."""
    return min(int(low or 0), max(high - 1, 0))


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """ESPnet ``SpecAug`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """ESPnet ``SpecAug`` for ``size`` utterances of one length (see the module notes)."""
    notes = []
    warp = None
    W = config.warp_frames
    if W > 0:
        if warp_skipped(n_frames, W):
            notes.append(f"no time warp: ESPnet skips it when the clip ({n_frames} frames) is <= 2W = {2 * W}")
        else:
            center = rng.integers(W, n_frames - W, size=size)
            new = rng.integers(center - W, center + W) + 1
            warp = WarpBatch(center, new - center, np.ones(size, dtype=bool), "espnet-bicubic")
    if config.max_time_ratio < 1.0 or config.masks_per_frame:
        notes.append("ESPnet has no p beside an absolute T and no pM: ignored")
    freq = None
    if config.n_freq_masks and config.freq_mask_bands > 0:
        F = config.freq_mask_bands
        freq = _masks(n_mels, low_bound(config.option("freq_mask_low_bands", 0), F), F, config.n_freq_masks, rng,
                      size)
    time = None
    if config.n_time_masks:
        lo, hi = time_width_range(config, n_frames)
        if hi > lo:
            time = _masks(n_frames, lo, hi, config.n_time_masks, rng, size)
        else:
            notes.append(f"no time masks: the width range is empty for {n_frames} frames")
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, warp, freq, time, notes)


def apply_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """ESPnet's warp: ``[0, c)`` resized to ``c + d`` frames and ``[c, n)`` to ``n - c - d`` (bicubic,
    ``align_corners=False``, as ``F.interpolate`` in ``espnet2/layers/time_warp.py``)."""
    return two_piece_warp(L, warp, align_corners=False)


WARPS = {"espnet-bicubic": apply_warp}
OPERATIONS: dict = {}


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """2 for YAML with a ``specaug_conf`` section (or a bare one), else 0."""
    if not any(key in source.text for key in (*KEYS, "specaug")):  # no YAML parse for text that cannot be ours
        return 0
    data = source.yaml_or_none()
    if isinstance(data, dict) and find_section(data, KEYS, ("specaug_conf",)) is not None:
        return 2
    return 0


def parse(source):
    """``(params, notes, found units)`` of an ESPnet ``specaug_conf`` or training YAML."""
    data = source.yaml
    if not isinstance(data, dict):
        raise ParameterError("ESPnet settings must be a YAML mapping (specaug_conf or a training config)")
    notes = []
    found = None
    enabled = True
    if data.get("specaug") in FUNASR:
        return _funasr(data)
    if "specaug_conf" in data or "specaug" in data:
        if data.get("specaug", "specaug") not in ("specaug", None):
            raise ParameterError(f"specaug: {short(data['specaug'])} is not ESPnet's SpecAug (specaug: specaug) nor "
                                 f"FunASR's ({', '.join(FUNASR)})")
        conf = data.get("specaug_conf") or {}
        if not isinstance(conf, dict):
            raise ParameterError("specaug_conf must be a mapping")
        found = _units(data)
        # ESPnet builds SpecAug only for `specaug: specaug`; its default is null. A specaug_conf pasted alone
        # is the section itself; in a whole training config without `specaug` it is a leftover.
        enabled = data.get("specaug") == "specaug" or ("specaug" not in data and set(data) == {"specaug_conf"})
    else:
        conf = data
    if not enabled:
        what = "specaug: null" if "specaug" in data else "no `specaug: specaug`"
        notes.append(f"{what} in this training config: ESPnet trains without SpecAugment, so nothing is drawn "
                     f"(its specaug_conf is ignored)")
        return {**DEFAULTS, "specaug": None}, notes, found
    return normalise(conf), notes, found


def _funasr(data: dict):
    """``(params, notes, found units)`` of a FunASR config (``specaug: SpecAug`` / ``SpecAugLFR``)."""
    cls = data["specaug"]
    conf = dict(data.get("specaug_conf") or {})
    if not isinstance(data.get("specaug_conf") or {}, dict):
        raise ParameterError("specaug_conf must be a mapping")
    if "replace_with_zero" in conf:
        raise ParameterError(f"specaug_conf.replace_with_zero: FunASR's {cls} takes no such argument (it always "
                             f"fills 0)")
    lfr_rate = conf.pop("lfr_rate", 0) if cls == "SpecAugLFR" else None
    if lfr_rate is not None:
        lfr_rate = check_whole("specaug_conf.lfr_rate", lfr_rate, low=0, high=100)
    params = {**normalise(conf), "funasr": cls, "lfr_rate": lfr_rate}
    fc = data.get("frontend_conf") if isinstance(data.get("frontend_conf"), dict) else {}
    shift = check_number("frontend_conf.frame_shift", fc.get("frame_shift", 10), low=0.1, high=1000)
    lfr_n = check_whole("frontend_conf.lfr_n", fc.get("lfr_n", 1), low=1, high=100)
    mels = fc.get("n_mels")
    found = (shift * lfr_n, check_whole("frontend_conf.n_mels", mels, low=1) if mels is not None else None)
    notes = [f"FunASR {cls}: ESPnet's mask rules; time masks in frames of {shift * lfr_n:g} ms "
             f"(frame_shift {shift:g} x lfr_n {lfr_n})"
             + ("; frequency masks on the mel bands of every stacked frame alike" if cls == "SpecAugLFR" else "")
             + "; filled with 0 after its CMVN: each band's mean"]
    return params, notes, found


def _units(data: dict):
    fc = data.get("frontend_conf")
    if not isinstance(fc, dict):
        return None
    fs = fc.get("fs", 16000)
    if isinstance(fs, str) and re.fullmatch(r"\d+(\.\d+)?k", fs.strip()):
        fs = float(fs.strip()[:-1]) * 1000
    fs = check_number("frontend_conf.fs", fs, low=1000)
    hop = fc.get("hop_length")
    hop_ms = 1000.0 * check_whole("frontend_conf.hop_length", hop, low=1) / fs if hop is not None else None
    mels = fc.get("n_mels")
    return hop_ms, (check_whole("frontend_conf.n_mels", mels, low=1) if mels is not None else None)


def _range(key: str, value, *, ratio: bool):
    if value is None:
        return None
    kind = check_number if ratio else check_whole
    if (ratio and isinstance(value, float)) or (not ratio and isinstance(value, int) and not isinstance(value, bool)):
        value = [0.0 if ratio else 0, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ParameterError(f"specaug_conf.{key} must be [low, high] or a single {'float' if ratio else 'int'}, "
                             f"got {short(value)}")
    lo = kind(f"specaug_conf.{key}[0]", value[0], low=0, high=1 if ratio else None)
    hi = kind(f"specaug_conf.{key}[1]", value[1], low=0, high=1 if ratio else None)
    if not hi > lo:
        raise ParameterError(f"specaug_conf.{key} must have high > low (ESPnet asserts it), got {[lo, hi]}")
    return [lo, hi]


def normalise(conf: dict) -> dict:
    """ESPnet ``specaug_conf`` with defaults filled in and each value checked (ranges as ``[lo, hi]``)."""
    check_known("specaug_conf", conf, KEYS)
    p = {**DEFAULTS, **conf}
    out = {}
    for key in ("apply_time_warp", "apply_freq_mask", "apply_time_mask", "replace_with_zero"):
        out[key] = check_bool(f"specaug_conf.{key}", p[key])
    out["time_warp_window"] = check_whole("specaug_conf.time_warp_window", p["time_warp_window"], low=0)
    if p["time_warp_mode"] not in _MODES:
        raise ParameterError(f"specaug_conf.time_warp_mode must be one of {', '.join(_MODES)}, "
                             f"got {short(p['time_warp_mode'])}")
    out["time_warp_mode"] = p["time_warp_mode"]
    out["freq_mask_width_range"] = _range("freq_mask_width_range", p["freq_mask_width_range"], ratio=False)
    out["num_freq_mask"] = check_whole("specaug_conf.num_freq_mask", p["num_freq_mask"], low=0)
    out["time_mask_width_range"] = _range("time_mask_width_range", p["time_mask_width_range"], ratio=False)
    out["time_mask_width_ratio_range"] = _range(
        "time_mask_width_ratio_range", p["time_mask_width_ratio_range"], ratio=True)
    out["num_time_mask"] = check_whole("specaug_conf.num_time_mask", p["num_time_mask"], low=0)
    if not (out["apply_time_warp"] or out["apply_freq_mask"] or out["apply_time_mask"]):
        raise ParameterError("specaug_conf applies nothing: ESPnet needs one of apply_time_warp, apply_freq_mask, "
                             "apply_time_mask")
    if out["apply_time_mask"]:
        both = out["time_mask_width_range"] is not None and out["time_mask_width_ratio_range"] is not None
        neither = out["time_mask_width_range"] is None and out["time_mask_width_ratio_range"] is None
        if both or neither:
            raise ParameterError("specaug_conf needs exactly one of time_mask_width_range and "
                                 "time_mask_width_ratio_range when apply_time_mask is true")
    if out["apply_time_warp"] and out["time_warp_window"] == 0:
        raise ParameterError("specaug_conf.time_warp_window must be >= 1 when apply_time_warp is true "
                             "(ESPnet's randint fails on 0)")
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (ESPnet's units) and notes on what they leave out."""
    if "specaug" in p and p["specaug"] is None:  # a training config without SpecAug
        return Fields(fill="stage_mean"), []
    notes = []
    W = p["time_warp_window"] if p["apply_time_warp"] else 0
    if W and p["time_warp_mode"] != "bicubic":
        notes.append(f"time_warp_mode {p['time_warp_mode']!r}: melwav replays ESPnet's warp with bicubic")
    F = mF = T = mT = 0
    pS = 0.0
    extra = []  # nonzero low bounds only, so that recipes without them carry no extra settings
    if p["apply_freq_mask"]:
        lo, F = p["freq_mask_width_range"]
        mF = p["num_freq_mask"]
        if lo:
            extra.append(("freq_mask_low_bands", lo, "bands"))
    if p["apply_time_mask"]:
        mT = p["num_time_mask"]
        if p["time_mask_width_range"] is not None:
            lo, T = p["time_mask_width_range"]
            if lo:
                extra.append(("time_mask_low_frames", lo, "frames"))
        else:
            lo, pS = p["time_mask_width_ratio_range"]
            if lo:
                extra.append(("time_mask_low_ratio", float(lo), ""))
    fill = "absolute" if p["replace_with_zero"] else "stage_mean"
    if p.get("funasr"):  # FunASR: always 0, after its WavFrontend's CMVN
        fill = "band_mean"
        extra.append(("funasr_lfr", p["funasr"] == "SpecAugLFR", ""))
        if p.get("lfr_rate"):
            extra.append(("lfr_rate", p["lfr_rate"], ""))
    return Fields(W=W, F=F, mF=mF, T=T, mT=mT, p=1.0, pS=float(pS), pM=0.0, fill=fill, extra=tuple(extra)), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """``specaug: specaug`` + ``specaug_conf:`` YAML (``extra``: its low bounds, in its units)."""
    x = extra or {}
    conf = {}
    conf["apply_time_warp"] = bool(W)
    if W:
        conf["time_warp_window"] = W
        conf["time_warp_mode"] = "bicubic"
        if c.convention != NAME:
            notes.append("ESPnet's warp differs: anchor in W..n-W-1, displacement -W+1..W, bicubic resize of the "
                         "two sides, none when n <= 2W")
    conf["apply_freq_mask"] = bool(F and mF)
    if F and mF:
        conf["freq_mask_width_range"] = [low_bound(x.get("freq_mask_low_bands", 0), F), F]
        conf["num_freq_mask"] = mF
    has_time = bool(mT and (T or c.width_ratio))
    conf["apply_time_mask"] = has_time
    if has_time:
        if c.width_ratio > 0:
            conf["time_mask_width_ratio_range"] = [float(x.get("time_mask_low_ratio", 0.0) or 0.0),
                                                   float(c.width_ratio)]
            if inclusive:
                notes.append("ESPnet's ratio widths are 0..floor(n * pS) - 1, one less than melwav's 0..floor(n * pS)")
        else:
            conf["time_mask_width_range"] = [low_bound(x.get("time_mask_low_frames", 0), T), T]
        conf["num_time_mask"] = mT
    if not (conf["apply_time_warp"] or conf["apply_freq_mask"] or conf["apply_time_mask"]):
        notes.append("nothing to apply: written as specaug: null (ESPnet refuses a SpecAug that applies nothing)")
        return yaml.safe_dump({"specaug": None}, sort_keys=False)
    if c.max_time_ratio < 1.0 and not c.width_ratio:
        notes.append(f"ESPnet has no p beside an absolute T: p = {c.max_time_ratio:g} dropped")
    if c.masks_per_frame:
        notes.append(f"ESPnet has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    if "funasr_lfr" in x:  # a FunASR recipe written back in its own form
        conf.pop("replace_with_zero", None)
        if x["funasr_lfr"]:
            conf["lfr_rate"] = int(x.get("lfr_rate", 0))
        return yaml.safe_dump({"specaug": "SpecAugLFR" if x["funasr_lfr"] else "SpecAug", "specaug_conf": conf},
                              sort_keys=False, default_flow_style=None)
    conf["replace_with_zero"] = c.fill not in ("mean", "stage_mean", "band_mean")
    if c.fill not in ("stage_mean", "absolute"):
        notes.append(f"ESPnet cannot fill with {c.fill!r}: "
                     + ("replace_with_zero: false (the mean, recomputed per stage)" if not conf["replace_with_zero"]
                        else "replace_with_zero: true (0 in its log-mel)"))
    elif c.fill == "absolute" and c.fill_db != 0:
        notes.append(f"ESPnet writes its 0, not {c.fill_db:+g} dB from it: replace_with_zero: true")
    return yaml.safe_dump({"specaug": "specaug", "specaug_conf": conf}, sort_keys=False, default_flow_style=None)


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what ESPnet writes into a mask and how melwav plays it."""
    if fill == "band_mean":
        return ("FunASR (ESPnet's rules) writes 0 after its CMVN, i.e. each band's own mean: a masked frame "
                "becomes the clip's average spectrum.")
    if fill == "stage_mean":
        return ("ESPnet (replace_with_zero: false) fills with the mean of the features, recomputed before "
                "the frequency masks and again before the time masks: an average-level hum.")
    if fill in (None, "absolute"):
        shift = f" ({fill_db:+g} dB from it)" if fill == "absolute" and fill_db else ""
        return ("ESPnet (replace_with_zero: true) writes 0 into its un-normalised natural-log mel: mel power 1 "
                "on its absolute scale (audio in [-1, 1], 16 kHz, n_fft 512, 80 mel bands). melwav places that "
                f"level{shift} on this clip through the clip's own absolute power: on speech about 15 dB below "
                "the loudest cell, a loud steady fill, not silence.")
    return f"ESPnet cannot fill with {fill!r}; melwav shows its own {fill!r} fill."
