"""Issue 13: recipes exact both ways (own parameters per transform, round trips at any analysis, units
named in the fragment, ESPnet without SpecAug, width-0 masks, a closed pipe)."""

from __future__ import annotations

import numpy as np
import pytest

from melwav import frameworks as FW
from melwav import specaugment as A
from melwav.features import MelSettings

S22 = MelSettings(sr=22050, n_fft=2048, hop_length=512, n_mels=128)
S16 = MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=80)
S8 = MelSettings(sr=8000, n_fft=256, hop_length=64, n_mels=32)
ANALYSES = [S22, S16, S8]


def _widths(config, axis, *, n_mels=128, n_frames=400, n=3000):
    rng = np.random.default_rng(0)
    recs = [A.draw(config, n_mels=n_mels, n_frames=n_frames, rng=rng) for _ in range(n)]
    return [m.width for r in recs for m in (r.freq_masks if axis == "freq" else r.time_masks)]


def test_torchaudio_list_keeps_each_transforms_parameters():
    # torchaudio draws FrequencyMasking(28) widths 0..27 whatever TimeMasking's p is.
    recipe = FW.import_recipe("[FrequencyMasking(28), TimeMasking(10000, p=0.05)]")
    config = recipe.to_config(S16)
    assert max(_widths(config, "freq")) == 27
    assert max(_widths(config, "time")) == int(0.05 * 400) - 1  # TimeMasking's p caps its own masks


def test_reimporting_our_adaptive_export_keeps_F():
    adaptive = A.POLICIES["adaptive"].to_config(S22)
    units = {"hop_ms": S22.hop_ms, "n_mels": S22.n_mels}  # torchaudio masking this very analysis
    text, _ = FW.export_recipe(adaptive, settings=S22, framework="torchaudio", **units)
    again = FW.import_recipe(text, **units).to_config(S22)
    assert again.freq_mask_bands == adaptive.freq_mask_bands + 1  # melwav's 0..F is torchaudio's F + 1
    assert max(_widths(again, "freq")) == adaptive.freq_mask_bands


# ------------------------------------------------------------------------------- exact round trips

RECIPES = {
    "espnet": "specaug: specaug\nspecaug_conf:\n  apply_time_warp: true\n  time_warp_window: 5\n"
              "  freq_mask_width_range: [0, 27]\n  num_freq_mask: 2\n  time_mask_width_range: [0, 40]\n"
              "  num_time_mask: 2\n",
    "nemo": "spec_augment:\n  freq_masks: 2\n  freq_width: 27\n  time_masks: 10\n  time_width: 40\n",
    "torchaudio": "SpecAugment(n_time_masks=2, time_mask_param=40, n_freq_masks=2, freq_mask_param=27, p=0.2)",
    "lingvo": "p.time_warp_max_frames = 3\np.time_warp_max_ratio = 1.0\np.freq_mask_max_bins = 27\n"
              "p.freq_mask_count = 2\np.time_mask_max_frames = 40\np.time_mask_count = 2\n",
}


@pytest.mark.parametrize("settings", ANALYSES, ids=["22050-512-128", "16000-160-80", "8000-64-32"])
@pytest.mark.parametrize("framework", list(RECIPES))
def test_import_export_import_gives_the_recipe_back_at_any_analysis(framework, settings):
    first = FW.import_recipe(RECIPES[framework])
    text, _ = FW.export_recipe(first.to_config(settings), settings=settings, framework=framework, recipe=first)
    second = FW.import_recipe(text)
    assert second.framework == framework
    assert (second.fields, second.hop_ms, second.n_mels) == (first.fields, first.hop_ms, first.n_mels)
    assert second.to_config(settings) == first.to_config(settings)


