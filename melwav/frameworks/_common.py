"""Machinery the framework modules share: reading text safely, checking numbers, units, the Recipe.

Nothing typed is ever executed: YAML goes through ``yaml.safe_load``, Python through :mod:`ast` with
literal arguments only. Every problem is a :class:`~melwav.errors.ParameterError` naming the key or line.
"""

from __future__ import annotations

import dataclasses
import functools

import yaml

from ..errors import ParameterError, check_float, check_int
from ..features import MelSettings
from ..records import AugmentRecord, SpecAugmentConfig

#: Keys a section may carry that no framework reads.
IGNORED_KEYS = {"_target_"}


# --------------------------------------------------------------------------------------- the text


class Source:
    """The recipe text, with its YAML parsed once, lazily, for every framework's ``detect`` and ``parse``."""

    def __init__(self, text: str):
        self.text = text

    @functools.cached_property
    def lines(self) -> list[str]:
        """The non-blank lines that are not ``#`` comments."""
        return [ln for ln in self.text.splitlines() if ln.strip() and not ln.strip().startswith("#")]

    @functools.cached_property
    def yaml(self):
        """The text as YAML (raises :class:`ParameterError` when it is not)."""
        return load_yaml(self.text)

    def yaml_or_none(self):
        """The YAML, or None when the text is not YAML (for ``detect``)."""
        try:
            return self.yaml
        except ParameterError:
            return None


def load_yaml(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"the YAML is malformed{where}: {problem}") from None


def find_section(data: dict, keys: set, *paths):
    """The mapping at one of ``paths`` in ``data``, or ``data`` itself if its keys are ``keys``."""
    for path in paths:
        node = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            return node
    if data and set(data) & keys and not set(data) - keys - IGNORED_KEYS:
        return data
    return None


def strip_comment(line: str) -> str:
    """``line`` without a trailing ``#`` comment (a ``#`` inside quotes is kept)."""
    out, quote = [], None
    for ch in line:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            break
        out.append(ch)
    return "".join(out)


def short(value) -> str:
    """A value for a message: small scalars as they are, anything else by type and size (never whole)."""
    if isinstance(value, (bool, int, float)) or value is None:
        text = repr(value)
        return text if len(text) <= 40 else f"a {len(text)}-digit number"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"a string of {len(value)} characters"
    if isinstance(value, (list, tuple)) and len(value) <= 4 and all(
            isinstance(v, (bool, int, float)) and len(repr(v)) <= 20 for v in value):
        return repr(list(value))
    size = f" of {len(value)} items" if hasattr(value, "__len__") else ""
    return f"a {type(value).__name__}{size}"


# --------------------------------------------------------- value checks (the frameworks' own types)


