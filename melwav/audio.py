"""Audio in and out: decode any soundfile-readable file to mono at the analysis rate, write WAVs safely."""

from __future__ import annotations

import dataclasses
import errno
import os
import pathlib
import re
import shutil
import tempfile

import numpy as np
import soundfile as sf

from .errors import AudioError, DiskFullError, ParameterError, check_float, check_int

DEFAULT_MAX_DURATION_S = 30.0
#: The highest cap a caller may set: reconstruction holds a few STFT-sized arrays, about 0.5 GB at 10 min.
MAX_DURATION_CAP_S = 600.0
#: Shortest clip melwav analyses: a few frames at any sensible hop.
MIN_DURATION_S = 0.05
#: Peak below which a clip counts as silent (-100 dBFS).
SILENCE_PEAK = 1e-5
#: Output peak ceiling: a hair below full scale so 16-bit rounding never clips.
OUTPUT_PEAK = 0.98
WAV_SUBTYPES = {"pcm16": "PCM_16", "pcm24": "PCM_24", "float": "FLOAT"}


@dataclasses.dataclass(frozen=True)
class LoadedAudio:
    """A decoded clip: mono float32 at ``sr``, with what was done to it on the way in.

    Attributes
    ----------
    y : np.ndarray [shape=(n,)], float32
    sr : int
        Its sample rate (the analysis rate).
    source_sr : int
        The file's own rate.
    channels : int
        The file's channel count (mixed down to mono by averaging).
    source_duration_s : float
        The file's full duration.
    trimmed : bool
        True when only the first ``max_duration_s`` seconds were kept.
    notes : tuple[str, ...]
        Plain sentences about what was changed (resampled, mixed, trimmed, non-finite samples zeroed).
    name : str
        The file's base name.
    """

    y: np.ndarray
    sr: int
    source_sr: int
    channels: int
    source_duration_s: float
    trimmed: bool = False
    notes: tuple[str, ...] = ()
    name: str = ""

    @property
    def duration_s(self) -> float:
        return len(self.y) / self.sr


