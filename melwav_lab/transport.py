"""The A/B/C transport (``web/classroom.js`` drives it) and the page's short help texts."""

from __future__ import annotations

import html
import json

from .state import as_state
from .wiring import named

#: Runs in the page before each picture event: its last input (the hidden theme box) becomes the page's theme.
THEME_JS = """
(...args) => { args[args.length - 1] = document.body.classList.contains('dark') ? 'dark' : 'light'; return args; }
"""

def unkeep_js(index: int) -> str:
    """THEME_JS for a main slider's render: its ``index``-th input ("Keep this draw") is read unticked."""
    return (f"(...args) => {{ args[{int(index)}] = false; args[args.length - 1] = "
            "document.body.classList.contains('dark') ? 'dark' : 'light'; return args; }")


SC_HELP = ("**mel rebuilt**: audio made from a mel (phase guessed, Griffin-Lim). **SC** (spectral convergence): "
           "how far a rebuild is from its mel; lower is closer, below -15 dB good.")
POLICY_INFO = "LB, LD: LibriSpeech basic, double · SM, SS: Switchboard mild, strong (Park et al. 2019)"
DRAW_HELP = ("**Seed**: same seed, same draw. **Keep**: hold masks and warp while fill or rebuild change; a "
             "main slider or a new seed draws anew.")


def transport_html(urls=("", "", ""), axes=(), duration_s=None) -> str:
    """The A/B/C transport (web/classroom.js drives it) with its data: three URLs and the figure's panel extents."""
    urls = html.escape(json.dumps([str(u) if u else "" for u in urls]), quote=True)
    axes = html.escape(json.dumps(list(axes or [])), quote=True)
    dur = "" if duration_s is None else f"{float(duration_s):.4f}"
    return (
        f'<div id="abc-box" role="group" aria-label="Compare the three versions in step" data-urls="{urls}" '
        f'data-axes="{axes}" data-duration="{dur}">'
        '<button data-abc="play" class="abc-play" title="Play all three in step (one is heard)">▶ Play</button>'
        '<button data-abc="0" aria-pressed="false" title="Hear the original clip (key 1)">1 original</button>'
        '<button data-abc="1" aria-pressed="false" title="Hear the original mel rebuilt (key 2)">2 rebuilt</button>'
        '<button data-abc="2" aria-pressed="true" title="Hear the augmented mel rebuilt (key 3)">3 augmented</button>'
        '<span class="abc-loop">loop <input data-abc="from" type="number" min="0" step="0.1" aria-label="loop from (s)"'
        ' placeholder="from s"> to <input data-abc="to" type="number" min="0" step="0.1" aria-label="loop to (s)"'
        ' placeholder="to s"> <button data-abc="loop" title="Loop this span (or drag across the figure)">Loop</button>'
        '<button data-abc="whole" title="Play the whole clip">Whole</button></span>'
        '<span class="abc-now" aria-live="off">3 augmented rebuilt · 0.00 s</span></div>'
    )


TRANSPORT_EMPTY = transport_html()


def _file_url(path) -> str:
    return f"gradio_api/file={path}" if path else ""


def transport_update(v: dict) -> dict:
    """New players' files (or a new figure): hand their URLs and the plot area to the transport."""
    if not v["a_aug"]:
        return {}
    axes = list(as_state(v["state"]).axes)
    duration = axes[0]["t1"] if axes else None
    urls = [_file_url(v[k]) for k in ("a_orig", "a_orig_rebuilt", "a_aug")]
    return {"transport": transport_html(urls, axes, duration)}


transport_update = named(transport_update, ("a_orig", "a_orig_rebuilt", "a_aug", "state"), ("transport",))


TRANSPORT_HINT = ("**Listen:** ▶ plays the three versions in step; keys **1 2 3** switch at the same moment; "
                  "drag across the figure to loop a span.")
TRANSPORT_HELP = (
    "**Compare at the same moment:** ▶ plays all three versions in step; **1 / 2 / 3** (keys or buttons) switches "
    "which one you hear without restarting. **Hear a region:** drag across the figure, or type a span, then loop it."
)



#: Runs in the page when the augmented player gets a new file: hands the three players' URLs to the transport at
#: once, without waiting for :func:`transport_update`'s round trip (which brings the figure's panel extents), so
#: the transport starts fetching and decoding the new version that much sooner.
PLAYERS_JS = """
(orig, rebuilt, aug) => {
  const box = document.getElementById('abc-box');
  const url = f => (f && f.url) || '';
  if (box && url(orig) && url(rebuilt) && url(aug)) box.dataset.urls = JSON.stringify([url(orig), url(rebuilt), url(aug)]);
  return [];
}
"""
