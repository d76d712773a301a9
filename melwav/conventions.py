"""Draw conventions of four training frameworks: torchaudio, ESPnet, NeMo and lingvo.

Each convention reproduces, for ONE utterance (no batch, no padding: the true length and the padded
length are both the clip's ``n_frames``), how that framework draws its time warp and masks, as read from
its source code (torchaudio 2.x ``functional.mask_along_axis_iid`` / ``transforms.SpecAugment``; ESPnet
``espnet2/layers/time_warp.py``, ``mask_along_axis.py``, ``asr/specaug/specaug.py``; NeMo
``parts/submodules/spectr_augment.py`` vectorised path; lingvo ``core/spectrum_augmenter.py``). Importing
this module registers them with :func:`melwav.augment.register_convention`, so
``SpecAugmentConfig(convention="espnet")`` draws ESPnet's way and the record replays through
:func:`melwav.augment.apply`.

How a :class:`~melwav.augment.SpecAugmentConfig` is read under each convention
------------------------------------------------------------------------------
The config holds the FRAMEWORK's own numbers, already converted to melwav's frames and mel bands
(:mod:`melwav.recipes` does that conversion). Every width bound is EXCLUSIVE, as in all four
frameworks: ``freq_mask_bands = 27`` draws widths ``0..26``. U is a uniform draw from [0, 1), ``int()``
truncates toward zero (``Tensor.long()``, ``tf.cast``), ``n`` is the clip's frames, ``nu`` its bands.

``torchaudio`` (``transforms.SpecAugment``)
    F = ``freq_mask_param``, mF = ``n_freq_masks``, T = ``time_mask_param``, mT = ``n_time_masks``,
    p = ``p``. Bound ``m = T if p == 1 else min(T, int(p * n))`` (and the same with F and ``nu``: SpecAugment
    passes p to the frequency masks too); a mask is skipped when ``m < 1``. Width ``v = U * m`` (kept
    unfloored), start ``int(U * (axis - v))``, cells ``[start, start + int(v))`` clipped to the axis
    (a bound larger than the axis gives negative starts, truncated toward 0, as in torch).
    Time masks, then frequency masks. No warp (W is ignored, with a note), no pS / pM.
``espnet`` (``SpecAug``)
    W = ``time_warp_window``: no warp when ``n <= 2W``; anchor ``c = randint(W, n - W)`` (``W..n-W-1``),
    new position ``randint(c - W, c + W) + 1`` (``c-W+1..c+W``); ``[0, c)`` and ``[c, n)`` are each
    resized to their new lengths with torch's ``F.interpolate(mode="bicubic", align_corners=False)``
    (re-implemented here in numpy, along time only: the frequency size does not change, which makes
    the 2-D bicubic an identity along frequency). Recorded as ``WarpDraw(c, new - c, "espnet-bicubic")``.
    F = the top of ``freq_mask_width_range`` (widths ``0..F-1``), mF = ``num_freq_mask``; T = the top of
    ``time_mask_width_range`` or, when ``width_ratio`` pS > 0, ``time_mask_width_ratio_range = [0, pS]``:
    widths ``0..min(n, floor(n * pS)) - 1``, no time masks when that top is 0. Starts:
    ``randint(0, max(1, axis - widest mask of this stage))``. p and pM cannot be expressed (ignored, noted).
    Warp, frequency masks, time masks. Lower bounds other than 0 are not representable here.
``nemo`` (``SpectrogramAugmentation``, default vectorised code)
    F = ``freq_width``, mF = ``freq_masks``, T = an int ``time_width``, mT = ``time_masks``; pS > 0 stands
    for a float ``time_width``: width ``int(U * min(pS * n, n))``, otherwise ``int(U * T)``; starts
    ``int(U * (n - w))`` and ``int(U * (nu - w))``, clipped to the axis. Time masks, then frequency masks.
    No warp, no p, no pM (ignored, noted). (NeMo's legacy path, ``use_vectorized_spec_augment: false``,
    draws ``randint`` both ends inclusive; it is not reproduced.)
``lingvo`` (``SpectrumAugmenter``)
    W = ``time_warp_max_frames`` with ``time_warp_bound='static'`` and ``time_warp_max_ratio = 1.0`` (a
    config cannot hold another ratio): shift uniform in ``-W..W``, clipped to ``+-int(1.0 * n)``; anchor
    ``int(U * (n - 2)) + 1`` (``1..n-2``), destination clipped to ``[1, n - 1]``; the map is piecewise
    linear fixing 0 and ``n`` (recorded as ``"lingvo-linear"``); no warp below 3 frames.
    F = ``freq_mask_max_bins`` (0 = off), mF = ``freq_mask_count``, width ``min(int(U * F), nu)``.
    T = ``time_mask_max_frames``, p = ``time_mask_max_ratio``: width ``min(int(U * T), max(int(p * n), 1))``;
    pS > 0 means ``use_dynamic_time_mask_max_frames=True`` with ``time_mask_max_ratio = pS``: width
    ``min(int(U * pS * n), max(int(pS * n), 1))`` (pS also acts as p, T is ignored). Time masks are off when
    T == 0 (static) or the ratio is 0. pM = ``time_masks_per_frame``: ``min(mT, ceil(pM * n))`` masks.
    Starts ``int(U * (axis - w + 1))``. Time warp, time masks, frequency masks.

Fill
----
melwav's log-mel is in dB re. the clip's peak, so a framework's literal "0" has to be placed:

- torchaudio ``zero_masking=False`` (SpecAugment's default) is the mean of the whole input: ``"mean"``.
  ``zero_masking=True`` or a single ``*Masking`` (``mask_value=0.0``) writes 0 into whatever features it is
  given (usually an un-normalised dB or log scale, whose 0 is an absolute level): ``"value"``.
- ESPnet ``replace_with_zero: false`` recomputes the mean before each mask stage: ``"stage_mean"``.
  ``true`` writes 0 into the *un-normalised* natural-log mel (mel power 1.0 on ESPnet's own absolute
  scale): ``"value"``.
- NeMo masks after per-feature normalisation, so ``mask_value: 0.0`` is each band's mean: ``"mean"``
  (melwav's mean is over the whole clip, not per band).
- lingvo multiplies by a 0/1 mask on features that the SpecAugment authors normalise to zero mean:
  ``"mean"``.

An absolute level (``"value"``) cannot be placed on a clip whose dB are relative to its peak, so melwav
shows it at ``fill_db`` (default -80 dB re. the peak: near silence); :func:`fill_explanation` says so
to the listener.

Units
-----
:data:`DEFAULT_UNITS` gives each framework's documented feature hop (ms) and mel-channel count.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from .augment import AugmentRecord, MaskDraw, SpecAugmentConfig, WarpDraw
from .errors import ParameterError, RecordError

# The module itself (``melwav.augment`` as an attribute is shadowed by the function ``augment``).
_augment = importlib.import_module(".augment", __package__)

#: The framework conventions this module registers.
CONVENTIONS = ("torchaudio", "espnet", "nemo", "lingvo")

#: framework -> (feature hop in ms, mel channels) as each documents or uses by default.
DEFAULT_UNITS = {
    "torchaudio": (10.0, 80),  # "as the user says": torchaudio masks whatever it is given
    "espnet": (8.0, 80),  # DefaultFrontend: fs 16000, hop 128; LibriSpeech recipes use hop 160 (10 ms)
    "nemo": (10.0, 80),  # conformer_ctc_bpe.yaml: window_stride 0.01, features 80
    "lingvo": (10.0, 80),  # MelAsrFrontend: frame_step_ms 10, num_bins 80
}

#: Order of operations of each convention (as recorded in ``AugmentRecord.order``).
ORDERS = {
    "torchaudio": ("warp", "time", "freq"),
    "espnet": ("warp", "freq", "time"),
    "nemo": ("warp", "time", "freq"),
    "lingvo": ("warp", "time", "freq"),
}

#: Fill modes each framework can produce (see the module notes); another fill is drawn with a note.
FRAMEWORK_FILLS = {
    "torchaudio": ("mean", "value"),
    "espnet": ("stage_mean", "value"),
    "nemo": ("mean",),
    "lingvo": ("mean",),
}


# ------------------------------------------------------------------------------------------- helpers


def _clipped(start: int, width: int, axis_len: int) -> MaskDraw:
    """The cells ``[start, start + width)`` that lie on an axis of ``axis_len`` cells, as a MaskDraw."""
    lo = min(max(int(start), 0), axis_len)
    hi = min(max(int(start) + int(width), lo), axis_len)
    return MaskDraw(lo, hi - lo)


def _fill_note(name: str, config: SpecAugmentConfig) -> list[str]:
    if config.fill in FRAMEWORK_FILLS[name]:
        return []
    return [f"{name} cannot fill with {config.fill!r} (it uses {' or '.join(FRAMEWORK_FILLS[name])}); "
            f"shown with melwav's {config.fill!r}"]


def _record(name, config, n_mels, n_frames, warp, freq, time, notes) -> AugmentRecord:
    return AugmentRecord(
        n_mels=n_mels, n_frames=n_frames, warp=warp, freq_masks=tuple(freq), time_masks=tuple(time),
        fill=config.fill, fill_db=config.fill_db, convention=name, order=ORDERS[name],
        notes=tuple(notes) + tuple(_fill_note(name, config)),
    )


# ---------------------------------------------------------------------------------------- torchaudio


def torchaudio_mask_bound(param: int, p: float, axis_len: int) -> int:
    """torchaudio's ``_get_mask_param``: ``param`` if ``p == 1.0`` else ``min(param, int(axis_len * p))``."""
    return int(param) if p == 1.0 else min(int(param), int(axis_len * p))


