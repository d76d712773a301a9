"""SpecAugment on a log-mel spectrogram: time warp, frequency masks, time masks.

Follows Park et al., "SpecAugment" (Interspeech 2019, arXiv:1904.08779, "P2019") and the adaptive time
masks of Park et al., "SpecAugment on Large Scale Datasets" (ICASSP 2020, arXiv:1912.05533, "P2020").

Drawing random parameters is kept apart from applying them: :func:`draw` turns a
:class:`SpecAugmentConfig` and an explicit ``np.random.Generator`` into an :class:`AugmentRecord` (plain
numbers: warp centre and distance, each mask's start and width), and :func:`apply` applies a record to a
spectrogram, deterministically. So one draw can be replayed, plotted and exported as JSON.

Choices where the paper leaves a detail open (all integers, in frames and bands):

- time warp: centre ``c`` uniform in ``{W+1, ..., tau-W-2}``, distance ``w`` uniform in ``{-W, ..., W}``.
  The map is piecewise linear, fixes frames ``0`` and ``tau-1`` and sends ``c`` to ``c + w``; output frame
  ``t`` reads the input at the inverse map, linearly interpolated between frames. The centre range is one
  frame narrower on the right than the paper's ``(W, tau - W)`` so that ``c + w`` never reaches the fixed
  last frame. A clip too short for ``W`` (``tau < 2W + 3``) gets the largest ``W`` that fits, and the record
  says so in its notes; below 5 frames there is no warp.
- masks: width ``f`` uniform in ``{0, ..., F}`` (both ends, as the paper's "from 0 to F"), start uniform in
  ``{0, ..., nu - f - 1}`` (the paper's ``[0, nu - f)``); a mask as wide as the axis starts at 0.
  Widths larger than the axis are cut to the axis, with a note.
- time masks are at most ``floor(p * tau)`` frames wide. Adaptive (P2020): with ``width_ratio`` pS > 0 the
  width bound is ``floor(pS * tau)`` instead of ``T``; with ``masks_per_frame`` pM > 0 the count is
  ``min(mT, floor(pM * tau))``, so ``mT`` acts as the cap (as in the authors' lingvo code).
- fill: ``"mean"`` is the mean of the log-mel entering augmentation (the paper masks normalised features
  to zero, i.e. to the mean), ``"floor"`` its minimum (silence), ``"value"`` a dB value (re. the clip's
  peak, as the log-mel itself). ``"stage_mean"`` recomputes the mean before each mask stage (ESPnet's rule).
- order: warp, then frequency masks, then time masks (P2019, Fig. 1); other conventions may record
  another order.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from .errors import ParameterError, RecordError, check_float, check_int, check_keys
from .features import MelSettings

FILL_MODES = ("mean", "floor", "value", "stage_mean")
OPERATIONS = ("warp", "freq", "time")
WARP_INTERPOLATIONS = ("linear", "espnet-bicubic", "lingvo-linear")
# The framework warps (melwav.conventions) fix the end point ``n`` rather than ``n - 1``, so their
# destination may reach ``n - 1``; melwav's own ("linear") stays within ``1..n-2``.
_WARP_DEST_MARGIN = {"linear": 2, "espnet-bicubic": 1, "lingvo-linear": 1}

# Bounds a person can reach with the CLI or the sliders; beyond them the request is refused, not clamped.
MAX_MASKS = 100
MAX_FRAMES = 100_000


@dataclasses.dataclass(frozen=True)
class SpecAugmentConfig:
    """SpecAugment parameters in the units of the current analysis (frames and mel bands).

    Parameters
    ----------
    warp_frames : int
        W, the largest time-warp distance (frames). 0 turns the warp off.
    freq_mask_bands : int
        F, the largest frequency-mask width (mel bands).
    n_freq_masks : int
        mF, how many frequency masks.
    time_mask_frames : int
        T, the largest time-mask width (frames).
    n_time_masks : int
        mT, how many time masks (the cap when ``masks_per_frame`` > 0).
    max_time_ratio : float
        p, the upper bound of a time mask's width as a fraction of the clip's frames.
    width_ratio : float
        pS (P2020 adaptive size); > 0 replaces T by ``floor(pS * tau)``.
    masks_per_frame : float
        pM (P2020 adaptive multiplicity); > 0 makes the count ``min(mT, floor(pM * tau))``.
    fill : str
        One of ``FILL_MODES``.
    fill_db : float
        The fill in dB re. the clip's peak when ``fill == "value"``.
    convention : str
        Whose drawing rules to follow: ``"melwav"`` (the papers', this module) or a training framework's
        (see :mod:`melwav.conventions`).
    """

    warp_frames: int = 0
    freq_mask_bands: int = 0
    n_freq_masks: int = 0
    time_mask_frames: int = 0
    n_time_masks: int = 0
    max_time_ratio: float = 1.0
    width_ratio: float = 0.0
    masks_per_frame: float = 0.0
    fill: str = "mean"
    fill_db: float = -80.0
    convention: str = "melwav"

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("warp_frames", check_int("warp_frames (W)", self.warp_frames, low=0, high=MAX_FRAMES))
        set_("freq_mask_bands", check_int("freq_mask_bands (F)", self.freq_mask_bands, low=0, high=MAX_FRAMES))
        set_("n_freq_masks", check_int("n_freq_masks (mF)", self.n_freq_masks, low=0, high=MAX_MASKS))
        set_("time_mask_frames", check_int("time_mask_frames (T)", self.time_mask_frames, low=0, high=MAX_FRAMES))
        set_("n_time_masks", check_int("n_time_masks (mT)", self.n_time_masks, low=0, high=MAX_MASKS))
        set_("max_time_ratio", check_float("max_time_ratio (p)", self.max_time_ratio, low=0.0, high=1.0))
        set_("width_ratio", check_float("width_ratio (pS)", self.width_ratio, low=0.0, high=1.0))
        set_("masks_per_frame", check_float("masks_per_frame (pM)", self.masks_per_frame, low=0.0, high=1.0))
        if self.fill not in FILL_MODES:
            raise ParameterError(f"fill must be one of {', '.join(FILL_MODES)}, got {self.fill!r}")
        set_("fill_db", check_float("fill_db", self.fill_db, low=-200.0, high=50.0))
        if self.convention not in _DRAWERS:
            raise ParameterError(
                f"convention must be one of {', '.join(sorted(_DRAWERS))}, got {self.convention!r}"
            )

    @property
    def is_identity(self) -> bool:
        """True when no operation can change the spectrogram."""
        return (
            self.warp_frames == 0
            and (self.n_freq_masks == 0 or self.freq_mask_bands == 0)
            and (self.n_time_masks == 0 or (self.time_mask_frames == 0 and self.width_ratio == 0))
        )

    def replace(self, **changes) -> SpecAugmentConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SpecAugmentConfig:
        check_keys(data, {f.name for f in dataclasses.fields(cls)}, what="the augmentation settings")
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class WarpDraw:
    """One time warp: frame ``center`` moves to ``center + distance``; ``interpolation`` names the resampler."""

    center: int
    distance: int
    interpolation: str = "linear"

    @property
    def destination(self) -> int:
        return self.center + self.distance


@dataclasses.dataclass(frozen=True)
class MaskDraw:
    """One mask: ``width`` cells from ``start`` (bands for a frequency mask, frames for a time mask)."""

    start: int
    width: int

    @property
    def stop(self) -> int:
        return self.start + self.width


@dataclasses.dataclass(frozen=True)
class AugmentRecord:
    """Everything that was drawn, as plain numbers: enough to replay, plot and export the augmentation.

    ``n_mels`` and ``n_frames`` are the shape the draw was made for; :func:`apply` refuses another shape.
    """

    n_mels: int
    n_frames: int
    warp: WarpDraw | None = None
    freq_masks: tuple[MaskDraw, ...] = ()
    time_masks: tuple[MaskDraw, ...] = ()
    fill: str = "mean"
    fill_db: float = -80.0
    convention: str = "melwav"
    order: tuple[str, ...] = OPERATIONS
    notes: tuple[str, ...] = ()

    def only(self, operation: str) -> AugmentRecord:
        """The same draw with every operation but ``operation`` ("warp", "freq" or "time") removed."""
        if operation not in OPERATIONS:
            raise ParameterError(f"operation must be one of {', '.join(OPERATIONS)}, got {operation!r}")
        return dataclasses.replace(
            self,
            warp=self.warp if operation == "warp" else None,
            freq_masks=self.freq_masks if operation == "freq" else (),
            time_masks=self.time_masks if operation == "time" else (),
        )

    def to_dict(self) -> dict:
        return {
            "n_mels": self.n_mels,
            "n_frames": self.n_frames,
            "warp": dataclasses.asdict(self.warp) if self.warp else None,
            "freq_masks": [[m.start, m.width] for m in self.freq_masks],
            "time_masks": [[m.start, m.width] for m in self.time_masks],
            "fill": self.fill,
            "fill_db": self.fill_db,
            "convention": self.convention,
            "order": list(self.order),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data) -> AugmentRecord:
        """Rebuild a record from :meth:`to_dict`'s output, checking every field (raises :class:`RecordError`)."""
        check_keys(data, {f.name for f in dataclasses.fields(cls)}, what="the record", error=RecordError)
        for key in ("n_mels", "n_frames"):
            if key not in data:
                raise RecordError(f"the record has no {key!r}")
        try:
            n_mels = check_int("record n_mels", data["n_mels"], low=1, high=MAX_FRAMES)
            n_frames = check_int("record n_frames", data["n_frames"], low=1, high=10 * MAX_FRAMES)
            warp = None
            if data.get("warp") is not None:
                w = data["warp"]
                if not isinstance(w, dict) or not {"center", "distance"} <= set(w) or set(w) - {
                    "center", "distance", "interpolation"}:
                    raise RecordError("record warp must be {'center': int, 'distance': int[, 'interpolation']}")
                warp = WarpDraw(
                    check_int("record warp center", w["center"], low=1, high=n_frames - 2),
                    check_int("record warp distance", w["distance"], low=-n_frames, high=n_frames),
                    str(w.get("interpolation", "linear")),
                )
                if warp.interpolation not in WARP_INTERPOLATIONS:
                    raise RecordError(
                        f"record warp interpolation must be one of {', '.join(WARP_INTERPOLATIONS)}, "
                        f"got {warp.interpolation!r}"
                    )
                dest_max = n_frames - _WARP_DEST_MARGIN[warp.interpolation]
                if not 1 <= warp.destination <= dest_max:
                    raise RecordError(
                        f"record warp moves frame {warp.center} to {warp.destination}, outside 1..{dest_max}"
                    )
            freq = _masks_from(data.get("freq_masks", []), "freq_masks", n_mels)
            time = _masks_from(data.get("time_masks", []), "time_masks", n_frames)
            fill = data.get("fill", "mean")
            if fill not in FILL_MODES:
                raise RecordError(f"record fill must be one of {', '.join(FILL_MODES)}, got {fill!r}")
            fill_db = check_float("record fill_db", data.get("fill_db", -80.0), low=-200.0, high=50.0)
            convention = data.get("convention", "melwav")
            if not isinstance(convention, str):
                raise RecordError("record convention must be a string")
            order = data.get("order", list(OPERATIONS))
            if (not isinstance(order, (list, tuple)) or not all(isinstance(o, str) for o in order)
                    or sorted(order) != sorted(OPERATIONS)):
                raise RecordError(f"record order must list each of {', '.join(OPERATIONS)} once, got {order!r}")
            notes = data.get("notes", [])
            if not isinstance(notes, (list, tuple)) or not all(isinstance(n, str) for n in notes):
                raise RecordError("record notes must be a list of strings")
        except ParameterError as exc:
            raise RecordError(str(exc)) from None
        return cls(n_mels, n_frames, warp, freq, time, fill, fill_db, convention, tuple(order), tuple(notes))


def _masks_from(items, name: str, axis_len: int) -> tuple[MaskDraw, ...]:
    if not isinstance(items, (list, tuple)) or len(items) > MAX_MASKS:
        raise RecordError(f"record {name} must be a list of at most {MAX_MASKS} [start, width] pairs")
    masks = []
    for i, item in enumerate(items):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise RecordError(f"record {name}[{i}] must be a [start, width] pair, got {item!r}")
        start = check_int(f"record {name}[{i}] start", item[0], low=0, high=axis_len)
        width = check_int(f"record {name}[{i}] width", item[1], low=0, high=axis_len)
        if start + width > axis_len:
            raise RecordError(f"record {name}[{i}] covers {start}..{start + width}, past the axis length {axis_len}")
        masks.append(MaskDraw(start, width))
    return tuple(masks)


# ---------------------------------------------------------------------------------------------- drawing


def max_warp_frames(n_frames: int, W: int) -> int:
    """The largest warp distance that fits ``n_frames`` (see the module notes), at most ``W``."""
    return max(0, min(int(W), (int(n_frames) - 3) // 2))


def draw_time_warp(n_frames: int, *, W: int, rng: np.random.Generator) -> WarpDraw | None:
    """Draw a time warp for ``n_frames`` frames: ``None`` when W is 0 or the clip has under 5 frames."""
    W = max_warp_frames(n_frames, W)
    if W < 1:
        return None
    center = int(rng.integers(W + 1, n_frames - W - 1))  # {W+1 .. tau-W-2}
    distance = int(rng.integers(-W, W + 1))
    return WarpDraw(center, distance)


def draw_masks(axis_len: int, *, max_width: int, n_masks: int, rng: np.random.Generator) -> tuple[MaskDraw, ...]:
    """Draw ``n_masks`` masks on an axis of ``axis_len`` cells with widths uniform in ``{0..max_width}``."""
    max_width = max(0, min(int(max_width), int(axis_len)))
    masks = []
    for _ in range(int(n_masks)):
        width = int(rng.integers(0, max_width + 1))
        start = int(rng.integers(0, axis_len - width)) if width < axis_len else 0
        masks.append(MaskDraw(start, width))
    return tuple(masks)


def time_mask_bounds(n_frames: int, config: SpecAugmentConfig) -> tuple[int, int]:
    """``(max_width, count)`` of the time masks for a clip of ``n_frames`` frames under ``config``."""
    T = config.time_mask_frames
    if config.width_ratio > 0:
        T = int(math.floor(config.width_ratio * n_frames))
    max_width = min(T, int(math.floor(config.max_time_ratio * n_frames)), n_frames)
    count = config.n_time_masks
    if config.masks_per_frame > 0:
        count = min(count, int(math.floor(config.masks_per_frame * n_frames)))
    return max_width, count


def _draw_melwav(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator) -> AugmentRecord:
    notes = []
    warp = draw_time_warp(n_frames, W=config.warp_frames, rng=rng)
    W_fit = max_warp_frames(n_frames, config.warp_frames)
    if 0 < config.warp_frames and W_fit < config.warp_frames:
        notes.append(
            f"W cut from {config.warp_frames} to {W_fit} frames to fit a {n_frames}-frame clip"
            if W_fit else f"no time warp: {n_frames} frames are too few"
        )
    if config.freq_mask_bands > n_mels and config.n_freq_masks:
        notes.append(f"F cut from {config.freq_mask_bands} to the {n_mels} mel bands")
    freq = draw_masks(n_mels, max_width=config.freq_mask_bands, n_masks=config.n_freq_masks, rng=rng)
    max_width, count = time_mask_bounds(n_frames, config)
    if config.n_time_masks and max_width < config.time_mask_frames and config.width_ratio == 0:
        notes.append(f"T cut from {config.time_mask_frames} to {max_width} frames (p = {config.max_time_ratio:g})")
    time = draw_masks(n_frames, max_width=max_width, n_masks=count, rng=rng)
    return AugmentRecord(
        n_mels=n_mels, n_frames=n_frames, warp=warp, freq_masks=freq, time_masks=time,
        fill=config.fill, fill_db=config.fill_db, convention="melwav", order=OPERATIONS, notes=tuple(notes),
    )


#: convention name -> drawing function (config, n_mels=, n_frames=, rng=) -> AugmentRecord.
_DRAWERS: dict[str, Callable[..., AugmentRecord]] = {"melwav": _draw_melwav}


def register_convention(name: str, drawer: Callable[..., AugmentRecord]) -> None:
    """Make ``SpecAugmentConfig(convention=name)`` draw with ``drawer`` (used by :mod:`melwav.conventions`)."""
    _DRAWERS[name] = drawer


def conventions() -> tuple[str, ...]:
    """Names of the drawing conventions available."""
    return tuple(_DRAWERS)


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator) -> AugmentRecord:
    """Draw one augmentation for a spectrogram of shape ``(n_mels, n_frames)``.

    Parameters
    ----------
    config : SpecAugmentConfig
    n_mels, n_frames : int
        Shape of the log-mel the draw is for.
    rng : np.random.Generator
        The only source of randomness.

    Returns
    -------
    AugmentRecord
    """
    if not isinstance(rng, np.random.Generator):
        raise ParameterError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    n_mels = check_int("n_mels", n_mels, low=1, high=MAX_FRAMES)
    n_frames = check_int("n_frames", n_frames, low=1, high=10 * MAX_FRAMES)
    return _DRAWERS[config.convention](config, n_mels=n_mels, n_frames=n_frames, rng=rng)


# --------------------------------------------------------------------------------------------- applying


def warp_source_positions(n_frames: int, warp: WarpDraw) -> np.ndarray:
    """Where each output frame reads the input: shape (n_frames,), float64, from the piecewise-linear map."""
    t = np.arange(n_frames, dtype=np.float64)
    c, d, last = warp.center, warp.destination, n_frames - 1
    return np.where(t <= d, t * c / d, c + (t - d) * (last - c) / (last - d))


def apply_time_warp(L: np.ndarray, warp: WarpDraw | None) -> np.ndarray:
    """Apply one time warp to ``L`` [shape=(..., n_mels, t)]; returns a new array of the same shape."""
    L = np.asarray(L)
    if warp is None or warp.distance == 0:
        return L.copy()
    n = L.shape[-1]
    if warp.interpolation not in WARP_INTERPOLATIONS:
        raise RecordError(f"unknown warp interpolation {warp.interpolation!r}")
    if not (1 <= warp.center <= n - 2 and 1 <= warp.destination <= n - _WARP_DEST_MARGIN[warp.interpolation]):
        raise RecordError(f"the warp (frame {warp.center} -> {warp.destination}) does not fit {n} frames")
    if warp.interpolation != "linear":
        import importlib  # the framework warps live in melwav.conventions, which imports this module

        return importlib.import_module(".conventions", __package__).apply_framework_warp(L, warp)
    src = warp_source_positions(n, warp)
    i0 = np.clip(np.floor(src).astype(np.intp), 0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (src - i0).astype(L.dtype)
    return L[..., i0] * (1 - frac) + L[..., i1] * frac


def resolve_fill(L: np.ndarray, fill: str, fill_db: float) -> float:
    """The dB value a mask writes into ``L`` for fill mode ``fill``."""
    if fill in ("mean", "stage_mean"):
        return float(np.mean(L))
    if fill == "floor":
        return float(np.min(L))
    return float(fill_db)


def apply_freq_masks(L: np.ndarray, masks, *, value: float) -> np.ndarray:
    """Set the bands of each mask to ``value`` in a copy of ``L`` [shape=(..., n_mels, t)]."""
    out = np.array(L, copy=True)
    for m in masks:
        out[..., m.start:m.stop, :] = value
    return out


def apply_time_masks(L: np.ndarray, masks, *, value: float) -> np.ndarray:
    """Set the frames of each mask to ``value`` in a copy of ``L`` [shape=(..., n_mels, t)]."""
    out = np.array(L, copy=True)
    for m in masks:
        out[..., m.start:m.stop] = value
    return out


def apply(L: np.ndarray, record: AugmentRecord) -> np.ndarray:
    """Apply a drawn augmentation to a log-mel spectrogram.

    Parameters
    ----------
    L : np.ndarray [shape=(..., n_mels, t)]
        Log-mel (dB); must have the shape the record was drawn for.
    record : AugmentRecord

    Returns
    -------
    np.ndarray [shape=(..., n_mels, t)]
        A new array; ``L`` is not modified.
    """
    L = np.asarray(L)
    if L.ndim < 2 or L.shape[-2:] != (record.n_mels, record.n_frames):
        raise RecordError(
            f"the draw was made for {record.n_mels} mel bands x {record.n_frames} frames, "
            f"but this spectrogram has {L.shape[-2] if L.ndim >= 2 else '?'} x {L.shape[-1] if L.ndim else '?'}"
        )
    # "mean" and "floor" are taken from the spectrogram as it enters augmentation, once.
    value = resolve_fill(L, record.fill, record.fill_db)
    out = L.copy()
    for op in record.order:
        if op == "warp":
            out = apply_time_warp(out, record.warp)
            continue
        masks = record.freq_masks if op == "freq" else record.time_masks
        if not masks:
            continue
        if record.fill == "stage_mean":
            value = float(np.mean(out))
        fn = apply_freq_masks if op == "freq" else apply_time_masks
        out = fn(out, masks, value=value)
    return out


def fill_value(L: np.ndarray, record: AugmentRecord) -> float:
    """The dB value the record's masks write (for the first mask stage, with ``"stage_mean"``)."""
    return resolve_fill(L, record.fill, record.fill_db)


def augment(L: np.ndarray, config: SpecAugmentConfig, *, rng: np.random.Generator) -> tuple[np.ndarray, AugmentRecord]:
    """Draw and apply one augmentation: ``(augmented log-mel, record)``; see :func:`draw` and :func:`apply`."""
    L = np.asarray(L)
    record = draw(config, n_mels=L.shape[-2], n_frames=L.shape[-1], rng=rng)
    return apply(L, record), record


# ------------------------------------------------------------------- one operation at a time (functional)


def time_warp(L: np.ndarray, *, W: int, rng: np.random.Generator) -> tuple[np.ndarray, WarpDraw | None]:
    """Draw and apply one time warp with parameter ``W`` (frames) to ``L`` [shape=(..., n_mels, t)]."""
    warp = draw_time_warp(np.shape(L)[-1], W=check_int("W", W, low=0, high=MAX_FRAMES), rng=rng)
    return apply_time_warp(L, warp), warp


def freq_mask(L: np.ndarray, *, F: int, n_masks: int, rng: np.random.Generator, fill: str = "mean",
              fill_db: float = -80.0) -> tuple[np.ndarray, tuple[MaskDraw, ...]]:
    """Draw and apply ``n_masks`` frequency masks of width up to ``F`` bands to ``L`` [shape=(..., n_mels, t)]."""
    config = SpecAugmentConfig(freq_mask_bands=F, n_freq_masks=n_masks, fill=fill, fill_db=fill_db)
    masks = draw_masks(np.shape(L)[-2], max_width=config.freq_mask_bands, n_masks=config.n_freq_masks, rng=rng)
    return apply_freq_masks(L, masks, value=resolve_fill(L, fill, fill_db)), masks


def time_mask(L: np.ndarray, *, T: int, n_masks: int, rng: np.random.Generator, p: float = 1.0,
              fill: str = "mean", fill_db: float = -80.0) -> tuple[np.ndarray, tuple[MaskDraw, ...]]:
    """Draw and apply ``n_masks`` time masks, width up to ``min(T, floor(p * t))``, to ``L`` [shape=(..., n_mels, t)]."""
    config = SpecAugmentConfig(time_mask_frames=T, n_time_masks=n_masks, max_time_ratio=p, fill=fill, fill_db=fill_db)
    n_frames = np.shape(L)[-1]
    max_width, count = time_mask_bounds(n_frames, config)
    masks = draw_masks(n_frames, max_width=max_width, n_masks=count, rng=rng)
    return apply_time_masks(L, masks, value=resolve_fill(L, fill, fill_db)), masks


# ----------------------------------------------------------------------------------------------- policies


@dataclasses.dataclass(frozen=True)
class Policy:
    """A SpecAugment policy in its source's units: frames of ``frame_ms`` and channels of a ``n_channels`` bank.

    :meth:`to_config` converts it to the current analysis (hop and n_mels), rounding to the nearest frame
    and band, so W = 80 frames at 10 ms is 800 ms whatever the hop, and F = 27 of 80 channels is the same
    share of the mel bands.
    """

    name: str
    source: str
    W: int = 0
    F: int = 0
    mF: int = 0
    T: int = 0
    p: float = 1.0
    mT: int = 0
    pS: float = 0.0
    pM: float = 0.0
    frame_ms: float = 10.0
    n_channels: int = 80

    def to_config(self, settings: MelSettings, *, fill: str = "mean", fill_db: float = -80.0) -> SpecAugmentConfig:
        return SpecAugmentConfig(
            warp_frames=frames_from_ms(self.W * self.frame_ms, settings),
            freq_mask_bands=int(round(self.F * settings.n_mels / self.n_channels)),
            n_freq_masks=self.mF,
            time_mask_frames=frames_from_ms(self.T * self.frame_ms, settings),
            n_time_masks=self.mT,
            max_time_ratio=self.p,
            width_ratio=self.pS,
            masks_per_frame=self.pM,
            fill=fill,
            fill_db=fill_db,
        )


def frames_from_ms(ms: float, settings: MelSettings) -> int:
    """A duration in milliseconds as a whole number of frames of ``settings`` (rounded)."""
    return int(round(float(ms) / settings.hop_ms))


def ms_from_frames(frames: float, settings: MelSettings) -> float:
    return float(frames) * settings.hop_ms


_P2019 = "Park et al. 2019, Table 1"
POLICIES: dict[str, Policy] = {
    "none": Policy("none", _P2019),
    "LB": Policy("LB", _P2019 + " (LibriSpeech basic)", W=80, F=27, mF=1, T=100, p=1.0, mT=1),
    "LD": Policy("LD", _P2019 + " (LibriSpeech double)", W=80, F=27, mF=2, T=100, p=1.0, mT=2),
    "SM": Policy("SM", _P2019 + " (Switchboard mild)", W=40, F=15, mF=2, T=70, p=0.2, mT=2),
    "SS": Policy("SS", _P2019 + " (Switchboard strong)", W=40, F=27, mF=2, T=70, p=0.2, mT=2),
    # Adaptive time-mask width (P2020) with the numbers public LibriSpeech Conformer recipes use
    # (e.g. MLCommons AlgoPerf's conformer workload, NeMo's conformer_ctc_bpe): pS = 0.05, mT = 10.
    "adaptive": Policy(
        "adaptive", "Park et al. 2020 adaptive width; numbers of public LibriSpeech Conformer recipes",
        W=0, F=27, mF=2, T=0, p=1.0, mT=10, pS=0.05,
    ),
}


def policy(name: str) -> Policy:
    """Look up a preset by name (case-insensitive for the paper's two-letter names)."""
    for key, value in POLICIES.items():
        if key.lower() == str(name).lower():
            return value
    raise ParameterError(f"policy must be one of {', '.join(POLICIES)}, got {name!r}")
