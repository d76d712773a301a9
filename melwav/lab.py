"""The listening lab behind the app: everything one page view needs, without any UI library.

The app (``app.py``) turns widget values into these calls and their results into widgets; all the
work, the caching and the files live here so they can be tested and scripted directly.

Files: each rendering writes its clips and downloads into a fresh folder under :func:`work_dir`, so no
two requests share a file (user A never gets user B's audio); folders older than ``MAX_AGE_S`` are
removed as new ones are made, so the disk does not fill up on a long-running server.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import shutil
import tempfile
import threading
import time
import uuid

import numpy as np

from . import limits, pipeline
from .audio import DEFAULT_MAX_DURATION_S, common_gain, write_wav
from .errors import ParameterError, check_float, check_int
from .explain import describe, describe_config
from .features import MelSettings
from .plot import (
    ComparisonBase,
    comparison_base,
    compose_comparison,
    panel_extents,
    plot_thumbnail,
    save_png,
    write_rgba_png,
)
from .specaugment import POLICIES, AugmentRecord, SpecAugmentConfig, apply, draw, fill_value, frames_from_ms, policy

#: The page's players bring quiet clips up, all by the same gain, by at most this much.
PLAYER_BOOST_DB = 30.0
MAX_AGE_S = 600.0  # a server hands files over at once; ten minutes is ample
_CLIPS = pipeline._LRU(16, max_bytes=128 * 2**20)  # clips are bounded in bytes too (see limits)
_sweep_lock = threading.Lock()
_last_sweep = [0.0]


def work_dir() -> pathlib.Path:
    """Root folder for rendered files (``$MELWAV_WORK_DIR`` or a folder in the system temp dir)."""
    root = pathlib.Path(os.environ.get("MELWAV_WORK_DIR") or pathlib.Path(tempfile.gettempdir()) / "melwav-lab")
    root.mkdir(parents=True, exist_ok=True)
    return root


def new_output_dir() -> pathlib.Path:
    """A fresh folder for one request's files (and a sweep of old ones, at most once a minute)."""
    root = work_dir()
    now = time.time()
    with _sweep_lock:
        if now - _last_sweep[0] > 60:
            _last_sweep[0] = now
            for child in root.iterdir():
                try:
                    if child.is_dir() and now - child.stat().st_mtime > MAX_AGE_S:
                        shutil.rmtree(child, ignore_errors=True)
                except FileNotFoundError:
                    pass
    out = root / uuid.uuid4().hex
    out.mkdir()
    return out


def open_clip(path, *, settings: MelSettings | None = None, max_duration_s: float = DEFAULT_MAX_DURATION_S,
              trim: bool = True) -> pipeline.Analysis:
    """Load and analyse a clip, cached by file identity and settings (cheap to call on every slider move)."""
    if path is None or str(path) == "":
        raise ParameterError("no audio yet: pick an example, upload a file or record one")
    settings = settings or MelSettings()
    p = pathlib.Path(os.fspath(path))
    try:
        st = p.stat()
        ident = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        ident = (str(p), None, None)
    key = (ident, settings, float(max_duration_s), bool(trim))
    cached = _CLIPS.get(key)
    if cached is None:
        cached = pipeline.load_and_analyse(p, settings=settings, max_duration_s=max_duration_s, trim=trim)
        _CLIPS.put(key, cached)
    return cached


#: The two settings given in milliseconds (the config holds frames): their names in messages and their bounds.
_MS_BOUNDS = {"warp_ms": ("time warp W (ms)", 60_000.0), "time_mask_ms": ("time mask T (ms)", 600_000.0)}
_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(SpecAugmentConfig) if f.name != "extra")


def config_from_units(settings: MelSettings, **units) -> SpecAugmentConfig:
    """A config from the units people think in: milliseconds for W and T, bands for F.

    Each keyword is a :class:`~melwav.specaugment.SpecAugmentConfig` field (``n_time_masks``,
    ``freq_mask_bands``, ``max_time_ratio``, ``fill``, ...), or a ``*_frames`` field given in milliseconds as
    ``*_ms`` (``warp_ms``, ``time_mask_ms``), converted to this analysis' whole frames. Fields not given keep
    the config's defaults.
    """
    fields = {}
    for key, value in units.items():
        frames = key[:-3] + "_frames" if key.endswith("_ms") else ""
        if frames in _CONFIG_FIELDS:
            name, high = _MS_BOUNDS.get(key, (key, 600_000.0))
            fields[frames] = frames_from_ms(check_float(name, value, low=0.0, high=high), settings)
        elif key in _CONFIG_FIELDS and not key.endswith("_frames"):
            fields[key] = value
        else:
            raise ParameterError(f"unknown SpecAugment setting {key!r} (one of: {', '.join(unit_names())})")
    return SpecAugmentConfig(**fields)


