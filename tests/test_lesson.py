"""A live lesson without surprises (issue 21): each surprise a teacher met, driven in a real browser.

One app and one chromium for the module, as in ``test_classroom.py`` (its helpers are used here). Screenshots go
to ``test-artifacts/`` (look at them). axe-core (the npm package) is looked for in ``$MELWAV_AXE_JS``, else
``test-artifacts/node_modules/axe-core/axe.min.js`` (``.ci/run`` installs it there).
"""

from __future__ import annotations

import os
import pathlib
import time

import pytest
from conftest import launched_app
from test_classroom import (
    ARTIFACTS,
    MUSIC,
    SPEECH,
    _box_in_view,
    _open,
    _plot_src,
    _render,
    _slider,
    _tab,
    _wait_idle,
    _wait_plot_change,
    needs_chromium,
)

pytestmark = [pytest.mark.app, pytest.mark.browser]
ROOT = pathlib.Path(__file__).resolve().parents[1]
AXE = pathlib.Path(os.environ.get("MELWAV_AXE_JS") or ROOT / "test-artifacts/node_modules/axe-core/axe.min.js")
ABC = "window.melwav.abc"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, _):
        yield url


def _abc(page, expr):
    return page.evaluate(f"() => {{ const S = {ABC}; return {expr}; }}")


def _play(page):
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function(f"() => {ABC}.playing && {ABC}.position() > 0.3", timeout=30_000)


def _voices(page) -> list[str]:
    """What is sounding: "transport" and/or the players whose media element plays."""
    return page.evaluate(f"""() => {{
      const S = {ABC}, out = S.playing ? ['transport'] : [];
      S.media.forEach(m => {{ if (!m.paused) out.push('player'); }});
      return out; }}""")


#: Visible "Error" marks on widgets (a status tracker in its error state), toasts not counted.
MARKED_JS = """() => Array.from(document.querySelectorAll('.block .error, [data-testid=status-tracker] .error'))
  .filter(e => e.offsetParent && !e.closest('.toast-wrap, .toast-body')).length"""


# ------------------------------------------------------------------------------------------ 1. a refused demo


@needs_chromium
@pytest.mark.floor
def test_a_refused_demo_file_is_one_message_and_every_control_stays_usable(app_url, browser, tmp_path):
    bad = tmp_path / "not_params.json"
    bad.write_text("{}")
    page = _open(browser, app_url)
    _tab(page, "Clip")
    page.locator("#demo-file input[type=file]").set_input_files(str(bad))
    page.locator(".toast-body").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    toasts = page.evaluate("() => window.__toasts")
    assert len(toasts) == 1 and "not a melwav params file" in toasts[0], toasts
    assert page.evaluate(MARKED_JS) == 0
    # A mouse click on a slider's track moves it (nothing lies over it), and it renders.
    page.evaluate("window.scrollTo(0, 0)")
    src = _plot_src(page)
    mt = _slider(page, "mT: time masks")
    box = mt.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] / 2)
    _wait_plot_change(page, src)
    assert mt.input_value() != "2"
    page.locator("#keep input").click()
    assert page.locator("#keep input").is_checked()
    assert page.evaluate(MARKED_JS) == 0
    page.screenshot(path=str(ARTIFACTS / "lesson-refused-demo.png"))
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 2. sliders after a demo


@needs_chromium
def test_a_main_slider_after_a_demo_draws_anew(app_url, browser, tmp_path):
    from gradio_client import Client

    client = Client(app_url, verbose=False, download_files=str(tmp_path))
    files = _render(client, SPEECH, seed=42, n_time_masks=3)[6]
    params = next(f for f in files if f.endswith(".json"))
    page = _open(browser, app_url)
    src = _plot_src(page)
    _tab(page, "Clip")
    page.locator("#demo-file input[type=file]").set_input_files(params)
    page.wait_for_function("() => document.querySelector('#keep input').checked", timeout=60_000)
    src = _wait_plot_change(page, src)
    assert "Seed 42" in page.locator("#drawn").inner_text()
    mt = _slider(page, "mT: time masks")
    assert mt.input_value() == "3"
    mt.focus()
    mt.press("ArrowRight")
    _wait_plot_change(page, src)
    assert not page.locator("#keep input").is_checked()
    assert "(4 of 4 drawn" in page.locator("#drawn").inner_text()
    # A seed typed after a demo is a new draw too.
    page.locator("#keep input").check()
    _wait_idle(page)
    src = _plot_src(page)
    page.get_by_role("spinbutton", name="Seed").fill("9")
    page.get_by_role("spinbutton", name="Seed").press("Enter")
    _wait_plot_change(page, src)
    assert not page.locator("#keep input").is_checked() and "Seed 9" in page.locator("#drawn").inner_text()
    assert not page.errors, page.errors
    page.close()


