"""Command line: ``python -m melwav CLIP -o out.wav --policy LD --seed 7``."""

from __future__ import annotations

import argparse
import errno
import os
import sys

from . import audition, frameworks, limits, pipeline, stats_cli
from .audio import write_wav
from .errors import MelwavError, ParameterError
from .explain import summary_line
from .options import (
    add_analysis_options,
    add_augmentation_options,
    add_recipe_options,
    add_reconstruction_options,
    config_from_args,
    read_recipe,
    recipe_notes,
    recipe_settings,
)
from .plot import plot_comparison, save_png
from .reconstruction import DEFAULT_METHOD

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
        settings = recipe_settings(args, recipe, build_parser())
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


#: Subcommands beside the render (``python -m melwav NAME ...``): NAME -> its ``run(argv) -> int``.
SUBCOMMANDS = {"stats": stats_cli.run, "audition": audition.run}


def dispatch(argv=None) -> int:
    """A subcommand when the first word names one, else a render."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        return SUBCOMMANDS[argv[0]](argv[1:])
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
