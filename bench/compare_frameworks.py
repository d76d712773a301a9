"""Compare melwav's framework conventions with the frameworks' own code (not run in CI: needs torch).

    python bench/compare_frameworks.py [--draws 5000] [--espnet-src DIR] [--nemo-file FILE]

Skips (exit code 0) when torch or torchaudio is not installed. ``--espnet-src`` names a folder holding
ESPnet's ``espnet2`` and ``espnet`` packages (e.g. the unpacked ``espnet`` wheel; only its torch layers are
imported, so the rest of ESPnet's dependencies are not needed). ``--nemo-file`` names NeMo's
``nemo/collections/asr/parts/submodules/spectr_augment.py`` (e.g. from the unpacked ``nemo_toolkit`` wheel);
its two imports from NeMo's core (type annotations only) are stubbed. Checks:

1. torchaudio ``SpecAugment``: the distribution of mask widths and starts melwav's "torchaudio" convention
   draws against the masks real torchaudio writes into a tensor of ones (time and frequency, with p < 1).
2. ESPnet's warp resampler: melwav's numpy bicubic (``frameworks.espnet.resize_bicubic``) against
   ``torch.nn.functional.interpolate(mode="bicubic", align_corners=False)`` on random data.
3. With ``--espnet-src``: ESPnet's own ``time_warp`` against melwav's record of the same draw (same torch
   seed, so the same anchor and destination), output for output; and ESPnet's ``mask_along_axis`` width and
   start distributions against melwav's "espnet" convention.
4. With ``--nemo-file``: NeMo's ``SpecAugment`` (vectorised path, an int and a float ``time_width``) width and
   start distributions against melwav's "nemo" convention.

Run on 2026-11-27 with torch 2.13.0 (CPU) and torchaudio 2.11.0 in a scratch virtual environment (torchaudio's
compiled extension removed: the masking code is pure Python on torch) and the unpacked espnet 202511 and nemo_toolkit 3.0.0 wheels,
3000 draws:

    bicubic resize: largest difference from torch 7.10e-05
    freq: widths real 1..15 mean 8.19 | melwav 1..15 mean 7.93; stops real max 79 mean 43.4 | melwav max 79 mean 43.0
      KS widths p = 0.146, stops p = 0.826
    time: widths real 1..59 mean 29.54 | melwav 1..59 mean 30.22; stops real max 299 mean 164.2 | melwav max 299 mean 164.7
      KS widths p = 0.216, stops p = 0.705
    espnet time_warp: 176 warps, largest difference from ESPnet's output 1.36e-04
    espnet freq masks: widths real 1..26 mean 13.39 | melwav 1..26 mean 13.41; starts real 0..77 | melwav 0..78
      KS widths p = 0.986, starts p = 0.946
    (and with NeMo 3.0.0's spectr_augment.py, vectorised path)
    nemo time_width 100, freq: widths real 1..26 mean 13.77 | melwav 1..26 mean 13.45; starts real 0..78 | melwav 0..77
      KS widths p = 0.109, starts p = 0.998
    nemo time_width 100, time: widths real 1..99 mean 49.23 | melwav 1..99 mean 49.86; starts real 0..293 | melwav 0..294
      KS widths p = 0.301, starts p = 0.614
    nemo time_width 0.05, freq: widths real 1..26 mean 13.77 | melwav 1..26 mean 13.67; starts real 0..78 | melwav 0..78
      KS widths p = 0.957, starts p = 0.955
    nemo time_width 0.05, time: widths real 1..14 mean 7.41 | melwav 1..14 mean 7.45; starts real 0..297 | melwav 0..297
      KS widths p = 0.985, starts p = 0.915
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _masks_from_output(out: np.ndarray, axis: int) -> list[tuple[int, int]]:
    """(start, width) runs of zeros along ``axis`` of a (freq, time) output made from ones."""
    line = (out == 0).all(axis=1 - axis)
    runs, start = [], None
    for i, z in enumerate(list(line) + [False]):
        if z and start is None:
            start = i
        elif not z and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _real_masks(masked_ones, draws: int) -> dict[str, list[tuple[int, int]]]:
    """(start, width) of the zero runs a framework wrote, over ``draws`` calls of ``masked_ones()``.

    ``masked_ones`` returns the framework's output for an all-ones (freq, time) input, as numpy.
    """
    real = {"freq": [], "time": []}
    for _ in range(draws):
        out = masked_ones()
        for axis, key in ((0, "freq"), (1, "time")):
            real[key] += _masks_from_output(out, axis)
    return real


def _our_masks(config, draws: int, *, n_mels: int, n_frames: int, rng) -> dict[str, list[tuple[int, int]]]:
    """(start, width) of melwav's masks of width > 0 (a width-0 mask leaves no run to compare with)."""
    from melwav import specaugment as A
    ours = {"freq": [], "time": []}
    for _ in range(draws):
        rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
        ours["freq"] += [(m.start, m.width) for m in rec.freq_masks if m.width]
        ours["time"] += [(m.start, m.width) for m in rec.time_masks if m.width]
    return ours