def test_a_preset_draws_anew_although_keep_was_ticked_and_custom_keeps_it(app_url, browser):
    """A preset sets the main sliders: with "Keep this draw" ticked it still draws anew (the page must not show
    policy SS over a draw that SS's bounds could not make); "custom" changes nothing and keeps the draw."""
    page = _open(browser, app_url)
    _tab(page, "Clip")
    page.locator("#keep input").check()
    _wait_idle(page)
    src, before = _plot_src(page), page.locator("#drawn").inner_text()
    page.locator("#policy").get_by_text("SS", exact=True).click()
    src = _wait_plot_change(page, src)
    _wait_idle(page)
    assert not page.locator("#keep input").is_checked()
    after = page.locator("#drawn").inner_text()
    assert "policy SS" in after and after.split("\n", 1)[1] != before.split("\n", 1)[1]
    # Ticked again, "custom" keeps both the tick and the draw.
    page.locator("#keep input").check()
    _wait_idle(page)
    page.locator("#policy").get_by_text("custom", exact=True).click()
    page.wait_for_timeout(1500)
    _wait_idle(page)
    assert page.locator("#keep input").is_checked()
    assert page.locator("#drawn").inner_text().split("\n", 1)[1] == after.split("\n", 1)[1]
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 3. one voice


@needs_chromium
@pytest.mark.floor
def test_one_voice_at_a_time(app_url, browser):
    page = _open(browser, app_url)
    _play(page)
    page.locator("#p1 button[aria-label=Play]").click()
    page.wait_for_function(f"() => !{ABC}.playing && Array.from({ABC}.media).some(m => !m.paused)", timeout=20_000)
    assert _voices(page) == ["player"]
    page.wait_for_timeout(300)
    page.locator("#p3 button[aria-label=Play]").click()
    page.wait_for_timeout(600)
    assert _voices(page) == ["player"]  # player 1 was paused by player 3
    page.locator("#abc-box [data-abc=play]").click()  # the transport pauses the player
    page.wait_for_function(f"() => {ABC}.playing", timeout=20_000)
    page.wait_for_timeout(300)
    assert _voices(page) == ["transport"]
    page.locator("#p2 button[aria-label=Play]").click()
    page.wait_for_timeout(600)
    assert _voices(page) == ["player"]
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_timeout(300)
    page.locator("#abc-box [data-abc=play]").click()  # and its pause stops every player
    page.wait_for_timeout(300)
    assert _voices(page) == []
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 4. loops and Whole


@needs_chromium
def test_whole_after_a_loop_carries_on_and_enter_applies_a_loop(app_url, browser):
    page = _open(browser, app_url)
    _play(page)
    page.locator("#abc-box [data-abc=from]").fill("1")
    page.locator("#abc-box [data-abc=to]").fill("1.8")
    page.locator("#abc-box [data-abc=to]").press("Enter")
    assert _abc(page, "S.loop") == [1, 1.8]
    page.wait_for_function(f"() => {ABC}.position() > 1.6", timeout=10_000)
    page.wait_for_timeout(300)  # past the loop's end at least once
    before = _abc(page, "S.position()")
    page.locator("#abc-box [data-abc=whole]").click()
    after = _abc(page, "S.position()")
    assert _abc(page, "S.loop") is None
    assert 1 <= before <= 1.8 and 0 <= after - before < 0.25, (before, after)
    page.wait_for_function(f"() => {ABC}.position() > 1.9", timeout=10_000)  # on past the old loop's end
    # Paused inside a loop, Whole keeps the playhead too.
    page.locator("#abc-box [data-abc=from]").fill("2")
    page.locator("#abc-box [data-abc=to]").fill("2.5")
    page.locator("#abc-box [data-abc=from]").press("Enter")
    page.wait_for_function(f"() => {ABC}.position() > 2.2", timeout=10_000)
    page.locator("#abc-box [data-abc=play]").click()
    paused = _abc(page, "S.position()")
    page.locator("#abc-box [data-abc=whole]").click()
    assert _abc(page, "S.position()") == pytest.approx(paused) and 2 <= paused <= 2.5
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 5. keys 1/2/3


