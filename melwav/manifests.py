"""The clips of a corpus: audio files, folders, Kaldi ``wav.scp``, NeMo and lhotse manifests, as :class:`ClipSource`.

Everything here is read as data and bounded: a manifest line is at most ``MAX_LINE_BYTES``, a manifest
(inflated, for ``.gz``) at most ``MAX_MANIFEST_BYTES``, read as a stream; nothing a manifest names is
ever run (a Kaldi piped command, a lhotse ``command`` source) or fetched (a lhotse ``url`` source). Such
an entry, or a line that is not what it should be, becomes a :class:`ClipSource` with an ``error``: it is
listed with that reason and the other clips go on. Relative paths in a manifest are resolved against the
manifest's folder.

Formats (only what picks a clip is read):

- Kaldi ``wav.scp``: ``<id> <path>`` per line; ``<id> <command> |`` is refused.
- NeMo JSON lines: ``audio_filepath``, optional ``offset`` and ``duration`` (seconds).
- lhotse recordings (``.jsonl``/``.jsonl.gz``): ``id``, ``sources[]`` of ``{"type", "channels", "source"}``
  (``type`` ``file`` only); a cuts manifest: ``id``, ``start``, ``duration``, ``channel`` and the embedded
  ``recording`` (MonoCut). A recording's ``transforms`` (speed, volume, ...) are not applied, and said so.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import pathlib
from collections.abc import Iterable, Iterator

#: Longest manifest line read (a lhotse cut with many supervisions is a few kB).
MAX_LINE_BYTES = 1_000_000
#: Most bytes read from one manifest, after inflating: a gzip that inflates enormously stops here.
MAX_MANIFEST_BYTES = 2_000_000_000
#: Files a folder is searched for (what libsndfile reads).
AUDIO_SUFFIXES = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif", ".au", ".w64",
                            ".caf", ".sph", ".nist"})
MANIFEST_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz", ".ndjson", ".ndjson.gz")


@dataclasses.dataclass(frozen=True)
class ClipSource:
    """One clip to audition: a file, or a segment (and channel) of one.

    Attributes
    ----------
    path : str
        The audio file (a manifest's relative path already resolved against its folder).
    offset_s : float
        Where the segment starts in the file (seconds).
    duration_s : float, optional
        The segment's length (seconds); None reads to the end.
    channel : int, optional
        The channel to keep (lhotse cuts); None mixes all channels down.
    label : str
        What the report calls the clip: the manifest's id, else the path as given.
    origin : str
        Where it came from (``"wav.scp line 3"``); empty for a file given directly.
    error : str, optional
        Why the entry cannot be read at all (it is then listed, never rendered).
    notes : tuple[str, ...]
        What the manifest asked for that is not done (e.g. a lhotse speed transform).
    """

    path: str
    offset_s: float = 0.0
    duration_s: float | None = None
    channel: int | None = None
    label: str = ""
    origin: str = ""
    error: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.label or self.path

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def iter_sources(inputs: Iterable, *, exclude: Iterable = ()) -> Iterator[ClipSource]:
    """The clips named by ``inputs`` (files, folders, ``wav.scp``, NeMo / lhotse manifests), lazily, in order.

    A folder is searched recursively (sorted, symbolic links to folders not followed), leaving out the
    folders in ``exclude`` (the report's own, so a rerun does not audition its players); a path that does
    not exist is yielded as a clip, which then fails with "no such file".
    """
    skip = {os.path.realpath(os.fspath(x)) for x in exclude}
    for item in inputs:
        path = pathlib.Path(os.fspath(item))
        if path.is_dir():
            yield from _folder(path, skip)
        elif path.is_file() and is_scp(path):
            yield from read_scp(path)
        elif path.is_file() and is_manifest(path):
            yield from read_manifest(path)
        else:
            yield ClipSource(str(path), label=str(item))


def is_scp(path) -> bool:
    return pathlib.Path(path).name.endswith(".scp")


def is_manifest(path) -> bool:
    return pathlib.Path(path).name.lower().endswith(MANIFEST_SUFFIXES)


def _folder(root: pathlib.Path, skip: set[str]) -> Iterator[ClipSource]:
    if os.path.realpath(root) in skip:
        return
    for folder, dirs, files in os.walk(root):  # followlinks=False: a link loop cannot trap the walk
        dirs[:] = sorted(d for d in dirs if os.path.realpath(os.path.join(folder, d)) not in skip)
        for name in sorted(files):
            if pathlib.Path(name).suffix.lower() in AUDIO_SUFFIXES:
                path = pathlib.Path(folder) / name
                yield ClipSource(str(path), label=str(path))


def _lines(path: pathlib.Path) -> Iterator[tuple[int, str | None, str | None]]:
    """``(line number, text, error)`` for each line of a text file, gzip or not, read as a bounded stream.

    A line over ``MAX_LINE_BYTES`` is skipped (its error says so); past ``MAX_MANIFEST_BYTES`` the reading
    stops with one last error. Blank lines are left out.
    """
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    total = 0
    try:
        with opener(path, "rb") as f:
            number = 0
            while True:
                line = f.readline(MAX_LINE_BYTES + 1)
                if not line:
                    return
                number += 1
                total += len(line)
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    # Skip the rest of the line in bounded pieces, still counting towards the total.
                    while line and not line.endswith(b"\n") and total <= MAX_MANIFEST_BYTES:
                        line = f.readline(MAX_LINE_BYTES)
                        total += len(line)
                    yield number, None, f"line {number} is longer than {MAX_LINE_BYTES // 1000} kB"
                    if total > MAX_MANIFEST_BYTES:
                        yield number, None, _too_big(number)
                        return
                    continue
                if total > MAX_MANIFEST_BYTES:
                    yield number, None, _too_big(number)
                    return
                try:
                    text = line.decode("utf-8-sig" if number == 1 else "utf-8").strip()
                except UnicodeDecodeError:
                    yield number, None, f"line {number} is not UTF-8 text"
                    continue
                if text:
                    yield number, text, None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:  # a truncated or corrupt gzip
        yield 0, None, f"the manifest could not be read to its end ({exc.__class__.__name__}: {str(exc)[:80]})"


def _too_big(number: int) -> str:
    return f"the manifest is larger than {MAX_MANIFEST_BYTES // 10**9} GB (inflated); stopped reading at line {number}"


def _resolve(entry: str, manifest: pathlib.Path) -> str:
    p = pathlib.Path(os.path.expanduser(entry))
    return str(p if p.is_absolute() else manifest.parent / p)


def read_scp(path) -> Iterator[ClipSource]:
    """The clips of a Kaldi ``wav.scp``: ``<id> <path>`` per line. A piped command (``... |``) is never run."""
    path = pathlib.Path(path)
    for number, text, error in _lines(path):
        origin = f"{path.name} line {number}"
        if error is not None:
            yield ClipSource(str(path), label=f"{path.name}:{number}", origin=origin, error=error)
            continue
        parts = text.split(maxsplit=1)
        if len(parts) < 2:
            yield ClipSource(str(path), label=parts[0][:200], origin=origin,
                             error=f"{origin} has an id but no audio path")
            continue
        utt, target = parts[0][:200], parts[1].strip()
        if target.endswith("|"):
            yield ClipSource(str(path), label=utt, origin=origin,
                             error=f"{origin} is a piped command; melwav never runs commands from a manifest "
                                   "(write the audio to files first)")
            continue
        yield ClipSource(_resolve(target, path), label=utt, origin=origin)


def read_manifest(path) -> Iterator[ClipSource]:
    """The clips of a JSON-lines manifest: NeMo (``audio_filepath``), lhotse recordings or lhotse cuts.

    Each line is recognised on its own, so one bad line is one failed entry.
    """
    path = pathlib.Path(path)
    for number, text, error in _lines(path):
        origin = f"{path.name} line {number}"
        if error is not None:
            yield ClipSource(str(path), label=f"{path.name}:{number}", origin=origin, error=error)
            continue
        try:
            entry = json.loads(text)
        except RecursionError:
            entry, error = None, f"{origin} is nested too deeply"
        except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
            entry, error = None, f"{origin} is not JSON ({getattr(exc, 'msg', 'a number too long to read')})"
        if error is None and not isinstance(entry, dict):
            error = f"{origin} is not a JSON object"
        if error is not None:
            yield ClipSource(str(path), label=f"{path.name}:{number}", origin=origin, error=error)
            continue
        yield _entry(entry, path, origin, f"{path.name}:{number}")


def _entry(entry: dict, manifest: pathlib.Path, origin: str, fallback: str) -> ClipSource:
    label = entry.get("id") if isinstance(entry.get("id"), str) else None
    label = (label or fallback)[:200]

    def bad(reason: str) -> ClipSource:
        return ClipSource(str(manifest), label=label, origin=origin, error=f"{origin}: {reason}")

    try:
        if "audio_filepath" in entry:  # NeMo
            target = entry["audio_filepath"]
            if not isinstance(target, str) or not target:
                return bad("'audio_filepath' is not a path")
            offset = _seconds(entry.get("offset"), "offset", default=0.0)
            duration = _seconds(entry.get("duration"), "duration", default=None)
            return ClipSource(_resolve(target, manifest), offset, duration, label=label, origin=origin)
        if entry.get("type") in ("MixedCut", "MultiCut", "PaddingCut"):
            return bad(f"a lhotse {entry['type']} is not auditioned (only single recordings and MonoCut)")
        if "recording" in entry:  # a lhotse cut with its recording embedded
            recording = entry["recording"]
            if not isinstance(recording, dict):
                return bad("'recording' is not an object")
            file, notes = _recording_file(recording)
            start = _seconds(entry.get("start"), "start", default=0.0)
            duration = _seconds(entry.get("duration"), "duration", default=None)
            channel = entry.get("channel")
            if isinstance(channel, list):
                channel = channel[0] if len(channel) == 1 else None
            if channel is not None and (not isinstance(channel, int) or isinstance(channel, bool) or channel < 0):
                return bad("'channel' is not a channel number")
            return ClipSource(_resolve(file, manifest), start, duration, channel=channel, label=label, origin=origin,
                              notes=notes)
        if "sources" in entry:  # a lhotse recording
            file, notes = _recording_file(entry)
            return ClipSource(_resolve(file, manifest), label=label, origin=origin, notes=notes)
        if "recording_id" in entry:
            return bad("a lhotse cut without its recording (give the cuts manifest that embeds it)")
        return bad("neither a NeMo entry ('audio_filepath') nor a lhotse recording ('sources') or cut ('recording')")
    except _EntryError as exc:
        return bad(str(exc))


class _EntryError(ValueError):
    pass


def _seconds(value, key: str, *, default):
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < 1e7):
        raise _EntryError(f"'{key}' is not a time in seconds")
    return float(value)


def _recording_file(recording: dict) -> tuple[str, tuple[str, ...]]:
    """The audio file of a lhotse recording (its first ``file`` source) and notes on what is not done."""
    sources = recording.get("sources")
    if not isinstance(sources, list) or not sources:
        raise _EntryError("the recording has no 'sources'")
    notes = []
    for source in sources:
        if not isinstance(source, dict):
            raise _EntryError("a recording source is not an object")
        kind = source.get("type")
        if kind == "file":
            target = source.get("source")
            if not isinstance(target, str) or not target:
                raise _EntryError("a 'file' source has no path")
            if len(sources) > 1:
                notes.append(f"the recording has {len(sources)} sources (one per channel); the first file is used")
            if recording.get("transforms"):
                notes.append("the recording's lhotse transforms (speed, volume, ...) are not applied")
            return target, tuple(notes)
        if kind == "command":
            raise _EntryError("its audio comes from a command; melwav never runs commands from a manifest")
        if kind == "url":
            raise _EntryError("its audio is at a URL; melwav reads local files only")
    raise _EntryError(f"no 'file' source (types: {', '.join(sorted({str(s.get('type'))[:20] for s in sources}))})")
