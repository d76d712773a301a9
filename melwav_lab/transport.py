"""The A/B/C transport (``web/classroom.js`` drives it) and the page's short help texts."""

from __future__ import annotations

import hashlib
import html
import json

from .wiring import named

#: Runs in the page before each picture event: its last input (the hidden theme box) becomes the page's theme.
THEME_JS = """
(...args) => { args[args.length - 1] = document.body.classList.contains('dark') ? 'dark' : 'light'; return args; }
"""

def early_js(sliders: dict, keep_at: int) -> str:
    """Run by the transport's gr.HTML when the page loads: its server functions (``server.picture``, ``.audio``)
    for the page's script (web/classroom.js, ``window.melwav.early``), and where each slider's value sits in the
    controls' pack (``sliders``: label -> [index, whether it unticks "Keep this draw"]; ``keep_at``: Keep's), so
    a move's early request can go out from the slider's own input event."""
    return (f"window.melwavServer = server; window.melwavSliders = {json.dumps(sliders)}; "
            f"window.melwavKeepAt = {int(keep_at)};")


def pack_js(unkeep_index: int | None = None, *, early: bool = False) -> str:
    """The controls' values as one JSON list (the page's render takes them as one input:
    :func:`.compat.unpacked`); with ``unkeep_index``, a main slider's: that value ("Keep this draw") unticked;
    ``early``: the page also asks for the figure outside the queue at once (web/classroom.js, :mod:`.preview`)."""
    unkeep = "" if unkeep_index is None else f"args[{int(unkeep_index)}] = false; "
    # The page's render waits for an early figure and audio (web/classroom.js); a pack made meanwhile is newer,
    # and the one returned last is what the render reads, so each returns the newest (window.melwavPack).
    ask = "if (window.melwav && window.melwav.early) await window.melwav.early(pack); " if early else ""
    return (f"async (...args) => {{ {unkeep}const pack = JSON.stringify(args); window.melwavPack = pack; {ask}"
            "return window.melwavPack; }")


SC_HELP = ("**mel rebuilt**: audio made from a mel (phase guessed, Griffin-Lim). **SC** (spectral convergence): "
           "how far a rebuild is from its mel; lower is closer, below -15 dB good.")
POLICY_INFO = "LB, LD: LibriSpeech basic, double · SM, SS: Switchboard mild, strong (Park et al. 2019)"
DRAW_HELP = ("**Seed**: same seed, same draw. **Keep**: hold masks and warp while fill or rebuild change; a "
             "main slider, preset or new seed draws anew.")


def _attr(value) -> str:
    """``value`` as JSON in an HTML attribute."""
    return html.escape(json.dumps(value), quote=True)


def transport_html() -> str:
    """The A/B/C transport's buttons and loop fields (web/classroom.js drives them). Written once: its data
    travels apart (:func:`transport_data_html`, and its files, :data:`TRANSPORT_FILES_JS`), so
    a new render never rebuilds the buttons (focus and the status line stay). Its fourth button, recipe B's
    voice, stays hidden until a comparison is heard."""
    return (
        '<div id="abc-box" role="group" aria-label="Compare the three versions in step" data-urls="[]" '
        'data-context="{}">'
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


def transport_data_html(axes=(), made_for=None, labels=None, *, live: str = "", sound: str = "") -> str:
    """The transport's data from a render, in an element the page keeps hidden: where the figure's panels sit
    (``axes``, :func:`melwav.plot.axes_extents`; sent with the picture, so the cursor follows the new figure)
    and, sent with the audio, what the coming files were made for (``made_for``, :func:`draw_context`; the
    page stamps it on the transport with their URLs: recipe B's voice plays only while it was made for the
    same) and the new labels of the players that get a new file (``labels``, by player: their SC); ``live``,
    the page's token for early pictures (:mod:`.preview`), and ``sound``, the id of the early sound the render
    took (the transport plays it already: it keeps it). Part of the page's render event: no round trip of its
    own."""
    axes = list(axes or [])
    duration = f"{float(axes[0]['t1']):.4f}" if axes else ""
    made = "" if made_for is None else _attr(made_for)
    return (f'<div id="abc-data" data-axes="{_attr(axes)}" data-duration="{duration}" data-for="{made}" '
            f'data-labels="{_attr(dict(labels or {}))}" data-live="{html.escape(str(live), quote=True)}" '
            f'data-sound="{html.escape(str(sound), quote=True)}"></div>')


TRANSPORT_DATA_EMPTY = transport_data_html()


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



#: Runs in the page when a render's files come (:func:`.handlers.render_page`): the augmented WAV, after the two
#: unaugmented ones when they changed. Hands their URLs to the transport, which starts fetching the new version
#: then, stamped with what they were made for, and the same files to the three players with their new labels
#: (both from the render's :func:`transport_data_html`, in the same message), once the transport has switched.
#: A player with no new file is left as it is (an update with nothing in it, as ``gr.skip()``).
TRANSPORT_FILES_JS = """
async (files, data) => {
  const keep = {__type__: 'update'};
  const box = document.getElementById('abc-box');
  files = files || [];
  const urls = files.map(f => (f && f.url) || '');
  let now = [];
  try { now = JSON.parse((box && box.dataset.urls) || '[]'); } catch (e) { now = []; }
  const next = urls.length === 3 ? urls : (urls.length === 1 && now.length === 3 ? [now[0], now[1], urls[0]] : []);
  let made = {}, labels = {}, sound = '';
  try {
    const el = new DOMParser().parseFromString(data || '', 'text/html').getElementById('abc-data');
    made = JSON.parse((el && el.dataset.for) || '{}');
    labels = JSON.parse((el && el.dataset.labels) || '{}');
    sound = (el && el.dataset.sound) || '';
  } catch (e) { made = {}; labels = {}; sound = ''; }
  if (box && next.length === 3 && next.every(u => u)) {
    box.dataset.context = JSON.stringify({...made, orig: next[0]});
    box.dataset.sound = sound;
    box.dataset.urls = JSON.stringify(next);
  }
  // While the transport plays, the players get their files once it has switched to the new ones (at most 1.5 s):
  // three players laid out and fetching meanwhile held up the switch by 10-20 ms. The observer of its URLs runs
  // first (a task later).
  await new Promise(done => setTimeout(done, 0));
  const abc = window.melwav && window.melwav.abc;
  if (abc && abc.whenSettled) await abc.whenSettled(1500);
  const player = (f, key) => f ? {__type__: 'update', value: f, ...(labels[key] ? {label: labels[key]} : {})} : keep;
  if (files.length === 3) return [player(files[0], 'a_orig'), player(files[1], 'a_orig_rebuilt'), player(files[2], 'a_aug')];
  if (files.length === 1) return [keep, keep, player(files[0], 'a_aug')];
  return [keep, keep, keep];
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
