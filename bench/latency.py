"""Slider -> new plot, new audio and new audio heard in a real browser, against mel_to_audio (issues 12, 21).

Run: ``python bench/latency.py [--moves 9] [--ref-repeats 3] [--skip-long] [--lesson] [--verbose]``

Launches the app in this process (``app.demo``, on a free loopback port), opens it in headless Debian
chromium (Playwright, ``/usr/bin/chromium``) at 1280x720, loads a clip, and moves a mask slider from the
keyboard (``mT``, one step up each time) ``--moves`` times, waiting for the page to go idle between
moves. For each move it takes the time from the key press to the new figure's load event ("plot": the
render's PNG, or the figure made outside the queue, a data URL, whichever loads first) and to the first
arrival of the new augmented audio ("audio": the end of the first download of its WAV, or the moment the
transport has the early audio of :mod:`melwav_lab.preview`), on the page's own clock. ``--verbose`` prints each
move with the server's picture and sound times. Clips: the bundled 8 s speech (``assets/speech.wav``) and a 30 s clip
made of the bundled speech and music end to end. The reference is
``librosa.feature.inverse.mel_to_audio(n_iter=32)`` on the same clip, timed in the same run.

The server-side breakdown comes from timing :mod:`melwav.lab` inside the app: ``draw`` (draw, apply,
text), ``picture`` (compose and encode the figure), ``reconstruction``, ``files`` (players' WAVs and
downloads), and what is left of each browser time: ``queue`` (Gradio's queue, pre/post-processing,
transfer and the browser), all medians in ms. Targets (issue 12): plot <= 0.06x and audio <= 0.12x of
mel_to_audio on the 8 s clip; plot <= 0.06x and audio <= 0.15x on the 30 s clip.

"Heard" (issue 21): the A/B/C transport plays the clip in a loop during the moves; the time from the key press
to the moment it switches (crossfades) to the new versions, once they are downloaded and decoded, and the
longest silence of the transport after a key press (0: the old versions play until the new ones are ready).
Target: heard <= 0.10x of mel_to_audio on the 8 s clip.

``--lesson`` times the 8 s clip once more after what a class does first (two presets, "New draw", each
operation on its own, eight draws): at each message of each event, Gradio's page re-sends a loading status
to every output of every event that ran and every input of every event that completed, so a page that has
been used answers a slider more slowly than a fresh one. Same targets, for comparison.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import platform
import socket
import statistics
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import librosa  # noqa: E402
import soundfile as sf  # noqa: E402

from melwav import lab  # noqa: E402
from melwav.features import MelSettings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
SLIDER = "mT: time masks"
LESSON_SEED = 8  # the seed the moves after a lesson draw with (lesson)
LESSON = f"speech 8 s, after a lesson (seed {LESSON_SEED})"
TARGETS = {"speech 8 s": (0.06, 0.12), "speech+music 30 s": (0.06, 0.15), LESSON: (0.06, 0.12)}
#: slider -> new audio heard (the A/B/C transport playing, issue 21), / mel_to_audio.
HEARD_TARGETS = {"speech 8 s": 0.10, "speech+music 30 s": 0.15, LESSON: 0.10}


def make_long_clip(path: pathlib.Path, seconds: float = 29.9) -> pathlib.Path:
    """The bundled speech and music, end to end (resampled to 22050 Hz) until ``seconds``."""
    parts = [librosa.load(ROOT / "assets" / name, sr=22050, mono=True)[0] for name in ("speech.wav", "music.wav")]
    y = np.concatenate(parts * 4)[: int(seconds * 22050)]
    sf.write(path, y, 22050, subtype="PCM_16")
    return path


def mel_to_audio_seconds(path: pathlib.Path, repeats: int) -> float:
    """Median wall time of ``mel_to_audio(n_iter=32)`` on the clip's mel at the default analysis."""
    analysis = lab.open_clip(path, settings=MelSettings())
    s = analysis.settings
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        librosa.feature.inverse.mel_to_audio(
            analysis.S, sr=s.sr, n_fft=s.n_fft, hop_length=s.hop_length, window=s.window, center=True,
            pad_mode="constant", power=2.0, n_iter=32, length=analysis.n_samples, fmin=s.fmin, fmax=s.fmax_hz)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class ServerTimes:
    """Wraps melwav.lab's render functions (the app calls them through the module) to record their timings."""

    def __init__(self):
        self.events: list[dict] = []
        self._lock = threading.Lock()
        self._orig = {name: getattr(lab, name) for name in ("render_picture", "render_sound")}
        for name, fn in self._orig.items():
            setattr(lab, name, self._wrap(name, fn))

    def _wrap(self, name, fn):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            total = time.perf_counter() - t0
            # What the page will fetch: an output identical to the last one has the same URL and is not fetched.
            path = out.figure_png if name == "render_picture" else out.augmented_wav
            digest = hashlib.sha1(pathlib.Path(path).read_bytes()).hexdigest()
            with self._lock:
                self.events.append({"kind": name, "clip": args[0].name, "total": total, "digest": digest,
                                    **out.timings})
            return out

        return wrapper

    def take(self) -> list[dict]:
        with self._lock:
            out, self.events = self.events, []
        return out

    def restore(self):
        for name, fn in self._orig.items():
            setattr(lab, name, fn)


