"""The whole path, clip -> log-mel -> SpecAugment -> audio, and the params file that replays it.

Data flows one way: :mod:`melwav.audio` -> :mod:`melwav.features` -> :mod:`melwav.specaugment` ->
:mod:`melwav.reconstruction`. This module strings them together for the CLI and the app, keeps the
per-clip work that augmentation settings do not change (analysis and the rebuild of the original mel)
in a small cache, and reads and writes the params JSON.

Determinism: the draw comes from ``np.random.default_rng(seed)``; the original mel is rebuilt from a
fixed seed; the augmented mel is rebuilt starting from the phase of that original rebuild (a warm start
that uses only the mel, never the original audio's phase). So the same clip, settings and seed give
the same audio bit for bit, in the app and on the command line. That phase is first moved along time by
the draw's warp (:func:`warm_phase`), a function of the record only. The time masks are then solved on
the rebuild of the draw without them, one layer per mask (:func:`rebuild_augmented`), so a time-mask
slider move re-solves only the frames that changed; each layer is cached, and a cache hit never changes a
sample.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import threading

import numpy as np

from . import __version__, limits
from .audio import LoadedAudio, atomic_write, load_audio
from .errors import MelwavError, ParameterError, RecordError, check_int, check_keys, show_value
from .features import MelSettings, logmel_to_power, mel_power, power_to_logmel
from .reconstruction import (
    DEFAULT_METHOD,
    LOCAL_MAX_SHARE,
    METHODS,
    Reconstruction,
    local_segments,
    rebuild_frames,
    reconstruct,
)
from .specaugment import MAX_MASKS, AugmentRecord, SpecAugmentConfig, apply, draw, warp_source_positions

PARAMS_FORMAT = "melwav-params"
PARAMS_VERSION = 1
MAX_SEED = 2**32 - 1
#: Seed of the original mel's rebuild: fixed, so it is shared by every draw on the clip.
ORIGINAL_SEED = 0


@dataclasses.dataclass(frozen=True)
class Analysis:
    """A clip and its mel analysis.

    Attributes
    ----------
    y : np.ndarray [shape=(n,)], float32
    settings : MelSettings
    S : np.ndarray [shape=(n_mels, t)], power mel
    L : np.ndarray [shape=(n_mels, t)], log-mel in dB re. ``ref``
    ref : float
    name : str
    notes : tuple[str, ...]
        What loading changed (resampled, mixed down, trimmed, ...).
    key : str
        Fingerprint of the samples and settings, for caches.
    """

    y: np.ndarray
    settings: MelSettings
    S: np.ndarray
    L: np.ndarray
    ref: float
    name: str = ""
    notes: tuple[str, ...] = ()
    key: str = ""

    @property
    def n_mels(self) -> int:
        return self.L.shape[0]

    @property
    def n_frames(self) -> int:
        return self.L.shape[1]

    @property
    def n_samples(self) -> int:
        return len(self.y)

    @property
    def duration_s(self) -> float:
        return len(self.y) / self.settings.sr


def analyse(y: np.ndarray, *, settings: MelSettings, name: str = "", notes=()) -> Analysis:
    """Mel analysis of a mono waveform at ``settings.sr``."""
    y = np.ascontiguousarray(y, dtype=np.float32)
    if y.ndim != 1 or y.size == 0:
        raise ParameterError(f"y must be a non-empty mono waveform, got shape {y.shape}")
    limits.check_analysis(settings, settings.n_frames(y.size), seconds=y.size / settings.sr)
    S = mel_power(y, settings=settings)
    L, ref = power_to_logmel(S)
    digest = hashlib.sha1(y.tobytes())
    digest.update(json.dumps(settings.to_dict(), sort_keys=True).encode())
    return Analysis(y, settings, S, L, ref, name=name, notes=tuple(notes), key=digest.hexdigest())


def load_and_analyse(path, *, settings: MelSettings | None = None, max_duration_s: float = 30.0,
                     trim: bool = False) -> Analysis:
    """:func:`melwav.audio.load_audio` then :func:`analyse`."""
    settings = settings or MelSettings()
    check_file_analysis(path, settings=settings, max_duration_s=max_duration_s)
    audio: LoadedAudio = load_audio(path, sr=settings.sr, max_duration_s=max_duration_s, trim=trim)
    return analyse(audio.y, settings=settings, name=audio.name, notes=audio.notes)


@dataclasses.dataclass(frozen=True)
class Rendered:
    """One augmentation of a clip, rebuilt as audio."""

    config: SpecAugmentConfig
    seed: int
    record: AugmentRecord
    L_aug: np.ndarray
    rebuilt: Reconstruction
    method: str
    n_iter: int | None

    @property
    def y(self) -> np.ndarray:
        return self.rebuilt.y


def check_seed(seed) -> int:
    return check_int("seed", seed, low=0, high=MAX_SEED)


def nbytes(value) -> int:
    """Bytes held by the numpy arrays of ``value`` (an array, or a dataclass whose fields hold arrays)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if dataclasses.is_dataclass(value):
        return sum(nbytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    return 0


class _LRU:
    """A small thread-safe LRU cache: per-clip results shared between requests.

    Bounded by count and, with ``max_bytes``, by the bytes of the arrays it holds (:func:`nbytes`): a
    count alone lets a few large clips (44.1 kHz, hop 128: 170 MB of phase each) hold gigabytes.
    A value larger than ``max_bytes`` on its own is not kept.
    """

    def __init__(self, size: int, *, max_bytes: int | None = None):
        self.size = size
        self.max_bytes = max_bytes
        self._data: collections.OrderedDict = collections.OrderedDict()
        self._sizes: dict = {}
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._data

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._data)

    def put(self, key, value):
        size = nbytes(value) if self.max_bytes is not None else 0
        with self._lock:
            self._data.pop(key, None)
            self._sizes.pop(key, None)
            if self.max_bytes is not None and size > self.max_bytes:
                return
            self._data[key] = value
            self._sizes[key] = size
            while len(self._data) > self.size or (
                    self.max_bytes is not None and sum(self._sizes.values()) > self.max_bytes):
                old, _ = self._data.popitem(last=False)
                self._sizes.pop(old, None)

    def clear(self):
        with self._lock:
            self._data.clear()
            self._sizes.clear()


