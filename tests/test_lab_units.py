"""The lab's pieces on their own: the table of controls, the page's state, named handlers, the unit conversions."""

from __future__ import annotations

import dataclasses
import inspect
import pathlib

import pytest

from melwav import lab
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.records import SpecAugmentConfig
from melwav.specaugment import POLICIES, AugmentRecord
from melwav_lab import controls, state
from melwav_lab.controls import CONTROLS, PRESET
from melwav_lab.state import PageState

ROOT = pathlib.Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------ the table


def test_every_control_is_declared_once_with_a_range_or_choices():
    keys = [c.key for c in CONTROLS]
    assert len(keys) == len(set(keys))
    for c in CONTROLS:
        assert c.label and c.help, c.key
        if c.kind == "slider":
            assert c.minimum <= c.default <= c.maximum and c.step > 0, c.key
        if c.kind == "dropdown":
            assert c.default in c.choices, c.key
    assert not set(controls.OLD_NAMES) & set(keys)  # an old name never shadows a current one


def test_the_vocabulary_is_the_command_lines():
    """Each key is a long option of ``melwav --help`` with underscores, or a config field of the Python API."""
    help_text = _cli_help()
    config_fields = {f.name for f in dataclasses.fields(SpecAugmentConfig)}
    for c in CONTROLS:
        flag = "--" + c.key.replace("_", "-")
        if c.key in ("keep", "show_rebuilt"):  # the page's own: the command line replays with --params
            continue
        assert flag in help_text or c.key in config_fields, c.key


def _cli_help() -> str:
    import contextlib
    import io

    from melwav import cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli.main(["--help"])
    return out.getvalue()


def test_preset_controls_are_what_a_preset_sets():
    units = lab.policy_units("LD", MelSettings())
    assert set(PRESET) <= set(units)
    assert {k: units[k] for k in PRESET} == {k: controls.BY_KEY[k].default for k in PRESET}


def test_the_augment_controls_are_config_from_units_keywords():
    assert set(controls.AUGMENT) == set(lab.unit_names())  # a new config field needs its row, and the other way


def test_old_names_are_renamed():
    assert controls.renamed({"n_time": 3, "p": 0.5, "per_frame": 0.01, "seed": 2}) == {
        "n_time_masks": 3, "max_time_ratio": 0.5, "masks_per_frame": 0.01, "seed": 2}


def test_settings_and_analysis_values_are_inverse():
    settings = MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80)
    assert controls.settings_of(controls.analysis_values(settings)) == settings
    assert controls.n_iter_of({"n_iter": -1}) is None and controls.n_iter_of({"n_iter": 7}) == 7


def test_a_row_with_an_unknown_place_is_refused():
    with pytest.raises(ValueError, match="place, group or kind"):
        controls.Control("x", "x", "slider", 0, "nowhere", "draw")


# ------------------------------------------------------------------------------------------ units (melwav.lab)


def test_config_from_units_takes_every_config_field_and_ms_for_frames():
    settings = MelSettings()
    config = lab.config_from_units(settings, warp_ms=789, n_time_masks=2, time_mask_ms=998, fill="floor")
    assert (config.warp_frames, config.time_mask_frames, config.n_time_masks, config.fill) == (34, 43, 2, "floor")
    assert config.freq_mask_bands == SpecAugmentConfig().freq_mask_bands  # not given: the config's default
    assert lab.units_from_config(config, settings)["warp_ms"] == 789
    with pytest.raises(ParameterError, match="unknown SpecAugment setting 'n_time'"):
        lab.config_from_units(settings, n_time=2)
    with pytest.raises(ParameterError, match="unknown SpecAugment setting 'warp_frames'"):
        lab.config_from_units(settings, warp_frames=3)  # frames are given as milliseconds here
    with pytest.raises(ParameterError, match=r"time warp W \(ms\)"):
        lab.config_from_units(settings, warp_ms=70_000)


def test_units_round_trip_every_preset():
    settings = MelSettings()
    for name in POLICIES:
        config = lab.policy(name).to_config(settings)
        assert lab.config_from_units(settings, **lab.units_from_config(config, settings)) == config, name


# ------------------------------------------------------------------------------------------ the page's state


def _record(n_mels=128, n_frames=344):
    import numpy as np

    from melwav.specaugment import draw

    return draw(SpecAugmentConfig(n_time_masks=2, time_mask_frames=10), n_mels=n_mels, n_frames=n_frames,
                rng=np.random.default_rng(1))


def test_page_state_draw_for_and_n_mels():
    record = _record()
    s = PageState(record=record.to_dict(), seed=4, clip=("clip", 1))
    assert s.n_mels == 128 and PageState().n_mels is None
    assert s.draw_for(("clip", 1)) == (AugmentRecord.from_dict(record.to_dict()), 4)
    assert s.draw_for(("other", 1)) is None and PageState().draw_for(("clip", 1)) is None
    assert state.as_state(None) == PageState() and state.as_state(s) is s


