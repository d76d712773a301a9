"""Compare melwav's whisper, wenet and fairseq conventions with those frameworks' own code (not run in CI).

    python bench/compare_whisper_wenet_fairseq.py [--draws 4000] [--whisper-file F] [--wenet-file F]
                                                  [--fairseq-file F]

Each file is the framework's own source, read and run here with numpy alone (no torch): the functions named
below are cut out of it with :mod:`ast` and executed against small stand-ins for what they import (a numpy
array with torch's ``clone``/``detach``/``size`` for WeNet; a no-op registry decorator for fairseq). A file
not given is skipped.

- ``--whisper-file``: ``transformers/models/whisper/modeling_whisper.py`` (e.g. from the unpacked
  transformers wheel): ``_compute_mask_indices`` on one example, with and without an attention mask,
  and on the feature axis, as ``WhisperModel._mask_input_features`` calls it.
- ``--wenet-file``: ``wenet/dataset/processor.py``: ``spec_aug``, ``spec_sub``, ``spec_trim``.
- ``--fairseq-file``: ``fairseq/data/audio/feature_transforms/specaugment.py``: ``SpecAugmentTransform``'s
  masks, and, when OpenCV (``cv2``) is installed, its warp replayed draw for draw against melwav's record.

For each case it prints the mean of a per-example statistic on both sides and the two-sample
Kolmogorov-Smirnov p-value (scipy), plus the largest difference of the per-cell masking rate.

Run on 2026-11-28 with the transformers 5.23.0 wheel, wenet-e2e/wenet @0154699 and facebookresearch/fairseq
@3d262bb, 4000 draws each (cell rate diff: the largest difference of the per-cell masking rate):

    | case                                             | statistic              | framework | melwav | KS p | cell rate diff |
    | whisper time, attention mask, 5 s (defaults)     | masked frames          | 24.77     | 24.62  | 0.54 | 0.016 |
    | whisper time, no attention mask, 5 s in 30 s     | masked frames          | 24.41     | 24.13  | 0.24 | 0.015 |
    | whisper time, 1.23 s, prob 0.3, L 7, min 0       | masked frames          | 33.05     | 33.10  | 0.99 | 0.031 |
    | whisper freq, 80 bins, prob 0.1, L 10            | masked bins            | 8.07      | 7.95   | 0.94 | 0.019 |
    | whisper freq, 128 bins, prob 0.2, L 20, min 1    | masked bins            | 24.37     | 24.84  | 0.09 | 0.022 |
    | wenet spec_aug time, 300 frames, max_t 50        | masked frames          | 46.13     | 46.77  | 0.54 | 0.024 |
    | wenet spec_aug freq, 80 bins, max_f 10           | masked bins            | 10.14     | 10.09  | 0.97 | 0.029 |
    | wenet spec_sub, 3 x max_t 30                     | frames changed         | 41.83     | 41.98  | 0.70 |  |
    | wenet spec_sub, 3 x max_t 30                     | mean shift back        | 74.47     | 73.74  | 0.81 |  |
    | wenet spec_trim, 60 frames, max_t 50             | frames kept            | 51.04     | 51.33  | 0.52 |  |
    | fairseq time, T 100, p 1.0, 300 frames           | masked frames          | 89.84     | 89.70  | 0.87 | 0.023 |
    | fairseq freq, F 27, p 1.0                        | masked bins            | 23.75     | 23.14  | 0.10 | 0.032 |
    | fairseq time, T 100, p 0.2, 300 frames           | masked frames          | 56.36     | 55.95  | 0.72 | 0.021 |
    | fairseq freq, F 27, p 0.2                        | masked bins            | 23.67     | 23.14  | 0.07 | 0.023 |
    | fairseq warp W 40, 300 frames, replayed (497 moved) | largest difference | 4.77e-07 |  |  |  |

(the warp row with opencv-python-headless 5.0.0 in a scratch virtual environment; float32 input).
The fairseq frequency rows' p = 0.07..0.10 is chance: 20000 draws each gave means 23.50 / 23.61, KS p = 0.75.
The spec_sub shift is compared per example: the frames of one chunk share one shift, so pooling them
(WeNet against itself with another seed gives p < 1e-7 that way) overstates the sample size.
"""

