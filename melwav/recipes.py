"""Import and export SpecAugment settings in the forms four training frameworks use.

- ESPnet: the ``specaug_conf`` mapping (YAML), alone or inside a whole training YAML
  (``specaug: specaug`` + ``specaug_conf:``; ``frontend_conf`` supplies the hop and mel count).
- NeMo: the ``spec_augment`` section (YAML), alone or inside a whole model config
  (``model.spec_augment``; ``model.preprocessor`` supplies ``window_stride`` and ``features``).
- torchaudio: a constructor call, ``SpecAugment(...)``, ``FrequencyMasking(...)``, ``TimeMasking(...)``
  (optionally ``T.``, ``transforms.`` or ``torchaudio.transforms.``), or a list / tuple /
  ``nn.Sequential`` of them, optionally assigned to a name.
- lingvo: ``p.name = value`` lines (also ``p.specaugment.name = value`` and other ``p.x.y.`` prefixes).

Nothing typed is ever executed: YAML goes through ``yaml.safe_load``, Python through :mod:`ast` with
literal arguments only (:func:`ast.literal_eval` per argument). Every problem is a
:class:`~melwav.errors.ParameterError` naming the key or line.

A :class:`Recipe` keeps the framework's parameters in the framework's own names and units (frames of
``hop_ms`` and channels of an ``n_mels`` bank). :meth:`Recipe.to_config` converts them to the current
analysis (same duration in ms, same share of the mel bands) as a
:class:`~melwav.augment.SpecAugmentConfig` whose ``convention`` is the framework, so melwav draws as the
framework does (:mod:`melwav.conventions` explains how each config field is read). :func:`export_recipe`
goes back. Both return notes for everything the other side cannot express.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re

import yaml

from .augment import SpecAugmentConfig
from .errors import ParameterError, check_float, check_int
from .features import MelSettings

# importlib: the package namespace may hold functions of the same names as its modules.
_conventions = importlib.import_module(".conventions", __package__)

FRAMEWORKS = ("torchaudio", "espnet", "nemo", "lingvo")


def default_units(framework: str) -> tuple[float, int]:
    """``(hop_ms, n_mels)`` of a framework's features by default (see :data:`melwav.conventions.DEFAULT_UNITS`).

    ESPnet's DefaultFrontend is 8 ms (hop 128 at 16 kHz); its LibriSpeech recipes use 10 ms (hop 160).
    torchaudio has no features of its own: 10 ms and 80 mels stand for "as the user says".
    """
    return _conventions.DEFAULT_UNITS[_check_framework(framework)]


def _check_framework(framework) -> str:
    if framework not in FRAMEWORKS:
        raise ParameterError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    return framework


# ------------------------------------------------------------------------------------- the recipe


@dataclasses.dataclass(frozen=True)
class Recipe:
    """SpecAugment settings of one framework, in its own names and units.

    Parameters
    ----------
    framework : str
        One of :data:`FRAMEWORKS`.
    params : dict
        The framework's parameters, every key it knows filled in (defaults included), in its own names.
        torchaudio: ``{"form": "SpecAugment", ...constructor arguments}`` or
        ``{"form": "list", "transforms": [{"class": ..., ...}, ...]}``.
    hop_ms : float
        The framework's feature hop (ms): what one of its frames lasts.
    n_mels : int
        Its mel-channel count.
    notes : tuple of str
        What the import noticed (ignored keys, things melwav cannot show).
    """

    framework: str
    params: dict
    hop_ms: float
    n_mels: int
    notes: tuple[str, ...] = ()

    def to_config(self, settings: MelSettings, *, fill_db: float = -80.0) -> SpecAugmentConfig:
        """The recipe as a config for ``settings`` (convention = the framework, units converted).

        Parameters
        ----------
        settings : MelSettings
            The current analysis: frames are converted by duration (ms), bands by share of the bank.
        fill_db : float
            Level used where the framework writes an absolute 0 (see :mod:`melwav.conventions`).
        """
        fields, _ = _TO_FIELDS[self.framework](self.params)
        conv = _Units(self.hop_ms, self.n_mels, settings)
        return SpecAugmentConfig(
            warp_frames=conv.frames_in(fields["W"]),
            freq_mask_bands=conv.bands_in(fields["F"]),
            n_freq_masks=fields["mF"],
            time_mask_frames=conv.frames_in(fields["T"]),
            n_time_masks=fields["mT"],
            max_time_ratio=fields["p"],
            width_ratio=fields["pS"],
            masks_per_frame=fields["pM"],
            fill=fields["fill"],
            fill_db=fill_db,
            convention=self.framework,
        )

    def config_notes(self) -> tuple[str, ...]:
        """The import's notes plus what :meth:`to_config` leaves out."""
        return tuple(self.notes) + tuple(_TO_FIELDS[self.framework](self.params)[1])

    def conversions(self, settings: MelSettings) -> list[dict]:
        """Each size in both units: rows ``{"name", "framework", "framework_unit", "melwav", "melwav_unit", "ms"}``.

        ``ms`` is the duration (frames) or the share of the mel bank in percent (bands).
        """
        fields, _ = _TO_FIELDS[self.framework](self.params)
        conv = _Units(self.hop_ms, self.n_mels, settings)
        rows = []
        for key, label in (("W", "time warp W"), ("T", "time mask T")):
            rows.append({
                "name": label, "framework": fields[key], "framework_unit": f"frames of {self.hop_ms:g} ms",
                "melwav": conv.frames_in(fields[key]), "melwav_unit": f"frames of {settings.hop_ms:.3g} ms",
                "ms": fields[key] * self.hop_ms,
            })
        rows.append({
            "name": "frequency mask F", "framework": fields["F"], "framework_unit": f"of {self.n_mels} channels",
            "melwav": conv.bands_in(fields["F"]), "melwav_unit": f"of {settings.n_mels} bands",
            "ms": 100.0 * fields["F"] / self.n_mels,
        })
        return rows

    def describe(self, settings: MelSettings) -> str:
        """The sizes in both units, one line each (for the app and the CLI)."""
        fields, _ = _TO_FIELDS[self.framework](self.params)
        lines = []
        for r in self.conversions(settings):
            if r["name"] == "time mask T" and fields["pS"] > 0:
                # An adaptive width has no fixed frame count: say what it is instead of "0 frames".
                lines.append(f"time mask T: adaptive, up to {fields['pS']:g} x the clip's length")
                continue
            extra = f"{r['ms']:g} ms" if r["name"] != "frequency mask F" else f"{r['ms']:.1f}% of the bank"
            lines.append(f"{r['name']}: {r['framework']} {r['framework_unit']} = {extra} = "
                         f"{r['melwav']} {r['melwav_unit']}")
        return "\n".join(lines)


