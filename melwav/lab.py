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

from . import pipeline
from .audio import DEFAULT_MAX_DURATION_S, common_gain, write_wav
from .augment import POLICIES, AugmentRecord, SpecAugmentConfig, apply, draw, fill_value, frames_from_ms, policy
from .errors import ParameterError, check_float, check_int
from .explain import describe, describe_config
from .features import MelSettings
from .plot import axes_extents, plot_comparison, plot_thumbnail, save_png

#: The page's players bring quiet clips up, all by the same gain, by at most this much.
PLAYER_BOOST_DB = 30.0
MAX_AGE_S = 600.0  # a server hands files over at once; ten minutes is ample
_CLIPS = pipeline._LRU(16)
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


def config_from_units(
    settings: MelSettings,
    *,
    warp_ms: float = 0.0,
    freq_mask_bands: int = 0,
    n_freq_masks: int = 0,
    time_mask_ms: float = 0.0,
    n_time_masks: int = 0,
    max_time_ratio: float = 1.0,
    width_ratio: float = 0.0,
    masks_per_frame: float = 0.0,
    fill: str = "mean",
    fill_db: float = -80.0,
    convention: str = "melwav",
) -> SpecAugmentConfig:
    """A config from the units people think in: milliseconds for W and T, bands for F."""
    warp_ms = check_float("time warp W (ms)", warp_ms, low=0.0, high=60_000.0)
    time_mask_ms = check_float("time mask T (ms)", time_mask_ms, low=0.0, high=600_000.0)
    return SpecAugmentConfig(
        warp_frames=frames_from_ms(warp_ms, settings),
        freq_mask_bands=freq_mask_bands,
        n_freq_masks=n_freq_masks,
        time_mask_frames=frames_from_ms(time_mask_ms, settings),
        n_time_masks=n_time_masks,
        max_time_ratio=max_time_ratio,
        width_ratio=width_ratio,
        masks_per_frame=masks_per_frame,
        fill=fill,
        fill_db=fill_db,
        convention=convention,
    )


def units_from_config(config: SpecAugmentConfig, settings: MelSettings) -> dict:
    """The inverse of :func:`config_from_units`, for filling sliders."""
    return {
        "warp_ms": round(config.warp_frames * settings.hop_ms),
        "freq_mask_bands": config.freq_mask_bands,
        "n_freq_masks": config.n_freq_masks,
        "time_mask_ms": round(config.time_mask_frames * settings.hop_ms),
        "n_time_masks": config.n_time_masks,
        "max_time_ratio": config.max_time_ratio,
        "width_ratio": config.width_ratio,
        "masks_per_frame": config.masks_per_frame,
        "fill": config.fill,
        "fill_db": config.fill_db,
    }


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
    #: Where the panels sit in the figure's image (see :func:`melwav.plot.axes_extents`), for the page's cursor.
    axes: list = dataclasses.field(default_factory=list)


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
) -> View:
    """Draw (or replay ``record``), rebuild, plot, and write the page's clips and downloads.

    The three clips share one gain, so their loudness stays comparable.
    """
    rendered = pipeline.render(analysis, config, seed=seed, method=method, n_iter=n_iter, record=record)
    original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
    gain = np.float32(common_gain(analysis.y, original.y, rendered.y, max_boost_db=PLAYER_BOOST_DB))
    out = new_output_dir()
    stem = _stem(analysis.name)
    tag = f"{policy_name or 'custom'}_seed{rendered.seed}"
    sr = analysis.settings.sr
    original_wav = write_wav(out / f"{stem}_original.wav", analysis.y * gain, sr=sr)
    original_rebuilt_wav = write_wav(out / f"{stem}_original_rebuilt.wav", original.y * gain, sr=sr)
    # The download is the augmented rebuild at its own scale (what the CLI writes for the same params).
    augmented_wav = write_wav(out / f"{stem}_{tag}_augmented.wav", rendered.y * gain, sr=sr)
    download_wav = write_wav(out / f"{stem}_{tag}.wav", rendered.y, sr=sr)
    L_rebuilt = pipeline.rebuilt_logmel(rendered.y, analysis=analysis) if show_rebuilt_mel else None
    fig = plot_comparison(analysis.L, rendered.L_aug, settings=analysis.settings, record=rendered.record,
                          L_rebuilt=L_rebuilt)
    png = save_png(out / f"{stem}_{tag}.png", fig)
    npy = pipeline.write_mel(out / f"{stem}_{tag}_mel.npy", rendered.L_aug)
    params = pipeline.params_for(analysis, rendered, policy=policy_name)
    js = pipeline.write_params(out / f"{stem}_{tag}.json", params)
    pol = POLICIES.get(policy_name) if policy_name else None
    text = describe(rendered.record, settings=analysis.settings, fill_db=fill_value(analysis.L, rendered.record),
                    policy=pol)
    text = f"**Seed {rendered.seed}**" + (f" · policy **{policy_name}**" if policy_name else "") + "\n\n" + text
    return View(
        figure_png=png, description=text, bounds=describe_config(config, settings=analysis.settings),
        original_wav=original_wav, original_rebuilt_wav=original_rebuilt_wav, augmented_wav=augmented_wav,
        downloads=[download_wav, npy, png, js], record=rendered.record, seed=rendered.seed,
        original_sc_db=original.spectral_convergence_db, augmented_sc_db=rendered.rebuilt.spectral_convergence_db,
        params=params, notes=analysis.notes + rendered.record.notes, axes=axes_extents(fig),
    )


def render_solo(analysis: pipeline.Analysis, record: AugmentRecord, operation: str, *, seed: int, method: str,
                n_iter: int | None) -> tuple[pathlib.Path, pathlib.Path, float]:
    """One operation of a draw on its own ("warp", "freq" or "time").

    Returns the rebuilt clip (on the same gain rule as :func:`render_view`), the augmented log-mel saved as
    .npy, and the spectral convergence (dB) the rebuild reached.
    """
    solo = record.only(operation)
    rendered = pipeline.render(analysis, SpecAugmentConfig(), seed=seed, method=method, n_iter=n_iter, record=solo)
    original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
    gain = common_gain(analysis.y, original.y, rendered.y, max_boost_db=PLAYER_BOOST_DB)
    out = new_output_dir()
    stem = f"{_stem(analysis.name)}_{operation}_only"
    wav = write_wav(out / f"{stem}.wav", rendered.y * np.float32(gain), sr=analysis.settings.sr)
    npy = pipeline.write_mel(out / f"{stem}_mel.npy", rendered.L_aug)
    return wav, npy, rendered.rebuilt.spectral_convergence_db


def variety(analysis: pipeline.Analysis, config: SpecAugmentConfig, *, first_seed: int,
            n: int = 8) -> list[tuple[pathlib.Path, int, AugmentRecord]]:
    """``n`` draws of one config from consecutive seeds, as thumbnails (no reconstruction: cheap).

    Returns ``[(thumbnail PNG, seed, record), ...]``; the same seed and config give the page's main draw.
    """
    first_seed = pipeline.check_seed(first_seed)
    vmax = float(np.max(analysis.L))
    out_dir = new_output_dir()
    out = []
    for i in range(check_int("n", n, low=1, high=64)):
        seed = (first_seed + i) % (pipeline.MAX_SEED + 1)
        record = draw(config, n_mels=analysis.n_mels, n_frames=analysis.n_frames, rng=np.random.default_rng(seed))
        fig = plot_thumbnail(apply(analysis.L, record), settings=analysis.settings, record=record,
                             title=f"seed {seed}", vmax=vmax)
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
