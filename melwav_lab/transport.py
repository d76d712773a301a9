"""The A/B/C transport (``web/classroom.js`` drives it) and the page's short help texts."""

from __future__ import annotations

import hashlib
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


def _attr(value) -> str:
    """``value`` as JSON in an HTML attribute."""
    return html.escape(json.dumps(value), quote=True)


def transport_html(urls=("", "", ""), axes=(), duration_s=None, context=None) -> str:
    """The A/B/C transport (web/classroom.js drives it) with its data: three URLs, the figure's panel extents and
    what the versions were made for (``context``, :func:`draw_context`: recipe B's voice plays only while it
    was made for the same). Its fourth button, recipe B's voice, stays hidden until a comparison is heard."""
    urls = _attr([str(u) if u else "" for u in urls])
    axes = _attr(list(axes or []))
    dur = "" if duration_s is None else f"{float(duration_s):.4f}"
    return (
        f'<div id="abc-box" role="group" aria-label="Compare the three versions in step" data-urls="{urls}" '
        f'data-axes="{axes}" data-duration="{dur}" data-context="{_attr(context or {})}">'
        '<button data-abc="play" class="abc-play" title="Play all three in step (one is heard)">▶ Play</button>'
        '<button data-abc="0" aria-pressed="false" title="Hear the original clip (key 1)">1 original</button>'
        '<button data-abc="1" aria-pressed="false" title="Hear the original mel rebuilt (key 2)">2 rebuilt</button>'
        '<button data-abc="2" aria-pressed="true" title="Hear the augmented mel rebuilt (key 3)">3 augmented</button>'
        '<button data-abc="3" aria-pressed="false" hidden title="Hear recipe B\'s augmented mel rebuilt (key 4)">'
        '4 B</button>'
        '<span class="abc-loop">loop <input data-abc="from" type="number" min="0" step="0.1" aria-label="loop from (s)"'
        ' placeholder="from s"> to <input data-abc="to" type="number" min="0" step="0.1" aria-label="loop to (s)"'
        ' placeholder="to s"> <button data-abc="loop" title="Loop this span (or drag across the figure)">Loop</button>'
        '<button data-abc="whole" title="Play the whole clip">Whole</button></span>'
        '<span class="abc-now" aria-live="off">3 augmented rebuilt · 0.00 s</span></div>'
    )


TRANSPORT_EMPTY = transport_html()


def file_url(path) -> str:
    """The URL Gradio serves a file of the app's at (relative to the page)."""
    return f"gradio_api/file={path}" if path else ""


def _digest(value) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:16]


def draw_context(analysis_key, method, n_iter, seed, recipe=None) -> dict:
    """What a rebuilt version was made for, in short digests the page compares: ``clip`` the clip, its analysis
    and the reconstruction (method, iterations), ``seed`` the draw's seed, ``recipe`` the config imported last."""
    return {"clip": _digest((analysis_key, method, n_iter)), "seed": None if seed is None else int(seed),
            "recipe": "" if recipe is None else _digest(recipe)}


def transport_update(v: dict) -> dict:
    """New players' files (or a new figure): hand their URLs and the plot area to the transport."""
    if not v["a_aug"]:
        return {}
    state = as_state(v["state"])
    axes = list(state.axes)
    duration = axes[0]["t1"] if axes else None
    urls = [file_url(v[k]) for k in ("a_orig", "a_orig_rebuilt", "a_aug")]
    key = tuple(v["players_key"] or ())  # (analysis key, method, n_iter, gain) of the players' clips
    context = {**draw_context(*key[:3], state.seed, state.recipe), "orig": urls[0]} if len(key) >= 3 else {}
    return {"transport": transport_html(urls, axes, duration, context)}


transport_update = named(transport_update, ("a_orig", "a_orig_rebuilt", "a_aug", "state", "players_key"),
                         ("transport",))


def compare_voice_html(url="", label="", made_for=None, name="") -> str:
    """Recipe B's voice in the transport, in the Compare recipes tab (web/classroom.js drives it): its URL, its
    label, its short ``name`` (the transport's button: "4 B: LB") and what it was made for (:func:`draw_context`
    and ``with``, the choice of B), with buttons that switch the same transport and a line saying whether B is
    in it."""
    status = ("Compare A and B: B then joins the transport as voice 4, heard at the same playhead as 1 and 3."
              if not url else f"{html.escape(label)}: joining the transport as voice 4…")
    return (
        f'<div id="b-voice" role="group" aria-label="Hear A and B in step" data-b-url="{html.escape(str(url))}" '
        f'data-b-label="{html.escape(label, quote=True)}" data-b-name="{html.escape(name, quote=True)}" '
        f'data-b-for="{_attr(made_for or {})}">'
        '<button data-abc="play" class="abc-play" title="Play in step (one is heard)">▶ Play</button>'
        '<button data-abc="0" aria-pressed="false" title="Hear the original clip (key 1)">1 original</button>'
        '<button data-abc="2" aria-pressed="true" title="Hear recipe A, the sliders (key 3)">3 A: the sliders'
        '</button>'
        '<button data-abc="3" aria-pressed="false" hidden title="Hear recipe B (key 4)">4 B</button>'
        f'<span class="b-status" role="status">{status}</span></div>'
    )


COMPARE_VOICE_EMPTY = compare_voice_html()


def compare_voice_update(v: dict) -> dict:
    """B's player has its file: hand the player's own URL (Gradio's copy of the file), B's label and what B was
    made for (``compare_for``, from :func:`.handlers.compare_recipes`) to the transport."""
    b = v["compare_for"] or {}
    if not v["a_compare"] or not b:
        return {}
    return {"compare_voice": compare_voice_html(file_url(v["a_compare"]), b["label"], b["for"], b["name"])}


compare_voice_update = named(compare_voice_update, ("a_compare", "compare_for"), ("compare_voice",))


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


#: Runs in the page when recipe B is chosen anew (the Compare tab's dropdown): the transport's B voice, made for
#: the B chosen before, leaves the transport until the next comparison (web/classroom.js).
CHOSEN_B_JS = """
(chosen) => {
  const S = window.melwav && window.melwav.abc;
  if (S) { S.chosenB = chosen; S.refresh(); }
  return [];
}
"""
