"""Throughput and memory of ``python -m melwav audition`` (issue 24). Not part of CI.

Run: ``python bench/audition.py [--clips 16] [--seconds 8] [--workers 2] [--draws 2]
[--memory-clips 1000] [--memory-seconds 1] [--memory-draws 1]``.

Two runs of the real command, each as its own process (``--workers`` spawned worker processes, the default
analysis 22050 / 2048 / 512 / 128, policy LD, the default rebuild), on clips generated here (the bundled
speech at a random gain and circular shift, a little noise, cut or looped to the length asked):

1. throughput: ``--clips`` clips of ``--seconds`` s, ``--draws`` draws each: clips per minute (wall clock,
   process start to exit, so the workers' start-up is in it), then the same command again, which reuses
   every clip;
2. memory: ``--memory-clips`` short clips (``--memory-seconds`` s, ``--memory-draws`` draws: the clip count is
   what should not make memory grow, not the clip length): peak RSS and PSS of the parent and its workers
   together (the forkserver and the resource tracker included), sampled from /proc every 50 ms, the peak of
   the largest single process, and the same peak for the first 50 of those clips.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"


def make_clips(folder: pathlib.Path, n: int, seconds: float, *, seed: int = 0) -> list[pathlib.Path]:
    """``n`` clips of ``seconds`` s: the bundled speech, each at its own gain and circular shift, plus noise."""
    y, sr = sf.read(str(SPEECH), dtype="float32")
    need = int(round(seconds * sr))
    base = np.resize(y, need) if need > len(y) else y[:need]
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        clip = np.roll(base, int(rng.integers(len(base)))) * np.float32(rng.uniform(0.3, 1.0))
        clip = clip + np.float32(0.003) * rng.standard_normal(len(clip)).astype(np.float32)
        path = folder / f"clip{i:05d}.wav"
        sf.write(str(path), clip, sr, subtype="PCM_16")
        paths.append(path)
    return paths


def _memory_kib(pid: int) -> tuple[int, int]:
    """``(RSS, PSS)`` of a process in KiB. PSS shares each page among the processes that map it, so the
    workers' pages shared with the server they were forked from are not counted once per worker."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                out += kids
                todo += kids
        except OSError:
            pass
    return out


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd``; wall time, exit status, and the peak RSS of it and its descendants (summed, and largest)."""
    peak = {"sum": 0, "pss": 0, "max": 0, "most_processes": 0}
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            pids = [proc.pid] + _children(proc.pid)
            both = [_memory_kib(p) for p in pids]
            sizes = [rss for rss, _ in both]
            peak["sum"] = max(peak["sum"], sum(sizes))
            peak["pss"] = max(peak["pss"], sum(pss for _, pss in both))
            peak["max"] = max(peak["max"], max(sizes))
            peak["most_processes"] = max(peak["most_processes"], sum(1 for s in sizes if s))
            stop.wait(0.05)

    t0 = time.perf_counter()
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    thread.join()
    return {"wall_s": wall, "rc": proc.returncode, "stderr": err.strip().splitlines()[-1:] if err else [],
            "peak_sum_mib": peak["sum"] / 1024, "peak_pss_mib": peak["pss"] / 1024, "peak_max_mib": peak["max"] / 1024,
            "processes": peak["most_processes"]}


def audition_cmd(folder, out, *extra: str, workers: int, draws: int) -> list[str]:
    return [sys.executable, "-m", "melwav", "audition", str(folder), "-o", str(out), "--policy", "LD",
            "--workers", str(workers), "--draws", str(draws), *extra]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=16)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--draws", type=int, default=2)
    p.add_argument("--memory-clips", type=int, default=1000)
    p.add_argument("--memory-seconds", type=float, default=1.0)
    p.add_argument("--memory-draws", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="melwav-bench-audition-") as tmp:
        tmp = pathlib.Path(tmp)
        make_clips(tmp / "clips", args.clips, args.seconds)
        first = run_measured(audition_cmd(tmp / "clips", tmp / "out", workers=args.workers, draws=args.draws))
        again = run_measured(audition_cmd(tmp / "clips", tmp / "out", workers=args.workers, draws=args.draws))
        rate = 60 * args.clips / first["wall_s"]
        print(f"throughput: {args.clips} clips of {args.seconds:g} s, {args.draws} draws each, {args.workers} "
              f"workers: {first['wall_s']:.1f} s, {rate:.1f} clips/min ({rate * args.seconds / 60:.1f} min of audio "
              f"per min); peak RSS {first['peak_sum_mib']:.0f} MiB (PSS {first['peak_pss_mib']:.0f} MiB) over "
              f"{first['processes']} processes; exit "
              f"{first['rc']} {first['stderr']}")
        print(f"rerun (all reused): {again['wall_s']:.1f} s; exit {again['rc']} {again['stderr']}")
        if args.memory_clips:
            make_clips(tmp / "many", args.memory_clips, args.memory_seconds, seed=1)
            mem = run_measured(audition_cmd(tmp / "many", tmp / "out-many", workers=args.workers,
                                            draws=args.memory_draws))
            print(f"memory: {args.memory_clips} clips of {args.memory_seconds:g} s, {args.memory_draws} draw(s) "
                  f"each, {args.workers} workers: {mem['wall_s']:.0f} s ({60 * args.memory_clips / mem['wall_s']:.0f} "
                  f"clips/min); peak of parent + workers: RSS {mem['peak_sum_mib']:.0f} MiB, PSS {mem['peak_pss_mib']:.0f} "
                  f"MiB (largest process "
                  f"{mem['peak_max_mib']:.0f} MiB, {mem['processes']} processes at most); exit {mem['rc']} "
                  f"{mem['stderr']}")
            small = run_measured(audition_cmd(tmp / "many", tmp / "out-few", "--limit", "50", workers=args.workers,
                                              draws=args.memory_draws))
            print(f"memory at 50 of the same clips: peak RSS {small['peak_sum_mib']:.0f} MiB, PSS "
                  f"{small['peak_pss_mib']:.0f} MiB (largest process "
                  f"{small['peak_max_mib']:.0f} MiB); exit {small['rc']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
