"""Plain words for what was drawn: a one-line summary and a short description in seconds, Hz and paper units."""

from __future__ import annotations

import html
import re

from .features import MelSettings
from .specaugment import AugmentRecord, Policy, SpecAugmentConfig

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")  # ">" and "<": html.escape


def escape_markdown(text, *, limit: int = 500) -> str:
    """``text`` made inert for Markdown and HTML: tags, links, images and emphasis show as typed.

    For every text that comes from a file or a recipe (notes, names, descriptions); cut to ``limit``
    characters, on one line.
    """
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    # Markdown first, then HTML: the other way round, "#" of the entity "&#x27;" (an apostrophe) was escaped too,
    # and the page showed "&#x27;" as typed.
    return html.escape(_MD_SPECIAL.sub(r"\\\1", text), quote=True)


def _s(frames: float, settings: MelSettings) -> str:
    return f"{frames * settings.hop_length / settings.sr:.2f} s"


def band_hz(start: int, width: int, settings: MelSettings) -> tuple[float, float]:
    """The frequency range (Hz) covered by mel bands ``[start, start + width)``."""
    edges = settings.band_edges_hz()
    return float(edges[start]), float(edges[min(start + width, len(edges) - 1)])


def _hz(f: float) -> str:
    return f"{f / 1000:.2f} kHz" if f >= 1000 else f"{f:.0f} Hz"


def _span(mask) -> str:
    """``start-stop`` of a mask, or ``width 0`` for one that covers nothing (not "5-5")."""
    return f"{mask.start}-{mask.stop}" if mask.width else "width 0"


def summary_line(record: AugmentRecord, *, settings: MelSettings) -> str:
    """One line: what the draw did, in frames/bands and seconds (time masks in time order)."""
    parts = []
    if record.warp is not None:
        w = record.warp
        parts.append(f"warp frame {w.center}->{w.destination} ({w.distance:+d} fr, {w.distance * settings.hop_ms:+.0f} ms)")
    else:
        parts.append("no warp")
    if record.freq_masks:
        spans = ", ".join(_span(m) for m in record.freq_masks)
        parts.append(f"{len(record.freq_masks)} freq mask(s) [bands {spans}]")
    else:
        parts.append("no freq masks")
    if record.time_masks:
        spans = ", ".join(_span(m) for m in sorted(record.time_masks, key=lambda m: (m.start, m.width)))
        parts.append(f"{len(record.time_masks)} time mask(s) [frames {spans}]")
    else:
        parts.append("no time masks")
    text = "; ".join(parts)
    if record.convention != "melwav":
        text += f" ({record.convention} rules)"
    return text


def time_order(masks) -> list:
    """The masks with width > 0, sorted by where they start (then by width, then as drawn): the k-th one is
    mask number k on the plot (``T{k}`` for time masks, ``F{k}`` for frequency masks, from the lowest band)."""
    ranked = sorted(range(len(masks)), key=lambda i: (masks[i].start, masks[i].width, i))
    return [masks[i] for i in ranked if masks[i].width]


def mel_share(width: int, n_mels: int) -> str:
    """A width in bands as a share of the mel scale, rounded the way a person says it ("12%", "<1%")."""
    share = 100.0 * width / max(n_mels, 1)
    return "<1%" if 0 < share < 1 else f"{share:.0f}%"


#: What each fill mode writes into a masked cell, in words.
FILL_WORDS = {
    "mean": "the clip's mean level (the paper's choice: normalised features masked to 0)",
    "stage_mean": "the mean level recomputed before each stage (stage_mean: after the warp, then again after the "
                  "frequency masks, so each stage fills with the mean of what it was given)",
    "floor": "the clip's quietest level (silence)",
    "value": "a fixed level",
    "absolute": "the framework's 0, an absolute level on its own feature scale, placed on this clip's level",
    "band_mean": "each mel band's own mean level (per-feature normalised features masked to 0)",
}


