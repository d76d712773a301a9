"""The app as people reach it: gradio_client against a launched app, and a real headless browser.

One app is launched for the module (``prevent_thread_lock=True``) on a free loopback port.
Screenshots go to ``test-artifacts/`` (kept by CI as evidence; look at them).
"""

from __future__ import annotations

import html
import inspect
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import IDLE_JS, launched_app

from melwav_lab.controls import defaults
from melwav_lab.handlers import RESTORED

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEECH = ROOT / "assets" / "speech.wav"
FIGURE_PNG = ROOT / "docs" / "app.png"
MUSIC = ROOT / "assets" / "music.wav"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic",
                 # A fake microphone (a beeping tone) and no permission prompt, for the recording test.
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

pytestmark = pytest.mark.app

# The page's opening values (the LD preset at the default analysis: 22050 Hz, hop 512, 128 mels), by control key.
LD = defaults()
assert (LD["warp_ms"], LD["n_freq_masks"], LD["freq_mask_bands"], LD["n_time_masks"], LD["time_mask_ms"]) == (
    789, 2, 43, 2, 998)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    with launched_app(tmp_path_factory) as (url, _):
        yield url


@pytest.fixture()
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=str(ARTIFACTS / "downloads"))


def _render(client, audio, **overrides):
    from gradio_client import handle_file

    return client.predict(audio=handle_file(str(audio)), **overrides, api_name="/render")


def _path(value) -> str:
    """A file output: a plain path, or the value of a component update."""
    return value["value"] if isinstance(value, dict) else value


def _analysis(path):
    from melwav import MelSettings, load_and_analyse

    return load_and_analyse(path, settings=MelSettings())


def test_named_endpoints(client):
    names = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert {"/render", "/policy", "/solo", "/variety", "/load_params"} <= names


def test_the_deployed_app_keeps_its_start_up_heap_out_of_full_collections(app_url):
    """create() freezes what it loaded (Gradio, librosa, the page): a full collection then walks only what
    came since, instead of stalling every request for ~140 ms on ~400,000 long-lived objects."""
    import gc

    assert gc.get_freeze_count() > 100_000