def _report(label: str, real, ours, *, position: str = "starts") -> None:
    """Print the width and position ranges of two mask lists and a two-sample KS test of each.

    ``position`` is ``"starts"`` (first masked cell) or ``"stops"`` (one past the last).
    """
    from scipy.stats import ks_2samp  # scipy comes with librosa

    rw, ow = np.array([w for _, w in real]), np.array([w for _, w in ours])
    end = (lambda s, w: s + w) if position == "stops" else (lambda s, w: s)
    rs, os_ = np.array([end(s, w) for s, w in real]), np.array([end(s, w) for s, w in ours])
    if position == "stops":
        where = (f"stops real max {rs.max()} mean {rs.mean():.1f} | melwav max {os_.max()} "
                 f"mean {os_.mean():.1f}")
    else:
        where = f"starts real {rs.min()}..{rs.max()} | melwav {os_.min()}..{os_.max()}"
    print(f"{label}: widths real {rw.min()}..{rw.max()} mean {rw.mean():.2f} | melwav {ow.min()}..{ow.max()} "
          f"mean {ow.mean():.2f}; {where}")
    print(f"  KS widths p = {ks_2samp(rw, ow).pvalue:.3f}, {position} p = {ks_2samp(rs, os_).pvalue:.3f}")


def compare_torchaudio(draws: int) -> None:
    import torch
    import torchaudio.transforms as T

    from melwav import specaugment as A
    n_mels, n_frames, F, Tm, p = 80, 300, 27, 100, 0.2
    # one mask of each kind, so a run of zeros is one mask (widths of 0 leave no run: compare widths > 0)
    ta = T.SpecAugment(n_time_masks=1, time_mask_param=Tm, n_freq_masks=1, freq_mask_param=F, p=p,
                       zero_masking=True)
    torch.manual_seed(0)
    real = _real_masks(lambda: ta(torch.ones(1, n_mels, n_frames)).numpy()[0], draws)
    config = A.SpecAugmentConfig(freq_mask_bands=F, n_freq_masks=1, time_mask_frames=Tm, n_time_masks=1,
                                 max_time_ratio=p, fill="absolute", convention="torchaudio")
    ours = _our_masks(config, draws, n_mels=n_mels, n_frames=n_frames, rng=np.random.default_rng(0))
    for key in ("freq", "time"):
        _report(key, real[key], ours[key], position="stops")


def compare_bicubic() -> None:
    import torch

    from melwav.frameworks import espnet as C
    rng = np.random.default_rng(1)
    worst = 0.0
    for n_in in (1, 2, 5, 17, 80, 301):
        for n_out in (1, 3, 16, 81, 299, 640):
            x = rng.normal(size=(4, n_in)).astype(np.float32)
            ref = torch.nn.functional.interpolate(
                torch.from_numpy(x)[None, None], size=(4, n_out), mode="bicubic", align_corners=False
            ).numpy()[0, 0]
            worst = max(worst, float(np.abs(C.resize_bicubic(x, n_out) - ref).max()))
    print(f"bicubic resize: largest difference from torch {worst:.2e}")