class _Units:
    """Conversion between a framework's frames/channels and melwav's."""

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


def _units(framework: str, hop_ms, n_mels, found: tuple | None = None) -> tuple[float, int]:
    d_hop, d_mels = default_units(framework)
    f_hop, f_mels = found if found else (None, None)
    hop = hop_ms if hop_ms is not None else (f_hop if f_hop is not None else d_hop)
    mels = n_mels if n_mels is not None else (f_mels if f_mels is not None else d_mels)
    hop = check_float("hop_ms", hop, low=0.1, high=1000.0)
    mels = check_int("n_mels", mels, low=1, high=4096)
    return hop, mels


# ------------------------------------------------------------------------------------------ import


def import_recipe(text: str, *, framework: str | None = None, hop_ms: float | None = None,
                  n_mels: int | None = None) -> Recipe:
    """Read a framework's SpecAugment settings.

    Parameters
    ----------
    text : str
        ESPnet or NeMo YAML, a torchaudio constructor call, or lingvo ``p.name = value`` lines.
    framework : str, optional
        One of :data:`FRAMEWORKS`; ``None`` guesses it from the text.
    hop_ms, n_mels : optional
        The framework's feature hop (ms) and mel-channel count. ``None``: what the text says (a whole
        ESPnet or NeMo config), else :func:`default_units`.

    Returns
    -------
    Recipe

    Raises
    ------
    ParameterError
        Malformed text, an unknown framework or key, a wrong type or an out-of-range value.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("the recipe text is empty")
    if framework is None:
        framework = detect_framework(text)
    _check_framework(framework)
    params, notes, found = _PARSERS[framework](text)
    _TO_FIELDS[framework](params)  # refuse now what to_config would refuse later
    hop, mels = _units(framework, hop_ms, n_mels, found)
    return Recipe(framework, params, hop, mels, tuple(notes))


_CALL_RE = re.compile(r"^\s*(\w+\s*=\s*)?[\[(]?\s*([\w.]+\s*\()")
_LINGVO_RE = re.compile(r"^\s*p(?:\.\w+)*\.(\w+)\s*=\s*(.*?)\s*$")


def detect_framework(text: str) -> str:
    """Guess which framework's form ``text`` is in (raises :class:`ParameterError` when it cannot tell)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if lines and all(_LINGVO_RE.match(ln) for ln in lines):
        return "lingvo"
    if _CALL_RE.match(text) or re.search(r"\b(SpecAugment|FrequencyMasking|TimeMasking)\s*\(", text):
        return "torchaudio"
    data = _load_yaml(text)
    if isinstance(data, dict):
        if _find_section(data, _ESPNET_KEYS, ("specaug_conf",)) is not None:
            return "espnet"
        if _find_section(data, _NEMO_KEYS, ("model", "spec_augment"), ("spec_augment",)) is not None:
            return "nemo"
    raise ParameterError(
        "cannot tell which framework this is: expected ESPnet specaug_conf YAML, a NeMo spec_augment section, "
        "a torchaudio SpecAugment(...) call or lingvo 'p.name = value' lines"
    )


