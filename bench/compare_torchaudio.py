"""Compare melwav's framework conventions with the real torch / torchaudio (not run in CI).

    python bench/compare_torchaudio.py [--draws 5000]

Skips (exit code 0) when torch or torchaudio is not installed. Checks:

1. torchaudio ``SpecAugment``: the distribution of mask widths and starts melwav's "torchaudio" convention
   draws against the masks real torchaudio writes into a tensor of ones (time and frequency, with p < 1).
2. ESPnet's warp resampler: melwav's numpy bicubic (``conventions.resize_bicubic``) against
   ``torch.nn.functional.interpolate(mode="bicubic", align_corners=False)`` on random data.

Run on 2026-11-27 with torch 2.13.0 (CPU) and torchaudio 2.11.0 in a scratch virtual environment (torchaudio's
compiled extension removed: the masking code is pure Python on torch), 5000 draws:

    bicubic resize: largest difference from torch 7.10e-05
    freq: widths real 1..15 mean 8.11 | melwav 1..15 mean 8.02; stops real max 79 mean 43.5 | melwav max 79 mean 43.5
      KS widths p = 0.855, stops p = 0.704
    time: widths real 1..59 mean 29.84 | melwav 1..59 mean 30.15; stops real max 299 mean 164.2 | melwav max 299 mean 165.5
      KS widths p = 0.492, stops p = 0.230
"""

from __future__ import annotations

import argparse
import importlib
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


def compare_torchaudio(draws: int) -> None:
    import torch
    import torchaudio.transforms as T

    importlib.import_module("melwav.conventions")  # registers the conventions
    A = importlib.import_module("melwav.augment")
    n_mels, n_frames, F, Tm, p = 80, 300, 27, 100, 0.2
    # one mask of each kind, so a run of zeros is one mask (widths of 0 leave no run: compare widths > 0)
    ta = T.SpecAugment(n_time_masks=1, time_mask_param=Tm, n_freq_masks=1, freq_mask_param=F, p=p,
                       zero_masking=True)
    torch.manual_seed(0)
    real = {"freq": [], "time": []}
    for _ in range(draws):
        out = ta(torch.ones(1, n_mels, n_frames)).numpy()[0]
        for axis, key in ((0, "freq"), (1, "time")):
            real[key] += _masks_from_output(out, axis)
    config = A.SpecAugmentConfig(freq_mask_bands=F, n_freq_masks=1, time_mask_frames=Tm, n_time_masks=1,
                                 max_time_ratio=p, fill="value", convention="torchaudio")
    rng = np.random.default_rng(0)
    ours = {"freq": [], "time": []}
    for _ in range(draws):
        rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
        ours["freq"] += [(m.start, m.width) for m in rec.freq_masks if m.width]
        ours["time"] += [(m.start, m.width) for m in rec.time_masks if m.width]
    for key in ("freq", "time"):
        rw = np.array([w for _, w in real[key]])
        ow = np.array([w for _, w in ours[key]])
        rs = np.array([s + w for s, w in real[key]])
        os_ = np.array([s + w for s, w in ours[key]])
        print(f"{key}: widths real {rw.min()}..{rw.max()} mean {rw.mean():.2f} | melwav {ow.min()}..{ow.max()} "
              f"mean {ow.mean():.2f}; stops real max {rs.max()} mean {rs.mean():.1f} | melwav max {os_.max()} "
              f"mean {os_.mean():.1f}")
        try:
            from scipy.stats import ks_2samp

            print(f"  KS widths p = {ks_2samp(rw, ow).pvalue:.3f}, stops p = {ks_2samp(rs, os_).pvalue:.3f}")
        except ImportError:
            pass


def compare_bicubic() -> None:
    import torch

    C = importlib.import_module("melwav.conventions")
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
        import torchaudio  # noqa: F401
    except ImportError:
        print("torch/torchaudio not installed: skipped")
        return 0
    compare_bicubic()
    compare_torchaudio(args.draws)
    return 0


if __name__ == "__main__":
    sys.exit(main())
