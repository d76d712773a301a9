"""A slider move's figure and audio made outside Gradio's queue (issue 21, item 8: melwav_lab.preview).

The bounds (one early picture per render and page, a few at once, held results dropped), the handlers (an
early picture is the render's own picture, which the render then takes with its sound, in one step), and the
page: a move shows the early figure first, then the render's figure, byte for byte the same.
"""

from __future__ import annotations

import asyncio
import base64
import json
import pathlib
import re
import sys
import threading
import types

import pytest
from conftest import CHROMIUM, IDLE_JS, launched_app

from melwav_lab import controls, preview

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"
FAST = {"method": "fgla", "n_iter": 4}


# ------------------------------------------------------------------------------------------------ the bounds

def test_one_early_picture_per_render_and_page():
    pages = preview.Sessions(max_sessions=2, max_at_once=2)
    assert pages.start("nobody") is None and pages.start(None) is None and pages.start("x" * 65) is None
    pages.remember("a", {"audio": "clip"}, "state")
    live = pages.start("a")
    assert live is not None and live.values == {"audio": "clip"} and live.state == "state"
    assert pages.start("a") is None  # one at a time
    pages.finish(live, ("key", "picture"))
    assert pages.start("a") is None  # and no second one before the page's next render
    pages.remember("a", {"audio": "clip"}, "state")
    again = pages.start("a")
    assert again is not None
    pages.finish(again, None)
    # The oldest page is forgotten past max_sessions.
    pages.remember("b", {}, None)
    pages.remember("c", {}, None)
    assert len(pages) == 2 and pages.start("a") is None


def test_early_pictures_share_a_few_slots_and_a_forgotten_page_gets_none():
    pages = preview.Sessions(max_at_once=1)
    for token in ("a", "b"):
        pages.remember(token, {}, None)
    live = pages.start("a")
    assert pages.start("b") is None  # the only slot is taken
    assert pages.begin_sound(live, "k") is None  # the sound needs a slot too
    pages.finish(live, None)
    other = pages.start("b")
    assert other is not None
    pages.finish(other, None)
    pages.remember("a", {}, None)
    pages.forget("a")  # another event changed its state or clip
    assert pages.start("a") is None


def test_a_render_takes_the_early_picture_once_and_only_for_its_key():
    pages = preview.Sessions()
    pages.remember("a", {}, None)
    live = pages.start("a")
    got = []
    waiter = threading.Thread(target=lambda: got.append(pages.picture_for("a", "key")))
    waiter.start()  # the render arrives while the picture is being made: it waits for it
    pages.finish(live, ("key", "picture"))
    waiter.join(5)
    assert got == ["picture"] and pages.picture_for("a", "key") is None
    pages.remember("a", {}, None)
    live = pages.start("a")
    pages.finish(live, ("key", "picture"))
    assert pages.picture_for("a", "other key") is None and pages.picture_for("b", "key") is None