def _load_yaml(text: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ParameterError(f"the YAML is malformed{where}: {problem}") from None


def _find_section(data: dict, keys: set, *paths):
    """The mapping at one of ``paths`` in ``data``, or ``data`` itself if its keys are ``keys``."""
    for path in paths:
        node = data
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            return node
    if data and set(data) & keys and not set(data) - keys - _IGNORED_KEYS:
        return data
    return None


_IGNORED_KEYS = {"_target_"}


# --- value checks naming the key (the frameworks' own types: YAML 100 is an int, 100.0 a float)


def _int(where: str, value, low=0, high=None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{where} must be a whole number{_rng(low, high)}, got {value!r}")
    return check_int(where, value, low=low, high=high)


def _num(where: str, value, low=None, high=None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParameterError(f"{where} must be a number{_rng(low, high)}, got {value!r}")
    return check_float(where, value, low=low, high=high)


def _bool(where: str, value) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{where} must be true or false, got {value!r}")
    return value


def _rng(low, high) -> str:
    if low is not None and high is not None:
        return f" between {low:g} and {high:g}"
    return f" >= {low:g}" if low is not None else ""


def _unknown(where: str, keys, known) -> None:
    unknown = sorted(set(keys) - set(known) - _IGNORED_KEYS)
    if unknown:
        raise ParameterError(f"unknown {where} key(s): {', '.join(map(str, unknown))} "
                             f"(known: {', '.join(sorted(known))})")


# --- ESPnet

_ESPNET_DEFAULTS = {
    "apply_time_warp": True, "time_warp_window": 5, "time_warp_mode": "bicubic",
    "apply_freq_mask": True, "freq_mask_width_range": [0, 20], "num_freq_mask": 2,
    "apply_time_mask": True, "time_mask_width_range": None, "time_mask_width_ratio_range": None,
    "num_time_mask": 2, "replace_with_zero": True,
}
_ESPNET_KEYS = set(_ESPNET_DEFAULTS)
_ESPNET_MODES = ("bicubic", "bilinear", "nearest")


def _parse_espnet(text: str):
    data = _load_yaml(text)
    if not isinstance(data, dict):
        raise ParameterError("ESPnet settings must be a YAML mapping (specaug_conf or a training config)")
    notes = []
    found = None
    if "specaug_conf" in data or "specaug" in data:
        if data.get("specaug", "specaug") not in ("specaug", None):
            raise ParameterError(f"specaug: {data['specaug']!r} is not ESPnet's SpecAug (specaug: specaug)")
        conf = data.get("specaug_conf") or {}
        if not isinstance(conf, dict):
            raise ParameterError("specaug_conf must be a mapping")
        found = _espnet_units(data)
    else:
        conf = data
    return normalise_espnet(conf), notes, found


def _espnet_units(data: dict):
    fc = data.get("frontend_conf")
    if not isinstance(fc, dict):
        return None
    fs = fc.get("fs", 16000)
    if isinstance(fs, str) and re.fullmatch(r"\d+(\.\d+)?k", fs.strip()):
        fs = float(fs.strip()[:-1]) * 1000
    fs = _num("frontend_conf.fs", fs, low=1000)
    hop = fc.get("hop_length")
    hop_ms = 1000.0 * _int("frontend_conf.hop_length", hop, low=1) / fs if hop is not None else None
    mels = fc.get("n_mels")
    return hop_ms, (_int("frontend_conf.n_mels", mels, low=1) if mels is not None else None)


def _espnet_range(key: str, value, *, ratio: bool):
    if value is None:
        return None
    kind = _num if ratio else _int
    if (ratio and isinstance(value, float)) or (not ratio and isinstance(value, int) and not isinstance(value, bool)):
        value = [0.0 if ratio else 0, value]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ParameterError(f"specaug_conf.{key} must be [low, high] or a single {'float' if ratio else 'int'}, "
                             f"got {value!r}")
    lo = kind(f"specaug_conf.{key}[0]", value[0], low=0, high=1 if ratio else None)
    hi = kind(f"specaug_conf.{key}[1]", value[1], low=0, high=1 if ratio else None)
    if not hi > lo:
        raise ParameterError(f"specaug_conf.{key} must have high > low (ESPnet asserts it), got {list(value)}")
    return [lo, hi]


def normalise_espnet(conf: dict) -> dict:
    """ESPnet ``specaug_conf`` with defaults filled in and each value checked (ranges as ``[lo, hi]``)."""
    _unknown("specaug_conf", conf, _ESPNET_KEYS)
    p = {**_ESPNET_DEFAULTS, **conf}
    out = {}
    for key in ("apply_time_warp", "apply_freq_mask", "apply_time_mask", "replace_with_zero"):
        out[key] = _bool(f"specaug_conf.{key}", p[key])
    out["time_warp_window"] = _int("specaug_conf.time_warp_window", p["time_warp_window"], low=0)
    if p["time_warp_mode"] not in _ESPNET_MODES:
        raise ParameterError(f"specaug_conf.time_warp_mode must be one of {', '.join(_ESPNET_MODES)}, "
                             f"got {p['time_warp_mode']!r}")
    out["time_warp_mode"] = p["time_warp_mode"]
    out["freq_mask_width_range"] = _espnet_range("freq_mask_width_range", p["freq_mask_width_range"], ratio=False)
    out["num_freq_mask"] = _int("specaug_conf.num_freq_mask", p["num_freq_mask"], low=0)
    out["time_mask_width_range"] = _espnet_range("time_mask_width_range", p["time_mask_width_range"], ratio=False)
    out["time_mask_width_ratio_range"] = _espnet_range(
        "time_mask_width_ratio_range", p["time_mask_width_ratio_range"], ratio=True)
    out["num_time_mask"] = _int("specaug_conf.num_time_mask", p["num_time_mask"], low=0)
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


def _espnet_fields(p: dict):
    notes = []
    W = p["time_warp_window"] if p["apply_time_warp"] else 0
    if W and p["time_warp_mode"] != "bicubic":
        notes.append(f"time_warp_mode {p['time_warp_mode']!r}: melwav replays ESPnet's warp with bicubic")
    F = mF = T = mT = 0
    pS = 0.0
    if p["apply_freq_mask"]:
        lo, F = p["freq_mask_width_range"]
        mF = p["num_freq_mask"]
        if lo:
            notes.append(f"freq_mask_width_range low {lo} not shown: melwav draws ESPnet widths from 0")
    if p["apply_time_mask"]:
        mT = p["num_time_mask"]
        if p["time_mask_width_range"] is not None:
            lo, T = p["time_mask_width_range"]
        else:
            lo, pS = p["time_mask_width_ratio_range"]
        if lo:
            notes.append(f"time mask width low {lo} not shown: melwav draws ESPnet widths from 0")
    fill = "value" if p["replace_with_zero"] else "stage_mean"
    return dict(W=W, F=F, mF=mF, T=T, mT=mT, p=1.0, pS=float(pS), pM=0.0, fill=fill), notes


# --- NeMo

_NEMO_DEFAULTS = {
    "freq_masks": 0, "time_masks": 0, "freq_width": 10, "time_width": 10, "rect_masks": 0, "rect_time": 5,
    "rect_freq": 20, "mask_value": 0.0, "use_vectorized_spec_augment": True, "use_numba_spec_augment": False,
}
_NEMO_KEYS = set(_NEMO_DEFAULTS) | {"rng"}
_NEMO_TARGET = "nemo.collections.asr.modules.SpectrogramAugmentation"


def _parse_nemo(text: str):
    data = _load_yaml(text)
    if not isinstance(data, dict):
        raise ParameterError("NeMo settings must be a YAML mapping (spec_augment or a model config)")
    section = _find_section(data, _NEMO_KEYS, ("model", "spec_augment"), ("spec_augment",))
    if section is None:
        section = data  # let the key check name what is wrong
    found = None
    for root in (data.get("model"), data):
        pre = root.get("preprocessor") if isinstance(root, dict) else None
        if isinstance(pre, dict):
            stride = pre.get("window_stride")
            feats = pre.get("features")
            found = (1000.0 * _num("preprocessor.window_stride", stride, low=1e-4, high=1.0) if stride is not None
                     else None, _int("preprocessor.features", feats, low=1) if feats is not None else None)
            break
    return normalise_nemo(section), [], found


def normalise_nemo(conf: dict) -> dict:
    """NeMo ``spec_augment`` with defaults filled in and checked as NeMo does (``time_width`` int or float)."""
    _unknown("spec_augment", conf, _NEMO_KEYS)
    target = conf.get("_target_")
    if target is not None and not str(target).endswith("SpectrogramAugmentation"):
        raise ParameterError(f"spec_augment._target_ {target!r} is not NeMo's SpectrogramAugmentation")
    p = {**_NEMO_DEFAULTS, **{k: v for k, v in conf.items() if k not in ("_target_", "rng")}}
    out = {}
    for key in ("freq_masks", "time_masks", "rect_masks", "rect_time", "rect_freq"):
        out[key] = _int(f"spec_augment.{key}", p[key], low=0)
    out["freq_width"] = _int("spec_augment.freq_width (NeMo's vectorised code takes an int)", p["freq_width"], low=0)
    tw = p["time_width"]
    if isinstance(tw, bool) or not isinstance(tw, (int, float)):
        raise ParameterError(f"spec_augment.time_width must be an int (frames) or a float in [0, 1] (a ratio), "
                             f"got {tw!r}")
    if isinstance(tw, float):
        if not 0.0 <= tw <= 1.0:
            raise ParameterError(
                f"spec_augment.time_width {tw!r} is a float, which NeMo reads as a ratio and requires in [0, 1]; "
                f"write {int(tw)} (an int) for a width in frames" if tw == int(tw) and tw > 1 else
                f"spec_augment.time_width {tw!r} is a float, which NeMo reads as a ratio and requires in [0, 1]")
        out["time_width"] = tw
    else:
        out["time_width"] = _int("spec_augment.time_width", tw, low=0)
    out["mask_value"] = _num("spec_augment.mask_value", p["mask_value"])
    out["use_vectorized_spec_augment"] = _bool("spec_augment.use_vectorized_spec_augment",
                                               p["use_vectorized_spec_augment"])
    out["use_numba_spec_augment"] = _bool("spec_augment.use_numba_spec_augment", p["use_numba_spec_augment"])
    return out


def _nemo_fields(p: dict):
    notes = []
    if p["rect_masks"]:
        notes.append(f"rect_masks = {p['rect_masks']}: NeMo's SpecCutout rectangles are not shown")
    if not p["use_vectorized_spec_augment"] or p["use_numba_spec_augment"]:
        notes.append("only NeMo's default vectorised code is reproduced (the legacy and numba paths draw widths "
                     "0..width inclusive)")
    if p["mask_value"] != 0.0:
        notes.append(f"mask_value {p['mask_value']:g} (in per-feature standard deviations) is shown as the mean")
    adaptive = isinstance(p["time_width"], float)
    return dict(W=0, F=p["freq_width"], mF=p["freq_masks"], T=0 if adaptive else p["time_width"],
                mT=p["time_masks"], p=1.0, pS=p["time_width"] if adaptive else 0.0, pM=0.0, fill="mean"), notes


# --- torchaudio

_TA_SIGNATURES = {
    "SpecAugment": ("n_time_masks", "time_mask_param", "n_freq_masks", "freq_mask_param", "iid_masks", "p",
                    "zero_masking"),
    "FrequencyMasking": ("freq_mask_param", "iid_masks"),
    "TimeMasking": ("time_mask_param", "iid_masks", "p"),
}
_TA_DEFAULTS = {
    "SpecAugment": {"iid_masks": True, "p": 1.0, "zero_masking": False},
    "FrequencyMasking": {"iid_masks": False},
    "TimeMasking": {"iid_masks": False, "p": 1.0},
}
_TA_PREFIXES = ("", "T.", "transforms.", "torchaudio.transforms.", "AT.", "TA.")
_SEQ_NAMES = ("Sequential", "nn.Sequential", "torch.nn.Sequential")


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _parse_torchaudio(text: str):
    try:
        tree = ast.parse(text.strip(), mode="exec")
    except SyntaxError as exc:
        raise ParameterError(f"the torchaudio call is not valid Python at line {exc.lineno}: {exc.msg}") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Expr, ast.Assign)):
        raise ParameterError("give one torchaudio expression: SpecAugment(...), FrequencyMasking(...), "
                             "TimeMasking(...) or a list of them (optionally 'name = ...')")
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign) and not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        raise ParameterError(f"line {stmt.lineno}: only 'name = SpecAugment(...)' assignments are accepted")
    node = stmt.value
    if isinstance(node, ast.Call) and _dotted(node.func) in _SEQ_NAMES:
        if node.keywords:
            raise ParameterError(f"line {node.lineno}: Sequential takes the transforms as positional arguments")
        items = node.args
    elif isinstance(node, (ast.List, ast.Tuple)):
        items = node.elts
    else:
        items = [node]
    transforms = [_ta_call(item) for item in items]
    if not transforms:
        raise ParameterError("the torchaudio list is empty")
    if len(transforms) == 1 and transforms[0]["class"] == "SpecAugment":
        params = {"form": "SpecAugment", **{k: v for k, v in transforms[0].items() if k != "class"}}
    else:
        if any(t["class"] == "SpecAugment" for t in transforms):
            raise ParameterError("mix SpecAugment(...) with FrequencyMasking/TimeMasking: give one SpecAugment "
                                 "or a list of FrequencyMasking/TimeMasking")
        params = {"form": "list", "transforms": transforms}
    return normalise_torchaudio(params), [], None


