"""``python -m melwav audition``: inputs of every form, bad clips, reuse, the report's HTML and summary.json."""

from __future__ import annotations

import gzip
import html.parser
import json
import os
import pathlib
import pickle

import numpy as np
import pytest
import soundfile as sf
from conftest import SMALL, tone_noise

from melwav import audition, cli, manifests, pipeline, report
from melwav.manifests import ClipSource
from melwav.specaugment import policy

#: The small analysis of conftest.SMALL and a short rebuild, as command-line options.
FAST = ["--sr", "8000", "--n-fft", "256", "--hop", "64", "--n-mels", "32", "--n-iter", "4", "--policy", "LD",
        "--draws", "1"]


def run(inputs, out, *extra) -> int:
    return cli.main(["audition", *map(str, inputs), "-o", str(out), *FAST, *extra])


def summary(out) -> dict:
    return json.loads((pathlib.Path(out) / "summary.json").read_text())


def by_source(out) -> dict:
    return {c["source"]: c for c in summary(out)["clips"]}


class Links(html.parser.HTMLParser):
    """Every tag and the link-like attributes of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        for name in ("src", "href", "srcset"):
            if name in attrs:
                self.links.append(attrs[name])


def parse(path) -> Links:
    parser = Links()
    parser.feed(pathlib.Path(path).read_text(encoding="utf-8"))
    return parser


# ------------------------------------------------------------------------------------------------ inputs


def test_files_and_folders_recursive(tmp_path, write_clip):
    a, _ = write_clip("a.wav")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    sf.write(str(tmp_path / "deep" / "er" / "b.flac"), tone_noise(0.4, 8000), 8000)
    (tmp_path / "deep" / "notes.txt").write_text("not audio")
    out = tmp_path / "out"
    assert run([a, tmp_path / "deep"], out) == 0
    clips = summary(out)["clips"]
    assert [pathlib.Path(c["source"]).name for c in clips] == ["a.wav", "b.flac"]
    assert all(c["ok"] for c in clips)
    assert clips[1]["duration_s"] == pytest.approx(0.4, abs=0.01)


def test_wav_scp_paths_relative_to_it_and_commands_never_run(tmp_path, write_clip):
    write_clip("a.wav")
    b, _ = write_clip("b.wav")
    (tmp_path / "data").mkdir()
    marker = tmp_path / "ran"
    scp = tmp_path / "data" / "wav.scp"
    scp.write_text(f"utt1 ../a.wav\nutt2 {b}\nutt3 touch {marker} |\nutt4\n")
    out = tmp_path / "out"
    assert run([scp], out) == 0
    clips = by_source(out)
    assert clips["utt1"]["ok"] and clips["utt2"]["ok"]
    assert clips["utt1"]["duration_s"] == pytest.approx(0.5, abs=0.01)
    assert not clips["utt3"]["ok"] and "piped command" in clips["utt3"]["error"]
    assert "wav.scp line 3" in clips["utt3"]["error"]
    assert not marker.exists()
    assert not clips["utt4"]["ok"] and "no audio path" in clips["utt4"]["error"]


def test_nemo_manifest_offset_and_duration(tmp_path, write_clip):
    write_clip("long.wav", duration_s=2.0)
    lines = [{"audio_filepath": "long.wav", "offset": 0.5, "duration": 0.8, "text": "x"},
             {"audio_filepath": "long.wav"},
             {"audio_filepath": "long.wav", "offset": 5.0, "duration": 1.0}]
    manifest = tmp_path / "train_manifest.json"
    manifest.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "out"
    assert run([manifest], out) == 0
    segment, whole, past = summary(out)["clips"]
    assert segment["ok"] and segment["duration_s"] == pytest.approx(0.8, abs=0.002)
    assert segment["offset_s"] == 0.5 and any("from 0.5 s" in n for n in segment["notes"])
    assert whole["ok"] and whole["duration_s"] == pytest.approx(2.0, abs=0.002) and whole["notes"] == []
    assert not past["ok"] and "past the end" in past["error"]
    # the segment's samples are the file's: its original player holds them (times the players' gain)
    y, sr = sf.read(str(out / segment["original_wav"]))
    assert sr == 8000 and len(y) == round(0.8 * 8000)
    source, _ = sf.read(str(tmp_path / "long.wav"))
    assert np.corrcoef(y, source[4000:10400])[0, 1] > 0.9999
    assert np.corrcoef(y, source[4100:10500])[0, 1] < 0.99


def _recording(rid: str, source: str, *, kind: str = "file", duration: float = 1.0, channels=(0,)) -> dict:
    return {"id": rid, "sources": [{"type": kind, "channels": list(channels), "source": source}],
            "sampling_rate": 8000, "num_samples": int(duration * 8000), "duration": duration,
            "channel_ids": list(channels)}


def test_lhotse_recordings_and_cuts_gz(tmp_path, write_clip):
    write_clip("mono.wav", duration_s=1.0)
    stereo = np.stack([tone_noise(1.5, 8000), np.zeros(12000, dtype=np.float32)], axis=1)
    write_clip("stereo.wav", data=stereo)
    (tmp_path / "m").mkdir()
    recordings = tmp_path / "m" / "recordings.jsonl.gz"
    with gzip.open(recordings, "wt") as f:
        f.write(json.dumps(_recording("rec-mono", "../mono.wav")) + "\n")
        f.write(json.dumps(_recording("rec-url", "https://example.com/a.wav", kind="url")) + "\n")
        f.write(json.dumps(_recording("rec-cmd", "sox a.wav -t wav - |", kind="command")) + "\n")
    cuts = tmp_path / "m" / "cuts.jsonl.gz"
    stereo_rec = _recording("rec-stereo", str(tmp_path / "stereo.wav"), duration=1.5, channels=(0, 1))
    with gzip.open(cuts, "wt") as f:
        # channel 1 is silent, channel 0 is not: the cut's channel is the one read
        f.write(json.dumps({"id": "cut-0", "start": 0.25, "duration": 1.0, "channel": 0, "supervisions": [],
                            "recording": stereo_rec, "type": "MonoCut"}) + "\n")
        f.write(json.dumps({"id": "cut-1", "start": 0.0, "duration": 1.0, "channel": 1, "supervisions": [],
                            "recording": stereo_rec, "type": "MonoCut"}) + "\n")
        f.write(json.dumps({"id": "mix", "type": "MixedCut", "tracks": []}) + "\n")
    out = tmp_path / "out"
    assert run([recordings, cuts], out) == 0
    clips = by_source(out)
    assert clips["rec-mono"]["ok"] and clips["rec-mono"]["duration_s"] == pytest.approx(1.0, abs=0.002)
    assert not clips["rec-url"]["ok"] and "URL" in clips["rec-url"]["error"]
    assert not clips["rec-cmd"]["ok"] and "never runs commands" in clips["rec-cmd"]["error"]
    assert clips["cut-0"]["ok"] and clips["cut-0"]["duration_s"] == pytest.approx(1.0, abs=0.002)
    assert clips["cut-0"]["channel"] == 0 and any("kept channel 0 of 2" in n for n in clips["cut-0"]["notes"])
    assert not clips["cut-1"]["ok"] and "silent" in clips["cut-1"]["error"]
    assert not clips["mix"]["ok"] and "MixedCut" in clips["mix"]["error"]


def test_manifest_lines_are_bounded(tmp_path, write_clip, monkeypatch):
    write_clip("a.wav")
    monkeypatch.setattr(manifests, "MAX_LINE_BYTES", 200)
    manifest = tmp_path / "m.jsonl.gz"
    with gzip.open(manifest, "wt") as f:
        f.write(json.dumps({"audio_filepath": "a.wav"}) + "\n")
        f.write(json.dumps({"audio_filepath": "a.wav", "text": "x" * 5000}) + "\n")  # over the line cap
        f.write("[" * 100_000 + "\n")  # too deep, and too long
        f.write("{not json\n")
        f.write(json.dumps({"audio_filepath": "a.wav", "offset": 0.1}) + "\n")
    sources = list(manifests.iter_sources([manifest]))
    assert [s.error is None for s in sources] == [True, False, False, False, True]
    assert "line 2 is longer than" in sources[1].error
    assert "not JSON" in sources[3].error
    # a manifest that inflates past the total cap stops there, with one reason
    monkeypatch.setattr(manifests, "MAX_MANIFEST_BYTES", 1000)
    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb") as f:
        f.write(b"\n".join([json.dumps({"audio_filepath": "a.wav"}).encode()] * 10_000))
    sources = list(manifests.iter_sources([bomb]))
    assert len(sources) < 100
    assert sources[-1].error is not None and "larger than" in sources[-1].error


# ------------------------------------------------------------------------------------------------ bad clips, exit codes


def test_bad_clips_listed_with_reasons(tmp_path, write_clip, capsys):
    good, _ = write_clip("good.wav")
    silent, _ = write_clip("silent.wav", data=np.zeros(4000, dtype=np.float32))
    long, _ = write_clip("long.wav", duration_s=3.0)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF but not really a wave file")
    missing = tmp_path / "missing.wav"
    out = tmp_path / "out"
    assert run([good, silent, long, junk, missing], out, "--max-duration", "2") == 0
    clips = by_source(out)
    assert clips[str(good)]["ok"]
    assert "silent" in clips[str(silent)]["error"]
    assert "the limit is 2 s" in clips[str(long)]["error"]
    assert "not an audio file" in clips[str(junk)]["error"]
    assert clips[str(missing)]["error"] == "no such file: missing.wav"
    for clip in clips.values():
        if not clip["ok"]:
            assert "\n" not in clip["error"] and clip["draws"] == [] and clip["duration_s"] is None
    page = (out / "index.html").read_text()
    assert "4 failed clip(s)" in page and "no such file: missing.wav" in page
    assert "1 of 5 clips rendered" in capsys.readouterr().err


def test_exit_codes_strict_and_nothing_rendered(tmp_path, write_clip, capsys):
    good, _ = write_clip("good.wav")
    missing = tmp_path / "missing.wav"
    assert run([good, missing], tmp_path / "o1", "--strict") == 1
    assert run([good], tmp_path / "o2", "--strict") == 0
    assert run([missing], tmp_path / "o3") == 1
    assert summary(tmp_path / "o3")["counts"] == {"clips": 1, "ok": 0, "failed": 1, "reused": 0, "rendered": 0,
                                                  "audio_s": 0.0}
    capsys.readouterr()
    assert run([tmp_path / "empty.scp"], tmp_path / "o4") == 1  # a missing scp is a missing clip
    (tmp_path / "none").mkdir()
    assert run([tmp_path / "none"], tmp_path / "o5") == 2
    assert "no clips found" in capsys.readouterr().err


def test_option_errors_are_one_line(tmp_path, write_clip, capsys):
    good, _ = write_clip("good.wav")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("specaug_conf: {}\n")
    assert cli.main(["audition", str(good), "-o", str(tmp_path / "o"), "--config", str(recipe), "--policy", "LD"]) == 2
    assert cli.main(["audition", str(good), "-o", str(tmp_path / "o"), "--draws", "0"]) == 2
    (tmp_path / "file").write_text("")
    assert cli.main(["audition", str(good), "-o", str(tmp_path / "file")]) == 2
    assert cli.main(["audition", str(good), "-o", str(tmp_path / "o"), "--method", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("melwav: error: ") for line in err)
    assert not (tmp_path / "o").exists()


def test_limit_stops_after_n_clips(tmp_path, write_clip):
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(4)]
    assert run(paths, tmp_path / "out", "--limit", "2") == 0
    assert [pathlib.Path(c["source"]).name for c in summary(tmp_path / "out")["clips"]] == ["c0.wav", "c1.wav"]


# ------------------------------------------------------------------------------------------------ reuse


def test_rerun_reuses_finished_clips(tmp_path, write_clip, monkeypatch):
    paths = [write_clip(f"c{i}.wav", duration_s=0.4)[0] for i in range(2)]
    out = tmp_path / "out"
    assert run(paths, out) == 0
    first = summary(out)
    assert first["counts"]["rendered"] == 2 and first["counts"]["reused"] == 0
    results = sorted((out / "clips").glob("*/result.json"))
    mtimes = [p.stat().st_mtime_ns for p in results]

    def no_render(*args, **kwargs):
        raise AssertionError("a finished clip was rendered again")

    monkeypatch.setattr(pipeline, "render", no_render)
    assert run(paths, out) == 0
    second = summary(out)
    assert second["counts"]["rendered"] == 0 and second["counts"]["reused"] == 2
    assert [p.stat().st_mtime_ns for p in results] == mtimes
    assert [c["draws"] for c in second["clips"]] == [c["draws"] for c in first["clips"]]
    monkeypatch.undo()
    # another seed is another key: rendered, the first run's folders stay
    assert run(paths, out, "--seed", "5") == 0
    assert summary(out)["counts"]["rendered"] == 2
    assert len(list((out / "clips").glob("*/result.json"))) == 4


def test_key_follows_source_settings_recipe_and_seed(tmp_path, write_clip):
    path, _ = write_clip("a.wav")
    config = policy("LD").to_config(SMALL)
    base = dict(settings=SMALL, config=config, seed=0, draws=1, method="fgla-mel", n_iter=4)
    key = audition.clip_key(ClipSource(str(path)), **base)
    assert audition.clip_key(ClipSource(str(path)), **base) == key
    others = [audition.clip_key(ClipSource(str(path)), **{**base, "seed": 1}),
              audition.clip_key(ClipSource(str(path)), **{**base, "config": config.replace(n_time_masks=1)}),
              audition.clip_key(ClipSource(str(path)), **{**base, "settings": SMALL.__class__(sr=16000)}),
              audition.clip_key(ClipSource(str(path), offset_s=0.1), **base),
              audition.clip_key(ClipSource(str(path), duration_s=0.2), **base)]
    assert len({key, *others}) == 6
    os.utime(path, ns=(1, 1))  # an edited file is another clip
    assert audition.clip_key(ClipSource(str(path)), **base) != key


def test_audition_clip_is_a_plain_function_of_picklable_arguments(tmp_path, write_clip):
    path, _ = write_clip("a.wav", duration_s=0.4)
    kwargs = dict(settings=SMALL, config=policy("LD").to_config(SMALL), seed=3, draws=2, method="fgla-mel",
                  n_iter=4, out_dir=str(tmp_path / "out"))
    source = ClipSource(str(path), label="a")
    pickle.loads(pickle.dumps((audition.audition_clip, source, kwargs)))
    result = audition.audition_clip(source, **kwargs)
    assert result["ok"] and not result["reused"] and len(result["draws"]) == 2
    assert len({d["seed"] for d in result["draws"]}) == 2
    for d in result["draws"]:
        for key in ("wav", "figure", "figure_dark", "params"):
            assert (tmp_path / "out" / d[key]).is_file()
        params = pipeline.read_params(tmp_path / "out" / d["params"])
        assert params.seed == d["seed"] and params.record.to_dict() == d["record"]
        share = d["masked_share"]
        assert 0 <= share["time"] <= share["cells"] <= 1 and 0 <= share["freq"] <= share["cells"]
    assert not list((tmp_path / "out" / "clips").glob(".*"))  # no temporary folder left
    again = audition.audition_clip(source, **kwargs)
    assert again["reused"] and again["draws"] == result["draws"]


def test_masked_share_counts_overlaps_once():
    from melwav.records import AugmentRecord, MaskDraw

    record = AugmentRecord(n_mels=10, n_frames=100, time_masks=(MaskDraw(0, 30), MaskDraw(20, 20)),
                           freq_masks=(MaskDraw(0, 2),))
    share = audition.masked_share(record)
    assert share["time"] == pytest.approx(0.4) and share["freq"] == pytest.approx(0.2)
    assert share["cells"] == pytest.approx(1 - 0.6 * 0.8)


# ------------------------------------------------------------------------------------------------ the report


def test_hostile_file_name_is_escaped(tmp_path, write_clip):
    path, _ = write_clip("<img src=x onerror=alert(1)>.wav")
    out = tmp_path / "out"
    assert run([path], out) == 0
    page = (out / "index.html").read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.wav" in page
    parsed = parse(out / "index.html")
    assert not any(name.startswith("on") for _tag, attrs in parsed.tags for name in attrs)
    assert {tag for tag, _ in parsed.tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "section",
                                               "div", "span", "table", "tr", "th", "td", "p", "code", "a", "audio",
                                               "picture", "source", "img", "ul", "li", "strong", "nav", "details",
                                               "summary"}
    assert "script" not in page.lower()


def test_links_are_relative_and_point_at_the_files(tmp_path, write_clip):
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(3)]
    out = tmp_path / "out"
    assert run([*paths, tmp_path / "gone.wav"], out, "--draws", "2", "--per-page", "2") == 0
    pages = sorted(out.glob("*.html"))
    assert [p.name for p in pages] == ["index.html", "page-2.html"]
    for page in pages:
        parsed = parse(page)
        assert parsed.links
        for link in parsed.links:
            assert not link.startswith(("/", "\\")) and ":" not in link and "http" not in link and ".." not in link
            assert (out / link).is_file(), link
        audios = [attrs for tag, attrs in parsed.tags if tag == "audio"]
        assert audios and all(a.get("preload") == "none" and "controls" in a for a in audios)
    text = (out / "index.html").read_text()
    assert "http" not in text and "prefers-color-scheme: dark" in text


def test_players_and_words_per_draw(tmp_path, write_clip):
    path, _ = write_clip("a.wav", duration_s=0.5)
    out = tmp_path / "out"
    assert run([path], out, "--draws", "3") == 0
    parsed = parse(out / "index.html")
    audio = [attrs["src"] for tag, attrs in parsed.tags if tag == "audio"]
    assert len(audio) == 2 + 3 and audio[0].endswith("original.wav") and audio[1].endswith("original_rebuilt.wav")
    assert [a.rsplit("/", 1)[1] for a in audio[2:]] == ["draw1.wav", "draw2.wav", "draw3.wav"]
    page = (out / "index.html").read_text()
    assert page.count("Masked cells were filled with") == 3 and "**" not in page
    dark = [attrs for tag, attrs in parsed.tags if tag == "source"]
    assert len(dark) == 3 and all(d["media"] == "(prefers-color-scheme: dark)" for d in dark)


def test_summary_json_shape(tmp_path, write_clip):
    good, _ = write_clip("good.wav", duration_s=0.4)
    out = tmp_path / "out"
    assert run([good, tmp_path / "missing.wav"], out, "--draws", "2", "--seed", "9") == 0
    data = summary(out)
    assert data["format"] == "melwav-audition"
    assert data["recipe"]["name"] == "policy LD" and data["recipe"]["seed"] == 9 and data["recipe"]["draws"] == 2
    assert data["recipe"]["config"] == policy("LD").to_config(SMALL).to_dict()
    assert data["counts"]["clips"] == 2 and data["counts"]["failed"] == 1
    assert data["measured_masked_share"]["n_draws"] == 2
    expected = data["recipe_statistics"]  # what melwav stats draws for a 0.4 s clip of this recipe
    assert set(expected) == {"cells", "time", "freq", "draws per length"} and expected["draws per length"] == 500
    assert 0 < expected["freq"] < expected["cells"] < 1 and 0 < expected["time"] < expected["cells"]
    ok, bad = data["clips"]
    for clip in (ok, bad):
        assert {"source", "ok", "error", "duration_s", "draws"} <= set(clip)
    assert ok["ok"] is True and ok["error"] is None and ok["duration_s"] == pytest.approx(0.4, abs=0.01)
    assert len(ok["draws"]) == 2
    assert {"seed", "summary", "words", "masked_share", "sc_db", "record", "wav", "figure"} <= set(ok["draws"][0])
    assert bad["ok"] is False and bad["error"] == "no such file: missing.wav" and bad["draws"] == []


def test_paging_prev_next_and_stale_pages_removed(tmp_path, write_clip):
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(5)]
    out = tmp_path / "out"
    assert run(paths, out, "--per-page", "2") == 0
    assert sorted(p.name for p in out.glob("*.html")) == ["index.html", "page-2.html", "page-3.html"]
    links = {p.name: [(a.get("rel"), a["href"]) for t, a in parse(p).tags if t == "a" and a.get("rel")]
             for p in out.glob("*.html")}
    assert ("next", "page-2.html") in links["index.html"] and not any(r == "prev" for r, _ in links["index.html"])
    assert ("prev", "index.html") in links["page-2.html"] and ("next", "page-3.html") in links["page-2.html"]
    assert not any(r == "next" for r, _ in links["page-3.html"])
    page3 = (out / "page-3.html").read_text()
    assert "5. " in page3 and "c4.wav" in page3 and "c0.wav" not in page3
    assert summary(out)["pages"] == ["index.html", "page-2.html", "page-3.html"]
    assert run(paths, out, "--per-page", "50") == 0
    assert sorted(p.name for p in out.glob("*.html")) == ["index.html"]


def test_recipe_statistics_hook_is_shown_beside_the_measured_share(tmp_path, write_clip, monkeypatch):
    path, _ = write_clip("a.wav", duration_s=0.4)
    seen = {}

    def stats(config, settings, *, durations_s):
        seen["durations"] = list(durations_s)
        return {"cells": 0.123, "time": 0.1, "freq": 0.05, "draws simulated": 1000}

    monkeypatch.setattr(report, "recipe_statistics", stats)
    out = tmp_path / "out"
    assert run([path], out) == 0
    page = (out / "index.html").read_text()
    assert "the recipe's statistics" in page and "12.3%" in page and "draws simulated" in page
    assert seen["durations"] == [pytest.approx(0.4, abs=0.01)]
    assert summary(out)["recipe_statistics"]["cells"] == 0.123


def test_two_worker_processes(tmp_path, write_clip):
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(3)]
    out = tmp_path / "out"
    assert run([*paths, tmp_path / "missing.wav"], out, "--workers", "2") == 0
    data = summary(out)
    assert [c["ok"] for c in data["clips"]] == [True, True, True, False]
    assert [pathlib.Path(c["source"]).name for c in data["clips"]] == ["c0.wav", "c1.wav", "c2.wav", "missing.wav"]
    # the same clips in this process give the same draws (the seeds are the clip's, not the worker's)
    assert run(paths, tmp_path / "serial") == 0
    serial = summary(tmp_path / "serial")["clips"]
    assert [c["draws"][0]["record"] for c in serial] == [c["draws"][0]["record"] for c in data["clips"][:3]]
    # and the same audio, bit for bit
    for a, b in zip(serial, data["clips"][:3]):
        assert (tmp_path / "serial" / a["draws"][0]["wav"]).read_bytes() == (out / b["draws"][0]["wav"]).read_bytes()
    assert not list((out / "clips").glob(".*"))


def test_interrupt_mid_clip_leaves_no_file_and_the_rerun_finishes(tmp_path, write_clip, monkeypatch):
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(2)]
    out = tmp_path / "out"
    calls = []
    real = audition.write_rgba_png

    def interrupted(path, rgba, **kwargs):
        calls.append(path)
        if len(calls) == 3:  # the second clip, after its WAVs and before its figures are complete
            raise KeyboardInterrupt
        return real(path, rgba, **kwargs)

    monkeypatch.setattr(audition, "write_rgba_png", interrupted)
    assert run(paths, out) == 130
    assert len(list((out / "clips").glob("*/result.json"))) == 1
    assert not list((out / "clips").glob(".*")) and not list(out.rglob("*.part"))
    assert not (out / "summary.json").exists() and not (out / "index.html").exists()
    monkeypatch.undo()
    assert run(paths, out) == 0
    assert summary(out)["counts"] == {"clips": 2, "ok": 2, "failed": 0, "reused": 1, "rendered": 1,
                                      "audio_s": pytest.approx(0.6, abs=0.01)}


def test_report_folder_inside_an_input_folder_is_not_auditioned(tmp_path, write_clip):
    write_clip("a.wav", duration_s=0.3)
    out = tmp_path / "report"
    assert run([tmp_path], out) == 0
    assert run([tmp_path], out) == 0  # the report's own WAVs are not inputs of the rerun
    assert [pathlib.Path(c["source"]).name for c in summary(out)["clips"]] == ["a.wav"]


def test_pool_replaced_where_workers_are_not(tmp_path, write_clip, monkeypatch):
    """Python 3.10's pool cannot replace its workers: the whole pool is replaced every few clips instead."""
    monkeypatch.setattr(audition, "POOL_REPLACES_WORKERS", False)
    monkeypatch.setattr(audition, "TASKS_PER_WORKER", 1)
    made = []
    real = audition._executor
    monkeypatch.setattr(audition, "_executor", lambda workers: made.append(workers) or real(workers))
    paths = [write_clip(f"c{i}.wav", duration_s=0.3)[0] for i in range(5)]
    assert run(paths, tmp_path / "out", "--workers", "2") == 0
    assert [c["ok"] for c in summary(tmp_path / "out")["clips"]] == [True] * 5
    assert made == [2, 2, 2]  # 2 clips per pool