def test_the_early_sound_is_taken_once_and_held_results_are_bounded():
    pages = preview.Sessions(max_sessions=64, max_at_once=2)
    pages.remember("a", {}, None)
    live = pages.start("a")
    entry = pages.begin_sound(live, "sound key")
    assert entry is not None and pages.begin_sound(live, "another") is None  # one sound at a time a page
    pages.finish(live, ("key", "picture"))
    got = []
    waiter = threading.Thread(target=lambda: got.append(pages.sound_for("a", "sound key", 5)))
    waiter.start()
    sound = types.SimpleNamespace(augmented_wav="a.wav", original_wav=None)
    pages.end_sound(live, entry, sound)
    waiter.join(5)
    assert got == [(sound, entry[2])] and pages.sound_for("a", "sound key", 0) == (None, "")
    # The page's own wait (no thread): its current sound once, by id.
    pages.remember("a", {}, None)
    live = pages.start("a")
    entry = pages.begin_sound(live, "k")
    pages.finish(live, None)
    heard = types.SimpleNamespace(augmented_wav="aug.wav", original_wav=None)
    timer = threading.Timer(0.1, pages.end_sound, (live, entry, heard))
    timer.start()
    assert asyncio.run(pages.wait_wav("b", entry[2], 5)) is None  # another page's token
    timer.join()
    pages.remember("a", {}, None)
    live = pages.start("a")
    entry = pages.begin_sound(live, "k")
    pages.finish(live, None)
    threading.Timer(0.1, pages.end_sound, (live, entry, heard)).start()
    assert pages.sound_for("a", "k", 5) == (heard, entry[2])  # the render may take it first
    assert asyncio.run(pages.wait_wav("a", "wrong id", 5)) is None
    assert asyncio.run(pages.wait_wav("a", entry[2], 5)) == "aug.wav"
    assert asyncio.run(pages.wait_wav("a", entry[2], 5)) is None  # asked once
    # A sound that changed the unaugmented clips too (a new gain) is not for the page: the render brings all.
    pages.remember("a", {}, None)
    live = pages.start("a")
    entry = pages.begin_sound(live, "k")
    pages.finish(live, None)
    pages.end_sound(live, entry, types.SimpleNamespace(augmented_wav="aug.wav", original_wav="orig.wav"))
    assert asyncio.run(pages.wait_wav("a", entry[2], 5)) is None
    # Results nobody takes: past MAX_HELD pages, the oldest are dropped.
    lives = []
    for i in range(preview.MAX_HELD + 2):
        pages.remember(f"p{i}", {}, None)
        lives.append(pages.start(f"p{i}"))
        pages.finish(lives[-1], ("key", i))
    assert lives[0].made is None and lives[1].made is None and lives[-1].made == ("key", preview.MAX_HELD + 1)


# ------------------------------------------------------------------------------------- the handlers, directly

@pytest.fixture()
def lab_page(monkeypatch, tmp_path):
    """The page's server side: render_page, and the transport's server function ``picture``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    monkeypatch.setenv("MELWAV_WORK_DIR", str(tmp_path))
    from melwav_lab import app, layout

    demo = layout.build()
    picture = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "abc").picture
    return app, picture


def _pack(**values) -> str:
    """The controls' values as the page packs them (a JSON list in the controls' order)."""
    v = {**controls.defaults(), **FAST, **values}
    return json.dumps([v[k] for k in controls.KEYS])


def _steps(app, **values):
    names = app.PAGE_OUTPUTS
    return [dict(zip(names, step)) for step in app.render_page(audio=str(SPEECH), **{**FAST, **values})]


def test_an_early_picture_is_the_renders_picture_and_the_render_takes_it_with_its_sound(lab_page, monkeypatch):
    import gradio as gr

    from melwav import lab

    app, picture = lab_page
    assert picture(["unknown", _pack(), "light"]) is None  # no render yet: the page waits for its render
    first, second = _steps(app)
    state, players_key = first["state"], second["players_key"]
    assert len(state.live) >= 20 and f'data-live="{state.live}"' in first["transport_data"]
    calls = {"render_picture": 0, "render_sound": 0}
    for name in calls:
        real = getattr(lab, name)
        monkeypatch.setattr(lab, name, lambda *a, _real=real, _name=name, **k: calls.__setitem__(
            _name, calls[_name] + 1) or _real(*a, **k))
    early = picture([state.live, _pack(n_time_masks=3), "light"])
    assert early["png"].startswith("data:image/png;base64,")
    png = base64.b64decode(early["png"].split(",", 1)[1])
    steps = _steps(app, state=state, players_key=players_key, n_time_masks=3)
    # One step: the render took the early picture (not drawn again) and the sound it started.
    assert len(steps) == 1 and calls == {"render_picture": 1, "render_sound": 1}
    step = steps[0]
    assert pathlib.Path(step["plot"]).read_bytes() == png
    assert "**Seed 7**" in step["drawn"] and step["state"].live == state.live
    assert step["transport_files"] != gr.skip() and step["players_key"] == players_key
    # What a render alone draws for the same values is the same figure.
    alone = _steps(app, n_time_masks=3)
    assert pathlib.Path(alone[0]["plot"]).read_bytes() == png


def test_an_early_picture_is_refused_where_the_render_must_decide(lab_page):
    app, picture = lab_page
    first, _ = _steps(app)
    live = first["state"].live
    for args in (None, "text", [live], [live, "not json", "light"], [live, json.dumps([1, 2]), "light"],
                 [live, _pack(keep=True), "light"],  # the held draw: the render checks it against the clip
                 [live, _pack(n_mels=64), "light"],  # another analysis: not open yet (no decoding here)
                 [live, _pack(n_time_masks=10_000), "light"]):  # out of the slider's range
        _steps(app, state=first["state"])  # a render gives the page its credit back
        assert picture(args) is None, args
    # Another event changed the page's state (a recipe imported): no early picture until its next render.
    _steps(app, state=first["state"])
    out = app.import_recipe(config=app.RECIPE_EXAMPLE, framework="auto", state=first["state"])
    assert out[-1].live == live  # the page keeps its token
    assert picture([live, _pack(), "light"]) is None
    _steps(app, state=first["state"])
    assert picture([live, _pack(), "dark\"><script>"])["png"].startswith("data:image/png;base64,")


# ------------------------------------------------------------------------------------------------ the page

needs_chromium = pytest.mark.skipif(not pathlib.Path(CHROMIUM).exists(), reason="Debian chromium not installed")

SRCS_JS = """() => {
  window.__srcs = [];
  new MutationObserver(ms => { for (const m of ms) if (m.target.matches('#spectrograms img'))
    window.__srcs.push(m.target.getAttribute('src')); })
    .observe(document.body, {subtree: true, attributes: true, attributeFilter: ['src']});
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, _):
        yield url