def _ta_call(node) -> dict:
    line = getattr(node, "lineno", 1)
    allowed = "SpecAugment(...), FrequencyMasking(...) or TimeMasking(...) with literal arguments"
    if not isinstance(node, ast.Call):
        raise ParameterError(f"line {line}: expected {allowed}, got {ast.unparse(node)[:60]!r}")
    name = _dotted(node.func)
    cls = None
    for prefix in _TA_PREFIXES:
        if name is not None and name.startswith(prefix) and name[len(prefix):] in _TA_SIGNATURES:
            cls = name[len(prefix):]
            break
    if cls is None:
        raise ParameterError(f"line {line}: only {allowed} are accepted, got a call to "
                             f"{ast.unparse(node.func)[:60]!r}; nothing was run")
    sig = _TA_SIGNATURES[cls]
    if len(node.args) > len(sig):
        raise ParameterError(f"line {line}: {cls} takes at most {len(sig)} positional arguments")
    out = {"class": cls}
    pairs = list(zip(sig, node.args)) + [(kw.arg, kw.value) for kw in node.keywords]
    for key, value in pairs:
        if key is None:
            raise ParameterError(f"line {line}: {cls}(**...) is not accepted; write the arguments out")
        if key not in sig:
            raise ParameterError(f"line {line}: unknown {cls} argument {key!r} (known: {', '.join(sig)})")
        if key in out:
            raise ParameterError(f"line {line}: {cls} argument {key!r} given twice")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError):
            raise ParameterError(f"line {line}: {cls} argument {key}= must be a literal (number, True/False), "
                                 f"got {ast.unparse(value)[:60]!r}; nothing was run") from None
    return out


