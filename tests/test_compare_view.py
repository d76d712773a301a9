"""The lab's "Compare recipes" tab (issue 23) and the one-click framework analysis (issue 22, item 10), through
``gradio_client`` against a launched app, as a script or the page reaches them."""

from __future__ import annotations

import pathlib

import pytest
from conftest import launched_app

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