def _fresh_page(browser, app_url):
    """A new page at 1280x720, its first render done (its figure shown, its token for early pictures given)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    page.locator("#spectrograms img").first.wait_for(timeout=120_000)
    page.wait_for_function("() => document.querySelector('#abc-data') "
                           "&& document.querySelector('#abc-data').dataset.live", timeout=120_000)
    page.wait_for_function(IDLE_JS, timeout=120_000)
    page.wait_for_timeout(500)
    return page


@pytest.mark.app
@pytest.mark.browser
@pytest.mark.floor
@needs_chromium
def test_a_slider_move_shows_the_early_figure_first_then_the_same_figure_from_its_render(browser, app_url):
    page = _fresh_page(browser, app_url)
    try:
        before = page.locator("#drawn").inner_text()
        page.evaluate(SRCS_JS)
        slider = page.get_by_role("slider", name="mT: time masks")
        slider.focus()
        slider.press("ArrowRight")
        page.wait_for_function("() => window.__srcs.some(s => s && s.includes('gradio_api/file='))", timeout=60_000)
        page.wait_for_function(IDLE_JS, timeout=120_000)
        srcs = page.evaluate("window.__srcs")
        # The early figure (a data URL) first, then the render's file: one of each, in that order.
        assert [s.split(":", 1)[0] for s in srcs] == ["data", "http"], [s[:40] for s in srcs]
        same = page.evaluate("""async ([early, file]) => {
          const bytes = new Uint8Array(await (await fetch(file)).arrayBuffer());
          let s = ''; for (const b of bytes) s += String.fromCharCode(b);
          return btoa(s) === early.split(',')[1]; }""", srcs)
        assert same, "the render's figure is not the early one"
        assert page.locator("#drawn").inner_text() != before
        # The transport stays on the same clip and has the new augmented audio.
        assert page.evaluate("() => JSON.parse(document.querySelector('#abc-box').dataset.urls).length") == 3
    finally:
        page.close()


@pytest.mark.app
@pytest.mark.browser
@needs_chromium
def test_a_sliders_own_input_event_asks_for_the_early_figure_and_the_pack_step_takes_it(browser, app_url):
    """W (its presses snapped to whole frames by the page), mT and F: each move's early request went out from
    the slider's own input event (the pack Gradio then made was the same), and the figure came as before."""
    page = _fresh_page(browser, app_url)
    try:
        page.evaluate(SRCS_JS)
        for n, name in enumerate(("W: max warp (ms)", "mT: time masks", "F: max bands"), 1):
            slider = page.get_by_role("slider", name=name)
            slider.focus()
            slider.press("ArrowRight")
            page.wait_for_function("n => window.__srcs.filter(s => s.startsWith('http')).length >= n", arg=n,
                                   timeout=60_000)
            page.wait_for_function(IDLE_JS, timeout=120_000)
            page.wait_for_timeout(300)
        assert page.evaluate("window.melwav.abc.preTaken") == 3
        assert [s.split(":", 1)[0] for s in page.evaluate("window.__srcs")] == ["data", "http"] * 3
    finally:
        page.close()