def _ta_check(t: dict, cls: str) -> dict:
    out = {"class": cls} if cls != "SpecAugment" else {}
    p = {**_TA_DEFAULTS[cls], **{k: v for k, v in t.items() if k != "class" and k != "form"}}
    missing = [k for k in _TA_SIGNATURES[cls] if k not in p]
    if missing:
        raise ParameterError(f"{cls} needs {', '.join(missing)}")
    for key in _TA_SIGNATURES[cls]:
        where = f"{cls} {key}"
        if key in ("iid_masks", "zero_masking"):
            out[key] = _bool(where, p[key])
        elif key == "p":
            out[key] = _num(where, p[key], low=0.0, high=1.0)
        else:
            out[key] = _int(where, p[key], low=0)
    return out


def normalise_torchaudio(params: dict) -> dict:
    """torchaudio parameters with defaults filled in and checked (``form`` SpecAugment or list)."""
    if params.get("form") == "SpecAugment":
        return {"form": "SpecAugment", **_ta_check(params, "SpecAugment")}
    if params.get("form") == "list":
        return {"form": "list", "transforms": [_ta_check(t, t.get("class")) if t.get("class") in _TA_SIGNATURES
                                               else _bad_class(t) for t in params["transforms"]]}
    raise ParameterError(f"torchaudio form must be 'SpecAugment' or 'list', got {params.get('form')!r}")


