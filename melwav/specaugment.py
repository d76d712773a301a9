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
  ``"band_mean"`` writes each band's own mean (NeMo's 0 after per-feature normalisation). ``"absolute"``
  writes a level given in dB re. the drawing framework's own 0 (mel power 1 on its absolute scale, e.g.
  ESPnet's ``replace_with_zero``): the clip's log-mel keeps its reference power ``ref``, so that level is
  ``fill_db + gain - 10 log10(ref)`` dB re. the clip's peak, where ``gain`` relates the framework's
  analysis to this one (:func:`melwav.frameworks.absolute_gain_db`). It needs ``ref`` and ``settings``.
- order: warp, then frequency masks, then time masks (P2019, Fig. 1); other conventions may record
  another order.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import frameworks
from .errors import ParameterError, RecordError, check_float, check_int
from .features import MelSettings
from .records import (
    FILL_MODES,
    MAX_FRAMES,
    MAX_MASKS,
    OPERATIONS,
    AugmentRecord,
    DrawBatch,
    MaskBatch,
    MaskDraw,
    SpecAugmentConfig,
    WarpBatch,
    WarpDraw,
    warp_destination_margin,
)

#: The most draws one :func:`draw_many` call makes (statistics draw a few thousand per length).
MAX_DRAWS = 100_000

# Re-exported: the record types live in melwav.records, below both this module and melwav.frameworks.
__all__ = [
    "FILL_MODES", "OPERATIONS", "MAX_MASKS", "MAX_FRAMES", "SpecAugmentConfig", "WarpDraw", "MaskDraw",
    "AugmentRecord", "DrawBatch", "MAX_DRAWS", "draw", "draw_many", "apply", "augment", "conventions", "fill_value", "resolve_fill", "apply_time_warp",
    "apply_freq_masks", "apply_time_masks", "draw_masks", "draw_time_warp", "max_warp_frames", "time_mask_bounds",
    "warp_source_positions", "time_warp", "freq_mask", "time_mask", "Policy", "POLICIES", "policy",
    "frames_from_ms", "ms_from_frames",
]


# ---------------------------------------------------------------------------------------------- drawing