@pytest.mark.app
def test_the_early_picture_answers_a_stranger_with_null(app_url):
    """What a script reaches outside the queue: a page token it was not given gets null, whatever it sends."""
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(f"{app_url}config", timeout=30) as r:
        config = json.load(r)
    abc = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "abc")

    def call(data, fn_name="picture"):
        body = json.dumps({"data": data, "component_id": abc, "fn_name": fn_name, "session_hash": "stranger"})
        req = urllib.request.Request(f"{app_url}gradio_api/component_server", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)

    for data in (["made-up token", _pack(), "light"], ["x" * 10_000, _pack(), "light"], [[1], {"a": 1}, None],
                 "text", None, [None] * 3, ["t", "[" * 5000, "light"]):
        assert call(data) == (200, None)
    with pytest.raises(urllib.error.HTTPError) as err:
        call([], fn_name="__init__")  # not a server function
    assert err.value.code == 404
    # The guard's body bound holds here too, before Gradio reads anything.
    import httpx

    r = httpx.post(f"{app_url}gradio_api/component_server", content=b"x" * 4_000_000, timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 413


#: What the transport plays as the augmented version now, against the file its URL names (sample for sample).
HEARD_JS = """async () => {
  const S = window.melwav.abc, url = JSON.parse(S.urls)[2];
  const file = S.readWav(await (await fetch(url)).arrayBuffer());
  const a = S.bufs[2].getChannelData(0), b = file.getChannelData(0);
  let same = a.length === b.length;
  for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
  return {soundAt: S.soundAt, switched: S.switched, same, playing: S.playing, early: S.early}; }"""


def _playing(browser, app_url):
    """A fresh page whose transport plays the bundled clip."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    page.wait_for_function("() => { const b = document.querySelector('#abc-box');"
                           " return b && JSON.parse(b.dataset.urls)[2]; }", timeout=120_000)
    page.wait_for_function(IDLE_JS, timeout=120_000)
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.bufs", timeout=60_000)
    return page


def _move_while_playing(page) -> float:
    """One mT step up on a playing page; waits until the transport plays the render's files (their URLs taken
    for what it plays). Returns the page clock's time just before the press."""
    before = page.evaluate("() => [window.melwav.abc.urls, performance.now()]")
    slider = page.get_by_role("slider", name="mT: time masks")
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("old => { const S = window.melwav.abc; return S.urls && S.urls !== old"
                           " && S.urls === JSON.stringify(JSON.parse(document.querySelector('#abc-box')"
                           ".dataset.urls).map(u => new URL(u, document.baseURI).href)); }",
                           arg=before[0], timeout=60_000)
    return before[1]


