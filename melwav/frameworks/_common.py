"""Machinery the framework modules share: reading text safely, checking numbers, units, the Recipe.

Nothing typed is ever executed: YAML goes through ``yaml.safe_load``, Python through :mod:`ast` with
literal arguments only. Every problem is a :class:`~melwav.errors.ParameterError` naming the key or line.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import math
import re

import numpy as np
import yaml

from ..errors import ParameterError, check_float, check_int
from ..features import MelSettings
from ..records import AugmentRecord, DrawBatch, SpecAugmentConfig

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

    @property
    def yaml(self):
        """The text as YAML, parsed once (raises :class:`ParameterError` when it is not, every time asked)."""
        if not hasattr(self, "_yaml"):
            try:
                self._yaml = (load_yaml(self.text), None)
            except ParameterError as exc:
                self._yaml = (None, exc)
        data, error = self._yaml
        if error is not None:
            raise ParameterError(str(error))
        return data

    def yaml_or_none(self):
        """The YAML, or None when the text is not YAML (for ``detect``)."""
        try:
            return self.yaml
        except ParameterError:
            return None

    def json_or_yaml(self):
        """A JSON object when the text starts as one (a ``config.json``), else :meth:`yaml_or_none`."""
        text = self.text.lstrip()
        if text.startswith("{"):
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                pass
        return self.yaml_or_none()


#: The largest recipe text melwav reads (the CLI's --config and the app's import box alike).
MAX_RECIPE_BYTES = 1_000_000
#: A YAML recipe may nest this deep (a whole NeMo model config nests about 6 levels).
MAX_YAML_DEPTH = 40
#: ... and hold this many nodes, counting every use of an alias as the nodes it stands for.
MAX_YAML_NODES = 5_000
#: ... and be at most this long (a whole ESPnet or NeMo training config is 5-20 kB; PyYAML reads ~100 kB/s).
MAX_YAML_CHARS = 100_000
#: A recipe in Python form (a lhotse or Whisper call) is at most this long: Python's parser took 2.6-16 s and
#: +450 MB on 1 MB of ``1+1+...``, and two such parses at once broke the interpreter (SystemError).
MAX_PYTHON_CHARS = 20_000
_BRACKETS = re.compile(r"[\[\]{}]")
#: Characters no recipe holds: C0 controls but tab, line feed and carriage return; DEL; C1 controls but NEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f]")


def check_text(text) -> str:
    """``text`` if it is a non-empty string of at most :data:`MAX_RECIPE_BYTES` (UTF-8) without control
    characters, else ParameterError."""
    if not isinstance(text, str):
        raise ParameterError(f"the recipe must be text, got a {type(text).__name__}")
    if len(text) > MAX_RECIPE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_RECIPE_BYTES:
        raise ParameterError(f"the recipe text is larger than {MAX_RECIPE_BYTES // 1000} kB; "
                             "paste only the SpecAugment part")
    bad = _CONTROL.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise ParameterError(f"the recipe text holds a control character (U+{ord(bad.group()):04X}) at line {line}; "
                             "paste the config as plain text")
    if not text.strip():
        raise ParameterError("the recipe text is empty")
    return text


def check_python_size(text: str, what: str) -> None:
    """Refuse Python-form recipe text past :data:`MAX_PYTHON_CHARS`, before :func:`ast.parse` sees it."""
    if len(text) > MAX_PYTHON_CHARS:
        raise ParameterError(f"{what}: {len(text)} characters; melwav reads Python recipes of at most "
                             f"{MAX_PYTHON_CHARS // 1000} kB (paste only the SpecAugment call)")


def source_snippet(text: str, node, limit: int = 60) -> str:
    """The source of ``node`` in ``text``, at most ``limit`` characters (never ``ast.unparse``: it recurses
    once per level, and ``a+a+...`` of 500 terms ran out of stack)."""
    segment = ast.get_source_segment(text, node) or ""
    return segment if len(segment) <= limit else segment[:limit] + "..."


def python_literals(text: str, wanted, *, what: str) -> dict:
    """The settings named in ``wanted`` in Python-form text, read as literals: never run.

    Keyword arguments of any call (``from_pretrained(..., mask_time_prob=0.05)``) and assignments to a name or
    an attribute (``model.config.mask_time_prob = 0.05``), each at most once. Returns ``{key: (value, call)}``,
    ``call`` the :class:`ast.Call` whose keyword set it (None for an assignment). The text is size-capped
    before it is parsed (:func:`check_python_size`); ``what`` names it in messages ("the Whisper settings").
    """
    text = text.strip()
    check_python_size(text, what)
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ParameterError(f"{what} are not valid Python at line {exc.lineno}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ParameterError(f"{what} are nested too deeply to read") from None
    out, lines = {}, {}

    def put(key, node, line, call=None):
        if key in out:
            raise ParameterError(f"line {line}: {key} is set twice (first at line {lines[key]})")
        try:
            out[key] = (ast.literal_eval(node), call)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ParameterError(f"line {line}: {key} must be a literal (number, True/False), got "
                                 f"{source_snippet(text, node)!r}; nothing was run") from None
        lines[key] = line

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in wanted:
                    put(kw.arg, kw.value, kw.value.lineno, node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                key = target.attr if isinstance(target, ast.Attribute) else (
                    target.id if isinstance(target, ast.Name) else None)
                if key in wanted:
                    put(key, node.value, node.lineno)
    return out


class _Refused(Exception):
    """Raised inside the YAML composer to stop at once; turned into a ParameterError by :func:`load_yaml`."""


class BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses deep nesting and alias expansion beyond a node budget.

    The composer pulls events from the parser as it builds nodes, so stopping it also stops the parse:
    the work done before a refusal is bounded by the budget, not by what the aliases would expand to.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}

    def _spend(self, n: int) -> None:
        self._nodes += n
        if self._nodes > MAX_YAML_NODES:
            raise _Refused(f"the YAML expands to more than {MAX_YAML_NODES} values (aliases count as what they "
                           f"repeat); a SpecAugment recipe needs a few hundred")

    def _size(self, node) -> int:
        """Nodes in ``node`` with every alias expanded (memoised: linear in the distinct nodes)."""
        key = id(node)
        if key not in self._sizes:
            self._sizes[key] = 1  # a node cannot contain itself through aliases in YAML 1.1 composition
            if isinstance(node, yaml.MappingNode):
                size = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                size = 1 + sum(self._size(v) for v in node.value)
            else:
                size = 1
            self._sizes[key] = min(size, MAX_YAML_NODES + 1)
        return self._sizes[key]

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            node = self.anchors.get(self.peek_event().anchor)
            if node is not None:
                self._spend(self._size(node))
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _Refused(f"the YAML nests deeper than {MAX_YAML_DEPTH} levels")
        try:
            self._spend(1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(text: str, *, loader: type = None, what: str = "YAML"):
    """``text`` parsed as YAML with safe types only, within :data:`MAX_YAML_DEPTH` and :data:`MAX_YAML_NODES`.

    ``loader``: a subclass of the bounded loader adding inert constructors (SpeechBrain's HyperPyYAML tags);
    ``what`` names the language in messages.
    """
    loader_cls = BoundedLoader if loader is None else loader
    if not issubclass(loader_cls, BoundedLoader):
        raise ParameterError("loader must be a subclass of the bounded YAML loader")
    if len(text) > MAX_YAML_CHARS:
        raise ParameterError(f"the {what} has {len(text)} characters; melwav reads YAML recipes of at most "
                             f"{MAX_YAML_CHARS // 1000} kB (paste only the SpecAugment part)")
    # PyYAML's scanner is quadratic in the nesting of [ and {: refuse deep brackets before it starts.
    # (Brackets inside quoted strings are counted too; no recipe has 40 of them in a row.)
    depth = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_YAML_DEPTH:
            raise ParameterError(f"the {what} nests brackets deeper than {MAX_YAML_DEPTH} levels")
    loader = None
    try:
        loader = loader_cls(text)  # its reader refuses characters YAML does not allow, at once
        return loader.get_single_data()
    except _Refused as exc:
        raise ParameterError(str(exc)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"the {what} is malformed{where}: {str(problem)[:200]}") from None
    except ParameterError:  # from a constructor (e.g. a nested reader): already one line
        raise
    except ValueError:  # e.g. an integer of more than 4300 digits
        raise ParameterError(f"the {what} holds a value melwav cannot read (a number far too long?)") from None
    except (RecursionError, MemoryError):
        raise ParameterError(f"the {what} is too deeply nested or too large to read") from None
    finally:
        if loader is not None:
            loader.dispose()


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


# ------------------------------------------------------------------------------ absolute levels


@dataclasses.dataclass(frozen=True)
class Frontend:
    """A framework's usual feature extraction, as far as it sets the absolute scale of its mel power.

    ``preemph`` is a pre-emphasis coefficient (Kaldi's 0.97: each band's power scaled by
    ``|1 - a e^{-iw}|**2`` at its centre); ``zero_db`` is where the framework's literal 0 lies, in dB re.
    mel power 1 of audio in [-1, 1] on its scale: 0 for a natural-log mel of that audio (ESPnet,
    torchaudio), -40 for Whisper's (log10 power -4 after its (x + 4) / 4), -90.3 for a Kaldi fbank of
    the waveform times 2**15 (WeNet, fairseq).
    """

    sr: int = 16000
    n_fft: int = 512
    n_mels: int = 80
    fmin: float = 0.0
    fmax: float = 8000.0
    htk: bool = False
    norm: str | None = "slaney"
    window: str = "hann"
    preemph: float = 0.0
    zero_db: float = 0.0


#: A Kaldi fbank (``torchaudio.compliance.kaldi.fbank`` of the waveform times 2**15, natural log): 25 ms
#: frames padded to 512, un-normalised triangles on the HTK mel scale from 20 Hz, pre-emphasis 0.97. Its
#: povey window is taken as a hann of 512 (within a dB in power). Its 0 is power 1 in 16-bit units.
KALDI_ZERO_DB = -20.0 * math.log10(2.0 ** 15)


def kaldi_frontend(n_mels: int = 80) -> Frontend:
    """The Kaldi fbank front end of WeNet and fairseq S2T (see :data:`KALDI_ZERO_DB`)."""
    return Frontend(sr=16000, n_fft=512, n_mels=n_mels, fmin=20.0, fmax=8000.0, htk=True, norm=None,
                    preemph=0.97, zero_db=KALDI_ZERO_DB)


def frontend_gain_db(settings: MelSettings, frontend: Frontend | None) -> float:
    """How much higher (dB) the same sound's mel power is on ``settings``' scale than on ``frontend``'s.

    Both scales are absolute (audio in [-1, 1], power STFT without normalisation, the frame's mel filters):
    a level ``x`` dB re. mel power 1 on the framework's scale is ``x + gain`` dB re. mel power 1 here.
    Approximation: the same broadband sound has the same power per Hz at both sample rates; for white noise
    of that power the expected mel power of band m is ``sigma**2 * sum(window**2) * sum_k W[m, k]``. The gain
    is the median over this analysis' bands (compared at equal centre frequency, where both banks reach) of
    the ratio. Exact for stationary noise with slaney-normalised banks on both sides (the ratio is then the
    same in every band); with an unnormalised bank (torchaudio's default) it varies with the band's width,
    and tones or peaky spectra differ by a few dB. ``frontend=None`` (melwav's own scale) gives 0.
    """
    if frontend is None:
        return 0.0
    return _gain_db(settings.sr, settings.n_fft, settings.n_mels, settings.fmin, settings.fmax_hz,
                    settings.window, frontend)


@functools.lru_cache(maxsize=64)
def _gain_db(sr, n_fft, n_mels, fmin, fmax, window, fe: Frontend) -> float:
    import librosa
    import numpy as np

    def band_db(sr_, n_fft_, n_mels_, fmin_, fmax_, window_, htk, norm, variance, preemph=0.0):
        basis = librosa.filters.mel(sr=sr_, n_fft=n_fft_, n_mels=n_mels_, fmin=fmin_, fmax=fmax_, htk=htk,
                                    norm=norm)
        win = librosa.filters.get_window(window_, n_fft_, fftbins=True)
        power = variance * float(np.sum(win ** 2)) * basis.sum(axis=1)
        centres = librosa.mel_frequencies(n_mels_ + 2, fmin=fmin_, fmax=fmax_, htk=htk)[1:-1]
        if preemph:
            power = power * (1.0 + preemph ** 2 - 2.0 * preemph * np.cos(2.0 * np.pi * centres / sr_))
        return centres, 10.0 * np.log10(np.maximum(power, 1e-30))

    c_here, db_here = band_db(sr, n_fft, n_mels, fmin, fmax, window, False, "slaney", 1.0)
    c_fw, db_fw = band_db(fe.sr, fe.n_fft, fe.n_mels, fe.fmin, min(fe.fmax, fe.sr / 2), fe.window, fe.htk,
                          fe.norm, fe.sr / sr, fe.preemph)
    both = (c_here >= c_fw[0]) & (c_here <= c_fw[-1])
    if not both.any():
        return 0.0
    return float(np.median(db_here[both] - np.interp(c_here[both], c_fw, db_fw)))


# ---------------------------------------------------------------------------------------- fields


@dataclasses.dataclass(frozen=True)
class Fields:
    """A framework's SpecAugment in melwav's eight numbers, still in the framework's units.

    W and T are frames of the framework's hop, F channels of its bank (exclusive bounds, as the framework
    draws them); mF, mT counts; p, pS, pM ratios; ``fill`` one of :data:`melwav.records.FILL_MODES`;
    ``extra`` the framework's own settings beyond these, ``(name, value, unit)`` (:attr:`SpecAugmentConfig.extra`),
    sizes in its units.
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
    #: For the ``"absolute"`` fill: the level written, in dB re. the framework's literal 0 (fairseq's
    #: ``mask_value`` v in a natural-log fbank is ``10 log10(e) * v``); the other fills take the caller's.
    fill_db: float = 0.0

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
            fill_db=self.fill_db if self.fill == "absolute" else fill_db,  # re. the framework's own 0
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
            The level for a ``"value"`` fill (dB re. the clip's peak); a framework's absolute 0 is the
            ``"absolute"`` fill at 0 dB on its own scale instead.
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


def make_batch(name: str, order: tuple[str, ...], fills: tuple[str, ...], config: SpecAugmentConfig, n_mels: int,
               n_frames: int, size: int, warp=None, freq=None, time=None, notes=(), draw_notes=(), orders=(),
               **extra) -> DrawBatch:
    """The :class:`DrawBatch` of ``size`` draws by framework ``name``'s rules (as :func:`make_record` for one):
    ``warp`` a :class:`WarpBatch`, ``freq``/``time`` :class:`MaskBatch` (None: none drawn), ``draw_notes``
    ``(note, (size,) bools)`` pairs, ``orders`` each draw's order where they differ, ``extra`` each own
    operation's list of ``size`` draws."""
    return DrawBatch(
        n_mels=n_mels, n_frames=n_frames, size=size, warp=warp, freq=freq, time=time, fill=config.fill,
        fill_db=config.fill_db, convention=name, order=tuple(order),
        notes=tuple(notes) + tuple(fill_note(name, fills, config)), draw_notes=tuple(draw_notes),
        extra=tuple(extra.items()), orders=tuple(orders),
    )


def dotted_name(node) -> str | None:
    """``a.b.c`` for an :mod:`ast` chain of attributes on a name (a callee such as ``T.SpecAugment``), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def hf_mask_params(p: dict, *, raises: str) -> dict:
    """transformers' SpecAugment keys (``apply_spec_augment``, ``mask_{time,feature}_{prob,length,min_masks}``),
    checked: Whisper's and the wav2vec2 family's, which share ``_compute_mask_indices``. ``raises`` names who
    refuses a span length below 1 ("Whisper", "transformers")."""
    out = {"apply_spec_augment": check_bool("apply_spec_augment", p["apply_spec_augment"])}
    for axis in ("time", "feature"):
        out[f"mask_{axis}_prob"] = check_number(f"mask_{axis}_prob", p[f"mask_{axis}_prob"], low=0.0, high=1.0)
        out[f"mask_{axis}_length"] = check_whole(f"mask_{axis}_length ({raises} raises below 1)",
                                                 p[f"mask_{axis}_length"], low=1, high=100_000)
        out[f"mask_{axis}_min_masks"] = check_whole(f"mask_{axis}_min_masks", p[f"mask_{axis}_min_masks"], low=0,
                                                    high=100)
    return out


def hf_span_count(prob: float, L: int, min_masks: int, length: int, S: int, eps):
    """transformers' ``compute_num_masked_span`` (inside ``_compute_mask_indices``, the same in
    ``modeling_wav2vec2.py`` and ``modeling_whisper.py``): spans of ``L`` for an input of ``length`` on an axis
    of ``S``, with the batch's one random rounding ``eps`` (a float: an int; an array: one count per value)."""
    n = np.maximum((prob * length / L + np.asarray(eps, dtype=np.float64)).astype(np.int64), min_masks)
    n = np.where(n * L > S, S // L, n)
    n = np.where(length - (L - 1) < n, max(length - (L - 1), 0), n)
    return int(n) if n.ndim == 0 else n


def distinct_starts(counts, n_positions: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per row, ``counts[i]`` distinct positions uniform in ``0..n_positions - 1`` (``rng.choice(n_positions,
    counts[i], replace=False)``, the same distribution): ``(starts, drawn)`` of shape ``(len(counts), max count)``.

    Few positions against many: rows are drawn at once and a row with a repeat is drawn again (a rejected
    row leaves the accepted ones uniform over ordered distinct tuples). Otherwise one ``choice`` per row.
    """
    counts = np.asarray(counts, dtype=np.int64)
    size, slots = len(counts), int(counts.max(initial=0))
    drawn = np.arange(slots) < counts[:, None]
    starts = np.zeros((size, slots), dtype=np.int64)
    if slots == 0:
        return starts, drawn
    if 4 * slots * slots <= n_positions:  # a repeat in under 1 row of 8
        todo = np.arange(size)
        while todo.size:
            s = rng.integers(0, n_positions, size=(todo.size, slots))
            # the slots not drawn get distinct negative values, so only drawn ones can repeat
            ordered = np.sort(np.where(drawn[todo], s, -1 - np.arange(slots)), axis=1)
            repeat = (np.diff(ordered, axis=1) == 0).any(axis=1)
            starts[todo[~repeat]] = s[~repeat]
            todo = todo[repeat]
    else:
        for i, n in enumerate(counts.tolist()):
            starts[i, :n] = rng.choice(n_positions, n, replace=False)
    return np.where(drawn, starts, 0), drawn