from __future__ import annotations

import argparse
import ast
import math
import numbers
import pathlib
import random
import sys
import types
from typing import Optional

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from melwav import specaugment as A  # noqa: E402
from melwav.frameworks import wenet as melwav_wenet  # noqa: E402


def load(path: str, names: list[str], namespace: dict) -> dict:
    """Execute only the top-level definitions ``names`` of the file at ``path`` in ``namespace``."""
    tree = ast.parse(pathlib.Path(path).read_text(encoding="utf-8"))
    nodes = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in names]
    missing = set(names) - {n.name for n in nodes}
    if missing:
        raise SystemExit(f"{path}: no {', '.join(sorted(missing))}")
    exec(compile(ast.Module(body=nodes, type_ignores=[]), path, "exec"), namespace)  # the framework's own code
    return namespace


class TorchLike(np.ndarray):
    """A numpy array with the three tensor methods WeNet's processors call."""

    def clone(self):
        return self.copy()

    def detach(self):
        return self

    def size(self, i):
        return self.shape[i]


class _AttentionMask:
    """What ``_compute_mask_indices`` reads of an attention mask: ``.detach().sum(-1).tolist()``."""

    def __init__(self, a):
        self.a = a

    def detach(self):
        return self

    def sum(self, axis):
        return self.a.sum(axis)


ROWS = []


def report(case: str, stat: str, theirs, ours, cells_theirs=None, cells_ours=None):
    from scipy import stats

    p = stats.ks_2samp(theirs, ours).pvalue
    diff = "" if cells_theirs is None else f"{np.abs(cells_theirs.mean(0) - cells_ours.mean(0)).max():.3f}"
    ROWS.append(f"| {case:<48} | {stat:<22} | {np.mean(theirs):<9.2f} | {np.mean(ours):<6.2f} | {p:.2f} | {diff} |")


def masks_of(record, axis: str, size: int) -> np.ndarray:
    m = np.zeros(size, dtype=bool)
    for s in (record.time_masks if axis == "time" else record.freq_masks):
        m[s.start:s.stop] = True
    return m


# ---------------------------------------------------------------------------------------------- whisper


def compare_whisper(path: str, n: int):
    ns = load(path, ["_compute_mask_indices"], {"np": np, "torch": types.SimpleNamespace(LongTensor=object)})
    compute = ns["_compute_mask_indices"]
    cases = [
        ("whisper time, attention mask, 5 s (defaults)", "time", True, 3000, 500, 0.05, 10, 2),
        ("whisper time, no attention mask, 5 s in 30 s", "time", False, 3000, 500, 0.05, 10, 2),
        ("whisper time, 1.23 s, prob 0.3, L 7, min 0", "time", True, 3000, 123, 0.3, 7, 0),
        ("whisper freq, 80 bins, prob 0.1, L 10", "freq", None, 80, 80, 0.1, 10, 0),
        ("whisper freq, 128 bins, prob 0.2, L 20, min 1", "freq", None, 128, 128, 0.2, 20, 1),
    ]
    for name, axis, attention, S, length, prob, L, k in cases:
        np.random.seed(0)
        theirs = []
        for _ in range(n):
            am = None
            if attention:
                a = np.zeros((1, S), dtype=np.int64)
                a[0, :length] = 1
                am = _AttentionMask(a)
            theirs.append(compute((1, S), prob, L, attention_mask=am, min_masks=k)[0][:length])
        theirs = np.array(theirs)
        rng = np.random.default_rng(1)
        if axis == "time":
            cfg = A.SpecAugmentConfig(convention="whisper", time_mask_frames=L, n_time_masks=k, masks_per_frame=prob,
                                      fill="value", extra=(("attention_mask", attention, ""), ("window_frames", S, "frames")))
            shape = (80, length)
        else:
            cfg = A.SpecAugmentConfig(convention="whisper", freq_mask_bands=L, n_freq_masks=k, fill="value",
                                      extra=(("mask_feature_prob", prob, ""), ("window_frames", 3000, "frames")))
            shape = (S, 100)
        ours = np.array([masks_of(A.draw(cfg, n_mels=shape[0], n_frames=shape[1], rng=rng), axis, length)
                         for _ in range(n)])
        report(name, f"masked {'frames' if axis == 'time' else 'bins'}", theirs.sum(1), ours.sum(1), theirs, ours)


