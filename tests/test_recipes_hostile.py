"""Hostile recipe text (issue 13): every case ends in one readable line, quickly and in little memory.

The same text goes through the CLI (``melwav --config FILE --export espnet``, in-process: exit 2 and one
``melwav: error:`` line) and the app's import handler (a ``gr.Error`` with a readable message). Time and
memory bounds are loose (the machine may be busy); ``bench/recipes_abuse.py`` prints the real figures.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from conftest import ASSETS

from melwav import cli, options
from melwav import frameworks as FW
from melwav.errors import ParameterError

ANALYSIS = (22050, 2048, 512, 128)
TIME_BOUND_S = 5.0
MEMORY_BOUND_MB = 200.0


def alias_bomb(levels: int, key: str = "freq_masks") -> str:
    """Nine aliases per level: ``levels`` levels stand for 9 ** levels values (a 627-byte text at 9)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\n{key}: *a{levels}\n"


HOSTILE = {
    "alias bomb (9 levels)": alias_bomb(9),
    "alias bomb (6 levels)": alias_bomb(6),
    "alias bomb in specaug_conf": "specaug_conf:\n  num_freq_mask: " + alias_bomb(8).replace("\n", "\n  ")[:-2],
    "800 nested brackets": "specaug_conf:\n  freq_mask_width_range: " + "[" * 800 + "]" * 800 + "\n",
    "800 nested braces": "spec_augment: " + "{a: " * 800 + "1" + "}" * 800 + "\n",
    "lingvo 1+1+... (100k terms)": "p.freq_mask_max_bins = " + "+".join(["1"] * 100_000) + "\n",
    "lingvo 100k unary minus": "p.freq_mask_max_bins = " + "-" * 100_000 + "1\n",
    "lingvo short 1+1+1": "p.freq_mask_max_bins = 1+1+1\n",
    "torchaudio 1+1+... argument": "SpecAugment(2, 100, 2, " + "+".join(["1"] * 20_000) + ")\n",
    "torchaudio 100k unary minus": "SpecAugment(2, 100, 2, " + "-" * 100_000 + "1)\n",
    "torchaudio nested lists": "SpecAugment(2, 100, 2, " + "[" * 5000 + "]" * 5000 + ")\n",
    "huge YAML integer": "spec_augment:\n  freq_masks: " + "9" * 5000 + "\n",
    "long YAML": "spec_augment:\n  freq_masks: 2\n" + "".join(f"  k{i}: {i}\n" for i in range(30_000)),
    "text over the cap": "#" * (FW.MAX_RECIPE_BYTES + 1),
}


def _measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_one_line_on_the_cli(name, tmp_path, capsys):
    path = tmp_path / "recipe.txt"
    path.write_text(HOSTILE[name], encoding="utf-8")
    rc, elapsed, peak = _measure(lambda: cli.main([str(ASSETS / "speech.wav"), "--config", str(path),
                                                   "--export", "espnet"]))
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("melwav: error: ") and err.count("\n") == 1 and len(err) < 400
    assert "Traceback" not in err and "x, x" not in err and "*a" not in err
    assert elapsed < TIME_BOUND_S and peak < MEMORY_BOUND_MB, (elapsed, peak)


@pytest.fixture(scope="module")
def app_module():
    from melwav_lab import app

    return app


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_text_is_a_readable_message_in_the_app(name, app_module):
    import gradio as gr

    def run():
        with pytest.raises(gr.Error) as info:
            app_module.import_recipe_handler(HOSTILE[name], "auto", 0, 0, -60, *ANALYSIS)
        return str(info.value.message)

    message, elapsed, peak = _measure(run)
    assert "went wrong" not in message and "memory" not in message and len(message) < 400
    assert elapsed < TIME_BOUND_S and peak < MEMORY_BOUND_MB, (elapsed, peak)


def test_a_value_is_named_by_type_and_size_never_whole():
    with pytest.raises(ParameterError) as info:
        # 820 values: within the budget, so NeMo's key check sees the list and must describe it, not print it
        FW.import_recipe(alias_bomb(2, key="x").replace("\nx: *a2", "\nspec_augment:\n  freq_masks: *a2"))
    message = str(info.value)
    assert "spec_augment.freq_masks" in message and "a list of 9 items" in message
    assert "'x'" not in message and len(message) < 300


def test_alias_within_budget_still_reads():
    text = "base: &b {freq_masks: 2, freq_width: 27}\nspec_augment:\n  <<: *b\n  time_masks: 2\n"
    # NeMo's keys under spec_augment (merge key): a small alias is ordinary YAML and stays accepted.
    assert FW.import_recipe(text, framework="nemo").params["freq_width"] == 27


def test_the_text_cap_is_melwavs_own():
    assert options.MAX_RECIPE_BYTES == FW.MAX_RECIPE_BYTES == 1_000_000
    with pytest.raises(ParameterError, match="larger than 1000 kB"):
        FW.import_recipe("p.freq_mask_count = 1\n" + " " * FW.MAX_RECIPE_BYTES)
