"""NeMo: ``SpectrogramAugmentation`` (``parts/submodules/spectr_augment.py``, default vectorised path).

Draw rules, for ONE utterance: F = ``freq_width``, mF = ``freq_masks``, T = an int ``time_width``,
mT = ``time_masks``; pS > 0 stands for a float ``time_width``: width ``int(U * min(pS * n, n))``, otherwise
``int(U * T)``; starts ``int(U * (n - w))`` and ``int(U * (nu - w))``, clipped to the axis. Time masks, then
frequency masks. No warp, no p, no pM (ignored, noted).

The legacy path (``use_vectorized_spec_augment: false``, ``SpecAugment._forward_legacy``; extra ``legacy``) uses
Python's ``randint``, both ends inclusive: frequency ``start = randint(0, nu - F)``, ``width = randint(0, F)``
(NeMo raises when ``nu < F``); time ``w_max = max(1, int(n * pS))`` for a float ``time_width`` else T,
``start = randint(0, max(1, n - w_max))``, ``width = randint(0, w_max)``, cut at the clip's end.
``use_numba_spec_augment`` runs only on a CUDA device (``spec_augment_launch_heuristics``); elsewhere NeMo
falls back to the vectorised code, which is what melwav draws (with a note).

SpecCutout (``rect_masks`` > 0: QuartzNet / Citrinet configs; extra ``rect_masks``, ``rect_time_frames``,
``rect_freq_bands``) runs FIRST (``SpectrogramAugmentation.forward``: ``self.spec_cutout`` then
``self.spec_augment``): per rectangle ``rect_x = randint(0, nu - rect_freq)``, ``rect_y = randint(0, Lpad -
rect_time)``, ``w_x = randint(0, rect_freq)``, ``w_y = randint(0, rect_time)``, all inclusive, on the padded
length, filled with a literal 0.0 (each band's mean after per-feature normalisation): an operation
``"cutout"`` of its own.

Text read: the ``spec_augment`` section (YAML), alone or inside a whole model config (``model.spec_augment``;
``model.preprocessor`` supplies ``window_stride`` and ``features``).
"""

from __future__ import annotations

import numpy as np
import yaml

from ..errors import ParameterError, RecordError
from ..records import MAX_MASKS, MaskBatch, SpecAugmentConfig, clipped, per_draw_notes
from ._common import (
    Fields,
    check_bool,
    check_known,
    check_number,
    check_whole,
    find_section,
    make_batch,
    short,
)

NAME = "nemo"
#: conformer_ctc_bpe.yaml: window_stride 0.01, features 80.
UNITS = (10.0, 80)
ORDER = ("warp", "time", "freq")
#: NeMo normalises per feature before masking, so its mask_value 0.0 is each band's own mean.
FILLS = ("band_mean",)
FRONTEND = None
WARPS: dict = {}

DEFAULTS = {
    "freq_masks": 0, "time_masks": 0, "freq_width": 10, "time_width": 10, "rect_masks": 0, "rect_time": 5,
    "rect_freq": 20, "mask_value": 0.0, "use_vectorized_spec_augment": True, "use_numba_spec_augment": False,
}
KEYS = set(DEFAULTS) | {"rng"}
TARGET = "nemo.collections.asr.modules.SpectrogramAugmentation"