@needs_chromium
def test_keys_1_2_3_work_wherever_focus_is_except_text_fields(app_url, browser):
    page = _open(browser, app_url)
    mf = _slider(page, "mF: freq. masks")
    box = mf.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # the slider has focus
    page.keyboard.press("1")
    assert _abc(page, "S.active") == 0
    page.locator("#policy label", has_text="LD").click()  # a radio has focus
    page.keyboard.press("2")
    assert _abc(page, "S.active") == 1
    page.locator("#keep input").focus()
    page.keyboard.press("3")
    assert _abc(page, "S.active") == 2
    seed = page.get_by_role("spinbutton", name="Seed")
    seed.focus()
    page.keyboard.press("1")  # typed into the seed, not a switch
    assert _abc(page, "S.active") == 2
    assert "1" in seed.input_value()
    page.close()


# ------------------------------------------------------------------------------------------ 6. one numbering


def test_mask_numbers_agree_when_a_mask_has_width_zero():
    """Adaptive preset, the music clip, seed 7: a time mask of width 0; the figure's T-k is the text's k-th."""
    import re

    from melwav import lab
    from melwav.features import MelSettings
    from melwav.plot import numbered

    settings = MelSettings()
    analysis = lab.open_clip(MUSIC, settings=settings)
    u = lab.policy_units("adaptive", settings)
    config = lab.config_from_units(
        settings, warp_ms=u["warp_ms"], freq_mask_bands=u["freq_mask_bands"], n_freq_masks=u["n_freq_masks"],
        time_mask_ms=u["time_mask_ms"], n_time_masks=u["n_time_masks"], max_time_ratio=u["max_time_ratio"],
        width_ratio=u["width_ratio"], masks_per_frame=u["masks_per_frame"], fill="mean", fill_db=-60,
        convention="melwav")
    pic = lab.render_picture(analysis, config, seed=7, policy_name="adaptive", theme="light")
    masks = pic.record.time_masks
    assert any(m.width == 0 for m in masks)  # the case of the issue
    labels = [k for k, _ in numbered(masks)]
    listed = [int(n) for n in re.findall(r"^  (\d+)\. ", pic.description, flags=re.M)]
    assert labels == listed == list(range(1, sum(1 for m in masks if m.width) + 1))
    starts = [f"{m.start * settings.hop_ms / 1000:.2f} s to" for _, m in numbered(masks)]
    assert all(f"  {k}. {s}" in pic.description for k, s in zip(labels, starts))


# ------------------------------------------------------------------------------------------ 8. no gap on a new draw


@needs_chromium
@pytest.mark.floor
def test_a_slider_move_while_playing_keeps_sounding_and_switches_at_the_playhead(app_url, browser):
    page = _open(browser, app_url)
    _play(page)
    # Sample the transport every frame: is a set of three sources playing, and where is the playhead.
    page.evaluate(f"""() => {{ const S = {ABC}; window.__samples = [];
      const f = () => {{ window.__samples.push([S.playing && S.srcs.length === 3, S.position(), S.urls,
                                                 S.ctx.currentTime]);
                        if (window.__samples.length < 4000) requestAnimationFrame(f); }};
      requestAnimationFrame(f); }}""")
    urls = page.locator("#abc-box").get_attribute("data-urls")
    mt = _slider(page, "mT: time masks")
    mt.focus()
    pressed = page.evaluate("() => performance.now()")
    mt.press("ArrowRight")
    page.wait_for_function("u => document.querySelector('#abc-box').dataset.urls !== u", arg=urls, timeout=90_000)
    page.wait_for_function(f"() => {ABC}.switched && {ABC}.urls === JSON.stringify("
                           "JSON.parse(document.querySelector('#abc-box').dataset.urls))", timeout=30_000)
    page.wait_for_timeout(300)
    samples = page.evaluate("() => window.__samples")
    assert len({s[2] for s in samples}) == 2  # the old versions, then the new ones
    assert all(s[0] for s in samples), "a moment with nothing playing"
    # Only the changed version was fetched again (the two unaugmented ones are decoded already).
    fetched = page.evaluate("t => performance.getEntriesByType('resource').filter(e => e.startTime > t)"
                            ".map(e => e.name).filter(n => n.endsWith('.wav'))", pressed)
    assert fetched and not [n for n in fetched if "original" in n.rsplit("/", 1)[-1]], fetched
    # The playhead moves with the audio clock: no jump back, none ahead (a slow frame moves both alike).
    slips = [(b[1] - a[1]) - (b[3] - a[3]) for a, b in zip(samples, samples[1:])]
    assert max(abs(x) for x in slips) < 0.06, (min(slips), max(slips))
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 10. a new clip, toasts


