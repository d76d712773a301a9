"""Command line: ``python -m melwav CLIP -o out.wav --policy LD --seed 7``."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from . import pipeline
from .audio import DEFAULT_MAX_DURATION_S, write_wav
from .augment import FILL_MODES, POLICIES, SpecAugmentConfig, frames_from_ms, policy
from .errors import MelwavError, ParameterError
from .explain import summary_line
from .features import MelSettings
from .reconstruction import DEFAULT_METHOD, METHODS

EPILOG = """\
examples:
  python -m melwav assets/speech.wav -o warped.wav --policy LD --seed 7
  python -m melwav assets/speech.wav -o out.wav --time-mask-ms 300 --n-time-masks 3 --fill floor
  python -m melwav assets/speech.wav -o same.wav --params warped.json     (replay a saved draw exactly)

Widths can be given in frames or in milliseconds / bands; explicit options override a --policy.
The paper's presets are in 10 ms frames and 80 channels and are converted to the analysis used here.
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

    aug = p.add_argument_group("augmentation (SpecAugment)")
    aug.add_argument("--policy", default="none", help=f"preset to start from: {', '.join(POLICIES)} (default none)")
    aug.add_argument("--seed", type=int, default=0, help="seed of the random draw (default 0)")
    aug.add_argument("--params", metavar="JSON", help="replay the settings and exact draw saved in this file")
    for name, unit, help_ in (
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
    aug.add_argument("--fill", choices=FILL_MODES, help="what masked cells become: mean (default), floor "
                     "(silence), value (--fill-db), stage_mean")
    aug.add_argument("--fill-db", type=float, metavar="DB", help="fill level in dB re. the clip's peak (--fill value)")

    ana = p.add_argument_group("analysis")
    ana.add_argument("--sr", type=int, default=22050, help="analysis sample rate (default 22050)")
    ana.add_argument("--n-fft", type=int, default=2048, help="FFT size (default 2048)")
    ana.add_argument("--hop", type=int, default=512, help="hop in samples (default 512)")
    ana.add_argument("--n-mels", type=int, default=128, help="mel bands (default 128)")
    ana.add_argument("--fmin", type=float, default=0.0, help="lowest mel frequency, Hz (default 0)")
    ana.add_argument("--fmax", type=float, default=None, help="highest mel frequency, Hz (default sr/2)")
    ana.add_argument("--max-duration", type=float, default=DEFAULT_MAX_DURATION_S,
                     help=f"longest clip accepted, seconds (default {DEFAULT_MAX_DURATION_S:g})")
    ana.add_argument("--trim", action="store_true", help="keep the head of a longer clip instead of refusing it")

    rec = p.add_argument_group("reconstruction")
    rec.add_argument("--method", default=None, help=f"one of {', '.join(METHODS)} (default {DEFAULT_METHOD})")
    rec.add_argument("--n-iter", type=int, default=None, help="phase-retrieval iterations (default: the method's)")
    return p


def config_from_args(args, settings: MelSettings) -> tuple[SpecAugmentConfig, str]:
    """The augmentation settings: the policy's, overridden by each option given."""
    pol = policy(args.policy)
    config = pol.to_config(settings)
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
    return config.replace(**changes), pol.name


def _frames(option: str, ms: float, settings: MelSettings) -> int:
    if not np.isfinite(ms) or ms < 0:
        raise ParameterError(f"{option} must be a duration >= 0 ms, got {ms:g}")
    return frames_from_ms(ms, settings)


def run(argv=None) -> int:
    args = build_parser().parse_args(argv)
    params = pipeline.read_params(args.params) if args.params else None
    if params is not None:
        settings = params.settings
        config, policy_name = params.config, params.policy
        seed, method, n_iter = params.seed, params.method, params.n_iter
    else:
        settings = MelSettings(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop, n_mels=args.n_mels,
                               fmin=args.fmin, fmax=args.fmax)
        config, policy_name = config_from_args(args, settings)
        seed = pipeline.check_seed(args.seed)
        method, n_iter = args.method or DEFAULT_METHOD, args.n_iter
    if params is not None and (args.method or args.n_iter is not None):
        raise ParameterError("--method/--n-iter cannot change a replay; the params file fixes them")
    analysis = pipeline.load_and_analyse(args.input, settings=settings, max_duration_s=args.max_duration,
                                         trim=args.trim)
    if params is not None:
        rendered = pipeline.replay(analysis, params)
    else:
        rendered = pipeline.render(analysis, config, seed=seed, method=method, n_iter=n_iter)
    subtype = "float" if args.float else "pcm16"
    written = []
    if args.output:
        written.append(write_wav(args.output, rendered.y, sr=settings.sr, subtype=subtype))
    if args.save_original:
        original = pipeline.rebuild_original(analysis, method=method, n_iter=n_iter)
        written.append(write_wav(args.save_original, original.y, sr=settings.sr, subtype=subtype))
    if args.save_mel:
        from .audio import atomic_write

        written.append(atomic_write(args.save_mel, lambda f: np.save(f, rendered.L_aug.astype(np.float32))))
    if args.save_plot:
        from .audio import atomic_write
        from .plot import plot_comparison

        fig = plot_comparison(analysis.L, rendered.L_aug, settings=settings, record=rendered.record)
        written.append(atomic_write(args.save_plot, lambda f: fig.savefig(f, format="png", dpi=100)))
    if args.save_params:
        written.append(pipeline.write_params(args.save_params, pipeline.params_for(analysis, rendered,
                                                                                   policy=policy_name)))
    head = f"{policy_name or 'custom'} seed {rendered.seed}"
    print(
        f"{analysis.name} ({analysis.duration_s:.2f} s) | {head} | {summary_line(rendered.record, settings=settings)} | "
        f"rebuilt: {rendered.rebuilt.method} x{rendered.rebuilt.n_iter}, SC {rendered.rebuilt.spectral_convergence_db:.1f} dB"
        + (f" | wrote {', '.join(str(w) for w in written)}" if written else " | nothing written (use -o)")
    )
    for note in analysis.notes + rendered.record.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    try:
        return run(argv)
    except MelwavError as exc:
        print(f"melwav: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"melwav: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("melwav: interrupted", file=sys.stderr)
        return 130
