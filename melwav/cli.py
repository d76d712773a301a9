"""Command line: ``python -m melwav CLIP -o out.wav --policy LD --seed 7``."""

from __future__ import annotations

import argparse
import errno
import os
import sys

import numpy as np

from . import frameworks, limits, pipeline
from .audio import DEFAULT_MAX_DURATION_S, write_wav
from .errors import MelwavError, ParameterError
from .explain import summary_line
from .features import MelSettings
from .frameworks import fill_explanation
from .plot import plot_comparison, save_png
from .reconstruction import DEFAULT_METHOD, METHODS
from .specaugment import FILL_MODES, POLICIES, SpecAugmentConfig, frames_from_ms, policy

EPILOG = """\
examples:
  python -m melwav assets/speech.wav -o warped.wav --policy LD --seed 7
  python -m melwav assets/speech.wav -o out.wav --time-mask-ms 300 --n-time-masks 3 --fill floor
  python -m melwav assets/speech.wav -o same.wav --params warped.json     (replay a saved draw exactly)
  python -m melwav assets/speech.wav -o espnet.wav --config specaug.yaml --framework-hop-ms 10
                                          (hear the SpecAugment settings of your training config)
  python -m melwav assets/speech.wav --policy LD --export nemo               (print LD as a NeMo section)

Widths can be given in frames or in milliseconds / bands; explicit options override a --policy.
The paper's presets are in 10 ms frames and 80 channels and are converted to the analysis used here.

--config reads a training recipe's SpecAugment settings from a file: an ESPnet specaug_conf (YAML, alone
or a whole training config), a NeMo spec_augment section (YAML), a torchaudio call such as
SpecAugment(...) / FrequencyMasking(...) / TimeMasking(...), lingvo "p.name = value" lines, a Whisper
(transformers) config.json or from_pretrained(...) arguments, a WeNet dataset_conf, an icefall/lhotse
SpecAugment(...) call, flags or state_dict, a fairseq S2T data config.yaml, or SpeechBrain hparams YAML
(its !new:/!apply: tags are read as data). Nothing in the file is ever run. Its frames and channels are converted to this analysis by duration and by share of
the mel bank (the conversion is printed), and the clip is masked by that framework's drawing rules.
--export prints the current settings as a framework's fragment, plus one line for each thing it cannot
express; with no output option the clip is not even read.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m melwav",
        description="Hear SpecAugment: augment a clip's log-mel spectrogram (time warp, frequency masks, "
        "time masks) and rebuild audio from it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="audio file (WAV, FLAC, OGG, MP3); mixed to mono and resampled")
    out = p.add_argument_group("outputs")
    out.add_argument("-o", "--output", help="write the audio rebuilt from the augmented mel here (.wav)")
    out.add_argument("--save-original", metavar="WAV", help="also write the unaugmented mel rebuilt (.wav)")
    out.add_argument("--save-mel", metavar="NPY", help="write the augmented log-mel, dB, shape (n_mels, frames)")
    out.add_argument("--save-plot", metavar="PNG", help="write original vs augmented spectrograms")
    out.add_argument("--save-params", metavar="JSON", help="write settings and draw, to replay with --params")
    out.add_argument("--float", action="store_true", help="write 32-bit float WAVs instead of 16-bit PCM")
    add_augmentation_options(p)
    add_recipe_options(p, export=True)
    add_analysis_options(p)
    add_reconstruction_options(p)
    return p


# The option groups below are shared by the render and the subcommands (``stats``, ``audition``), so each
# setting has one flag and one meaning everywhere.


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


#: Options a params file fixes (everything that shapes the draw, the analysis or the rebuild).
_REPLAY_FIXED = {
    "policy", "seed", "warp_frames", "warp_ms", "time_mask_frames", "time_mask_ms", "freq_mask_bands",
    "n_freq_masks", "n_time_masks", "p", "width_ratio", "masks_per_frame", "fill", "fill_db", "sr", "n_fft",
    "hop", "n_mels", "fmin", "fmax", "method", "n_iter",
}


def run(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.config and args.params:
        raise ParameterError("--config and --params both set the settings; give one of them")
    if args.config and args.policy != "none":
        raise ParameterError("--config and --policy both set the settings; give one of them")
    if args.export is not None:
        frameworks.default_units(args.export)  # refuse an unknown name before any work
    for option, value in (("--framework", args.framework), ("--framework-hop-ms", args.framework_hop_ms),
                          ("--framework-n-mels", args.framework_n_mels)):
        if option == "--framework" and value is not None:
            frameworks.default_units(value)
        if value is not None and not args.config and (option == "--framework" or args.export is None):
            raise ParameterError(f"{option} describes a training recipe; use it with --config or --export")
    for option, value in (("-o", args.output), ("--save-original", args.save_original), ("--save-mel", args.save_mel),
                          ("--save-plot", args.save_plot), ("--save-params", args.save_params)):
        if value and os.path.isdir(value):  # before any work, and without naming a temporary file
            raise ParameterError(f"{option} {value} is a folder; give a file name (e.g. {os.path.join(value, 'out')})")
    recipe = read_recipe(args) if args.config else None
    params = pipeline.read_params(args.params) if args.params else None
    if params is not None:
        settings = params.settings
        config, policy_name = params.config, params.policy
        seed, method, n_iter = params.seed, params.method, params.n_iter
    else:
        settings = settings_from_args(args)
        config, policy_name = config_from_args(args, settings, recipe)
        seed = pipeline.check_seed(args.seed)
        method, n_iter = args.method or DEFAULT_METHOD, args.n_iter
    if params is not None:
        # A replay is exact only with the file's own settings: refuse options that would silently be ignored.
        parser = build_parser()
        given = [a.option_strings[0] for a in parser._actions
                 if a.dest in _REPLAY_FIXED and getattr(args, a.dest) != a.default]
        if given:
            raise ParameterError(f"{', '.join(given)} cannot change a replay; the params file fixes "
                                 f"{'it' if len(given) == 1 else 'them'}")
    if recipe is not None:
        for note in recipe_notes(recipe, config, settings):
            print(f"note: {note}", file=sys.stderr)
    export = None
    if args.export is not None:
        # an export needs only the settings; the framework units go to the target's features
        export = frameworks.export_recipe(config, settings=settings, framework=args.export,
                                          hop_ms=args.framework_hop_ms, n_mels=args.framework_n_mels,
                                          recipe=recipe)
        wanted = (args.output, args.save_original, args.save_mel, args.save_plot, args.save_params)
        if not any(wanted):
            _print_export(*export)
            return 0
    budget = None if args.no_work_limit else limits.CLI_BUDGET
    # What is over the limits whatever the clip holds is refused from its header, before decoding it.
    pipeline.check_file_render(args.input, settings=settings, max_duration_s=args.max_duration, method=method,
                               n_iter=n_iter, budget=budget)
    analysis = pipeline.load_and_analyse(args.input, settings=settings, max_duration_s=args.max_duration,
                                         trim=args.trim)
    if params is not None:
        rendered = pipeline.replay(analysis, params, budget=budget)
    else:
        rendered = pipeline.render(analysis, config, seed=seed, method=method, n_iter=n_iter, budget=budget)
    subtype = "float" if args.float else "pcm16"
    written = []
    if args.output:
        written.append(write_wav(args.output, rendered.y, sr=settings.sr, subtype=subtype))
    if args.save_original:
        original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
        written.append(write_wav(args.save_original, original.y, sr=settings.sr, subtype=subtype))
    if args.save_mel:
        written.append(pipeline.write_mel(args.save_mel, rendered.L_aug))
    if args.save_plot:
        fig = plot_comparison(analysis.L, rendered.L_aug, settings=settings, record=rendered.record)
        written.append(save_png(args.save_plot, fig))
    if args.save_params:
        written.append(pipeline.write_params(args.save_params, pipeline.params_for(analysis, rendered,
                                                                                   policy=policy_name)))
    name = f"{recipe.framework} recipe" if recipe is not None else (policy_name or "custom")
    head = f"{name} seed {rendered.seed}"
    print(
        f"{analysis.name} ({analysis.duration_s:.2f} s) | {head} | {summary_line(rendered.record, settings=settings)} | "
        f"rebuilt: {rendered.rebuilt.method} x{rendered.rebuilt.n_iter}, SC {rendered.rebuilt.spectral_convergence_db:.1f} dB"
        + (f" | wrote {', '.join(str(w) for w in written)}" if written else " | nothing written (use -o)"),
        file=sys.stderr if export is not None else sys.stdout,  # with --export, stdout is the fragment only
    )
    for note in analysis.notes + rendered.record.notes:
        print(f"note: {note}", file=sys.stderr)
    if export is not None:
        _print_export(*export)
    return 0


def _print_export(text: str, notes) -> None:
    """The fragment, then one comment line per thing the framework cannot express (still pasteable)."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    for note in notes:
        print(f"# note: {note}")


#: Subcommands beside the render (``python -m melwav NAME ...``): NAME -> the module (in this package) whose
#: ``run(argv) -> int`` handles the rest of the line. Imported only when called, so a render pays nothing.
SUBCOMMANDS: dict[str, str] = {"stats": "stats_cli"}


def dispatch(argv=None) -> int:
    """A subcommand when the first word names one, else a render."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return importlib.import_module(f".{SUBCOMMANDS[argv[0]]}", __package__).run(argv[1:])
    return run(argv)


def main(argv=None) -> int:
    try:
        return dispatch(argv)
    except MelwavError as exc:
        print(f"melwav: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``--export espnet | head``): nothing is wrong, end quietly. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 0
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            print(f"melwav: error: no space left on the device{f' to write {exc.filename}' if exc.filename else ''}",
                  file=sys.stderr)
            return 2
        print(f"melwav: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("melwav: interrupted", file=sys.stderr)
        return 130