def unit_names() -> tuple[str, ...]:
    """The keywords of :func:`config_from_units` (and the keys of :func:`units_from_config`)."""
    return tuple(f[:-7] + "_ms" if f.endswith("_frames") else f for f in _CONFIG_FIELDS)


def units_from_config(config: SpecAugmentConfig, settings: MelSettings) -> dict:
    """The inverse of :func:`config_from_units`, for filling sliders (frames as whole milliseconds)."""
    out = {}
    for name in _CONFIG_FIELDS:
        value = getattr(config, name)
        if name.endswith("_frames"):
            out[name[:-7] + "_ms"] = round(value * settings.hop_ms)
        else:
            out[name] = value
    return out


def policy_units(name: str, settings: MelSettings) -> dict:
    """Slider values for a preset (converted to ``settings``)."""
    return units_from_config(policy(name).to_config(settings), settings)


def matching_policy(config: SpecAugmentConfig, settings: MelSettings) -> str | None:
    """The preset whose converted numbers equal ``config`` (fill aside), or None for custom settings."""
    for name, pol in POLICIES.items():
        candidate = pol.to_config(settings, fill=config.fill, fill_db=config.fill_db).replace(
            convention=config.convention)
        if candidate == config:
            return name
    return None


def _stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", pathlib.Path(name or "clip").stem).strip("_")
    return stem[:40] or "clip"


@dataclasses.dataclass
class Picture:
    """What a slider move shows first: the figure and the words, before any audio is rebuilt.

    ``timings`` (seconds): ``draw`` (draw and apply), ``picture`` (compose and encode the figure), ``files``.
    """

    figure_png: pathlib.Path
    description: str
    bounds: str
    record: AugmentRecord
    seed: int
    L_aug: np.ndarray
    notes: tuple[str, ...]
    timings: dict[str, float]
    #: Where the panels sit in the figure's image (see :func:`melwav.plot.panel_extents`), for the page's cursor.
    axes: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Sound:
    """The audio of one draw: the three players' clips, the rebuilds' SC, and the downloads.

    ``timings`` (seconds): ``reconstruction``, ``picture`` (only with the rebuilt-mel panel), ``files``.
    ``players_key`` identifies the two unaugmented players' clips (clip, reconstruction, gain): when the
    caller passes the same key back, they are not written again and come back as None.
    """

    original_wav: pathlib.Path | None
    original_rebuilt_wav: pathlib.Path | None
    augmented_wav: pathlib.Path
    downloads: list[pathlib.Path]
    original_sc_db: float
    augmented_sc_db: float
    params: pipeline.Params
    figure_png: pathlib.Path | None
    timings: dict[str, float]
    rendered: pipeline.Rendered | None = None
    players_key: tuple = ()


@dataclasses.dataclass
class View:
    """One rendering as the page shows it."""

    figure_png: pathlib.Path
    description: str
    bounds: str
    original_wav: pathlib.Path
    original_rebuilt_wav: pathlib.Path
    augmented_wav: pathlib.Path
    downloads: list[pathlib.Path]
    record: AugmentRecord
    seed: int
    original_sc_db: float
    augmented_sc_db: float
    params: pipeline.Params
    notes: tuple[str, ...]
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    #: Where the panels sit in the figure's image (see :func:`melwav.plot.panel_extents`), for the page's cursor.
    axes: list = dataclasses.field(default_factory=list)


_BASES = pipeline._LRU(8)