def load_audio(
    path,
    *,
    sr: int = 22050,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    trim: bool = False,
    offset_s: float = 0.0,
    duration_s: float | None = None,
    channel: int | None = None,
) -> LoadedAudio:
    """Read an audio file as mono float32 at ``sr``.

    The file's header is read first, so a file over the duration cap is refused (or, with ``trim``,
    only its head is decoded) before any heavy work.

    Parameters
    ----------
    path : str or os.PathLike
        WAV, FLAC, OGG/Vorbis, MP3 (what the installed libsndfile reads), integer or float samples.
    sr : int
        Analysis rate; the clip is resampled to it.
    max_duration_s : float
        Longest accepted clip in seconds.
    trim : bool
        Keep the first ``max_duration_s`` seconds of a longer file instead of refusing it.
    offset_s, duration_s : float, optional
        Read only this segment of the file (a manifest's ``offset`` / ``duration``); the duration cap
        applies to the segment. ``duration_s`` None reads to the end.
    channel : int, optional
        Keep only this channel (counted from 0) instead of mixing all of them down.

    Returns
    -------
    LoadedAudio

    Raises
    ------
    AudioError
        Not readable as audio, empty, too short, too long (without ``trim``), silent, or all non-finite.
    """
    sr = check_int("sr", sr, low=4000, high=192000)
    max_duration_s = check_float("max_duration_s", max_duration_s, low=MIN_DURATION_S, high=MAX_DURATION_CAP_S)
    path = pathlib.Path(os.fspath(path))
    name = path.name
    if not path.is_file():
        raise AudioError(f"no such file: {name}")
    if path.stat().st_size == 0:
        raise AudioError(f"{name} is empty (0 bytes)")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{name} is not an audio file melwav can read ({_short(exc)})") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise AudioError(f"{name} holds no audio samples")
    source_duration = info.frames / info.samplerate
    notes = []
    declared = _declared_frames(info)
    if declared is not None:
        notes.append(
            f"the file is truncated: its header announces {_fmt_duration(declared / info.samplerate)}, "
            f"only {_fmt_duration(source_duration)} is there"
        )
    frames = -1
    start = 0
    if offset_s or duration_s is not None:
        # A segment (manifests name one): seek to it, and let the cap and the trim apply to its length.
        offset_s = check_float("offset", offset_s, low=0.0)
        start = int(round(offset_s * info.samplerate))
        if start >= info.frames:
            raise AudioError(f"{name}: the segment starts at {offset_s:g} s, past the end of the file "
                             f"({_fmt_duration(source_duration)})")
        frames = info.frames - start
        if duration_s is not None:
            duration_s = check_float("duration", duration_s, low=0.0)
            wanted = int(round(duration_s * info.samplerate))
            if wanted < frames:
                frames = wanted
            elif wanted > frames + int(0.025 * info.samplerate):  # lhotse's own tolerance: 25 ms
                notes.append(f"the segment asks for {_fmt_duration(duration_s)} from {offset_s:g} s; the file "
                             f"holds {_fmt_duration(frames / info.samplerate)} from there")
        if frames < info.frames:  # a manifest's duration of the whole file is not worth a note
            notes.append(f"read {_fmt_duration(frames / info.samplerate)} from {offset_s:g} s into the file")
        source_duration = frames / info.samplerate
    trimmed = False
    if source_duration > max_duration_s + 1e-9:
        if not trim:
            raise AudioError(
                f"{name} is {_fmt_duration(source_duration)} long; the limit is {max_duration_s:g} s "
                f"(trim it, or raise the cap)"
            )
        frames = int(round(max_duration_s * info.samplerate))
        trimmed = True
        notes.append(f"kept the first {max_duration_s:g} s of {_fmt_duration(source_duration)}")
    try:
        data, file_sr = sf.read(str(path), start=start, frames=frames, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{name} could not be decoded ({_short(exc)}); is it truncated?") from None
    if data.shape[0] == 0:
        raise AudioError(f"{name} holds no audio samples")
    expected = info.frames if frames < 0 else frames
    if declared is None and data.shape[0] < expected:
        notes.append(
            f"the file ends early (truncated?): {_fmt_duration(data.shape[0] / file_sr)} decoded of the "
            f"{_fmt_duration(expected / file_sr)} its header announces"
        )
    channels = data.shape[1]
    if channel is not None:
        if not 0 <= channel < channels:
            raise AudioError(f"{name} has {channels} channel(s); channel {channel} was asked for")
        if channels > 1:
            notes.append(f"kept channel {channel} of {channels}")
        data, channels = data[:, channel : channel + 1], 1
    finite = np.isfinite(data)
    if not finite.all():
        if not finite.any():
            raise AudioError(f"{name} holds no finite samples (all NaN or infinite)")
        notes.append(f"{int((~finite).sum())} NaN/infinite samples set to 0")
        data = np.where(finite, data, 0.0).astype(np.float32)
    y = data.mean(axis=1, dtype=np.float64).astype(np.float32) if channels > 1 else data[:, 0].copy()
    if channels > 1:
        notes.append(f"mixed {channels} channels to mono")
    if len(y) / file_sr < MIN_DURATION_S:
        raise AudioError(
            f"{name} is {1000 * len(y) / file_sr:.0f} ms long; melwav needs at least {1000 * MIN_DURATION_S:.0f} ms"
        )
    if file_sr != sr:
        y = resample(y, orig_sr=file_sr, target_sr=sr)
        notes.append(f"resampled from {file_sr} Hz to {sr} Hz")
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak < SILENCE_PEAK:
        raise AudioError(f"{name} is silent (peak {_dbfs(peak)}); there is nothing to hear")
    if peak > 1.0:
        # Float files may exceed full scale; keep the shape, bring the peak to 1.
        y = y / np.float32(peak)
        notes.append(f"scaled down from a peak of {peak:.2f} (above full scale)")
    return LoadedAudio(
        y=y.astype(np.float32, copy=False), sr=sr, source_sr=int(file_sr), channels=int(channels),
        source_duration_s=float(source_duration), trimmed=trimmed, notes=tuple(notes), name=name,
    )


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a mono signal (soxr high quality, via librosa)."""
    import librosa

    return librosa.resample(np.asarray(y, dtype=np.float32), orig_sr=orig_sr, target_sr=target_sr).astype(np.float32)


def protect_peak(y: np.ndarray, *, peak: float = OUTPUT_PEAK) -> np.ndarray:
    """Zero non-finite samples and scale down (never up) so that ``max|y| <= peak``."""
    y = np.nan_to_num(np.asarray(y, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(np.max(np.abs(y))) if y.size else 0.0
    if top > peak:
        y = y * np.float32(peak / top)
    return y


def common_gain(*signals: np.ndarray, peak: float = OUTPUT_PEAK, max_boost_db: float = 0.0) -> float:
    """One gain for several clips so the loudest peak among them is ``peak`` at most.

    Applying the same gain keeps their loudness comparable, which separate normalisation would not.
    By default the gain never exceeds 1; ``max_boost_db`` > 0 also brings quiet clips up, together, by
    up to that many dB (for listening: a -40 dBFS recording is otherwise hard to hear).
    """
    top = max((float(np.max(np.abs(s))) for s in signals if np.size(s)), default=0.0)
    if not np.isfinite(top) or top <= 0.0:
        return 1.0
    return float(min(peak / top, 10.0 ** (max(0.0, max_boost_db) / 20.0)))


def write_wav(path, y: np.ndarray, *, sr: int, subtype: str = "pcm16") -> pathlib.Path:
    """Write a mono WAV atomically (a temporary file renamed into place), peak-protected.

    Parameters
    ----------
    path : str or os.PathLike
    y : np.ndarray [shape=(n,)]
    sr : int
    subtype : str
        ``"pcm16"`` (default), ``"pcm24"`` or ``"float"``.

    Returns
    -------
    pathlib.Path
    """
    if subtype not in WAV_SUBTYPES:
        raise ParameterError(f"subtype must be one of {', '.join(WAV_SUBTYPES)}, got {subtype!r}")
    y = protect_peak(y)
    if y.ndim != 1:
        raise ParameterError(f"y must be one-dimensional (mono), got shape {y.shape}")
    # By name, not through a Python file object: libsndfile then does its own I/O, so a full disk is an
    # error it returns, not a storm of "Exception ignored in cffi callback" tracebacks on stderr.
    return atomic_write(path, lambda tmp: sf.write(tmp, y, int(sr), subtype=WAV_SUBTYPES[subtype], format="WAV"),
                        by_name=True)


def atomic_write(path, write, *, mode: str = "wb", by_name: bool = False) -> pathlib.Path:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it into place.

    With ``by_name``, ``write`` gets the temporary file's path (a str) instead of an open file.
    On any error the temporary file is removed and ``path`` is left as it was; a full disk raises
    :class:`melwav.errors.DiskFullError` naming ``path``.
    """
    path = pathlib.Path(os.fspath(path))
    directory = path.parent if str(path.parent) else pathlib.Path(".")
    if not directory.is_dir():
        raise ParameterError(f"output folder does not exist: {directory}")
    if path.is_dir():
        raise ParameterError(f"{path} is a folder; give a file name for the output (e.g. {path / 'out'}.wav)")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        if _disk_full(exc, directory):
            raise DiskFullError(f"no space left on the device to write {path}") from None
        raise
    try:
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode())
        if by_name:
            os.close(fd)
            write(tmp)
        else:
            with os.fdopen(fd, mode) as f:
                write(f)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, (OSError, AssertionError, RuntimeError, sf.LibsndfileError)) and _disk_full(exc, directory):
            # soundfile reports a full disk as an AssertionError (frames written != frames given).
            raise DiskFullError(f"no space left on the device to write {path}") from None
        if isinstance(exc, OSError) and exc.filename is not None:
            # Name the file asked for, never the temporary one beside it.
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise
    return path


