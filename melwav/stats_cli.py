"""``python -m melwav stats``: how much of an utterance each recipe hides (see :mod:`melwav.stats`)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import cli, frameworks
from .audio import MAX_DURATION_CAP_S
from .errors import ParameterError
from .plot import THEMES, save_png
from .specaugment import policy
from .stats import (
    DEFAULT_DRAWS,
    DEFAULT_DURATIONS_S,
    MAX_DRAWS,
    check_draws,
    format_table,
    plot_recipe_stats,
    recipe_stats,
    stats_json,
    unit_warnings,
)

EPILOG = """\
examples:
  python -m melwav stats --policy LD
  python -m melwav stats --policy LD --config examples/espnet_librispeech_conformer.yaml --png ld_espnet.png
  python -m melwav stats --config examples/wenet_aishell_u2pp_conformer.yaml --sr 16000 --hop 160 --n-mels 80 \\
      --durations 1,2,3,5 --draws 10000 --json wenet.json

For each recipe and utterance length: the share of the frames and of the mel bands under a mask (mean,
5th and 95th percentile over the draws; overlapping masks count once), how often more than half the
frames are masked, the warp's |shift| (ms) and the mean number of masks (of non-zero width). Each recipe is
drawn by its own framework's rules, in the frames of the analysis (--sr, --hop, ...), as a render of it
would be; a framework's own operations (WeNet's spec_sub, spec_trim) are not counted as masks. Size options
(--time-mask-ms, --n-time-masks, ...) change every recipe given.
"""

#: One colour each on the figure.
MAX_RECIPES = 8


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m melwav stats",
        description="How much of an utterance does a SpecAugment recipe hide? Draws each recipe many times "
        "per utterance length and prints the masked shares; one or more recipes side by side.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    st = p.add_argument_group("statistics")
    st.add_argument("--durations", default=",".join(f"{d:g}" for d in DEFAULT_DURATIONS_S), metavar="S,S,...",
                    help="utterance lengths in seconds, comma-separated (default %(default)s)")
    st.add_argument("--draws", type=int, default=DEFAULT_DRAWS, metavar="N",
                    help=f"draws per recipe and length (default %(default)s, at most {MAX_DRAWS})")
    st.add_argument("--json", metavar="FILE", help="write the numbers as JSON")
    st.add_argument("--png", metavar="FILE", help="write the masked share against length as a figure")
    st.add_argument("--theme", choices=tuple(THEMES), default="light", help="the figure's ink (default light)")
    cli.add_augmentation_options(p, params=False, repeat=True, fill=False)
    cli.add_recipe_options(p, repeat=True)
    cli.add_analysis_options(p, trim=False)
    return p


def parse_durations(text: str) -> list[float]:
    """``"1,2,5"`` -> ``[1.0, 2.0, 5.0]`` (one-line :class:`ParameterError` otherwise; the range is checked
    by :func:`melwav.stats.recipe_stats`).

    Examples
    --------
    >>> parse_durations("1, 2,5")
    [1.0, 2.0, 5.0]
    """
    parts = [t.strip() for t in str(text).split(",")]
    try:
        return [float(t) for t in parts]
    except ValueError:
        raise ParameterError(f"--durations must be seconds separated by commas, e.g. 1,2,5,10; got "
                             f"{text[:40]!r}") from None


def _recipes_in_order(args, argv) -> list[tuple[str, str]]:
    """``[("policy" | "config", value), ...]`` in the order the command line gives them."""
    wanted = [("policy", v) for v in args.policy or []] + [("config", v) for v in args.config or []]
    seen = []
    for i, token in enumerate(argv):
        for kind in ("policy", "config"):
            if token == f"--{kind}" and i + 1 < len(argv):
                seen.append((kind, argv[i + 1]))
            elif token.startswith(f"--{kind}="):
                seen.append((kind, token.split("=", 1)[1]))
    return seen if sorted(seen) == sorted(wanted) else wanted  # abbreviated options: policies first


_SIZE_OPTIONS = ("warp_frames", "warp_ms", "time_mask_frames", "time_mask_ms", "freq_mask_bands", "n_freq_masks",
                 "n_time_masks", "p", "width_ratio", "masks_per_frame")


def run(argv=None) -> int:
    argv = sys.argv[2:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    recipes = _recipes_in_order(args, argv)
    if not recipes:
        raise ParameterError("give at least one recipe: --policy NAME or --config FILE (each may repeat)")
    if len(recipes) > MAX_RECIPES:
        raise ParameterError(f"at most {MAX_RECIPES} recipes side by side, got {len(recipes)}")
    for option, value in (("--framework", args.framework), ("--framework-hop-ms", args.framework_hop_ms),
                          ("--framework-n-mels", args.framework_n_mels)):
        if option == "--framework" and value is not None:
            frameworks.default_units(value)
        if value is not None and not args.config:
            raise ParameterError(f"{option} describes a training recipe; use it with --config")
    if getattr(args, "framework_analysis", False):
        # The shared recipe options may grow a flag stats does not draw by yet: refuse it rather than ignore it.
        raise ParameterError("stats does not take --framework-analysis yet; give the recipe's analysis with "
                             "--sr, --n-fft, --hop and --n-mels")
    for option, value in (("--json", args.json), ("--png", args.png)):
        if value and os.path.isdir(value):
            raise ParameterError(f"{option} {value} is a folder; give a file name "
                                 f"(e.g. {os.path.join(value, 'stats')})")
    if not 0 < args.max_duration <= MAX_DURATION_CAP_S:
        raise ParameterError(f"--max-duration must be more than 0 and at most {MAX_DURATION_CAP_S:g} s, "
                             f"got {args.max_duration:g}")
    durations = parse_durations(args.durations)
    draws = check_draws(args.draws)
    settings = cli.settings_from_args(args)
    edited = [name for name in _SIZE_OPTIONS if getattr(args, name) is not None]

    # Every recipe is read and checked before the first draw.
    prepared = []
    labels: list[str] = []
    for kind, value in recipes:
        if kind == "policy":
            source = policy(value)
            label, recipe = source.name, None
        else:
            recipe = cli.read_recipe(argparse.Namespace(**{**vars(args), "config": value}))
            source, label = recipe, os.path.basename(value)
        label = label if label not in labels else f"{label} ({labels.count(label) + 1})"
        labels.append(label)
        if edited:
            one = argparse.Namespace(**{**vars(args), "policy": value if kind == "policy" else "none",
                                        "fill": None, "fill_db": None})
            config, _ = cli.config_from_args(one, settings, recipe)
            warnings = (unit_warnings(source, settings, label=label)
                        + _frames_option_warnings(args, source, label, settings))
            prepared.append((config, label, warnings))
        else:
            prepared.append((source, label, []))

    results = []
    for source, label, warnings in prepared:
        st = recipe_stats(source, durations_s=durations, draws=draws, settings=settings, seed=args.seed,
                          label=label, max_duration_s=args.max_duration)
        if warnings:
            st = st.with_warnings(warnings)
        results.append(st)

    print(format_table(results))
    if edited:
        print(f"note: {', '.join('--' + n.replace('_', '-') for n in edited)} applied to every recipe",
              file=sys.stderr)
    for st in results:
        for note in st.notes:
            print(f"note: {st.label}: {note}" if not note.startswith(" ") else f"note: {note}", file=sys.stderr)
    for st in results:
        for warning in st.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    written = []
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(stats_json(results), f, indent=1)
            f.write("\n")
        written.append(args.json)
    if args.png:
        written.append(str(save_png(args.png, plot_recipe_stats(results, theme=args.theme))))
    if written:
        print(f"wrote {', '.join(written)}", file=sys.stderr)
    return 0


def _frames_option_warnings(args, source, label: str, settings) -> list[str]:
    """A warning when a width option in frames (of this analysis) changes a recipe whose frames are another hop's."""
    own_ms = source.hop_ms if isinstance(source, frameworks.Recipe) else source.frame_ms
    out = []
    for option, value in (("--warp-frames", args.warp_frames), ("--time-mask-frames", args.time_mask_frames)):
        if value is None or abs(own_ms - settings.hop_ms) < 1e-9:
            continue
        out.append(f"{label}: {option} {value} counts frames of this analysis ({settings.hop_ms:.3g} ms, so "
                   f"{value * settings.hop_ms:.0f} ms), not the recipe's own {own_ms:g} ms frames "
                   f"({value * own_ms:g} ms); give {option.replace('frames', 'ms')} to mean a duration")
    return out