# ----------------------------------------------------------------------------------------------- draw


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """NeMo ``SpectrogramAugmentation`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """NeMo ``SpectrogramAugmentation`` (vectorised path) for ``size`` utterances of one length (see the module
    notes). SpecCutout and the legacy path are Python loops in NeMo too: drawn one utterance at a time."""
    notes = []
    if config.warp_frames:
        notes.append(f"NeMo has no time warp: W = {config.warp_frames} ignored")
    if config.max_time_ratio < 1.0 or config.masks_per_frame:
        notes.append("NeMo has no p beside an int time_width and no pM: ignored")
    extra, draw_notes = {}, ()
    if config.option("rect_masks", 0):
        each = [[] for _ in range(size)]
        extra["cutout"] = [_cutout(int(config.option("rect_masks")), int(config.option("rect_time_frames", 5)),
                                   int(config.option("rect_freq_bands", 20)), n_frames, n_mels, rng, each[i])
                           for i in range(size)]
        draw_notes = per_draw_notes(each)
    if config.option("legacy", False):
        legacy_notes = []
        drawn = [_legacy(config, n_mels, n_frames, rng, legacy_notes if i == 0 else []) for i in range(size)]
        notes += legacy_notes  # they depend on the shape and the config only
        freq = MaskBatch.from_lists([f for f, _ in drawn], size)
        time = MaskBatch.from_lists([t for _, t in drawn], size)
    else:
        # per mask: the width's uniform, then the start's (NeMo's order), for every utterance at once
        bound = min(config.width_ratio * n_frames, n_frames) if config.width_ratio > 0 else config.time_mask_frames
        u = rng.random((size, config.n_time_masks, 2))
        w = (u[..., 0] * bound).astype(np.int64)  # int(): truncation, the values are >= 0
        time = MaskBatch.clipped((u[..., 1] * (n_frames - w)).astype(np.int64), w, n_frames)
        u = rng.random((size, config.n_freq_masks, 2))
        w = (u[..., 0] * config.freq_mask_bands).astype(np.int64)
        freq = MaskBatch.clipped((u[..., 1] * (n_mels - w)).astype(np.int64), w, n_mels)
    return make_batch(NAME, (*extra, *ORDER), FILLS, config, n_mels, n_frames, size, None, freq, time, notes,
                      draw_notes, **extra)


def _randint(rng: np.random.Generator, low: int, high: int) -> int:
    """Python's ``random.randint``: ``low..high``, both ends included."""
    return int(rng.integers(low, high + 1))


def _legacy(config: SpecAugmentConfig, n_mels: int, n_frames: int, rng, notes):
    """``SpecAugment._forward_legacy`` for one utterance: ``(freq masks, time masks)``."""
    freq, time = [], []
    F = config.freq_mask_bands
    if config.n_freq_masks and n_mels < F:
        notes.append(f"no frequency masks: freq_width {F} is above the {n_mels} bands (NeMo's randint raises)")
    elif config.n_freq_masks:
        for _ in range(config.n_freq_masks):
            start = _randint(rng, 0, n_mels - F)
            freq.append(clipped(start, _randint(rng, 0, F), n_mels))
    w_max = max(1, int(n_frames * config.width_ratio)) if config.width_ratio > 0 else config.time_mask_frames
    upper = max(1, n_frames - w_max)
    for _ in range(config.n_time_masks):
        start = _randint(rng, 0, upper)
        time.append(clipped(start, _randint(rng, 0, w_max), n_frames))
    return freq, time


def _cutout(count: int, rect_time: int, rect_freq: int, n_frames: int, n_mels: int, rng, notes) -> list:
    """``SpecCutout.forward`` for one utterance: ``[time start, frames, band start, bands]`` per rectangle."""
    if n_mels < rect_freq or n_frames < rect_time:
        notes.append(f"no SpecCutout: a {rect_time} x {rect_freq} rectangle does not fit {n_frames} x {n_mels} "
                     f"(NeMo's randint raises)")
        return []
    rects = []
    for _ in range(count):
        f0, t0 = _randint(rng, 0, n_mels - rect_freq), _randint(rng, 0, n_frames - rect_time)
        wf, wt = _randint(rng, 0, rect_freq), _randint(rng, 0, rect_time)
        rects.append([t0, wt, f0, wf])
    notes.append("SpecCutout: " + ("; ".join(f"frames {t}-{t + w - 1} x bands {f}-{f + b - 1}" for t, w, f, b in rects
                                             if w and b) or f"{count} rectangle(s), all empty this draw"))
    return rects