def _bad_class(t):
    raise ParameterError(f"unknown torchaudio transform {t.get('class')!r}")


def _torchaudio_fields(p: dict):
    notes = []
    if p["form"] == "SpecAugment":
        fill = "value" if p["zero_masking"] else "mean"
        return dict(W=0, F=p["freq_mask_param"], mF=p["n_freq_masks"], T=p["time_mask_param"],
                    mT=p["n_time_masks"], p=p["p"], pS=0.0, pM=0.0, fill=fill), notes
    freqs = [t for t in p["transforms"] if t["class"] == "FrequencyMasking"]
    times = [t for t in p["transforms"] if t["class"] == "TimeMasking"]
    for group, key in ((freqs, "freq_mask_param"), (times, "time_mask_param"), (times, "p")):
        values = sorted({t[key] for t in group})
        if len(values) > 1:
            raise ParameterError(f"the {group[0]['class']} calls differ in {key} ({', '.join(map(str, values))}); "
                                 f"melwav draws them with one value")
    F = freqs[0]["freq_mask_param"] if freqs else 0
    T = times[0]["time_mask_param"] if times else 0
    pp = times[0]["p"] if times else 1.0
    if pp < 1.0 and freqs:
        notes.append(f"TimeMasking p = {pp:g} does not cap FrequencyMasking, but melwav's torchaudio convention "
                     f"(SpecAugment's rule) caps both")
    notes.append("FrequencyMasking/TimeMasking fill with mask_value (0.0 by default)")
    return dict(W=0, F=F, mF=len(freqs), T=T, mT=len(times), p=pp, pS=0.0, pM=0.0, fill="value"), notes


# --- lingvo

_LINGVO_DEFAULTS = {
    "freq_mask_max_bins": 15, "freq_mask_count": 1, "use_dynamic_time_mask_max_frames": False,
    "time_mask_max_frames": 50, "time_mask_count": 1, "time_mask_max_ratio": 1.0, "time_masks_per_frame": 0.0,
    "freq_warp_max_bins": 0, "time_warp_bound": "static", "time_warp_max_frames": 0, "time_warp_max_ratio": 0.0,
    "use_noise": False, "gaussian_noise": False, "freq_noise_max_stddev": 0.0, "freq_noise_warmup_steps": 0,
    "unstack": False, "stack_height": 3, "use_input_dependent_random_seed": False,
}
_LINGVO_IGNORED = {"name", "random_seed", "dtype", "fprop_dtype", "domain_ids"}


def _parse_lingvo(text: str):
    conf = {}
    lines = {}
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINGVO_RE.match(_strip_comment(line))
        if not m:
            raise ParameterError(f"line {i}: expected 'p.name = value', got {stripped[:60]!r}")
        key, value_text = m.group(1), m.group(2)
        if key not in _LINGVO_DEFAULTS and key not in _LINGVO_IGNORED:
            raise ParameterError(f"line {i}: unknown SpectrumAugmenter parameter {key!r}")
        try:
            value = ast.literal_eval(value_text)
        except (ValueError, SyntaxError, TypeError):
            raise ParameterError(f"line {i}: {key} must be a literal (number, True/False, 'string'), "
                                 f"got {value_text[:60]!r}; nothing was run") from None
        if key in _LINGVO_IGNORED:
            continue
        conf[key] = value
        lines[key] = i
    if not conf:
        raise ParameterError("no lingvo 'p.name = value' lines found")
    try:
        return normalise_lingvo(conf), [], None
    except ParameterError as exc:
        key = next((k for k in lines if f"{k} " in str(exc) or str(exc).startswith(k)), None)
        if key is not None:
            raise ParameterError(f"line {lines[key]}: {exc}") from None
        raise


def _strip_comment(line: str) -> str:
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


def normalise_lingvo(conf: dict) -> dict:
    """lingvo ``SpectrumAugmenter`` parameters with defaults filled in and checked."""
    _unknown("SpectrumAugmenter", conf, set(_LINGVO_DEFAULTS))
    p = {**_LINGVO_DEFAULTS, **conf}
    out = {}
    for key, default in _LINGVO_DEFAULTS.items():
        v = p[key]
        if isinstance(default, bool):
            out[key] = _bool(key, v)
        elif isinstance(default, int):
            out[key] = _int(key, v, low=0)
        elif isinstance(default, float):
            out[key] = _num(key, v, low=0.0, high=1.0 if key in ("time_mask_max_ratio", "time_masks_per_frame",
                                                                  "time_warp_max_ratio") else None)
        else:
            out[key] = v
    if out["time_warp_bound"] not in ("static", "dynamic"):
        raise ParameterError(f"time_warp_bound must be 'static' or 'dynamic', got {out['time_warp_bound']!r}")
    return out