def compare_espnet(draws: int) -> None:
    import torch
    from espnet2.layers.mask_along_axis import mask_along_axis
    from espnet2.layers.time_warp import time_warp

    from melwav import specaugment as A
    rng = np.random.default_rng(2)
    worst, warps = 0.0, 0
    for seed in range(200):
        n_frames, n_mels, W = int(rng.integers(12, 400)), 40, int(rng.integers(1, 60))
        if n_frames <= 2 * W:
            continue
        L = rng.normal(size=(n_mels, n_frames)).astype(np.float32)
        torch.manual_seed(seed)  # replay ESPnet's two randint calls to learn its draw
        center = int(torch.randint(W, n_frames - W, (1,))[0])
        new = int(torch.randint(center - W, center + W, (1,))[0]) + 1
        torch.manual_seed(seed)
        real = time_warp(torch.from_numpy(L.T.copy())[None], window=W).numpy()[0].T  # (Batch, Time, Freq)
        ours = A.apply_time_warp(L, A.WarpDraw(center, new - center, "espnet-bicubic"))
        worst = max(worst, float(np.abs(real - ours).max()))
        warps += 1
    print(f"espnet time_warp: {warps} warps, largest difference from ESPnet's output {worst:.2e}")

    n_frames, n_mels, lo, hi = 300, 80, 0, 27
    torch.manual_seed(0)
    real = _real_masks(lambda: mask_along_axis(torch.ones(1, n_frames, n_mels), torch.tensor([n_frames]),
                                               mask_width_range=(lo, hi), dim=2, num_mask=1)[0].numpy()[0].T,
                       draws)  # ESPnet is (batch, time, freq): back to (freq, time)
    config = A.SpecAugmentConfig(freq_mask_bands=hi, n_freq_masks=1, fill="absolute", convention="espnet")
    ours = _our_masks(config, draws, n_mels=n_mels, n_frames=n_frames, rng=rng)
    _report("espnet freq masks", real["freq"], ours["freq"])


def _load_nemo_specaugment(path: str):
    """NeMo's SpecAugment class from its source file, with NeMo's typing helpers stubbed out."""
    import importlib.util
    import types

    core = types.ModuleType("nemo.core")
    classes = types.ModuleType("nemo.core.classes")
    classes.Typing = type("Typing", (), {})
    classes.typecheck = lambda *a, **k: (lambda fn: fn)
    neural_types = types.ModuleType("nemo.core.neural_types")
    for name in ("LengthsType", "NeuralType", "SpectrogramType"):
        setattr(neural_types, name, lambda *a, **k: None)
    sys.modules.update({"nemo": types.ModuleType("nemo"), "nemo.core": core, "nemo.core.classes": classes,
                        "nemo.core.neural_types": neural_types})
    spec = importlib.util.spec_from_file_location("nemo_spectr_augment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SpecAugment


def compare_nemo(draws: int, path: str) -> None:
    import torch

    SpecAugment = _load_nemo_specaugment(path)
    from melwav import specaugment as A
    n_mels, n_frames = 80, 300
    rng = np.random.default_rng(3)
    for time_width, label in ((100, "time_width 100"), (0.05, "time_width 0.05")):
        nemo = SpecAugment(freq_masks=1, time_masks=1, freq_width=27, time_width=time_width)
        torch.manual_seed(0)
        real = _real_masks(lambda m=nemo: m.forward(torch.ones(1, n_mels, n_frames),
                                                    torch.tensor([n_frames])).numpy()[0], draws)
        config = A.SpecAugmentConfig(freq_mask_bands=27, n_freq_masks=1, n_time_masks=1, fill="mean",
                                     time_mask_frames=time_width if isinstance(time_width, int) else 0,
                                     width_ratio=0.0 if isinstance(time_width, int) else time_width,
                                     convention="nemo")
        ours = _our_masks(config, draws, n_mels=n_mels, n_frames=n_frames, rng=rng)
        for key in ("freq", "time"):
            _report(f"nemo {label}, {key}", real[key], ours[key])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--espnet-src", help="folder with ESPnet's espnet2/ and espnet/ packages")
    parser.add_argument("--nemo-file", help="NeMo's nemo/collections/asr/parts/submodules/spectr_augment.py")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
        import torchaudio  # noqa: F401
    except ImportError:
        print("torch/torchaudio not installed: skipped")
        return 0
    compare_bicubic()
    compare_torchaudio(args.draws)
    if args.espnet_src:
        sys.path.insert(0, args.espnet_src)
        compare_espnet(args.draws)
    if args.nemo_file:
        compare_nemo(args.draws, args.nemo_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
