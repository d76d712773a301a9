"""Issue 8's user-facing wiring: ``--config`` / ``--export`` on the command line, import/export in the app."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import soundfile as sf
from conftest import REPO, free_port

from melwav import MelSettings, cli
from melwav import frameworks as recipes_mod

ESPNET_LIBRISPEECH = """\
specaug: specaug
specaug_conf:
    apply_time_warp: true
    time_warp_window: 5
    freq_mask_width_range: [0, 27]
    num_freq_mask: 2
    time_mask_width_ratio_range: [0., 0.05]
    num_time_mask: 10
"""
SMALL = ["--sr", "8000", "--n-fft", "256", "--hop", "64", "--n-mels", "32", "--method", "fgla",
         "--n-iter", "2"]


@pytest.fixture
def clip(write_clip):
    return str(write_clip("clip.wav", duration_s=1.0)[0])


@pytest.fixture
def espnet_file(tmp_path):
    path = tmp_path / "specaug.yaml"
    path.write_text(ESPNET_LIBRISPEECH, encoding="utf-8")
    return str(path)


def test_config_renders_with_the_framework_rules(clip, espnet_file, tmp_path, capsys):
    out = tmp_path / "espnet.wav"
    assert cli.main([clip, "-o", str(out), "--config", espnet_file, "--framework-hop-ms", "10", *SMALL]) == 0
    cap = capsys.readouterr()
    assert "espnet recipe" in cap.out and "(espnet rules)" in cap.out and sf.info(str(out)).frames > 0
    # the conversion: 5 frames of 10 ms = 50 ms ~ 6 frames of 8 ms; 27 of 80 channels ~ 11 of 32 bands
    assert "time warp W: 5 frames of 10 ms = 50 ms = 6 frames of 8 ms" in cap.err
    assert "27 of 80 channels" in cap.err and "11 of 32 bands" in cap.err
    assert "replace_with_zero" in cap.err  # the fill explanation


def test_explicit_option_overrides_the_config(clip, espnet_file, tmp_path, capsys):
    out = tmp_path / "p.json"
    assert cli.main([clip, "--save-params", str(out), "--config", espnet_file, "--n-freq-masks", "1", *SMALL]) == 0
    from melwav import pipeline

    params = pipeline.read_params(out)
    assert params.config.convention == "espnet" and params.config.n_freq_masks == 1
    assert params.config.n_time_masks == 10 and params.config.width_ratio == 0.05


def test_export_without_outputs_does_not_read_the_clip(espnet_file, tmp_path, capsys):
    missing = str(tmp_path / "not-there.wav")
    assert cli.main([missing, "--config", espnet_file, "--framework-hop-ms", "10", "--export", "torchaudio"]) == 0
    cap = capsys.readouterr()
    assert "FrequencyMasking(freq_mask_param=27)" in cap.out
    assert "# note: torchaudio has no time warp" in cap.out


def test_export_policy_as_specaugment_call(tmp_path, capsys):
    assert cli.main([str(tmp_path / "x.wav"), "--policy", "LD", "--sr", "16000", "--hop", "160", "--n-mels", "80",
                     "--export", "torchaudio"]) == 0
    out = capsys.readouterr().out
    assert "SpecAugment(" in out and "freq_mask_param=28" in out and "no time warp" in out


def test_export_round_trips_through_import(tmp_path, capsys):
    assert cli.main([str(tmp_path / "x.wav"), "--policy", "LD", "--export", "nemo"]) == 0
    fragment = tmp_path / "nemo.yaml"
    fragment.write_text(capsys.readouterr().out, encoding="utf-8")
    assert cli.main([str(tmp_path / "x.wav"), "--config", str(fragment), "--export", "nemo"]) == 0
    assert "freq_width: 28" in capsys.readouterr().out


@pytest.mark.parametrize("text, extra, expect", [
    ("a: [1, 2", [], "yaml"),
    ("specaug_conf:\n  num_freq_mask: 2\n  bogus_key: 1\n", [], "bogus_key"),
    ("spec_augment:\n  freq_masks: 2\n  time_width: 100.0\n", [], "time_width"),
    ("SpecAugment(n_time_masks=2)", ["--framework", "caffe"], "framework"),
    ("SpecAugment(n_time_masks=2)", ["--export", "caffe"], "framework"),
    ("SpecAugment(n_time_masks=2)", ["--policy", "LD"], "--policy"),
])
def test_bad_recipes_exit_2_with_one_line(clip, tmp_path, capsys, text, extra, expect):
    path = tmp_path / "recipe.txt"
    path.write_text(text, encoding="utf-8")
    assert cli.main([clip, "--config", str(path), *extra, *SMALL]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("melwav: error:") and expect.lower() in err[0].lower()


def test_framework_options_need_a_recipe(clip, capsys):
    assert cli.main([clip, "--framework", "nemo", *SMALL]) == 2
    assert "--config" in capsys.readouterr().err


def test_subprocess_malicious_config_is_not_run(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "evil.py"
    bad.write_text(f'__import__("os").system("touch {marker}")\n'
                   f'SpecAugment(n_time_masks=__import__("os").system("touch {marker}"))\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "melwav", "assets/speech.wav", "--config", str(bad),
                           "--framework", "torchaudio", "--export", "nemo"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("melwav: error:") and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert not marker.exists()


def test_help_mentions_recipes():
    proc = subprocess.run([sys.executable, "-m", "melwav", "--help"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0
    for word in ("--config", "--framework", "--framework-hop-ms", "--framework-n-mels", "--export", "ESPnet"):
        assert word in proc.stdout


# ------------------------------------------------------------------------------------------ the app

ANALYSIS = dict(sr=22050, n_fft=2048, hop=512, n_mels=128)


@pytest.fixture(scope="module")
def app_module():
    from melwav_lab import app

    return app


def _imported(app_module, config, **values) -> dict:
    """The import handler's outputs by name (called by keyword, as a script calls /import_recipe)."""
    fn = app_module.import_recipe
    return dict(zip(fn.outputs, fn(config=config, **values), strict=True))