# Idle: no progress anywhere, and the figure's status tracker hidden (while the page's one render event rebuilds
# the audio after showing the figure, its "minimal" tracker is shown but empty); an error's tracker counts as idle.
_IDLE_JS = ("() => !document.querySelector('.progress-text, .eta-bar, .progress-level, .timer') && "
            "!document.querySelector('#spectrograms .wrap:not(.hide):not(:has(.clear-status))')")


#: Timing inside the page, on its own clock: the key press (capture phase), each image's load event (fetched
#: and decoded), each resource's end of download, and how long the playing transport was silent (no sources
#: playing, sampled each frame) since the key press. Each key press starts a new record. The transport marks
#: the moment it switches to the new versions (``window.melwav.abc.switched``): the new audio is heard then.
TIMING_JS = """
window.__melwav = {key: null, loads: [], res: [], silent: 0, last: 0};
document.addEventListener('keydown', () => {
  window.__melwav = {key: performance.now(), loads: [], res: [], silent: 0, last: performance.now()};
}, true);
(function gap() {
  const S = window.melwav && window.melwav.abc, now = performance.now(), m = window.__melwav;
  if (S && m.key !== null && S.loop && !(S.playing && S.srcs.length)) m.silent += now - m.last;
  m.last = now;
  requestAnimationFrame(gap);
})();
document.addEventListener('load', e => {
  const t = e.target;
  if (t && t.tagName === 'IMG') window.__melwav.loads.push([t.currentSrc || t.src, performance.now()]);
}, true);
new PerformanceObserver(list => {
  for (const e of list.getEntries()) window.__melwav.res.push([e.name, e.responseEnd]);
}).observe({type: 'resource'});
"""


def lesson(page) -> None:
    """What a class does before it moves a slider (``--lesson``): two presets, a new draw, each operation of the
    draw on its own, eight draws; then back to the first tab, and seed :data:`LESSON_SEED`."""
    for preset in ("LB", "LD"):
        page.locator("#policy").get_by_text(preset, exact=True).click()
        page.wait_for_timeout(500)
        page.wait_for_function(_IDLE_JS, timeout=120_000)
    page.locator("#reroll").click()
    page.wait_for_timeout(500)
    page.wait_for_function(_IDLE_JS, timeout=120_000)
    page.get_by_role("tab", name="Teaching tools").click()
    for button in ("Hear each operation of this draw on its own", "Show 8 draws"):
        page.get_by_role("button", name=button).click()
        page.wait_for_timeout(1000)
        page.wait_for_function(_IDLE_JS, timeout=120_000)
    page.get_by_role("tab", name="Clip").click()
    page.wait_for_timeout(500)
    # A seed of its own, not the random one "New draw" gave: the timed moves make the same draws in every run
    # (their reconstruction costs differ from draw to draw), and not the fresh page's (seed 7: its partial
    # rebuilds are in the server's cache by then).
    page.locator("#seed input").fill(str(LESSON_SEED))
    page.locator("#seed input").press("Enter")
    page.wait_for_timeout(500)
    page.wait_for_function(_IDLE_JS, timeout=120_000)


