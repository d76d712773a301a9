"""Compare melwav's lhotse, SpeechBrain and Whisper conventions with the frameworks' own code (not in CI).

    python bench/compare_frameworks_more.py [--draws 4000]

Needs torch, lhotse, speechbrain and transformers; install them ONLY in a scratch virtual environment, e.g.
``python -m venv --system-site-packages /tmp/fw-venv && /tmp/fw-venv/bin/pip install torch lhotse speechbrain
transformers`` (CPU wheels; nothing is compiled), then ``pip uninstall torchaudio`` there if its build wants
CUDA libraries (transformers imports it when present; SpeechBrain's freq_domain.py is loaded as a file so its
package __init__, which needs torchaudio, is not run). Each part is skipped, with a line saying so, when its
package is missing. Nothing here is imported by melwav or its tests. Checks:

1. lhotse ``SpecAugment`` (lhotse.dataset.signal_transforms): frequency and time masks melwav's "lhotse"
   convention draws against those real lhotse writes into random features (masked cells hold the mean), at
   300 frames (one time mask of width < 45) and 1000 frames (two masks of width < 75: compared as masked
   frames in all); how often the masks are skipped with p = 0.7 in the icefall call (warp and masks gated
   separately); and lhotse's ``time_warp`` against melwav's replay of the same draw (same numpy seed).
2. SpeechBrain ``SpectrogramDrop``: the masks on time and frequency (count 1..3 per batch, lengths 5..14,
   starts anywhere, cut at the end) as masked cells in all, and single masks' widths and starts; and
   ``Warping`` against melwav's replay of the same draw (same torch seed; align_corners=True).
3. transformers ``_compute_mask_indices`` (Whisper's): the span counts and starts of the shared reference's
   worked cases, beside melwav's "whisper" convention on the same cases (span counts, starts, KS p).
   bench/compare_whisper_wenet_fairseq.py compares Whisper (and WeNet, fairseq) differently: their source
   files' functions cut out and run on numpy, no install.

Run on 2026-11-28 with torch 2.13.0 (CPU), lhotse 1.33.0, speechbrain 1.1.2 (its freq_domain.py loaded as a
file) and transformers 5.24.0 in a scratch virtual environment without torchaudio, 4000 draws:

    lhotse 300 frames, freq: widths real 1..26 mean 13.51 | melwav 1..26 mean 13.45; stops real max 79 mean 46.8 | melwav max 79 mean 46.2
      KS widths p = 0.568, stops p = 0.096
    lhotse 300 frames, time: widths real 1..44 mean 22.53 | melwav 1..44 mean 22.65; stops real max 299 mean 161.8 | melwav max 299 mean 161.1
      KS widths p = 0.843, stops p = 0.731
    lhotse 300 frames, masked frames in all: real mean 22.06 (0..44) | melwav mean 22.14 (0..44); KS p = 0.914
    lhotse 1000 frames, freq: widths real 1..26 mean 13.49 | melwav 1..26 mean 13.26; stops real max 79 mean 46.5 | melwav max 79 mean 46.5
      KS widths p = 0.273, stops p = 0.755
    lhotse 1000 frames, masked frames in all: real mean 72.63 (0..147) | melwav mean 73.11 (0..148); KS p = 0.483
    lhotse p = 0.7: untouched real 0.292 | melwav 0.303
    lhotse time_warp: 254 warps, largest difference from lhotse's output 2.56e-04
    speechbrain count 1..3, time: masked cells in all: real mean 16.93 (0..41) | melwav mean 17.06 (0..40); KS p = 0.610
    speechbrain count 1..3, freq: masked cells in all: real mean 16.54 (0..42) | melwav mean 16.36 (0..40); KS p = 0.704
    speechbrain count 1..1, time: masked cells in all: real mean 9.01 (0..14) | melwav mean 9.08 (0..14); KS p = 0.723
    speechbrain single time mask: widths real 1..14 mean 9.01 | melwav 1..14 mean 9.08; starts real 0..99 | melwav 0..99
      KS widths p = 0.723, starts p = 0.573
    speechbrain count 1..1, freq: masked cells in all: real mean 8.95 (0..14) | melwav mean 8.98 (0..14); KS p = 0.991
    speechbrain single freq mask: widths real 1..14 mean 8.95 | melwav 1..14 mean 8.98; starts real 0..79 | melwav 0..79
      KS widths p = 0.991, starts p = 0.666
    speechbrain Warping: 263 warps, largest difference from SpeechBrain's output 1.39e-04
    whisper real no attention_mask, 3000 frames: spans {15: 1.00}; run starts 0..2990
    whisper real 5-s clip with attention_mask: spans {2: 0.49, 3: 0.51}; run starts 0..490
    whisper real features: prob 0.1 on 80 bins: spans {0: 0.20, 1: 0.80}; run starts 0..70

After the merge with melwav's "whisper" convention (same venv, 4000 draws; the real side's starts are starts
of masked runs, so overlapping spans count once there):

    whisper real no attention_mask, 3000 frames: spans {15: 1.00}; run starts 0..2990
    whisper melwav no attention_mask, 3000 frames: spans {15: 1.00}; starts 0..2990
    whisper no attention_mask, 3000 frames starts: real mean 1492.58 (0..2990) | melwav mean 1492.66 (0..2990); KS p = 0.600
    whisper real 5-s clip with attention_mask: spans {2: 0.49, 3: 0.51}; run starts 0..490
    whisper melwav 5-s clip with attention_mask: spans {2: 0.51, 3: 0.49}; starts 0..490
    whisper 5-s clip with attention_mask starts: real mean 244.79 (0..490) | melwav mean 244.71 (0..490); KS p = 0.852
    whisper real features: prob 0.1 on 80 bins: spans {0: 0.20, 1: 0.80}; run starts 0..70
    whisper melwav features: prob 0.1 on 80 bins: spans {0: 0.21, 1: 0.79}; starts 0..70
    whisper features: prob 0.1 on 80 bins starts: real mean 34.93 (0..70) | melwav mean 35.22 (0..70); KS p = 0.854

"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from compare_frameworks import _report  # noqa: E402  (the shared width/start report and KS test)


def _runs(line: np.ndarray) -> list[tuple[int, int]]:
    """(start, width) of the runs of True in a boolean vector."""
    runs, start = [], None
    for i, z in enumerate(list(line) + [False]):
        if z and start is None:
            start = i
        elif not z and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def _masked(out: np.ndarray, value) -> tuple[np.ndarray, np.ndarray]:
    """Which frames / bins of a (time, freq) output are masked entirely (all cells equal ``value``)."""
    hit = np.isclose(out, value, rtol=0, atol=1e-6)
    return hit.all(axis=1), hit.all(axis=0)


def _ks(label: str, real, ours) -> None:
    from scipy.stats import ks_2samp

    real, ours = np.asarray(real), np.asarray(ours)
    print(f"{label}: real mean {real.mean():.2f} (0..{real.max()}) | melwav mean {ours.mean():.2f} "
          f"(0..{ours.max()}); KS p = {ks_2samp(real, ours).pvalue:.3f}")


def _union(masks, n: int) -> int:
    cover = np.zeros(n, bool)
    for m in masks:
        cover[m.start:m.stop] = True
    return int(cover.sum())


# ------------------------------------------------------------------------------------------------ lhotse


def compare_lhotse(draws: int) -> None:
    try:
        import torch
        from lhotse.dataset.signal_transforms import SpecAugment, time_warp
    except ImportError:
        print("lhotse not installed: lhotse skipped")
        return
    import random

    from melwav import frameworks as FW
    from melwav import specaugment as A
    from melwav.features import MelSettings

    S10 = MelSettings(sr=16000, hop_length=160, n_fft=400, n_mels=80)
    n_mels = 80
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    random.seed(0)
    for n_frames in (300, 1000):
        real = SpecAugment(time_warp_factor=None, num_feature_masks=1, features_mask_size=27, p=1.0)
        config = FW.import_recipe("SpecAugment(time_warp_factor=None, num_feature_masks=1, features_mask_size=27, "
                                  "p=1.0)").to_config(S10)
        r_freq, r_time, r_total = [], [], []
        for _ in range(draws):
            x = torch.randn(1, n_frames, n_mels)
            out = real(x)[0].numpy()
            frames, bins = _masked(out, float(x.mean()))
            r_freq += _runs(bins)
            r_time += _runs(frames)
            r_total.append(int(frames.sum()))
        o_freq, o_time, o_total = [], [], []
        for _ in range(draws):
            rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
            o_freq += [(m.start, m.width) for m in rec.freq_masks if m.width]
            o_time += [(m.start, m.width) for m in rec.time_masks if m.width]
            o_total.append(_union(rec.time_masks, n_frames))
        _report(f"lhotse {n_frames} frames, freq", r_freq, o_freq, position="stops")
        if n_frames == 300:
            _report(f"lhotse {n_frames} frames, time", r_time, o_time, position="stops")
        _ks(f"lhotse {n_frames} frames, masked frames in all", r_total, o_total)

    # gating: the icefall call (supervisions): warp and masks each skipped with probability 1 - p
    n_frames, p = 200, 0.7
    real = SpecAugment(time_warp_factor=None, num_feature_masks=2, features_mask_size=27, p=p)
    sup = torch.tensor([[0, 0, n_frames]], dtype=torch.int32)
    untouched_real = 0
    for _ in range(draws):
        x = torch.randn(1, n_frames, n_mels)
        untouched_real += bool(torch.equal(real(x, supervision_segments=sup), x))
    config = FW.import_recipe(f"SpecAugment(time_warp_factor=None, num_feature_masks=2, features_mask_size=27, "
                              f"p={p})").to_config(S10)
    untouched_ours = 0
    for _ in range(draws):
        rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
        untouched_ours += not any(m.width for m in (*rec.freq_masks, *rec.time_masks))
    print(f"lhotse p = {p}: untouched real {untouched_real / draws:.3f} | melwav {untouched_ours / draws:.3f}")

    worst, warps = 0.0, 0
    for seed in range(300):
        t, W = int(rng.integers(20, 500)), int(rng.integers(1, 90))
        if t - W <= W + 1:
            continue
        L = rng.normal(size=(n_mels, t)).astype(np.float32)
        np.random.seed(seed)  # replay lhotse's two numpy draws
        center = int(np.random.randint(W + 1, t - W))
        new = int(np.random.randint(center - W, center + W + 1))
        np.random.seed(seed)
        real_out = time_warp(torch.from_numpy(L.T.copy()), factor=W).numpy().T
        if new == center:
            continue
        ours = A.apply_time_warp(L, A.WarpDraw(center, new - center, "lhotse-bicubic"))
        worst = max(worst, float(np.abs(real_out - ours).max()))
        warps += 1
    print(f"lhotse time_warp: {warps} warps, largest difference from lhotse's output {worst:.2e}")


# ------------------------------------------------------------------------------------------- SpeechBrain


def _speechbrain_freq_domain():
    """SpeechBrain's ``augment/freq_domain.py`` loaded as a file: it imports only random and torch, while the
    ``speechbrain`` package's __init__ pulls in torchaudio, whose PyPI build may want CUDA libraries."""
    import importlib.util

    spec = importlib.util.find_spec("speechbrain")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("speechbrain")
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "augment" / "freq_domain.py"
    module_spec = importlib.util.spec_from_file_location("speechbrain_freq_domain", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.SpectrogramDrop, module.Warping


def compare_speechbrain(draws: int) -> None:
    try:
        import torch
        SpectrogramDrop, Warping = _speechbrain_freq_domain()
    except ImportError:
        print("speechbrain not installed: SpeechBrain skipped")
        return
    from melwav import frameworks as FW
    from melwav import specaugment as A
    from melwav.features import MelSettings

    S10 = MelSettings(sr=16000, hop_length=160, n_fft=400, n_mels=80)
    n_mels, n_frames = 80, 100
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    for counts in ((1, 3), (1, 1)):
        text = ("t: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    drop_length_low: 5\n"
                f"    drop_length_high: 15\n    drop_count_low: {counts[0]}\n    drop_count_high: {counts[1]}\n"
                "f: !new:speechbrain.augment.freq_domain.SpectrogramDrop\n    drop_length_low: 5\n"
                f"    drop_length_high: 15\n    drop_count_low: {counts[0]}\n    drop_count_high: {counts[1]}\n"
                "    dim: 2\n")
        config = FW.import_recipe(text).to_config(S10)
        drops = {1: SpectrogramDrop(5, 15, counts[0], counts[1], "zeros", 1),
                 2: SpectrogramDrop(5, 15, counts[0], counts[1], "zeros", 2)}
        real = {"time": [], "freq": []}
        real_runs = {"time": [], "freq": []}
        for _ in range(draws):
            for dim, key in ((1, "time"), (2, "freq")):
                out = drops[dim](torch.ones(1, n_frames, n_mels))[0].numpy()
                frames, bins = _masked(out, 0.0)
                line = frames if key == "time" else bins
                real[key].append(int(line.sum()))
                real_runs[key] += _runs(line)
        ours = {"time": [], "freq": []}
        our_runs = {"time": [], "freq": []}
        for _ in range(draws):
            rec = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
            ours["time"].append(_union(rec.time_masks, n_frames))
            ours["freq"].append(_union(rec.freq_masks, n_mels))
            our_runs["time"] += [(m.start, m.width) for m in rec.time_masks if m.width]
            our_runs["freq"] += [(m.start, m.width) for m in rec.freq_masks if m.width]
        for key in ("time", "freq"):
            _ks(f"speechbrain count {counts[0]}..{counts[1]}, {key}: masked cells in all", real[key], ours[key])
            if counts == (1, 1):
                _report(f"speechbrain single {key} mask", real_runs[key], our_runs[key])

    worst, warps = 0.0, 0
    for seed in range(300):
        L_len, W = int(rng.integers(12, 400)), int(rng.integers(1, 40))
        if L_len - W <= W:
            continue
        L = rng.normal(size=(n_mels, L_len)).astype(np.float32)
        torch.manual_seed(seed)  # replay Warping's two torch draws
        c = int(torch.randint(W, L_len - W, (1,))[0])
        w = int(torch.randint(c - W, c + W, (1,))[0]) + 1
        torch.manual_seed(seed)
        real_out = Warping(warp_window=W)(torch.from_numpy(L.T.copy())[None]).numpy()[0].T
        if w == c:
            continue
        ours = A.apply_time_warp(L, A.WarpDraw(c, w - c, "speechbrain-bicubic"))
        worst = max(worst, float(np.abs(real_out - ours).max()))
        warps += 1
    print(f"speechbrain Warping: {warps} warps, largest difference from SpeechBrain's output {worst:.2e}")


# ----------------------------------------------------------------------------------------------- Whisper


def compare_whisper(draws: int) -> None:
    try:
        import torch
        from transformers.models.whisper.modeling_whisper import _compute_mask_indices
    except ImportError:
        print("transformers not installed: Whisper skipped")
        return
    from melwav import frameworks as FW
    from melwav import specaugment as A

    np.random.seed(0)
    five_seconds = torch.tensor(np.r_[np.ones(500), np.zeros(2500)][None], dtype=torch.long)
    cases = [("no attention_mask, 3000 frames", (1, 3000), 0.05, 10, 2, None),
             ("5-s clip with attention_mask", (1, 3000), 0.05, 10, 2, five_seconds),
             ("features: prob 0.1 on 80 bins", (1, 80), 0.1, 10, 0, None)]
    choice = np.random.choice
    ours = {  # melwav's "whisper" convention on the same cases: (config, n_mels, n_frames, axis)
        cases[0][0]: (dict(n_time_masks=2, masks_per_frame=0.05, time_mask_frames=10),
                      (("attention_mask", False, ""), ("window_frames", 3000, "frames")), 80, 3000, "time"),
        cases[1][0]: (dict(n_time_masks=2, masks_per_frame=0.05, time_mask_frames=10),
                      (("attention_mask", True, ""), ("window_frames", 3000, "frames")), 80, 500, "time"),
        cases[2][0]: (dict(freq_mask_bands=10, n_freq_masks=0),
                      (("mask_feature_prob", 0.1, ""), ("window_frames", 3000, "frames")), 80, 300, "freq"),
    }
    rng = np.random.default_rng(0)
    for label, shape, prob, length, min_masks, attention in cases:
        counts, starts = [], []
        for _ in range(draws):
            sizes = []

            def spy(a, size=None, replace=True, p=None, _sizes=sizes):  # the exact span count of the draw
                _sizes.append(int(size))
                return choice(a, size, replace=replace, p=p)

            np.random.choice = spy
            try:
                mask = _compute_mask_indices(shape, mask_prob=prob, mask_length=length, min_masks=min_masks,
                                             attention_mask=attention)
            finally:
                np.random.choice = choice
            counts.append(sizes[0] if sizes else 0)
            starts += [s for s, _ in _runs(mask[0])]
        values, freq = np.unique(counts, return_counts=True)
        dist = ", ".join(f"{v}: {f / draws:.2f}" for v, f in zip(values, freq))
        print(f"whisper real {label}: spans {{{dist}}}; run starts {min(starts) if starts else '-'}.."
              f"{max(starts) if starts else '-'}")
        if "whisper" not in FW.FRAMEWORKS:
            continue
        fields, extra, n_mels, n_frames, axis = ours[label]
        config = A.SpecAugmentConfig(convention="whisper", fill="absolute", extra=extra, **fields)
        mine, my_starts = [], []
        for _ in range(draws):
            record = A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng)
            masks = record.time_masks if axis == "time" else record.freq_masks
            mine.append(len(masks))
            my_starts += [m.start for m in masks]
        values, freq = np.unique(mine, return_counts=True)
        dist = ", ".join(f"{v}: {f / draws:.2f}" for v, f in zip(values, freq))
        print(f"whisper melwav {label}: spans {{{dist}}}; starts {min(my_starts) if my_starts else '-'}.."
              f"{max(my_starts) if my_starts else '-'}")
        _ks(f"whisper {label} starts", starts, my_starts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    args = parser.parse_args(argv)
    compare_lhotse(args.draws)
    compare_speechbrain(args.draws)
    compare_whisper(args.draws)
    return 0


if __name__ == "__main__":
    sys.exit(main())
