"""Training frameworks' SpecAugment: one module per framework, behind this small registry.

Each module (``torchaudio``, ``espnet``, ``nemo``, ``lingvo``, ``whisper``, ``wenet``, ``fairseq``, ``lhotse``,
``speechbrain``, ``wav2vec2``) holds ALL of one framework's rules, as read
from its source code, and nothing else imports a framework's details. Adding a framework is one new file
with the interface below, imported here and listed in ``_MODULES``. Nothing registers itself on import.

The interface of a framework module
-----------------------------------
``NAME`` : str
    The name used everywhere (``SpecAugmentConfig.convention``, ``--framework``, the app's dropdown).
``UNITS`` : (float, int)
    Its features' default hop (ms) and mel-channel count: the units of its frames and channels.
``ORDER`` : tuple of str
    Its order of operations, as recorded in ``AugmentRecord.order`` (``"warp"``, ``"freq"``, ``"time"``,
    plus any operation of its own, see ``OPERATIONS``).
``FILLS`` : tuple of str
    The fill modes (:data:`melwav.records.FILL_MODES`) it can produce; another is drawn with a note.
``FRONTEND`` : Frontend or None
    Its usual feature extraction (:class:`._common.Frontend`), which sets the absolute scale of its
    ``"absolute"`` fill (its literal 0); None when it never writes an absolute level.
``detect(source) -> int``
    How sure it is that the text is its form (0: not mine); the highest score wins, ties go to the earlier
    module. ``source`` is a :class:`._common.Source` (``.text``, ``.lines``, ``.yaml`` parsed once, bounded).
``parse(source) -> (params, notes, found)``
    Its parameters in its own names and units, every key filled in and checked (:class:`ParameterError`
    naming the key), notes, and ``(hop_ms, n_mels)`` when the text says them (else ``None``).
``fields(params) -> (Fields, notes)``
    The parameters as melwav's eight numbers, still in its own units (:class:`._common.Fields`);
    :meth:`Fields.to_config` is the only place a :class:`SpecAugmentConfig` is built from a framework.
``draw_many(config, *, n_mels, n_frames, rng, size) -> DrawBatch``
    ``size`` draws by its rules for utterances of one length, at once on numpy arrays (config in the current
    analysis' frames and bands; :func:`._common.make_batch`). The rule is written here, once.
``draw(config, *, n_mels, n_frames, rng) -> AugmentRecord``
    One draw, for one utterance: ``draw_many(..., size=1).record(0)``. (A module with only ``draw`` still
    works: :func:`melwav.specaugment.draw_many` then draws its utterances one at a time.)
``WARPS`` : dict
    ``{interpolation name: apply(L, warp) -> L}`` for the warps its ``draw`` records (may be empty).
``OPERATIONS`` : dict
    Its own operations beyond warp and masks: ``{name: apply(L, drawn, *, value) -> L}``. ``draw`` stores
    what it drew for ``name`` in the record's ``extra`` (a JSON-able value) and puts ``name`` in ``order``;
    :func:`melwav.specaugment.apply` calls the function at that point of the order with the mask fill level.
``export(config, *, W, F, mF, T, mT, notes, inclusive) -> str``
    Its text form of a config whose sizes (W, F, T) are already in its units; appends to ``notes`` what it
    cannot express. A framework whose configs carry settings of their own (``SpecAugmentConfig.extra``)
    also takes ``extra={name: value}``: passed only for a config of its own convention that has them,
    sizes converted to its units.
``fill_explanation(fill, fill_db) -> str``
    One sentence for the listener: what it writes into a mask and how melwav plays it.
``FILL_AFTER_WARP`` : bool, optional
    True when its ``"mean"`` fill is the mean of the warped features (lhotse); absent: before the warp.

Shared machinery (bounded YAML, literal reading, unit conversion, the :class:`Recipe`, number checks) is
in :mod:`melwav.frameworks._common`. This package imports :mod:`melwav.records`, :mod:`melwav.features` and
:mod:`melwav.errors` only; :mod:`melwav.specaugment` calls it (never the other way round).
"""

from __future__ import annotations

import re

from ..errors import ParameterError, RecordError
from ..features import MelSettings
from ..records import SpecAugmentConfig
from . import espnet, fairseq, lhotse, lingvo, nemo, speechbrain, torchaudio, wav2vec2, wenet, whisper
from ._common import MAX_RECIPE_BYTES, Frontend, Recipe, Source, Units, check_text, frontend_gain_db, resolve_units

_MODULES = (torchaudio, espnet, nemo, lingvo, whisper, wenet, fairseq, lhotse, speechbrain, wav2vec2)
#: The frameworks melwav knows, in the order of the menus.
FRAMEWORKS = tuple(m.NAME for m in _MODULES)
_BY_NAME = {m.NAME: m for m in _MODULES}

__all__ = ["FRAMEWORKS", "MAX_RECIPE_BYTES", "Recipe", "get", "default_units", "detect_framework", "import_recipe", "export_recipe",
           "fill_explanation", "warp_function", "apply_operation", "fill_after_warp", "native_settings", "absolute_gain_db", "Frontend"]