def _lingvo_fields(p: dict):
    notes = []
    W = 0
    if p["time_warp_max_ratio"] > 0:
        if p["time_warp_bound"] == "dynamic":
            notes.append("time_warp_bound='dynamic' is not shown (no time warp)")
        elif p["time_warp_max_frames"]:
            W = p["time_warp_max_frames"]
            if p["time_warp_max_ratio"] < 1.0:
                notes.append(f"time_warp_max_ratio {p['time_warp_max_ratio']:g} (a cap of +-int(ratio * length)) "
                             f"is not shown: melwav uses 1.0")
    elif p["time_warp_max_frames"]:
        notes.append("time_warp_max_ratio is 0, which turns lingvo's time warp off")
    dynamic = p["use_dynamic_time_mask_max_frames"]
    ratio = p["time_mask_max_ratio"]
    for key, what in (("freq_warp_max_bins", "frequency warp"), ("freq_noise_max_stddev", "frequency noise")):
        if p[key]:
            notes.append(f"{key} = {p[key]:g}: lingvo's {what} is not shown")
    if p["use_noise"]:
        notes.append("use_noise: the noise lingvo adds in time-masked regions is not shown")
    if p["unstack"]:
        notes.append("unstack: lingvo's frame unstacking is not shown")
    return dict(W=W, F=p["freq_mask_max_bins"], mF=p["freq_mask_count"], T=p["time_mask_max_frames"],
                mT=p["time_mask_count"], p=ratio, pS=ratio if dynamic else 0.0, pM=p["time_masks_per_frame"],
                fill="mean"), notes


_PARSERS = {"espnet": _parse_espnet, "nemo": _parse_nemo, "torchaudio": _parse_torchaudio, "lingvo": _parse_lingvo}
_TO_FIELDS = {"espnet": _espnet_fields, "nemo": _nemo_fields, "torchaudio": _torchaudio_fields,
              "lingvo": _lingvo_fields}


# ------------------------------------------------------------------------------------------ export


def export_recipe(config: SpecAugmentConfig, *, settings: MelSettings, framework: str,
                  hop_ms: float | None = None, n_mels: int | None = None) -> tuple[str, list[str]]:
    """Write ``config`` as ``framework``'s fragment, in the same forms :func:`import_recipe` reads.

    Parameters
    ----------
    config : SpecAugmentConfig
        In ``settings``' frames and bands. Under ``convention="melwav"`` widths are inclusive
        (``0..F``), so the exclusive framework bound is ``F + 1`` (and ``T + 1``); a config in a
        framework's convention is exported with its numbers as they are (converted in units only).
    settings : MelSettings
        The analysis the config's frames and bands belong to.
    framework : str
        One of :data:`FRAMEWORKS`.
    hop_ms, n_mels : optional
        The target's feature hop (ms) and mel channels; default :func:`default_units`.

    Returns
    -------
    text : str
        ESPnet: ``specaug: specaug`` + ``specaug_conf:`` YAML; NeMo: a ``spec_augment:`` YAML section;
        torchaudio: a ``torchaudio.transforms.SpecAugment(...)`` call (or a list of
        ``FrequencyMasking``/``TimeMasking`` for an adaptive width); lingvo: ``p.name = value`` lines.
    notes : list of str
        One line for each thing the target cannot express or draws differently.
    """
    _check_framework(framework)
    if not isinstance(config, SpecAugmentConfig):
        raise ParameterError("config must be a SpecAugmentConfig")
    hop, mels = _units(framework, hop_ms, n_mels)
    u = _Units(hop, mels, settings)
    notes: list[str] = []
    inclusive = config.convention == "melwav"
    src = config.convention
    if src not in ("melwav", framework):
        notes.append(f"the config follows {src}'s drawing rules; its numbers are exported as they are, but "
                     f"{framework} draws them by its own rules")
    plus = 1 if inclusive else 0
    F = u.bands_out(config.freq_mask_bands) + plus if config.n_freq_masks and config.freq_mask_bands else 0
    T = u.frames_out(config.time_mask_frames) + plus if config.time_mask_frames else 0
    W = u.frames_out(config.warp_frames)
    mF = config.n_freq_masks if F else 0
    mT = config.n_time_masks
    if inclusive and (F or T):
        notes.append("melwav draws widths 0..F and 0..T inclusive; the framework excludes its top, so F + 1 and "
                     "T + 1 are exported")
    text = _WRITERS[framework](config, W=W, F=F, mF=mF, T=T, mT=mT, notes=notes, inclusive=inclusive)
    return text, notes