@needs_chromium
def test_a_new_clip_starts_at_zero(app_url, browser):
    page = _open(browser, app_url)
    _play(page)
    page.wait_for_function(f"() => {ABC}.position() > 1.2", timeout=10_000)
    page.locator("#abc-box [data-abc=play]").click()
    assert _abc(page, "S.pos") > 1.2
    src = _plot_src(page)
    _tab(page, "Clip")
    page.get_by_text("music.wav", exact=True).click()
    _wait_plot_change(page, src)
    page.wait_for_function("() => JSON.parse(document.querySelector('#abc-box').dataset.urls)[0].includes('music')",
                           timeout=60_000)
    assert _abc(page, "S.pos") == 0 and _abc(page, "S.loop") is None
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 13. smaller ones


@pytest.mark.parametrize("frac", [0.3, 0.6, 0.68, 0.75, 0.95])
def test_the_warp_label_stays_inside_its_panel_on_a_short_clip(frac):
    """A 2 s clip (86 frames): "warp +209 ms" beside a line at 60-70 % of the panel ran over the colour bar."""
    import numpy as np

    from melwav import plot
    from melwav.features import MelSettings
    from melwav.specaugment import AugmentRecord, WarpDraw

    settings = MelSettings()
    n = 86
    L = (np.random.default_rng(0).random((settings.n_mels, n)) * -80).astype(np.float32)
    base = plot.comparison_base(L, settings=settings)
    dest = int(frac * n)
    record = AugmentRecord(settings.n_mels, n, warp=WarpDraw(dest - 9, 9))  # +209 ms, to frame `dest`
    marked = plot.compose_comparison(base, L, record=record)
    plain = plot.compose_comparison(base, L)
    is_green = lambda rgba: np.all(rgba[..., :3] == plot._hex(plot.WARP_COLOUR), axis=-1)  # noqa: E731
    green = is_green(marked) & ~is_green(plain)
    x0, y0, x1, y1 = base.panels[1]
    assert green[y0:y1, x0:x1].sum() > 200  # the label and arrow are drawn
    assert not green[:, x1 + 2:].any() and not green[:, :x0 - 2].any()  # nothing outside the panel


def test_text_from_a_file_shows_apostrophes_as_typed():
    """The Recipes tab showed "the clip&#x27;s length": the entity's "#" was escaped for Markdown."""
    from melwav.explain import escape_markdown

    text = escape_markdown("the clip's <b>length</b> & [link](x) > 2")
    assert "&\\#" not in text and "\\&" not in text
    import markdown_it  # Gradio's own Markdown renderer's Python twin (a dependency of gradio)

    shown = markdown_it.MarkdownIt().render(text)
    assert "<p>the clip's &lt;b&gt;length&lt;/b&gt; &amp; [link](x) &gt; 2</p>" in shown


@needs_chromium
def test_the_smaller_ones_in_the_page(app_url, browser):
    """Presets, seed, keep and "mel rebuilt" explained where shown; the loop placeholder whole; the figure fills
    its column; the Recipes tab's report shows apostrophes as typed."""
    page = _open(browser, app_url)
    for where, words in (("#policy", "LibriSpeech"), ("#draw-help", "same seed, same draw"),
                         ("#draw-help", "main slider, preset or new seed draws anew"), ("#sc-help", "mel rebuilt")):
        _box_in_view(page, page.locator(where).get_by_text(words), words)
    clipped = page.evaluate("""() => Array.from(document.querySelectorAll('#abc-box input')).map(i => {
      const c = document.createElement('canvas').getContext('2d'); const s = getComputedStyle(i);
      c.font = `${s.fontSize} ${s.fontFamily}`;
      const room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return c.measureText(i.placeholder).width > room; })""")
    assert clipped == [False, False]
    img = page.locator("#spectrograms img").first.bounding_box()
    column = page.locator("#stage-main").bounding_box()
    assert img["width"] >= 0.9 * column["width"], (img, column)
    _tab(page, "Recipes")
    src = _plot_src(page)
    page.get_by_role("button", name="Import: set the sliders and render").click()
    _wait_plot_change(page, src)
    report = page.locator(".prose", has_text="Imported:").last.inner_text()
    assert "clip's length" in report and "&#x27;" not in report, report
    page.close()


