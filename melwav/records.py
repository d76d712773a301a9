"""The plain data that flows between stages: augmentation settings and what one draw drew.

:class:`SpecAugmentConfig` holds the settings (in the current analysis' frames and mel bands);
:class:`AugmentRecord` (with :class:`WarpDraw` and :class:`MaskDraw`) holds one draw as plain numbers, enough
to replay, plot and export it as JSON; :class:`DrawBatch` holds many draws for one shape as arrays (what the
draw rules produce; a render keeps its one :meth:`DrawBatch.record`). Both are checked when built. This module imports nothing of
melwav's but :mod:`melwav.errors`: the draw rules (:mod:`melwav.specaugment`, :mod:`melwav.frameworks`)
build these types, later stages read them.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from .errors import ParameterError, RecordError, check_float, check_int, check_keys

#: How a mask is filled (see :func:`melwav.specaugment.resolve_fill`): the clip's mean, its minimum, a level
#: in dB re. its peak, the mean recomputed per mask stage, each band's own mean, or a level in dB on the
#: drawing framework's ABSOLUTE scale (its literal 0, placed on the clip through its absolute mel power).
FILL_MODES = ("mean", "floor", "value", "stage_mean", "band_mean", "absolute")
#: The operations every record has (in some order); a framework may add its own (see :mod:`melwav.frameworks`).
OPERATIONS = ("warp", "freq", "time")
#: The units an entry of :attr:`SpecAugmentConfig.extra` can carry: sizes ("frames", "bands") are converted
#: between a framework's features and the analysis like W, T and F; "" marks a count, ratio, name or flag.
EXTRA_UNITS = ("", "frames", "bands")
MAX_EXTRA = 32

# Bounds a person can reach with the CLI or the sliders; beyond them the request is refused, not clamped.
MAX_MASKS = 100
MAX_FRAMES = 100_000

_NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,39}\Z")


def warp_destination_margin(interpolation: str) -> int:
    """How far from the end a warp's destination must stay: melwav's own map (``"linear"``) fixes frame
    ``n - 1``, so its destination is at most ``n - 2``; the frameworks' maps fix ``n``, so at most ``n - 1``."""
    return 2 if interpolation == "linear" else 1


def clipped(start: int, width: int, axis_len: int) -> MaskDraw:
    """The cells ``[start, start + width)`` that lie on an axis of ``axis_len`` cells, as a :class:`MaskDraw`."""
    lo = min(max(int(start), 0), axis_len)
    hi = min(max(int(start) + int(width), lo), axis_len)
    return MaskDraw(lo, hi - lo)


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
        The fill in dB re. the clip's peak when ``fill == "value"``; with ``fill == "absolute"``, in dB re.
        the framework's own 0 (mel power 1 on its absolute scale; 0 is what ESPnet's ``replace_with_zero``
        and torchaudio's ``zero_masking`` write).
    convention : str
        Whose drawing rules to follow: ``"melwav"`` (the papers', :mod:`melwav.specaugment`) or a training
        framework's (one of :data:`melwav.frameworks.FRAMEWORKS`; checked when drawing).
    extra : tuple of (name, value, unit)
        The framework's own settings beyond the eight numbers (e.g. an apply probability, a width's lower
        bound, an order of operations), read only by the framework named in ``convention``; ``unit`` is one
        of :data:`EXTRA_UNITS` (a size in this analysis' frames or bands, like W, T, F). Values are
        JSON-able scalars or short tuples of them. Empty for melwav's own rules.
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
    extra: tuple = ()

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
            raise ParameterError(f"fill must be one of {', '.join(FILL_MODES)}, got {_short(self.fill)}")
        set_("fill_db", check_float("fill_db", self.fill_db, low=-200.0, high=50.0))
        if not isinstance(self.convention, str) or not _NAME_RE.match(self.convention):
            raise ParameterError(f"convention must be melwav or a framework's name, got {_short(self.convention)}")
        set_("extra", _check_extra(self.extra))

    def option(self, name: str, default=None):
        """The value of the framework setting ``name`` in :attr:`extra`, else ``default``."""
        for key, value, _unit in self.extra:
            if key == name:
                return value
        return default

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
        out = dataclasses.asdict(self)
        out["extra"] = [list(item) for item in self.extra]  # left out when empty: older files stay as they were
        if not self.extra:
            del out["extra"]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> SpecAugmentConfig:
        check_keys(data, {f.name for f in dataclasses.fields(cls)}, what="the augmentation settings")
        return cls(**data)


def _check_scalar(where: str, value):
    if value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= 40):
        return value
    raise ParameterError(f"{where} must be a number, a flag or a short name, got {_short(value)}")