def figure_base(analysis: pipeline.Analysis, *, theme: str = "light", n_panels: int = 2,
                titles: tuple[str, ...] = ("original", "augmented", "mel of the rebuilt audio")) -> ComparisonBase:
    """The static part of the page's figure for this clip (axes, labels, original panel), cached per clip and theme."""
    key = (analysis.key, theme, n_panels, titles)
    base = _BASES.get(key)
    if base is None:
        base = comparison_base(analysis.L, settings=analysis.settings, theme=theme, n_panels=n_panels, titles=titles)
        _BASES.put(key, base)
    return base


def _tag(policy_name: str | None, seed: int) -> str:
    return f"{policy_name or 'custom'}_seed{seed}"


def render_picture(
    analysis: pipeline.Analysis,
    config: SpecAugmentConfig,
    *,
    seed: int,
    record: AugmentRecord | None = None,
    policy_name: str | None = None,
    theme: str = "light",
    show_rebuilt_mel: bool = False,
) -> Picture:
    """Draw (or replay ``record``) and picture it: no reconstruction, so it is back in tens of milliseconds.

    With ``show_rebuilt_mel`` the figure has an empty third panel that :func:`render_sound` fills.
    """
    times = {}
    t0 = time.perf_counter()
    seed = pipeline.check_seed(seed)
    if record is None:
        record = draw(config, n_mels=analysis.n_mels, n_frames=analysis.n_frames, rng=np.random.default_rng(seed))
    L_aug = apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    t1 = time.perf_counter()
    times["draw"] = t1 - t0
    base = figure_base(analysis, theme=theme, n_panels=3 if show_rebuilt_mel else 2)
    rgba = compose_comparison(base, L_aug, record=record)
    out = new_output_dir()
    png = write_rgba_png(out / f"{_stem(analysis.name)}_{_tag(policy_name, seed)}.png", rgba)
    t2 = time.perf_counter()
    times["picture"] = t2 - t1
    pol = POLICIES.get(policy_name) if policy_name else None
    level = fill_value(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
    text = describe(record, settings=analysis.settings, fill_db=level, policy=pol)
    text = f"**Seed {seed}**" + (f" · policy **{policy_name}**" if policy_name else "") + "\n\n" + text
    times["draw"] += time.perf_counter() - t2
    return Picture(png, text, describe_config(config, settings=analysis.settings), record, seed, L_aug,
                   analysis.notes + record.notes, times, panel_extents(base))


def render_sound(
    analysis: pipeline.Analysis,
    config: SpecAugmentConfig,
    record: AugmentRecord,
    *,
    seed: int,
    method: str,
    n_iter: int | None,
    policy_name: str | None = None,
    figure_png: pathlib.Path | None = None,
    theme: str = "light",
    show_rebuilt_mel: bool = False,
    downloads: bool = True,
    players_key: tuple = (),
    budget: float | None = None,
    cancel=None,
) -> Sound:
    """Rebuild the audio of ``record`` and write the players' clips and the downloads.

    The three clips share one gain, so their loudness stays comparable. The augmented rebuild is what
    the command line makes for the same params (bit for bit); ``figure_png`` (from
    :func:`render_picture`) joins the downloads. With ``show_rebuilt_mel`` the figure is made again with
    the mel of the rebuilt audio as a third panel, and returned as ``Sound.figure_png``. With
    ``downloads=False`` only the players' clips are written; :func:`write_downloads` writes the rest
    later from ``Sound.rendered`` (the page does that in an event after the players are shown).
    ``budget`` (work units, see :mod:`melwav.limits`) is checked before any work; ``cancel`` is called
    once per iteration.
    """
    times = {}
    t0 = time.perf_counter()
    pipeline.check_render(analysis, method=method, n_iter=n_iter, rebuilt_mel=show_rebuilt_mel, budget=budget)
    rendered = pipeline.render(analysis, config, seed=seed, method=method, n_iter=n_iter, record=record,
                               cancel=cancel)
    original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter, cancel=cancel)
    t1 = time.perf_counter()
    times["reconstruction"] = t1 - t0
    gain = np.float32(common_gain(analysis.y, original.y, rendered.y, max_boost_db=PLAYER_BOOST_DB))
    out = new_output_dir()
    stem = _stem(analysis.name)
    tag = _tag(policy_name, rendered.seed)
    sr = analysis.settings.sr
    new_png = None
    if show_rebuilt_mel:
        L_rebuilt = pipeline.rebuilt_logmel(rendered.y, analysis=analysis)
        base = figure_base(analysis, theme=theme, n_panels=3)
        rgba = compose_comparison(base, rendered.L_aug, record=rendered.record, L_rebuilt=L_rebuilt)
        new_png = figure_png = write_rgba_png(out / f"{stem}_{tag}.png", rgba)
        times["picture"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    # Players: 16-bit, on one gain.
    key = (analysis.key, method, n_iter, float(gain))
    original_wav = original_rebuilt_wav = None
    if key != tuple(players_key):  # the page already has these two clips when only the draw changed
        original_wav = write_wav(out / f"{stem}_original.wav", analysis.y * gain, sr=sr)
        original_rebuilt_wav = write_wav(out / f"{stem}_original_rebuilt.wav", original.y * gain, sr=sr)
    augmented_wav = write_wav(out / f"{stem}_{tag}_augmented.wav", rendered.y * gain, sr=sr)
    params = pipeline.params_for(analysis, rendered, policy=policy_name)
    files = write_downloads(analysis, rendered, figure_png=figure_png, policy_name=policy_name, out=out) \
        if downloads else []
    times["files"] = time.perf_counter() - t2
    return Sound(original_wav, original_rebuilt_wav, augmented_wav, files, original.spectral_convergence_db,
                 rendered.rebuilt.spectral_convergence_db, params, new_png, times, rendered, key)


def write_downloads(analysis: pipeline.Analysis, rendered: pipeline.Rendered, *,
                    figure_png: pathlib.Path | None = None, policy_name: str | None = None,
                    out: pathlib.Path | None = None) -> list[pathlib.Path]:
    """The downloads of one render: augmented WAV, its log-mel (.npy), the figure, the params JSON.

    The WAV is the augmented rebuild at its own scale, what the command line writes for the same params.
    """
    out = out or new_output_dir()
    stem = f"{_stem(analysis.name)}_{_tag(policy_name, rendered.seed)}"
    wav = write_wav(out / f"{stem}.wav", rendered.y, sr=analysis.settings.sr)
    npy = pipeline.write_mel(out / f"{stem}_mel.npy", rendered.L_aug)
    js = pipeline.write_params(out / f"{stem}.json", pipeline.params_for(analysis, rendered, policy=policy_name))
    return [wav, npy] + ([figure_png] if figure_png is not None else []) + [js]


def render_view(
    analysis: pipeline.Analysis,
    config: SpecAugmentConfig,
    *,
    seed: int,
    method: str,
    n_iter: int | None,
    record: AugmentRecord | None = None,
    policy_name: str | None = None,
    show_rebuilt_mel: bool = False,
    budget: float | None = None,
    cancel=None,
    theme: str = "light",
) -> View:
    """Draw (or replay ``record``), picture, rebuild and write the page's clips and downloads, in one call.

    :func:`render_picture` then :func:`render_sound`; the page runs them in one event that shows the picture
    before the audio is rebuilt.
    ``budget`` (work units, see :mod:`melwav.limits`) is checked before any work; ``cancel`` is called once
    per iteration.
    """
    pipeline.check_render(analysis, method=method, n_iter=n_iter, rebuilt_mel=show_rebuilt_mel, budget=budget)
    pic = render_picture(analysis, config, seed=seed, record=record, policy_name=policy_name, theme=theme,
                         show_rebuilt_mel=show_rebuilt_mel)
    snd = render_sound(analysis, config, pic.record, seed=pic.seed, method=method, n_iter=n_iter,
                       policy_name=policy_name, figure_png=pic.figure_png, theme=theme,
                       show_rebuilt_mel=show_rebuilt_mel, budget=budget, cancel=cancel)
    return View(
        figure_png=snd.figure_png or pic.figure_png, description=pic.description, bounds=pic.bounds,
        original_wav=snd.original_wav, original_rebuilt_wav=snd.original_rebuilt_wav,
        augmented_wav=snd.augmented_wav, downloads=snd.downloads, record=pic.record, seed=pic.seed,
        original_sc_db=snd.original_sc_db, augmented_sc_db=snd.augmented_sc_db, params=snd.params,
        notes=pic.notes, axes=pic.axes, timings={**pic.timings, **{k: v + pic.timings.get(k, 0.0) for k, v in snd.timings.items()}},
    )


def render_solo(analysis: pipeline.Analysis, record: AugmentRecord, operation: str, *, seed: int, method: str,
                n_iter: int | None, theme: str = "light", budget: float | None = None,
                cancel=None) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path, float]:
    """One operation of a draw on its own ("warp", "freq" or "time").

    Returns the rebuilt clip (on the same gain rule as :func:`render_view`), the augmented log-mel saved as
    .npy, its picture (original | this operation alone, marked, as PNG), and the spectral convergence (dB)
    the rebuild reached. ``budget`` and ``cancel`` as in :func:`render_view` (check the three operations at
    once with ``pipeline.check_render(n_renders=3)``).
    """
    solo = record.only(operation)
    rendered = pipeline.render(analysis, SpecAugmentConfig(), seed=seed, method=method, n_iter=n_iter, record=solo,
                               budget=budget, cancel=cancel)
    original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
    gain = common_gain(analysis.y, original.y, rendered.y, max_boost_db=PLAYER_BOOST_DB)
    out = new_output_dir()
    stem = f"{_stem(analysis.name)}_{operation}_only"
    wav = write_wav(out / f"{stem}.wav", rendered.y * np.float32(gain), sr=analysis.settings.sr)
    npy = pipeline.write_mel(out / f"{stem}_mel.npy", rendered.L_aug)
    titles = ("original", {"warp": "time warp only", "freq": "frequency masks only", "time": "time masks only"}[operation])
    rgba = compose_comparison(figure_base(analysis, theme=theme, titles=titles), rendered.L_aug, record=solo)
    png = write_rgba_png(out / f"{stem}.png", rgba)
    return wav, npy, png, rendered.rebuilt.spectral_convergence_db


