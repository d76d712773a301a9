"""Demo files: one .zip holding a clip and the params of a draw, so a prepared demo opens in one step.

A demo file has exactly two members: ``params.json`` (see :func:`melwav.pipeline.write_params`) and the clip,
stored under its own file name. Reading one is bounded before anything is unpacked: member count, names
(no folders, no paths) and uncompressed sizes are checked from the zip's directory first; the members
are then read through caps of their own (a directory can lie), and the clip is written atomically.
"""

from __future__ import annotations

import os
import pathlib
import re
import zipfile
import zlib

from .audio import atomic_write
from .errors import RecordError
from .pipeline import Params, loads_params

PARAMS_NAME = "params.json"
#: Largest params member (bytes): a params file is a few kB.
MAX_PARAMS_BYTES = 1_000_000
#: A demo file lists two entries; its end record is refused past this many, before the directory is read.
MAX_ENTRIES = 16
#: The clip's name inside the zip: it becomes a file name on the server (with a temporary suffix while it is
#: written), and names longer than 255 bytes cannot be made at all.
MAX_CLIP_NAME_CHARS = 128
MAX_CLIP_NAME_BYTES = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STEP = 1 << 16
_EOCD_SEARCH = 65_535 + 22
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aiff", ".aif", ".opus", ".webm")


def write_demo(path, *, clip, params_json) -> pathlib.Path:
    """Write a demo file: ``clip`` (an audio file) and ``params_json`` (a params file) in one .zip.

    Parameters
    ----------
    path : path-like
        The .zip to write (atomically).
    clip, params_json : path-like
        Existing files.

    Returns
    -------
    pathlib.Path
    """
    clip, params_json = pathlib.Path(os.fspath(clip)), pathlib.Path(os.fspath(params_json))
    name = clip.name if clip.suffix.lower() in AUDIO_SUFFIXES else "clip.wav"

    def _write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.write(params_json, PARAMS_NAME)
            z.write(clip, name, compress_type=zipfile.ZIP_STORED)

    return atomic_write(path, _write)


def read_demo(path, out_dir, *, max_bytes: int) -> tuple[pathlib.Path, Params]:
    """Unpack a demo file into ``out_dir``: the clip's path and the params.

    Raises :class:`melwav.errors.RecordError` (one line, naming what is wrong) for anything but a zip with
    ``params.json`` and one audio file of at most ``max_bytes``. Nothing in the zip's directory is trusted
    beyond a first refusal: members are inflated through a cap in small steps, and the clip is written
    beside its final name and renamed into place only once it is whole (a full disk leaves nothing).
    """
    out_dir = pathlib.Path(os.fspath(out_dir))
    count = _entry_count(path)
    if count is not None and count > MAX_ENTRIES:
        raise RecordError(f"a demo file holds params.json and one audio clip; this one lists {count} entries")
    try:
        z = zipfile.ZipFile(os.fspath(path))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RecordError("a demo file must be a .zip holding params.json and one audio clip") from None
    with z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        if len(infos) != 2 or names.count(PARAMS_NAME) != 1:
            if len(infos) == 2 and names.count(PARAMS_NAME) == 2:
                raise RecordError("the demo file holds params.json twice; it must hold params.json and one "
                                  "audio clip")
            raise RecordError(f"a demo file holds params.json and one audio clip; this one has {len(infos)} files")
        clip_info = next(i for i in infos if i.filename != PARAMS_NAME)
        clip_name = clip_info.filename
        if len(clip_name) > MAX_CLIP_NAME_CHARS or len(clip_name.encode("utf-8", "replace")) > MAX_CLIP_NAME_BYTES:
            raise RecordError(f"the demo file's clip name has {len(clip_name)} characters (at most "
                              f"{MAX_CLIP_NAME_CHARS}); rename the clip and make the demo file again")
        if "/" in clip_name or "\\" in clip_name or clip_name.startswith(".") or _CONTROL.search(clip_name) or \
                pathlib.Path(clip_name).suffix.lower() not in AUDIO_SUFFIXES:
            raise RecordError("the demo file's clip must be an audio file at the top of the zip "
                              f"({', '.join(AUDIO_SUFFIXES)})")
        params_info = z.getinfo(PARAMS_NAME)
        for info, what in ((params_info, "params.json"), (clip_info, "clip")):
            # Compressed data never takes more than its size plus a little framing: more is a directory that lies.
            if info.compress_size > info.file_size + info.file_size // 100 + 1024:
                raise RecordError(f"the demo file's {what} is larger than its zip directory says (a damaged or "
                                  "misleading zip); make the demo file again")
        if params_info.file_size > MAX_PARAMS_BYTES:
            raise RecordError(f"the demo file's params.json is {params_info.file_size} bytes (at most "
                              f"{MAX_PARAMS_BYTES})")
        if clip_info.file_size > max_bytes:
            raise RecordError(f"the demo file's clip is {clip_info.file_size / 1e6:.1f} MB (at most "
                              f"{max_bytes / 1e6:.1f} MB)")
        try:
            raw = _read_capped(z, params_info, MAX_PARAMS_BYTES, "the demo file's params.json")
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, zlib.error):
            raise RecordError("the demo file could not be read (damaged or encrypted zip)") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RecordError("the demo file's params.json is not UTF-8 text") from None
        params = loads_params(text)
        target = out_dir / clip_name

        def _unpack(dst):
            _read_capped(z, clip_info, max_bytes, "the demo file's clip", write=dst.write)

        try:
            atomic_write(target, _unpack)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error):
            raise RecordError("the demo file could not be read (damaged or encrypted zip)") from None
    return target, params


def _entry_count(path) -> int | None:
    """The entry count the zip's end record states, read from its last 64 kB (None: no end record found).

    Read before :class:`zipfile.ZipFile` builds one object per entry: a 25 MB upload can list ~500,000
    empty entries (hundreds of MB of objects) for a directory that must hold two.
    """
    try:
        with open(os.fspath(path), "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - _EOCD_SEARCH))
            tail = f.read(_EOCD_SEARCH)
    except OSError:
        return None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return int.from_bytes(tail[at + 10:at + 12], "little")


def _read_capped(z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, what: str, write=None) -> bytes:
    """A member's bytes, inflated in 64 kB steps and never more than ``cap`` (its stated size is not trusted).

    ``ZipFile.read`` inflates a whole member in one step: a member whose directory entry says 500 bytes and
    which inflates to 1 GiB took 1 GiB before its CRC check failed. With ``write``, each step is handed to it
    and nothing is kept.
    """
    parts, total = [], 0
    with z.open(info) as src:
        while chunk := src.read(_STEP):
            total += len(chunk)
            if total > cap:
                raise RecordError(f"{what} is larger than its zip directory says (at most {cap / 1e6:.1f} MB)")
            if write is None:
                parts.append(chunk)
            else:
                write(chunk)
    return b"".join(parts)