def _check_extra(extra) -> tuple:
    """:attr:`SpecAugmentConfig.extra` checked and made hashable (lists from JSON become tuples)."""
    if not isinstance(extra, (list, tuple)) or len(extra) > MAX_EXTRA:
        raise ParameterError(f"extra must be a list of at most {MAX_EXTRA} [name, value, unit] entries")
    out, seen = [], set()
    for i, item in enumerate(extra):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise ParameterError(f"extra[{i}] must be a [name, value, unit] triple, got {_short(item)}")
        name, value, unit = item
        if not isinstance(name, str) or not _NAME_RE.match(name) or name in seen:
            raise ParameterError(f"extra[{i}] name must be a new lower-case identifier, got {_short(name)}")
        if unit not in EXTRA_UNITS:
            raise ParameterError(f"extra {name} unit must be one of {EXTRA_UNITS}, got {_short(unit)}")
        if isinstance(value, (list, tuple)):
            if len(value) > 8:
                raise ParameterError(f"extra {name} must hold at most 8 values")
            value = tuple(_check_scalar(f"extra {name}", v) for v in value)
        else:
            value = _check_scalar(f"extra {name}", value)
        if unit:
            value = check_int(f"extra {name} ({unit})", value, low=0, high=MAX_FRAMES)
        seen.add(name)
        out.append((name, value, unit))
    return tuple(out)


def _short(value) -> str:
    """A value for a message: short strings as they are, anything else by type (never a whole value)."""
    if isinstance(value, str) and len(value) <= 40:
        return repr(value)
    size = f" of length {len(value)}" if hasattr(value, "__len__") else ""
    return f"a {type(value).__name__}{size}"


