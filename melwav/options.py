"""The command line's shared options: one flag per setting, for the render and every subcommand.

:mod:`melwav.cli` (the render and the subcommand table), :mod:`melwav.stats_cli` and :mod:`melwav.audition`
build their parsers from these groups and read the settings back with the same functions, so ``--hop`` or
``--config`` means one thing everywhere.
"""

from __future__ import annotations

import argparse

import numpy as np

from . import frameworks, limits
from .audio import DEFAULT_MAX_DURATION_S
from .errors import ParameterError
from .features import MelSettings
from .frameworks import fill_explanation
from .reconstruction import DEFAULT_METHOD, METHODS
from .specaugment import FILL_MODES, POLICIES, SpecAugmentConfig, frames_from_ms, policy


def add_augmentation_options(p: argparse.ArgumentParser, *, params: bool = True, repeat: bool = False,
                             fill: bool = True) -> None:
    """``--policy``, ``--seed``, the sizes and the fill (and ``--params``, a saved draw, when ``params``).

    ``repeat``: ``--policy`` may be given several times (a list, ``None`` when absent), one recipe each;
    ``fill=False`` leaves out ``--fill`` and ``--fill-db`` (for commands where nothing is heard).
    """
    aug = p.add_argument_group("augmentation (SpecAugment)")
    if repeat:
        aug.add_argument("--policy", action="append", metavar="NAME",
                         help=f"a preset: {', '.join(POLICIES)}; repeat it for several recipes side by side")
    else:
        aug.add_argument("--policy", default="none", help=f"preset to start from: {', '.join(POLICIES)} (default none)")
    aug.add_argument("--seed", type=int, default=0, help="seed of the random draw (default 0)")
    if params:
        aug.add_argument("--params", metavar="JSON", help="replay the settings and exact draw saved in this file")
    for name, _unit, help_ in (
        ("warp", "frames", "time-warp W: largest shift of the warp point"),
        ("time-mask", "frames", "time-mask T: largest width"),
    ):
        g = aug.add_mutually_exclusive_group()
        g.add_argument(f"--{name}-frames", type=int, metavar="N", help=f"{help_}, in frames")
        g.add_argument(f"--{name}-ms", type=float, metavar="MS", help=f"{help_}, in milliseconds")
    aug.add_argument("--freq-mask-bands", type=int, metavar="N", help="frequency-mask F: largest width in mel bands")
    aug.add_argument("--n-freq-masks", type=int, metavar="N", help="mF: number of frequency masks")
    aug.add_argument("--n-time-masks", type=int, metavar="N", help="mT: number of time masks (the cap if adaptive)")
    aug.add_argument("--p", type=float, metavar="RATIO", help="time mask at most p x clip length (0..1)")
    aug.add_argument("--width-ratio", type=float, metavar="pS", help="adaptive width: T = pS x clip frames (0 = off)")
    aug.add_argument("--masks-per-frame", type=float, metavar="pM",
                     help="adaptive count: min(mT, pM x clip frames) masks (0 = off)")
    if not fill:
        return
    aug.add_argument("--fill", choices=FILL_MODES, help="what masked cells become: mean (default), floor "
                     "(silence), value (--fill-db), stage_mean, band_mean (each band's own mean), absolute "
                     "(--fill-db re. the recipe framework's own 0)")
    aug.add_argument("--fill-db", type=float, metavar="DB", help="fill level in dB re. the clip's peak (--fill value)")


def add_recipe_options(p: argparse.ArgumentParser, *, export: bool = False, repeat: bool = False) -> None:
    """``--config``, ``--framework`` and the framework's units (and ``--export`` when ``export``).

    ``repeat``: ``--config`` may be given several times (a list, ``None`` when absent).
    """
    fw = p.add_argument_group(f"training recipes ({', '.join(frameworks.FRAMEWORKS)})")
    fw.add_argument("--config", metavar="FILE", action="append" if repeat else "store",
                    help="start from the SpecAugment settings in this training config (any of the frameworks "
                    "above, see below); the options above still override single values"
                    + ("; repeat it for several recipes side by side" if repeat else ""))
    fw.add_argument("--framework", metavar="NAME",
                    help=f"what --config is: {', '.join(frameworks.FRAMEWORKS)} (default: guessed from the text)")
    fw.add_argument("--framework-hop-ms", type=float, metavar="MS",
                    help="hop of the framework's features in ms, i.e. what one of its frames lasts (default: "
                    "what the config says, else the framework's usual value, e.g. 10)")
    fw.add_argument("--framework-n-mels", type=int, metavar="N",
                    help="mel channels of the framework's features (default: the config's, else usually 80)")
    fw.add_argument("--framework-analysis", action="store_true",
                    help="analyse at the --config framework's own rate, hop and mel count (instead of --sr, "
                    "--n-fft, --hop, --n-mels), so its frames are melwav's and its numbers are drawn as they are")
    if export:
        fw.add_argument("--export", metavar="NAME",
                        help=f"print the settings as a {'/'.join(frameworks.FRAMEWORKS)} fragment on stdout "
                        "(the --framework-* units apply)")


