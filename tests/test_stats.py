"""Recipe statistics (melwav.stats, ``python -m melwav stats``): hand-computed numbers, JSON, CLI, warnings,
refusals, the figure."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REPO

from melwav import cli, frameworks, stats
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.records import AugmentRecord, MaskDraw, SpecAugmentConfig, WarpDraw
from melwav.specaugment import Policy

EXAMPLES = REPO / "examples"
ESPNET = EXAMPLES / "espnet_librispeech_conformer.yaml"
WENET = EXAMPLES / "wenet_aishell_u2pp_conformer.yaml"
DEFAULT = MelSettings()  # 22050 Hz, hop 512: 23.2 ms frames, 128 bands


def recipe(path):
    return frameworks.import_recipe(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- hand-computed numbers


def test_union_counts_overlaps_once_and_zero_widths_are_not_masks():
    a = AugmentRecord(n_mels=10, n_frames=100, time_masks=(MaskDraw(0, 30), MaskDraw(20, 30), MaskDraw(90, 0)),
                      freq_masks=(MaskDraw(2, 3), MaskDraw(7, 2)), warp=WarpDraw(50, -4))
    b = AugmentRecord(n_mels=10, n_frames=100, time_masks=(MaskDraw(60, 10), MaskDraw(10, 5)))
    c = AugmentRecord(n_mels=10, n_frames=100)  # nothing drawn
    row = stats.summarise([a, b, c], hop_ms=10.0, duration_s=1.0)
    # time: a covers 0..49 (50 of 100), b 60..69 and 10..14 (15), c nothing
    assert row.time_masked.mean == pytest.approx((0.50 + 0.15 + 0.0) / 3)
    assert row.freq_masked.mean == pytest.approx((0.5 + 0.0 + 0.0) / 3)
    assert row.p_time_over_half == 0.0  # exactly half is not "more than half"
    assert row.n_time_masks == pytest.approx(4 / 3)  # a's zero-width mask hides nothing
    assert row.n_freq_masks == pytest.approx(2 / 3)
    assert row.warp_mean_abs_ms == pytest.approx(40.0 / 3)
    assert (row.duration_s, row.n_frames) == (1.0, 100)


def test_union_nested_and_touching_masks():
    rec = AugmentRecord(n_mels=4, n_frames=20, time_masks=(MaskDraw(2, 10), MaskDraw(4, 3), MaskDraw(12, 2),
                                                            MaskDraw(0, 1)))
    row = stats.summarise([rec], hop_ms=10.0)
    assert row.time_masked.mean == pytest.approx(13 / 20)  # 0, 2..11 (with 4..6 inside), 12..13
    assert row.p_time_over_half == 1.0
    assert row.duration_s == pytest.approx(0.2)


def test_summarise_refuses_mixed_shapes():
    with pytest.raises(ParameterError, match="one spectrogram shape"):
        stats.summarise([AugmentRecord(n_mels=4, n_frames=20), AugmentRecord(n_mels=4, n_frames=21)], hop_ms=10.0)


def test_fixed_width_masks_hide_a_known_share_every_draw():
    # WeNet draws widths 1..max_t: with max_t = max_f = 1 every mask is exactly one cell, never cut
    config = SpecAugmentConfig(convention="wenet", time_mask_frames=1, n_time_masks=1, freq_mask_bands=1,
                               n_freq_masks=1)
    st = stats.recipe_stats(config, durations_s=[1, 5], draws=200)
    for row in st.rows:
        assert row.n_frames == 1 + round(row.duration_s * 22050) // 512
        assert (row.time_masked.mean, row.time_masked.p5, row.time_masked.p95) == pytest.approx((1 / row.n_frames,) * 3)
        assert (row.freq_masked.mean, row.freq_masked.p5, row.freq_masked.p95) == pytest.approx((1 / 128,) * 3)
        assert (row.n_time_masks, row.n_freq_masks) == (1.0, 1.0)
        assert row.warp_mean_abs_ms == 0.0 and row.p_time_over_half == 0.0
    assert st.framework == "wenet" and st.label == "wenet"


def test_one_mask_as_wide_as_the_clip_hides_half_on_average():
    # melwav: width uniform in 0..T; T = the clip's 44 frames (1 s): mean share 1/2, P(w > 22) = 22/45
    config = SpecAugmentConfig(time_mask_frames=44, n_time_masks=1)
    row = stats.recipe_stats(config, durations_s=[1], draws=20000).rows[0]
    assert row.n_frames == 44
    assert row.time_masked.mean == pytest.approx(0.5, abs=0.01)
    assert row.p_time_over_half == pytest.approx(22 / 45, abs=0.015)
    assert row.time_masked.p5 == pytest.approx(2 / 44, abs=1.01 / 44)
    assert row.time_masked.p95 == pytest.approx(42 / 44, abs=1.01 / 44)
    assert row.freq_masked.mean == 0.0 and row.n_freq_masks == 0.0


def test_expected_shares_for_a_corpus():
    # one-cell masks (WeNet, max_t = max_f = 1): exactly 1/n of the frames, 1/128 of the bands on every draw
    config = SpecAugmentConfig(convention="wenet", time_mask_frames=1, n_time_masks=1, freq_mask_bands=1,
                               n_freq_masks=1)
    out = stats.expected_shares(config, DEFAULT, durations_s=[5.0] * 3 + [10.0], draws=50)
    n5, n10 = 1 + round(5 * 22050) // 512, 1 + round(10 * 22050) // 512
    assert out["lengths_s"] == [5.0, 10.0]
    assert out["time"] == pytest.approx(0.75 / n5 + 0.25 / n10)
    assert out["freq"] == pytest.approx(1 / 128)
    cells = 0.75 * (1 - (1 - 1 / n5) * (1 - 1 / 128)) + 0.25 * (1 - (1 - 1 / n10) * (1 - 1 / 128))
    assert out["cells"] == pytest.approx(cells)
    json.dumps(out)
    assert stats.expected_shares(config, DEFAULT, durations_s=[None, 0.0]) is None
    many = stats.expected_shares("LB", DEFAULT, durations_s=np.linspace(1, 20, 500), draws=20, max_lengths=5)
    assert len(many["lengths_s"]) == 5


def test_warp_shift_in_ms():
    # |d| with d uniform in -10..10: mean 10 * 11 / 21 frames; 95% of draws within 10 frames
    config = SpecAugmentConfig(warp_frames=10)
    row = stats.recipe_stats(config, durations_s=[10], draws=20000).rows[0]
    hop = DEFAULT.hop_ms
    assert row.warp_mean_abs_ms == pytest.approx(110 / 21 * hop, rel=0.03)
    assert 9 * hop <= row.warp_p95_abs_ms <= 10 * hop
    assert row.time_masked.mean == 0.0


def test_draws_go_through_the_render_draw(monkeypatch):
    # a render's draw is draw_many(size=1): statistics call the same function for all their draws at once
    calls = []
    real = stats.draw_many

    def counting(config, **kw):
        calls.append((config.convention, kw["n_frames"], kw["n_mels"], kw["size"]))
        return real(config, **kw)

    monkeypatch.setattr(stats, "draw_many", counting)
    stats.clear_cache()
    stats.recipe_stats(recipe(ESPNET), durations_s=[2, 5], draws=50, settings=MelSettings(sr=16000, hop_length=160,
                                                                                        n_mels=80, n_fft=512))
    assert sorted(calls) == [("espnet", 201, 80, 50), ("espnet", 501, 80, 50)]


def test_rows_already_drawn_are_not_drawn_again(monkeypatch):
    stats.clear_cache()
    first = stats.recipe_stats("LB", durations_s=[2, 5], draws=40, seed=9)
    monkeypatch.setattr(stats, "draw_many", lambda *a, **k: pytest.fail("drew again"))
    assert stats.recipe_stats("LB", durations_s=[5], draws=40, seed=9).rows == first.rows[1:]
    with pytest.raises(pytest.fail.Exception, match="drew again"):
        stats.recipe_stats("LB", durations_s=[5], draws=41, seed=9)


def test_a_length_has_the_same_numbers_whatever_is_drawn_beside_it():
    stats.clear_cache()
    alone = stats.recipe_stats("LD", durations_s=[2], draws=300, seed=3).row(2)
    stats.clear_cache()  # drawn again, not taken from the cache
    beside = stats.recipe_stats("LD", durations_s=[1, 2, 5], draws=300, seed=3).row(2)
    assert alone == beside
    assert stats.recipe_stats("LD", durations_s=[2], draws=300, seed=4).row(2) != alone


# ------------------------------------------------------------------------------------------- warnings


def test_a_recipe_hiding_half_of_short_utterances_is_warned_about():
    ld = stats.recipe_stats("LD", draws=500)
    assert ld.row(2).p_time_over_half > 0.10
    assert any("more than half of a 2 s utterance" in w for w in ld.warnings)
    lb = stats.recipe_stats("LB", draws=500)
    assert lb.row(2).p_time_over_half < 0.10 and lb.warnings == ()


def test_the_short_length_is_drawn_for_the_warning_when_not_asked():
    ld = stats.recipe_stats("LD", durations_s=[10, 20], draws=500)
    assert [r.duration_s for r in ld.rows] == [10.0, 20.0]
    assert any("2 s utterance" in w for w in ld.warnings)


def test_a_width_rounded_by_another_hop_is_warned_about():
    espnet = recipe(ESPNET)  # W = 5 frames of 10 ms = 50 ms: 2 frames of 23.2 ms here
    (warning,) = stats.recipe_stats(espnet, durations_s=[5], draws=50).warnings
    assert "W = 5 frames of 10 ms (50 ms) is drawn as 2 frames of 23.2 ms" in warning
    own = MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80)
    assert stats.recipe_stats(espnet, durations_s=[5], draws=50, settings=own).warnings == ()
    assert stats.unit_warnings(Policy("W5", "", W=5), DEFAULT, label="mine")[0].startswith("mine: W = 5")


def test_own_operations_are_not_counted_as_masks():
    st = stats.recipe_stats(recipe(WENET), durations_s=[5], draws=100)
    assert any("own operations (sub)" in n and "not counted as masks" in n for n in st.notes)


# ------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("kwargs, match", [
    ({"durations_s": [0]}, "more than 0 s"),
    ({"durations_s": [-1, 2]}, "more than 0 s"),
    ({"durations_s": [31]}, "at most 30 s"),
    ({"durations_s": [31], "max_duration_s": 601}, "max_duration_s"),
    ({"durations_s": []}, "between 1 and"),
    ({"draws": 100_001}, "at most 100000 draws"),
    ({"draws": 5}, "draws must be between 20 and 100000"),
    ({"seed": -1}, "seed"),
])
def test_library_refusals(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        stats.recipe_stats("LD", **kwargs)


def test_unknown_policy_is_refused():
    with pytest.raises(ParameterError, match="policy must be one of"):
        stats.recipe_stats("XL")


def test_longer_lengths_with_a_larger_cap():
    row = stats.recipe_stats("LB", durations_s=[120], draws=50, max_duration_s=600).rows[0]
    assert row.n_frames == 1 + 120 * 22050 // 512


# --------------------------------------------------------------------------------------- JSON, figure


def test_json_shape_and_ranges():
    data = stats.stats_json([stats.recipe_stats("LD", draws=100), stats.recipe_stats(recipe(ESPNET), draws=100,
                                                                                     label="espnet.yaml")])
    json.dumps(data)  # plain JSON
    assert [r["label"] for r in data["recipes"]] == ["LD", "espnet.yaml"]
    assert [r["framework"] for r in data["recipes"]] == ["melwav", "espnet"]
    for rec in data["recipes"]:
        assert {"label", "framework", "rows"} <= set(rec)
        assert [row["duration_s"] for row in rec["rows"]] == [1.0, 2.0, 5.0, 10.0, 20.0, 30.0]
        for row in rec["rows"]:
            assert set(row) == {"duration_s", "n_frames", "time_masked", "freq_masked", "p_time_over_half",
                                "warp_ms", "n_masks"}
            for key in ("time_masked", "freq_masked"):
                assert set(row[key]) == {"mean", "p5", "p95"}
                assert 0.0 <= row[key]["p5"] <= row[key]["mean"] <= row[key]["p95"] <= 1.0
            assert 0.0 <= row["p_time_over_half"] <= 1.0
            assert set(row["warp_ms"]) == {"mean_abs", "p95_abs"} and row["warp_ms"]["mean_abs"] >= 0
            assert set(row["n_masks"]) == {"time", "freq"}
            assert isinstance(row["n_frames"], int)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_figure_has_one_line_per_recipe_on_each_axis(theme):
    from matplotlib.figure import Figure

    st = [stats.recipe_stats(p, durations_s=[1, 2, 5], draws=50) for p in ("LB", "LD", "SM")]
    fig = stats.plot_recipe_stats(st, theme=theme)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax in fig.axes:
        lines = [ln for ln in ax.lines if (ln.get_gid() or "").startswith("recipe:")]
        assert [ln.get_gid() for ln in lines] == ["recipe:LB", "recipe:LD", "recipe:SM"]
        assert [len(ln.get_xdata()) for ln in lines] == [3, 3, 3]
        assert len(ax.collections) == 3  # a p5-p95 band each
    assert [ln.get_gid() for ln in fig.axes[0].lines].count("half") == 1
    colours = {ln.get_color() for ln in fig.axes[0].lines if ln.get_gid() != "half"}
    assert len(colours) == 3


def test_figure_refusals():
    st = stats.recipe_stats("LB", durations_s=[1], draws=20)
    with pytest.raises(ParameterError, match="theme must be one of"):
        stats.plot_recipe_stats([st], theme="sepia")
    with pytest.raises(ParameterError, match="plot 1 to 8 recipes"):
        stats.plot_recipe_stats([])


def test_compare_recipes_is_one_call_for_a_page():
    from matplotlib.figure import Figure

    cmp = stats.compare_recipes([SpecAugmentConfig(time_mask_frames=20, n_time_masks=1), "LD"],
                                labels=["A: *sliders*", None], durations_s=[2, 10], draws=100, theme="dark")
    assert [s.label for s in cmp.stats] == ["A: *sliders*", "LD"]
    assert isinstance(cmp.figure, Figure)
    assert cmp.warnings == cmp.stats[1].warnings and len(cmp.warnings) == 1
    lines = cmp.table.splitlines()
    assert len(lines) == 2 + 4 and lines[0].startswith("| recipe | rules | length s |")
    assert lines[2].startswith("| A: \\*sliders\\* | melwav | 2 | 87 |")  # typed, not emphasis
    assert cmp.to_dict()["recipes"][1]["label"] == "LD"


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": ["one"]}, "one label per recipe"),
    ({"theme": "sepia"}, "theme must be one of"),
])
def test_compare_recipes_refusals(kwargs, match, monkeypatch):
    monkeypatch.setattr(stats, "draw_many", lambda *a, **k: pytest.fail("drew before refusing"))
    with pytest.raises(ParameterError, match=match):
        stats.compare_recipes(["LB", "LD"], durations_s=[2], draws=20, seed=77, **kwargs)


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_two_recipes_side_by_side(tmp_path, capsys):
    out_json, out_png = tmp_path / "s.json", tmp_path / "s.png"
    code = cli.main(["stats", "--config", str(ESPNET), "--policy", "LD", "--durations", "2,10", "--draws", "300",
                     "--json", str(out_json), "--png", str(out_png), "--theme", "dark"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert lines[0].split()[:4] == ["recipe", "rules", "len", "s"]
    assert [ln.split()[0] for ln in lines[1:]] == ["espnet_librispeech_conformer.yaml"] * 2 + ["LD"] * 2
    assert [ln.split()[2] for ln in lines[1:]] == ["2", "10", "2", "10"]
    data = json.loads(out_json.read_text())
    assert [r["label"] for r in data["recipes"]] == ["espnet_librispeech_conformer.yaml", "LD"]  # order given
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "warning: LD masks more than half of a 2 s utterance" in captured.err
    assert "warning: espnet_librispeech_conformer.yaml: W = 5 frames of 10 ms" in captured.err
    assert "note:   time warp W: 5 frames of 10 ms" in captured.err


def test_cli_table_matches_the_library(capsys):
    assert cli.main(["stats", "--policy", "LB", "--durations", "5", "--draws", "200", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    row = stats.recipe_stats("LB", durations_s=[5], draws=200, seed=2).row(5)
    cells = out.strip().splitlines()[1].split()
    assert cells[:4] == ["LB", "melwav", "5", str(row.n_frames)]
    assert cells[4] == f"{100 * row.time_masked.mean:.1f}" and cells[8] == f"{100 * row.freq_masked.mean:.1f}"


def test_cli_analysis_and_framework_units(capsys):
    assert cli.main(["stats", "--config", str(ESPNET), "--sr", "16000", "--n-fft", "512", "--hop", "160",
                     "--n-mels", "80", "--durations", "1", "--draws", "50"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].split()[3] == "101"  # 1 s of 10 ms frames
    assert "warning" not in captured.err  # its own 10 ms frames: nothing rounded
    assert cli.main(["stats", "--config", str(ESPNET), "--framework-hop-ms", "8", "--durations", "1",
                     "--draws", "50"]) == 0
    assert "espnet recipe in frames of 8 ms" in capsys.readouterr().err


def test_cli_width_option_in_analysis_frames_is_warned_about(capsys):
    assert cli.main(["stats", "--policy", "LB", "--time-mask-frames", "40", "--durations", "5",
                     "--draws", "50"]) == 0
    err = capsys.readouterr().err
    assert "--time-mask-frames 40 counts frames of this analysis (23.2 ms, so 929 ms), not the recipe's own 10 ms" \
        in err
    assert "note: --time-mask-frames applied to every recipe" in err
    assert cli.main(["stats", "--policy", "LB", "--time-mask-ms", "400", "--durations", "5", "--draws", "50"]) == 0
    assert "counts frames" not in capsys.readouterr().err


def test_cli_same_label_twice_is_told_apart(tmp_path, capsys):
    out = tmp_path / "s.json"
    assert cli.main(["stats", "--policy", "LD", "--policy", "ld", "--durations", "1", "--draws", "20",
                     "--json", str(out)]) == 0
    capsys.readouterr()
    assert [r["label"] for r in json.loads(out.read_text())["recipes"]] == ["LD", "LD (2)"]


@pytest.mark.parametrize("argv, match", [
    (["--policy", "XL"], "policy must be one of"),
    ([], "give at least one recipe"),
    (["--policy", "LD", "--durations", "0,2"], "a duration must be more than 0 s, got 0"),
    (["--policy", "LD", "--durations", "2,45"], "at most 30 s"),
    (["--policy", "LD", "--durations", "700", "--max-duration", "700"], "--max-duration must be"),
    (["--policy", "LD", "--durations", "two"], "--durations must be seconds separated by commas"),
    (["--policy", "LD", "--draws", "100001"], "at most 100000 draws"),
    (["--policy", "LD", "--framework", "espnet"], "--framework describes a training recipe"),
    (["--policy", "LD", "--framework-hop-ms", "10"], "--framework-hop-ms describes a training recipe"),
    (["--config", "no/such/file.yaml"], "No such file"),
    (["--policy"] + " --policy ".join("LB LD SM SS LB LD SM SS LB".split()).split(), "at most 8 recipes"),
])
def test_cli_refusals_are_one_line(argv, match, capsys):
    assert cli.main(["stats", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("melwav: error: ") and match in line


def test_cli_refuses_a_folder_for_the_outputs(tmp_path, capsys):
    assert cli.main(["stats", "--policy", "LD", "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_cli_longer_lengths_with_max_duration(capsys):
    assert cli.main(["stats", "--policy", "LB", "--durations", "60", "--max-duration", "60", "--draws", "20"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[3] == str(1 + 60 * 22050 // 512)


def test_cli_framework_analysis_draws_each_config_at_its_own_frames(capsys, tmp_path):
    """--framework-analysis: ESPnet's LibriSpeech recipe (10 ms frames, 80 channels) at its own analysis, so its
    W = 5 frames stay 5 (at the default 23.2 ms frames they become 2)."""
    out = tmp_path / "s.json"
    assert cli.main(["stats", "--config", str(ESPNET), "--framework-analysis", "--durations", "2", "--draws", "200",
                     "--json", str(out)]) == 0
    row = json.loads(out.read_text())["recipes"][0]["rows"][0]
    assert row["n_frames"] == 201  # 2 s of 10 ms frames (centred), not 87 of 23.2 ms
    assert "drawn in frames of 10 ms and 80 bands" in capsys.readouterr().err
    assert cli.main(["stats", "--config", str(ESPNET), "--framework-analysis", "--hop", "256", "--durations", "2"]) == 2
    assert capsys.readouterr().err.strip() == "melwav: error: --framework-analysis sets the analysis; drop --hop"