@pytest.mark.parametrize("settings", ANALYSES, ids=["22050-512-128", "16000-160-80", "8000-64-32"])
@pytest.mark.parametrize("framework", list(RECIPES))
def test_cli_config_to_export_keeps_the_recipes_numbers(framework, settings, tmp_path, capsys):
    """``melwav CLIP --config R --export F`` at any analysis prints R's own numbers (issue 13's examples:
    ESPnet [0, 40] came back as [0, 49], NeMo time_width 40 as 39, lingvo time_warp_max_frames 3 as 2)."""
    from conftest import ASSETS

    from melwav import cli

    path = tmp_path / "recipe.txt"
    path.write_text(RECIPES[framework])
    rc = cli.main([str(ASSETS / "speech.wav"), "--config", str(path), "--export", framework, "--sr", str(settings.sr),
                   "--n-fft", str(settings.n_fft), "--hop", str(settings.hop_length), "--n-mels",
                   str(settings.n_mels)])
    assert rc == 0
    out = capsys.readouterr().out
    first, again = FW.import_recipe(RECIPES[framework]), FW.import_recipe(out, framework=framework)
    assert again.fields == first.fields


def test_a_changed_value_is_converted_and_the_rest_kept():
    first = FW.import_recipe(RECIPES["espnet"])
    config = first.to_config(S22).replace(time_mask_frames=first.to_config(S22).time_mask_frames + 5)
    text, _ = FW.export_recipe(config, settings=S22, framework="espnet", recipe=first)
    again = FW.import_recipe(text)
    assert again.fields.F == 27 and again.fields.W == 5 and again.fields.T != 40


# ------------------------------------------------------------------------------------ units in the text


@pytest.mark.parametrize("framework", list(RECIPES))
def test_an_export_names_its_frame_length_and_channels_in_the_fragment(framework):
    ld = A.POLICIES["LD"].to_config(S22)
    text, _ = FW.export_recipe(ld, settings=S22, framework=framework)
    hop, mels = FW.default_units(framework)
    assert text.splitlines()[0] == (f"# melwav export for {framework}: sizes in frames of {hop:g} ms and channels "
                                    f"of a {mels}-channel mel bank")
    text, _ = FW.export_recipe(ld, settings=S22, framework=framework, hop_ms=12.5, n_mels=40)
    assert "frames of 12.5 ms" in text.splitlines()[0] and "40-channel" in text.splitlines()[0]
    assert FW.import_recipe(text).hop_ms == 12.5  # and the import reads it back


# --------------------------------------------------------------------------------- ESPnet without SpecAug

LEFTOVER = "specaug_conf:\n  freq_mask_width_range: [0, 27]\n  num_freq_mask: 2\n  time_mask_width_range: [0, 40]\n"


@pytest.mark.parametrize("text", [
    "specaug: null\n" + LEFTOVER,
    "encoder: conformer\nfrontend_conf:\n  n_fft: 512\n  hop_length: 160\n" + LEFTOVER,
])
def test_espnet_without_specaug_draws_nothing_and_says_so(text):
    recipe = FW.import_recipe(text)
    assert recipe.framework == "espnet" and recipe.to_config(S16).is_identity
    assert any("trains without SpecAugment" in n for n in recipe.config_notes())
    rec = A.draw(recipe.to_config(S16), n_mels=80, n_frames=200, rng=np.random.default_rng(0))
    assert rec.warp is None and rec.freq_masks == () and rec.time_masks == ()


def test_espnet_section_alone_still_reads():
    assert FW.import_recipe(LEFTOVER).fields.F == 27


# ---------------------------------------------------------------------------------- small things


def test_zero_width_masks_read_width_0():
    from melwav.explain import summary_line
    from melwav.records import AugmentRecord, MaskDraw

    rec = AugmentRecord(16, 50, None, (MaskDraw(5, 0), MaskDraw(2, 3)), (MaskDraw(7, 0),))
    line = summary_line(rec, settings=S8)
    assert "bands width 0, 2-5" in line and "frames width 0" in line and "5-5" not in line


def test_export_into_a_closed_pipe_ends_quietly():
    import subprocess
    import sys

    from conftest import ASSETS, REPO

    # `melwav ... --export espnet | head -1`: the reader leaves after one line
    proc = subprocess.Popen([sys.executable, "-m", "melwav", str(ASSETS / "speech.wav"), "--policy", "LD",
                             "--export", "espnet"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # closed before anything is written: every write hits a broken pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""
