"""Load figures for the app: many gradio_client users at once against the real server (``python app.py``).

Run: ``python bench/load.py [--users 16] [--requests 3] [--seconds 8] [--burst 40] [--app-dir DIR]``.

The server runs as its own process with its real launch settings (queue of 32, two renders at a time),
its own Gradio temp dir and work dir, on 127.0.0.1 only. Printed:

- users, requests, failures, p50/p95/max latency, and cross-talk (each user's clip has its own pitch);
- one user moving a slider (sequential /render calls on the bundled speech clip);
- whether every result equals a serial call with the same inputs (sample for sample);
- the server's RSS: at start, after a warm-up request, peak during the burst, and after it;
- files in Gradio's temp dir and in the work dir after the run;
- a burst of ``--burst`` simultaneous jobs against the real queue: how many were turned away, and how.

``--app-dir`` runs another checkout's app.py (e.g. an older commit) for a before/after comparison.
Bounded: a fixed number of requests, each with a time-out; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import pathlib
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _server import ROOT, Server, count_files  # noqa: E402

# /render by keyword (its parameters are the controls' keys, melwav_lab/controls.py): every value not given is
# the page's default, LD with the default reconstruction; CHEAP rebuilds with a few fgla iterations.
LD: dict = {}
CHEAP = dict(method="fgla", n_iter=8)


def _clip(path: pathlib.Path, freq: float, seconds: float, sr: int = 22050) -> pathlib.Path:
    t = np.arange(int(seconds * sr)) / sr
    y = 0.4 * np.sin(2 * np.pi * freq * t) + 0.2 * np.sin(2 * np.pi * 2 * freq * t)
    y *= 0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t) ** 2  # a little movement for the masks to cut
    sf.write(path, y.astype(np.float32), sr)
    return path


def _dominant_hz(y: np.ndarray, sr: int) -> float:
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return float(np.argmax(spec) * sr / len(y))


def _value(x):
    return x["value"] if isinstance(x, dict) else x


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=16)
    ap.add_argument("--requests", type=int, default=3, help="requests per user")
    ap.add_argument("--seconds", type=float, default=8.0, help="clip length per user")
    ap.add_argument("--burst", type=int, default=40, help="simultaneous jobs sent at the real queue")
    ap.add_argument("--app-dir", default=str(ROOT), help="checkout whose app.py to run (default: this one)")
    args = ap.parse_args()

    from gradio_client import Client, handle_file

    base = pathlib.Path(tempfile.mkdtemp(prefix="melwav-load-"))
    clips_dir = base / "clips"
    clips_dir.mkdir()
    server = Server(base, app_dir=pathlib.Path(args.app_dir)).start()
    try:
        rss_start = server.rss_mib()
        freqs = [110.0 * 1.25 ** i for i in range(args.users)]
        clips = [_clip(clips_dir / f"user{i}.wav", f, args.seconds) for i, f in enumerate(freqs)]
        Client(server.url, verbose=False).predict(audio=handle_file(str(clips[0])), **LD, seed=0, api_name="/render")
        rss_warm = server.rss_mib()

        def user(i: int):
            client = Client(server.url, verbose=False)
            out = []
            for r in range(args.requests):
                t0 = time.perf_counter()
                try:
                    res = client.predict(audio=handle_file(str(clips[i])), **LD, seed=100 * i + r, api_name="/render")
                    original, sr = sf.read(_value(res[3]), dtype="float32")
                    augmented, _ = sf.read(_value(res[5]), dtype="float32")
                    own = int(np.argmin([abs(_dominant_hz(original, sr) - f) for f in freqs])) == i
                    out.append((i, r, time.perf_counter() - t0, "ok" if own else "cross-talk", augmented))
                except Exception as exc:  # counted, not raised: this is a load test
                    out.append((i, r, time.perf_counter() - t0, f"error: {type(exc).__name__}: {exc}", None))
            return out

        # One user moving a slider: sequential /render calls on the bundled speech clip, the way the page
        # sends them (the rebuilt-mel panel off, as on the default page, then on).
        one = Client(server.url, verbose=False)
        speech = handle_file(str(ROOT / "assets" / "speech.wav"))
        one.predict(audio=speech, **LD, seed=0, api_name="/render")  # first load: analysis
        slider = {}
        for show_rebuilt in (False, True):
            times = []
            for n_time in range(1, 9):
                t1 = time.perf_counter()
                one.predict(audio=speech, **LD, n_time_masks=n_time, seed=7, show_rebuilt=show_rebuilt,
                            api_name="/render")
                times.append(time.perf_counter() - t1)
            slider[show_rebuilt] = float(np.median(times))

        server.sample()
        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(max_workers=args.users) as pool:
            results = [r for rs in pool.map(user, range(args.users)) for r in rs]
        wall = time.perf_counter() - t0
        rss_peak = server.stop_sampling()
        time.sleep(3.0)
        rss_after = server.rss_mib()
        files_gradio, files_work = count_files(server.gradio_dir), count_files(server.work_dir)

        lat = np.array([r[2] for r in results])
        ok = sum(r[3] == "ok" for r in results)
        cross = sum(r[3] == "cross-talk" for r in results)
        errors = [r[3] for r in results if r[3].startswith("error")]

        # Each concurrent result against a serial call with the same inputs, one at a time.
        serial = Client(server.url, verbose=False)
        same = 0
        compared = 0
        for i, r, _, _outcome, augmented in results:
            if augmented is None:
                continue
            res = serial.predict(audio=handle_file(str(clips[i])), **LD, seed=100 * i + r, api_name="/render")
            compared += 1
            same += bool(np.array_equal(sf.read(_value(res[5]), dtype="float32")[0], augmented))
        rss_after_serial = server.rss_mib()

        # A burst at the real queue (32 waiting + 2 running): cheap jobs, all sent at once.
        burst_clip = _clip(clips_dir / "burst.wav", 300.0, 2.0)
        clients = [Client(server.url, verbose=False) for _ in range(args.burst)]
        jobs = [c.submit(audio=handle_file(str(burst_clip)), **CHEAP, seed=s, api_name="/render")
                for s, c in enumerate(clients)]
        outcomes: dict[str, int] = {}
        for job in jobs:
            try:
                job.result(timeout=600)
                key = "ok"
            except Exception as exc:
                key = f"{type(exc).__name__}: {exc}"
            outcomes[key] = outcomes.get(key, 0) + 1
        time.sleep(3.0)
        rss_end = server.rss_mib()
        peak_all = server.peak_mib()
    finally:
        server.stop()

    print(f"machine: {os.uname().machine}, {os.cpu_count()} cpus; server: python app.py from {args.app_dir} "
          "(queue 32, two renders at a time)")
    print("| users | requests | ok | cross-talk | failures | same as serial | p50 s | p95 s | max s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.users} | {len(results)} | {ok} | {cross} | {len(errors)} | {same} of {compared} | "
          f"{np.percentile(lat, 50):.2f} | {np.percentile(lat, 95):.2f} | {lat.max():.2f} | {wall:.1f} |")
    for e in sorted(set(errors))[:5]:
        print(f"  failure: {e[:200]}")
    print(f"server RSS (MiB): start {rss_start:.0f} · after one request {rss_warm:.0f} · peak during the burst of users {rss_peak:.0f} · "
          f"3 s after it {rss_after:.0f} · after the serial re-run {rss_after_serial:.0f} · after the queue burst {rss_end:.0f} · "
          f"process peak (VmHWM) {peak_all:.0f}")
    print(f"one user moving a slider (speech.wav, 8 s): median /render {slider[False]:.2f} s on the default page, "
          f"{slider[True]:.2f} s with the rebuilt-mel panel on")
    print(f"files after the users: {files_gradio} in Gradio's temp dir, {files_work} in the work dir")
    print(f"burst of {args.burst} simultaneous jobs at the real queue: "
          + "; ".join(f"{n} {k}" for k, n in sorted(outcomes.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