def _sliders(out) -> dict:
    from melwav_lab.controls import AUGMENT

    return {k: out[k] for k in AUGMENT}


def test_app_import_fills_the_sliders(app_module):
    out = _imported(app_module, ESPNET_LIBRISPEECH, framework_hop_ms=10, fill_db=-70)
    assert out["state"].recipe.framework == "espnet"
    # ESPnet's replace_with_zero: its own 0, placed on the clip through its absolute power (issue 13)
    assert out["policy"] == "custom" and out["convention"] == "espnet" and out["fill"] == "absolute"
    assert out["fill_db"] == 0
    assert (out["n_freq_masks"], out["freq_mask_bands"], out["n_time_masks"], out["time_mask_ms"],
            out["width_ratio"]) == (2, 43, 10, 0, 0.05)
    assert 40 <= out["warp_ms"] <= 50  # 50 ms -> 2 frames of 23.2 ms
    assert "27 of 80 channels" in out["recipe_info"] and "replace_with_zero" in out["recipe_info"]


def test_app_import_widens_a_slider_it_would_overflow(app_module):
    out = _imported(app_module, "TimeMasking(time_mask_param=500)", framework="torchaudio")
    assert out["time_mask_ms"]["maximum"] == out["time_mask_ms"]["value"] > 3000


def test_app_import_refuses_code_with_a_message(app_module, tmp_path):
    import gradio as gr

    marker = tmp_path / "pwned"
    with pytest.raises(gr.Error, match="nothing was run"):
        _imported(app_module, f'__import__("os").system("touch {marker}")', framework="torchaudio")
    assert not marker.exists()
    with pytest.raises(gr.Error, match="empty"):
        _imported(app_module, "")


def test_app_keeps_an_imported_recipes_settings_that_have_no_slider(app_module):
    from melwav_lab.controls import analysis_values
    from melwav_lab.state import PageState

    text = (REPO / "examples" / "wenet_aishell_u2pp_conformer.yaml").read_text(encoding="utf-8")
    out = _imported(app_module, text, state=PageState(seed=3))
    state, sliders = out["state"], _sliders(out)
    assert state.seed == 3 and sliders["convention"] == "wenet"
    settings = MelSettings()
    config = app_module.config_of({**sliders, **analysis_values(settings)}, state)[1]
    assert config.option("spec_sub") is True and config.option("sub_count") == 3
    # the sub-chunk size follows the analysis, like W, T and F: 30 frames of 10 ms
    assert config.option("sub_max_frames") == round(300 / settings.hop_ms)
    wider = MelSettings(hop_length=256)
    assert app_module.config_of({**sliders, **analysis_values(wider)}, state)[1].option("sub_max_frames") == round(
        300 / wider.hop_ms)
    # another framework's rules chosen by hand: the recipe's settings no longer apply
    hand = {**sliders, **analysis_values(settings), "convention": "melwav"}
    assert app_module.config_of(hand, state)[1].extra == ()