def get(name: str):
    """The module of framework ``name`` (raises :class:`ParameterError` naming the allowed names)."""
    module = _BY_NAME.get(name) if isinstance(name, str) else None
    if module is None:
        shown = repr(name) if isinstance(name, str) and len(name) <= 40 else f"a {type(name).__name__}"
        raise ParameterError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {shown}")
    return module


def default_units(framework: str) -> tuple[float, int]:
    """``(hop_ms, n_mels)`` of a framework's features by default (its module's ``UNITS``).

    ESPnet's DefaultFrontend is 8 ms (hop 128 at 16 kHz); its LibriSpeech recipes use 10 ms (hop 160).
    torchaudio has no features of its own: 10 ms and 80 mels stand for "as the user says".
    """
    return get(framework).UNITS


#: The analysis melwav assumes for a framework without a front end of its own (lingvo, lhotse, NeMo, the wav2vec2
#: family, ...): 16 kHz and a 25 ms window (400 samples), the Kaldi / torchaudio fbank convention.
NATIVE_SR, NATIVE_N_FFT = 16000, 400


def native_settings(recipe: Recipe) -> MelSettings:
    """The framework's own analysis for ``recipe``: its sample rate, FFT size, hop and mel count.

    At these settings one melwav frame is one of the framework's frames and one band one of its channels, so a
    draw uses the recipe's numbers as they are (ESPnet's W = 5 stays 5, not 2 at 23.2 ms frames) and an export
    writes them back unchanged. The rate, FFT size and band edges are the module's ``FRONTEND`` (else
    :data:`NATIVE_SR` and :data:`NATIVE_N_FFT`); the hop is the recipe's ``hop_ms`` in samples, the mel count
    its ``n_mels``.

    Raises
    ------
    ParameterError
        When the recipe's hop is not a whole number of samples at that rate, or the analysis is out of range
        (e.g. a hop longer than the FFT).
    """
    if not isinstance(recipe, Recipe):
        raise ParameterError("recipe must be a Recipe (from import_recipe)")
    frontend = getattr(get(recipe.framework), "FRONTEND", None)
    sr = frontend.sr if frontend is not None else NATIVE_SR
    n_fft = frontend.n_fft if frontend is not None else NATIVE_N_FFT
    hop = recipe.hop_ms * sr / 1000.0
    if abs(hop - round(hop)) > 1e-6:
        raise ParameterError(f"the {recipe.framework} recipe's hop of {recipe.hop_ms:g} ms is not a whole number of "
                             f"samples at {sr} Hz: give --framework-hop-ms")
    hop = int(round(hop))
    n_fft = max(n_fft, hop)  # a hop longer than the usual window: the window grows to it (no sample skipped)
    fmax = frontend.fmax if frontend is not None and frontend.fmax else None
    return MelSettings(sr=sr, n_fft=n_fft, hop_length=hop, n_mels=recipe.n_mels,
                       fmin=frontend.fmin if frontend is not None else 0.0, fmax=fmax)


def warp_function(interpolation: str):
    """The function applying a framework warp recorded with ``interpolation`` (raises :class:`RecordError`)."""
    for m in _MODULES:
        if interpolation in m.WARPS:
            return m.WARPS[interpolation]
    raise RecordError(f"unknown warp interpolation {interpolation!r}")


def absolute_gain_db(convention: str, settings: MelSettings) -> float:
    """dB to add to a level in dB re. ``convention``'s literal 0 (on its absolute mel scale, see
    :class:`Frontend` ``zero_db``) to put it in dB re. mel power 1 on ``settings``' scale (0 for melwav)."""
    frontend = getattr(_BY_NAME.get(convention), "FRONTEND", None)
    return frontend_gain_db(settings, frontend) + (frontend.zero_db if frontend is not None else 0.0)


def fill_after_warp(convention: str) -> bool:
    """Whether ``convention``'s ``"mean"`` fill is taken after its warp (its module's ``FILL_AFTER_WARP``)."""
    return bool(getattr(_BY_NAME.get(convention), "FILL_AFTER_WARP", False))


def apply_operation(convention: str, operation: str, L, drawn, *, value: float):
    """Apply framework ``convention``'s own ``operation`` (what was ``drawn``) to ``L``."""
    module = _BY_NAME.get(convention)
    if module is None or operation not in module.OPERATIONS:
        raise RecordError(f"the record's operation {operation!r} is not one of {convention!r}'s")
    return module.OPERATIONS[operation](L, drawn, value=value)


# ------------------------------------------------------------------------------------------ import


def detect_framework(text: str) -> str:
    """Guess which framework's form ``text`` is in (raises :class:`ParameterError` when it cannot tell)."""
    return _detect(Source(check_text(text)))