def measure(page, clip: pathlib.Path, moves: int, server: ServerTimes, verbose: bool = False,
            after_lesson: bool = False) -> dict:
    """Load ``clip`` into the page, then time ``moves`` keyboard moves of the mask slider (upwards).

    Timed in the page (``TIMING_JS``): plot = key press to the new figure's load event (downloaded and
    decoded), audio = key press to the end of the new augmented WAV's download (the player fetches it
    as soon as it gets it). Every move makes a new draw: identical outputs would have identical URLs,
    which the page would not fetch again (such moves are counted, not timed).
    """
    stem = clip.stem
    page.locator("#clip").get_by_role("button", name="Clear").click()
    server.take()
    page.locator("#clip input[type=file]").set_input_files(str(clip))
    deadline = time.time() + 600
    while not any(e["kind"] == "render_sound" and pathlib.Path(e["clip"]).stem == stem for e in server.events):
        if time.time() > deadline:
            raise TimeoutError(f"the page did not render {clip.name}")
        time.sleep(0.1)
    page.wait_for_function(_IDLE_JS, timeout=600_000)
    page.wait_for_timeout(1000)
    if after_lesson:
        lesson(page)
    # The transport plays the whole clip in a loop while the slider moves: "heard" is when it switches.
    # Still playing from an earlier clip's moves (a new clip keeps the transport going): Play would pause it.
    if not page.evaluate("() => window.melwav.abc.playing"):
        page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.dur > 0", timeout=60_000)
    page.evaluate("() => window.melwav.abc.setLoop(0, window.melwav.abc.dur)")
    slider = page.get_by_role("slider", name=SLIDER)
    rows, breakdown, unchanged, early, early_audio = [], [], 0, 0, 0
    last = {"render_picture": None, "render_sound": None}
    for i in range(moves + 1):  # the first move warms up caches (figure base for this clip) and is dropped
        server.take()
        slider.focus()
        slider.press("ArrowRight")
        deadline = time.time() + 60
        while len({e["kind"] for e in server.events}) < 2:
            if time.time() > deadline:
                raise TimeoutError("no new plot or audio after a slider move")
            time.sleep(0.005)
        page.wait_for_function(_IDLE_JS, timeout=120_000)
        try:  # a move that changed no audio (same files) switches nothing
            page.wait_for_function("k => (window.melwav.abc.switched || 0) > k",
                                   arg=page.evaluate("window.__melwav.key"), timeout=10_000)
        except Exception:  # playwright's TimeoutError
            pass
        page.wait_for_timeout(300)
        seen = page.evaluate("window.__melwav")
        switched = page.evaluate("window.melwav.abc.switched")
        events = server.take()
        changed = {e["kind"]: e["digest"] != last[e["kind"]] for e in events}
        for e in events:
            last[e["kind"]] = e["digest"]
        if i == 0:
            continue
        # The figure as the render sends it, or made outside the queue (melwav_lab.preview) as a data URL: only
        # this move's early picture can load after its key press.
        png = [t for src, t in seen["loads"] if (src.endswith(".png") and stem in src)
               or src.startswith("data:image/png")]
        early += any(src.startswith("data:image/png") for src, _ in seen["loads"])
        wav = [t for name, t in seen["res"] if name.endswith("_augmented.wav") and stem in name]
        # Or the audio the transport got straight from the early picture's request (melwav_lab.preview).
        sound_at = page.evaluate("window.melwav.abc.soundAt || 0")
        if sound_at > seen["key"]:
            wav.append(sound_at)
            early_audio += 1
        if not (changed.get("render_picture") and changed.get("render_sound")):
            unchanged += 1  # the new mask changed nothing the page fetches (width 0, or inside another)
            continue
        if not png or not wav:
            print(f"  move {i}: the page did not fetch the new figure and audio (skipped)")
            continue
        if not switched or switched <= seen["key"]:
            print(f"  move {i}: the transport did not switch to the new audio (skipped)")
            continue
        got = {"plot": min(png) - seen["key"], "audio": min(wav) - seen["key"], "heard": switched - seen["key"],
               "silent": seen["silent"]}
        pic = [e for e in events if e["kind"] == "render_picture"]
        snd = [e for e in events if e["kind"] == "render_sound"]
        if len(pic) != 1 or len(snd) != 1:
            print(f"  move {i}: {len(pic)} picture and {len(snd)} audio events (skipped)")
            continue
        rows.append(got)
        p, s = pic[0], snd[0]
        if verbose:
            print(f"  move {i}: plot {got['plot']:.0f} audio {got['audio']:.0f} heard {got['heard']:.0f} ms;"
                  f" server: picture {1e3 * p['total']:.0f}, sound {1e3 * s['total']:.0f}"
                  f" (reconstruction {1e3 * s['reconstruction']:.0f}) ms")
        breakdown.append({
            "draw": p["draw"], "picture": p["picture"], "reconstruction": s["reconstruction"],
            "files": s["files"],
            "queue (plot)": got["plot"] / 1e3 - p["total"],
            "queue (audio)": got["audio"] / 1e3 - p["total"] - s["total"],
        })
    if unchanged:
        print(f"  {unchanged} move(s) changed nothing the page fetches (a mask of width 0 or inside another): not timed")
    print(f"  {early} of {moves} move(s) showed the figure made outside the queue first, {early_audio} had its audio"
          " from there (melwav_lab.preview)")
    med = lambda xs: statistics.median(xs)  # noqa: E731
    return {
        "plot_ms": med([r["plot"] for r in rows]), "audio_ms": med([r["audio"] for r in rows]),
        "heard_ms": med([r["heard"] for r in rows]), "silent_ms": max(r["silent"] for r in rows),
        "n": len(rows), "breakdown_ms": {k: 1e3 * med([b[k] for b in breakdown]) for k in breakdown[0]},
    }


