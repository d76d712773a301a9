"""Bounds on one request's work and memory, decided from its settings BEFORE the work starts.

A public server shares two render slots between everyone, so one request must not be able to hold a
slot for minutes (a 30 s clip at 44.1 kHz, FFT 4096, hop 128 and 200 iterations took 246 s) or ask for
more memory than the machine has (the ``"librosa"`` method's solver reserves gigabytes up front).

Cost model
----------
One phase-retrieval iteration is an ISTFT and an STFT over all frames, so its cost grows as
``frames x n_fft``; a request's work, in *units*, is ``frames x n_fft x iterations`` summed over the
rebuilds it needs (the augmented mel; the original mel unless it is cached; a mel of the rebuild for the
third plot panel counts as one iteration). One unit is ~10-20 ns of one core here (measured with
``bench/abuse.py``: 0.5-1e8 units/s), so the server budget of :data:`SERVER_BUDGET` units is roughly
20-40 s of one core. A request over the budget is refused with a message that names what to change.

:class:`Deadline` bounds wall time as well: the reconstruction loop calls it once per iteration and
stops (raising :class:`melwav.errors.Cancelled`) when its time is up or nobody waits for the result any
more. Calling it does not change the arithmetic, so a rebuild that finishes is bit-identical to one
made without a deadline.
"""

from __future__ import annotations

import dataclasses
import math
import os
import pathlib
import threading
import time

from .errors import Cancelled, LimitError
from .features import MelSettings

#: Work units one server request may use (override with ``$MELWAV_WORK_BUDGET``).
SERVER_BUDGET: float = 2.0e9
#: The command line's budget: 10x the server's (it waits for nobody); ``--no-work-limit`` lifts it.
CLI_BUDGET: float = 2.0e10
#: Wall time one server request may take (override with ``$MELWAV_MAX_REQUEST_S``).
SERVER_MAX_SECONDS: float = 90.0
#: Memory the ``"librosa"`` method may reserve (override with ``$MELWAV_LIBROSA_MAX_BYTES``).
LIBROSA_MAX_BYTES: int = 3 * 2**30
#: Memory one clip's analysis may take (override with ``$MELWAV_ANALYSIS_MAX_BYTES``): the page's largest
#: settings (30 s at 44.1 kHz, FFT 4096, hop 128) need ~340 MB; a params file asking for 192 kHz, FFT 16384 and
#: hop 16 needed +1.5 GB for one second.
ANALYSIS_MAX_BYTES: int = 512 * 2**20
#: scipy's L-BFGS-B indexes its work array with 32-bit ints: past this length it crashes the process.
_LBFGSB_MAX_WORK = 2**31 - 1
#: librosa's block size for the NNLS (``librosa.util.MAX_MEM_BLOCK``, 256 kB in 0.10-1.0).
_LIBROSA_MEM_BLOCK = 2**18


def env_positive(name: str, default: float) -> float:
    """A positive number from the environment variable ``name`` (a limit, a size or a duration), else ``default``."""
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def server_budget() -> float:
    return env_positive("MELWAV_WORK_BUDGET", SERVER_BUDGET)


def server_max_seconds() -> float:
    return env_positive("MELWAV_MAX_REQUEST_S", SERVER_MAX_SECONDS)


def planned_iterations(method: str, n_iter: int | None, *, warm: bool) -> int:
    """Iterations a rebuild runs at most (``n_iter`` None: the method's default, see :mod:`.reconstruction`)."""
    from .reconstruction import DEFAULT_N_ITER, LIBROSA_N_ITER, WARM_N_ITER

    if n_iter is not None:
        return max(0, int(n_iter))
    if method == "librosa":
        return LIBROSA_N_ITER
    return WARM_N_ITER if warm else DEFAULT_N_ITER


def augmented_iterations(method: str, n_iter: int | None) -> int:
    """Iterations an augmented rebuild runs at most, counted on the whole clip: a warm rebuild of its base,
    plus its time masks solved on at most ``LOCAL_MAX_SHARE`` of the frames (see
    :func:`melwav.pipeline.rebuild_augmented`)."""
    from .reconstruction import LOCAL_MAX_SHARE, LOCAL_N_ITER

    if method == "librosa":
        return planned_iterations(method, n_iter, warm=False)
    local = LOCAL_N_ITER if n_iter is None else max(0, int(n_iter))
    return planned_iterations(method, n_iter, warm=True) + math.ceil(LOCAL_MAX_SHARE * local)


