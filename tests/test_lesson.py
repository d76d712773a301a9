"""A live lesson without surprises (issue 21): each surprise a teacher met, driven in a real browser.

One app and one chromium for the module, as in ``test_classroom.py`` (its helpers are used here). Screenshots go
to ``test-artifacts/`` (look at them). axe-core (the npm package) is looked for in ``$MELWAV_AXE_JS``, else
``test-artifacts/node_modules/axe-core/axe.min.js`` (``.ci/run`` installs it there).
"""

from __future__ import annotations

import os
import pathlib

import pytest
from conftest import launched_app
from test_classroom import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LD,
    MUSIC,
    SPEECH,
    _file,
    _open,
    _plot_src,
    _slider,
    _tab,
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


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
    files = client.predict(_file(SPEECH), *{**LD, "seed": 42, "n_time": 3}.values(), api_name="/render")[6]
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
    assert not page.errors, page.errors
    page.close()


# ------------------------------------------------------------------------------------------ 3. one voice


@needs_chromium
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
def test_a_slider_move_while_playing_keeps_sounding_and_switches_at_the_playhead(app_url, browser):
    page = _open(browser, app_url)
    _play(page)
    # Sample the transport every frame: is a set of three sources playing, and where is the playhead.
    page.evaluate(f"""() => {{ const S = {ABC}; window.__samples = [];
      const f = () => {{ window.__samples.push([S.playing && S.srcs.length === 3, S.position(), S.urls]);
                        if (window.__samples.length < 4000) requestAnimationFrame(f); }};
      requestAnimationFrame(f); }}""")
    urls = page.locator("#abc-box").get_attribute("data-urls")
    mt = _slider(page, "mT: time masks")
    mt.focus()
    mt.press("ArrowRight")
    page.wait_for_function("u => document.querySelector('#abc-box').dataset.urls !== u", arg=urls, timeout=90_000)
    page.wait_for_function(f"() => {ABC}.switched && {ABC}.urls === JSON.stringify("
                           "JSON.parse(document.querySelector('#abc-box').dataset.urls))", timeout=30_000)
    page.wait_for_timeout(300)
    samples = page.evaluate("() => window.__samples")
    assert len({s[2] for s in samples}) == 2  # the old versions, then the new ones
    assert all(s[0] for s in samples), "a moment with nothing playing"
    steps = [b[1] - a[1] for a, b in zip(samples, samples[1:])]
    assert min(steps) >= -0.01 and max(steps) < 0.25, (min(steps), max(steps))  # no jump back, no skip ahead
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