def apply_cutout(L: np.ndarray, drawn, *, value) -> np.ndarray:
    """SpecCutout: each ``[t0, frames, f0, bands]`` rectangle set to the mask fill (NeMo's 0.0)."""
    out = np.array(L, copy=True)
    n_mels, n = out.shape[-2], out.shape[-1]
    if not isinstance(drawn, (list, tuple)) or len(drawn) > MAX_MASKS:
        raise RecordError(f"record cutout must be a list of at most {MAX_MASKS} [t0, frames, f0, bands] rectangles")
    per_band = np.ndim(value) > 0
    for item in drawn:
        if (not isinstance(item, (list, tuple)) or len(item) != 4
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in item)):
            raise RecordError("record cutout rectangles must be [t0, frames, f0, bands] whole numbers >= 0")
        t0, wt, f0, wf = item
        if t0 + wt > n or f0 + wf > n_mels:
            raise RecordError(f"record cutout rectangle {list(item)} does not fit {n_mels} x {n}")
        out[..., f0:f0 + wf, t0:t0 + wt] = value[..., f0:f0 + wf, :] if per_band else value
    return out


OPERATIONS = {"cutout": apply_cutout}


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """1 for YAML with a ``spec_augment`` section (or a bare one), else 0 (ESPnet's sections win)."""
    if not any(key in source.text for key in (*KEYS, "spec_augment")):  # no YAML parse for text that cannot be ours
        return 0
    data = source.yaml_or_none()
    if isinstance(data, dict) and find_section(data, KEYS, ("model", "spec_augment"), ("spec_augment",)) is not None:
        return 1
    return 0


def parse(source):
    """``(params, notes, found units)`` of a NeMo ``spec_augment`` section or model config."""
    data = source.yaml
    if not isinstance(data, dict):
        raise ParameterError("NeMo settings must be a YAML mapping (spec_augment or a model config)")
    section = find_section(data, KEYS, ("model", "spec_augment"), ("spec_augment",))
    if section is None:
        section = data  # let the key check name what is wrong
    found = None
    for root in (data.get("model"), data):
        pre = root.get("preprocessor") if isinstance(root, dict) else None
        if isinstance(pre, dict):
            stride = pre.get("window_stride")
            feats = pre.get("features")
            found = (1000.0 * check_number("preprocessor.window_stride", stride, low=1e-4, high=1.0)
                     if stride is not None else None,
                     check_whole("preprocessor.features", feats, low=1) if feats is not None else None)
            break
    return normalise(section), [], found


