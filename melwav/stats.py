"""Recipe statistics: how much of an utterance a SpecAugment recipe hides, over many draws.

For each utterance length, a recipe is drawn many times by its own rules, through the code that draws a
render (:func:`melwav.specaugment.draw_many`, which hands a framework's config to that framework's
``draw_many``; a render's :func:`~melwav.specaugment.draw` is its batch of one); nothing is applied to a
mel. From the drawn arrays:

- masked share of an axis: the cells covered by the union of that axis' masks over the axis length
  (overlapping masks count once), for the time axis (frames) and the mel axis (bands);
- the chance that more than half the time axis is masked;
- the warp shift ``|distance|`` in ms (0 for a draw without a warp);
- the number of masks of non-zero width (what the figure of a render numbers).

A framework's own operations (WeNet's ``spec_sub`` and ``spec_trim``) are not masks: ``spec_sub`` writes
other frames of the same utterance over a chunk and ``spec_trim`` shortens the utterance, neither hides a
cell behind a fill. They are left out of the shares, and the result's notes say so.

Rows are kept (by config, analysis, length, draws and seed; :func:`clear_cache`), so asking again for a
recipe already drawn costs nothing: a comparison redraws only the recipe that changed.

The draws run at the analysis given (``settings``), the one a render of the recipe uses: a recipe's frames
are converted to it by duration (:meth:`melwav.frameworks.Recipe.to_config`), so a width can come out a
little longer or shorter than the recipe's own; :func:`recipe_stats` warns where that exceeds
:data:`ROUNDING_WARN`.

Speed: every rule draws all of a length's utterances at once (a few numpy calls on ``(draws, masks)``
arrays, :class:`melwav.records.DrawBatch`), and the summary is numpy over those arrays: two recipes at six
lengths and 2000 draws take tens of milliseconds (``bench/stats.py``).
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator, PercentFormatter

from . import frameworks
from .audio import DEFAULT_MAX_DURATION_S, MAX_DURATION_CAP_S
from .errors import ParameterError, check_float, check_int
from .features import MelSettings
from .plot import _style, _theme
from .records import OPERATIONS, AugmentRecord, DrawBatch, MaskBatch, SpecAugmentConfig
from .specaugment import Policy, draw_many, policy

__all__ = [
    "DEFAULT_DURATIONS_S", "DEFAULT_DRAWS", "MAX_DRAWS", "Spread", "StatsRow", "RecipeStats",
    "recipe_stats", "expected_shares", "clear_cache", "unit_warnings", "summarise", "stats_json", "format_table",
    "plot_recipe_stats", "Comparison", "compare_recipes",
]

DEFAULT_DURATIONS_S = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0)
DEFAULT_DRAWS = 2000
#: More draws than this are refused: 100000 draws of one length take a few seconds.
MAX_DRAWS = 100_000
#: Fewer than this and p5 / p95 mean little.
MIN_DRAWS = 20
MAX_DURATIONS = 24
#: The short utterance of the "hides more than half" warning, and how often is "often".
SHORT_S = 2.0
OVER_HALF_WARN = 0.10
#: A converted width further than this (relative) from the recipe's own duration is warned about.
ROUNDING_WARN = 0.05


@dataclasses.dataclass(frozen=True)
class Spread:
    """Mean, 5th and 95th percentile of a share over the draws (each in [0, 1])."""

    mean: float
    p5: float
    p95: float

    def to_dict(self) -> dict:
        return {"mean": self.mean, "p5": self.p5, "p95": self.p95}


@dataclasses.dataclass(frozen=True)
class StatsRow:
    """What a recipe does to utterances of one length, over all draws.

    ``time_masked`` / ``freq_masked``: share of the frames / mel bands under a mask; ``p_time_over_half``:
    the share of draws masking more than half the frames; ``warp_mean_abs_ms`` / ``warp_p95_abs_ms``: the
    warp's ``|shift|``; ``n_time_masks`` / ``n_freq_masks``: mean number of masks of non-zero width.
    """

    duration_s: float
    n_frames: int
    time_masked: Spread
    freq_masked: Spread
    p_time_over_half: float
    warp_mean_abs_ms: float
    warp_p95_abs_ms: float
    n_time_masks: float
    n_freq_masks: float

    def to_dict(self) -> dict:
        return {
            "duration_s": self.duration_s,
            "n_frames": self.n_frames,
            "time_masked": self.time_masked.to_dict(),
            "freq_masked": self.freq_masked.to_dict(),
            "p_time_over_half": self.p_time_over_half,
            "warp_ms": {"mean_abs": self.warp_mean_abs_ms, "p95_abs": self.warp_p95_abs_ms},
            "n_masks": {"time": self.n_time_masks, "freq": self.n_freq_masks},
        }


@dataclasses.dataclass(frozen=True)
class RecipeStats:
    """One recipe's statistics: a :class:`StatsRow` per utterance length, plus plain-words warnings.

    ``framework`` is the convention drawn (``"melwav"`` for the paper's rules); ``settings`` the analysis
    the draws were made in; ``notes`` say what was counted and how the units were converted.
    """

    label: str
    framework: str
    settings: MelSettings
    draws: int
    seed: int
    rows: tuple[StatsRow, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def row(self, duration_s: float) -> StatsRow:
        """The row of the length ``duration_s`` (raises :class:`ParameterError` when it was not drawn)."""
        for r in self.rows:
            if math.isclose(r.duration_s, duration_s):
                return r
        raise ParameterError(f"no row for {duration_s:g} s; drawn: {', '.join(f'{r.duration_s:g}' for r in self.rows)}")

    def with_warnings(self, warnings: Sequence[str]) -> RecipeStats:
        """The same statistics with ``warnings`` added after its own."""
        return dataclasses.replace(self, warnings=self.warnings + tuple(warnings))

    def to_dict(self) -> dict:
        return {"label": self.label, "framework": self.framework, "rows": [r.to_dict() for r in self.rows],
                "warnings": list(self.warnings)}


# --------------------------------------------------------------------------------------------- summary


def _union_share(masks: MaskBatch, axis_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Per draw: the union of its masks over ``axis_len`` (overlaps once) and its count of non-zero masks.

    Parameters
    ----------
    masks : MaskBatch
        ``(n_draws, slots)`` masks on one axis.
    axis_len : int

    Returns
    -------
    share : np.ndarray [shape=(n_draws,)], float64 in [0, 1]
    count : np.ndarray [shape=(n_draws,)], int64
    """
    n = masks.start.shape[0]
    if masks.start.shape[1] == 0:
        return np.zeros(n), np.zeros(n, dtype=np.int64)
    start = np.where(masks.drawn, np.clip(masks.start, 0, axis_len), 0)
    stop = np.where(masks.drawn, np.clip(masks.start + masks.width, 0, axis_len), 0)
    # Sort each draw's masks by start and let a running maximum of the stops say how much of each mask is
    # new (a slot not drawn is [0, 0): it adds nothing).
    order = np.argsort(start, axis=1, kind="stable")
    s, e = np.take_along_axis(start, order, 1), np.take_along_axis(stop, order, 1)
    reach = np.concatenate([np.full((n, 1), -1), np.maximum.accumulate(e, axis=1)[:, :-1]], axis=1)
    new = np.maximum(0, e - np.maximum(s, reach))
    return new.sum(axis=1) / axis_len, np.count_nonzero(stop > start, axis=1).astype(np.int64)


def summarise(draws: DrawBatch | Sequence[AugmentRecord], *, hop_ms: float,
              duration_s: float | None = None) -> StatsRow:
    """A :class:`StatsRow` from draws made for one shape (numpy over all draws at once).

    Parameters
    ----------
    draws : DrawBatch, or sequence of AugmentRecord of length n_draws
        All drawn for the same ``(n_mels, n_frames)``.
    hop_ms : float
        What a frame lasts (ms), for the warp shift.
    duration_s : float, optional
        The utterance length the row is for (default: ``n_frames * hop_ms``).

    Returns
    -------
    StatsRow

    Examples
    --------
    >>> from melwav.records import MaskDraw
    >>> rec = AugmentRecord(n_mels=10, n_frames=100, time_masks=(MaskDraw(0, 30), MaskDraw(20, 30)))
    >>> summarise([rec], hop_ms=10.0).time_masked.mean   # frames 0..49 of 100: overlap counted once
    0.5
    """
    if not isinstance(draws, DrawBatch):
        if not draws:
            raise ParameterError("no draws to summarise")
        if any((r.n_mels, r.n_frames) != (draws[0].n_mels, draws[0].n_frames) for r in draws):
            raise ParameterError("the draws to summarise must all be for one spectrogram shape")
        draws = DrawBatch.from_records(draws)
    t_share, t_count = _union_share(draws.time, draws.n_frames)
    f_share, f_count = _union_share(draws.freq, draws.n_mels)
    shift_ms = np.where(draws.warp.drawn, np.abs(draws.warp.distance), 0) * float(hop_ms)

    def spread(x):
        p5, p95 = np.percentile(x, [5, 95])
        return Spread(float(np.mean(x)), float(p5), float(p95))

    return StatsRow(
        duration_s=float(duration_s) if duration_s is not None else draws.n_frames * hop_ms / 1000.0,
        n_frames=int(draws.n_frames),
        time_masked=spread(t_share),
        freq_masked=spread(f_share),
        p_time_over_half=float(np.mean(t_share > 0.5)),
        warp_mean_abs_ms=float(np.mean(shift_ms)),
        warp_p95_abs_ms=float(np.percentile(shift_ms, 95)),
        n_time_masks=float(np.mean(t_count)),
        n_freq_masks=float(np.mean(f_count)),
    )


# ------------------------------------------------------------------------------------------ the recipe


def _resolve(recipe, settings: MelSettings, label: str | None) -> tuple[SpecAugmentConfig, str, list[str], list[str]]:
    """``(config, label, unit warnings, unit notes)`` for what :func:`recipe_stats` accepts."""
    if isinstance(recipe, str):
        recipe = policy(recipe)
    if isinstance(recipe, Policy):
        label = label or recipe.name
        return recipe.to_config(settings), label, unit_warnings(recipe, settings, label=label), []
    if isinstance(recipe, frameworks.Recipe):
        notes = [f"{recipe.framework} recipe in frames of {recipe.hop_ms:g} ms and {recipe.n_mels} mel channels, "
                 f"drawn in frames of {settings.hop_ms:.3g} ms and {settings.n_mels} bands:"]
        notes += [f"  {line}" for line in recipe.describe(settings).splitlines()]
        label = label or recipe.framework
        return recipe.to_config(settings), label, unit_warnings(recipe, settings, label=label), notes
    if isinstance(recipe, SpecAugmentConfig):
        return recipe, label or ("custom" if recipe.convention == "melwav" else recipe.convention), [], []
    raise ParameterError("a recipe must be a SpecAugmentConfig, a frameworks.Recipe, a Policy or a policy name")


def unit_warnings(recipe, settings: MelSettings, *, label: str | None = None) -> list[str]:
    """A warning for each width of ``recipe`` (a :class:`Policy` or a :class:`melwav.frameworks.Recipe`)
    that the frames of ``settings`` change by more than :data:`ROUNDING_WARN` of its duration.

    W, a fixed T and a framework's own sizes in frames are checked (an adaptive T has no fixed width).

    Examples
    --------
    >>> unit_warnings(policy("LD"), MelSettings(sr=16000, hop_length=160))    # 10 ms frames: exact
    []
    >>> unit_warnings(Policy("W5", "", W=5), MelSettings())[0][:57]   # 50 ms as 2 frames of 23.2 ms
    'W5: W = 5 frames of 10 ms (50 ms) is drawn as 2 frames of'
    """
    if isinstance(recipe, Policy):
        label, frame_ms = label or recipe.name, recipe.frame_ms
        sizes = [("W", recipe.W), ("T", recipe.T)]
    elif isinstance(recipe, frameworks.Recipe):
        f = recipe.fields
        label, frame_ms = label or recipe.framework, recipe.hop_ms
        sizes = [("W", f.W)] + ([("T", f.T)] if f.pS == 0 else [])
        sizes += [(name, value) for name, value, unit in f.extra if unit == "frames"]
    else:
        return []
    out = []
    for name, frames in sizes:
        if not frames or math.isclose(frame_ms, settings.hop_ms):
            continue
        own_ms = frames * frame_ms
        here = int(round(own_ms / settings.hop_ms))
        here_ms = here * settings.hop_ms
        if abs(here_ms - own_ms) > ROUNDING_WARN * own_ms:
            out.append(f"{label}: {name} = {frames} frames of {frame_ms:g} ms ({own_ms:g} ms) is drawn as {here} "
                       f"frames of {settings.hop_ms:.3g} ms ({here_ms:.0f} ms, {100 * (here_ms / own_ms - 1):+.0f}%); "
                       f"an analysis with a {frame_ms:g} ms hop (e.g. --sr 16000 --hop {round(frame_ms * 16):d}) "
                       "draws it in the recipe's own frames")
    return out


def n_frames_for(duration_s: float, settings: MelSettings) -> int:
    """Frames of a clip of ``duration_s`` seconds under ``settings`` (a centred STFT, as a render's).

    Examples
    --------
    >>> n_frames_for(2.0, MelSettings()), n_frames_for(2.0, MelSettings(sr=16000, hop_length=160))
    (87, 201)
    """
    return settings.n_frames(int(round(duration_s * settings.sr)))


def _check_durations(durations_s, max_duration_s: float) -> tuple[float, ...]:
    max_duration_s = check_float("max_duration_s", max_duration_s, low=0.001, high=MAX_DURATION_CAP_S)
    try:
        values = tuple(float(d) for d in durations_s)
    except (TypeError, ValueError):
        raise ParameterError("durations must be numbers of seconds, e.g. 1, 2, 5") from None
    if not values or len(values) > MAX_DURATIONS:
        raise ParameterError(f"give between 1 and {MAX_DURATIONS} durations, got {len(values)}")
    for d in values:
        if not math.isfinite(d) or d <= 0:
            raise ParameterError(f"a duration must be more than 0 s, got {d:g}")
        if d > max_duration_s:
            raise ParameterError(f"a duration must be at most {max_duration_s:g} s (the longest clip accepted), "
                                 f"got {d:g}")
    return tuple(sorted(set(values)))


def check_draws(draws) -> int:
    """``draws`` as an int in ``MIN_DRAWS..MAX_DRAWS`` (else one-line :class:`ParameterError`)."""
    if isinstance(draws, (int, np.integer)) and not isinstance(draws, bool) and draws > MAX_DRAWS:
        raise ParameterError(f"at most {MAX_DRAWS} draws per length (got {int(draws)}): more would take "
                             "minutes and change the numbers by less than their last digit")
    return check_int("draws", draws, low=MIN_DRAWS, high=MAX_DRAWS)


def _rng(seed: int, duration_s: float) -> np.random.Generator:
    """One stream per (seed, length): a recipe's numbers do not depend on what else is drawn beside it."""
    return np.random.default_rng(np.random.SeedSequence([seed, int(round(duration_s * 1000))]))


def _draw_row(config: SpecAugmentConfig, *, duration_s: float, draws: int, settings: MelSettings,
              seed: int) -> tuple[StatsRow, set[str]]:
    n_frames = n_frames_for(duration_s, settings)
    batch = draw_many(config, n_mels=settings.n_mels, n_frames=n_frames, rng=_rng(seed, duration_s), size=draws)
    own = {op for op in batch.order if op not in OPERATIONS}
    return summarise(batch, hop_ms=settings.hop_ms, duration_s=duration_s), own


#: Rows already drawn, by (config, settings, length, draws, seed): the app's comparison redraws only the
#: recipe that changed. Rows are small and immutable; the oldest go first.
_ROWS: collections.OrderedDict = collections.OrderedDict()
_ROWS_MAX = 512
_ROWS_LOCK = threading.Lock()


def _cached_row(config: SpecAugmentConfig, *, duration_s: float, draws: int, settings: MelSettings,
                seed: int) -> tuple[StatsRow, set[str]]:
    key = (config, settings, duration_s, draws, seed)
    with _ROWS_LOCK:
        if key in _ROWS:
            _ROWS.move_to_end(key)
            return _ROWS[key]
    value = _draw_row(config, duration_s=duration_s, draws=draws, settings=settings, seed=seed)
    with _ROWS_LOCK:
        _ROWS[key] = value
        while len(_ROWS) > _ROWS_MAX:
            _ROWS.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget the rows drawn so far (the next :func:`recipe_stats` draws everything again)."""
    with _ROWS_LOCK:
        _ROWS.clear()


def recipe_stats(recipe, *, durations_s=DEFAULT_DURATIONS_S, draws: int = DEFAULT_DRAWS,
                 settings: MelSettings | None = None, seed: int = 0, label: str | None = None,
                 max_duration_s: float = DEFAULT_MAX_DURATION_S) -> RecipeStats:
    """Draw ``recipe`` ``draws`` times per utterance length and summarise what it hides.

    Parameters
    ----------
    recipe : SpecAugmentConfig, frameworks.Recipe, Policy or str
        A config in ``settings``' frames and bands (its ``convention`` picks the draw rules), an imported
        training recipe (:func:`melwav.frameworks.import_recipe`, converted with its
        :meth:`~melwav.frameworks.Recipe.to_config`), a :class:`~melwav.specaugment.Policy` or a policy's name.
    durations_s : sequence of float
        Utterance lengths (s), each in ``(0, max_duration_s]``; sorted, duplicates dropped.
    draws : int
        Draws per length, ``MIN_DRAWS..MAX_DRAWS``.
    settings : MelSettings, optional
        The analysis the draws are made in (default: the render's default analysis).
    seed : int
        Seeds one stream per length (the same numbers whatever else is drawn beside).
    label : str, optional
        The name shown (default: the policy's name, the framework's, or "custom").
    max_duration_s : float
        The longest length accepted (default the app's 30 s; the CLI passes its ``--max-duration``).

    Returns
    -------
    RecipeStats
        ``rows[i]`` for ``durations_s[i]`` (sorted); warnings where the recipe masks more than half of a
        :data:`SHORT_S` utterance in over :data:`OVER_HALF_WARN` of the draws, or where a width changes by
        more than :data:`ROUNDING_WARN` in this analysis' frames.

    Examples
    --------
    >>> st = recipe_stats("LB", durations_s=[2, 10], draws=500)
    >>> [round(r.n_time_masks) for r in st.rows]
    [1, 1]
    >>> st.row(10).time_masked.mean < st.row(2).time_masked.mean    # the same T hides less of a longer clip
    True
    """
    settings = MelSettings() if settings is None else settings
    if not isinstance(settings, MelSettings):
        raise ParameterError("settings must be a MelSettings")
    durations = _check_durations(durations_s, max_duration_s)
    draws = check_draws(draws)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    if label is not None and (not isinstance(label, str) or not 0 < len(label) <= 64):
        raise ParameterError("label must be a text of 1 to 64 characters")
    config, label, warnings, notes = _resolve(recipe, settings, label)
    rows, own = [], set()
    for d in durations:
        row, ops = _cached_row(config, duration_s=d, draws=draws, settings=settings, seed=seed)
        rows.append(row)
        own |= ops
    short = next((r for r in rows if math.isclose(r.duration_s, SHORT_S)), None)
    if short is None and SHORT_S <= max_duration_s:  # the warning's length, drawn for it alone
        short, _ = _cached_row(config, duration_s=SHORT_S, draws=draws, settings=settings, seed=seed)
    if short is not None and short.p_time_over_half > OVER_HALF_WARN:
        warnings.insert(0, f"{label} masks more than half of a {SHORT_S:g} s utterance in "
                        f"{short.p_time_over_half:.0%} of draws (over {OVER_HALF_WARN:.0%}): short utterances "
                        f"often keep less than half of their frames")
    if own:
        notes.append(f"{config.convention}'s own operations ({', '.join(sorted(own))}) are not counted as masks: "
                     "they copy or drop frames, they do not hide them behind a fill")
    return RecipeStats(label, config.convention, settings, draws, seed, tuple(rows), tuple(warnings), tuple(notes))


def expected_shares(config, settings: MelSettings, *, durations_s, draws: int = 500, seed: int = 0,
                    max_lengths: int = 12) -> dict | None:
    """The masked shares a recipe is expected to give on clips of these lengths (mean over clips and draws).

    What a report of renders over a corpus shows next to the shares it measured: ``{"time", "freq",
    "cells"}`` (0..1; ``"cells"`` is ``1 - (1 - time)(1 - freq)`` per draw, the share of the spectrogram's
    cells), plus ``"draws"`` and ``"lengths_s"`` (the lengths drawn). Clips are grouped to at most
    ``max_lengths`` lengths (the quantiles of ``durations_s``), each weighted by its number of clips, so a
    corpus of any size costs at most ``max_lengths x draws`` draws.

    Parameters
    ----------
    config : SpecAugmentConfig, frameworks.Recipe, Policy or str
        As :func:`recipe_stats`.
    settings : MelSettings
    durations_s : sequence of float
        One length per clip (s); lengths over 600 s are drawn as 600 s.
    draws, seed
        Draws per length (20..100000) and the seed.
    max_lengths : int
        How many lengths at most are drawn (1..24).

    Returns
    -------
    dict or None
        None when ``durations_s`` holds no positive length.

    Examples
    --------
    >>> out = expected_shares("LB", MelSettings(), durations_s=[2.0, 2.1, 10.0], draws=200)
    >>> sorted(out), 0 < out["time"] < out["cells"] < 1
    (['cells', 'draws', 'freq', 'lengths_s', 'time'], True)
    """
    max_lengths = check_int("max_lengths", max_lengths, low=1, high=MAX_DURATIONS)
    draws = check_draws(draws)
    seed = check_int("seed", seed, low=0, high=2**32 - 1)
    lengths = np.array([float(d) for d in durations_s if d is not None and math.isfinite(float(d)) and d > 0])
    if lengths.size == 0:
        return None
    lengths = np.minimum(lengths, MAX_DURATION_CAP_S)
    levels = np.unique(np.round(np.quantile(lengths, np.linspace(0, 1, max_lengths)), 2))
    levels = levels[levels > 0]
    nearest = np.abs(lengths[:, None] - levels[None, :]).argmin(axis=1)
    weights = np.bincount(nearest, minlength=levels.size) / lengths.size
    config = _resolve(config, settings, None)[0]
    out = {"time": 0.0, "freq": 0.0, "cells": 0.0}
    for level, weight in zip(levels, weights):
        if not weight:
            continue
        n_frames = n_frames_for(float(level), settings)
        batch = draw_many(config, n_mels=settings.n_mels, n_frames=n_frames, rng=_rng(seed, float(level)),
                          size=draws)
        t, _ = _union_share(batch.time, n_frames)
        f, _ = _union_share(batch.freq, settings.n_mels)
        out["time"] += weight * float(t.mean())
        out["freq"] += weight * float(f.mean())
        out["cells"] += weight * float(np.mean(1.0 - (1.0 - t) * (1.0 - f)))
    return {**{k: float(v) for k, v in out.items()}, "draws": draws,
            "lengths_s": [float(v) for v, w in zip(levels, weights) if w]}


# ------------------------------------------------------------------------------------------ output


def stats_json(stats: Sequence[RecipeStats]) -> dict:
    """``{"recipes": [...]}``: each recipe's :meth:`RecipeStats.to_dict`, plus the draws and the analysis.

    Examples
    --------
    >>> data = stats_json([recipe_stats("LB", durations_s=[2], draws=50)])
    >>> data["recipes"][0]["rows"][0]["n_frames"], sorted(data["recipes"][0]["rows"][0]["warp_ms"])
    (87, ['mean_abs', 'p95_abs'])
    """
    stats = list(stats)
    first = stats[0].settings if stats else MelSettings()
    return {
        "recipes": [s.to_dict() for s in stats],
        "draws": stats[0].draws if stats else 0,
        "seed": stats[0].seed if stats else 0,
        "analysis": {"sr": first.sr, "n_fft": first.n_fft, "hop_length": first.hop_length, "n_mels": first.n_mels,
                     "hop_ms": first.hop_ms},
    }


_HEAD = ("recipe", "rules", "len s", "frames", "time %", "p5", "p95", ">half %", "mel %", "p5", "p95",
         "warp ms", "p95", "masks t", "f")


def format_table(stats: Sequence[RecipeStats], *, markdown: bool = False) -> str:
    """A plain-text table, one line per recipe and length (shares in percent), recipes one after another
    (``markdown``: a Markdown table, for a page).

    Examples
    --------
    >>> print(format_table([recipe_stats("LB", durations_s=[2], draws=100)]).splitlines()[0][:29])
    recipe  rules   len s  frames
    """
    lines = []
    for s in stats:
        for r in s.rows:
            t, f = r.time_masked, r.freq_masked
            lines.append((s.label, s.framework, f"{r.duration_s:g}", f"{r.n_frames}", f"{100 * t.mean:.1f}",
                          f"{100 * t.p5:.1f}", f"{100 * t.p95:.1f}", f"{100 * r.p_time_over_half:.1f}",
                          f"{100 * f.mean:.1f}", f"{100 * f.p5:.1f}", f"{100 * f.p95:.1f}",
                          f"{r.warp_mean_abs_ms:.0f}", f"{r.warp_p95_abs_ms:.0f}", f"{r.n_time_masks:.2f}",
                          f"{r.n_freq_masks:.2f}"))
    if markdown:
        head = ["recipe", "rules", "length s", "frames", "time masked %", "p5", "p95", "over half %",
                "mel masked %", "p5", "p95", "warp ms", "p95", "time masks", "freq masks"]
        bar = ["---"] * 2 + ["---:"] * (len(head) - 2)
        return "\n".join("| " + " | ".join(_md(c) for c in row) + " |" for row in [head, bar, *lines])
    widths = [max(len(row[i]) for row in [_HEAD, *lines]) for i in range(len(_HEAD))]

    def fmt(row):
        # names left, numbers right
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt(_HEAD), *(fmt(r) for r in lines)])


def _md(text: str) -> str:
    """A cell of a Markdown table: a label from a file name shows as typed (no emphasis, links or tags)."""
    return "".join("\\" + c if c in "\\`*_{}[]()<>#+!|~" else c for c in text)


#: One colour per recipe, Okabe-Ito (colour-blind safe), ordered per theme so the first ones carry on both.
COLOURS = {
    "light": ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"),
    "dark": ("#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#F0E442", "#D55E00", "#FFFFFF", "#0072B2"),
}
STATS_FIGURE_PX = (1200, 520)


def plot_recipe_stats(stats: Sequence[RecipeStats], *, theme: str = "light") -> Figure:
    """Masked share against utterance length, time axis and mel axis, one colour per recipe.

    Each recipe is a line (the mean, one marker per length drawn) over its p5-p95 band; the time panel has a
    dashed line at half the utterance. Sized for a projector (labels 22 px at 1200 x 520); the background is
    transparent and the ink follows ``theme``.

    Parameters
    ----------
    stats : sequence of RecipeStats
        1 to 8 recipes (e.g. recipe A and recipe B of a comparison).
    theme : {"light", "dark"}

    Returns
    -------
    matplotlib.figure.Figure
        Two axes; each holds one line per recipe (gid ``"recipe:<label>"``) and a band per recipe.

    Examples
    --------
    >>> fig = plot_recipe_stats([recipe_stats("LB", draws=100), recipe_stats("LD", draws=100)], theme="dark")
    >>> [len([l for l in ax.lines if (l.get_gid() or "").startswith("recipe:")]) for ax in fig.axes]
    [2, 2]
    """
    ink = _theme(theme)
    stats = list(stats)
    if not 1 <= len(stats) <= len(COLOURS[theme]):
        raise ParameterError(f"plot 1 to {len(COLOURS[theme])} recipes, got {len(stats)}")
    w, h = STATS_FIGURE_PX
    fig = Figure(figsize=(w / 100, h / 100), dpi=100)
    axes = fig.subplots(1, 2, sharey=True)
    durations = sorted({r.duration_s for s in stats for r in s.rows})
    for ax, axis, title in ((axes[0], "time", "time axis masked"), (axes[1], "freq", "mel axis masked")):
        for k, s in enumerate(stats):
            colour = COLOURS[theme][k]
            x = [r.duration_s for r in s.rows]
            spreads = [r.time_masked if axis == "time" else r.freq_masked for r in s.rows]
            ax.fill_between(x, [sp.p5 for sp in spreads], [sp.p95 for sp in spreads], color=colour, alpha=0.22,
                            linewidth=0)
            ax.plot(x, [sp.mean for sp in spreads], color=colour, linewidth=3.5, marker="o", markersize=8,
                    label=s.label, gid=f"recipe:{s.label}")
        if axis == "time":
            ax.axhline(0.5, color=ink, linewidth=1.5, linestyle="--", alpha=0.6, gid="half")
        ax.set_title(title)
        ax.set_xlabel("utterance length (s)")
        if len(durations) > 1 and durations[-1] / durations[0] >= 4:
            ax.set_xscale("log")  # 1 s to 30 s: the short lengths, where recipes differ most, get room
        ax.xaxis.set_major_locator(FixedLocator(durations))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(durations, [f"{d:g}" for d in durations])
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(True, color=ink, alpha=0.15, linewidth=1)
    axes[0].set_ylabel("share masked (mean, p5-p95)")
    # Long labels (file names) go two to a row, so the legend stays inside the figure.
    ncol = min(len(stats), 4) if sum(len(s.label) + 5 for s in stats) <= 90 else min(len(stats), 2)
    rows = -(-len(stats) // ncol)
    legend = fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=ncol, frameon=False,
                        fontsize=22 * 0.72)
    for text in legend.get_texts():
        text.set_color(ink)
    _style(fig, base=22, theme=theme)
    fig.subplots_adjust(left=0.09, right=0.985, bottom=0.17, top=0.86 - 0.08 * rows, wspace=0.08)
    return fig


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Recipes side by side: their statistics, the figure, the warnings and a Markdown table (for a page)."""

    stats: tuple[RecipeStats, ...]
    figure: Figure
    warnings: tuple[str, ...]
    table: str

    def to_dict(self) -> dict:
        return stats_json(self.stats)


def compare_recipes(recipes: Sequence, *, labels: Sequence[str | None] | None = None, theme: str = "light",
                    durations_s=DEFAULT_DURATIONS_S, draws: int = DEFAULT_DRAWS, settings: MelSettings | None = None,
                    seed: int = 0, max_duration_s: float = DEFAULT_MAX_DURATION_S) -> Comparison:
    """:func:`recipe_stats` for each recipe (same lengths, draws, analysis and seed) and their figure.

    Parameters
    ----------
    recipes : sequence of SpecAugmentConfig, frameworks.Recipe, Policy or str
        1 to 8 recipes, e.g. A (the current settings) and B (a preset or an imported config).
    labels : sequence of str or None, optional
        One per recipe (None: :func:`recipe_stats`' default label).
    theme : {"light", "dark"}
        The figure's ink (:func:`plot_recipe_stats`).
    durations_s, draws, settings, seed, max_duration_s
        As :func:`recipe_stats`.

    Returns
    -------
    Comparison
        ``figure`` a matplotlib Figure; ``warnings`` every recipe's, in order; ``table`` Markdown.

    Examples
    --------
    >>> cmp = compare_recipes(["LB", "LD"], labels=["A", "B"], durations_s=[2, 10], draws=200)
    >>> [s.label for s in cmp.stats], len(cmp.figure.axes)
    (['A', 'B'], 2)
    """
    recipes = list(recipes)
    labels = [None] * len(recipes) if labels is None else list(labels)
    if len(labels) != len(recipes):
        raise ParameterError(f"give one label per recipe: {len(recipes)} recipes, {len(labels)} labels")
    _theme(theme)  # a wrong theme is refused before any draw
    if not 1 <= len(recipes) <= len(COLOURS["light"]):
        raise ParameterError(f"compare 1 to {len(COLOURS['light'])} recipes, got {len(recipes)}")
    out = tuple(recipe_stats(r, durations_s=durations_s, draws=draws, settings=settings, seed=seed, label=lab,
                             max_duration_s=max_duration_s) for r, lab in zip(recipes, labels))
    return Comparison(out, plot_recipe_stats(out, theme=theme), tuple(w for s in out for w in s.warnings),
                      format_table(out, markdown=True))
