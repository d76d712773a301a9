"""Exact units in one step: the framework's own analysis (issue 22, item 10)."""

from __future__ import annotations

import pathlib

import pytest

from melwav import cli
from melwav import frameworks as FW
from melwav.errors import ParameterError
from melwav.features import MelSettings

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
ESPNET_8MS = ("specaug: specaug\nspecaug_conf: {time_warp_window: 5, freq_mask_width_range: [0, 27], num_freq_mask: 2,"
              " time_mask_width_range: [0, 40], num_time_mask: 2}\n")


def test_espnet_default_frontend_is_its_own_analysis():
    # espnet2/asr/frontend/default.py DefaultFrontend: fs 16000, n_fft 512, hop_length 128, n_mels 80
    recipe = FW.import_recipe(ESPNET_8MS)
    native = FW.native_settings(recipe)
    assert (native.sr, native.n_fft, native.hop_length, native.n_mels) == (16000, 512, 128, 80)
    config = recipe.to_config(native)
    assert (config.warp_frames, config.freq_mask_bands, config.time_mask_frames) == (5, 27, 40)
    # at melwav's default analysis (23.2 ms frames) the same W = 5 becomes 2
    assert recipe.to_config(MelSettings()).warp_frames == 2


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir()))
def test_an_export_at_the_native_analysis_round_trips_without_the_recipe(name):
    recipe = FW.import_recipe((EXAMPLES / name).read_text())
    native = FW.native_settings(recipe)
    config = recipe.to_config(native)
    text, _ = FW.export_recipe(config, settings=native, framework=recipe.framework, hop_ms=recipe.hop_ms,
                               n_mels=recipe.n_mels)  # no recipe= : the numbers come from the config alone
    back = FW.import_recipe(text)
    assert back.to_config(native) == config
    if recipe.framework != "whisper":  # Whisper's assumed attention mask is written out explicitly
        assert back.params == recipe.params


def test_wav2vec2_native_frames_are_20_ms():
    recipe = FW.import_recipe('{"model_type": "hubert", "conv_stride": [5, 2, 2, 2, 2, 2, 2]}')
    native = FW.native_settings(recipe)
    assert (native.sr, native.hop_length, native.hop_ms) == (16000, 320, 20.0)


def test_cli_flag_switches_the_analysis(tmp_path, capsys):
    conf = tmp_path / "espnet.yaml"
    conf.write_text(ESPNET_8MS)
    assert cli.run(["unused.wav", "--config", str(conf), "--framework-analysis", "--export", "espnet"]) == 0
    out, err = capsys.readouterr()
    assert "time_warp_window: 5" in out and "here frames of 8 ms and 80 bands" in err
    with pytest.raises(ParameterError, match="drop --sr"):
        cli.run(["unused.wav", "--config", str(conf), "--framework-analysis", "--sr", "16000", "--export", "espnet"])
    with pytest.raises(ParameterError, match="give --config"):
        cli.run(["unused.wav", "--framework-analysis", "--export", "espnet"])