@dataclasses.dataclass(frozen=True)
class Cost:
    """The work a request needs, in units of frames x FFT size x iterations.

    Attributes
    ----------
    units : float
    n_frames, n_fft : int
    iterations : int
        Iterations summed over all rebuilds (plus one per extra mel analysis).
    what : str
        What was counted, for the message.
    rebuilds : int
        How many rebuilds were counted.
    per_iteration, fixed_iterations : float, int
        ``iterations`` is at most ``per_iteration * n_iter + fixed_iterations`` for an explicit ``n_iter``: what
        the message's advice ("at most N iterations") is worked out from.
    """

    units: float
    n_frames: int
    n_fft: int
    iterations: int
    what: str
    rebuilds: int = 1
    per_iteration: float = 1.0
    fixed_iterations: int = 0


def render_cost(settings: MelSettings, n_frames: int, *, method: str, n_iter: int | None, n_renders: int = 1,
                original_cached: bool = False, rebuilt_mel: bool = False) -> Cost:
    """Cost of ``n_renders`` augmented rebuilds (+ the original's unless cached, + the rebuilt-mel panel)."""
    iters = n_renders * augmented_iterations(method, n_iter)
    parts = [f"{n_renders} augmented rebuild{'s' if n_renders > 1 else ''}"]
    if not original_cached:
        iters += planned_iterations(method, n_iter, warm=False)
        parts.append("the original's rebuild")
    if rebuilt_mel:
        iters += 1
        parts.append("the rebuilt-mel panel")
    rebuilds = n_renders + (0 if original_cached else 1)
    # Per iteration asked for: each augmented rebuild's base and its time masks (on at most LOCAL_MAX_SHARE of
    # the frames, rounded up: one more each), the original's; the panel is one more.
    from .reconstruction import LOCAL_MAX_SHARE

    local = 0.0 if method == "librosa" else LOCAL_MAX_SHARE
    per_iteration = n_renders * (1.0 + local) + (0 if original_cached else 1)
    fixed = (n_renders if local else 0) + (1 if rebuilt_mel else 0)
    return Cost(float(n_frames) * settings.n_fft * iters, int(n_frames), settings.n_fft, iters, ", ".join(parts),
                rebuilds, per_iteration, fixed)


def variety_cost(settings: MelSettings, n_frames: int, *, n: int) -> Cost:
    """Cost of ``n`` thumbnails (no rebuild; each counted like one iteration: draw, apply, plot)."""
    return Cost(float(n_frames) * settings.n_fft * n, int(n_frames), settings.n_fft, n, f"{n} thumbnails")