#: Original rebuilds (audio + phase) kept for warm starts: at most 8, and at most 192 MB.
_ORIGINAL_REBUILDS = _LRU(8, max_bytes=192 * 2**20)


def check_render(analysis: Analysis, *, method: str = DEFAULT_METHOD, n_iter: int | None = None,
                 n_renders: int = 1, rebuilt_mel: bool = False, budget: float | None = None) -> limits.Cost:
    """Refuse, before any work, a render that would exceed ``budget`` work units or the librosa memory cap.

    Counts ``n_renders`` augmented rebuilds, the original's rebuild unless it is cached, and the
    rebuilt-mel panel (see :mod:`melwav.limits`); ``budget`` None means no work limit (the memory check
    of the ``"librosa"`` method always applies: past it the solver would crash the process).
    Raises :class:`melwav.errors.LimitError` saying what to change; returns the cost.
    """
    if method == "librosa":
        limits.check_librosa(analysis.settings, analysis.n_frames)
    cost = limits.render_cost(analysis.settings, analysis.n_frames, method=method, n_iter=n_iter,
                              n_renders=n_renders, rebuilt_mel=rebuilt_mel,
                              original_cached=(analysis.key, method, n_iter) in _ORIGINAL_REBUILDS)
    limits.check_cost(cost, budget=budget, duration_s=analysis.duration_s)
    return cost


def header_seconds(path, *, max_duration_s: float) -> float | None:
    """The clip's length from its header alone (at most ``max_duration_s``; None when the header is unreadable)."""
    import soundfile as sf

    try:
        info = sf.info(os.fspath(path))
        return min(info.frames / info.samplerate, float(max_duration_s))
    except Exception:  # noqa: BLE001 - any unreadable header: load_audio will explain
        return None


