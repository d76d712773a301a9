"""melwav in the browser: hear what SpecAugment does, side by side (Gradio).

The lab is a few modules: :mod:`.layout` (the page and its events), :mod:`.handlers` (what each event does),
:mod:`.transport` (the A/B/C transport), :mod:`.messages` (errors as one message), :mod:`.compat` (where it
reaches into Gradio), :mod:`.settings` (environment and bundled files). This one deploys it: its cache
folder, queue, file sweeper and launch settings, and the ``melwav-lab`` command. The signal processing,
caching and files live in :mod:`melwav` (mostly :mod:`melwav.lab`).
Run: ``melwav-lab`` (installed), or ``python app.py`` in a checkout / as a Hugging Face Space.
"""

from __future__ import annotations

import gc
import logging
import os
import pathlib
import tempfile

import gradio as gr

from melwav import lab, limits

from . import controls, guard
from .compat import processed_here
from .handlers import (
    PAGE_OUTPUTS,
    RECIPE_EXAMPLE,
    analysis_changed,
    config_of,
    export_recipe,
    fill_policy,
    import_recipe,
    load_params,
    make_demo,
    render,
    render_page,
    show_downloads,
    solo,
    variety,
)
from .layout import build
from .messages import friendly, inert
from .settings import ASSETS, EXAMPLES, MAX_DURATION_S, MAX_FILE_SIZE, PAGE_CSS, PAGE_JS
from .state import PageState
from .transport import transport_html

# The handlers' names before the table of controls (same inputs in the same order, now also by keyword).
import_recipe_handler, export_recipe_handler = import_recipe, export_recipe

# Re-exported: the names tests, benches and scripts reach through ``melwav_lab.app``.
__all__ = ["ASSETS", "EXAMPLES", "LAUNCH_KWARGS", "MAX_DURATION_S", "PAGE_OUTPUTS", "PageState", "RECIPE_EXAMPLE",
           "analysis_changed", "build", "config_of", "controls", "create", "export_recipe", "export_recipe_handler",
           "fill_policy", "friendly", "import_recipe", "import_recipe_handler", "inert", "load_params", "main",
           "make_demo", "processed_here", "render", "render_page", "show_downloads", "solo", "transport_html",
           "variety"]


#: Files of earlier processes (a crash or SIGTERM leaves them; Gradio's delete_cache only knows its own):
#: render folders and unclaimed cache entries older than this are swept at start-up and every SWEEP_EVERY_S.
STALE_AFTER_S = float(os.environ.get("MELWAV_STALE_AFTER_S", "3600"))
SWEEP_EVERY_S = float(os.environ.get("MELWAV_SWEEP_EVERY_S", "600"))
_CACHE_BASE: list[pathlib.Path] = []


def own_gradio_cache() -> tuple[pathlib.Path, pathlib.Path]:
    """Gradio's cache folder as configured (``GRADIO_TEMP_DIR``, else Gradio's default) and this process's own
    folder in it, which ``GRADIO_TEMP_DIR`` then names.

    The page points at files in that cache for as long as the server runs (the default clip and the
    examples, copied there when the page is built): only this process may decide they are old (Gradio's
    ``delete_cache`` keeps them), so the sweeper skips a live process's folder and removes a dead one's
    at once (:func:`melwav.limits.sweep_stale`). Sweeping the cache by age alone broke every page opened an
    hour after start-up.
    """
    if not _CACHE_BASE:
        _CACHE_BASE.append(pathlib.Path(os.environ.get("GRADIO_TEMP_DIR")
                                        or pathlib.Path(tempfile.gettempdir()) / "gradio"))
    own = limits.claim_process_dir(_CACHE_BASE[0])
    os.environ["GRADIO_TEMP_DIR"] = str(own)  # read by Gradio whenever it caches or serves a file
    return _CACHE_BASE[0], own


def create() -> gr.Blocks:
    """The lab as deployed: the page in a cache folder of this process's own, its queue, and the file sweeper."""
    cache_base, own = own_gradio_cache()
    demo = build()
    # What the page put in its cache (default clip, examples) before any upload: an upload of the same bytes
    # lands on the same path, and the guard must not remove it when that upload goes unused.
    guard.UPLOADS.protect(p for p in own.rglob("*") if p.is_file())
    demo.queue(max_size=int(os.environ.get("MELWAV_QUEUE_SIZE", "32")), default_concurrency_limit=2)
    limits.start_sweeper([lab.work_dir(), cache_base], max_age_s=STALE_AFTER_S, every_s=SWEEP_EVERY_S)
    freeze_heap()
    return demo


def freeze_heap() -> None:
    """Take what is loaded by now (Gradio, librosa, matplotlib, the page: ~370,000 objects, kept for the
    process's life) out of Python's cyclic garbage collector: each full collection walked them all, 140-190 ms
    in which no request moved (measured in ``bench/latency.py``'s process); now only what came since."""
    gc.collect()
    gc.freeze()



LAUNCH_KWARGS = dict(
    js=PAGE_JS,
    allowed_paths=[str(ASSETS)],  # bundled examples a demo file names
    css=PAGE_CSS,
    max_file_size=MAX_FILE_SIZE,
    enable_monitoring=False,
    # Only our own gr.Error messages reach visitors; Gradio's other errors name server paths.
    show_error=False,
    theme=gr.themes.Soft(),
    app_kwargs=guard.app_kwargs(),  # request bodies bounded before Gradio parses them (melwav_lab.guard)
)


def main(argv=None) -> int:
    """``melwav-lab [--host H] [--port P]``: serve the lab (defaults: ``GRADIO_SERVER_NAME/PORT``, else Gradio's)."""
    import argparse

    parser = argparse.ArgumentParser(prog="melwav-lab", description="Serve the melwav listening lab (Gradio).")
    parser.add_argument("--host", default=None, help="address to listen on (default $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default $GRADIO_SERVER_PORT or 7860)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    create().launch(server_name=args.host, server_port=args.port, **LAUNCH_KWARGS)
    return 0