def test_render_returns_playable_files_and_replayable_params(client, tmp_path):
    plot, drawn, bounds, orig, orig_rebuilt, aug, files = _render(client, SPEECH)
    assert pathlib.Path(plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    analysis = _analysis(SPEECH)
    for player in (orig, orig_rebuilt, aug):
        y, sr = sf.read(_path(player))
        assert sr == 22050 and len(y) == analysis.n_samples
        assert np.all(np.isfinite(y)) and np.max(np.abs(y)) <= 0.99
    assert "Time warp" in drawn and "Frequency masks" in drawn and "Seed 7" in drawn
    assert "34 frames" in bounds
    by_suffix = {pathlib.Path(f).suffix: f for f in files}
    assert set(by_suffix) == {".wav", ".npy", ".png", ".json"}
    mel = np.load(by_suffix[".npy"])
    assert mel.shape == (128, analysis.n_frames)
    assert pathlib.Path(by_suffix[".png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    params = json.loads(pathlib.Path(by_suffix[".json"]).read_text())
    assert params["seed"] == 7 and params["policy"] == "LD"
    # The JSON replays to the same audio, byte for byte, through the command line.
    out = tmp_path / "replayed.wav"
    proc = subprocess.run([sys.executable, "-m", "melwav", str(SPEECH), "-o", str(out), "--params", by_suffix[".json"]],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == pathlib.Path(by_suffix[".wav"]).read_bytes()


def test_players_share_one_gain(client):
    _, _, _, orig, orig_rebuilt, aug, files = _render(client, MUSIC, fill="floor")
    a, _ = sf.read(_path(orig))
    b, _ = sf.read(_path(orig_rebuilt))
    c, _ = sf.read(_path(aug))
    src = _analysis(MUSIC).y
    # One gain for all three: the original player is the clip scaled by it (sample for sample, up to
    # 16-bit rounding), and the loudest of the three players peaks at the output ceiling.
    gain = np.max(np.abs(a)) / np.max(np.abs(src))
    np.testing.assert_allclose(a, src * gain, atol=2 / 32768)
    assert max(np.max(np.abs(x)) for x in (a, b, c)) == pytest.approx(0.98, abs=2e-3)
    rms = lambda x: np.sqrt(np.mean(np.square(x)))  # noqa: E731
    assert abs(20 * np.log10(rms(b) / rms(a))) < 3.0


def test_solo_operations_match_their_definitions(client):
    _render(client, SPEECH, seed=11)
    warp, freq, time, mels, pictures = client.predict(audio=handle_file_(SPEECH), seed=11, api_name="/solo")
    analysis = _analysis(SPEECH)
    for player in (warp, freq, time):
        y, sr = sf.read(_path(player))
        assert len(y) == analysis.n_samples
    # Each operation also comes as a picture (original | that operation alone), captioned.
    assert [item["caption"] for item in pictures] == ["time warp only", "frequency masks only", "time masks only"]
    images = [pathlib.Path(item["image"]).read_bytes() for item in pictures]
    assert all(image[:8] == b"\x89PNG\r\n\x1a\n" for image in images) and len(set(images)) == 3
    by_name = {pathlib.Path(m).name.split("_only")[0].rsplit("_", 1)[-1]: np.load(m) for m in mels}
    L = analysis.L
    warped, freq_only, time_only = by_name["warp"], by_name["freq"], by_name["time"]
    # Warp only: nothing masked, ends kept.
    assert np.array_equal(warped[:, 0], L[:, 0]) and np.array_equal(warped[:, -1], L[:, -1])
    assert not np.array_equal(warped, L)
    # Frequency masks only: rows differ only inside whole masked bands (constant rows).
    changed_rows = np.where(np.any(freq_only != L, axis=1))[0]
    assert changed_rows.size > 0
    assert np.all(np.ptp(freq_only[changed_rows], axis=1) == 0)
    assert np.array_equal(freq_only[~np.isin(np.arange(L.shape[0]), changed_rows)],
                          L[~np.isin(np.arange(L.shape[0]), changed_rows)])
    # Time masks only: columns differ only inside masked frames.
    changed_cols = np.where(np.any(time_only != L, axis=0))[0]
    assert changed_cols.size > 0
    assert np.all(np.ptp(time_only[:, changed_cols], axis=0) == 0)
    keep = ~np.isin(np.arange(L.shape[1]), changed_cols)
    assert np.array_equal(time_only[:, keep], L[:, keep])


def handle_file_(path):
    from gradio_client import handle_file

    return handle_file(str(path))


def test_variety_gives_eight_draws(client):
    seed = LD["seed"]
    gallery = client.predict(audio=handle_file_(SPEECH), api_name="/variety")
    assert len(gallery) == 8
    captions = [item["caption"] for item in gallery]
    assert captions == [f"seed {seed + i}" for i in range(8)]
    images = [pathlib.Path(item["image"]).read_bytes() for item in gallery]
    assert len(set(images)) == 8  # different draws look different


def test_load_params_restores_the_exact_draw(client, tmp_path):
    files = _render(client, SPEECH, seed=99, n_time_masks=4)[6]
    params_path = next(f for f in files if f.endswith(".json"))
    from gradio_client import handle_file

    out = client.predict(params_file=handle_file(params_path), audio=handle_file_(SPEECH), api_name="/load_params")
    restored = dict(zip(("policy", *RESTORED, "audio"), out, strict=True))
    assert restored["policy"] == "custom"  # four time masks: not the LD preset any more
    assert restored["n_time_masks"] == 4 and restored["seed"] == 99 and restored["keep"] is True
    # Render with the restored values and "keep this draw": same audio as the CLI's replay of the JSON.
    files2 = _render(client, SPEECH, **{k: restored[k] for k in RESTORED})[6]
    wav = next(f for f in files2 if f.endswith(".wav"))
    out = tmp_path / "cli.wav"
    proc = subprocess.run([sys.executable, "-m", "melwav", str(SPEECH), "-o", str(out), "--params", params_path],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == pathlib.Path(wav).read_bytes()


def test_params_for_another_clip_get_a_clear_message(client, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    # A clip of the user's own (not a bundled example the params could name and open instead).
    own = _write(tmp_path / "own.wav", _tone_frames(2.0, 22050), 22050, "PCM_16")
    files = _render(client, own, method="fgla", n_iter=2)[6]
    params_path = next(f for f in files if f.endswith(".json"))
    with pytest.raises(AppError, match="made for a clip of"):
        client.predict(params_file=handle_file(params_path), audio=handle_file_(MUSIC), api_name="/load_params")
    # The app still works afterwards.
    assert _render(client, MUSIC)[5]


def test_bad_audio_gets_a_readable_message(client, tmp_path):
    from gradio_client.exceptions import AppError

    fake = tmp_path / "notes.wav"
    fake.write_text("this is not audio\n" * 50)
    with pytest.raises(AppError, match="not an audio file"):
        _render(client, fake)
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(22050, dtype=np.float32), 22050)
    with pytest.raises(AppError, match="silent"):
        _render(client, silent)
    with pytest.raises(AppError, match="seed"):
        _render(client, SPEECH, seed=-3)


# ------------------------------------------------------------------------------------------ browser

needs_chromium = pytest.mark.skipif(
    not pathlib.Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="Debian chromium not installed"
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _plot_src(page) -> str:
    img = page.locator("#spectrograms img").first
    img.wait_for(timeout=120_000)
    return img.get_attribute("src")


def _wait_plot_change(page, old: str, timeout_s: float = 120) -> str:  # generous: CI machines are shared
    page.wait_for_function(
        "old => { const i = document.querySelector('#spectrograms img'); return i && i.getAttribute('src') !== old; }",
        arg=old, timeout=timeout_s * 1000)
    return _plot_src(page)


def _wait_idle(page) -> None:
    """Wait until no event is running (no progress bar or timer on the page)."""
    page.wait_for_function(
        IDLE_JS, timeout=120_000)


@pytest.mark.browser
@needs_chromium
@pytest.mark.parametrize("theme", [pytest.param("light", marks=pytest.mark.floor), "dark"])
def test_browser_page_example_slider_and_teaching(app_url, browser, theme):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{app_url}?__theme={theme}")
    first = _plot_src(page)  # the page renders the default example on load
    page.locator("#drawn", has_text="Time warp").wait_for()
    _wait_idle(page)
    # Pick the other bundled example: the plot changes.
    page.get_by_role("tab", name="Clip", exact=True).click()
    page.get_by_role("button", name="music.wav").first.click()
    after_example = _wait_plot_change(page, first)
    # Move a slider from the keyboard: the plot updates.
    slider = page.get_by_role("slider", name="mT: time masks")
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    after_slider = _wait_plot_change(page, after_example)
    assert after_slider != after_example
    # Three playable clips with sources.
    page.wait_for_function(
        "() => document.querySelectorAll('audio[src], audio source[src]').length >= 3 || "
        "Array.from(document.querySelectorAll('[data-testid=\"waveform-1 · original clip\"], .component-wrapper'))"
        ".length >= 3", timeout=60_000)
    for label in ("1 · original clip", "2 · original mel rebuilt", "3 · augmented mel rebuilt"):
        assert page.get_by_text(label).first.is_visible()
    _wait_idle(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"page-{theme}.png"), full_page=False)
    page.screenshot(path=str(ARTIFACTS / f"page-{theme}-full.png"), full_page=True)
    # Teaching: the grid of draws appears; picking one makes it current (plot and text change).
    page.get_by_role("tab", name="Teaching tools", exact=True).click()
    page.get_by_role("button", name="Show 8 draws of these settings").click()
    thumbs = page.locator("[data-testid='gallery'] img, .gallery img, button.thumbnail-item img")
    thumbs.nth(7).wait_for(timeout=60_000)
    assert thumbs.count() >= 8
    drawn_seed = page.locator("strong", has_text=re.compile(r"^Seed \d+$")).first
    text_before = drawn_seed.inner_text()
    plot_before = _plot_src(page)
    thumbs.nth(3).click()
    _wait_plot_change(page, plot_before)
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('strong')).some(s => /^Seed \\d+$/.test(s.innerText) && s.innerText !== t)",
        arg=text_before, timeout=60_000)
    assert drawn_seed.inner_text() != text_before
    page.get_by_role("tab", name="About", exact=True).click()
    page.get_by_text("How the audio is rebuilt").first.wait_for(timeout=10_000)
    _wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / f"teaching-{theme}.png"), full_page=True)
    assert not errors, errors
    page.close()


def teardown_module(module):
    shutil.rmtree(ARTIFACTS / "downloads", ignore_errors=True)


# ------------------------------------------------------------------------------------- odd input files


def _write(path, y, sr, subtype=None):
    sf.write(path, y, sr, subtype=subtype)
    return path


def _tone_frames(seconds, sr, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 440 * t)
    return np.stack([y] * channels, axis=1) if channels > 1 else y


@pytest.mark.parametrize("name, seconds, sr, channels, subtype", [
    ("six_channels.wav", 2.0, 22050, 6, "PCM_16"),
    ("phone_8k.wav", 2.0, 8000, 1, "PCM_16"),
    ("studio_96k.flac", 2.0, 96000, 2, "PCM_24"),
    ("float.wav", 2.0, 44100, 1, "FLOAT"),
])
def test_odd_but_valid_files_render_at_the_analysis_rate(client, tmp_path, name, seconds, sr, channels, subtype):
    path = _write(tmp_path / name, _tone_frames(seconds, sr, channels), sr, subtype)
    out = _render(client, path, method="fgla", n_iter=4)
    y, out_sr = sf.read(_path(out[5]))
    assert out_sr == 22050 and abs(len(y) - seconds * 22050) <= 1
    assert np.all(np.isfinite(y))


def test_long_clip_is_trimmed_with_the_cap_in_the_files(client, tmp_path):
    path = _write(tmp_path / "long.wav", _tone_frames(40.0, 8000), 8000, "PCM_16")
    out = _render(client, path, method="fgla", n_iter=2)
    y, _ = sf.read(_path(out[5]))
    assert len(y) == 30 * 22050  # the app keeps the first 30 s (and says so in a message)


def test_nan_samples_are_zeroed_and_the_result_is_finite(client, tmp_path):
    y = _tone_frames(2.0, 22050).astype(np.float32)
    y[1000:1100] = np.nan
    path = _write(tmp_path / "nan.wav", y, 22050, "FLOAT")
    out = _render(client, path, method="fgla", n_iter=2)
    assert np.all(np.isfinite(sf.read(_path(out[5]))[0]))


def test_file_over_max_file_size_is_refused(client, tmp_path):
    big = tmp_path / "big.wav"
    # 30 MB of float audio: over the app's 25 MB cap.
    _write(big, np.zeros(int(30e6 / 4), dtype=np.float32) + 0.1, 44100, "FLOAT")
    # gradio_client refuses it before sending (the server's limit is in the config it reads).
    with pytest.raises(ValueError, match="exceeds the maximum file size of 26214400 bytes"):
        _render(client, big)


def test_extreme_sliders_give_messages_or_clean_output(client):
    # More masks than bands, masks wider than the spectrogram, W longer than the clip, p = 0, no iterations.
    out = _render(client, SPEECH, n_freq_masks=20, freq_mask_bands=128, n_time_masks=40, time_mask_ms=3000,
                  warp_ms=2000, max_time_ratio=0.0, n_iter=0, method="fgla")
    y, _ = sf.read(_path(out[5]))
    assert np.all(np.isfinite(y))
    assert "Time masks" in out[1]


@pytest.mark.browser
@needs_chromium
def test_browser_upload_bad_then_good_file(app_url, browser, tmp_path):
    """Uploading a non-audio file shows a readable message in the page; the next good upload still works."""
    bad = tmp_path / "holiday_photo.wav"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    good = _write(tmp_path / "six_channels_8k.wav", _tone_frames(1.5, 8000, 6), 8000, "PCM_16")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    first = _plot_src(page)
    _wait_idle(page)
    page.get_by_role("tab", name="Clip", exact=True).click()
    page.locator("#clip").get_by_role("button", name="Clear").click()
    page.locator("#clip input[type=file]").set_input_files(str(bad))
    toast = page.get_by_text("is not an audio file melwav can read")
    toast.first.wait_for(timeout=60_000)
    assert toast.first.is_visible()
    page.wait_for_timeout(700)  # let the toast finish sliding in before the screenshot
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bad-upload.png"))
    assert "Traceback" not in page.inner_text("body")
    _wait_idle(page)
    page.locator("#clip").get_by_role("button", name="Clear").click()
    page.locator("#clip input[type=file]").set_input_files(str(good))
    _wait_plot_change(page, first)
    page.get_by_text("mixed 6 channels to mono").first.wait_for(timeout=60_000)
    page.close()


_CONTROLS_JS = """() => {
  const out = [];
  const sel = 'input, select, textarea, button, [role=slider], [role=combobox], [role=checkbox]';
  for (const e of document.querySelectorAll(sel)) {
    const r = e.getBoundingClientRect();
    if ((r.width === 0 && r.height === 0) || e.type === 'hidden' || e.type === 'file') continue;
    if (e.closest('[aria-hidden="true"]')) continue;  // e.g. Gradio's hidden copy of the tab bar, for measuring
    let name = e.getAttribute('aria-label') || '';
    if (!name && e.getAttribute('aria-labelledby'))
      name = e.getAttribute('aria-labelledby').split(' ').map(id => (document.getElementById(id) || {}).innerText || '').join(' ');
    if (!name && e.labels && e.labels.length) name = Array.from(e.labels).map(l => l.innerText).join(' ');
    if (!name) name = (e.innerText || e.title || e.placeholder || '').trim();
    out.push({html: e.outerHTML.slice(0, 160), name: name.trim(), tabindex: e.tabIndex, disabled: !!e.disabled,
              roving: e.dataset.roving || ''});
  }
  return out;
}"""


@pytest.mark.browser
@needs_chromium
def test_every_control_has_a_name_and_is_keyboard_reachable(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    _plot_src(page)
    _wait_idle(page)
    controls = []
    for tab in ("Clip", "More settings", "Teaching tools", "Recipes", "Analysis", "Downloads", "About"):
        page.get_by_role("tab", name=tab, exact=True).click()
        page.wait_for_timeout(200)
        controls += page.evaluate(_CONTROLS_JS)
    # Tabs use a roving tabindex (arrow keys move between them): one stop for the tab list is right.
    controls = [c for c in controls if 'role="tab"' not in c["html"]]
    assert len(controls) > 40
    unnamed = [c["html"] for c in controls if not c["name"]]
    # Out of the Tab order but reached with other keys (data-roving; tests/test_lesson.py drives them).
    unreachable = [c["html"] for c in controls if c["tabindex"] < 0 and not c["disabled"] and not c["roving"]]
    assert not unnamed, unnamed
    assert not unreachable, unreachable
    # The main sliders answer the keyboard.
    slider = page.get_by_role("slider", name="F: max bands")
    slider.focus()
    before = slider.input_value()
    slider.press("ArrowLeft")
    assert slider.input_value() != before
    page.close()


@pytest.mark.browser
@needs_chromium
def test_browser_records_from_the_microphone(app_url, browser):
    """Record with chromium's fake microphone: the recording is decoded by melwav and rendered."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, permissions=["microphone"])
    page = context.new_page()
    page.goto(app_url)
    first = _plot_src(page)
    _wait_idle(page)
    page.get_by_role("tab", name="Clip", exact=True).click()
    clip = page.locator("#clip")
    clip.get_by_role("button", name="Clear").click()
    clip.get_by_role("button", name="Record audio").click()
    clip.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_timeout(2500)
    clip.get_by_role("button", name="Stop").first.click()
    _wait_plot_change(page, first)
    _wait_idle(page)
    # The rebuilt clip of the recording plays for about as long as was recorded.
    assert page.get_by_text("3 · augmented mel rebuilt").first.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recorded.png"))
    context.close()


def test_policy_endpoint_converts_the_paper_units(client):
    # SS (Park et al. 2019): W 40, F 27 of 80, mF 2, T 70 at 10 ms, p 0.2, mT 2; here hop 512 at 22050 Hz.
    out = client.predict(policy="SS", api_name="/policy")  # the analysis: the page's (22050, 2048, 512, 128)
    warp_ms, n_freq, freq_bands, n_time, time_ms, p, width_ratio, per_frame = out
    hop_ms = 512 / 22050 * 1000
    assert round(warp_ms / hop_ms) == round(400 / hop_ms) == 17
    assert (n_freq, freq_bands, n_time, p) == (2, round(27 * 128 / 80), 2, 0.2)
    assert round(time_ms / hop_ms) == round(700 / hop_ms) == 30
    assert (width_ratio, per_frame) == (0.0, 0.0)
    # At the paper's own analysis (10 ms, 80 mels) the numbers come back unchanged.
    out = client.predict(policy="SS", sr=16000, n_fft=512, hop=160, n_mels=80, api_name="/policy")
    assert list(out[:5]) == [400, 2, 27, 2, 700]


def test_quiet_recording_is_brought_up_for_listening(client, tmp_path):
    path = _write(tmp_path / "whisper.wav", 0.01 / 0.3 * _tone_frames(2.0, 22050), 22050, "PCM_16")  # -40 dBFS
    out = _render(client, path, method="fgla", n_iter=4)
    a, _ = sf.read(_path(out[3]))
    # All three players get the same boost, at most 30 dB: the -40 dBFS clip plays at -10 dBFS.
    assert np.max(np.abs(a)) == pytest.approx(0.01 * 10 ** 1.5, rel=0.02)
    # The download keeps the rebuild's own scale (what the command line writes).
    wav = next(f for f in out[6] if f.endswith(".wav"))
    assert np.max(np.abs(sf.read(wav)[0])) < 0.05


# ------------------------------------------------------------------------ the page's render, called directly

@pytest.fixture()
def app_module(monkeypatch, tmp_path):
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    monkeypatch.setenv("MELWAV_WORK_DIR", str(tmp_path))
    from melwav_lab import app

    return app


def _steps(app_module, audio, **values):
    """render_page's steps, called by keyword: every input not given is the page's opening value."""
    return list(app_module.render_page(audio=audio if audio is None else str(audio), **values))


def _data(html_text: str, name: str):
    """A data attribute of the transport's data element (transport_data_html), parsed."""
    return json.loads(html.unescape(html_text.split(f'data-{name}="')[1].split('"')[0]))


def test_render_page_yields_the_picture_then_the_audio(app_module):
    import gradio as gr

    skip = gr.skip()
    steps = _steps(app_module, SPEECH)  # the Downloads tab closed: two steps
    names = app_module.PAGE_OUTPUTS
    assert len(steps) == 2 and all(len(step) == len(names) == 9 for step in steps)
    first, second = (dict(zip(names, step)) for step in steps)
    # First the figure, the text, the bounds, the page's state and the figure's panels for the transport's
    # cursor; the audio is left as it is.
    assert pathlib.Path(first["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Seed 7" in first["drawn"] and "34 frames" in first["bounds"]
    assert first["state"].seed == 7 and first["state"].record and first["state"].figure == first["plot"]
    assert 'id="abc-data"' in first["transport_data"] and 'data-for=""' in first["transport_data"]
    assert all(first[k] == skip for k in names[5:])
    # Then the three WAVs for the transport and the players, with what they were made for (the transport keeps
    # recipe B's voice out of other draws) and the players' labels; the downloads to write and the players'
    # key. The figure has no third panel: it is left as it is.
    assert {k for k in names if second[k] != skip} == {"transport_files", "transport_data", "pending_downloads",
                                                        "players_key"}
    n = _analysis(SPEECH).n_samples
    assert len(second["transport_files"]) == 3
    for f in second["transport_files"]:
        y, sr = sf.read(f)
        assert sr == 22050 and len(y) == n
    made = _data(second["transport_data"], "for")
    assert made["seed"] == 7 and made["clip"] and made["recipe"] == ""
    labels = _data(second["transport_data"], "labels")
    assert set(labels) == {"a_orig_rebuilt", "a_aug"} and all(" · SC -" in t and t.endswith(" dB") for t in labels.values())
    assert second["pending_downloads"]["figure"] == pathlib.Path(first["plot"])
    assert second["players_key"]
    # The downloads written after it hold the augmented WAV that the command line makes for the params.
    files = app_module.show_downloads(second["pending_downloads"])
    assert {pathlib.Path(f).suffix for f in files} == {".wav", ".npy", ".png", ".json"}


def test_render_page_writes_the_downloads_last_while_their_tab_is_open(app_module):
    import gradio as gr

    names = app_module.PAGE_OUTPUTS
    tab = {"open": True}
    steps = [dict(zip(names, step)) for step in _steps(app_module, SPEECH, downloads_tab=tab)]
    assert len(steps) == 3 and steps[1]["transport_files"] != gr.skip()
    assert all(v == gr.skip() for k, v in steps[2].items() if k != "files")
    assert sorted(pathlib.Path(f).suffix for f in steps[2]["files"]) == [".json", ".npy", ".png", ".wav"]
    # The tab closed while a render runs (tab_opened changes the holder in place): no downloads step.
    renders = app_module.render_page(audio=str(SPEECH), downloads_tab=tab, seed=8)
    next(renders)
    tab["open"] = False
    assert len(list(renders)) == 1


def test_render_page_sends_the_unaugmented_audio_only_when_it_changes(app_module):
    names = app_module.PAGE_OUTPUTS
    picture, sound = (dict(zip(names, step)) for step in _steps(app_module, SPEECH))
    key, state = sound["players_key"], picture["state"]
    _, again = (dict(zip(names, step)) for step in _steps(app_module, SPEECH, state=state, players_key=key, seed=8))
    # The page has the two unaugmented clips: the augmented WAV comes alone, with its player's label alone.
    assert len(again["transport_files"]) == 1 and again["transport_files"][0] != sound["transport_files"][2]
    assert set(_data(again["transport_data"], "labels")) == {"a_aug"} and again["players_key"] == key


def test_render_page_with_the_rebuilt_mel_panel_sends_the_figure_again(app_module):
    picture, sound = _steps(app_module, SPEECH, show_rebuilt=True, method="fgla", n_iter=2)
    assert sound[0] != picture[0] and pathlib.Path(sound[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_page_of_a_cleared_clip_leaves_the_page_as_it_is(app_module):
    import gradio as gr

    assert _steps(app_module, None) == [tuple(gr.skip() for _ in app_module.PAGE_OUTPUTS)]


def test_render_page_of_a_bad_clip_is_one_message(app_module, tmp_path):
    import gradio as gr

    fake = tmp_path / "notes.wav"
    fake.write_text("this is not audio\n" * 50)
    with pytest.raises(gr.Error) as info:
        _steps(app_module, fake)
    assert info.value.message == "notes.wav is not an audio file melwav can read (Format not recognised.)"
    with pytest.raises(gr.Error) as info:
        _steps(app_module, SPEECH, seed=-3)
    assert "seed" in info.value.message and "Traceback" not in info.value.message


def test_friendly_generator_keeps_its_steps_and_makes_an_error_one_message(app_module, caplog):
    import gradio as gr

    from melwav.errors import ParameterError

    @app_module.friendly
    def steps(fail):
        yield "picture"
        if fail == "ours":
            raise ParameterError("<b>bad</b> value")
        if fail == "bug":
            raise KeyError("x")
        yield "audio"

    assert inspect.isgeneratorfunction(steps)  # Gradio streams a generator's steps only
    assert list(steps(None)) == ["picture", "audio"]
    run = steps("ours")
    assert next(run) == "picture"
    with pytest.raises(gr.Error) as info:
        next(run)
    assert info.value.message == "&lt;b>bad&lt;/b> value" and info.value.print_exception is False
    run = steps("bug")
    assert next(run) == "picture"
    with pytest.raises(gr.Error) as info:
        next(run)
    assert info.value.message == "Something went wrong inside melwav (KeyError); try other settings."
    assert "unexpected error in steps" in caplog.text


def test_the_page_event_does_gradios_widget_checks_in_its_own_thread(app_module, caplog):
    """render_page's event skips Gradio's per-widget thread hops (processed_here); the widgets' checks stay."""
    import gradio as gr

    with gr.Blocks():
        slider = gr.Slider(0, 10, step=1, label="mT: time masks")
        choice = gr.Dropdown([16000, 22050], value=22050, label="Sample rate (Hz)")
        clip = gr.Audio(type="filepath")
        state = gr.State()
        image = gr.Image(type="filepath")
        player = gr.Audio(type="filepath")
    seen = []

    def handler(n, sr, path, held):
        seen.append((n, sr, path, held))
        yield FIGURE_PNG, gr.update(value=str(SPEECH), label="3 · new"), {"kept": 1}
        yield gr.skip(), gr.skip(), gr.skip()

    fn = app_module.processed_here(handler, [slider, choice, clip, state], [image, player, state])
    import gradio.processing_utils

    probed = []  # as on a Space: ffmpeg there, so gr.Audio.postprocess would probe every clip
    utils = gradio.processing_utils
    real = utils.ffmpeg_installed, utils.audio_is_playable
    utils.ffmpeg_installed, utils.audio_is_playable = (lambda: True), (lambda path: probed.append(path) or True)
    clip_payload = {"path": str(SPEECH), "meta": {"_type": "gradio.FileData"}}
    try:
        first, second = list(fn(3, 22050, clip_payload, {"x": 1}))
        assert player.postprocess(str(SPEECH)) and probed == [str(SPEECH)]  # the probe is what it would cost
        probed.clear()
    finally:
        utils.ffmpeg_installed, utils.audio_is_playable = real
    assert seen == [(3, 22050, str(SPEECH), {"x": 1})]
    assert first[0]["path"] == str(FIGURE_PNG) and first[1]["value"]["path"] == str(SPEECH)
    assert first[1]["label"] == "3 · new" and first[2] == {"kept": 1}
    # A player's WAV (melwav's 16-bit PCM) is handed over as Gradio would make it, without probing it.
    assert probed == [] and first[1]["value"] == player.postprocess(str(SPEECH)).model_dump()
    assert second == (gr.skip(), gr.skip(), gr.skip())
    with pytest.raises(gr.Error) as info:
        list(fn(11, 22050, clip_payload, None))
    assert info.value.message == "Value 11 is greater than maximum value 10."  # Gradio's own check, one line
    with pytest.raises(gr.Error) as info:
        list(fn(3, 12345, clip_payload, None))
    assert "12345" in info.value.message and "Traceback" not in caplog.text


def test_the_page_render_takes_the_controls_as_one_checked_pack(app_module):
    """The page's render gets the controls as one JSON list (pack_js); each value passes its widget's own checks,
    and a pack the page could not have sent is one message."""
    import gradio as gr

    from melwav_lab import compat

    with gr.Blocks():
        slider = gr.Slider(0, 10, step=1, label="mT: time masks")
        choice = gr.Dropdown([16000, 22050], value=22050, label="Sample rate (Hz)")
        tick = gr.Checkbox(value=True, label="Keep this draw")
    seen = []

    def handler(audio, n, sr, keep, theme):
        seen.append((audio, n, sr, keep, theme))
        yield "picture"

    fn = compat.unpacking(handler, 1, [slider, choice, tick])
    assert list(inspect.signature(fn).parameters) == ["audio", "controls", "theme"]
    assert list(fn("clip.wav", json.dumps([3, 22050, False]), "dark")) == ["picture"]
    assert seen == [("clip.wav", 3, 22050, False, "dark")]
    for bad in ("[3, 22050]", "{", '{"n": 3}', None, "[" + "1," * 3000 + "1]"):
        with pytest.raises(gr.Error) as info:
            list(fn("clip.wav", bad, "light"))
        assert info.value.message == compat.BAD_PACK
    with pytest.raises(gr.Error) as info:
        list(fn("clip.wav", json.dumps([11, 22050, True]), "light"))
    assert info.value.message == "Value 11 is greater than maximum value 10."
    with pytest.raises(gr.Error) as info:
        list(fn("clip.wav", json.dumps([3, 12345, True]), "light"))
    assert "12345" in info.value.message
    assert len(seen) == 1


def test_the_page_render_event_has_the_pack_in_place_of_the_controls(app_module):
    """Six inputs reach the page's render: the clip, the pack, the page's state and what the page adds."""
    demo = app_module.build()
    renders = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "render_page"]
    assert renders
    labels = {getattr(b, "label", None) for f in renders for b in f.inputs}
    assert "the controls' values" in labels and "mT: time masks" not in labels
    assert {len(f.inputs) for f in renders} == {6}
