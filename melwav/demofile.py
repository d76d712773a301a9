"""Demo files: one .zip holding a clip and the params of a draw, so a prepared demo opens in one step.

A demo file has exactly two members: ``params.json`` (see :func:`melwav.pipeline.write_params`) and the clip,
stored under its own file name. Reading one is bounded before anything is unpacked: member count, names
(no folders, no paths) and uncompressed sizes are checked from the zip's directory first.
"""

from __future__ import annotations

import json
import os
import pathlib
import zipfile

from .audio import atomic_write
from .errors import RecordError
from .pipeline import Params, parse_params

PARAMS_NAME = "params.json"
#: Largest params member (bytes): a params file is a few kB.
MAX_PARAMS_BYTES = 1_000_000
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
    ``params.json`` and one audio file of at most ``max_bytes``.
    """
    out_dir = pathlib.Path(os.fspath(out_dir))
    try:
        z = zipfile.ZipFile(os.fspath(path))
    except (zipfile.BadZipFile, OSError):
        raise RecordError("a demo file must be a .zip holding params.json and one audio clip") from None
    with z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        names = [i.filename for i in infos]
        if len(infos) != 2 or PARAMS_NAME not in names:
            raise RecordError(f"a demo file holds params.json and one audio clip; this one has {len(infos)} files")
        clip_info = next(i for i in infos if i.filename != PARAMS_NAME)
        clip_name = clip_info.filename
        if "/" in clip_name or "\\" in clip_name or clip_name.startswith(".") or \
                pathlib.Path(clip_name).suffix.lower() not in AUDIO_SUFFIXES:
            raise RecordError("the demo file's clip must be an audio file at the top of the zip "
                              f"({', '.join(AUDIO_SUFFIXES)})")
        params_info = z.getinfo(PARAMS_NAME)
        if params_info.file_size > MAX_PARAMS_BYTES:
            raise RecordError(f"the demo file's params.json is {params_info.file_size} bytes (at most "
                              f"{MAX_PARAMS_BYTES})")
        if clip_info.file_size > max_bytes:
            raise RecordError(f"the demo file's clip is {clip_info.file_size / 1e6:.1f} MB (at most "
                              f"{max_bytes / 1e6:.1f} MB)")
        try:
            data = json.loads(z.read(params_info).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RecordError("the demo file's params.json is not valid JSON") from None
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError):
            raise RecordError("the demo file could not be read (damaged or encrypted zip)") from None
        params = parse_params(data)
        target = out_dir / clip_name
        try:
            with z.open(clip_info) as src, open(target, "wb") as dst:
                remaining = max_bytes
                while chunk := src.read(1 << 20):
                    remaining -= len(chunk)
                    if remaining < 0:  # the directory lied about the size
                        raise RecordError("the demo file's clip is larger than its zip directory says")
                    dst.write(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError):
            raise RecordError("the demo file could not be read (damaged or encrypted zip)") from None
    return target, params