@pytest.mark.app
@pytest.mark.browser
@pytest.mark.floor
@needs_chromium
def test_while_playing_a_move_is_heard_from_the_early_audio_and_the_renders_file_is_the_same(browser, app_url,
                                                                                              monkeypatch):
    # The render's files held back 0.4 s (the app runs in this process): the early audio comes first, as it
    # does (the page's render waits for it), however long the render's own step takes.
    real = preview.SESSIONS.sound_for

    def late(*args):
        out = real(*args)
        threading.Event().wait(0.4)
        return out

    monkeypatch.setattr(preview.SESSIONS, "sound_for", late)
    page = _playing(browser, app_url)
    try:
        page.evaluate("() => window.melwav.abc.setLoop(0, window.melwav.abc.dur)")
        page.wait_for_timeout(500)
        pressed = _move_while_playing(page)
        page.wait_for_function(IDLE_JS, timeout=120_000)
        page.wait_for_timeout(300)
        got = page.evaluate(HEARD_JS)
        # Heard from the early audio (before the render's files came), once: the files did not switch again.
        assert got["soundAt"] > pressed and got["playing"] and got["early"] == ""
        # ("switched": when the switch is heard, the audio clock's time on the page clock: a render quantum or
        # two either side of the moment the audio came.)
        assert got["soundAt"] - 20 <= got["switched"] < got["soundAt"] + 100 and got["same"]
    finally:
        page.close()


@pytest.mark.app
@pytest.mark.browser
@needs_chromium
def test_render_files_that_come_before_the_early_audio_wait_for_it(browser, app_url, monkeypatch):
    """The other order: the early audio held back 1.5 s, longer than the page's render waits for it (1 s), so
    the render's files come first: the transport switches once, to the early audio, not to a download."""
    real = preview.SESSIONS.wait_wav

    async def late(*args):
        out = await real(*args)
        await asyncio.sleep(1.5)
        return out

    monkeypatch.setattr(preview.SESSIONS, "wait_wav", late)
    page = _playing(browser, app_url)
    try:
        page.wait_for_timeout(500)
        pressed = _move_while_playing(page)
        got = page.evaluate(HEARD_JS)
        # The files waited for the early audio (1.5 s late) and switched to it once, its data the file's.
        assert got["soundAt"] > pressed + 1400 and got["early"] == "" and got["same"]
        assert got["soundAt"] - 20 <= got["switched"] < got["soundAt"] + 100
    finally:
        page.close()


JOINS_JS = """() => { window.__joins = [];
  new PerformanceObserver(l => { for (const e of l.getEntries()) if (e.name.includes('/queue/join'))
    window.__joins.push(e.startTime); }).observe({type: 'resource'}); }"""


@pytest.mark.app
@pytest.mark.browser
@pytest.mark.floor
@needs_chromium
def test_while_playing_the_render_joins_the_queue_once_the_move_is_heard(browser, app_url):
    """The page's render waits for the early figure and audio (Gradio's queue messages and its step, handled on
    the page's one thread, used to hold them up): its request comes after the switch, and it adds no switch."""
    page = _playing(browser, app_url)
    try:
        page.evaluate("() => window.melwav.abc.setLoop(0, window.melwav.abc.dur)")
        page.wait_for_timeout(500)
        page.evaluate(JOINS_JS)
        page.evaluate(SRCS_JS)
        pressed = _move_while_playing(page)
        page.wait_for_function(IDLE_JS, timeout=120_000)
        page.wait_for_timeout(300)
        got = page.evaluate(HEARD_JS)
        joins = page.evaluate("window.__joins")
        assert len(joins) == 1 and got["soundAt"] > pressed and got["same"] and got["early"] == ""
        assert joins[0] > got["soundAt"], (joins, got["soundAt"])
        # The figure: the early one, then the render's file (the same, test above), nothing in between.
        assert [s.split(":", 1)[0] for s in page.evaluate("window.__srcs")] == ["data", "http"]
    finally:
        page.close()


# Each request for an early picture, logged on the page: from a slider's input event or from the pack step,
# with the mT value it asks for.
ASKED_JS = """() => { const s = window.melwavServer, picture = s.picture; window.__asked = [];
  s.picture = a => { window.__asked.push((window.event ? 'input ' : 'step ') + JSON.parse(a[1])[MT]);
    return picture(a); }; }""".replace("MT", str(controls.KEYS.index("n_time_masks")))