def _torchaudio_mask(axis_len: int, bound: int, rng: np.random.Generator) -> MaskDraw:
    value = rng.random() * bound  # unfloored width
    min_value = rng.random() * (axis_len - value)
    start = int(min_value)  # Tensor.long(): truncation toward 0
    return _clipped(start, int(value), axis_len)


def draw_torchaudio(config: SpecAugmentConfig, *, n_mels: int, n_frames: int,
                    rng: np.random.Generator) -> AugmentRecord:
    """torchaudio ``SpecAugment`` for one utterance (see the module notes)."""
    notes = []
    if config.warp_frames:
        notes.append(f"torchaudio has no time warp: W = {config.warp_frames} ignored")
    if config.width_ratio or config.masks_per_frame:
        notes.append("torchaudio has no adaptive masks: pS and pM ignored")
    p = config.max_time_ratio
    time, freq = [], []
    t_bound = torchaudio_mask_bound(config.time_mask_frames, p, n_frames)
    if config.n_time_masks:
        if t_bound < 1:
            notes.append(f"no time masks: the bound min(T, int(p * {n_frames})) = {t_bound} is below 1")
        else:
            time = [_torchaudio_mask(n_frames, t_bound, rng) for _ in range(config.n_time_masks)]
    f_bound = torchaudio_mask_bound(config.freq_mask_bands, p, n_mels)
    if config.n_freq_masks:
        if f_bound < 1:
            notes.append(f"no frequency masks: the bound min(F, int(p * {n_mels})) = {f_bound} is below 1")
        else:
            if f_bound < config.freq_mask_bands:
                notes.append(f"p = {p:g} also caps the frequency masks (SpecAugment): F {config.freq_mask_bands}"
                             f" -> {f_bound}")
            freq = [_torchaudio_mask(n_mels, f_bound, rng) for _ in range(config.n_freq_masks)]
    return _record("torchaudio", config, n_mels, n_frames, None, freq, time, notes)