def check_whole(where: str, value, low=0, high=None) -> int:
    """An int as the framework's YAML/Python types it (YAML ``100`` is an int, ``100.0`` a float)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{where} must be a whole number{_rng(low, high)}, got {short(value)}")
    return check_int(where, value, low=low, high=high)


def check_number(where: str, value, low=None, high=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{where} must be a number{_rng(low, high)}, got {short(value)}")
    return check_float(where, value, low=low, high=high)


def check_bool(where: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{where} must be true or false, got {short(value)}")
    return value


def _rng(low, high) -> str:
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    return f" >= {low:g}" if low is not None else ""


def check_known(where: str, keys, known) -> None:
    unknown = sorted(map(str, set(keys) - set(known) - IGNORED_KEYS))
    if unknown:
        shown = ", ".join(short(k)[1:-1] if len(k) <= 40 else short(k) for k in unknown[:10])
        raise ParameterError(f"unknown {where} key(s): {shown}{' ...' if len(unknown) > 10 else ''} "
                             f"(known: {', '.join(sorted(known))})")


# ----------------------------------------------------------------------------------------- units


class Units:
    """Conversion between a framework's frames/channels and melwav's (same duration, same share of the bank)."""

    def __init__(self, hop_ms: float, n_mels: int, settings: MelSettings):
        self.hop_ms, self.n_mels, self.settings = float(hop_ms), int(n_mels), settings

    def frames_in(self, frames: int) -> int:
        return int(round(frames * self.hop_ms / self.settings.hop_ms))

    def bands_in(self, bands: int) -> int:
        return int(round(bands * self.settings.n_mels / self.n_mels))

    def frames_out(self, frames: int) -> int:
        return int(round(frames * self.settings.hop_ms / self.hop_ms))

    def bands_out(self, bands: int) -> int:
        return int(round(bands * self.n_mels / self.settings.n_mels))

    def convert_in(self, value, unit: str):
        """An extra setting (:data:`melwav.records.EXTRA_UNITS`) from the framework's units to the analysis'."""
        return self.frames_in(value) if unit == "frames" else self.bands_in(value) if unit == "bands" else value

    def convert_out(self, value, unit: str):
        """An extra setting from the analysis' units to the framework's."""
        return self.frames_out(value) if unit == "frames" else self.bands_out(value) if unit == "bands" else value


def resolve_units(defaults: tuple[float, int], hop_ms, n_mels, found: tuple | None = None) -> tuple[float, int]:
    """``(hop_ms, n_mels)``: the caller's, else what the text said (``found``), else the framework's defaults."""
    d_hop, d_mels = defaults
    f_hop, f_mels = found if found else (None, None)
    hop = hop_ms if hop_ms is not None else (f_hop if f_hop is not None else d_hop)
    mels = n_mels if n_mels is not None else (f_mels if f_mels is not None else d_mels)
    hop = check_float("hop_ms", hop, low=0.1, high=1000.0)
    mels = check_int("n_mels", mels, low=1, high=4096)
    return hop, mels


# ---------------------------------------------------------------------------------------- fields


@dataclasses.dataclass(frozen=True)
class Fields:
    """A framework's SpecAugment in melwav's eight numbers, still in the framework's units.

    W and T are frames of the framework's hop, F channels of its bank (exclusive bounds, as the framework
    draws them); mF, mT counts; p, pS, pM ratios; ``fill`` one of :data:`melwav.records.FILL_MODES`.
    """

    W: int = 0
    F: int = 0
    mF: int = 0
    T: int = 0
    mT: int = 0
    p: float = 1.0
    pS: float = 0.0
    pM: float = 0.0
    fill: str = "mean"
    #: The framework's own settings beyond the eight, ``(name, value, unit)`` with sizes in its units
    #: (see :attr:`SpecAugmentConfig.extra`).
    extra: tuple = ()

    def to_config(self, units: Units, *, convention: str, fill_db: float = -80.0) -> SpecAugmentConfig:
        """The ONE place a framework's numbers become a :class:`SpecAugmentConfig` (converted to ``units``)."""
        return SpecAugmentConfig(
            warp_frames=units.frames_in(self.W),
            freq_mask_bands=units.bands_in(self.F),
            n_freq_masks=self.mF,
            time_mask_frames=units.frames_in(self.T),
            n_time_masks=self.mT,
            max_time_ratio=self.p,
            width_ratio=self.pS,
            masks_per_frame=self.pM,
            fill=self.fill,
            fill_db=fill_db,
            convention=convention,
            extra=tuple((name, units.convert_in(value, unit), unit) for name, value, unit in self.extra),
        )


# ---------------------------------------------------------------------------------------- recipe