def describe(
    record: AugmentRecord,
    *,
    settings: MelSettings,
    fill_db: float | None = None,
    policy: Policy | None = None,
) -> str:
    """A short Markdown description of the draw for a person: seconds, Hz, and (with ``policy``) paper units.

    Time masks are listed in time order and numbered 1, 2, ... (the numbers the figure puts on them, see
    :func:`time_order`); frequency masks from the lowest band up.

    Parameters
    ----------
    record : AugmentRecord
    settings : MelSettings
    fill_db : float, optional
        The resolved fill value, to say what the masks were filled with.
    policy : Policy, optional
        When a paper preset is active, also give each number in its units (10 ms frames, channels of an
        80-channel filter bank), rounded to whole frames and channels.
    """
    hop_ms = settings.hop_ms
    paper = None
    if policy is not None and policy.name != "none":
        paper = policy

    def frames_txt(n: float) -> str:
        text = f"{n:g} frame{'s' if n != 1 else ''} = {n * hop_ms / 1000:.2f} s"
        if paper:
            text += f" (= {n * hop_ms / paper.frame_ms:.0f} of the paper's {paper.frame_ms:g} ms frames)"
        return text

    def bands_txt(start: int, width: int) -> str:
        lo, hi = band_hz(start, width, settings)
        text = (f"{_hz(lo)} to {_hz(hi)}: {mel_share(width, settings.n_mels)} of the mel scale "
                f"(bands {start}-{start + width - 1} of {settings.n_mels}")
        if paper:
            text += f"; about {width * paper.n_channels / settings.n_mels:.0f} of the paper's {paper.n_channels} channels"
        return text + ")"

    lines = []
    if record.warp is not None and record.warp.distance != 0:
        w = record.warp
        direction = "later" if w.distance > 0 else "earlier"
        lines.append(
            f"- **Time warp** (green arrow): the point at {_s(w.center, settings)} was moved "
            f"{abs(w.distance) * hop_ms:.0f} ms {direction} (to {_s(w.destination, settings)}); audio before it is "
            f"stretched or squeezed to fit, the start and end stay put. Distance: {frames_txt(abs(w.distance))}."
        )
    elif record.warp is not None:
        lines.append(f"- **Time warp**: drawn at {_s(record.warp.center, settings)} with distance 0, so nothing moved.")
    else:
        lines.append("- **Time warp**: none.")
    time = time_order(record.time_masks)
    if time:
        lines.append(f"- **Time masks** ({len(time)} of {len(record.time_masks)} drawn with width > 0), "
                     "numbered in time order, T1, T2, ... as on the figure:")
        lines += [f"  {k}. {_s(m.start, settings)} to {_s(m.stop, settings)}: {frames_txt(m.width)}"
                  for k, m in enumerate(time, start=1)]
    else:
        lines.append(f"- **Time masks**: {'all drawn with width 0' if record.time_masks else 'none'}.")
    freq = time_order(record.freq_masks)
    if freq:
        lines.append(f"- **Frequency masks** ({len(freq)} of {len(record.freq_masks)} drawn with width > 0), "
                     "lowest first, F1, F2, ... as on the figure:")
        lines += [f"  - F{k}: {bands_txt(m.start, m.width)}" for k, m in enumerate(freq, start=1)]
    else:
        lines.append(f"- **Frequency masks**: {'all drawn with width 0' if record.freq_masks else 'none'}.")
    fill_txt = FILL_WORDS[record.fill]
    if fill_db is not None:
        fill_txt += f", {fill_db:.1f} dB re. peak"
    lines.append(f"- **Masked cells** were filled with {fill_txt}.")
    if record.convention != "melwav":
        lines.append(f"- Drawn with **{escape_markdown(record.convention, limit=64)}**'s rules.")
    for note in record.notes:
        lines.append(f"- Note: {escape_markdown(note)}.")
    return "\n".join(lines)


def describe_config(config: SpecAugmentConfig, *, settings: MelSettings) -> str:
    """The configured bounds in frames/bands and in ms/Hz, one line each."""
    hop = settings.hop_ms
    edges = settings.band_edges_hz()
    F = min(config.freq_mask_bands, settings.n_mels)
    lines = [
        f"W = {config.warp_frames} frames ({config.warp_frames * hop:.0f} ms)",
        f"F = {config.freq_mask_bands} bands (up to {mel_share(F, settings.n_mels)} of the mel scale: "
        f"{_hz(edges[0])} to {_hz(edges[F])} at the bottom, {_hz(edges[-1 - F])} to {_hz(edges[-1])} at the top)"
        f" x {config.n_freq_masks}",
    ]
    if config.width_ratio > 0:
        lines.append(f"T = {config.width_ratio:g} x clip length (adaptive) x {config.n_time_masks}")
    else:
        lines.append(f"T = {config.time_mask_frames} frames ({config.time_mask_frames * hop:.0f} ms) x {config.n_time_masks}")
    lines.append(f"p = {config.max_time_ratio:g}")
    if config.masks_per_frame > 0:
        lines.append(f"pM = {config.masks_per_frame:g} masks per frame (capped at {config.n_time_masks})")
    return "; ".join(lines)
