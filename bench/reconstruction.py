"""Benchmark melwav's mel -> audio reconstruction against librosa's mel_to_audio (tracker issue 3).

Run: ``python bench/reconstruction.py [--clips a.wav b.wav] [--repeats 3] [--seconds 4]``

For each clip (default: ``assets/*.wav``; a speech clip from espeak-ng and a synthesised music clip are
generated in a temp dir if there are none, or in addition with ``--generate``), the first
``--seconds`` seconds are analysed with :class:`melwav.features.MelSettings` and reconstructed by
``librosa.feature.inverse.mel_to_audio(n_iter=32)`` (the reference, timed in the same run) and by each
melwav method. One table per clip: iterations, wall time (median of ``--repeats`` runs), spectral
convergence on the mel (:func:`melwav.reconstruction.spectral_convergence_db`), STOI against the original
audio, and the ratios to the reference; then one row per target of issue 3 and the peak memory of a
30 s clip. Needs pystoi (dev dependency). Does not touch OPENBLAS_CORETYPE or thread settings.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402
import soundfile as sf  # noqa: E402

from melwav import reconstruction as rc  # noqa: E402
from melwav.features import MelSettings, mel_power  # noqa: E402

REF_N_ITER = 32


def generate_clips(tmp: pathlib.Path, sr: int) -> list[pathlib.Path]:
    """A speech-like clip (espeak-ng, if installed) and a music-like synth clip, in ``tmp``."""
    out = []
    if shutil.which("espeak-ng"):
        raw = tmp / "gen_speech_raw.wav"
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(raw),
                        "Reconstruction from a mel spectrogram should sound like the original voice."],
                       check=True, capture_output=True)
        y, _ = librosa.load(raw, sr=sr)
        sf.write(tmp / "gen_speech.wav", y, sr)
        out.append(tmp / "gen_speech.wav")
    rng = np.random.default_rng(7)
    t = np.arange(int(6 * sr)) / sr
    y = np.zeros_like(t)
    for k, f0 in enumerate([196.0, 246.9, 293.7, 392.0, 349.2, 329.6, 261.6, 220.0] * 2):
        seg = (t >= k * 0.375) & (t < k * 0.375 + 0.8)
        tt = t[seg] - k * 0.375
        env = np.exp(-3.0 * tt) * np.minimum(1.0, tt * 100)
        for h in range(1, 10):  # slightly inharmonic partials, like a plucked string
            y[seg] += env * np.sin(2 * np.pi * f0 * h * tt * (1 + 3e-4 * h * h)) / h**1.3
    for k in range(24):  # hi-hat like noise bursts
        n0, n = int(k * 0.25 * sr), int(0.05 * sr)
        y[n0:n0 + n] += 0.4 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.008 * sr))
    y = 0.8 * y / np.abs(y).max()
    sf.write(tmp / "gen_music.wav", y.astype(np.float32), sr)
    out.append(tmp / "gen_music.wav")
    return out


def timed(fn, repeats: int):
    """(median wall time in s, last result)."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def clock(fn, *args, **kwargs):
    """(wall time in s, result) of one call."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def stoi(ref: np.ndarray, y: np.ndarray, sr: int) -> float:
    from pystoi import stoi as _stoi

    n = min(len(ref), len(y))
    return float(_stoi(ref[:n].astype(np.float64), y[:n].astype(np.float64), sr, extended=False))


def augmented(S: np.ndarray, seed: int = 3) -> np.ndarray:
    """S with two time masks and two frequency masks filled with the mean log-mel (SpecAugment-like)."""
    rng = np.random.default_rng(seed)
    L = 10 * np.log10(np.maximum(S, 1e-10))
    fill = 10 ** (L.mean() / 10)
    out = S.copy()
    n_mels, t = S.shape
    for _ in range(2):
        w = max(1, t // 12)
        t0 = int(rng.integers(0, max(1, t - w)))
        out[:, t0:t0 + w] = fill
        w = max(1, n_mels // 10)
        f0 = int(rng.integers(0, max(1, n_mels - w)))
        out[f0:f0 + w, :] = fill
    return out.astype(np.float32)


def mel_to_audio(S, settings: MelSettings, length: int, n_iter: int = REF_N_ITER) -> np.ndarray:
    return librosa.feature.inverse.mel_to_audio(
        S, sr=settings.sr, n_fft=settings.n_fft, hop_length=settings.hop_length, window=settings.window,
        center=True, pad_mode="constant", power=2.0, n_iter=n_iter, length=length,
        fmin=settings.fmin, fmax=settings.fmax_hz,
    )


def bench_clip(path: pathlib.Path, settings: MelSettings, seconds: float, repeats: int) -> list[str]:
    y, _ = librosa.load(path, sr=settings.sr, duration=seconds)
    y = y.astype(np.float32)
    S = mel_power(y, settings=settings)
    n = len(y)
    sc = lambda out: rc.spectral_convergence_db(S, out, settings=settings)  # noqa: E731

    t_ref, y_ref = timed(lambda: mel_to_audio(S, settings, n), repeats)
    sc_ref = sc(y_ref)
    rows = [("mel_to_audio (reference)", REF_N_ITER, t_ref, sc_ref, stoi(y, y_ref, settings.sr))]
    results = {}
    for method in rc.METHODS:
        t_m, r = timed(lambda m=method: rc.reconstruct(S, settings=settings, method=m, length=n), repeats)
        results[method] = (t_m, r)
        rows.append((f"melwav {method}", r.n_iter, t_m, r.spectral_convergence_db, stoi(y, r.y, settings.sr)))

    lines = [f"clip {path.name}: {n / settings.sr:.2f} s, sr {settings.sr}, n_fft {settings.n_fft}, "
             f"hop {settings.hop_length}, n_mels {settings.n_mels}, {S.shape[1]} frames, median of {repeats}"]
    lines.append(f"| {'method':<28} | iters | time ms | SC dB  | STOI  | time/ref | SC-ref dB |")
    lines.append(f"|{'-' * 30}|-------|---------|--------|-------|----------|-----------|")
    for name, it, t_m, s_m, st in rows:
        lines.append(f"| {name:<28} | {it:5d} | {t_m * 1e3:7.0f} | {s_m:6.2f} | {st:.3f} | {t_m / t_ref:8.3f} |"
                     f" {s_m - sc_ref:+9.2f} |")

    # Target 1: quality at equal time (default method, default n_iter).
    t_d, r_d = results[rc.DEFAULT_METHOD]
    ok1 = r_d.spectral_convergence_db <= sc_ref - 6 and t_d <= t_ref
    lines.append(f"target equal-time quality: {rc.DEFAULT_METHOD} n_iter={r_d.n_iter} SC "
                 f"{r_d.spectral_convergence_db:.2f} dB vs ref {sc_ref:.2f} dB "
                 f"({r_d.spectral_convergence_db - sc_ref:+.2f} dB, need <= -6) in {t_d / t_ref:.3f}x ref time "
                 f"(need <= 1) -> {'PASS' if ok1 else 'FAIL'}")

    # Target 2: speed at equal quality: fewest default-method iterations reaching the reference SC.
    found = None
    for it in sorted({1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128}):
        r = rc.reconstruct(S, settings=settings, length=n, n_iter=it)
        if r.spectral_convergence_db <= sc_ref:
            found = it
            break
    if found is None:
        lines.append("target equal-quality speed: reference SC not reached within 128 iterations -> FAIL")
    else:
        t_q, r_q = timed(lambda: rc.reconstruct(S, settings=settings, length=n, n_iter=found), repeats)
        ok2 = t_q <= t_ref / 5
        lines.append(f"target equal-quality speed: {rc.DEFAULT_METHOD} n_iter={found} SC "
                     f"{r_q.spectral_convergence_db:.2f} dB <= ref {sc_ref:.2f} dB in {t_q * 1e3:.0f} ms = "
                     f"{t_q / t_ref:.3f}x ref time (need <= 0.2) -> {'PASS' if ok2 else 'FAIL'}")

    # Target 3: interactive re-render of an augmented mel, warm-started from the first call's phase.
    S_aug = augmented(S)
    first = rc.reconstruct(S, settings=settings, length=n)
    t_w, r_w = timed(lambda: rc.reconstruct(S_aug, settings=settings, length=n, init_phase=first.phase), repeats)
    cold = rc.reconstruct(S_aug, settings=settings, length=n)
    ok3 = t_w <= t_ref / 4
    lines.append(f"target interactive: warm re-render of augmented mel n_iter={r_w.n_iter} in {t_w * 1e3:.0f} ms = "
                 f"{t_w / t_ref:.3f}x ref time (need <= 0.25) -> {'PASS' if ok3 else 'FAIL'}; SC "
                 f"{r_w.spectral_convergence_db:.2f} dB (cold n_iter={cold.n_iter}: "
                 f"{cold.spectral_convergence_db:.2f} dB)")
    return lines


def slider_quality(path: pathlib.Path, settings: MelSettings, seeds=range(10, 22)) -> list[str]:
    """Issue 12: the page's augmented rebuild (LD draws on the whole clip) against the issue-12 default.

    Now (``pipeline.rebuild_augmented``): the draw without its time masks rebuilt from the original rebuild's
    phase moved by the warp, then one layer per time mask solved locally, all cached. Timed for a new draw
    (nothing cached), and for the two kinds of time-mask slider move from a rendered draw: one more mask
    (mT + 1: the same warp, frequency masks and first masks) and wider masks (T + 10%: every mask moves).
    Before (the default when issue 12 was filed): the whole mel from the unmoved phase, at most 24
    iterations. Also the whole mel from the moved phase. Median time, mean SC and the mean / worst SC
    difference to before (the moves are other draws: time only).
    """
    from melwav import pipeline
    from melwav.features import logmel_to_power
    from melwav.specaugment import apply, draw, policy

    analysis = pipeline.load_and_analyse(path, settings=settings)
    original = pipeline.rebuild_original(analysis)
    config = policy("LD").to_config(settings)
    moves = {"now, time-mask move: one more mask (mT + 1)":
             dataclasses.replace(config, n_time_masks=config.n_time_masks + 1),
             "now, time-mask move: wider masks (T + 10%)":
             dataclasses.replace(config, time_mask_frames=int(round(config.time_mask_frames * 1.1)))}
    sc = {"before": [], "whole": [], "now": []}
    times = {key: [] for key in [*sc, *moves]}
    for seed in seeds:
        record = draw(config, n_mels=analysis.n_mels, n_frames=analysis.n_frames, rng=np.random.default_rng(seed))
        L_aug = apply(analysis.L, record)
        S_aug = logmel_to_power(L_aug, ref=analysis.ref)
        kw = dict(settings=settings, length=analysis.n_samples, seed=seed)
        saved, rc.WARM_N_ITER = rc.WARM_N_ITER, 24
        try:
            t, r = clock(rc.reconstruct, S_aug, init_phase=original.phase, **kw)
        finally:
            rc.WARM_N_ITER = saved
        times["before"].append(t)
        sc["before"].append(r.spectral_convergence_db)
        t, r = clock(rc.reconstruct, S_aug, init_phase=pipeline.warm_phase(original.phase, record), **kw)
        times["whole"].append(t)
        sc["whole"].append(r.spectral_convergence_db)
        pipeline._PARTIAL_REBUILDS.clear()
        t, r = clock(pipeline.rebuild_augmented, analysis, record, L_aug, seed=seed)
        times["now"].append(t)
        sc["now"].append(r.spectral_convergence_db)
        for label, moved in moves.items():  # each from the draw just rendered (its layers are cached)
            moved_record = draw(moved, n_mels=analysis.n_mels, n_frames=analysis.n_frames,
                                rng=np.random.default_rng(seed))
            t, _ = clock(pipeline.rebuild_augmented, analysis, moved_record, apply(analysis.L, moved_record),
                         seed=seed)
            times[label].append(t)
    lines = [f"slider rebuild ({path.name}, {analysis.duration_s:.1f} s, {len(sc['now'])} LD draws, "
             f"medians; before = whole mel from the unmoved phase, 24 iterations):", "",
             "| rebuild | time ms | mel SC dB | vs before: mean / worst |", "|---|---|---|---|"]
    before = np.array(sc["before"])
    names = {"before": "before: whole mel, unmoved phase, 24 it.",
             "whole": f"whole mel, moved phase, {rc.WARM_N_ITER} it.",
             "now": "now, new draw (base + one layer per time mask)", **{label: label for label in moves}}
    for key, label in names.items():
        if key in sc:
            vals = np.array(sc[key])
            diff = vals - before
            quality = f"{vals.mean():.2f} | {diff.mean():+.2f} / {diff.max():+.2f}"
        else:
            quality = "(another draw) | —"
        lines.append(f"| {label} | {statistics.median(times[key]) * 1e3:.0f} | {quality} |")
    ok = (np.array(sc["now"]) - before).mean() <= 1.0
    lines.append("")
    lines.append(f"target: now within 1 dB of before on average -> {'PASS' if ok else 'FAIL'}")
    return lines


def peak_memory(path: pathlib.Path, settings: MelSettings, seconds: float = 30.0, *,
                with_reference: bool = False) -> list[str]:
    y, _ = librosa.load(path, sr=settings.sr)
    reps = int(np.ceil(seconds * settings.sr / len(y)))
    y = np.tile(y, reps)[: int(seconds * settings.sr)].astype(np.float32)
    S = mel_power(y, settings=settings)
    lines = []
    runs = [(f"melwav {rc.DEFAULT_METHOD} (n_iter={rc.DEFAULT_N_ITER})",
             lambda: rc.reconstruct(S, settings=settings, length=len(y)))]
    if with_reference:  # librosa's NNLS on 30 s needs ~8 GiB and ~45 s here: opt-in only
        runs.append(("mel_to_audio (reference)", lambda: mel_to_audio(S, settings, len(y))))
    for name, fn in runs:
        fn()  # warm caches so only the per-call memory is counted
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        el = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lines.append(f"peak memory, {seconds:.0f} s clip ({path.name} looped), {name}: {peak / 2**20:.0f} MiB "
                     f"(tracemalloc), {el:.2f} s")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="*", type=pathlib.Path, help="wav files (default: assets/*.wav)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per row (median reported)")
    ap.add_argument("--seconds", type=float, default=4.0, help="analyse the first N seconds of each clip")
    ap.add_argument("--generate", action="store_true", help="also generate a speech and a music clip")
    ap.add_argument("--sr", type=int, default=22050)
    ap.add_argument("--n-fft", type=int, default=2048)
    ap.add_argument("--hop", type=int, default=512)
    ap.add_argument("--n-mels", type=int, default=128)
    ap.add_argument("--no-memory", action="store_true", help="skip the 30 s peak-memory measurement")
    ap.add_argument("--memory-ref", action="store_true",
                    help="also measure mel_to_audio's 30 s peak memory (slow, needs ~8 GiB)")
    args = ap.parse_args(argv)
    settings = MelSettings(sr=args.sr, n_fft=args.n_fft, hop_length=args.hop, n_mels=args.n_mels)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, numpy {np.__version__}, librosa {librosa.__version__}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"melwav defaults: method {rc.DEFAULT_METHOD}, n_iter {rc.DEFAULT_N_ITER} (warm {rc.WARM_N_ITER})")
    with tempfile.TemporaryDirectory() as tmp:
        clips = list(args.clips or sorted((ROOT / "assets").glob("*.wav")))
        if not clips or args.generate:
            clips += generate_clips(pathlib.Path(tmp), settings.sr)
        for path in clips:
            print()
            print("\n".join(bench_clip(path, settings, args.seconds, args.repeats)))
        print()
        for path in clips:
            print("\n".join(slider_quality(path, settings)))
        if not args.no_memory:
            print()
            print("\n".join(peak_memory(clips[0], settings, with_reference=args.memory_ref)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