#: Free space below which a failed write is put down to a full disk.
_DISK_FULL_BYTES = 1 << 20


def _disk_full(exc: BaseException, directory) -> bool:
    """Whether a failed write was (most likely) a full disk or quota."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    try:
        return shutil.disk_usage(directory).free < _DISK_FULL_BYTES
    except OSError:
        return False


def _new_file_mode() -> int:
    """``0o666`` minus the process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


_DATA_CHUNK = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


def _declared_frames(info) -> int | None:
    """Frames a WAV-like header announces when libsndfile found fewer (it then reads what is there)."""
    match = _DATA_CHUNK.search(getattr(info, "extra_info", "") or "")
    if not match:
        return None
    declared, actual = int(match.group(1)), int(match.group(2))
    if not 0 < actual < declared < 0xFFFFFFFF:  # 0 / 0xFFFFFFFF: a streamed file that never got its size
        return None
    return int(round(info.frames * declared / actual))


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # libsndfile names the full (often temporary) path; the person knows which file they gave.
    text = re.sub(r"^Error opening (?:'[^']*'|\S+):\s*", "", text).strip()
    return text[:160] or type(exc).__name__


def _dbfs(peak: float) -> str:
    return "-inf dBFS" if peak <= 0 else f"{20 * np.log10(peak):.0f} dBFS"


def _fmt_duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"