def launch_app():
    os.environ.setdefault("MELWAV_WORK_DIR", tempfile.mkdtemp(prefix="melwav-latency-"))
    from melwav_lab import app as app_module

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app_module.create()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app_module.LAUNCH_KWARGS)
    return demo, f"http://127.0.0.1:{port}/"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=9, help="timed slider moves per clip (after one warm-up move)")
    ap.add_argument("--ref-repeats", type=int, default=3, help="mel_to_audio runs on the 8 s clip (1 on the 30 s)")
    ap.add_argument("--skip-long", action="store_true", help="only the 8 s clip")
    ap.add_argument("--lesson", action="store_true", help="the 8 s clip again, after a lesson's first moves")
    ap.add_argument("--verbose", action="store_true", help="print each move's times")
    args = ap.parse_args(argv)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="melwav-latency-clips-"))
    clips = {"speech 8 s": ROOT / "assets" / "speech.wav"}
    if not args.skip_long:
        clips["speech+music 30 s"] = make_long_clip(tmp / "speech_music_30s.wav")
    if args.lesson:
        clips[LESSON] = ROOT / "assets" / "speech.wav"

    server = ServerTimes()
    demo, url = launch_app()
    from playwright.sync_api import sync_playwright

    results = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(TIMING_JS)
            page.goto(url)
            page.locator("#spectrograms img").first.wait_for(timeout=120_000)
            page.wait_for_function(_IDLE_JS, timeout=120_000)
            for name, clip in clips.items():
                print(f"measuring {name} ({clip.name}) ...", flush=True)
                results[name] = measure(page, clip, args.moves, server, args.verbose, after_lesson=name == LESSON)
            browser.close()
    finally:
        demo.close()
        server.restore()
    # The reference after the browser runs, on an idle machine, in the same process and run.
    for name, clip in clips.items():
        if name == LESSON:  # the same clip: the same reference
            results[name]["ref_s"] = results["speech 8 s"]["ref_s"]
            continue
        reps = args.ref_repeats if name == "speech 8 s" else 1
        print(f"timing mel_to_audio(n_iter=32) on {name} ({reps} run(s)) ...", flush=True)
        results[name]["ref_s"] = mel_to_audio_seconds(clip, reps)

    print()
    print(f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
          f" numpy {np.__version__}, librosa {librosa.__version__}; chromium at 1280x720, slider '{SLIDER}',"
          f" medians of {args.moves} moves")
    print()
    print("| clip | mel_to_audio s | slider->plot ms | / ref (target) | slider->audio ms | / ref (target) |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        tp, ta = TARGETS[name]
        rp, ra = r["plot_ms"] / 1e3 / r["ref_s"], r["audio_ms"] / 1e3 / r["ref_s"]
        print(f"| {name} | {r['ref_s']:.2f} | {r['plot_ms']:.0f} | {rp:.3f} (<= {tp}) {'ok' if rp <= tp else 'MISSED'} |"
              f" {r['audio_ms']:.0f} | {ra:.3f} (<= {ta}) {'ok' if ra <= ta else 'MISSED'} |")
    print()
    print("| clip | slider->new audio heard ms (transport playing) | / ref (target) | longest silence ms |")
    print("|---|---|---|---|")
    for name, r in results.items():
        th, rh = HEARD_TARGETS[name], r["heard_ms"] / 1e3 / r["ref_s"]
        print(f"| {name} | {r['heard_ms']:.0f} | {rh:.3f} (<= {th}) {'ok' if rh <= th else 'MISSED'} |"
              f" {r['silent_ms']:.0f} |")
    print()
    keys = list(next(iter(results.values()))["breakdown_ms"])
    print("Server-side breakdown, medians in ms (queue = browser time minus the server's work before it):")
    print()
    print("| clip | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for name, r in results.items():
        print(f"| {name} | " + " | ".join(f"{r['breakdown_ms'][k]:.0f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
