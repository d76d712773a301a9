"""The audition report: ``index.html`` (and ``page-2.html``, ...) that play from disk, and ``summary.json``.

The pages use relative links only and hold their own style: no server, no network, no script. Every
text that comes from a file name, a manifest or a recipe goes through :func:`html.escape`. The figures
come in the light and the dark theme and the page picks by ``prefers-color-scheme``; the players load
nothing until played (``preload="none"``) and the figures load as they scroll into view.

Only a compact line per clip is kept in memory while the run goes on; each page reads its clips' results
back from their folders, so a corpus of any size is written one page at a time.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import pathlib
import tempfile
import urllib.parse

import numpy as np

from . import stats
from .audio import atomic_write
from .features import MelSettings
from .specaugment import SpecAugmentConfig

SUMMARY_FORMAT = "melwav-audition"
#: Failures listed on the first page (all of them are in summary.json).
MAX_LISTED_FAILURES = 500


#: Bump when what a clip's folder holds changes, so a rerun renders again instead of reusing old folders.
RESULT_VERSION = 1
RESULT_NAME = "result.json"


def read_result(out_dir, key: str) -> dict | None:
    """The finished result of clip folder ``key``, or None (absent, unreadable, or of another version)."""
    path = pathlib.Path(out_dir) / "clips" / key / RESULT_NAME
    try:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(result, dict) or result.get("version") != RESULT_VERSION:
        return None
    result["reused"] = True
    return result


def recipe_statistics(config: SpecAugmentConfig, settings: MelSettings, *, durations_s) -> dict | None:
    """What ``melwav stats`` expects the recipe to mask on clips of these durations (s), for the report's summary.

    The expected masked shares (``"cells"``, ``"time"``, ``"freq"``: 0..1, the keys of :func:`measured_share`)
    from :func:`melwav.stats.expected_shares` (500 draws per length, at most 12 lengths), shown next to the
    shares measured on the clips, and how many draws they rest on; None when no clip rendered.
    """
    expected = stats.expected_shares(config, settings, durations_s=durations_s)
    if expected is None:
        return None
    return {"cells": expected["cells"], "time": expected["time"], "freq": expected["freq"],
            "draws per length": expected["draws"]}


def measured_share(shares: list[dict]) -> dict:
    """Mean, median, min and max of the draws' masked shares (``"cells"``, ``"time"``, ``"freq"``; 0..1)."""
    out = {"n_draws": len(shares)}
    for key in ("cells", "time", "freq"):
        values = np.array([s[key] for s in shares], dtype=float)
        out[key] = {"mean": float(values.mean()), "median": float(np.median(values)), "min": float(values.min()),
                    "max": float(values.max())} if values.size else None
    return out


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a run came to: counts, and the files written."""

    n_clips: int
    n_ok: int
    n_failed: int
    n_reused: int
    pages: tuple[str, ...]
    summary: pathlib.Path


def page_name(number: int) -> str:
    """The file of report page ``number`` (1-based): ``index.html``, then ``page-2.html``, ..."""
    return "index.html" if number == 1 else f"page-{number}.html"


def write_report(out_dir, results, *, recipe: dict, settings: MelSettings, config: SpecAugmentConfig,
                 per_page: int = 50) -> Outcome:
    """Consume ``results`` (``(index, result)`` pairs in any order, see :func:`melwav.audition.audition`) and
    write ``summary.json`` and the pages into ``out_dir``. Every file is written atomically.
    """

    out_dir = pathlib.Path(out_dir)
    entries: dict[int, dict] = {}  # index -> the failure itself, or {"key": ...} of a finished clip
    shares, durations = [], []
    n_reused = 0
    for index, result in results:
        if result["ok"]:
            entries[index] = {"key": result["key"]}
            shares += [d["masked_share"] for d in result["draws"]]
            durations.append(result["duration_s"])
            n_reused += bool(result.get("reused"))
        else:
            entries[index] = result
    order = sorted(entries)

    def full(index: int) -> dict:
        entry = entries[index]
        if "ok" in entry:
            return entry
        result = read_result(out_dir, entry["key"])
        return result if result is not None else {"source": entry["key"], "ok": False, "draws": [],
                                                  "error": "its result folder went missing", "duration_s": None}

    failures = [entries[i] for i in order if "ok" in entries[i]]
    measured = measured_share(shares)
    stats = recipe_statistics(config, settings, durations_s=durations)
    n_pages = max(1, -(-len(order) // per_page))
    counts = {"clips": len(order), "ok": len(order) - len(failures), "failed": len(failures), "reused": n_reused,
              "rendered": len(order) - len(failures) - n_reused, "audio_s": round(float(sum(durations)), 3)}
    summary_path = _write_summary(out_dir, (full(i) for i in order), recipe=recipe, counts=counts,
                                  measured=measured, stats=stats, pages=[page_name(k) for k in range(1, n_pages + 1)])
    for number in range(1, n_pages + 1):
        chunk = [full(i) for i in order[(number - 1) * per_page : number * per_page]]
        head = _summary_html(recipe, counts, failures, measured, stats) if number == 1 else ""
        text = _page(chunk, number=number, n_pages=n_pages, head=head, first_clip=(number - 1) * per_page + 1,
                     title=recipe["name"])
        atomic_write(out_dir / page_name(number), lambda f, text=text: f.write(text), mode="w")
    # A rerun with fewer clips leaves no stale page behind a link.
    for stale in out_dir.glob("page-*.html"):
        try:
            if int(stale.stem.split("-", 1)[1]) > n_pages:
                stale.unlink()
        except (ValueError, OSError):
            pass
    return Outcome(counts["clips"], counts["ok"], counts["failed"], n_reused,
                   tuple(page_name(k) for k in range(1, n_pages + 1)), summary_path)


def _write_summary(out_dir: pathlib.Path, clips, *, recipe, counts, measured, stats, pages) -> pathlib.Path:
    """``summary.json``, streamed clip by clip into a temporary file and renamed into place."""
    path = out_dir / "summary.json"
    fd, tmp = tempfile.mkstemp(prefix=".summary.json.", suffix=".part", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            head = {"format": SUMMARY_FORMAT, "version": 1, "recipe": recipe, "counts": counts,
                    "measured_masked_share": measured, "recipe_statistics": stats, "pages": pages}
            # The head's keys, then the clips one by one: a corpus' summary is never held whole in memory.
            f.write("{" + ",\n ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()) + ',\n "clips": [')
            for k, clip in enumerate(clips):
                clip = {key: value for key, value in clip.items() if key != "version"}
                f.write(("\n  " if k == 0 else ",\n  ") + json.dumps(clip))
            f.write("\n ]}\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


# ------------------------------------------------------------------------------------------------ HTML

_E = html.escape

STYLE = """
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1d1d1f; --muted: #5b5b66; --card: #ffffff;
  --line: #d9d9e0; --bad: #b3261e; --link: #1a56c4; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #15161a; --fg: #e8e8ed; --muted: #a4a4b0; --card: #1f2026; --line: #3a3b44; --bad: #ff8a80;
    --link: #8ab4ff; }
}
* { box-sizing: border-box; }
body { margin: 0; padding: 16px 24px 40px; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: var(--link); }
h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 17px; margin: 0 0 4px; word-break: break-all; }
.muted { color: var(--muted); } .bad { color: var(--bad); }
nav { margin: 10px 0 14px; display: flex; gap: 14px; flex-wrap: wrap; align-items: baseline; }
.summary, .clip { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 0 0 14px; }
table { border-collapse: collapse; } td, th { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
.players { display: flex; flex-wrap: wrap; gap: 8px 24px; margin: 6px 0 10px; }
.player { display: flex; flex-direction: column; gap: 2px; font-size: 13px; }
audio { width: 300px; height: 36px; }
.draw { border-top: 1px solid var(--line); padding-top: 10px; margin-top: 10px;
  display: grid; grid-template-columns: minmax(0, 3fr) minmax(260px, 2fr); gap: 8px 18px; }
.draw img { width: 100%; height: auto; display: block; }
.draw ul { margin: 4px 0; padding-left: 18px; font-size: 13.5px; } .draw ul ul { padding-left: 16px; }
@media (max-width: 900px) { .draw { grid-template-columns: 1fr; } }
details { margin-top: 6px; } code { font-size: 13px; } .summary h2 { margin-top: 14px; }
"""


def _href(path: str) -> str:
    """A relative link to a file of the report (the result's own POSIX path, quoted)."""
    return _E(urllib.parse.quote(path, safe="/"))


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _nav(number: int, n_pages: int) -> str:
    if n_pages == 1:
        return ""
    links = []
    if number > 1:
        links += [f'<a href="{page_name(1)}">first</a>', f'<a href="{page_name(number - 1)}" rel="prev">prev</a>']
    links.append(f"<span>page {number} of {n_pages}</span>")
    if number < n_pages:
        links += [f'<a href="{page_name(number + 1)}" rel="next">next</a>', f'<a href="{page_name(n_pages)}">last</a>']
    return "<nav>" + " ".join(links) + "</nav>"


def _words_html(lines) -> str:
    """The plain-word lines of a draw (``- item`` / indented ``  1. sub-item``) as nested lists, escaped."""
    out, open_sub = ["<ul>"], False
    for line in lines:
        sub = line.startswith("  ")
        text = line.strip()
        for mark in ("- ",):
            if text.startswith(mark):
                text = text[len(mark):]
        if sub and not open_sub:
            out.append("<ul>")
            open_sub = True
        elif not sub and open_sub:
            out.append("</ul>")
            open_sub = False
        out.append(f"<li>{_E(text)}</li>")
    if open_sub:
        out.append("</ul>")
    out.append("</ul>")
    return "".join(out)


def _player(label: str, href: str) -> str:
    return (f'<div class="player"><span>{_E(label)}</span>'
            f'<audio controls preload="none" src="{_href(href)}"></audio></div>')


def _clip_html(clip: dict, number: int) -> str:
    name = _E(str(clip.get("source", "")))
    origin = clip.get("origin") or ""
    where = f' <span class="muted">({_E(origin)})</span>' if origin else ""
    if not clip.get("ok"):
        return (f'<section class="clip" id="clip-{number}"><h2>{number}. {name}{where}</h2>'
                f'<p class="bad">failed: {_E(str(clip.get("error")))}</p></section>')
    segment = ""
    if clip.get("offset_s") or clip.get("segment_s") is not None:
        segment = f", from {clip['offset_s']:g} s"
    parts = [f'<section class="clip" id="clip-{number}"><h2>{number}. {name}{where}</h2>',
             f'<div class="muted">{clip["duration_s"]:.2f} s{segment} · original rebuilt: SC '
             f'{clip["original_sc_db"]:.1f} dB</div>']
    if clip.get("notes"):
        parts.append('<div class="muted">' + "; ".join(_E(str(n)) for n in clip["notes"]) + "</div>")
    parts.append('<div class="players">' + _player("original", clip["original_wav"])
                 + _player("original mel rebuilt", clip["original_rebuilt_wav"]) + "</div>")
    for k, d in enumerate(clip["draws"], start=1):
        share = d["masked_share"]
        alt = _E(f"original and augmented log-mel spectrograms of {clip.get('source', '')}, draw {k}")
        parts.append(
            '<div class="draw"><picture>'
            f'<source srcset="{_href(d["figure_dark"])}" media="(prefers-color-scheme: dark)">'
            f'<img src="{_href(d["figure"])}" alt="{alt}" width="1200" height="400" loading="lazy"></picture>'
            f'<div><strong>draw {k}</strong> <span class="muted">seed {d["seed"]} · masked {_pct(share["cells"])} '
            f'of the cells ({_pct(share["time"])} of the time, {_pct(share["freq"])} of the bands) · SC '
            f'{d["sc_db"]:.1f} dB</span>'
            + _player(f"augmented mel rebuilt, draw {k}", d["wav"])
            + _words_html(d["words"])
            + f'<a href="{_href(d["params"])}">params</a> <span class="muted">(replay: python -m melwav CLIP '
            f'--params FILE)</span></div></div>')
    parts.append("</section>")
    return "".join(parts)


def _summary_html(recipe: dict, counts: dict, failures: list[dict], measured: dict, stats: dict | None) -> str:
    rows = [("clips", f"{counts['clips']}: {counts['ok']} rendered ({counts['reused']} reused from an earlier run), "
                      f"{counts['failed']} failed; {counts['audio_s']:.1f} s of audio"),
            ("recipe", recipe["name"]), ("bounds", recipe["bounds"]),
            ("analysis", ", ".join(f"{k} {v}" for k, v in recipe["analysis"].items())),
            ("run", f"seed {recipe['seed']}, {recipe['draws']} draw(s) per clip, rebuilt with {recipe['method']}"
                    + (f" x{recipe['n_iter']}" if recipe.get("n_iter") is not None else ""))]
    html_rows = "".join(f"<tr><th>{_E(k)}</th><td>{_E(str(v))}</td></tr>" for k, v in rows)
    notes = "".join(f"<li>{_E(str(n))}</li>" for n in recipe.get("notes", []))
    share_rows = []
    for key, label in (("cells", "of the cells"), ("time", "of the time (frames)"), ("freq", "of the bands")):
        m = measured.get(key)
        value = "—" if m is None else (f"mean {_pct(m['mean'])}, median {_pct(m['median'])}, "
                                       f"{_pct(m['min'])} to {_pct(m['max'])}")
        expected = stats.get(key) if stats else None
        share_rows.append(f"<tr><th>{_E(label)}</th><td>{_E(value)}</td>"
                          + (f"<td>{_E(_pct(expected) if isinstance(expected, float) else str(expected))}</td>"
                             if stats is not None else "") + "</tr>")
    extra_stats = ""
    if stats:
        others = {k: v for k, v in stats.items() if k not in ("cells", "time", "freq")}
        extra_stats = "".join(f"<tr><th>{_E(str(k))}</th><td></td><td>{_E(str(v))}</td></tr>" for k, v in others.items())
    head = "<tr><th></th><th>measured on these clips</th>" + ("<th>the recipe's statistics</th>" if stats else "") + "</tr>"
    shares = (f"<h2>Masked share ({measured['n_draws']} draws)</h2><table>{head}{''.join(share_rows)}{extra_stats}"
              "</table>")
    if stats is None:
        shares += ('<p class="muted">The recipe\'s own statistics (<code>melwav stats</code>) are not available '
                   "in this build.</p>")
    fail = ""
    if failures:
        listed = failures[:MAX_LISTED_FAILURES]
        items = "".join(f"<tr><td>{_E(str(f.get('source')))}</td><td class=\"bad\">{_E(str(f.get('error')))}</td></tr>"
                        for f in listed)
        more = (f"<p class=\"muted\">... and {len(failures) - len(listed)} more in summary.json</p>"
                if len(failures) > len(listed) else "")
        fail = (f"<details {'open' if len(failures) <= 20 else ''}><summary>{len(failures)} failed clip(s)"
                f"</summary><table>{items}</table>{more}</details>")
    return (f'<section class="summary"><table>{html_rows}</table>'
            + (f"<details><summary>recipe notes</summary><ul>{notes}</ul></details>" if notes else "")
            + shares + fail + '<p class="muted">Everything here is also in <a href="summary.json">summary.json</a>.'
            "</p></section>")


def _page(clips: list[dict], *, number: int, n_pages: int, head: str, first_clip: int, title: str) -> str:
    nav = _nav(number, n_pages)
    body = "".join(_clip_html(c, first_clip + k) for k, c in enumerate(clips))
    if not clips:
        body = "<p>No clips.</p>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>melwav audition: {_E(title)}{'' if number == 1 else f' (page {number})'}</title>"
            f"<style>{STYLE}</style></head><body>"
            f"<h1>melwav audition: {_E(title)}</h1>{nav}{head}{body}{nav}</body></html>\n")
