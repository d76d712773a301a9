"""The class-ready page (issue 11): state sequences, the one-screen rule, keyboard, the A/B/C transport, demos.

One app is launched for the module and one chromium is shared. Screenshots go to ``test-artifacts/`` (look at
them). Each state bug of issue 11 has a test here that fails on the app before the fix.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import CHROMIUM, IDLE_JS, launched_app

from melwav_lab.controls import PRESET, defaults
from melwav_lab.handlers import RESTORED

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"
MUSIC = ROOT / "assets" / "music.wav"
ARTIFACTS = ROOT / "test-artifacts"
W, H = 1280, 720
SLIDERS = ("W: max warp (ms)", "mF: freq. masks", "F: max bands", "mT: time masks", "T: max width (ms)")
# The page's opening values (the LD preset), rebuilt quickly; every value by its control's key.
LD = {**defaults(), "method": "fgla", "n_iter": 4}
LOAD_OUT = ("policy", *RESTORED, "audio")  # what /load_params returns, in order

pytestmark = pytest.mark.app
needs_chromium = pytest.mark.skipif(not pathlib.Path(CHROMIUM).exists(), reason="Debian chromium not installed")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, _):
        yield url


@pytest.fixture()
def client(app_url, tmp_path):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=str(tmp_path))


def _file(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def _render(client, audio, **overrides):
    return client.predict(audio=_file(audio), **{**LD, **overrides}, api_name="/render")


def _load(client, file, audio=SPEECH) -> dict:
    out = client.predict(params_file=_file(file), audio=_file(audio), api_name="/load_params")
    return dict(zip(LOAD_OUT, out, strict=True))


# ------------------------------------------------------------------------------------------ gradio_client


def test_kept_draw_keeps_positions_and_takes_the_current_fill(client):
    """Bug: with "Keep this draw" ticked, a new fill changed nothing (the held draw kept its old fill)."""
    first = _render(client, SPEECH, seed=5, fill="mean")
    kept = _render(client, SPEECH, seed=6, keep=True, fill="floor")
    masks = lambda text: [line for line in text.splitlines() if line.startswith("  ")]  # noqa: E731
    assert masks(kept[1]) == masks(first[1]) and masks(first[1])
    assert "Seed 5" in kept[1]
    assert "quietest level" in kept[1] and "quietest level" not in first[1]
    mel = np.load(next(f for f in kept[6] if f.endswith(".npy")))
    mel_first = np.load(next(f for f in first[6] if f.endswith(".npy")))
    # Same warp and masks: only masked cells differ, and they hold the floor now (one mean level before).
    changed = mel != mel_first
    assert changed.sum() > 1000
    assert np.allclose(mel[changed], mel.min(), atol=1e-3) and np.ptp(mel_first[changed]) == 0


def test_custom_preset_is_not_an_error(client):
    """Bug: choosing "custom" said "policy must be one of ..., got 'custom'"."""
    out = client.predict(policy="custom", api_name="/policy")
    assert len(out) == len(PRESET) == 8


def test_params_json_names_a_bundled_clip_and_opens_it(client):
    """A prepared demo opens in one step: params made on music.wav, opened while speech.wav is loaded."""
    files = _render(client, MUSIC, seed=42, n_time_masks=3)[6]
    params_path = next(f for f in files if f.endswith(".json"))
    out = _load(client, params_path)
    assert pathlib.Path(out["audio"]["value"] if isinstance(out["audio"], dict) else out["audio"]).name == "music.wav"
    assert out["n_time_masks"] == 3 and out["seed"] == 42 and out["keep"] is True


def test_demo_zip_restores_clip_and_draw(client, tmp_path):
    clip = tmp_path / "my_tone.wav"
    t = np.arange(int(1.2 * 22050)) / 22050
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), 22050)
    files = _render(client, clip, seed=17)[6]
    demo = client.predict(audio=_file(clip), files=[_file(f) for f in files], api_name="/demo_file")
    out = _load(client, demo)
    restored = out["audio"]["value"] if isinstance(out["audio"], dict) else out["audio"]
    assert pathlib.Path(restored).name == "my_tone.wav"
    assert pathlib.Path(restored).read_bytes() == clip.read_bytes()
    assert out["seed"] == 17 and out["keep"] is True


def test_a_bad_demo_zip_gets_one_line(client, tmp_path):
    import zipfile

    from gradio_client.exceptions import AppError

    bad = tmp_path / "demo.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("params.json", "{}")
        z.writestr("../evil.wav", b"RIFF")
    with pytest.raises(AppError, match="demo file's clip must be an audio file at the top"):
        _load(client, bad)


# ------------------------------------------------------------------------------------------ browser


TOASTS_JS = """() => {
  window.__toasts = [];
  new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
    if (n.nodeType !== 1) return;
    const bodies = n.matches && n.matches('.toast-body') ? [n] : Array.from(n.querySelectorAll ? n.querySelectorAll('.toast-body') : []);
    bodies.forEach(b => window.__toasts.push(b.innerText));
  }))).observe(document.body, {subtree: true, childList: true});
}"""


def _open(browser, url, theme="light"):
    page = browser.new_page(viewport={"width": W, "height": H})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(f"{url}?__theme={theme}")
    page.evaluate(TOASTS_JS)
    page.locator("#spectrograms img").first.wait_for(timeout=120_000)
    page.wait_for_function("() => { const b = document.querySelector('#abc-box');"
                           " return b && JSON.parse(b.dataset.urls)[2]; }", timeout=120_000)
    _wait_idle(page)
    return page


def _plot_src(page) -> str:
    return page.locator("#spectrograms img").first.get_attribute("src")


def _wait_plot_change(page, old, timeout_s=90):
    page.wait_for_function(
        "old => { const i = document.querySelector('#spectrograms img'); return i && i.getAttribute('src') !== old; }",
        arg=old, timeout=timeout_s * 1000)
    _wait_idle(page)
    return _plot_src(page)


def _wait_idle(page):
    page.wait_for_function(
        IDLE_JS, timeout=120_000)
    page.wait_for_timeout(300)


def _policy(page) -> str:
    return page.locator("#policy input:checked").get_attribute("value")


def _slider(page, name):
    return page.get_by_role("slider", name=name)


def _tab(page, name):
    page.get_by_role("tab", name=name, exact=True).click()


def _choose(page, label, option):
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def _toasts(page, text):
    return [t for t in page.evaluate("() => window.__toasts") if text in t]


def _box_in_view(page, locator, what):
    box = locator.bounding_box()
    assert box is not None, f"{what} is not on the page"
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= W and box["y"] + box["height"] <= H, \
        f"{what} is outside the first screen: {box}"
    return box


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("theme", [pytest.param("light", marks=pytest.mark.floor), "dark"])
def test_one_screen_for_a_lesson(app_url, browser, theme):
    """At 1280x720, unscrolled: the figure (>= 250 px tall), the three play buttons, the five main sliders, the
    transport and the start of "what was drawn"."""
    page = _open(browser, app_url, theme)
    page.evaluate("window.scrollTo(0, 0)")
    figure = _box_in_view(page, page.locator("#spectrograms img").first, "the figure")
    assert figure["height"] >= 250
    for k in (1, 2, 3):
        _box_in_view(page, page.locator(f"#p{k} button[aria-label=Play]"), f"player {k}'s play button")
    for name in SLIDERS:
        _box_in_view(page, _slider(page, name), name)
    _box_in_view(page, page.locator("#abc-box [data-abc=play]"), "the transport")
    drawn = page.locator("#drawn").bounding_box()
    assert drawn["y"] + 60 <= H and drawn["x"] >= figure["x"] - 80
    assert "Time warp" in page.locator("#drawn").inner_text()
    assert page.evaluate("document.documentElement.scrollTop") == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first-screen-{theme}.png"))
    assert not page.errors, page.errors
    page.close()


@pytest.mark.browser
@needs_chromium
def test_keyboard_focus_and_tab_stops(app_url, browser):
    page = _open(browser, app_url)
    page.locator("body").click(position={"x": 5, "y": 5})
    stops, active = 0, [None, None, None]
    while stops < 40:
        page.keyboard.press("Tab")
        stops += 1
        active = page.evaluate("() => { const e = document.activeElement; return [e.tagName, e.type || '', "
                               "e.getAttribute('aria-label') || '']; }")
        # The policy presets are one group: focus does not open a list.
        assert not page.locator("[role=listbox]:visible").count()
        if active[1] == "range":
            break
    assert active[1] == "range" and stops <= 15, (stops, active)
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert style[0] != "none" and style[1] >= 2, style
    page.screenshot(path=str(ARTIFACTS / "keyboard-focus.png"))
    page.close()


@pytest.mark.browser
@needs_chromium
@pytest.mark.floor
def test_keep_then_fill_then_preset_then_analysis(app_url, browser):
    """The state sequence of a class: keep the draw, change the fill, edit a slider, change the analysis,
    pick a preset, import a recipe, change the analysis again; each step shows what it should."""
    page = _open(browser, app_url)
    drawn = page.locator("#drawn")
    before = drawn.inner_text()
    masks = lambda t: [ln for ln in t.splitlines() if " s to " in ln]  # noqa: E731
    # 1. Keep this draw, then a new fill: same masks, new fill (bug 1).
    page.locator("#keep input").check()
    _tab(page, "More settings")
    src = _plot_src(page)
    _choose(page, "Masked cells become", "floor")
    src = _wait_plot_change(page, src)
    after = drawn.inner_text()
    assert masks(after) == masks(before) and masks(before)
    assert "quietest level" in after and "quietest level" not in before
    page.locator("#keep input").uncheck()
    _wait_idle(page)
    # 2. A hand edit makes the preset custom; an analysis change converts it, not re-applies LD (bug 3).
    assert _policy(page) == "LD"
    mf = _slider(page, "mF: freq. masks")
    mf.focus()
    mf.press("ArrowRight")
    src = _wait_plot_change(page, src)
    assert mf.input_value() == "3" and _policy(page) == "custom"
    _tab(page, "Analysis")
    _choose(page, "Mel bands", "64")
    src = _wait_plot_change(page, src)
    assert _slider(page, "mF: freq. masks").input_value() == "3"
    assert _slider(page, "F: max bands").input_value() == str(round(43 * 64 / 128))
    assert _policy(page) == "custom"
    # 3. A preset, then an analysis change: the preset converted to the new analysis.
    page.locator("#policy label", has_text="SS").click()
    src = _wait_plot_change(page, src)
    assert _slider(page, "F: max bands").input_value() == str(round(27 * 64 / 80))
    _choose(page, "Mel bands", "80")
    src = _wait_plot_change(page, src)
    assert _slider(page, "F: max bands").input_value() == "27" and _policy(page) == "SS"
    # 4. "custom" chosen by hand, and a recipe import, then analysis changes keep rendering (bug 2).
    page.locator("#policy label", has_text="custom").click()
    _wait_idle(page)
    _tab(page, "Recipes")
    page.get_by_role("button", name="Import: set the sliders and render").click()
    src = _wait_plot_change(page, src)
    assert _policy(page) == "custom"
    _tab(page, "Analysis")
    _choose(page, "Hop (samples)", "256")
    src = _wait_plot_change(page, src)
    _choose(page, "Mel bands", "64")
    _wait_plot_change(page, src)
    assert not _toasts(page, "policy must be"), page.evaluate("() => window.__toasts")
    assert not page.locator(".toast-body", has_text="rror").count()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "state-sequence.png"))
    assert not page.errors, page.errors
    page.close()


@pytest.mark.browser
@needs_chromium
def test_each_note_once_and_kept_in_the_page(app_url, browser, tmp_path):
    """Bug 4: every render of a 16 kHz clip repeated "resampled from 16000 Hz to 22050 Hz"."""
    clip = tmp_path / "phone16k.wav"
    t = np.arange(int(1.5 * 16000)) / 16000
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 16000)
    page = _open(browser, app_url)
    src = _plot_src(page)
    _tab(page, "Clip")
    page.locator("#clip").get_by_role("button", name="Clear").click()
    page.locator("#clip input[type=file]").set_input_files(str(clip))
    src = _wait_plot_change(page, src)
    for _ in range(3):  # three new draws (each changes the picture)
        page.locator("#reroll").click()
        src = _wait_plot_change(page, src)
    assert len(_toasts(page, "resampled from 16000 Hz to 22050 Hz")) == 1, page.evaluate("() => window.__toasts")
    assert "resampled from 16000 Hz to 22050 Hz" in page.locator("#drawn").inner_text()
    page.close()


@pytest.mark.browser
@needs_chromium
def test_progress_stays_off_the_players(app_url, browser):
    page = _open(browser, app_url)
    src = _plot_src(page)
    slider = _slider(page, "T: max width (ms)")
    slider.focus()
    slider.press("ArrowRight")
    seen = []
    for _ in range(40):
        seen.append(page.evaluate("() => ['#p1', '#p2', '#p3', '#controls'].some(s => "
                                  "document.querySelector(s + ' .progress-text, ' + s + ' .eta-bar, ' + s + ' .timer'))"))
        if _plot_src(page) != src:
            break
        page.wait_for_timeout(100)
    assert not any(seen)
    _wait_idle(page)
    page.close()


@pytest.mark.browser
@needs_chromium
@pytest.mark.floor
def test_abc_transport_switches_without_restart_and_loops_a_region(app_url, browser):
    page = _open(browser, app_url)
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.position() > 0.3", timeout=20_000)
    t1 = page.evaluate("() => window.melwav.abc.position()")
    page.locator("body").press("1")
    page.wait_for_timeout(300)
    state = page.evaluate("() => [window.melwav.abc.active, window.melwav.abc.position(), window.melwav.abc.playing]")
    assert state[0] == 0 and state[1] > t1 and state[2]  # switched, still playing, no restart
    assert page.locator("#abc-box [aria-pressed=true]").inner_text() == "1 original"
    # The cursor moves on both panels, inside the figure.
    fig = page.locator("#spectrograms img").first.bounding_box()
    cursors = page.locator(".abc-cursor")
    assert cursors.count() == 2
    x_before = [cursors.nth(i).bounding_box()["x"] for i in range(2)]
    page.wait_for_timeout(400)
    x_after = [cursors.nth(i).bounding_box()["x"] for i in range(2)]
    for a, b in zip(x_before, x_after):
        assert fig["x"] < a < b < fig["x"] + fig["width"]
    # Drag across the augmented panel: that span loops.
    y = fig["y"] + fig["height"] * 0.5
    page.mouse.move(fig["x"] + fig["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(fig["x"] + fig["width"] * 0.7, y, steps=5)
    page.mouse.up()
    loop = page.evaluate("() => window.melwav.abc.loop")
    assert loop and 0.2 < loop[1] - loop[0] < 3
    page.wait_for_timeout(300)
    t = page.evaluate("() => window.melwav.abc.position()")
    assert loop[0] <= t <= loop[1]
    assert not page.evaluate("() => !!document.fullscreenElement")
    # Or type it.
    page.locator("#abc-box [data-abc=from]").fill("1")
    page.locator("#abc-box [data-abc=to]").fill("1.5")
    page.locator("#abc-box [data-abc=loop]").click()
    assert page.evaluate("() => window.melwav.abc.loop") == [1, 1.5]
    page.locator("#abc-box [data-abc='2']").click()
    assert page.evaluate("() => window.melwav.abc.active") == 2
    # A new draw while it plays: the new versions carry on, looping the same span.
    urls = page.locator("#abc-box").get_attribute("data-urls")
    page.locator("#reroll").click()
    page.wait_for_function("u => document.querySelector('#abc-box').dataset.urls !== u", arg=urls, timeout=90_000)
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.bufs", timeout=30_000)
    page.wait_for_timeout(300)
    t = page.evaluate("() => window.melwav.abc.position()")
    assert 1 <= t <= 1.5 and page.evaluate("() => window.melwav.abc.loop") == [1, 1.5]
    page.wait_for_timeout(200)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "abc-loop.png"))
    page.locator("#abc-box [data-abc=play]").click()
    assert not page.evaluate("() => window.melwav.abc.playing")
    assert not page.errors, page.errors
    page.close()


# Counts, for one second of playing: the playhead's text changes, and the cursors' left edges and transforms set.
PLAYING_PAGE_WORK_JS = """async () => {
  const now = document.querySelector('#abc-box .abc-now'), cursors = Array.from(document.querySelectorAll('.abc-cursor'));
  const texts = new Set(), lefts = new Set(), moves = new Set();
  let changes = 0;
  const seen = new MutationObserver(list => { changes += list.length; });
  seen.observe(now, {subtree: true, childList: true, characterData: true});
  const frame = () => { texts.add(now.textContent); cursors.forEach(c => { lefts.add(c.style.left); moves.add(c.style.transform); }); };
  const end = performance.now() + 1000;
  while (performance.now() < end) { frame(); await new Promise(r => requestAnimationFrame(r)); }
  seen.disconnect();
  return {changes, texts: texts.size, lefts: Array.from(lefts), moves: moves.size};
}"""


def test_a_playing_page_moves_its_cursor_each_frame_and_its_text_a_few_times_a_second(app_url, browser):
    """The cursor follows the playhead at every frame, by its transform (no layout of the page); the playhead's
    text, repainted at every frame, was most of what the playing page cost the browser: a few changes a second."""
    page = _open(browser, app_url)
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.position() > 0.3", timeout=20_000)
    work = page.evaluate(PLAYING_PAGE_WORK_JS)
    assert work["moves"] >= 20  # ~60 frames a second; at least 20 distinct cursor positions in one second
    assert work["lefts"] == [""]  # placed by its transform only
    assert 2 <= work["changes"] <= 6 and 2 <= work["texts"] <= 6  # NOW_TEXT_MS: about four a second
    # A visitor's move shows at once: paused, the text names the paused position.
    page.locator("#abc-box [data-abc=play]").click()
    pos = page.evaluate("() => window.melwav.abc.position()")
    assert f"{pos:.2f} s" in page.locator("#abc-box .abc-now").inner_text()
    page.locator("body").press("1")
    assert page.locator("#abc-box .abc-now").inner_text().startswith("1 original")
    assert not page.errors, page.errors
    page.close()


def test_a_new_draw_that_changes_the_players_gain_plays_on_in_its_loop(app_url, browser):
    """Seed 38's rebuild of the bundled speech peaks higher than seed 7's: the three players' common gain changes,
    and with it all three files, the original's too. The transport took a new original's file for a new clip
    (stopped, playhead and loop dropped: 2 of 12 "New draw" presses did that); it plays on, in the same loop."""
    page = _open(browser, app_url)
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function("() => window.melwav.abc.playing && window.melwav.abc.bufs", timeout=20_000)
    page.evaluate("() => window.melwav.abc.setLoop(1, 1.5)")
    before = page.locator("#abc-box").get_attribute("data-urls")
    page.locator("#seed input").fill("38")
    page.locator("#seed input").press("Enter")
    page.wait_for_function("u => document.querySelector('#abc-box').dataset.urls !== u", arg=before, timeout=90_000)
    after = page.locator("#abc-box").get_attribute("data-urls")
    assert json.loads(after)[0] != json.loads(before)[0]  # the gain changed: a new original's file, same clip
    # Switched to the new files, or stopped (as it did).
    page.wait_for_function("() => { const S = window.melwav.abc; return !S.pending && (!S.playing || S.urls.includes("
                           "JSON.parse(document.querySelector('#abc-box').dataset.urls)[2].split('/').pop())); }",
                           timeout=30_000)
    state = page.evaluate("() => [window.melwav.abc.playing, window.melwav.abc.loop, window.melwav.abc.position()]")
    assert state[0] and state[1] == [1, 1.5] and 1 <= state[2] <= 1.5
    assert not page.errors, page.errors
    page.close()


def test_transport_data_is_escaped():
    sys.path.insert(0, str(ROOT))
    from melwav_lab import app as app_module
    from melwav_lab.transport import transport_data_html

    hostile = 'x"><script>alert(1)</script>'
    text = transport_data_html([{"left": 0.1, "t1": 2.0, "name": hostile}], {"clip": hostile, "seed": 3})
    assert "<script>" not in text and "&quot;" in text
    unescape = __import__("html").unescape
    assert json.loads(unescape(text.split('data-axes="')[1].split('"')[0]))[0]["name"] == hostile
    assert json.loads(unescape(text.split('data-for="')[1].split('"')[0]))["clip"] == hostile
    assert 'data-duration="2.0000"' in text and "<script>" not in app_module.transport_html()


# ------------------------------------------------------------------------------------------ the pieces behind it


def test_axes_extents_place_each_panel_in_the_image():
    from melwav.features import MelSettings
    from melwav.plot import axes_extents, plot_comparison, save_png

    settings = MelSettings()
    L = -80 * np.random.default_rng(0).random((128, 50)).astype(np.float32)
    fig = plot_comparison(L, L, settings=settings, L_rebuilt=L)
    save_png(pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "melwav_extents_test.png", fig)
    panels = axes_extents(fig)
    assert len(panels) == 3  # the colour bar is not a panel
    frame_s = settings.hop_length / settings.sr
    for a, b in zip(panels, panels[1:]):
        assert a["right"] <= b["left"]
    for p in panels:
        assert 0 <= p["left"] < p["right"] <= 1 and 0 <= p["top"] < p["bottom"] <= 1
        assert p["t0"] == pytest.approx(-0.5 * frame_s) and p["t1"] == pytest.approx(49.5 * frame_s)


def test_convert_units_keeps_share_of_the_mel_scale_and_durations():
    from melwav import lab
    from melwav.features import MelSettings

    units = dict(warp_ms=400, n_freq_masks=3, freq_mask_bands=43, n_time_masks=2, time_mask_ms=1000,
                 max_time_ratio=0.2, width_ratio=0.0, masks_per_frame=0.0)
    out = lab.convert_units(units, n_mels_from=128, settings=MelSettings(n_mels=64, hop_length=256))
    hop = MelSettings(n_mels=64, hop_length=256).hop_ms
    assert out["freq_mask_bands"] == 22 and out["n_freq_masks"] == 3 and out["max_time_ratio"] == 0.2
    assert out["warp_ms"] == round(round(400 / hop) * hop) and out["time_mask_ms"] == round(round(1000 / hop) * hop)


def test_demo_file_round_trip_and_limits(tmp_path):
    from melwav import demofile
    from melwav.errors import RecordError

    clip = tmp_path / "lesson.wav"
    sf.write(clip, np.zeros(800, dtype=np.float32) + 0.1, 8000)
    params = {"format": "x"}
    (tmp_path / "p.json").write_text(json.dumps(params))
    out = tmp_path / "out"
    out.mkdir()
    demo = demofile.write_demo(tmp_path / "demo.zip", clip=clip, params_json=tmp_path / "p.json")
    with pytest.raises(RecordError, match="not a melwav params file"):  # the params are checked before unpacking
        demofile.read_demo(demo, out, max_bytes=10_000)
    assert not (out / "lesson.wav").exists()
    with pytest.raises(RecordError, match="clip is .* MB .at most"):  # sizes come from the directory, first
        demofile.read_demo(demo, out, max_bytes=100)
    with pytest.raises(RecordError, match="a .zip holding params.json"):
        demofile.read_demo(clip, out, max_bytes=10_000)


@pytest.mark.browser
@needs_chromium
def test_downloads_are_written_when_their_tab_is_open(app_url, browser):
    """A sequence: render with the tab closed (no files: they would slow the player's WAV), open the tab (the
    current draw's four files), move a slider with the tab open (the new draw's files), close it, move again."""
    work = pathlib.Path(os.environ["MELWAV_WORK_DIR"])  # the launched app's own
    mels = lambda: set(work.rglob("*_mel.npy"))  # noqa: E731 - one per written set of downloads
    before = mels()
    page = _open(browser, app_url)
    assert mels() == before  # rendered, players loaded: nothing written for the Downloads tab yet

    def listed():
        return sorted(page.locator("#downloads td.filename").evaluate_all(
            "cells => cells.map(c => c.getAttribute('aria-label'))"))

    def seed_of(names):
        return {n.split("_seed")[1].split("_")[0].split(".")[0] for n in names if "_seed" in n}

    _tab(page, "Downloads")
    page.wait_for_function("() => document.querySelector('#downloads').innerText.split('\\n').includes('.json')",
                           timeout=60_000)
    first = listed()
    assert len(mels() - before) == 1
    assert sorted(n.rsplit(".", 1)[1] for n in first) == ["json", "npy", "png", "wav"] and seed_of(first) == {"7"}
    page.get_by_role("spinbutton", name="Seed").fill("8")
    page.get_by_role("spinbutton", name="Seed").press("Enter")
    page.wait_for_function("() => document.querySelector('#downloads').innerText.includes('seed8')", timeout=60_000)
    _wait_idle(page)
    assert seed_of(listed()) == {"8"}
    _tab(page, "Clip")
    src = _plot_src(page)  # before the change: a render can be done before the next line runs
    page.get_by_role("spinbutton", name="Seed").fill("9")
    page.get_by_role("spinbutton", name="Seed").press("Enter")
    _wait_plot_change(page, src)
    _tab(page, "Downloads")
    page.wait_for_function("() => document.querySelector('#downloads').innerText.includes('seed9')", timeout=60_000)
    assert seed_of(listed()) == {"9"}
    page.close()