def normalise(conf: dict) -> dict:
    """NeMo ``spec_augment`` with defaults filled in and checked as NeMo does (``time_width`` int or float)."""
    check_known("spec_augment", conf, KEYS)
    target = conf.get("_target_")
    if target is not None and not (isinstance(target, str) and target.endswith("SpectrogramAugmentation")):
        raise ParameterError(f"spec_augment._target_ {short(target)} is not NeMo's SpectrogramAugmentation")
    p = {**DEFAULTS, **{k: v for k, v in conf.items() if k not in ("_target_", "rng")}}
    out = {}
    for key in ("freq_masks", "time_masks", "rect_masks", "rect_time", "rect_freq"):
        out[key] = check_whole(f"spec_augment.{key}", p[key], low=0, high=MAX_MASKS if key == "rect_masks" else None)
    out["freq_width"] = check_whole("spec_augment.freq_width (NeMo's vectorised code takes an int)", p["freq_width"],
                                    low=0)
    tw = p["time_width"]
    if isinstance(tw, bool) or not isinstance(tw, (int, float)):
        raise ParameterError(f"spec_augment.time_width must be an int (frames) or a float in [0, 1] (a ratio), "
                             f"got {short(tw)}")
    if isinstance(tw, float):
        if not 0.0 <= tw <= 1.0:
            raise ParameterError(
                f"spec_augment.time_width {tw!r} is a float, which NeMo reads as a ratio and requires in [0, 1]; "
                f"write {int(tw)} (an int) for a width in frames" if tw == int(tw) and tw > 1 else
                f"spec_augment.time_width {tw!r} is a float, which NeMo reads as a ratio and requires in [0, 1]")
        out["time_width"] = tw
    else:
        out["time_width"] = check_whole("spec_augment.time_width", tw, low=0)
    out["mask_value"] = check_number("spec_augment.mask_value", p["mask_value"])
    out["use_vectorized_spec_augment"] = check_bool("spec_augment.use_vectorized_spec_augment",
                                                    p["use_vectorized_spec_augment"])
    out["use_numba_spec_augment"] = check_bool("spec_augment.use_numba_spec_augment", p["use_numba_spec_augment"])
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (NeMo's units) and notes on what they leave out."""
    notes = []
    extra = []
    if p["rect_masks"]:
        extra += [("rect_masks", p["rect_masks"], ""), ("rect_time_frames", p["rect_time"], "frames"),
                  ("rect_freq_bands", p["rect_freq"], "bands")]
        notes.append(f"SpecCutout: {p['rect_masks']} rectangles of up to {p['rect_time']} frames x {p['rect_freq']} "
                     f"channels (both inclusive), cut first")
    if not p["use_vectorized_spec_augment"]:
        extra.append(("legacy", True, ""))
        notes.append("use_vectorized_spec_augment: false: the legacy code's widths 0..width, both ends inclusive")
    elif p["use_numba_spec_augment"]:
        notes.append("use_numba_spec_augment runs only on a CUDA device; drawn with the vectorised code NeMo uses "
                     "elsewhere (the numba kernel draws widths 0..width inclusive)")
    if p["mask_value"] != 0.0:
        notes.append(f"mask_value {p['mask_value']:g} (in per-feature standard deviations) is shown as each "
                     f"band's mean")
    adaptive = isinstance(p["time_width"], float)
    return Fields(W=0, F=p["freq_width"], mF=p["freq_masks"], T=0 if adaptive else p["time_width"],
                  mT=p["time_masks"], p=1.0, pS=p["time_width"] if adaptive else 0.0, pM=0.0, fill="band_mean",
                  extra=tuple(extra)), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """A ``spec_augment:`` YAML section (``extra``: its SpecCutout and legacy settings, sizes in its units)."""
    x = extra or {}
    if W:
        notes.append(f"NeMo has no time warp: W = {c.warp_frames} dropped")
    conf = {"_target_": TARGET, "freq_masks": mF, "time_masks": mT, "freq_width": F}
    if c.width_ratio > 0:
        conf["time_width"] = float(c.width_ratio)
        if inclusive:
            notes.append("NeMo's ratio widths are int(U * pS * n): 0..ceil(pS * n) - 1")
    else:
        conf["time_width"] = int(T)
    if c.max_time_ratio < 1.0 and not c.width_ratio:
        notes.append(f"NeMo has no p beside an int time_width: p = {c.max_time_ratio:g} dropped")
    if c.masks_per_frame:
        notes.append(f"NeMo has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    conf["mask_value"] = 0.0
    if x.get("rect_masks"):
        conf.update({"rect_masks": int(x["rect_masks"]), "rect_time": int(x.get("rect_time_frames", 5)),
                     "rect_freq": int(x.get("rect_freq_bands", 20))})
    if x.get("legacy"):
        conf["use_vectorized_spec_augment"] = False
    if c.fill != "band_mean":
        notes.append(f"NeMo fills 0.0 on per-feature normalised features, i.e. each band's mean, not {c.fill!r}")
    return yaml.safe_dump({"spec_augment": conf}, sort_keys=False, default_flow_style=None)


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what NeMo writes into a mask and how melwav plays it."""
    if fill not in (None, "band_mean"):
        return f"NeMo fills each band with its own mean; melwav shows its own {fill!r} fill instead."
    return ("NeMo masks after per-feature normalisation, so its mask_value 0.0 is each band's own mean: "
            "a masked band keeps its average level, a masked frame becomes the clip's average spectrum.")