# ------------------------------------------------------------------------------------------ 7. what was drawn


@needs_chromium
def test_what_was_drawn_is_whole_on_the_first_screen_and_keyboard_reachable(app_url, browser):
    page = _open(browser, app_url)
    drawn = page.locator("#drawn")
    box = _box_in_view(page, drawn, "what was drawn")
    assert box["height"] >= 250
    assert page.evaluate("() => { const d = document.querySelector('#drawn'); "
                         "return d.scrollHeight <= d.clientHeight + 1; }"), "LD's draw does not fit"
    # A long one (20 time masks) scrolls, and the keyboard reaches it and scrolls it.
    src = _plot_src(page)
    mt = _slider(page, "mT: time masks")
    mt.focus()
    for _ in range(18):
        mt.press("ArrowRight")
    _wait_plot_change(page, src)
    # "(k of 20 drawn with width > 0)": k depends on the seed's draw, the 20 on the slider
    page.wait_for_function("() => / of 20 drawn/.test(document.querySelector('#drawn').innerText)", timeout=60_000)
    assert drawn.get_attribute("tabindex") == "0" and drawn.get_attribute("aria-label") == "What was drawn"
    drawn.focus()
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('#drawn').scrollTop > 0", timeout=5_000)
    _box_in_view(page, drawn, "what was drawn")
    page.close()


# ------------------------------------------------------------------------------------------ 9. frame steps


@needs_chromium
@pytest.mark.parametrize("name", ["W: max warp (ms)", "T: max width (ms)"])
def test_each_w_and_t_press_is_one_frame(app_url, browser, name):
    page = _open(browser, app_url)
    frame_ms = _abc(page, "-2000 * JSON.parse(document.querySelector('#abc-data').dataset.axes)[0].t0")
    assert frame_ms == pytest.approx(512 / 22.05)
    slider = _slider(page, name)
    slider.focus()
    frames = [round(float(slider.input_value()) / frame_ms)]
    for key in ["ArrowRight"] * 6 + ["ArrowLeft"] * 3:
        before = slider.input_value()
        slider.press(key)
        page.wait_for_function("([n, v]) => document.querySelector(`input[aria-label='range slider for ${n}']`)"
                               ".value !== v", arg=[name, before], timeout=10_000)
        _wait_idle(page)  # it rendered
        frames.append(round(float(slider.input_value()) / frame_ms))
        assert float(slider.input_value()) % 10 == 0
    assert [b - a for a, b in zip(frames, frames[1:])] == [1] * 6 + [-1] * 3, frames
    page.close()


# ------------------------------------------------------------------------------------------ 10. toasts


@needs_chromium
def test_toasts_stay_off_the_figure_and_its_buttons(app_url, browser, tmp_path):
    import numpy as np
    import soundfile as sf

    clip = tmp_path / "phone16k.wav"
    t = np.arange(int(1.5 * 16000)) / 16000
    sf.write(clip, (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), 16000)  # a note: resampled
    page = _open(browser, app_url)
    src = _plot_src(page)
    _tab(page, "Clip")
    page.locator("#clip").get_by_role("button", name="Clear").click()
    page.locator("#clip input[type=file]").set_input_files(str(clip))
    page.locator(".toast-body").first.wait_for(timeout=60_000)
    shown_at = time.monotonic()
    toast = page.locator(".toast-body").first.bounding_box()  # fixed on the screen: the same once scrolled up
    assert toast is not None and toast["width"] <= 320
    _wait_plot_change(page, src)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    for what in ("#spectrograms img", "#spectrograms button[aria-label=Fullscreen]", "#controls", "#abc-box"):
        other = page.locator(what).first.bounding_box()
        overlap = not (toast["x"] + toast["width"] <= other["x"] or other["x"] + other["width"] <= toast["x"]
                       or toast["y"] + toast["height"] <= other["y"] or other["y"] + other["height"] <= toast["y"])
        assert not overlap, (what, toast, other)
    # And it goes within a few seconds (a note stays in "what was drawn").
    page.wait_for_function("() => !document.querySelector('.toast-body')", timeout=10_000)
    assert time.monotonic() - shown_at < 7.5  # Gradio's default: 10 s
    assert "resampled from 16000 Hz" in page.locator("#drawn").inner_text()
    page.close()