def add_analysis_options(p: argparse.ArgumentParser, *, trim: bool = True) -> None:
    """The mel analysis (``--sr``, ``--n-fft``, ``--hop``, ``--n-mels``, ...) and the clip-length cap
    (and ``--trim`` when ``trim``: for commands that read a clip)."""
    ana = p.add_argument_group("analysis")
    ana.add_argument("--sr", type=int, default=22050, help="analysis sample rate (default 22050)")
    ana.add_argument("--n-fft", type=int, default=2048, help="FFT size (default 2048)")
    ana.add_argument("--hop", type=int, default=512, help="hop in samples (default 512)")
    ana.add_argument("--n-mels", type=int, default=128, help="mel bands (default 128)")
    ana.add_argument("--fmin", type=float, default=0.0, help="lowest mel frequency, Hz (default 0)")
    ana.add_argument("--fmax", type=float, default=None, help="highest mel frequency, Hz (default sr/2)")
    ana.add_argument("--max-duration", type=float, default=DEFAULT_MAX_DURATION_S,
                     help=f"longest clip accepted, seconds (default {DEFAULT_MAX_DURATION_S:g})")
    if trim:
        ana.add_argument("--trim", action="store_true", help="keep the head of a longer clip instead of refusing it")


def add_reconstruction_options(p: argparse.ArgumentParser) -> None:
    """``--method``, ``--n-iter`` and ``--no-work-limit``."""
    rec = p.add_argument_group("reconstruction")
    rec.add_argument("--method", default=None, help=f"one of {', '.join(METHODS)} (default {DEFAULT_METHOD})")
    rec.add_argument("--n-iter", type=int, default=None, help="phase-retrieval iterations (default: the method's)")
    rec.add_argument("--no-work-limit", action="store_true",
                     help=f"lift the work limit (frames x FFT size x iterations <= {limits.CLI_BUDGET:.0e}, about "
                     "10x what the web app allows); the librosa method's memory check stays")


_ANALYSIS_OPTIONS = (("--sr", "sr"), ("--n-fft", "n_fft"), ("--hop", "hop"), ("--n-mels", "n_mels"),
                     ("--fmin", "fmin"), ("--fmax", "fmax"))


def recipe_settings(args, recipe: frameworks.Recipe | None, parser: argparse.ArgumentParser) -> MelSettings:
    """The analysis: the recipe framework's own with ``--framework-analysis``, else :func:`settings_from_args`."""
    if not getattr(args, "framework_analysis", False):
        return settings_from_args(args)
    if recipe is None:
        raise ParameterError("--framework-analysis uses the --config framework's analysis; give --config")
    given = [opt for opt, dest in _ANALYSIS_OPTIONS if getattr(args, dest) != parser.get_default(dest)]
    if given:
        raise ParameterError(f"--framework-analysis sets the analysis; drop {', '.join(given)}")
    return frameworks.native_settings(recipe)


def settings_from_args(args) -> MelSettings:
    """The analysis the options of :func:`add_analysis_options` ask for."""
    return MelSettings(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop, n_mels=args.n_mels, fmin=args.fmin,
                       fmax=args.fmax)


MAX_RECIPE_BYTES = frameworks.MAX_RECIPE_BYTES


def read_recipe(args) -> frameworks.Recipe:
    """The training recipe named by ``--config`` (never executed: parsed as YAML / literals only)."""
    with open(args.config, "rb") as f:
        raw = f.read(MAX_RECIPE_BYTES + 1)
    if len(raw) > MAX_RECIPE_BYTES:
        raise ParameterError(f"--config {args.config} is larger than {MAX_RECIPE_BYTES // 1000} kB; "
                             "paste only the SpecAugment part")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParameterError(f"--config {args.config} is not a UTF-8 text file") from None
    return frameworks.import_recipe(text, framework=args.framework, hop_ms=args.framework_hop_ms,
                                  n_mels=args.framework_n_mels)


def recipe_notes(recipe: frameworks.Recipe, config: SpecAugmentConfig, settings: MelSettings) -> list[str]:
    """What the CLI says about an imported recipe: the unit conversion, what was left out, the fill."""
    notes = [f"{recipe.framework} recipe in frames of {recipe.hop_ms:g} ms and {recipe.n_mels} mel channels; "
             f"here frames of {settings.hop_ms:.3g} ms and {settings.n_mels} bands:"]
    notes += [f"  {line}" for line in recipe.describe(settings).splitlines()]
    notes += list(recipe.config_notes())
    notes.append(fill_explanation(config.convention, fill=config.fill, fill_db=config.fill_db))
    return notes


def config_from_args(args, settings: MelSettings, recipe: frameworks.Recipe | None = None
                     ) -> tuple[SpecAugmentConfig, str | None]:
    """The augmentation settings: the policy's (or the recipe's), overridden by each option given."""
    if recipe is not None:
        config = recipe.to_config(settings, fill_db=args.fill_db if args.fill_db is not None else -80.0)
        name = None
    else:
        pol = policy(args.policy)
        config, name = pol.to_config(settings), pol.name
    changes = {}
    if args.warp_frames is not None:
        changes["warp_frames"] = args.warp_frames
    if args.warp_ms is not None:
        changes["warp_frames"] = _frames("--warp-ms", args.warp_ms, settings)
    if args.time_mask_frames is not None:
        changes["time_mask_frames"] = args.time_mask_frames
    if args.time_mask_ms is not None:
        changes["time_mask_frames"] = _frames("--time-mask-ms", args.time_mask_ms, settings)
    for opt, field in (("freq_mask_bands", "freq_mask_bands"), ("n_freq_masks", "n_freq_masks"),
                       ("n_time_masks", "n_time_masks"), ("p", "max_time_ratio"), ("width_ratio", "width_ratio"),
                       ("masks_per_frame", "masks_per_frame"), ("fill", "fill"), ("fill_db", "fill_db")):
        value = getattr(args, opt)
        if value is not None:
            changes[field] = value
    if args.fill_db is not None and args.fill is None:
        changes["fill"] = "value"
    return config.replace(**changes), name


def _frames(option: str, ms: float, settings: MelSettings) -> int:
    if not np.isfinite(ms) or ms < 0:
        raise ParameterError(f"{option} must be a duration >= 0 ms, got {ms:g}")
    return frames_from_ms(ms, settings)
