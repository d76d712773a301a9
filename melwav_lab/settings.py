"""The lab's settings from the environment, and its bundled files (clips, about text, page script and style)."""

from __future__ import annotations

import os
import pathlib

import melwav

HERE = pathlib.Path(__file__).resolve().parent


def _assets_dir() -> pathlib.Path:
    """The bundled clips: package data in an installed lab, the repository's ``assets/`` in a checkout."""
    installed = HERE / "assets"
    return installed if (installed / "speech.wav").exists() else HERE.parent / "assets"


ASSETS = _assets_dir()
EXAMPLES = [[str(ASSETS / "speech.wav")], [str(ASSETS / "music.wav")]]
MAX_DURATION_S = float(os.environ.get("MELWAV_MAX_DURATION_S", "30"))
MAX_FILE_SIZE = os.environ.get("MELWAV_MAX_FILE_SIZE", "25mb")
VARIETY_N = 8
MAX_TOASTS = 4  # notes shown as toasts per render (all of them are in "What was drawn")

ABOUT = (pathlib.Path(melwav.__file__).parent / "about.md").read_text(encoding="utf-8")

#: A demo file's clip is at most this big (the upload cap is separate: MELWAV_MAX_FILE_SIZE).
DEMO_MAX_BYTES = 50_000_000
BUNDLED = {pathlib.Path(row[0]).name: row[0] for row in EXAMPLES}

# The page's script (figure labels, the A/B/C transport) and style (one projector screen), in web/.
WEB = HERE / "web"
PAGE_JS = (WEB / "classroom.js").read_text(encoding="utf-8")
PAGE_CSS = (WEB / "classroom.css").read_text(encoding="utf-8")