def check_file_analysis(path, *, settings: MelSettings, max_duration_s: float) -> None:
    """:func:`melwav.limits.check_analysis` from the file's header, before the clip is decoded."""
    seconds = header_seconds(path, max_duration_s=max_duration_s)
    if seconds is not None:
        limits.check_analysis(settings, settings.n_frames(int(seconds * settings.sr)), seconds=seconds)


def check_file_render(path, *, settings: MelSettings, max_duration_s: float, method: str = DEFAULT_METHOD,
                      n_iter: int | None = None, n_renders: int = 1, rebuilt_mel: bool = False,
                      budget: float | None = None, original_cached: bool = True) -> None:
    """:func:`check_render` from the file's header alone, before the clip is even decoded and analysed.

    Refuses what is over the limits even with the original's rebuild cached (the lowest cost such a request
    can have); with ``original_cached=False`` (the caller knows the clip is not open, so neither is its
    rebuild) it counts the original's rebuild too. :func:`check_render` on the analysis decides the rest. A file whose header cannot
    be read is left to :func:`melwav.audio.load_audio`, which says what is wrong with it.
    """
    seconds = header_seconds(path, max_duration_s=max_duration_s)
    if seconds is None:
        return
    n_frames = settings.n_frames(int(seconds * settings.sr))
    limits.check_analysis(settings, n_frames, seconds=seconds)
    if method == "librosa":
        limits.check_librosa(settings, n_frames)
    lowest = limits.render_cost(settings, n_frames, method=method, n_iter=n_iter, n_renders=n_renders,
                                rebuilt_mel=rebuilt_mel, original_cached=original_cached)
    if budget is not None and lowest.units > budget:
        # Over even so: the message counts the original's rebuild too, so its advice is enough to fit.
        limits.check_cost(limits.render_cost(settings, n_frames, method=method, n_iter=n_iter, n_renders=n_renders,
                                             rebuilt_mel=rebuilt_mel), budget=budget, duration_s=seconds)


def rebuild_original(analysis: Analysis, *, method: str = DEFAULT_METHOD, n_iter: int | None = None,
                     cancel=None) -> Reconstruction:
    """The unaugmented mel rebuilt as audio (reconstruction artefacts only); cached per clip and method.

    ``cancel`` is passed to :func:`melwav.reconstruction.reconstruct` (a stopped rebuild is not cached).
    """
    key = (analysis.key, method, n_iter)
    cached = _ORIGINAL_REBUILDS.get(key)
    if cached is None:
        if method == "librosa":
            limits.check_librosa(analysis.settings, analysis.n_frames)
        cached = reconstruct(analysis.S, settings=analysis.settings, method=method, n_iter=n_iter,
                             length=analysis.n_samples, seed=ORIGINAL_SEED, cancel=cancel)
        # Shared between callers (and threads): read-only, so no caller can alter another's copy.
        cached = _frozen(cached)
        _ORIGINAL_REBUILDS.put(key, cached)
    return cached


def draw_for(analysis: Analysis, config: SpecAugmentConfig, *, seed: int) -> AugmentRecord:
    """The draw :func:`render` makes for ``config`` and ``seed`` on ``analysis`` (nothing rebuilt)."""
    return draw(config, n_mels=analysis.n_mels, n_frames=analysis.n_frames,
                rng=np.random.default_rng(check_seed(seed)))


def warm_phase(phase: np.ndarray, record: AugmentRecord) -> np.ndarray:
    """The original rebuild's phase moved along time the way ``record`` warps the mel: a warm start.

    Output frame ``j`` takes the phase of the frame the warp reads it from (the nearest one), so the
    warped frames start from the phase of the sound they now hold; masks change only magnitudes. On
    the bundled speech this start reaches in 16 iterations a better mel SC than the unwarped phase in 24.

    Parameters
    ----------
    phase : np.ndarray [shape=(n_bins, t)]
    record : AugmentRecord

    Returns
    -------
    np.ndarray [shape=(n_bins, t)]
    """
    warp = record.warp
    n = phase.shape[-1]
    if warp is None or warp.distance == 0 or n != record.n_frames:
        return phase
    with np.errstate(divide="ignore", invalid="ignore"):  # a framework warp may move a frame onto the last one
        src = np.nan_to_num(warp_source_positions(n, warp), nan=n - 1.0, posinf=n - 1.0, neginf=0.0)
    src = np.clip(np.rint(src).astype(np.intp), 0, n - 1)
    return phase[:, src]