# ------------------------------------------------------------------------------------------ 11. accessibility


def _axe(page) -> list[dict]:
    if not AXE.exists() and os.environ.get("MELWAV_AXE_JS"):
        pytest.fail(f"MELWAV_AXE_JS names {AXE}, which does not exist")
    if not AXE.exists():
        pytest.skip(f"axe-core not installed at {AXE} (.ci/run installs it: npm install --no-save axe-core@4)")
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
      .filter(v => v.impact === 'critical' || v.impact === 'serious')
      .map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))""")


@needs_chromium
@pytest.mark.parametrize("theme", [pytest.param("light", marks=pytest.mark.floor), "dark"])
def test_no_critical_or_serious_axe_violations(app_url, browser, theme):
    page = _open(browser, app_url, theme)
    assert page.locator("h1").count() == 1
    violations = _axe(page)
    assert violations == [], violations
    page.close()


@needs_chromium
def test_tab_reaches_the_first_slider_in_4_and_play_in_8_with_a_focus_ring_on_each_kind(app_url, browser):
    page = _open(browser, app_url)
    page.locator("body").click(position={"x": 5, "y": 5})
    stops = []
    for _ in range(8):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("() => { const e = document.activeElement; return [e.type || e.tagName, "
                                   "e.dataset.abc || '']; }"))
    kinds = [k for k, _ in stops]
    assert "range" in kinds[:4], stops
    assert ["submit", "play"] in stops, stops

    def ring(locator):
        locator.focus()
        page.keyboard.press("Shift+Tab")  # focus-visible comes with the keyboard
        page.keyboard.press("Tab")
        return page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                             "return [document.activeElement.type, s.outlineStyle, parseFloat(s.outlineWidth)]; }")

    # Out of the Tab order, still reached from the keyboard: the figure's buttons by arrows from its image, a
    # slider's number box by Enter from its range (Escape goes back).
    image = page.get_by_role("button", name="Log-mel spectrograms, original and augmented (opens full screen)")
    image.focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.dataset.roving") == "figure"
    w = _slider(page, "W: max warp (ms)")
    w.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "number input for W: max warp (ms)"
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "range slider for W: max warp (ms)"
    for locator in (page.locator("#policy input:checked"), page.get_by_role("spinbutton", name="Seed"),
                    page.locator("#abc-box [data-abc=from]")):
        kind, style, width = ring(locator)
        assert style != "none" and width >= 2, (kind, style, width)
    page.close()


# ------------------------------------------------------------------------------------------ 12. a phone


@needs_chromium
def test_a_phone_screen_is_usable(app_url, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(app_url)
    page.locator("#spectrograms img").first.wait_for(timeout=120_000)
    page.wait_for_function("() => { const b = document.querySelector('#abc-box');"
                           " return b && JSON.parse(b.dataset.urls)[2]; }", timeout=120_000)
    page.wait_for_timeout(500)
    img = page.locator("#spectrograms img").first.bounding_box()
    assert img["width"] >= 700  # drawn at a legible size, and it scrolls sideways
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('#controls .head label span'))
      .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.innerText)""")
    assert cut == []
    for name in ("▶ Play", "1 original", "3 augmented"):
        box = page.locator("#abc-box button", has_text=name).bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 844 and box["x"] + box["width"] <= 390, (name, box)
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function(f"() => {ABC}.playing", timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "lesson-phone.png"))
    assert not page.errors, page.errors
    page.close()


@needs_chromium
def test_the_page_numbers_masks_one_way_when_one_has_width_zero(app_url, browser):
    """Issue 21's case on the page: adaptive preset, the music clip, seed 7 (a time mask of width 0)."""
    import re

    page = _open(browser, app_url)
    src = _plot_src(page)
    _tab(page, "Clip")
    page.get_by_text("music.wav", exact=True).click()
    src = _wait_plot_change(page, src)
    page.evaluate("window.scrollTo(0, 0)")
    page.locator("#policy label", has_text="adaptive").click()
    _wait_plot_change(page, src)
    text = page.locator("#drawn").inner_text()
    m = re.search(r"Time masks \((\d+) of (\d+) drawn with width > 0\)", text)
    assert m and int(m.group(1)) < int(m.group(2)), text  # one of width 0
    listed = page.locator("#drawn ol").first.locator("li").count()
    assert listed == int(m.group(1))
    assert page.locator("#drawn ol").first.get_attribute("start") in (None, "1")
    page.close()