def max_warp_frames(n_frames: int, W: int) -> int:
    """The largest warp distance that fits ``n_frames`` (see the module notes), at most ``W``."""
    return max(0, min(int(W), (int(n_frames) - 3) // 2))


def _warp_many(n_frames: int, *, W: int, rng: np.random.Generator, size: int) -> WarpBatch:
    W = max_warp_frames(n_frames, W)
    if W < 1:
        return WarpBatch.none(size)
    center = rng.integers(W + 1, n_frames - W - 1, size=size)  # {W+1 .. tau-W-2}
    distance = rng.integers(-W, W + 1, size=size)
    return WarpBatch(center, distance, np.ones(size, dtype=bool))


def _masks_many(axis_len: int, *, max_width: int, n_masks: int, rng: np.random.Generator, size: int) -> MaskBatch:
    max_width = max(0, min(int(max_width), int(axis_len)))
    # Per mask the width's uniform, then the start's: one draw's first masks do not change when more are
    # asked for (the lesson's slider adds masks; a render reuses what an earlier one rebuilt).
    u = rng.random((size, int(n_masks), 2))
    width = (u[..., 0] * (max_width + 1)).astype(np.int64)  # {0 .. F}
    # start in {0 .. nu - f - 1}; a mask as wide as the axis starts at 0
    start = np.where(width < axis_len, (u[..., 1] * (axis_len - width)).astype(np.int64), 0)
    return MaskBatch.clipped(start, width, axis_len)


def draw_time_warp(n_frames: int, *, W: int, rng: np.random.Generator) -> WarpDraw | None:
    """Draw a time warp for ``n_frames`` frames: ``None`` when W is 0 or the clip has under 5 frames."""
    return _warp_many(n_frames, W=W, rng=rng, size=1).warp(0)


def draw_masks(axis_len: int, *, max_width: int, n_masks: int, rng: np.random.Generator) -> tuple[MaskDraw, ...]:
    """Draw ``n_masks`` masks on an axis of ``axis_len`` cells with widths uniform in ``{0..max_width}``."""
    return _masks_many(axis_len, max_width=max_width, n_masks=n_masks, rng=rng, size=1).masks(0)


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


def _draw_melwav(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator,
                 size: int) -> DrawBatch:
    notes = []
    warp = _warp_many(n_frames, W=config.warp_frames, rng=rng, size=size)
    W_fit = max_warp_frames(n_frames, config.warp_frames)
    if 0 < config.warp_frames and W_fit < config.warp_frames:
        notes.append(
            f"W cut from {config.warp_frames} to {W_fit} frames to fit a {n_frames}-frame clip"
            if W_fit else f"no time warp: {n_frames} frames are too few"
        )
    if config.freq_mask_bands > n_mels and config.n_freq_masks:
        notes.append(f"F cut from {config.freq_mask_bands} to the {n_mels} mel bands")
    freq = _masks_many(n_mels, max_width=config.freq_mask_bands, n_masks=config.n_freq_masks, rng=rng, size=size)
    max_width, count = time_mask_bounds(n_frames, config)
    if config.n_time_masks and max_width < config.time_mask_frames and config.width_ratio == 0:
        notes.append(f"T cut from {config.time_mask_frames} to {max_width} frames (p = {config.max_time_ratio:g})")
    time = _masks_many(n_frames, max_width=max_width, n_masks=count, rng=rng, size=size)
    return DrawBatch(
        n_mels=n_mels, n_frames=n_frames, size=size, warp=warp, freq=freq, time=time,
        fill=config.fill, fill_db=config.fill_db, convention="melwav", order=OPERATIONS, notes=tuple(notes),
    )


def conventions() -> tuple[str, ...]:
    """Names of the drawing conventions available: melwav's own, then each framework's."""
    return ("melwav", *frameworks.FRAMEWORKS)


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
        ``draw_many(..., size=1).record(0)``: one draw is a batch of one, by the same rules.
    """
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator,
              size: int) -> DrawBatch:
    """Draw ``size`` augmentations for spectrograms of shape ``(n_mels, n_frames)`` at once (vectorised).

    The rules are those of ``config.convention``: melwav's own, or the framework's ``draw_many`` (a
    framework without one is drawn one utterance at a time by its ``draw``).

    Parameters
    ----------
    config : SpecAugmentConfig
    n_mels, n_frames : int
        Shape of the log-mel the draws are for.
    rng : np.random.Generator
        The only source of randomness.
    size : int
        How many draws, ``1..MAX_DRAWS``.

    Returns
    -------
    DrawBatch

    Examples
    --------
    >>> batch = draw_many(SpecAugmentConfig(n_time_masks=2, time_mask_frames=10), n_mels=80, n_frames=300,
    ...                   rng=np.random.default_rng(0), size=1000)
    >>> batch.time.width.shape, int(batch.time.width.max())
    ((1000, 2), 10)
    """
    if not isinstance(rng, np.random.Generator):
        raise ParameterError("rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(seed))")
    n_mels = check_int("n_mels", n_mels, low=1, high=MAX_FRAMES)
    n_frames = check_int("n_frames", n_frames, low=1, high=10 * MAX_FRAMES)
    size = check_int("size", size, low=1, high=MAX_DRAWS)
    if config.convention == "melwav":
        return _draw_melwav(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=size)
    if config.convention not in frameworks.FRAMEWORKS:
        raise ParameterError(f"convention must be one of {', '.join(conventions())}, got {config.convention!r}")
    module = frameworks.get(config.convention)
    if hasattr(module, "draw_many"):
        return module.draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=size)
    return DrawBatch.from_records(module.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
                                  for _ in range(size))


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
    framework_warp = None if warp.interpolation == "linear" else frameworks.warp_function(warp.interpolation)
    if not (1 <= warp.center <= n - 2 and 1 <= warp.destination <= n - warp_destination_margin(warp.interpolation)):
        raise RecordError(f"the warp (frame {warp.center} -> {warp.destination}) does not fit {n} frames")
    if framework_warp is not None:
        return framework_warp(L, warp)
    src = warp_source_positions(n, warp)
    i0 = np.clip(np.floor(src).astype(np.intp), 0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (src - i0).astype(L.dtype)
    return L[..., i0] * (1 - frac) + L[..., i1] * frac


def resolve_fill(L: np.ndarray, fill: str, fill_db: float, *, convention: str = "melwav", ref: float | None = None,
                 settings: MelSettings | None = None):
    """The dB value a mask writes into ``L`` [shape=(..., n_mels, t)] for fill mode ``fill``.

    A float, except for ``"band_mean"``: each band's mean, shape (..., n_mels, 1). ``"absolute"`` needs the
    clip's reference power ``ref`` (:func:`melwav.features.logmel`) and its ``settings``.
    """
    if fill in ("mean", "stage_mean"):
        return float(np.mean(L))
    if fill == "floor":
        return float(np.min(L))
    if fill == "band_mean":
        return np.mean(L, axis=-1, keepdims=True).astype(np.asarray(L).dtype)
    if fill == "absolute":
        if ref is None or settings is None:
            raise ParameterError("the 'absolute' fill needs the clip's reference power and analysis settings "
                                 "(apply(L, record, ref=..., settings=...))")
        ref = check_float("ref", ref, low=1e-30)
        return float(fill_db + frameworks.absolute_gain_db(convention, settings) - 10.0 * math.log10(ref))
    return float(fill_db)


def apply_freq_masks(L: np.ndarray, masks, *, value) -> np.ndarray:
    """Set the bands of each mask to ``value`` (a float, or per band: shape (..., n_mels, 1)) in a copy of
    ``L`` [shape=(..., n_mels, t)]."""
    out = np.array(L, copy=True)
    per_band = np.ndim(value) > 0
    for m in masks:
        out[..., m.start:m.stop, :] = value[..., m.start:m.stop, :] if per_band else value
    return out


def apply_time_masks(L: np.ndarray, masks, *, value) -> np.ndarray:
    """Set the frames of each mask to ``value`` (a float, or per band: shape (..., n_mels, 1)) in a copy of
    ``L`` [shape=(..., n_mels, t)]."""
    out = np.array(L, copy=True)
    for m in masks:
        out[..., m.start:m.stop] = value
    return out


def apply(L: np.ndarray, record: AugmentRecord, *, ref: float | None = None,
          settings: MelSettings | None = None) -> np.ndarray:
    """Apply a drawn augmentation to a log-mel spectrogram.

    Parameters
    ----------
    L : np.ndarray [shape=(..., n_mels, t)]
        Log-mel (dB); must have the shape the record was drawn for.
    record : AugmentRecord
    ref : float, optional
        The mel power ``L``'s 0 dB stands for (:func:`melwav.features.logmel`); needed by the
        ``"absolute"`` fill only.
    settings : MelSettings, optional
        The analysis ``L`` comes from; needed by the ``"absolute"`` fill only.

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
    # "mean" and "floor" are taken from the spectrogram as it enters augmentation, once (after the warp for a
    # framework that takes its mean there, e.g. lhotse).
    value = resolve_fill(L, record.fill, record.fill_db, convention=record.convention, ref=ref, settings=settings)
    after_warp = record.fill == "mean" and record.warp is not None and frameworks.fill_after_warp(record.convention)
    out = L.copy()
    for op in record.order:
        if op == "warp":
            out = apply_time_warp(out, record.warp)
            if after_warp:
                value = float(np.mean(out))
            continue
        if op not in OPERATIONS:  # a framework's own operation (see melwav.frameworks)
            out = frameworks.apply_operation(record.convention, op, out, dict(record.extra)[op], value=value)
            continue
        masks = record.freq_masks if op == "freq" else record.time_masks
        if not masks:
            continue
        if record.fill == "stage_mean":
            value = float(np.mean(out))
        fn = apply_freq_masks if op == "freq" else apply_time_masks
        out = fn(out, masks, value=value)
    return out


def fill_value(L: np.ndarray, record: AugmentRecord, *, ref: float | None = None,
               settings: MelSettings | None = None) -> float | None:
    """The dB value (re. the clip's peak) the record's masks write: for the first mask stage with
    ``"stage_mean"``, the average over bands with ``"band_mean"``; None for ``"absolute"`` without
    ``ref`` and ``settings``."""
    if record.fill == "absolute" and (ref is None or settings is None):
        return None
    if record.fill == "mean" and record.warp is not None and frameworks.fill_after_warp(record.convention):
        L = apply_time_warp(np.asarray(L), record.warp)
    value = resolve_fill(L, record.fill, record.fill_db, convention=record.convention, ref=ref, settings=settings)
    return float(np.mean(value))


def augment(L: np.ndarray, config: SpecAugmentConfig, *, rng: np.random.Generator, ref: float | None = None,
            settings: MelSettings | None = None) -> tuple[np.ndarray, AugmentRecord]:
    """Draw and apply one augmentation: ``(augmented log-mel, record)``; see :func:`draw` and :func:`apply`
    (``ref`` and ``settings`` are needed by the ``"absolute"`` fill only)."""
    L = np.asarray(L)
    record = draw(config, n_mels=L.shape[-2], n_frames=L.shape[-1], rng=rng)
    return apply(L, record, ref=ref, settings=settings), record


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
