"""The lab's "Compare recipes" tab (issue 23) and the one-click framework analysis (issue 22, item 10), through
``gradio_client`` against a launched app, as a script or the page reaches them."""

from __future__ import annotations

import pathlib

import pytest
from conftest import launched_app
from test_classroom import _open, needs_chromium

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"
ESPNET = (ROOT / "examples" / "espnet_librispeech_conformer.yaml").read_text()

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, _):
        yield url


@pytest.fixture()
def client(app_url, tmp_path):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=str(tmp_path))


def test_native_analysis_needs_an_imported_recipe_then_draws_its_numbers_exactly(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Import a training config first"):
        client.predict(api_name="/native_analysis")
    client.predict(config=ESPNET, framework="auto", api_name="/import_recipe")
    out = client.predict(api_name="/native_analysis")
    sr, n_fft, hop, n_mels, policy, warp_ms, n_freq_masks, freq_mask_bands = out[:8]
    assert (sr, n_fft, hop, n_mels) == (16000, 512, 160, 80)  # ESPnet's LibriSpeech front end (frontend_conf)
    assert policy == "custom"
    # W = 5 frames of 10 ms is 50 ms exactly here (at the default 23.2 ms frames it was 2 frames, 46 ms).
    assert warp_ms == pytest.approx(50.0) and (n_freq_masks, freq_mask_bands) == (2, 27)
    assert "drawn exactly as written" in out[-1]


def test_compare_recipes_draws_a_and_b_and_plays_b_on_the_clip(client):
    from gradio_client import handle_file

    plot, table, audio = client.predict(audio=handle_file(str(SPEECH)), compare_with="LB", n_iter=4, method="fgla",
                                        api_name="/compare_recipes")
    assert plot is not None  # a matplotlib figure, sent as an image
    rows = [line for line in table.splitlines() if line.startswith("| A: the sliders") or line.startswith("| B: LB")]
    assert len(rows) == 2 * 6  # each recipe at 1, 2, 5, 10, 20 and 30 s
    assert audio["label"].startswith("B: LB, augmented mel rebuilt")  # a player update: its file and its label
    assert pathlib.Path(audio["value"]).read_bytes()[:4] == b"RIFF"


def test_compare_with_the_imported_config_needs_one(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="Import a training config first"):
        client.predict(compare_with="imported config", audio=None, api_name="/compare_recipes")


def test_compare_recipes_says_what_b_was_made_for_and_hands_the_players_file_to_the_transport(tmp_path, monkeypatch):
    """In process: what B was made for (the clip's digest, the page's seed, the B chosen), and B's voice for the
    transport: the B player's own file (the path Gradio gives the next event), its label escaped."""
    import html
    import json
    import re

    from melwav_lab.handlers import compare_recipes, render
    from melwav_lab.transport import compare_voice_update, draw_context

    monkeypatch.setenv("MELWAV_WORK_DIR", str(tmp_path))
    state = render(audio=str(SPEECH), seed=11, n_iter=4, method="fgla")[-1]
    *_, player, made = compare_recipes(audio=str(SPEECH), compare_with="SS", seed=99, n_iter=4, method="fgla",
                                       state=state)
    assert made["for"]["seed"] == 11  # the page's draw's seed, not the seed box's
    assert made["for"]["with"] == "SS" and "recipe" not in made["for"]  # a preset's B: no imported config in it
    assert made["for"]["clip"] == draw_context(state.clip, "fgla", 4, 11)["clip"]
    assert made["label"] == "B: SS, seed 11" and made["name"] == "SS"
    voice = compare_voice_update(a_compare="/cache/copy of/b.wav", compare_for=made)
    attrs = {k: html.unescape(v) for k, v in re.findall(r'data-b-([a-z]+)="([^"]*)"', voice)}
    assert attrs["url"] == "gradio_api/file=/cache/copy of/b.wav"
    assert json.loads(attrs["for"]) == made["for"] and attrs["label"] == made["label"]
    assert pathlib.Path(player["value"]).read_bytes()[:4] == b"RIFF"
    assert compare_voice_update(a_compare=None, compare_for=made) == {"__type__": "update"}  # gr.skip(): as it is


def test_b_voice_text_is_escaped():
    from melwav_lab.transport import compare_voice_html

    text = compare_voice_html('x"><script>', "B: <b>x</b>", {"with": '"><i>'}, "<i>")
    assert "<script>" not in text and "<b>" not in text and "<i>" not in text


# ------------------------------------------------------------------------------------------ in a real browser

ABC = "window.melwav.abc"


def _s(page, expr):
    return page.evaluate(f"() => {{ const S = {ABC}; return {expr}; }}")


def _b_player_url(page) -> str:
    """The B player's own file, as its download link names it (absolute)."""
    return page.evaluate("() => new URL(document.querySelector('#p-compare a[download]').getAttribute('href'), "
                         "document.baseURI).href")


def _compare(page, with_=None):
    from test_classroom import _choose, _tab, _wait_idle

    if page.get_by_role("tab", name="Compare recipes", exact=True).count():
        _tab(page, "Compare recipes")
    else:  # a narrow screen: the tab is in Gradio's "More tabs" menu
        page.get_by_role("button", name="More tabs").click()
        page.locator(".overflow-dropdown button", has_text="Compare recipes").click()
    if with_:
        _choose(page, "Recipe B", with_)
    old = page.evaluate("() => document.querySelector('#b-voice').dataset.bUrl")
    page.get_by_role("button", name="Compare A and B").click()
    page.wait_for_function(f"old => {{ const b = document.querySelector('#b-voice').dataset.bUrl; "
                           f"return b && b !== old && {ABC}.b.url; }}", arg=old, timeout=120_000)
    _wait_idle(page)
    assert _s(page, "S.b.url") == _b_player_url(page)  # the transport's B is the B player's file


def _playing_b(page) -> list:
    """Which file the transport's heard voice plays, once B's buffer is in (four sources, one heard)."""
    page.wait_for_function(f"() => {ABC}.playing && {ABC}.srcs.length === 4 && {ABC}.urls === "
                           f"JSON.stringify([...JSON.parse(document.querySelector('#abc-box').dataset.urls).map("
                           f"u => new URL(u, document.baseURI).href), {ABC}.b.url])", timeout=30_000)
    page.wait_for_timeout(200)
    return _s(page, "[JSON.parse(S.urls)[S.gains.findIndex(g => g.gain.value > 0.5)], "
                    "S.gains.filter(g => g.gain.value > 0.5).length]")


def _b_button(page):
    return page.locator('#abc-box [data-abc="3"]')


@needs_chromium
def test_the_transport_switches_between_a_and_b_at_the_same_playhead_and_drops_a_stale_b(app_url, browser):
    from test_classroom import _plot_src, _slider, _tab, _wait_plot_change

    page = _open(browser, app_url)
    # The main view as it was: no fourth voice, key 4 does nothing.
    assert not _b_button(page).is_visible() and _s(page, "S.b.url") == ""
    page.keyboard.press("4")
    assert _s(page, "S.active") == 2
    _compare(page)  # B: LB
    assert _b_button(page).is_visible() and _b_button(page).inner_text() == "4 B: LB"
    status = page.locator("#b-voice .b-status")
    assert "In the transport as voice 4: B: LB, seed 7" in status.inner_text()
    # Play A, switch to B with the key: same playhead, still playing, B's file heard alone.
    page.locator("#b-voice [data-abc=play]").click()
    page.wait_for_function(f"() => {ABC}.playing && {ABC}.position() > 0.5", timeout=30_000)
    t = _s(page, "S.position()")
    page.keyboard.press("4")
    b_url = _s(page, "S.b.url")
    assert _playing_b(page) == [b_url, 1]
    assert _s(page, "S.active") == 3 and _s(page, "S.playing") and _s(page, "S.position()") > t  # no restart
    assert page.locator("#b-voice [aria-pressed=true]").inner_text() == "4 B: LB"
    assert "4 B: LB, seed 7" in page.locator("#abc-box .abc-now").inner_text()
    # A loop holds across 3 <-> 4; the buttons of the Compare tab switch the same transport.
    page.locator("#abc-box [data-abc=from]").fill("1")
    page.locator("#abc-box [data-abc=to]").fill("1.8")
    page.locator("#abc-box [data-abc=to]").press("Enter")
    page.locator('#b-voice [data-abc="2"]').click()
    assert _s(page, "S.active") == 2
    page.locator('#b-voice [data-abc="3"]').click()
    page.wait_for_timeout(300)
    assert _s(page, "S.loop") == [1, 1.8] and 1 <= _s(page, "S.position()") <= 1.8 and _s(page, "S.active") == 3
    # A slider move changes A only: B stays in, and stays heard.
    src = _plot_src(page)
    mt = _slider(page, "mT: time masks")
    mt.focus()
    mt.press("ArrowRight")
    src = _wait_plot_change(page, src)
    assert _s(page, "S.active") == 3 and _s(page, "S.b.url") == b_url
    assert _playing_b(page) == [b_url, 1]
    # A new draw (another seed): B was drawn with seed 7, so it leaves; A is heard, at the same playhead.
    page.locator("#reroll").click()
    src = _wait_plot_change(page, src)
    page.wait_for_function(f"() => !{ABC}.b.url && {ABC}.active === 2", timeout=30_000)
    assert not _b_button(page).is_visible() and not page.locator('#b-voice [data-abc="3"]').is_visible()
    assert "out of the transport: it was drawn with seed 7" in status.inner_text()
    page.wait_for_function(f"() => JSON.parse({ABC}.urls).length === 3", timeout=30_000)
    assert _s(page, "S.playing") and _s(page, "S.loop") == [1, 1.8]
    page.keyboard.press("4")
    assert _s(page, "S.active") == 2
    # Compare again with another B: in again, under its own name; then another B chosen: out until compared.
    _compare(page, "SS")
    assert _b_button(page).inner_text() == "4 B: SS" and _s(page, "S.b.url") != b_url
    page.keyboard.press("4")
    b_url = _s(page, "S.b.url")
    assert _playing_b(page) == [b_url, 1]
    from test_classroom import _choose

    _choose(page, "Recipe B", "LD")
    page.wait_for_function(f"() => !{ABC}.b.url && {ABC}.active === 2", timeout=10_000)
    assert "recipe B is LD now" in status.inner_text()
    _compare(page)  # LD, heard
    page.keyboard.press("4")
    # Another tab: keys still work, B still in.
    _tab(page, "Clip")
    page.keyboard.press("3")
    page.keyboard.press("4")
    assert _s(page, "S.active") == 3
    # A new clip: B leaves at once and never plays with the new clip's versions.
    page.get_by_text("music.wav", exact=True).click()
    page.wait_for_function(f"() => !{ABC}.b.url", timeout=60_000)
    assert _s(page, "S.active") == 2
    _wait_plot_change(page, src)
    page.wait_for_function("() => JSON.parse(document.querySelector('#abc-box').dataset.context || '{}').orig"
                           ".includes('music')", timeout=60_000)
    assert _s(page, "S.b.url") == "" and "another clip" in status.inner_text()
    page.keyboard.press("4")
    assert _s(page, "S.active") == 2
    page.locator("#abc-box [data-abc=play]").click()
    page.wait_for_function(f"() => {ABC}.playing && {ABC}.bufs", timeout=30_000)
    assert len(_s(page, "JSON.parse(S.urls)")) == 3 and b_url not in _s(page, "S.urls")
    assert not page.errors, page.errors
    page.close()


@needs_chromium
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_compare_view_with_b_in_the_transport_is_accessible_and_fits(app_url, browser, theme):
    from test_classroom import ARTIFACTS
    from test_lesson import _axe

    page = _open(browser, app_url, theme)
    _compare(page)
    page.locator("#b-voice").scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"compare-{theme}.png"))
    box = page.locator("#b-voice").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280
    violations = _axe(page)
    assert violations == [], violations
    # The first screen, scrolled back: the transport with its fourth button, nothing else moved.
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    b = _b_button(page).bounding_box()
    assert b and b["y"] + b["height"] <= 720 and b["x"] + b["width"] <= 1280
    page.screenshot(path=str(ARTIFACTS / f"compare-first-screen-{theme}.png"))
    page.close()


@needs_chromium
def test_b_in_the_transport_on_a_phone(app_url, browser):
    from test_classroom import ARTIFACTS

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(app_url)
    page.wait_for_function("() => { const b = document.querySelector('#abc-box');"
                           " return b && JSON.parse(b.dataset.context || '{}').clip; }", timeout=120_000)
    _compare(page)
    for where in ("#abc-box", "#b-voice"):
        button = page.locator(f'{where} [data-abc="3"]')
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 844 and 0 <= box["x"] and box["x"] + box["width"] <= 390
    page.locator('#abc-box [data-abc="3"]').click()
    page.locator("#abc-box [data-abc=play]").click()
    assert _playing_b(page)[0] == _s(page, "S.b.url")
    page.screenshot(path=str(ARTIFACTS / "compare-phone.png"))
    assert not page.errors, page.errors
    page.close()