# ------------------------------------------------------------------------------------------------ wenet


def compare_wenet(path: str, n: int):
    ns = load(path, ["spec_aug", "spec_sub", "spec_trim"],
              {"random": random, "torch": types.SimpleNamespace(Tensor=TorchLike)})
    T, F = 300, 80
    random.seed(0)
    feats = np.ones((T, F)).view(TorchLike)
    theirs_t, theirs_f = [], []
    for _ in range(n):
        y = np.asarray(ns["spec_aug"]({"feat": feats}, num_t_mask=2, num_f_mask=2, max_t=50, max_f=10)["feat"])
        theirs_t.append((y == 0).all(1))
        theirs_f.append((y == 0).all(0))
    cfg = A.SpecAugmentConfig(convention="wenet", time_mask_frames=50, n_time_masks=2, freq_mask_bands=10,
                              n_freq_masks=2, fill="value")
    rng = np.random.default_rng(1)
    recs = [A.draw(cfg, n_mels=F, n_frames=T, rng=rng) for _ in range(n)]
    ours_t = np.array([masks_of(r, "time", T) for r in recs])
    ours_f = np.array([masks_of(r, "freq", F) for r in recs])
    theirs_t, theirs_f = np.array(theirs_t), np.array(theirs_f)
    report("wenet spec_aug time, 300 frames, max_t 50", "masked frames", theirs_t.sum(1), ours_t.sum(1),
           theirs_t, ours_t)
    report("wenet spec_aug freq, 80 bins, max_f 10", "masked bins", theirs_f.sum(1), ours_f.sum(1), theirs_f, ours_f)
    # spec_sub on a ramp (frame t holds t): which frames changed, and by how much they moved back
    ramp = np.repeat(np.arange(T, dtype=np.float64)[:, None], 4, axis=1).view(TorchLike)
    theirs_c, theirs_back = [], []
    for _ in range(n):
        y = np.asarray(ns["spec_sub"]({"feat": ramp}, max_t=30, num_t_sub=3)["feat"])[:, 0]
        changed = y != np.arange(T)
        theirs_c.append(changed.sum())
        theirs_back.append((np.arange(T) - y)[changed].mean() if changed.any() else 0.0)
    sub = A.SpecAugmentConfig(convention="wenet", extra=(("spec_sub", True, ""), ("sub_count", 3, ""),
                                                          ("sub_max_frames", 30, "frames")))
    ours_c, ours_back = [], []
    for _ in range(n):
        rec = A.draw(sub, n_mels=4, n_frames=T, rng=rng)
        y = melwav_wenet.apply_sub(np.arange(T, dtype=np.float64)[None, :].repeat(4, 0), dict(rec.extra)["sub"],
                                   value=0.0)[0]
        changed = y != np.arange(T)
        ours_c.append(changed.sum())
        ours_back.append((np.arange(T) - y)[changed].mean() if changed.any() else 0.0)
    report("wenet spec_sub, 3 x max_t 30", "frames changed", theirs_c, ours_c)
    # per example (frames of one chunk share a shift: pooling them would overstate the sample size)
    report("wenet spec_sub, 3 x max_t 30", "mean shift back", theirs_back, ours_back)
    short = np.ones((60, 4)).view(TorchLike)
    theirs_len = [np.asarray(ns["spec_trim"]({"feat": short}, max_t=50)["feat"]).shape[0] for _ in range(n)]
    trim = A.SpecAugmentConfig(convention="wenet", extra=(("spec_trim", True, ""), ("trim_max_frames", 50, "frames")))
    ours_len = [60 - dict(A.draw(trim, n_mels=4, n_frames=60, rng=rng).extra)["trim"] for _ in range(n)]
    report("wenet spec_trim, 60 frames, max_t 50", "frames kept", theirs_len, ours_len)