def render(
    analysis: Analysis,
    config: SpecAugmentConfig,
    *,
    seed: int = 0,
    method: str = DEFAULT_METHOD,
    n_iter: int | None = None,
    record: AugmentRecord | None = None,
    budget: float | None = None,
    cancel=None,
) -> Rendered:
    """Draw (or replay ``record``), apply, and rebuild the augmented mel as audio.

    Parameters
    ----------
    analysis : Analysis
    config : SpecAugmentConfig
        Used for the draw; ignored for drawing when ``record`` is given.
    seed : int
        Seeds the draw and the reconstruction.
    method, n_iter
        Reconstruction method and iterations (see :func:`melwav.reconstruction.reconstruct`).
    record : AugmentRecord, optional
        Replay this draw instead of drawing.
    budget : float, optional
        Work limit in :mod:`melwav.limits` units, checked before any work (:func:`check_render`).
    cancel : callable, optional
        Called once per reconstruction iteration; raises to stop (e.g. :class:`melwav.limits.Deadline`).

    Returns
    -------
    Rendered
    """
    seed = check_seed(seed)
    check_render(analysis, method=method, n_iter=n_iter, budget=budget)
    if record is None:
        record = draw_for(analysis, config, seed=seed)
    L_aug = apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    rebuilt = rebuild_augmented(analysis, record, L_aug, seed=seed, method=method, n_iter=n_iter, cancel=cancel)
    return Rendered(config, seed, record, L_aug, rebuilt, method, n_iter)


#: Partial rebuilds of draws (:func:`rebuild_augmented`): the draw without its time masks, and that draw with
#: its first time masks solved on it, one layer per mask. Audio and mel only (no phase): at most 64, 128 MB.
_PARTIAL_REBUILDS = _LRU(64, max_bytes=128 * 2**20)


def _mask_layers(time_masks, changed: np.ndarray) -> list[np.ndarray]:
    """The frames each time mask adds, in draw order (masks that add none are left out), then any frame the
    masks do not account for: together exactly the ``changed`` frames."""
    covered = np.zeros_like(changed)
    layers = []
    for mask in time_masks:
        new = np.zeros_like(changed)
        new[mask.start : mask.start + mask.width] = True
        new &= changed & ~covered
        if new.any():
            layers.append(new)
            covered |= new
    if (changed & ~covered).any():
        layers.append(changed & ~covered)
    return layers