def _detect(source: Source) -> str:
    best, best_score = None, 0
    for m in _MODULES:
        score = m.detect(source)
        if score > best_score:
            best, best_score = m.NAME, score
    if best is None:
        source.yaml  # noqa: B018  (text that is neither of the forms nor YAML: say where the YAML breaks)
        raise ParameterError(
            f"cannot tell which framework this is: expected the SpecAugment settings of {', '.join(FRAMEWORKS)} "
            f"(e.g. ESPnet specaug_conf YAML, a torchaudio SpecAugment(...) call); or give the framework"
        )
    return best


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
        ESPnet or NeMo config, or the first line of melwav's own export), else :func:`default_units`.

    Returns
    -------
    Recipe

    Raises
    ------
    ParameterError
        Malformed text, an unknown framework or key, a wrong type or an out-of-range value; text over
        :data:`MAX_RECIPE_BYTES`, nested too deeply or whose YAML aliases expand too far (the work done
        before such a refusal is bounded, whatever the text).
    """
    source = Source(check_text(text))
    if framework is None:
        framework = _detect(source)
    module = get(framework)
    params, notes, found = module.parse(source)
    fields, field_notes = module.fields(params)
    if found is None:  # our own export names its units in its first line
        head = _EXPORT_HEAD.match(text)
        found = (float(head.group(2)), int(head.group(3))) if head and head.group(1) == module.NAME else None
    hop, mels = resolve_units(module.UNITS, hop_ms, n_mels, found)
    return Recipe(module.NAME, params, hop, mels, tuple(notes), fields, tuple(field_notes))


# ------------------------------------------------------------------------------------------ export

_EXPORT_HEAD = re.compile(r"# melwav export for (\w+): sizes in frames of ([0-9.]+) ms and channels of a (\d+)-channel")


def export_recipe(config: SpecAugmentConfig, *, settings: MelSettings, framework: str,
                  hop_ms: float | None = None, n_mels: int | None = None,
                  recipe: Recipe | None = None) -> tuple[str, list[str]]:
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
        The target's feature hop (ms) and mel channels; default: ``recipe``'s when it is the same
        framework's, else :func:`default_units`.
    recipe : Recipe, optional
        The recipe ``config`` came from (:meth:`Recipe.to_config`). Each of W, F and T that still has the
        value the recipe converts to is written as the recipe's own number, so import -> export -> import
        gives the recipe back at any analysis (the conversion to this analysis' frames rounds); a changed
        value is converted.

    Returns
    -------
    text : str
        The framework's text form (see each module's ``export``), headed by a comment line naming the
        frame length (ms) and channel count its sizes are in.
    notes : list of str
        One line for each thing the target cannot express or draws differently.
    """
    module = get(framework)
    if not isinstance(config, SpecAugmentConfig):
        raise ParameterError("config must be a SpecAugmentConfig")
    if recipe is not None and not isinstance(recipe, Recipe):
        raise ParameterError("recipe must be a Recipe (from import_recipe)")
    own = recipe is not None and recipe.framework == module.NAME and config.convention == module.NAME
    hop, mels = resolve_units((recipe.hop_ms, recipe.n_mels) if own else module.UNITS, hop_ms, n_mels)
    own = own and (hop, mels) == (recipe.hop_ms, recipe.n_mels)
    u = Units(hop, mels, settings)
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
    if own:  # the recipe's own numbers where the config still has what they convert to
        f = recipe.fields
        W = f.W if u.frames_in(f.W) == config.warp_frames else W
        T = f.T if u.frames_in(f.T) == config.time_mask_frames else T
        if config.n_freq_masks and u.bands_in(f.F) == config.freq_mask_bands:
            F = f.F
    mF = config.n_freq_masks if F else 0
    mT = config.n_time_masks
    if inclusive and (F or T):
        notes.append("melwav draws widths 0..F and 0..T inclusive; the framework excludes its top, so F + 1 and "
                     "T + 1 are exported")
    kw = {}
    if config.extra and src == framework:  # its own settings, sizes in its units (the recipe's own where unchanged)
        mine = {name: value for name, value, _ in recipe.fields.extra} if own else {}
        kw = {"extra": {name: mine[name] if unit and name in mine and u.convert_in(mine[name], unit) == value
                        else u.convert_out(value, unit) for name, value, unit in config.extra}}
    elif config.extra:
        notes.append(f"{src}'s own settings ({', '.join(name for name, _, _ in config.extra)}) have no "
                     f"{framework} equivalent: dropped")
    text = module.export(config, W=W, F=F, mF=mF, T=T, mT=mT, notes=notes, inclusive=inclusive, **kw)
    head = (f"# melwav export for {module.NAME}: sizes in frames of {hop:g} ms and channels of a {mels}-channel "
            f"mel bank\n")
    return head + text, notes


# -------------------------------------------------------------------------------------------- fill


def fill_explanation(convention: str, *, fill: str | None = None, fill_db: float = -80.0) -> str:
    """One sentence for the listener: what the framework writes into a mask and how melwav plays it.

    Parameters
    ----------
    convention : str
        ``"melwav"`` or one of :data:`FRAMEWORKS`.
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
    if convention not in _BY_NAME:
        shown = repr(convention) if isinstance(convention, str) and len(convention) <= 40 else "another value"
        raise ParameterError(f"convention must be melwav or one of {', '.join(FRAMEWORKS)}, got {shown}")
    module = _BY_NAME[convention]
    return module.fill_explanation(fill, fill_db)