# -------------------------------------------------------------------------------------------- ESPnet


def espnet_warp_skipped(n_frames: int, W: int) -> bool:
    """True when ESPnet's ``time_warp`` returns its input unchanged (``n - W <= W``)."""
    return n_frames - W <= W


def _espnet_masks(axis_len: int, lo: int, hi: int, count: int, rng: np.random.Generator) -> list[MaskDraw]:
    widths = rng.integers(lo, hi, size=count)  # torch.randint(lo, hi): lo..hi-1
    starts = rng.integers(0, max(1, axis_len - int(widths.max())), size=count)
    return [_clipped(s, w, axis_len) for s, w in zip(starts, widths)]


def espnet_time_width_range(config: SpecAugmentConfig, n_frames: int) -> tuple[int, int]:
    """``(lo, hi)`` of ESPnet's time-mask widths (``lo..hi-1``) for a clip of ``n_frames`` frames."""
    if config.width_ratio > 0:  # MaskAlongAxisVariableMaxWidth with [0, pS]
        return 0, min(n_frames, math.floor(n_frames * config.width_ratio))
    return 0, config.time_mask_frames


def draw_espnet(config: SpecAugmentConfig, *, n_mels: int, n_frames: int,
                rng: np.random.Generator) -> AugmentRecord:
    """ESPnet ``SpecAug`` for one utterance (see the module notes)."""
    notes = []
    warp = None
    W = config.warp_frames
    if W > 0:
        if espnet_warp_skipped(n_frames, W):
            notes.append(f"no time warp: ESPnet skips it when the clip ({n_frames} frames) is <= 2W = {2 * W}")
        else:
            center = int(rng.integers(W, n_frames - W))
            new = int(rng.integers(center - W, center + W)) + 1
            warp = WarpDraw(center, new - center, "espnet-bicubic")
    if config.max_time_ratio < 1.0 or config.masks_per_frame:
        notes.append("ESPnet has no p beside an absolute T and no pM: ignored")
    freq = []
    if config.n_freq_masks and config.freq_mask_bands > 0:
        freq = _espnet_masks(n_mels, 0, config.freq_mask_bands, config.n_freq_masks, rng)
    time = []
    if config.n_time_masks:
        lo, hi = espnet_time_width_range(config, n_frames)
        if hi > lo:
            time = _espnet_masks(n_frames, lo, hi, config.n_time_masks, rng)
        else:
            notes.append(f"no time masks: the width range is empty for {n_frames} frames")
    return _record("espnet", config, n_mels, n_frames, warp, freq, time, notes)


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """torch's bicubic kernel (A = -0.75) for fractional offsets ``t``: shape (len(t), 4)."""
    A = -0.75

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def resize_bicubic(x: np.ndarray, size: int) -> np.ndarray:
    """Resize the last axis of ``x`` to ``size`` like ``F.interpolate(mode="bicubic", align_corners=False)``.

    Source position ``(i + 0.5) * in / out - 0.5`` (not clamped), four taps with torch's cubic kernel
    (A = -0.75), indices clamped to the edge. Computed in float64, returned in ``x``'s dtype.
    """
    x = np.asarray(x)
    n_in = x.shape[-1]
    if size == n_in:
        return x.copy()
    real = (np.arange(size, dtype=np.float64) + 0.5) * (n_in / size) - 0.5
    i0 = np.floor(real).astype(np.intp)
    w = _cubic_weights(real - i0)
    out = np.zeros(x.shape[:-1] + (size,), dtype=np.float64)
    for k in range(4):
        idx = np.clip(i0 - 1 + k, 0, n_in - 1)
        out += x[..., idx].astype(np.float64) * w[:, k]
    return out.astype(x.dtype, copy=False)