def rebuild_augmented(analysis: Analysis, record: AugmentRecord, L_aug: np.ndarray, *, seed: int,
                      method: str = DEFAULT_METHOD, n_iter: int | None = None, cancel=None) -> Reconstruction:
    """The augmented log-mel ``L_aug`` (``record`` applied to ``analysis``) rebuilt as audio; deterministic.

    In layers, so that a time-mask slider move costs only the frames that changed:

    1. the *base*, the draw without its time masks (warp, frequency masks, a framework's own operations),
       rebuilt from the original rebuild's phase moved by the warp (:func:`warm_phase`). Without warp,
       frequency masks or extras the base is the original's rebuild itself;
    2. then one layer per time mask, in draw order: the frames that mask adds, solved on the layer before
       with :func:`melwav.reconstruction.rebuild_frames`; everything else is that layer's audio.

    Every layer is cached by what it depends on (the clip, the base's log-mel and the masked frames'
    values), so one more time mask costs one mask's frames, and a cache hit never changes a sample: the
    app's audio and the command line's agree bit for bit. When there are no time masks, or the layers
    would solve more than ``LOCAL_MAX_SHARE`` of the frames (or for the ``"librosa"`` method), the whole
    mel is rebuilt in one go from the moved phase.
    """
    settings = analysis.settings
    S_aug = logmel_to_power(L_aug, ref=analysis.ref)
    original = rebuild_original(analysis, method=method, n_iter=n_iter, cancel=cancel)
    kw = dict(settings=settings, method=method, n_iter=n_iter, length=analysis.n_samples, seed=seed, cancel=cancel)

    def whole(S):
        return reconstruct(S, init_phase=None if original.phase is None else warm_phase(original.phase, record), **kw)

    if method == "librosa" or not record.time_masks:
        return whole(S_aug)
    base_record = dataclasses.replace(record, time_masks=())
    L_base = apply(analysis.L, base_record, ref=analysis.ref, settings=settings)
    if L_base.shape != L_aug.shape:
        return whole(S_aug)
    changed = np.any(L_base != L_aug, axis=0)
    layers = _mask_layers(record.time_masks, changed)
    solved = sum(stop - start for new in layers for start, stop in local_segments(new, settings))
    if solved > LOCAL_MAX_SHARE * analysis.n_frames:
        return whole(S_aug)
    S_base = logmel_to_power(L_base, ref=analysis.ref)
    if (base_record.warp is None or base_record.warp.distance == 0) and not base_record.freq_masks \
            and not base_record.extra:
        layer = original  # nothing but time masks: they are solved on the original's own rebuild
        key = (analysis.key, method, n_iter, "original")
    else:
        # The base's mel is a function of L_base (and the clip's ref), its start of the warp: both in the key.
        key = (analysis.key, method, n_iter, hashlib.sha1(L_base.tobytes()).hexdigest(), record.warp)
        layer = _PARTIAL_REBUILDS.get(key)
        if layer is None:
            layer = _frozen(dataclasses.replace(whole(S_base), phase=None))
            _PARTIAL_REBUILDS.put(key, layer)
    covered = np.zeros_like(changed)
    for new in layers:
        covered |= new
        digest = hashlib.sha1(np.flatnonzero(new).tobytes())
        digest.update(np.ascontiguousarray(L_aug[:, new]).tobytes())
        key = (key, digest.hexdigest())
        cached = _PARTIAL_REBUILDS.get(key)
        if cached is None:
            # The last layer's target is S_aug itself: the layers cover every changed frame.
            cached = _frozen(rebuild_frames(np.where(covered, S_aug, S_base), base=layer, changed=new,
                                            settings=settings, method=method, n_iter=n_iter, cancel=cancel))
            _PARTIAL_REBUILDS.put(key, cached)
        layer = cached
    return layer


def _frozen(rebuilt: Reconstruction) -> Reconstruction:
    """``rebuilt`` with its arrays read-only (it is shared through a cache)."""
    for array in (rebuilt.y, rebuilt.phase, rebuilt.mel):
        if array is not None:
            array.setflags(write=False)
    return rebuilt


def rebuilt_logmel(y: np.ndarray, *, analysis: Analysis) -> np.ndarray:
    """Log-mel of rebuilt audio on the original's dB reference (for the third plot panel)."""
    return power_to_logmel(mel_power(y, settings=analysis.settings), ref=analysis.ref)[0]


# -------------------------------------------------------------------------------------------- params


