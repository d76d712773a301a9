"""Recipe statistics against one render: is ``python -m melwav stats`` faster than hearing the recipe once?

Run: ``python bench/stats.py [--draws 2000] [--repeats 3]``. In one process, interleaved so that a busy
machine slows both alike, it times

- a render of ``assets/speech.wav`` as the CLI makes it (``pipeline.render`` with the defaults, LD, on a
  clip not rendered before: the original's rebuild included; the clip is scaled by 1 - 1e-7 k so each
  repeat is a new clip to the caches), and the same clip re-rendered with another seed (the app's
  slider move: the original's rebuild cached);
- ``melwav.stats.recipe_stats`` for pairs of recipes, 6 lengths (1, 2, 5, 10, 20, 30 s) x ``--draws``
  (its cache of rows cleared first);
- the same draws of two pairs one utterance at a time (``specaugment.draw``, a render's call, 2000 times
  per length, summarised the same way): what drawing in batches (``draw_many``) saves.

and prints a table of medians with the ratio stats time / render time.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import platform
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from melwav import frameworks, pipeline, stats  # noqa: E402
from melwav.features import MelSettings  # noqa: E402
from melwav.specaugment import draw, policy  # noqa: E402

EX = ROOT / "examples"


def _recipe(name: str):
    return frameworks.import_recipe((EX / name).read_text(encoding="utf-8"))


PAIRS = {
    "LD + LB (melwav)": ("LD", "LB"),
    "LD + ESPnet conformer": ("LD", "espnet_librispeech_conformer.yaml"),
    "ESPnet + NeMo conformers": ("espnet_librispeech_conformer.yaml", "nemo_conformer_ctc_bpe.yaml"),
    "lhotse + SpeechBrain": ("lhotse_icefall_librispeech.txt", "speechbrain_conformer_large.yaml"),
}


def _source(name: str):
    return name if "." not in name else _recipe(name)  # a policy's name, else an example's file


def timed(fn, *args, **kwargs) -> tuple[float, float]:
    """``(wall s, CPU s of this process)`` of one call: the CPU time says what a busy machine hides."""
    t, c = time.perf_counter(), time.process_time()
    fn(*args, **kwargs)
    return time.perf_counter() - t, time.process_time() - c


def time_pair(pair, *, draws: int, settings: MelSettings) -> tuple[float, float]:
    sources = [_source(n) for n in pair]
    stats.clear_cache()  # every repeat draws everything

    def run():
        for s in sources:
            stats.recipe_stats(s, draws=draws, settings=settings)

    return timed(run)


def time_pair_one_by_one(pair, *, draws: int, settings: MelSettings) -> tuple[float, float]:
    """The same lengths, each utterance drawn by itself (``draw``, batches of one), then summarised."""
    configs = [stats._resolve(_source(n), settings, None)[0] for n in pair]

    def run():
        for config in configs:
            for d in stats.DEFAULT_DURATIONS_S:
                n_frames = stats.n_frames_for(d, settings)
                rng = np.random.default_rng(0)
                records = [draw(config, n_mels=settings.n_mels, n_frames=n_frames, rng=rng) for _ in range(draws)]
                stats.summarise(records, hop_ms=settings.hop_ms, duration_s=d)

    return timed(run)


ONE_BY_ONE = ("LD + ESPnet conformer", "lhotse + SpeechBrain")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=stats.DEFAULT_DRAWS)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    settings = MelSettings()
    config = policy("LD").to_config(settings)
    speech = pipeline.load_and_analyse(str(ROOT / "assets" / "speech.wav"))
    # Warm-up: imports, FFT plans, mel banks; nothing below pays a first-call cost.
    pipeline.render(pipeline.load_and_analyse(str(ROOT / "assets" / "music.wav")), config, seed=0)
    for pair in PAIRS.values():
        for n in pair:
            stats.recipe_stats(_source(n), durations_s=[1, 30], draws=20)

    first, again = [], []
    per_pair = {name: [] for name in PAIRS}
    one_by_one = {name: [] for name in ONE_BY_ONE}
    for k in range(1, args.repeats + 1):
        clip = pipeline.analyse(speech.y * np.float32(1 - 1e-7 * k), settings=settings, name=f"speech-{k}")
        first.append(timed(pipeline.render, clip, config, seed=0))
        again.append(timed(pipeline.render, clip, config, seed=1))
        for name, pair in PAIRS.items():
            per_pair[name].append(time_pair(pair, draws=args.draws, settings=settings))
        for name in ONE_BY_ONE:
            one_by_one[name].append(time_pair_one_by_one(PAIRS[name], draws=args.draws, settings=settings))

    def med(values, k):
        return statistics.median(v[k] for v in values)

    r_first, r_again = med(first, 0), med(again, 0)
    c_first, c_again = med(first, 1), med(again, 1)
    print(f"# {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, load average "
          f"{os.getloadavg()[0]:.1f}; {args.repeats} repeats, medians; clip {speech.duration_s:.2f} s "
          f"({speech.n_frames} frames)")
    print(f"# render (LD, defaults): first of a clip {r_first:.3f} s (CPU {c_first:.3f} s), re-render {r_again:.3f} s "
          f"(CPU {c_again:.3f} s)")
    print(f"# stats: 2 recipes x {len(stats.DEFAULT_DURATIONS_S)} lengths x {args.draws} draws")
    print()
    print("| recipes | stats s | / first render | / re-render | stats CPU s | CPU / first render | CPU / re-render |")
    print("|---|---|---|---|---|---|---|")
    rows = [(name, v) for name, v in per_pair.items()]
    rows += [(f"{name}, one utterance at a time (draw)", v) for name, v in one_by_one.items()]
    for name, v in rows:
        s, c = med(v, 0), med(v, 1)
        print(f"| {name} | {s:.3f} | {s / r_first:.2f} | {s / r_again:.2f} | {c:.3f} | {c / c_first:.2f} | "
              f"{c / c_again:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