def apply_espnet_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """ESPnet's warp: ``[0, c)`` resized to ``c + d`` frames and ``[c, n)`` to ``n - c - d`` (bicubic)."""
    n = L.shape[-1]
    c, new = warp.center, warp.destination
    return np.concatenate([resize_bicubic(L[..., :c], new), resize_bicubic(L[..., c:], n - new)], axis=-1)


# ---------------------------------------------------------------------------------------------- NeMo


def draw_nemo(config: SpecAugmentConfig, *, n_mels: int, n_frames: int,
              rng: np.random.Generator) -> AugmentRecord:
    """NeMo ``SpectrogramAugmentation`` (vectorised path) for one utterance (see the module notes)."""
    notes = []
    if config.warp_frames:
        notes.append(f"NeMo has no time warp: W = {config.warp_frames} ignored")
    if config.max_time_ratio < 1.0 or config.masks_per_frame:
        notes.append("NeMo has no p beside an int time_width and no pM: ignored")
    time = []
    for _ in range(config.n_time_masks):
        bound = min(config.width_ratio * n_frames, n_frames) if config.width_ratio > 0 else config.time_mask_frames
        w = int(rng.random() * bound)
        start = int(rng.random() * (n_frames - w))
        time.append(_clipped(start, w, n_frames))
    freq = []
    for _ in range(config.n_freq_masks):
        w = int(rng.random() * config.freq_mask_bands)
        start = int(rng.random() * (n_mels - w))
        freq.append(_clipped(start, w, n_mels))
    return _record("nemo", config, n_mels, n_frames, None, freq, time, notes)


