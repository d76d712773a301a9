"""Hostile recipe text: how long melwav takes to refuse each case, and how much memory it uses.

Run: ``python bench/recipes_abuse.py [--cli]``. For each case prints the text size, the wall time and the
Python peak memory (tracemalloc) of ``melwav.frameworks.import_recipe`` (what the CLI's ``--config`` and
the app's ``/import_recipe`` both call), and the first words of the message. With ``--cli`` it also runs
``python -m melwav CLIP --config FILE --export espnet`` in a subprocess per case and prints its exit code,
wall time (interpreter start included) and peak RSS. Every case is bounded by the checks it measures.
"""

from __future__ import annotations

import argparse
import pathlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from melwav import frameworks  # noqa: E402
from melwav.errors import MelwavError  # noqa: E402


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nfreq_masks: *a{levels}\n"


CASES = {
    "YAML alias bomb, 9 levels (issue 13)": alias_bomb(9),
    "YAML alias bomb, 6 levels": alias_bomb(6),
    "YAML 800 nested brackets": "specaug_conf:\n  freq_mask_width_range: " + "[" * 800 + "]" * 800 + "\n",
    "YAML 100k nested brackets": "x: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "YAML 6k keys (90 kB)": "spec_augment:\n  freq_masks: 2\n" + "".join(f"  k{i}: {i}\n" for i in range(6_000)),
    "YAML 2k keys (30 kB, within budget)": "spec_augment:\n  freq_masks: 2\n" + "".join(
        f"  k{i}: {i}\n" for i in range(2_000)),
    "YAML 900 kB scalar": "x: " + "a" * 900_000 + "\n",
    "YAML 5000-digit integer": "spec_augment:\n  freq_masks: " + "9" * 5000 + "\n",
    "lingvo 1+1+... 100k terms": "p.freq_mask_max_bins = " + "+".join(["1"] * 100_000) + "\n",
    "lingvo 100k unary minus": "p.freq_mask_max_bins = " + "-" * 100_000 + "1\n",
    "lingvo 20k lines": "".join(f"p.freq_mask_count = {i}\n" for i in range(20_000)),
    "torchaudio 1+1+... argument": "SpecAugment(2, 100, 2, " + "+".join(["1"] * 20_000) + ")\n",
    "torchaudio 100k unary minus": "SpecAugment(2, 100, 2, " + "-" * 100_000 + "1)\n",
    "torchaudio 5000 nested lists": "SpecAugment(2, 100, 2, " + "[" * 5000 + "]" * 5000 + ")\n",
    "1000 kB + 1 of text": "#" * (frameworks.MAX_RECIPE_BYTES + 1),
    # issue 25: Python-form recipes went to ast.parse whole; control characters; a long sum of names
    "lhotse 1+1+... 900 kB (issue 25)": "SpecAugment(time_warp_factor=" + "+".join(["1"] * 450_000) + ")",
    "Whisper 1+1+... 900 kB (issue 25)": "WhisperConfig(mask_time_prob=" + "+".join(["1"] * 450_000) + ")",
    "lhotse a+a+... 500 terms (issue 25)": "SpecAugment(time_warp_factor=" + "+".join(["a"] * 500) + ")",
    "YAML with a NUL (issue 25)": "specaug_conf:\n  num_freq_mask: 2\x00\n",
}


def _import(text: str) -> str:
    try:
        frameworks.import_recipe(text)
        return "(accepted)"
    except MelwavError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a case this bench exists to catch
        return f"BUG {type(exc).__name__}: {str(exc)[:60]}"


def run_inprocess(text: str) -> tuple[float, float, str]:
    """Wall time (untraced), then the peak of a second, traced run (tracemalloc slows Python down)."""
    t0 = time.perf_counter()
    message = _import(text)
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    _import(text)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, peak, message


def run_cli(text: str) -> tuple[int, float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "recipe.txt"
        path.write_text(text, encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "melwav", str(ROOT / "assets" / "speech.wav"), "--config",
                               str(path), "--export", "espnet"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        elapsed = time.perf_counter() - t0
        rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1000
        return proc.returncode, elapsed, rss, proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", action="store_true", help="also run each case through the CLI (subprocess)")
    args = parser.parse_args()
    print(f"{'case':<38} {'size':>9} {'time':>8} {'peak':>9}  message")
    for name, text in CASES.items():
        elapsed, peak, message = run_inprocess(text)
        print(f"{name:<38} {len(text):>9} {elapsed * 1000:>6.0f}ms {peak:>7.1f}MB  {message[:70]}")
    if args.cli:
        print(f"\n{'case (CLI subprocess)':<38} {'exit':>4} {'time':>8} {'max RSS*':>9}  stderr")
        for name, text in CASES.items():
            rc, elapsed, rss, err = run_cli(text)
            print(f"{name:<38} {rc:>4} {elapsed:>7.2f}s {rss:>7.0f}MB  {err[:70]}")
        print("* the largest RSS of any child so far (getrusage): an upper bound per case")


if __name__ == "__main__":
    main()