@dataclasses.dataclass(frozen=True)
class Recipe:
    """SpecAugment settings of one framework, in its own names and units.

    Parameters
    ----------
    framework : str
        One of :data:`melwav.frameworks.FRAMEWORKS`.
    params : dict
        The framework's parameters, every key it knows filled in (defaults included), in its own names.
    hop_ms : float
        The framework's feature hop (ms): what one of its frames lasts.
    n_mels : int
        Its mel-channel count.
    notes : tuple of str
        What the import noticed (ignored keys, things melwav cannot show).
    fields : Fields
        ``params`` as melwav's eight numbers, in the framework's units.
    field_notes : tuple of str
        What ``fields`` leaves out of ``params``.
    """

    framework: str
    params: dict
    hop_ms: float
    n_mels: int
    notes: tuple[str, ...] = ()
    fields: Fields = Fields()
    field_notes: tuple[str, ...] = ()

    def to_config(self, settings: MelSettings, *, fill_db: float = -80.0) -> SpecAugmentConfig:
        """The recipe as a config for ``settings`` (convention = the framework, units converted).

        Parameters
        ----------
        settings : MelSettings
            The current analysis: frames are converted by duration (ms), bands by share of the bank.
        fill_db : float
            Level used where the framework writes an absolute 0.
        """
        return self.fields.to_config(Units(self.hop_ms, self.n_mels, settings), convention=self.framework,
                                     fill_db=fill_db)

    def config_notes(self) -> tuple[str, ...]:
        """The import's notes plus what :meth:`to_config` leaves out."""
        return tuple(self.notes) + tuple(self.field_notes)

    def conversions(self, settings: MelSettings) -> list[dict]:
        """Each size in both units: rows ``{"name", "framework", "framework_unit", "melwav", "melwav_unit", "ms"}``.

        ``ms`` is the duration (frames) or the share of the mel bank in percent (bands).
        """
        f = self.fields
        conv = Units(self.hop_ms, self.n_mels, settings)
        rows = []
        for value, label in ((f.W, "time warp W"), (f.T, "time mask T")):
            rows.append({
                "name": label, "framework": value, "framework_unit": f"frames of {self.hop_ms:g} ms",
                "melwav": conv.frames_in(value), "melwav_unit": f"frames of {settings.hop_ms:.3g} ms",
                "ms": value * self.hop_ms,
            })
        rows.append({
            "name": "frequency mask F", "framework": f.F, "framework_unit": f"of {self.n_mels} channels",
            "melwav": conv.bands_in(f.F), "melwav_unit": f"of {settings.n_mels} bands",
            "ms": 100.0 * f.F / self.n_mels,
        })
        return rows

    def describe(self, settings: MelSettings) -> str:
        """The sizes in both units, one line each (for the app and the CLI)."""
        lines = []
        for r in self.conversions(settings):
            if r["name"] == "time mask T" and self.fields.pS > 0:
                # An adaptive width has no fixed frame count: say what it is instead of "0 frames".
                lines.append(f"time mask T: adaptive, up to {self.fields.pS:g} x the clip's length")
                continue
            extra = f"{r['ms']:g} ms" if r["name"] != "frequency mask F" else f"{r['ms']:.1f}% of the bank"
            lines.append(f"{r['name']}: {r['framework']} {r['framework_unit']} = {extra} = "
                         f"{r['melwav']} {r['melwav_unit']}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------- record notes


def fill_note(name: str, fills: tuple[str, ...], config: SpecAugmentConfig) -> list[str]:
    """A note when ``config.fill`` is not one the framework ``name`` can produce (``fills``)."""
    if config.fill in fills:
        return []
    return [f"{name} cannot fill with {config.fill!r} (it uses {' or '.join(fills)}); "
            f"shown with melwav's {config.fill!r}"]


def make_record(name: str, order: tuple[str, ...], fills: tuple[str, ...], config: SpecAugmentConfig, n_mels: int,
                n_frames: int, warp, freq, time, notes, **extra) -> AugmentRecord:
    """The :class:`AugmentRecord` of framework ``name``'s draw, with its ``order`` and a note when ``config``'s
    fill is not one of its ``fills``; ``extra`` holds the draws of its own operations."""
    return AugmentRecord(
        n_mels=n_mels, n_frames=n_frames, warp=warp, freq_masks=tuple(freq), time_masks=tuple(time),
        fill=config.fill, fill_db=config.fill_db, convention=name, order=tuple(order),
        notes=tuple(notes) + tuple(fill_note(name, fills, config)), extra=tuple(extra.items()),
    )