def _export_espnet(c, *, W, F, mF, T, mT, notes, inclusive):
    conf = {}
    conf["apply_time_warp"] = bool(W)
    if W:
        conf["time_warp_window"] = W
        conf["time_warp_mode"] = "bicubic"
        if c.convention != "espnet":
            notes.append("ESPnet's warp differs: anchor in W..n-W-1, displacement -W+1..W, bicubic resize of the "
                         "two sides, none when n <= 2W")
    conf["apply_freq_mask"] = bool(F and mF)
    if F and mF:
        conf["freq_mask_width_range"] = [0, F]
        conf["num_freq_mask"] = mF
    has_time = bool(mT and (T or c.width_ratio))
    conf["apply_time_mask"] = has_time
    if has_time:
        if c.width_ratio > 0:
            conf["time_mask_width_ratio_range"] = [0.0, float(c.width_ratio)]
            if inclusive:
                notes.append("ESPnet's ratio widths are 0..floor(n * pS) - 1, one less than melwav's 0..floor(n * pS)")
        else:
            conf["time_mask_width_range"] = [0, T]
        conf["num_time_mask"] = mT
    if not (conf["apply_time_warp"] or conf["apply_freq_mask"] or conf["apply_time_mask"]):
        notes.append("nothing to apply: ESPnet refuses a SpecAug that applies nothing (leave specaug out)")
    if c.max_time_ratio < 1.0 and not c.width_ratio:
        notes.append(f"ESPnet has no p beside an absolute T: p = {c.max_time_ratio:g} dropped")
    if c.masks_per_frame:
        notes.append(f"ESPnet has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    conf["replace_with_zero"] = c.fill in ("value", "floor")
    if c.fill in ("mean", "floor"):
        notes.append(f"ESPnet cannot fill with {c.fill!r}: "
                     + ("replace_with_zero: false (the mean, recomputed per stage)" if c.fill == "mean"
                        else "replace_with_zero: true (0 in its log-mel)"))
    return yaml.safe_dump({"specaug": "specaug", "specaug_conf": conf}, sort_keys=False, default_flow_style=None)


def _export_nemo(c, *, W, F, mF, T, mT, notes, inclusive):
    if W:
        notes.append(f"NeMo has no time warp: W = {c.warp_frames} dropped")
    conf = {"_target_": _NEMO_TARGET, "freq_masks": mF, "time_masks": mT, "freq_width": F}
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
    if c.fill not in ("mean", "stage_mean", "value"):
        notes.append(f"NeMo fills 0.0 on normalised features (each band's mean), not {c.fill!r}")
    elif c.fill == "value":
        notes.append("mask_value: 0.0 is the per-band mean of NeMo's normalised features")
    return yaml.safe_dump({"spec_augment": conf}, sort_keys=False, default_flow_style=None)


def _export_torchaudio(c, *, W, F, mF, T, mT, notes, inclusive):
    if W:
        notes.append(f"torchaudio has no time warp: W = {c.warp_frames} dropped")
    if c.masks_per_frame:
        notes.append(f"torchaudio has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    zero = c.fill in ("value", "floor")
    if c.fill in ("floor", "stage_mean"):
        notes.append(f"torchaudio cannot fill with {c.fill!r}: zero_masking={zero}")
    if c.width_ratio > 0:
        # The documented workaround: a bound above any clip length, with p = pS, on TimeMasking alone.
        notes.append(f"adaptive width pS = {c.width_ratio:g} written as TimeMasking(time_mask_param={_TA_HUGE}, "
                     f"p={c.width_ratio:g}): widths 0..int(pS * n) - 1 for clips under {_TA_HUGE} frames; the "
                     f"masks fill with 0 (mask_value)")
        items = [f"torchaudio.transforms.FrequencyMasking(freq_mask_param={F})"] * (mF if F else 0)
        items += [f"torchaudio.transforms.TimeMasking(time_mask_param={_TA_HUGE}, p={float(c.width_ratio)!r})"] * mT
        return "[" + ", ".join(items) + "]"
    p = float(c.max_time_ratio)
    if p < 1.0 and F:
        notes.append(f"torchaudio's SpecAugment applies p = {p:g} to the frequency masks too")
    if inclusive and p < 1.0:
        notes.append("torchaudio's p bound is exclusive: widths up to int(p * n) - 1")
    return (f"torchaudio.transforms.SpecAugment(n_time_masks={mT}, time_mask_param={T}, n_freq_masks={mF}, "
            f"freq_mask_param={F}, iid_masks=True, p={p!r}, zero_masking={zero})")


_TA_HUGE = 10000


def _export_lingvo(c, *, W, F, mF, T, mT, notes, inclusive):
    dynamic = c.width_ratio > 0
    ratio = float(c.width_ratio) if dynamic else float(c.max_time_ratio)
    if dynamic and c.max_time_ratio < 1.0 and c.max_time_ratio != c.width_ratio:
        notes.append(f"lingvo's dynamic width uses one ratio for pS and p: p = {c.max_time_ratio:g} dropped")
    if c.fill not in ("mean",):
        notes.append(f"lingvo always multiplies by 0 (the mean of normalised features), not {c.fill!r}")
    if c.masks_per_frame and inclusive:
        notes.append("lingvo counts ceil(pM * n) masks, melwav floor(pM * n)")
    if W and c.convention != "lingvo":
        notes.append("lingvo's warp fixes frames 0 and n (melwav's: 0 and n - 1); anchor in 1..n-2")
    lines = {
        "freq_mask_max_bins": F, "freq_mask_count": mF,
        "time_mask_max_frames": T, "time_mask_count": mT, "time_mask_max_ratio": ratio,
        "use_dynamic_time_mask_max_frames": dynamic, "time_masks_per_frame": float(c.masks_per_frame),
        "time_warp_bound": "static", "time_warp_max_frames": W, "time_warp_max_ratio": 1.0 if W else 0.0,
    }
    return "\n".join(f"p.{k} = {v!r}" for k, v in lines.items()) + "\n"


_WRITERS = {"espnet": _export_espnet, "nemo": _export_nemo, "torchaudio": _export_torchaudio,
            "lingvo": _export_lingvo}

__all__ = ["FRAMEWORKS", "Recipe", "default_units", "detect_framework", "export_recipe", "import_recipe"]