@dataclasses.dataclass(frozen=True)
class Params:
    """Everything needed to replay a rendering: analysis, augmentation, draw and reconstruction."""

    settings: MelSettings
    config: SpecAugmentConfig
    record: AugmentRecord
    seed: int
    method: str
    n_iter: int | None
    clip: dict
    policy: str | None = None

    def to_dict(self) -> dict:
        return {
            "format": PARAMS_FORMAT,
            "version": PARAMS_VERSION,
            "melwav": __version__,
            "clip": dict(self.clip),
            "analysis": self.settings.to_dict(),
            "policy": self.policy,
            "augment": self.config.to_dict(),
            "seed": self.seed,
            "record": self.record.to_dict(),
            "reconstruction": {"method": self.method, "n_iter": self.n_iter},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def params_for(analysis: Analysis, rendered: Rendered, *, policy: str | None = None) -> Params:
    clip = {"name": analysis.name, "n_samples": analysis.n_samples, "duration_s": round(analysis.duration_s, 4),
            "n_frames": analysis.n_frames}
    return Params(analysis.settings, rendered.config, rendered.record, rendered.seed, rendered.method,
                  rendered.n_iter, clip, policy)


#: Sizes a params file may have: the file, the record's notes, and every text in it.
MAX_PARAMS_BYTES = 1_000_000
MAX_NOTES = 16
MAX_NOTE_CHARS = 300
MAX_NAME_CHARS = 255
MAX_TEXT_CHARS = 64
_CLIP_KEYS = {"name", "n_samples", "duration_s", "n_frames"}

_PARAMS_KEYS = {"format", "version", "melwav", "clip", "analysis", "policy", "augment", "seed", "record",
                "reconstruction"}


def parse_params(data) -> Params:
    """Check and read a params mapping (from JSON); raises :class:`RecordError` naming what is wrong."""
    if not isinstance(data, dict):
        raise RecordError("a params file must hold a JSON object")
    if data.get("format") != PARAMS_FORMAT:
        raise RecordError(f"not a melwav params file (its 'format' is not {PARAMS_FORMAT!r})")
    check_keys(data, _PARAMS_KEYS, what="the params file", error=RecordError)
    if data.get("version") != PARAMS_VERSION:
        raise RecordError(f"params file version {show_value(data.get('version'))} is not supported "
                          f"(expected {PARAMS_VERSION})")
    for key in ("analysis", "augment", "record", "seed", "reconstruction", "clip"):
        if key not in data:
            raise RecordError(f"the params file has no {key!r}")
    try:
        if not isinstance(data["analysis"], dict):
            raise RecordError("'analysis' must be an object")
        settings = MelSettings.from_dict(data["analysis"])
        config = SpecAugmentConfig.from_dict(data["augment"])
        seed = check_seed(data["seed"])
        recon = data["reconstruction"]
        if not isinstance(recon, dict) or set(recon) - {"method", "n_iter"}:
            raise RecordError("'reconstruction' must be an object with 'method' and 'n_iter'")
        method = recon.get("method", DEFAULT_METHOD)
        if not isinstance(method, str) or method not in METHODS:
            raise RecordError(f"'reconstruction.method' must be one of {', '.join(METHODS)}, got {show_value(method)}")
        n_iter = recon.get("n_iter")
        if n_iter is not None:
            n_iter = check_int("reconstruction.n_iter", n_iter, low=0, high=10_000)
        clip = check_keys(data["clip"], _CLIP_KEYS, what="the params file's 'clip'", error=RecordError)
        name = clip.get("name", "")
        if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
            raise RecordError(f"'clip.name' must be a text of at most {MAX_NAME_CHARS} characters")
        if clip.get("n_samples") is not None:
            clip = dict(clip, n_samples=check_int("clip.n_samples", clip["n_samples"], low=1))
        policy = data.get("policy")
        if policy is not None and (not isinstance(policy, str) or len(policy) > MAX_TEXT_CHARS):
            raise RecordError(f"'policy' must be null or a text of at most {MAX_TEXT_CHARS} characters")
    except ParameterError as exc:
        raise RecordError(f"params file: {exc}") from None
    _check_record_sizes(data["record"])
    record = AugmentRecord.from_dict(data["record"])
    return Params(settings, config, record, seed, method, n_iter, clip, policy)


def _check_record_sizes(rec) -> None:
    """The record's texts are shown on the page: bound their count and length before anything reads them."""
    if not isinstance(rec, dict):
        raise RecordError("'record' must be an object")
    notes = rec.get("notes", [])
    if not isinstance(notes, list) or len(notes) > MAX_NOTES:
        raise RecordError(f"'record.notes' must be a list of at most {MAX_NOTES} texts")
    if not all(isinstance(n, str) and len(n) <= MAX_NOTE_CHARS for n in notes):
        raise RecordError(f"each of 'record.notes' must be a text of at most {MAX_NOTE_CHARS} characters")
    for key in ("convention", "fill"):
        value = rec.get(key)
        if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
            raise RecordError(f"'record.{key}' must be at most {MAX_TEXT_CHARS} characters")
    order = rec.get("order", [])
    if not isinstance(order, list) or len(order) > 3 or not all(isinstance(o, str) and len(o) <= 8 for o in order):
        raise RecordError("'record.order' must list each of warp, freq, time once")
    warp = rec.get("warp")
    if isinstance(warp, dict) and len(str(warp.get("interpolation", ""))) > MAX_TEXT_CHARS:
        raise RecordError(f"'record.warp.interpolation' must be at most {MAX_TEXT_CHARS} characters")
    for key in ("freq_masks", "time_masks"):
        masks = rec.get(key, [])
        if not isinstance(masks, list) or len(masks) > MAX_MASKS or not all(
                isinstance(m, list) and len(m) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                            for v in m) for m in masks):
            raise RecordError(f"'record.{key}' must be a list of at most {MAX_MASKS} [start, width] pairs of "
                              "whole numbers")