@pytest.mark.app
@pytest.mark.browser
@needs_chromium
def test_two_moves_in_one_task_ask_once_each_and_their_steps_take_the_answers(browser, app_url):
    """Two input events before either pack step (a newer move's event may come first): each move's request goes
    out once, from its own event, and the pack step, which reads the newer value, takes its answer."""
    page = _fresh_page(browser, app_url)
    try:
        page.evaluate(ASKED_JS)
        page.evaluate(SRCS_JS)
        start = page.evaluate("""() => { const r = document.querySelector('input[type=range][aria-label$="mT: time masks"]');
          const start = Number(r.value);
          for (const v of [start + 1, start + 2]) { r.value = String(v); r.dispatchEvent(new Event('input', {bubbles: true})); }
          return start; }""")
        page.wait_for_function("() => window.__srcs.some(s => s.startsWith('http'))", timeout=60_000)
        page.wait_for_function(IDLE_JS, timeout=120_000)
        page.wait_for_timeout(300)
        asked = page.evaluate("window.__asked")
        assert asked == [f"input {start + 1}", f"input {start + 2}"], asked
        assert page.evaluate("window.melwav.abc.preTaken") == 1
        # Whether an early figure was shown depends on which request the server took first (one per render);
        # the render's file is the last word, and it came once.
        kinds = [x.split(":", 1)[0] for x in page.evaluate("window.__srcs")]
        assert kinds[-1] == "http" and kinds.count("http") == 1, kinds
        assert int(page.get_by_role("slider", name="mT: time masks").input_value()) == start + 2
    finally:
        page.close()


@pytest.mark.app
@pytest.mark.browser
@needs_chromium
def test_quick_moves_end_on_the_figure_of_the_last_value(browser, app_url, monkeypatch):
    """Four presses, all before the first one's early figure comes (held back 0.6 s here; each pack waits for
    its own, so the first returns after the newer ones): the page settles on the render of the slider's last
    value, the figure /render makes for the same values."""
    from gradio_client import Client, handle_file

    from melwav_lab import layout

    real, calls = layout.early_picture, []

    def first_late(args, *, widgets):
        calls.append(args)
        first = len(calls) == 1
        out = real(args, widgets=widgets)
        if first:
            threading.Event().wait(0.6)
        return out

    monkeypatch.setattr(layout, "early_picture", first_late)

    page = _fresh_page(browser, app_url)
    try:
        page.evaluate(ASKED_JS)
        slider = page.get_by_role("slider", name="mT: time masks")
        start = int(slider.input_value())
        slider.focus()
        for _ in range(4):
            slider.press("ArrowRight")
        page.wait_for_timeout(1500)
        page.wait_for_function(IDLE_JS, timeout=120_000)
        assert int(slider.input_value()) == start + 4 and len(calls) == 4, page.evaluate("window.__asked")
        shown = page.evaluate("""async () => { const src = document.querySelector('#spectrograms img').src;
          const b = new Uint8Array(await (await fetch(src)).arrayBuffer());
          let s = ''; for (const x of b) s += String.fromCharCode(x); return [src.slice(0, 5), btoa(s)]; }""")
        assert shown[0] == "http:"  # the render's file, not an early figure left over
        plot, drawn = Client(app_url, verbose=False).predict(
            audio=handle_file(str(SPEECH)), n_time_masks=start + 4, seed=int(page.locator("#seed input").input_value()),
            api_name="/render")[:2]
        assert base64.b64encode(pathlib.Path(plot).read_bytes()).decode("ascii") == shown[1]
        # And the words: a mask of width 0 leaves the figure as it was, not the count of masks drawn.
        counts = [re.search(r"Time masks\**\s*\((\d+) of (\d+) drawn", text).groups()
                  for text in (page.locator("#drawn").inner_text(), drawn)]
        assert counts[0] == counts[1] and int(counts[0][1]) == start + 4, counts
    finally:
        page.close()