def test_new_notes_are_shown_once_per_clip():
    s = PageState(clip="a", shown=("old",))
    assert state.new_notes(s, "a", ["old", "new", "new"]) == (["new"], ("old", "new"))
    assert state.new_notes(s, "b", ["old"]) == (["old"], ("old",))  # another clip: shown anew


def test_recipe_for_only_its_framework():
    recipe = type("R", (), {"framework": "wenet"})()
    s = PageState(recipe=recipe)
    assert s.recipe_for("wenet") is recipe and s.recipe_for("melwav") is None


def test_kept_record_takes_the_current_fill():
    record = _record()
    kept = state.kept_record(record.to_dict(), SpecAugmentConfig(fill="floor", fill_db=-10))
    assert (kept.fill, kept.fill_db) == ("floor", -10) and kept.time_masks == record.time_masks


def test_clip_notes_leave_out_what_the_description_says():
    assert state.clip_notes(["a <b>", "said"], "it said so") == "\n\n**Notes on this clip:** a &lt;b&gt;."
    assert state.clip_notes([], "") == ""


def test_framework_units_and_theme():
    assert state.framework_units(0, "") == (None, None) and state.framework_units("8", 40) == (8.0, 40)
    assert state.page_theme("dark") == "dark" and state.page_theme("<x>") == "light"


# ------------------------------------------------------------------------------------------ named handlers


def test_named_handler_has_the_inputs_as_parameters_and_returns_outputs_in_order():
    import gradio as gr

    from melwav_lab.wiring import named

    fn = named(lambda v: {"b": v["x"] + v["y"]}, ("x", "y"), ("a", "b"), defaults={"y": 10})
    assert list(inspect.signature(fn).parameters) == ["x", "y"]
    assert fn(1) == (gr.skip(), 11) and fn(1, 2) == (gr.skip(), 3) and fn(x=1, y=5) == (gr.skip(), 6)
    with pytest.raises(TypeError):
        fn()  # x has no default
    with pytest.raises(KeyError, match="not wired"):
        named(lambda v: {"c": 1}, ("x",), ("a",))(1)

    def steps(v):
        yield {"a": v["x"]}
        yield {"a": v["x"] + 1}

    gen = named(steps, ("x",), ("a",))
    assert inspect.isgeneratorfunction(gen) and list(gen(3)) == [3, 4]  # one output: the value itself


def test_defaults_apply_only_to_a_tail_of_the_parameters():
    from melwav_lab.wiring import named

    fn = named(lambda v: {}, ("x", "y", "z"), (), defaults={"x": 1, "z": 3})
    params = inspect.signature(fn).parameters
    assert params["x"].default is inspect.Parameter.empty and params["z"].default == 3


def test_every_handler_input_and_output_is_a_widget_of_the_page():
    """The handlers' names are the layout's: building the page wires each one (a typo fails here)."""
    from melwav_lab import handlers, layout

    layout.build()  # raises KeyError on a name the page does not have
    for fn in (handlers.render, handlers.render_page, handlers.solo, handlers.variety, handlers.load_params,
               handlers.import_recipe, handlers.export_recipe, handlers.fill_policy, handlers.analysis_changed):
        assert set(controls.KEYS) & set(fn.inputs) or fn is handlers.load_params, fn.__name__


def test_params_restore_every_saved_control(tmp_path):
    """What a params file holds comes back under every control key it names (none left out, none extra)."""
    from melwav import pipeline
    from melwav_lab import handlers

    clip = pipeline.load_and_analyse(ROOT / "assets" / "speech.wav")
    config = lab.policy("SM").to_config(clip.settings)
    rendered = pipeline.render(clip, config, seed=3, method="fgla", n_iter=1)
    params = pipeline.params_for(clip, rendered, policy="SM")
    values = handlers.values_from_params(params)
    assert set(values) == set(handlers.RESTORED) == {c.key for c in CONTROLS if c.saved}
    assert values["seed"] == 3 and values["keep"] is True and values["method"] == "fgla" and values["n_iter"] == 1
    assert lab.config_from_units(clip.settings, **{k: values[k] for k in controls.AUGMENT}) == config


def test_the_endpoints_document_each_control_from_the_table():
    import gradio.utils

    from melwav_lab import handlers

    description, params, _ = gradio.utils.get_function_description(handlers.render)
    assert description.startswith("Augment the clip's log-mel") and "Args" not in description
    assert params["n_time_masks"] == controls.BY_KEY["n_time_masks"].help and params["audio"] == ""


def test_the_library_never_imports_the_lab_or_gradio():
    import ast

    for path in (ROOT / "melwav").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            assert not [n for n in names if n.split(".")[0] in ("gradio", "melwav_lab")], path