# -------------------------------------------------------------------------------------------- lingvo


def lingvo_time_mask_bounds(config: SpecAugmentConfig, n_frames: int) -> tuple[float, int, int] | None:
    """``(size bound, width cap, count)`` of lingvo's time masks, or None when lingvo does no time masking."""
    dynamic = config.width_ratio > 0
    ratio = config.width_ratio if dynamic else config.max_time_ratio
    if (config.time_mask_frames == 0 and not dynamic) or ratio <= 0.0 or config.n_time_masks == 0:
        return None
    size_bound = n_frames * ratio if dynamic else float(config.time_mask_frames)
    cap = max(int(ratio * n_frames), 1)
    count = config.n_time_masks
    if config.masks_per_frame > 0:
        count = min(count, math.ceil(config.masks_per_frame * n_frames))
    return size_bound, cap, count


def _lingvo_mask(axis_len: int, size_bound: float, cap: int, rng: np.random.Generator) -> MaskDraw:
    length = min(int(size_bound * rng.random()), cap)
    start = int(rng.random() * (axis_len - length + 1))
    return _clipped(start, length, axis_len)


def draw_lingvo(config: SpecAugmentConfig, *, n_mels: int, n_frames: int,
                rng: np.random.Generator) -> AugmentRecord:
    """lingvo ``SpectrumAugmenter`` for one utterance (see the module notes)."""
    notes = []
    warp = None
    W = config.warp_frames
    if W > 0:
        if n_frames < 3:
            notes.append(f"no time warp: {n_frames} frames are too few")
        else:
            bound = int(1.0 * n_frames)
            shift = int(np.clip(rng.integers(-W, W + 1), -bound, bound))
            origin = int(rng.random() * max(n_frames - 2, 0)) + 1
            destination = min(max(origin + shift, 1), n_frames - 1)
            warp = WarpDraw(origin, destination - origin, "lingvo-linear")
    time = []
    bounds = lingvo_time_mask_bounds(config, n_frames)
    if bounds is not None:
        size_bound, cap, count = bounds
        time = [_lingvo_mask(n_frames, size_bound, cap, rng) for _ in range(count)]
    freq = []
    if config.freq_mask_bands > 0 and config.n_freq_masks > 0:
        freq = [_lingvo_mask(n_mels, float(config.freq_mask_bands), max(n_mels, 1), rng)
                for _ in range(config.n_freq_masks)]
    return _record("lingvo", config, n_mels, n_frames, warp, freq, time, notes)


def lingvo_source_positions(n_frames: int, warp: WarpDraw) -> np.ndarray:
    """lingvo's warp map: where output frame ``i`` reads the input (fixes 0 and ``n``), shape (n,)."""
    n, c, d = n_frames, warp.center, warp.destination
    i = np.arange(n, dtype=np.float64)
    return np.where(i < d, i * c / d, c + (i - d) * (n - c) / (n - d))