def test_app_export_gives_the_imported_recipe_back(app_module):
    text = ESPNET_LIBRISPEECH.replace("time_mask_width_ratio_range: [0., 0.05]", "time_mask_width_range: [0, 40]")
    out = _imported(app_module, text, framework="espnet", framework_hop_ms=10, framework_n_mels=80)
    units = dict(export="espnet", framework_hop_ms=10, framework_n_mels=80, **_sliders(out))
    exported, _ = app_module.export_recipe(**units, state=out["state"])
    assert "time_mask_width_range: [0, 40]" in exported and "time_warp_window: 5" in exported
    # without the recipe, 40 frames of 10 ms come back through 23.2 ms frames as another number
    rounded, _ = app_module.export_recipe(**units)
    assert "time_mask_width_range: [0, 40]" not in rounded


def test_app_export(app_module):
    sliders = _sliders(_imported(app_module, ESPNET_LIBRISPEECH, framework_hop_ms=10))
    text, notes = app_module.export_recipe(export="espnet", framework_hop_ms=10, **sliders)
    assert "freq_mask_width_range: [0, 27]" in text and "num_time_mask: 10" in text
    text, notes = app_module.export_recipe(export="torchaudio", **sliders)
    assert "FrequencyMasking" in text and "no time warp" in notes


def test_the_handlers_keep_their_positional_order(app_module):
    """Scripts and branches that call the handlers positionally (the old names) get the same results."""
    by_name = app_module.import_recipe(config=ESPNET_LIBRISPEECH, framework="auto", framework_hop_ms=10, fill_db=-70)
    positional = app_module.import_recipe_handler(ESPNET_LIBRISPEECH, "auto", 10, 0, -70, *ANALYSIS.values())
    assert by_name[:12] == positional[:12] and by_name[12] == positional[12]


def test_app_endpoints_over_http(app_module):
    from gradio_client import Client

    from melwav_lab.controls import AUGMENT

    demo = app_module.build()
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        out = client.predict(config=ESPNET_LIBRISPEECH, framework_hop_ms=10, api_name="/import_recipe")
        named = dict(zip(("policy", *AUGMENT, "recipe_info"), out, strict=True))
        assert named["policy"] == "custom" and named["convention"] == "espnet"
        assert "27 of 80 channels" in named["recipe_info"]
        text, notes = client.predict(export="nemo", **{k: named[k] for k in AUGMENT}, api_name="/export_recipe")
        assert "spec_augment" in text and "time_masks: 10" in text
        # hostile text over HTTP (issue 13): a readable refusal, quickly, and the server keeps serving
        from gradio_client.exceptions import AppError
        from test_recipes_hostile import HOSTILE

        t0 = time.perf_counter()
        with pytest.raises(AppError, match="expands to more than"):
            client.predict(config=HOSTILE["alias bomb (9 levels)"], api_name="/import_recipe")
        assert time.perf_counter() - t0 < 10
        assert client.predict(config=ESPNET_LIBRISPEECH, framework_hop_ms=10, api_name="/import_recipe")[0] == "custom"
    finally:
        demo.close()


def test_the_pasted_example_in_the_app_imports_with_its_own_10_ms_frames():
    from melwav_lab import app

    recipe = recipes_mod.import_recipe(app.RECIPE_EXAMPLE)
    assert (recipe.framework, recipe.hop_ms, recipe.n_mels) == ("espnet", 10.0, 80)
    assert recipe.params["time_mask_width_ratio_range"] == [0.0, 0.05] and recipe.params["num_time_mask"] == 10


@pytest.mark.parametrize("name, framework", [
    ("espnet_librispeech_conformer.yaml", "espnet"), ("nemo_conformer_ctc_bpe.yaml", "nemo"),
    ("torchaudio_ld.py", "torchaudio"), ("lingvo_ld.txt", "lingvo"),
    ("lhotse_icefall_librispeech.txt", "lhotse"), ("speechbrain_conformer_large.yaml", "speechbrain"),
])
def test_bundled_example_recipes_import_and_round_trip(name, framework):
    text = (REPO / "examples" / name).read_text()
    recipe = recipes_mod.import_recipe(text)
    assert recipe.framework == framework and (recipe.hop_ms, recipe.n_mels) == (10.0, 80)
    settings = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)  # the recipes' own units
    exported, _ = recipes_mod.export_recipe(recipe.to_config(settings), settings=settings, framework=framework)
    again = recipes_mod.import_recipe(exported, framework=framework)
    assert again.to_config(settings) == recipe.to_config(settings)
