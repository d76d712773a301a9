"""Load figures for the app: several gradio_client users at once against a launched app, on loopback.

Run: ``python bench/load.py [--users 6] [--requests 3]``. Prints users, requests, failures, rejections,
p50/p95 latency, cross-talk checks, leftover files, and the peak memory of one request on the longest
allowed clip (30 s). Bounded: a fixed number of requests, each with a time-out; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import pathlib
import resource
import socket
import sys
import tempfile
import time
import tracemalloc

import numpy as np
import soundfile as sf

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# /render inputs after the audio: LD with the default reconstruction.
LD = [789, 2, 43, 2, 998, 1.0, 0.0, 0.0, "mean", -60, "melwav", "fgla-mel", -1]
ANALYSIS = [22050, 2048, 512, 128]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clip(path: pathlib.Path, freq: float, seconds: float, sr: int = 22050) -> pathlib.Path:
    t = np.arange(int(seconds * sr)) / sr
    y = 0.4 * np.sin(2 * np.pi * freq * t) + 0.2 * np.sin(2 * np.pi * 2 * freq * t)
    y *= 0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t) ** 2  # a little movement for the masks to cut
    sf.write(path, y.astype(np.float32), sr)
    return path


def _dominant_hz(path: str) -> float:
    y, sr = sf.read(path)
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=6)
    ap.add_argument("--requests", type=int, default=3, help="requests per user")
    ap.add_argument("--seconds", type=float, default=8.0, help="clip length per user")
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix="melwav-load-"))
    os.environ["MELWAV_WORK_DIR"] = str(work / "renders")
    from gradio_client import Client, handle_file

    import app as app_module

    demo = app_module.build()
    demo.queue(max_size=32, default_concurrency_limit=2)
    port = _free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app_module.LAUNCH_KWARGS)
    url = f"http://127.0.0.1:{port}/"
    freqs = [180.0 * 1.5 ** i for i in range(args.users)]
    clips = [_clip(work / f"user{i}.wav", f, args.seconds) for i, f in enumerate(freqs)]

    def user(i: int):
        client = Client(url, verbose=False)
        out = []
        for r in range(args.requests):
            t0 = time.perf_counter()
            try:
                res = client.predict(handle_file(str(clips[i])), *LD, r, False, *ANALYSIS, False, api_name="/render")
                original = res[3]["value"] if isinstance(res[3], dict) else res[3]
                heard = _dominant_hz(original)
                own = int(np.argmin([abs(heard - f) for f in freqs])) == i
                out.append((time.perf_counter() - t0, "ok" if own else "cross-talk"))
            except Exception as exc:  # counted, not raised: this is a load test
                out.append((time.perf_counter() - t0, f"error: {exc}"))
        return out

    # One user moving a slider: sequential /render calls on the bundled speech clip, the way the page sends
    # them (the extra teaching panel off, as on the default page, then on).
    solo_client = Client(url, verbose=False)
    speech = handle_file(str(ROOT / "assets" / "speech.wav"))
    solo_client.predict(speech, *LD, 0, False, *ANALYSIS, False, api_name="/render")  # first load: analysis
    slider = {}
    for show_rebuilt in (False, True):
        times = []
        for n_time in range(1, 9):
            values = list(LD)
            values[3] = n_time
            t1 = time.perf_counter()
            solo_client.predict(speech, *values, 7, False, *ANALYSIS, show_rebuilt, api_name="/render")
            times.append(time.perf_counter() - t1)
        slider[show_rebuilt] = float(np.median(times))

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=args.users) as pool:
        results = [r for rs in pool.map(user, range(args.users)) for r in rs]
    wall = time.perf_counter() - t0
    lat = np.array([r[0] for r in results])
    ok = sum(r[1] == "ok" for r in results)
    cross = sum(r[1] == "cross-talk" for r in results)
    failures = len(results) - ok - cross

    # Queue full: a queue of 2 and a burst of 8 simultaneous jobs.
    small = app_module.build()
    small.queue(max_size=2, default_concurrency_limit=1)
    port2 = _free_port()
    small.launch(server_name="127.0.0.1", server_port=port2, prevent_thread_lock=True, quiet=True,
                 **app_module.LAUNCH_KWARGS)
    burst = [Client(f"http://127.0.0.1:{port2}/", verbose=False) for _ in range(8)]
    jobs = [c.submit(handle_file(str(clips[0])), *LD, s, False, *ANALYSIS, False, api_name="/render")
            for s, c in enumerate(burst)]
    rejected = 0
    for job in jobs:
        try:
            job.result(timeout=300)
        except Exception as exc:
            rejected += "queue" in str(exc).lower() or "full" in str(exc).lower()
    small.close()
    demo.close()
    leftover = sum(1 for _ in (work / "renders").rglob("*")) if (work / "renders").exists() else 0

    # Peak memory of one request on the longest allowed clip (30 s), in-process.
    from melwav import MelSettings, lab, pipeline

    long_clip = _clip(work / "long.wav", 220.0, 30.0)
    pipeline._ORIGINAL_REBUILDS.clear()
    tracemalloc.start()
    t1 = time.perf_counter()
    analysis = lab.open_clip(long_clip, settings=MelSettings())
    config = lab.config_from_units(MelSettings(), warp_ms=789, freq_mask_bands=43, n_freq_masks=2,
                                   time_mask_ms=998, n_time_masks=2)
    lab.render_view(analysis, config, seed=1, method="fgla-mel", n_iter=None, policy_name="LD")
    long_s = time.perf_counter() - t1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"machine: {os.uname().machine}, {os.cpu_count()} cpus; app queue 32, concurrency 2")
    print("| users | requests | ok | cross-talk | failures | p50 s | p95 s | max s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.users} | {len(results)} | {ok} | {cross} | {failures} | {np.percentile(lat, 50):.2f} | "
          f"{np.percentile(lat, 95):.2f} | {lat.max():.2f} | {wall:.1f} |")
    print(f"one user moving a slider (speech.wav, 8 s): median /render {slider[False]:.2f} s on the default page, "
          f"{slider[True]:.2f} s with the rebuilt-mel panel on")
    print(f"queue of 2, burst of 8 simultaneous jobs: {rejected} turned away with a 'queue is full' message")
    print(f"render files left in the work dir after the run: {leftover} (swept after {lab.MAX_AGE_S:.0f} s)")
    print(f"longest allowed clip (30 s), one full render: {long_s:.1f} s, "
          f"peak traced memory {peak / 2**20:.0f} MiB, process max RSS {rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()
