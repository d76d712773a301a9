"""Abuse cases of issue 15 against the real server (``python app.py``) and the command line: time, memory, outcome.

Run: ``python bench/abuse.py [--app-dir DIR] [--skip-heavy]``. Prints one table row per case:

- huge render settings (30 s at 44.1 kHz / 4096 / hop 128, 200 iterations, rebuilt-mel panel: 246 s before);
- the librosa method on a 30 s clip (it reserved 8.1 GiB before);
- a params file with 20,000 notes; HTML in a note; JSON nested 100,000 deep; a 5000-digit integer
  (app and command line);
- an out-of-range slider value sent through the API (server log lines);
- a full disk under the command line (a 64 kB tmpfs when this runs as root, else skipped);
- SIGTERM in the middle of a render: files left in Gradio's temp dir and the work dir, and how many
  the next start-up sweeps.

Memory is the server's peak RSS during the case minus its RSS before (sampled every 0.1 s), or the
command's maximum RSS. ``--app-dir`` runs another checkout (``--skip-heavy`` leaves out the first two
cases, which on an unbounded app take minutes and gigabytes).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _server import ROOT, Server, count_files  # noqa: E402

ROWS: list[tuple[str, str, float, float, str]] = []


def _short(text: str, n: int = 110) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _row(where: str, case: str, seconds: float, mib: float, outcome: str) -> None:
    ROWS.append((where, case, seconds, mib, _short(outcome)))
    print(f"  {where:4} {case:42} {seconds:7.1f} s {mib:7.0f} MiB  {_short(outcome)}", flush=True)


def _app_case(server: Server, case: str, call) -> None:
    before = server.rss_mib()
    server.sample(0.1)
    t0 = time.perf_counter()
    try:
        outcome = "ok: " + _short(call(), 90)
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    _row("app", case, seconds, server.stop_sampling() - before, outcome)


class _Measured(subprocess.Popen):
    """A child whose own resource usage (maximum RSS) is kept when it is reaped."""

    def _try_wait(self, wait_flags):
        pid, status, self.rusage = os.wait4(self.pid, wait_flags)
        return pid, status


def _cli_case(app_dir: pathlib.Path, case: str, args: list[str]) -> None:
    t0 = time.perf_counter()
    proc = _Measured([sys.executable, "-m", "melwav", *args], cwd=app_dir, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    lines = err.strip().splitlines()
    rss = float(proc.rusage.ru_maxrss) / 1024 if getattr(proc, "rusage", None) else float("nan")
    outcome = f"exit {proc.returncode}, {len(lines)} stderr line(s): {lines[-1] if lines else ''}"
    _row("cli", case, seconds, rss, outcome)


def _clip(path: pathlib.Path, seconds: float, sr: int) -> pathlib.Path:
    t = np.arange(int(seconds * sr)) / sr
    sf.write(path, (0.3 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * t))).astype(np.float32), sr)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--app-dir", default=str(ROOT))
    ap.add_argument("--skip-heavy", action="store_true")
    args = ap.parse_args()
    app_dir = pathlib.Path(args.app_dir)

    from gradio_client import Client, handle_file

    base = pathlib.Path(tempfile.mkdtemp(prefix="melwav-abuse-"))
    data = base / "data"
    data.mkdir()
    speech = ROOT / "assets" / "speech.wav"
    long44 = _clip(data / "long44.wav", 30.0, 44100)
    long22 = _clip(data / "long22.wav", 30.0, 22050)

    def render(client, audio, **values):  # /render by keyword; what is not given is the page's default (LD)
        return client.predict(audio=handle_file(str(audio)), **values, api_name="/render")

    def load(client, params):
        return client.predict(params_file=handle_file(str(params)), audio=handle_file(str(speech)),
                              api_name="/load_params")

    print(f"app: {app_dir}", flush=True)
    server = Server(base / "s1", app_dir=app_dir)
    (base / "s1").mkdir()
    server.start()
    try:
        client = Client(server.url, verbose=False)
        files = render(client, speech, method="fgla", n_iter=1, seed=3)[6]
        params = json.loads(pathlib.Path(next(f for f in files if f.endswith(".json"))).read_text())

        if not args.skip_heavy:
            _app_case(server, "huge render (30 s, 44.1k/4096/128, 200 it)",
                      lambda: str(render(client, long44, n_iter=200, sr=44100, n_fft=4096, hop=128, n_mels=128,
                                         show_rebuilt=True)[1]))
            _app_case(server, "librosa method, 30 s clip", lambda: str(render(client, long22, method="librosa")[1]))

        many = json.loads(json.dumps(params))
        many["record"]["notes"] = [f"note {i}" for i in range(20_000)]
        (data / "notes.json").write_text(json.dumps(many))
        _app_case(server, "params with 20,000 notes", lambda: str(load(client, data / "notes.json")[:3]))

        html = json.loads(json.dumps(params))
        html["record"]["notes"] = ["<img src=x onerror=alert(1)><b>bold</b><a href='//e.vil'>link</a>"]
        (data / "html.json").write_text(json.dumps(html))

        def html_case():
            restored = load(client, data / "html.json")
            drawn = render(client, speech, method="fgla", n_iter=1, seed=restored[14], keep=True)[1]
            return "raw HTML reaches the page" if "<img" in drawn else "shown as text: " + drawn.split("Note: ")[-1]

        _app_case(server, "HTML in a params note", html_case)
        (data / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
        _app_case(server, "params JSON nested 100,000 deep", lambda: str(load(client, data / "deep.json")))
        (data / "bigint.json").write_text('{"format": "melwav-params", "version": 1, "seed": ' + "7" * 5000 + "}")
        _app_case(server, "params with a 5000-digit integer", lambda: str(load(client, data / "bigint.json")))

        log_before = pathlib.Path(server.log.name).read_text().count("\n")
        _app_case(server, "out-of-range slider (W = 99999) via the API",
                  lambda: str(render(client, speech, warp_ms=99_999, method="fgla", n_iter=1)))
        time.sleep(0.5)
        log_lines = pathlib.Path(server.log.name).read_text().splitlines()[log_before:]
        tb = sum("Traceback" in line for line in log_lines)
        _row("app", "  ...its server log", 0.0, 0.0, f"{len(log_lines)} line(s), {tb} traceback(s)")
    finally:
        server.stop()

    _cli_case(app_dir, "CLI params nested 100,000 deep", [str(speech), "--params", str(data / "deep.json")])
    _cli_case(app_dir, "CLI params with a 5000-digit integer", [str(speech), "--params", str(data / "bigint.json")])
    if not args.skip_heavy:
        # The CLI's budget is 10x the app's: the 200 iterations fit (the CLI waits for nobody but
        # its user); 1000 do not.
        _cli_case(app_dir, "CLI huge render (30 s, 44.1k/4096/128, 1000 it)",
                  [str(long44), "-o", str(data / "huge.wav"), "--sr", "44100", "--n-fft", "4096", "--hop", "128",
                   "--n-iter", "1000"])
    mnt = base / "tiny"
    mnt.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                                                   capture_output=True).returncode == 0
    if mounted:
        try:
            _cli_case(app_dir, "CLI disk full (64 kB tmpfs)",
                      [str(speech), "-o", str(mnt / "out.wav"), "--method", "fgla", "--n-iter", "2"])
        finally:
            subprocess.run(["umount", str(mnt)], check=False)
    else:
        _row("cli", "CLI disk full", 0.0, 0.0, "skipped: cannot mount a tmpfs (not root)")

    # SIGTERM mid-render, then a restart: what is left, and what the start-up sweep removes.
    s2 = base / "s2"
    s2.mkdir()
    server = Server(s2, app_dir=app_dir, env={"MELWAV_STALE_AFTER_S": "2"}).start()
    client = Client(server.url, verbose=False)
    for seed in range(3):
        render(client, speech, method="fgla", n_iter=4, seed=seed)
    job = client.submit(audio=handle_file(str(long22)), method="fgla", n_iter=100, seed=9, api_name="/render")
    time.sleep(3.0)
    t0 = time.perf_counter()
    code = server.stop(signal.SIGTERM)
    try:
        job.cancel()  # the server is gone; the client only has to stop waiting
    except Exception:  # noqa: BLE001
        pass
    left = (count_files(server.gradio_dir), count_files(server.work_dir))
    _row("app", "SIGTERM mid-render", time.perf_counter() - t0, 0.0,
         f"exit {code}; left {left[0]} file(s) in Gradio's temp dir, {left[1]} in the work dir")
    time.sleep(3.0)  # older than MELWAV_STALE_AFTER_S = 2 s
    again = Server(s2, app_dir=app_dir, env={"MELWAV_STALE_AFTER_S": "2"})  # same folders, new port
    t0 = time.perf_counter()
    again.start()
    time.sleep(2.0)
    after = (count_files(again.gradio_dir), count_files(again.work_dir))
    again.stop()
    _row("app", "  ...restart (start-up sweep, files > 2 s old)", time.perf_counter() - t0, 0.0,
         f"left {after[0]} in Gradio's temp dir, {after[1]} in the work dir")

    print()
    print("| where | case | time s | memory MiB | outcome |")
    print("|---|---|---|---|---|")
    for where, case, seconds, mib, outcome in ROWS:
        print(f"| {where} | {case.strip()} | {seconds:.1f} | {mib:.0f} | {outcome.replace('|', '/')} |")


if __name__ == "__main__":
    main()