# ---------------------------------------------------------------------------------------------- fairseq


def compare_fairseq(path: str, n: int):
    ns = load(path, ["SpecAugmentTransform"], {
        "np": np, "math": math, "numbers": numbers, "Optional": Optional, "AudioFeatureTransform": object,
        "register_audio_feature_transform": lambda name: (lambda cls: cls)})
    T, F = 300, 80
    for p, label in ((1.0, "p 1.0"), (0.2, "p 0.2")):
        transform = ns["SpecAugmentTransform"].from_config_dict(
            {"freq_mask_N": 2, "freq_mask_F": 27, "time_mask_N": 2, "time_mask_T": 100, "time_mask_p": p,
             "mask_value": -1.0})
        np.random.seed(0)
        outs = [transform(np.ones((T, F))) == -1.0 for _ in range(n)]
        theirs_t = np.array([o.all(1) for o in outs])
        theirs_f = np.array([o.all(0) for o in outs])
        cfg = A.SpecAugmentConfig(convention="fairseq", freq_mask_bands=27, n_freq_masks=2, time_mask_frames=100,
                                  n_time_masks=2, max_time_ratio=p)
        rng = np.random.default_rng(1)
        recs = [A.draw(cfg, n_mels=F, n_frames=T, rng=rng) for _ in range(n)]
        ours_t = np.array([masks_of(r, "time", T) for r in recs])
        ours_f = np.array([masks_of(r, "freq", F) for r in recs])
        report(f"fairseq time, T 100, {label}, 300 frames", "masked frames", theirs_t.sum(1), ours_t.sum(1),
               theirs_t, ours_t)
        report(f"fairseq freq, F 27, {label}", "masked bins", theirs_f.sum(1), ours_f.sum(1), theirs_f, ours_f)
    try:
        import cv2
    except ImportError:
        print("fairseq warp: skipped (OpenCV is not installed)")
        return
    # The warp, replayed draw for draw: the same numpy seed gives fairseq's anchor and shift, which melwav's
    # record then applies with its numpy re-implementation of cv2's INTER_LINEAR resize.
    ns["cv2"] = cv2
    W = 40
    transform = ns["SpecAugmentTransform"].from_config_dict({"time_warp_W": W})
    worst, moved = 0.0, 0
    for seed in range(min(n, 500)):
        x = np.random.default_rng(seed).normal(size=(T, F)).astype(np.float32)
        np.random.seed(seed)
        w0 = np.random.randint(W, T - W)
        w = np.random.randint(-W + 1, W)
        np.random.seed(seed)
        theirs = transform(x)
        rec = A.AugmentRecord(n_mels=F, n_frames=T, warp=A.WarpDraw(w0, w, "fairseq-linear"), convention="fairseq")
        ours = A.apply(x.T, rec).T
        worst = max(worst, float(np.abs(theirs - ours).max()))
        moved += w != 0
    ROWS.append(f"| fairseq warp W {W}, 300 frames, replayed ({moved} moved) | largest difference | "
                f"{worst:.2e} |  |  |  |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4000)
    ap.add_argument("--whisper-file")
    ap.add_argument("--wenet-file")
    ap.add_argument("--fairseq-file")
    args = ap.parse_args(argv)
    if not (args.whisper_file or args.wenet_file or args.fairseq_file):
        print("nothing to compare: give --whisper-file, --wenet-file and/or --fairseq-file (see --help)")
        return 0
    if args.whisper_file:
        compare_whisper(args.whisper_file, args.draws)
    if args.wenet_file:
        compare_wenet(args.wenet_file, args.draws)
    if args.fairseq_file:
        compare_fairseq(args.fairseq_file, args.draws)
    print(f"| {'case':<48} | {'statistic':<22} | framework | melwav | KS p | cell rate diff |")
    print("\n".join(ROWS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