def variety(analysis: pipeline.Analysis, config: SpecAugmentConfig, *, first_seed: int,
            n: int = 8, budget: float | None = None,
            theme: str = "light") -> list[tuple[pathlib.Path, int, AugmentRecord]]:
    """``n`` draws of one config from consecutive seeds, as thumbnails (no reconstruction: cheap).

    Returns ``[(thumbnail PNG, seed, record), ...]``; the same seed and config give the page's main draw.
    """
    first_seed = pipeline.check_seed(first_seed)
    limits.check_cost(limits.variety_cost(analysis.settings, analysis.n_frames, n=check_int("n", n, low=1, high=64)),
                      budget=budget, duration_s=analysis.duration_s)
    vmax = float(np.max(analysis.L))
    out_dir = new_output_dir()
    out = []
    for i in range(check_int("n", n, low=1, high=64)):
        seed = (first_seed + i) % (pipeline.MAX_SEED + 1)
        record = draw(config, n_mels=analysis.n_mels, n_frames=analysis.n_frames, rng=np.random.default_rng(seed))
        L_aug = apply(analysis.L, record, ref=analysis.ref, settings=analysis.settings)
        fig = plot_thumbnail(L_aug, settings=analysis.settings, record=record, title=f"seed {seed}", vmax=vmax,
                             theme=theme)
        png = out_dir / f"seed{seed}.png"
        save_png(png, fig, dpi=80)
        out.append((png, seed, record))
    return out


def parse_seed(value) -> int:
    """A seed from a widget value (float from a number box): a whole number in 0..2**32-1."""
    if value is None or value == "":
        raise ParameterError("seed must be a whole number between 0 and 4294967295")
    return check_int("seed", value, low=0, high=pipeline.MAX_SEED)


def convert_units(units: dict, *, n_mels_from: int, settings: MelSettings) -> dict:
    """Slider values carried over to a new analysis: F keeps its share of the mel scale, W and T their
    duration (snapped to the new hop's whole frames); counts and ratios are unchanged.

    ``units`` holds the keys of :func:`units_from_config` except the fill; returns the same keys.
    """
    n_mels_from = check_int("n_mels_from", n_mels_from, low=1, high=100_000)
    bands = round(float(units["freq_mask_bands"]) * settings.n_mels / n_mels_from)
    hop = settings.hop_ms
    out = dict(units)
    out["freq_mask_bands"] = int(min(max(bands, 0), settings.n_mels))
    for key in ("warp_ms", "time_mask_ms"):
        out[key] = round(round(float(units[key]) / hop) * hop)
    return out