def loads_params(text: str) -> Params:
    """Parse params JSON text (at most ``MAX_PARAMS_BYTES``) with one-line errors for any malformed input."""
    if len(text) > MAX_PARAMS_BYTES:
        raise RecordError(f"the params file is larger than {MAX_PARAMS_BYTES // 1000} kB; melwav writes ~2 kB")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"the params file is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise RecordError("the params file is nested too deeply to be a melwav params file") from None
    except ValueError:  # e.g. an integer past Python's digit limit
        raise RecordError("the params file holds a number too long to read") from None
    return parse_params(data)


def read_params(path) -> Params:
    """Read a params JSON file (see :func:`parse_params`); reads at most ``MAX_PARAMS_BYTES`` + 1 bytes."""
    name = os.path.basename(os.fspath(path))
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PARAMS_BYTES + 1)
    except FileNotFoundError:
        raise RecordError(f"no such params file: {name}") from None
    except IsADirectoryError:
        raise RecordError(f"{name} is a folder, not a params file") from None
    if len(raw) > MAX_PARAMS_BYTES:
        raise RecordError(f"the params file is larger than {MAX_PARAMS_BYTES // 1000} kB; melwav writes ~2 kB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("the params file is not UTF-8 text") from None
    return loads_params(text)


def write_mel(path, L: np.ndarray):
    """Write a log-mel [shape=(n_mels, t)] as float32 .npy, atomically."""
    return atomic_write(path, lambda f: np.save(f, np.asarray(L, dtype=np.float32)))


def write_params(path, params: Params):
    text = params.to_json()
    return atomic_write(path, lambda f: f.write(text), mode="w")


def check_fits(params: Params, analysis: Analysis) -> None:
    """Raise :class:`RecordError` saying what differs when ``params`` was made for another clip or analysis."""
    if params.settings != analysis.settings:
        diff = [f"{k} {v} (clip analysed with {getattr(analysis.settings, k)})"
                for k, v in params.settings.to_dict().items() if getattr(analysis.settings, k) != v]
        raise RecordError("the params were made with other analysis settings: " + "; ".join(diff))
    want = params.clip.get("n_samples")
    if want is not None and want != analysis.n_samples:
        raise RecordError(
            f"the params were made for a clip of {want} samples ({want / analysis.settings.sr:.2f} s); "
            f"this clip has {analysis.n_samples} samples ({analysis.duration_s:.2f} s)"
        )
    rec = params.record
    if (rec.n_mels, rec.n_frames) != (analysis.n_mels, analysis.n_frames):
        raise RecordError(
            f"the draw was made for {rec.n_mels} mel bands x {rec.n_frames} frames; "
            f"this clip has {analysis.n_mels} x {analysis.n_frames}"
        )


def replay(analysis: Analysis, params: Params, *, budget: float | None = None, cancel=None) -> Rendered:
    """Render exactly the draw stored in ``params`` on ``analysis`` (checked with :func:`check_fits`)."""
    check_fits(params, analysis)
    return render(analysis, params.config, seed=params.seed, method=params.method, n_iter=params.n_iter,
                  record=params.record, budget=budget, cancel=cancel)


__all__ = [
    "Analysis", "Rendered", "Params", "MelwavError", "analyse", "load_and_analyse", "render", "rebuild_original",
    "rebuilt_logmel", "params_for", "parse_params", "read_params", "write_params", "check_fits", "replay",
    "check_render", "check_file_render", "check_file_analysis", "header_seconds", "draw_for", "loads_params",
]