@dataclasses.dataclass(frozen=True)
class WarpDraw:
    """One time warp: frame ``center`` moves to ``center + distance``; ``interpolation`` names the resampler
    (``"linear"``: melwav's own; otherwise a key of a framework module's ``WARPS``)."""

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

    ``n_mels`` and ``n_frames`` are the shape the draw was made for; ``apply`` refuses another shape.
    ``extra`` holds the draws of a framework's own operations (``{operation: JSON-able value}``), each of
    which also appears in ``order`` (see :mod:`melwav.frameworks`); it is empty for the standard three.
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
    extra: tuple[tuple[str, object], ...] = ()

    def only(self, operation: str) -> AugmentRecord:
        """The same draw with every operation but ``operation`` ("warp", "freq", "time" or an extra) removed."""
        if operation not in OPERATIONS and operation not in dict(self.extra):
            raise ParameterError(f"operation must be one of {', '.join(self.order)}, got {_short(operation)}")
        return dataclasses.replace(
            self,
            warp=self.warp if operation == "warp" else None,
            freq_masks=self.freq_masks if operation == "freq" else (),
            time_masks=self.time_masks if operation == "time" else (),
            extra=tuple((k, v) for k, v in self.extra if k == operation),
            order=tuple(op for op in self.order if op in OPERATIONS or op == operation),
        )

    def to_dict(self) -> dict:
        out = {
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
        if self.extra:
            out["extra"] = {k: v for k, v in self.extra}
        return out

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
                interpolation = w.get("interpolation", "linear")
                if not isinstance(interpolation, str) or not _NAME_RE.match(interpolation):
                    raise RecordError(f"record warp interpolation must be a resampler's name, got "
                                      f"{_short(interpolation)}")
                warp = WarpDraw(
                    check_int("record warp center", w["center"], low=1, high=n_frames - 2),
                    check_int("record warp distance", w["distance"], low=-n_frames, high=n_frames),
                    interpolation,
                )
                dest_max = n_frames - warp_destination_margin(warp.interpolation)
                if not 1 <= warp.destination <= dest_max:
                    raise RecordError(
                        f"record warp moves frame {warp.center} to {warp.destination}, outside 1..{dest_max}"
                    )
            freq = _masks_from(data.get("freq_masks", []), "freq_masks", n_mels)
            time = _masks_from(data.get("time_masks", []), "time_masks", n_frames)
            fill = data.get("fill", "mean")
            if fill not in FILL_MODES:
                raise RecordError(f"record fill must be one of {', '.join(FILL_MODES)}, got {_short(fill)}")
            fill_db = check_float("record fill_db", data.get("fill_db", -80.0), low=-200.0, high=50.0)
            convention = data.get("convention", "melwav")
            if not isinstance(convention, str) or not _NAME_RE.match(convention):
                raise RecordError("record convention must be melwav or a framework's name")
            extra = data.get("extra", {})
            if not isinstance(extra, dict) or not all(isinstance(k, str) and _NAME_RE.match(k) for k in extra):
                raise RecordError("record extra must map operation names to their draws")
            order = data.get("order", list(OPERATIONS))
            if (not isinstance(order, (list, tuple)) or not all(isinstance(o, str) for o in order)
                    or sorted(order) != sorted([*OPERATIONS, *extra])):
                raise RecordError(f"record order must list each of {', '.join([*OPERATIONS, *extra])} once")
            notes = data.get("notes", [])
            if not isinstance(notes, (list, tuple)) or not all(isinstance(n, str) for n in notes):
                raise RecordError("record notes must be a list of strings")
        except ParameterError as exc:
            raise RecordError(str(exc)) from None
        return cls(n_mels, n_frames, warp, freq, time, fill, fill_db, convention, tuple(order), tuple(notes),
                   tuple(extra.items()))


def _masks_from(items, name: str, axis_len: int) -> tuple[MaskDraw, ...]:
    if not isinstance(items, (list, tuple)) or len(items) > MAX_MASKS:
        raise RecordError(f"record {name} must be a list of at most {MAX_MASKS} [start, width] pairs")
    masks = []
    for i, item in enumerate(items):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise RecordError(f"record {name}[{i}] must be a [start, width] pair, got {_short(item)}")
        start = check_int(f"record {name}[{i}] start", item[0], low=0, high=axis_len)
        width = check_int(f"record {name}[{i}] width", item[1], low=0, high=axis_len)
        if start + width > axis_len:
            raise RecordError(f"record {name}[{i}] covers {start}..{start + width}, past the axis length {axis_len}")
        masks.append(MaskDraw(start, width))
    return tuple(masks)


# ------------------------------------------------------------------------------------- many draws at once


def per_draw_notes(notes_per_draw) -> tuple[tuple[str, np.ndarray], ...]:
    """:class:`DrawBatch` ``draw_notes`` from each draw's own list of notes (a rule drawn one utterance at a
    time), in the order first seen."""
    notes_per_draw = [list(n) for n in notes_per_draw]
    seen = dict.fromkeys(n for notes in notes_per_draw for n in notes)
    return tuple((note, np.array([note in notes for notes in notes_per_draw])) for note in seen)


@dataclasses.dataclass(frozen=True, eq=False)
class MaskBatch:
    """The masks of many draws on one axis, as arrays of shape ``(n_draws, slots)``.

    A draw's masks are its slots where ``drawn`` is True, in slot order: cells ``[start, start + width)``
    (clipped to the axis, as :func:`clipped`). A slot not drawn holds 0, 0.
    """

    start: np.ndarray
    width: np.ndarray
    drawn: np.ndarray

    @classmethod
    def empty(cls, size: int) -> MaskBatch:
        zeros = np.zeros((size, 0), dtype=np.int64)
        return cls(zeros, zeros, zeros.astype(bool))

    @classmethod
    def clipped(cls, start, width, axis_len: int, drawn=None) -> MaskBatch:
        """Masks ``[start, start + width)`` kept on an axis of ``axis_len`` cells (arrays of one shape, or
        broadcastable to ``drawn``'s)."""
        start = np.asarray(start, dtype=np.int64)
        width = np.asarray(width, dtype=np.int64)
        drawn = np.ones(np.broadcast(start, width).shape, dtype=bool) if drawn is None else np.asarray(drawn, bool)
        lo = np.clip(start, 0, axis_len)
        hi = np.minimum(np.maximum(start + width, lo), axis_len)
        lo, hi = np.broadcast_to(lo, drawn.shape), np.broadcast_to(hi, drawn.shape)
        return cls(np.where(drawn, lo, 0), np.where(drawn, hi - lo, 0), drawn)

    @classmethod
    def from_lists(cls, masks, size: int) -> MaskBatch:
        """From ``size`` sequences of :class:`MaskDraw` (a draw rule that draws one utterance at a time)."""
        slots = max((len(ms) for ms in masks), default=0)
        start = np.zeros((size, slots), dtype=np.int64)
        width = np.zeros((size, slots), dtype=np.int64)
        drawn = np.zeros((size, slots), dtype=bool)
        for i, ms in enumerate(masks):
            for j, m in enumerate(ms):
                start[i, j], width[i, j], drawn[i, j] = m.start, m.width, True
        return cls(start, width, drawn)

    def masks(self, i: int) -> tuple[MaskDraw, ...]:
        """Draw ``i``'s masks."""
        return tuple(MaskDraw(int(s), int(w)) for s, w, d in zip(self.start[i], self.width[i], self.drawn[i]) if d)

    def __post_init__(self):
        if not self.start.shape == self.width.shape == self.drawn.shape or self.start.ndim != 2:
            raise ParameterError("a MaskBatch's start, width and drawn must be arrays of one (n_draws, slots) shape")


@dataclasses.dataclass(frozen=True, eq=False)
class WarpBatch:
    """The time warps of many draws: ``center``, ``distance`` and ``drawn`` of shape ``(n_draws,)`` (a draw
    without a warp holds 0, 0, False); ``interpolation`` as in :class:`WarpDraw`."""

    center: np.ndarray
    distance: np.ndarray
    drawn: np.ndarray
    interpolation: str = "linear"

    @classmethod
    def none(cls, size: int) -> WarpBatch:
        zeros = np.zeros(size, dtype=np.int64)
        return cls(zeros, zeros, zeros.astype(bool))

    def warp(self, i: int) -> WarpDraw | None:
        """Draw ``i``'s warp (None when it has none)."""
        if not self.drawn[i]:
            return None
        return WarpDraw(int(self.center[i]), int(self.distance[i]), self.interpolation)


@dataclasses.dataclass(frozen=True, eq=False)
class DrawBatch:
    """``size`` draws of one recipe for one spectrogram shape, as arrays: what a draw rule produces.

    A render keeps its one :meth:`record`; statistics read the arrays. ``notes`` hold for every draw,
    ``draw_notes`` pairs a note with the ``(size,)`` booleans of the draws it holds for, and ``extra`` pairs a
    framework's own operation with the list of its ``size`` draws (see :class:`AugmentRecord`). ``orders``
    gives each draw's order where they differ (SpeechBrain's Augmenter draws one); else all have ``order``.

    Examples
    --------
    >>> b = DrawBatch(n_mels=10, n_frames=100, size=1, time=MaskBatch.clipped([[0, 95]], [[30, 30]], 100))
    >>> b.record(0).time_masks      # the second mask clipped at the end of the axis
    (MaskDraw(start=0, width=30), MaskDraw(start=95, width=5))
    """

    n_mels: int
    n_frames: int
    size: int
    warp: WarpBatch | None = None
    freq: MaskBatch | None = None
    time: MaskBatch | None = None
    fill: str = "mean"
    fill_db: float = -80.0
    convention: str = "melwav"
    order: tuple[str, ...] = OPERATIONS
    notes: tuple[str, ...] = ()
    draw_notes: tuple[tuple[str, np.ndarray], ...] = ()
    extra: tuple[tuple[str, list], ...] = ()
    orders: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self):
        if self.orders and len(self.orders) != self.size:
            raise ParameterError(f"a DrawBatch's orders must give one order for each of its {self.size} draws")
        # Absent parts are the empty ones, so readers never test for None.
        if self.warp is None:
            object.__setattr__(self, "warp", WarpBatch.none(self.size))
        for axis in ("freq", "time"):
            if getattr(self, axis) is None:
                object.__setattr__(self, axis, MaskBatch.empty(self.size))
        if not (len(self.warp.drawn) == len(self.freq.drawn) == len(self.time.drawn) == self.size):
            raise ParameterError(f"every part of a DrawBatch must hold {self.size} draws")

    def record(self, i: int) -> AugmentRecord:
        """Draw ``i`` as an :class:`AugmentRecord`."""
        notes = self.notes + tuple(note for note, where in self.draw_notes if where[i])
        return AugmentRecord(
            n_mels=self.n_mels, n_frames=self.n_frames, warp=self.warp.warp(i), freq_masks=self.freq.masks(i),
            time_masks=self.time.masks(i), fill=self.fill, fill_db=self.fill_db, convention=self.convention,
            order=self.orders[i] if self.orders else self.order, notes=notes, extra=tuple((name, draws[i]) for name, draws in self.extra),
        )

    @classmethod
    def from_records(cls, records) -> DrawBatch:
        """Records drawn one at a time for one shape, as a batch (notes the first one has are kept as common)."""
        records = list(records)
        if not records:
            raise ParameterError("a DrawBatch needs at least one record")
        first = records[0]
        size = len(records)
        common = tuple(n for n in first.notes if all(n in r.notes for r in records))
        return cls(
            n_mels=first.n_mels, n_frames=first.n_frames, size=size,
            warp=WarpBatch(
                np.array([r.warp.center if r.warp else 0 for r in records], dtype=np.int64),
                np.array([r.warp.distance if r.warp else 0 for r in records], dtype=np.int64),
                np.array([r.warp is not None for r in records]),
                next((r.warp.interpolation for r in records if r.warp), "linear"),
            ),
            freq=MaskBatch.from_lists([r.freq_masks for r in records], size),
            time=MaskBatch.from_lists([r.time_masks for r in records], size),
            fill=first.fill, fill_db=first.fill_db, convention=first.convention, order=first.order,
            orders=tuple(r.order for r in records) if any(r.order != first.order for r in records) else (),
            notes=common, draw_notes=per_draw_notes([n for n in r.notes if n not in common] for r in records),
            extra=tuple((name, [dict(r.extra).get(name) for r in records]) for name, _ in first.extra),
        )