def apply_lingvo_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """lingvo's piecewise-linear time warp with linear interpolation between frames.

    lingvo's warp matrix gives a source position beyond the last frame only part of the last frame
    (the missing neighbour counts as 0 in its feature scale); melwav, whose dB have no such neutral 0,
    reads the last frame there instead. This affects at most the final ``ceil(1 / slope)`` frames.
    """
    n = L.shape[-1]
    src = np.minimum(lingvo_source_positions(n, warp), n - 1)
    i0 = np.clip(np.floor(src).astype(np.intp), 0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (src - i0).astype(L.dtype)
    return L[..., i0] * (1 - frac) + L[..., i1] * frac


def apply_framework_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """Apply a warp whose interpolation is one of this module's (called by ``augment.apply_time_warp``)."""
    L = np.asarray(L)
    if warp.interpolation == "espnet-bicubic":
        return apply_espnet_warp(L, warp)
    if warp.interpolation == "lingvo-linear":
        return apply_lingvo_warp(L, warp)
    raise RecordError(f"unknown warp interpolation {warp.interpolation!r}")


# ------------------------------------------------------------------------------------------ the fill


def fill_explanation(convention: str, *, fill: str | None = None, fill_db: float = -80.0) -> str:
    """One sentence for the listener: what the framework writes into a mask and how melwav plays it.

    Parameters
    ----------
    convention : str
        ``"melwav"`` or one of :data:`CONVENTIONS`.
    fill : str, optional
        The melwav fill mode in use (``None``: the framework's usual one).
    fill_db : float
        The level used for ``fill == "value"`` (dB re. the clip's peak).
    """
    if convention == "melwav":
        return {
            "mean": "Masks are filled with the clip's mean log-mel level, as the paper's zero on normalised "
                    "features: a steady noise-like hum.",
            "floor": "Masks are filled with the clip's quietest level: silence.",
            "stage_mean": "Masks are filled with the mean level, recomputed before each mask stage.",
        }.get(fill or "mean", f"Masks are filled with a fixed {fill_db:g} dB re. the clip's peak.")
    if convention not in CONVENTIONS:
        raise ParameterError(f"convention must be melwav or one of {', '.join(CONVENTIONS)}, got {convention!r}")
    absolute = (f"melwav cannot place that absolute level on a clip measured relative to its peak, so you hear "
                f"it as {fill_db:g} dB re. the peak (change the fill level to move it).")
    if convention == "torchaudio":
        if fill == "value":
            return ("torchaudio (zero_masking=True, or FrequencyMasking/TimeMasking) writes 0 into whatever "
                    "features it is given, usually an un-normalised dB or log scale where 0 is a fixed level; "
                    + absolute)
        return ("torchaudio's SpecAugment (zero_masking=False) fills masks with the mean of the whole input, "
                "computed once: you hear the clip's average level as a steady hum.")
    if convention == "espnet":
        if fill == "stage_mean":
            return ("ESPnet (replace_with_zero: false) fills with the mean of the features, recomputed before "
                    "the frequency masks and again before the time masks: an average-level hum.")
        return ("ESPnet (replace_with_zero: true) writes 0 into its un-normalised natural-log mel, i.e. mel "
                "power 1.0 on its own absolute scale; " + absolute)
    if convention == "nemo":
        return ("NeMo masks after per-feature normalisation, so its mask_value 0.0 is each band's mean; "
                "melwav plays the clip's overall mean level (a steady hum), not a per-band mean.")
    return ("lingvo multiplies masked cells by 0 on features normalised to zero mean, i.e. it writes the "
            "mean; melwav plays the clip's mean level (a steady hum).")


for _name, _drawer in (("torchaudio", draw_torchaudio), ("espnet", draw_espnet), ("nemo", draw_nemo),
                       ("lingvo", draw_lingvo)):
    _augment.register_convention(_name, _drawer)