def check_cost(cost: Cost, *, budget: float | None, duration_s: float | None = None, hint: str = "") -> None:
    """Raise :class:`LimitError` when ``cost`` is over ``budget`` (None: no limit), saying what to change."""
    if budget is None or cost.units <= budget:
        return
    factor = cost.units / budget
    fit_iters = int((budget // (float(cost.n_frames) * cost.n_fft) - cost.fixed_iterations) // cost.per_iteration)
    dur = f"{duration_s:.1f} s clip, " if duration_s is not None else ""
    advice = [f"at most {fit_iters} iterations" if fit_iters >= 1 else None,
              "a larger hop", "a smaller FFT size",
              f"a clip of at most {duration_s / factor:.1f} s" if duration_s else "a shorter clip"]
    raise LimitError(
        f"this request is {factor:.1f}x over the work limit ({dur}{cost.n_frames} frames x FFT {cost.n_fft} x "
        f"{cost.iterations} iterations for {cost.what}); try {', '.join(a for a in advice if a)}"
        + (f" {hint}" if hint else "")
    )


# ------------------------------------------------------------------------------------- librosa


def librosa_peak_bytes(settings: MelSettings, n_frames: int) -> int:
    """Memory the ``"librosa"`` method reserves: its NNLS work arrays plus a few STFT-sized arrays.

    ``librosa.feature.inverse.mel_to_stft`` solves blocks of ``MAX_MEM_BLOCK // (4 n_mels)`` frames with
    scipy's L-BFGS-B using ``m = n_bins`` corrections, whose float64 work array holds
    ``2 m n + 5 n + 11 m^2 + 8 m`` numbers for ``n = n_bins x block`` unknowns: 8.1 GiB for a block
    of 512 frames at n_fft 2048, whatever the clip's length past that.
    """
    stft = 8 * settings.n_bins * int(n_frames)  # complex64 spectrogram
    return 8 * _librosa_work_len(settings, n_frames) + 6 * stft


def _librosa_work_len(settings: MelSettings, n_frames: int) -> int:
    bins = settings.n_bins
    block = min(int(n_frames), max(1, _LIBROSA_MEM_BLOCK // (4 * settings.n_mels)))
    n = bins * block
    return 2 * bins * n + 5 * n + 11 * bins * bins + 8 * bins


def librosa_max_frames(settings: MelSettings, *, max_bytes: int) -> int:
    """The most frames the ``"librosa"`` method may take at ``settings`` within ``max_bytes`` (0 if none)."""
    lo, hi = 0, 1
    while hi < 10**7 and _librosa_fits(settings, hi, max_bytes):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if _librosa_fits(settings, mid, max_bytes) else (lo, mid)
    return lo


def _librosa_fits(settings: MelSettings, n_frames: int, max_bytes: int) -> bool:
    return (_librosa_work_len(settings, n_frames) <= _LBFGSB_MAX_WORK
            and librosa_peak_bytes(settings, n_frames) <= max_bytes)


def librosa_max_bytes() -> int:
    return int(env_positive("MELWAV_LIBROSA_MAX_BYTES", LIBROSA_MAX_BYTES))


def check_librosa(settings: MelSettings, n_frames: int, *, max_bytes: int | None = None) -> None:
    """Raise :class:`LimitError` when the ``"librosa"`` method cannot fit ``n_frames`` frames, before it starts.

    Past ``max_bytes`` (default :func:`librosa_max_bytes`) or past the length at which scipy's solver
    overflows its 32-bit indices (a crash of the whole process, not an exception), it is refused.
    """
    max_bytes = librosa_max_bytes() if max_bytes is None else int(max_bytes)
    if _librosa_fits(settings, n_frames, max_bytes):
        return
    need = librosa_peak_bytes(settings, n_frames)
    most = librosa_max_frames(settings, max_bytes=max_bytes)
    longest = max(0, most - 1) * settings.hop_length / settings.sr
    raise LimitError(
        f"the librosa method would need about {need / 2**30:.1f} GiB for {n_frames} frames at FFT "
        f"{settings.n_fft} (limit {max_bytes / 2**30:.1f} GiB); it handles at most {longest:.1f} s at these "
        f"settings: use fgla-mel or fgla, a shorter clip, or fewer mel bands / a smaller FFT"
    )


# ------------------------------------------------------------------------------------- analysis


def analysis_bytes(settings: MelSettings, n_frames: int) -> int:
    """Memory of one clip's mel analysis at its peak: the complex64 STFT, its float32 magnitude and power
    (16 bytes per bin and frame), and the mel (float32, twice: power and dB)."""
    return int(n_frames) * (16 * settings.n_bins + 8 * settings.n_mels)


def analysis_max_bytes() -> int:
    return int(env_positive("MELWAV_ANALYSIS_MAX_BYTES", ANALYSIS_MAX_BYTES))


def check_analysis(settings: MelSettings, n_frames: int, *, seconds: float | None = None,
                   max_bytes: int | None = None) -> None:
    """Raise :class:`LimitError` when analysing ``n_frames`` frames at ``settings`` would take more than
    ``max_bytes`` (default :func:`analysis_max_bytes`): before the STFT, from the clip's length alone."""
    max_bytes = analysis_max_bytes() if max_bytes is None else int(max_bytes)
    need = analysis_bytes(settings, n_frames)
    if need <= max_bytes:
        return
    per_frame = analysis_bytes(settings, 1)
    longest = max(0, max_bytes // per_frame - 1) * settings.hop_length / settings.sr
    dur = f"a {seconds:.1f} s clip, " if seconds is not None else ""
    raise LimitError(
        f"analysing this clip would need about {need / 2**20:,.0f} MiB ({dur}{n_frames} frames x "
        f"{settings.n_bins} FFT bins at {settings.sr} Hz, FFT {settings.n_fft}, hop {settings.hop_length}; "
        f"limit {max_bytes / 2**20:.0f} MiB); at these settings it handles at most {longest:.2f} s: use a larger "
        "hop, a smaller FFT size or a shorter clip"
    )


# ------------------------------------------------------------------------------------ deadlines


class Deadline:
    """A callable for :func:`melwav.reconstruction.reconstruct`'s ``cancel``: raises once time is up.

    Parameters
    ----------
    seconds : float or None
        Wall time from now; None for no time limit.
    gone : callable, optional
        Returns True when nobody waits for the result any more (e.g. the web client disconnected).
    """

    def __init__(self, seconds: float | None = None, *, gone=None):
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + float(seconds)
        self.gone = gone

    def __call__(self) -> None:
        if self.end is not None and time.monotonic() > self.end:
            raise Cancelled(f"stopped after {self.seconds:g} s, the time limit of one request; "
                            "try fewer iterations, a larger hop or a shorter clip")
        if self.gone is not None and self.gone():
            raise Cancelled("stopped: the page that asked for this is gone")


# ------------------------------------------------------------------------------ files and memory


#: The file that marks a folder as one process's own (see :func:`claim_process_dir`).
OWNER_FILE = ".melwav-owner"
_claimed: dict = {}


def claim_process_dir(base) -> pathlib.Path:
    """A folder of ``base`` that is this process's own for as long as it lives (made once per base).

    The folder holds :data:`OWNER_FILE`, locked (``flock``) by this process until it ends: the kernel drops
    the lock when the process dies however it dies (SIGKILL included), so :func:`sweep_stale` can tell a dead
    process's folder (remove it at once, whatever its age) from a live one's (never touch it: its own process
    knows which of its files a page still points at; Gradio's ``delete_cache`` cleans it).
    """
    import atexit
    import fcntl
    import uuid

    base = pathlib.Path(base)
    key = str(base.resolve())
    if key in _claimed:
        return _claimed[key][0]
    base.mkdir(parents=True, exist_ok=True)
    folder = base / f"melwav-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    owner = open(folder / OWNER_FILE, "w")  # noqa: SIM115 - kept open (and locked) for the process's life
    fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
    owner.write(f"{os.getpid()}\n")
    owner.flush()
    atexit.register(owner.close)  # the lock goes with the process anyway; closed, it leaves no warning
    _claimed[key] = (folder, owner)
    return folder


def _owner_alive(folder: pathlib.Path) -> bool | None:
    """Whether the process that claimed ``folder`` still runs (None: no process claimed it)."""
    import fcntl

    try:
        fd = os.open(folder / OWNER_FILE, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a second open file: it fails even in the owner itself
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock we took
    return False


def sweep_stale(root, *, max_age_s: float, now: float | None = None) -> int:
    """Remove what is stale in ``root``; returns how many entries were removed.

    For the app's folders that outlive a process: its render folders and Gradio's cache
    (``GRADIO_TEMP_DIR``), whose own clean-up only knows the files of the running process, so a crash or
    SIGTERM leaves the rest forever. A folder claimed by a process (:func:`claim_process_dir`) is removed at
    once when that process has died and never while it lives. Any other entry is removed once it has not
    been modified for ``max_age_s`` seconds; a folder counts as stale only when nothing in it is newer, and
    an empty one is left alone. Symbolic links are removed, never followed. Errors (a file going away
    meanwhile) are skipped.
    """
    import shutil

    root = pathlib.Path(root)
    now = time.time() if now is None else now
    removed = 0
    try:
        children = list(root.iterdir())
    except OSError:
        return 0
    for child in children:
        try:
            if child.is_symlink() or not child.is_dir():
                if now - child.lstat().st_mtime > max_age_s:
                    child.unlink()
                    removed += 1
                continue
            alive = _owner_alive(child)
            if alive is not None:
                if not alive:
                    shutil.rmtree(child, ignore_errors=True)
                    removed += 1
                continue
            newest, empty = child.stat().st_mtime, True
            for sub in child.rglob("*"):
                newest, empty = max(newest, sub.lstat().st_mtime), False
            # An empty folder frees nothing and may be a live server's working folder (Gradio makes
            # ``vibe_edit_history`` at launch): removing it under a starting server breaks its launch.
            if not empty and now - newest > max_age_s:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


_sweeper_started: set = set()


def start_sweeper(roots, *, max_age_s: float, every_s: float) -> bool:
    """Sweep ``roots`` now and then every ``every_s`` seconds in a daemon thread (once per set of roots)."""
    key = tuple(sorted(str(r) for r in roots))
    if key in _sweeper_started:
        return False
    _sweeper_started.add(key)

    def loop():
        while True:
            for root in key:
                sweep_stale(root, max_age_s=max_age_s)
            release_memory()
            time.sleep(every_s)

    threading.Thread(target=loop, name="melwav-sweeper", daemon=True).start()
    return True


def release_memory() -> bool:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``); False where that is not available.

    After a burst of renders the allocator keeps the freed arenas of every worker thread: measured
    with ``bench/load.py``, this is most of what stays resident after the caches are bounded.
    """
    import ctypes
    import ctypes.util

    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _libc = False
    if not _libc:
        return False
    try:
        _libc.malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


_libc = None
_trim_timer: list = [None]
_trim_lock = threading.Lock()
#: How long the server must be quiet before :func:`release_memory_when_quiet` trims the heap.
TRIM_QUIET_S: float = 2.0


def release_memory_when_quiet(quiet_s: float | None = None) -> None:
    """:func:`release_memory` once no request has ended for ``quiet_s`` seconds (``TRIM_QUIET_S``).

    A trim holds the allocator's locks for tens of milliseconds (~30 ms after a render here), and
    everything else the process serves waits: run right after a render, it held up the download of the
    player's new WAV from ~10 ms to ~100 ms. After a burst of requests it still runs, once.
    """
    timer = threading.Timer(TRIM_QUIET_S if quiet_s is None else quiet_s, release_memory)
    timer.daemon = True
    with _trim_lock:
        if _trim_timer[0] is not None:
            _trim_timer[0].cancel()
        _trim_timer[0] = timer
    timer.start()
