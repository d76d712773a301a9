"""Figures: original and augmented log-mel side by side, with the draw marked on the augmented panel.

Figures are built as ``matplotlib.figure.Figure`` objects (no pyplot state), so a server can make many
at once. Sizes and colours are chosen for a projector: large type, a perceptually uniform colour map
that survives washed-out screens and colour-blind viewers (magma), and overlays in cyan, which stands
out on every part of it.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
import zlib

import matplotlib

matplotlib.use("Agg")  # headless: never open a window, whatever backend the environment names

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

from .explain import time_order  # noqa: E402
from .features import MelSettings  # noqa: E402
from .specaugment import AugmentRecord  # noqa: E402

CMAP = "magma"
OVERLAY = "#00e5ff"
WARP_COLOUR = "#7CFC00"
DYNAMIC_RANGE_DB = 80.0
#: Text and tick colours per page theme; the figure background is transparent, so it takes the page's.
THEMES = {"light": "#1f2937", "dark": "#e5e7eb"}
#: The page figure, in pixels: its labels of 22 px stay >= 14 px on screen down to 770 px of display width
#: (at 1280x720 the page shows it 280 px tall, so about 840 px wide: 15 px labels).
FIGURE_PX = (1200, 400)
FONT_PX = 22
_PX_PT = 72.0 / 100.0  # points per pixel at dpi 100


def _theme(theme: str) -> str:
    if theme not in THEMES:
        from .errors import ParameterError

        raise ParameterError(f"theme must be one of {', '.join(THEMES)}, got {theme!r}")
    return THEMES[theme]


def _style(fig: Figure, *, base: float, theme: str = "light") -> None:
    """Transparent background, theme-coloured text and ticks; ``base`` is the label size in pixels."""
    ink = _theme(theme)
    fig.patch.set_alpha(0.0)
    for ax in fig.axes:
        ax.patch.set_alpha(0.0)
        ax.tick_params(labelsize=base * _PX_PT, width=1.2, length=5, colors=ink)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.xaxis.label.set_size(base * _PX_PT)
        ax.yaxis.label.set_size(base * _PX_PT)
        ax.xaxis.label.set_color(ink)
        ax.yaxis.label.set_color(ink)
        ax.title.set_size(base * 1.1 * _PX_PT)
        ax.title.set_color(ink)


def _hz_ticks(settings: MelSettings, n_ticks: int = 6) -> tuple[np.ndarray, list[str]]:
    edges = settings.band_edges_hz()
    centres = (edges[:-1] + edges[1:]) / 2
    candidates = [f for f in (0, 100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000)
                  if settings.fmin <= f <= settings.fmax_hz]
    positions = np.interp(candidates, centres, np.arange(settings.n_mels))
    keep = [(p, f) for p, f in zip(positions, candidates)]
    # Thin out ticks that would collide (less than a tenth of the axis apart).
    out, last = [], -np.inf
    for p, f in keep:
        if p - last >= settings.n_mels / 10:
            out.append((p, f))
            last = p
    out = out[:n_ticks + 2]
    labels = [f"{f / 1000:g}k" if f >= 1000 else f"{f:g}" for _, f in out]
    return np.array([p for p, _ in out]), labels


def _time_ticks(duration_s: float, max_ticks: int = 5) -> np.ndarray:
    """Round times (s) for the x axis, none in the last 8 % of the panel.

    Side by side panels meet at "end of one, 0 of the next"; keeping the right end free of labels is
    what stops them from running into each other ("4.00.0").
    """
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600):
        if duration_s / step <= max_ticks:
            break
    ticks = np.arange(0.0, duration_s, step)
    return ticks[ticks <= 0.92 * duration_s]


def _time_axis(ax, n_frames: int, settings: MelSettings) -> None:
    frame_s = settings.hop_length / settings.sr
    ticks = _time_ticks(n_frames * frame_s)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("time (s)")


def _show_mel(ax, L: np.ndarray, *, settings: MelSettings, vmin: float, vmax: float):
    frame_s = settings.hop_length / settings.sr
    extent = (-0.5 * frame_s, (L.shape[-1] - 0.5) * frame_s, -0.5, L.shape[-2] - 0.5)
    im = ax.imshow(L, origin="lower", aspect="auto", cmap=CMAP, vmin=vmin, vmax=vmax, extent=extent,
                   interpolation="nearest")
    ticks, labels = _hz_ticks(settings)
    ax.set_yticks(ticks, labels)
    _time_axis(ax, L.shape[-1], settings)
    return im


def numbered(masks) -> list[tuple[int, object]]:
    """``[(k, mask), ...]`` for the masks of non-zero width, ``k`` = 1 + the mask's rank by start among them.

    The page's labels: time mask k ("T1", "T2", ...) is the k-th in time order and frequency mask k
    ("F1", ...) the k-th from the lowest band. A mask of width 0 covers nothing, is not drawn and takes no
    number, so the figure and "what was drawn" (:func:`melwav.explain.describe`, the same order:
    :func:`melwav.explain.time_order`) number the same masks the same way.
    """
    return list(enumerate(time_order(masks), start=1))


def warp_label(record: AugmentRecord, settings: MelSettings) -> str:
    """The warp's label on the plot, in milliseconds (e.g. "warp +302 ms")."""
    return f"warp {record.warp.distance * settings.hop_ms:+.0f} ms"


def draw_record(ax, record: AugmentRecord, *, settings: MelSettings, linewidth: float = 2.5,
                labels: bool = True, fontsize: float = 14) -> None:
    """Mark the masks (cyan outlines, hatched, numbered) and the warp (green arrow, in ms) of ``record`` on ``ax``."""
    frame_s = settings.hop_length / settings.sr
    n_frames = record.n_frames
    label = dict(color=OVERLAY, fontsize=fontsize, fontweight="bold",
                 bbox=dict(boxstyle="square,pad=0.1", facecolor="black", edgecolor="none", alpha=0.6))
    for k, m in numbered(record.freq_masks):
        ax.add_patch(Rectangle((-0.5 * frame_s, m.start - 0.5), n_frames * frame_s, m.width,
                               fill=False, edgecolor=OVERLAY, linewidth=linewidth, hatch="//"))
        if labels:
            ax.text(0.5 * frame_s, m.start - 0.5 + m.width / 2, f"F{k}", va="center", ha="left", **label)
    for k, m in numbered(record.time_masks):
        ax.add_patch(Rectangle(((m.start - 0.5) * frame_s, -0.5), m.width * frame_s, record.n_mels,
                               fill=False, edgecolor=OVERLAY, linewidth=linewidth, hatch="\\\\"))
        if labels:
            ax.text((m.start - 0.5) * frame_s, record.n_mels * (0.97 - 0.09 * ((k - 1) % 2)), f"T{k}",
                    va="top", ha="left", **label)
    if record.warp is not None:
        x0, x1 = record.warp.center * frame_s, record.warp.destination * frame_s
        y = record.n_mels * 0.5
        ax.axvline(x1, color=WARP_COLOUR, linewidth=linewidth * 0.8, linestyle="--")
        if record.warp.distance:
            ax.add_patch(FancyArrowPatch((x0, y), (x1, y), arrowstyle="-|>", mutation_scale=22,
                                         color=WARP_COLOUR, linewidth=linewidth))
        ax.plot([x0], [y], marker="o", markersize=8, color=WARP_COLOUR)
        if labels:
            near_end = record.warp.destination > 0.7 * n_frames  # keep the label inside the panel
            ax.annotate(warp_label(record, settings), (x1, y), xytext=(-6 if near_end else 6, 8),
                        textcoords="offset points", ha="right" if near_end else "left",
                        color=WARP_COLOUR, fontsize=fontsize, fontweight="bold")


def plot_comparison(
    L: np.ndarray,
    L_aug: np.ndarray,
    *,
    settings: MelSettings,
    record: AugmentRecord | None = None,
    L_rebuilt: np.ndarray | None = None,
    titles: tuple[str, ...] = ("original", "augmented"),
    width_in: float = 16.0,
    theme: str = "light",
) -> Figure:
    """Original and augmented log-mel side by side on one colour scale (and, optionally, the rebuilt one).

    Parameters
    ----------
    L, L_aug : np.ndarray [shape=(n_mels, t)]
        Log-mel in dB re. the clip's peak.
    settings : MelSettings
        For the axes: seconds on x, Hz on y.
    record : AugmentRecord, optional
        Drawn over the augmented panel (masks numbered, see :func:`numbered`; the warp in ms).
    L_rebuilt : np.ndarray [shape=(n_mels, t')], optional
        Log-mel of the rebuilt augmented audio, shown as a third panel.
    theme : {"light", "dark"}
        Colour of the text and ticks; the background is transparent.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = [L, L_aug] + ([L_rebuilt] if L_rebuilt is not None else [])
    names = list(titles) + (["mel of the rebuilt audio"] if L_rebuilt is not None else [])
    vmax = float(max(np.max(p) for p in panels))
    vmin = vmax - DYNAMIC_RANGE_DB
    n = len(panels)
    # Fixed margins instead of constrained layout: it costs as much as drawing the figure itself.
    fig = Figure(figsize=(width_in, 4.2), dpi=100)
    axes = fig.subplots(1, n, sharey=True, gridspec_kw=dict(left=0.07, right=0.9, bottom=0.16, top=0.9,
                                                            wspace=0.06))
    im = None
    for i, (ax, panel, name) in enumerate(zip(axes, panels, names)):
        im = _show_mel(ax, panel, settings=settings, vmin=vmin, vmax=vmax)
        ax.set_title(name, fontweight="bold")
        if i == 0:
            ax.set_ylabel("frequency (Hz, mel scale)")
    if record is not None:
        draw_record(axes[1], record, settings=settings)
    cbar = fig.colorbar(im, cax=fig.add_axes((0.915, 0.16, 0.012, 0.74)))
    cbar.set_label("dB re. peak")
    _style(fig, base=20, theme=theme)
    cbar.outline.set_visible(False)
    return fig


def plot_thumbnail(L_aug: np.ndarray, *, settings: MelSettings, record: AugmentRecord | None = None,
                   title: str = "", vmax: float | None = None, theme: str = "light") -> Figure:
    """A small augmented log-mel with its draw marked, for a grid of draws (axes and labels inside the figure)."""
    vmax = float(np.max(L_aug)) if vmax is None else float(vmax)
    fig = Figure(figsize=(3.6, 2.4), dpi=100)
    ax = fig.subplots(gridspec_kw=dict(left=0.17, right=0.97, bottom=0.19, top=0.87))
    _show_mel(ax, L_aug, settings=settings, vmin=vmax - DYNAMIC_RANGE_DB, vmax=vmax)
    if record is not None:
        draw_record(ax, record, settings=settings, linewidth=1.5, labels=False)
    ax.set_title(title, fontweight="bold")
    ax.set_xlabel("")
    _style(fig, base=13, theme=theme)
    return fig


def save_png(path, fig: Figure, *, dpi: int = 100):
    """Write a figure as a PNG file, atomically (see :func:`melwav.audio.atomic_write`)."""
    from .audio import atomic_write

    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi, transparent=True))


# ------------------------------------------------------------------ the page's figure, composed fast
#
# A slider move changes only the augmented panel and its overlays. The axes, ticks, labels, colour bar
# and the original panel are drawn once per clip and theme by matplotlib (:func:`comparison_base`);
# each move then paints the augmented log-mel through the colour map's lookup table into that picture
# and draws the overlays with PIL (:func:`compose_comparison`), then encodes the PNG without row filters at a
# fast zlib level (:func:`encode_rgba_png`): about 20 ms instead of about 450 ms for the same figure redrawn.


@dataclasses.dataclass(frozen=True)
class ComparisonBase:
    """The static part of the page's figure: an RGBA picture and where its panels are.

    Attributes
    ----------
    rgba : np.ndarray [shape=(height, width, 4)], uint8, read-only
        Axes, labels, colour bar and the original panel on a transparent background.
    panels : tuple of (x0, y0, x1, y1)
        Pixel box of each panel (top-left origin, end exclusive); panel 0 is the original.
    n_mels, n_frames : int
    vmin, vmax : float
        The colour scale (dB).
    settings : MelSettings
    theme : str
    """

    rgba: np.ndarray
    panels: tuple[tuple[int, int, int, int], ...]
    n_mels: int
    n_frames: int
    vmin: float
    vmax: float
    settings: MelSettings
    theme: str


@functools.lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    cmap = matplotlib.colormaps[CMAP]
    lut = (cmap(np.linspace(0.0, 1.0, 256)) * 255 + 0.5).astype(np.uint8)
    lut.setflags(write=False)
    return lut


@functools.lru_cache(maxsize=8)
def _font(size: int):
    import pathlib

    from PIL import ImageFont

    path = pathlib.Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    return ImageFont.truetype(str(path), size)


def colour_mapped(L: np.ndarray, size: tuple[int, int], *, vmin: float, vmax: float) -> np.ndarray:
    """A log-mel [shape=(n_mels, t)] as an RGBA picture of ``size`` = (width, height) pixels, low bands at the bottom.

    Nearest-cell sampling, as ``imshow(..., interpolation="nearest", origin="lower")``.
    """
    L = np.asarray(L, dtype=np.float32)
    w, h = size
    n_mels, t = L.shape
    cols = np.minimum(((np.arange(w) + 0.5) * (t / w)).astype(np.intp), t - 1)
    rows = np.minimum(((np.arange(h)[::-1] + 0.5) * (n_mels / h)).astype(np.intp), n_mels - 1)
    scale = 255.0 / max(vmax - vmin, 1e-6)
    idx = np.clip((L - vmin) * scale, 0, 255).astype(np.uint8)
    return _lut()[idx[rows[:, None], cols[None, :]]]


def comparison_base(L: np.ndarray, *, settings: MelSettings, theme: str = "light", n_panels: int = 2,
                    titles: tuple[str, ...] = ("original", "augmented", "mel of the rebuilt audio"),
                    size: tuple[int, int] = FIGURE_PX) -> ComparisonBase:
    """Draw the static part of the page's figure once (matplotlib): axes, labels, colour bar, original panel.

    Parameters
    ----------
    L : np.ndarray [shape=(n_mels, t)]
        The original log-mel (dB re. peak); it sets the colour scale.
    settings : MelSettings
    theme : {"light", "dark"}
    n_panels : int
        2 (original, augmented) or 3 (and the mel of the rebuilt audio).
    size : (width, height)
        Pixels.

    Returns
    -------
    ComparisonBase
    """
    ink = _theme(theme)
    L = np.asarray(L)
    n_mels, n_frames = L.shape
    vmax = float(np.max(L))
    vmin = vmax - DYNAMIC_RANGE_DB
    w_px, h_px = size
    fig = Figure(figsize=(w_px / 100, h_px / 100), dpi=100)
    right = 0.885
    axes = fig.subplots(1, n_panels, sharey=True, gridspec_kw=dict(left=0.085, right=right, bottom=0.17,
                                                                   top=0.9, wspace=0.07))
    frame_s = settings.hop_length / settings.sr
    ticks, labels = _hz_ticks(settings)
    for i, ax in enumerate(axes):
        ax.set_xlim(-0.5 * frame_s, (n_frames - 0.5) * frame_s)
        ax.set_ylim(-0.5, n_mels - 0.5)
        ax.set_yticks(ticks, labels)
        _time_axis(ax, n_frames, settings)
        ax.set_title(titles[i], fontweight="bold")
        if i == 0:
            ax.set_ylabel("frequency (Hz, mel scale)")
    sm = matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(vmin, vmax), cmap=CMAP)
    cbar = fig.colorbar(sm, cax=fig.add_axes((right + 0.015, 0.17, 0.012, 0.73)))
    cbar.set_label("dB re. peak")
    _style(fig, base=FONT_PX, theme=theme)
    cbar.outline.set_visible(False)
    cbar.ax.tick_params(colors=ink)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.array(canvas.buffer_rgba(), dtype=np.uint8)
    boxes = []
    for ax in axes:
        bb = ax.get_window_extent()
        x0, x1 = int(round(bb.x0)), int(round(bb.x1))
        y0, y1 = int(round(h_px - bb.y1)), int(round(h_px - bb.y0))
        boxes.append((x0, y0, x1, y1))
    x0, y0, x1, y1 = boxes[0]
    rgba[y0:y1, x0:x1] = colour_mapped(L, (x1 - x0, y1 - y0), vmin=vmin, vmax=vmax)
    rgba.setflags(write=False)
    return ComparisonBase(rgba, tuple(boxes), n_mels, n_frames, vmin, vmax, settings, theme)


def _hex(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _hatch(rgba: np.ndarray, box, colour, *, rising: bool, period: int = 14, width: int = 2) -> None:
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.ogrid[y0:y1, x0:x1]
    diag = (xx + yy) if rising else (xx - yy)
    on = (diag % period) < width
    region = rgba[y0:y1, x0:x1, :3]
    region[on] = colour


@functools.lru_cache(maxsize=256)
def _label(text: str, colour: tuple[int, int, int], anchor: str):
    """A label drawn once (outlined in black, :data:`FONT_PX`), then pasted: FreeType drew each label twice
    per figure (fill and outline), ~4 ms of the ~19 a figure takes. Returns the tile (RGBA) and its box
    around the anchor point."""
    from PIL import Image, ImageDraw

    font = _font(FONT_PX)
    box = ImageDraw.Draw(Image.new("RGBA", (1, 1))).textbbox((0, 0), text, font=font, anchor=anchor, stroke_width=3)
    tile = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((-box[0], -box[1]), text, fill=colour, font=font, anchor=anchor, stroke_width=3,
                              stroke_fill=(0, 0, 0))
    return tile, box


def _text(image, xy, text, *, colour, anchor="la") -> tuple[int, int, int, int]:
    """Paste ``text`` at ``xy`` (rounded to the pixel); returns its box in the image, as PIL's ``textbbox``."""
    tile, (left, top, right, bottom) = _label(text, tuple(colour), anchor)
    x, y = int(round(xy[0])) + left, int(round(xy[1])) + top  # the tile's top-left corner
    # The part inside the image (PIL pastes nothing of a tile that crosses an edge).
    src = (max(0, -x), max(0, -y), min(tile.width, image.width - x), min(tile.height, image.height - y))
    if src[0] < src[2] and src[1] < src[3]:
        image.alpha_composite(tile, dest=(x + src[0], y + src[1]), source=src)
    return x, y, x + right - left, y + bottom - top


def _overlays(image, rgba: np.ndarray, box, record: AugmentRecord, settings: MelSettings) -> None:
    """Masks (outlined, hatched, numbered) and the warp (arrow, label in ms) over one panel."""
    from PIL import ImageDraw

    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    t, n_mels = record.n_frames, record.n_mels
    fx = lambda f: x0 + f / t * w  # noqa: E731  frame edge -> pixel x
    fy = lambda b: y1 - b / n_mels * h  # noqa: E731  band edge -> pixel y
    cyan, green = _hex(OVERLAY), _hex(WARP_COLOUR)
    freq = [(k, (x0, int(round(fy(m.stop))), x1, int(round(fy(m.start))))) for k, m in numbered(record.freq_masks)]
    time = [(k, (int(round(fx(m.start))), y0, int(round(fx(m.stop))), y1)) for k, m in numbered(record.time_masks)]
    for _, b in freq:
        _hatch(rgba, b, cyan, rising=True)
    for _, b in time:
        _hatch(rgba, b, cyan, rising=False)
    # The hatching was painted into the array PIL's image shares; outlines, arrows and text go on top.
    draw = ImageDraw.Draw(image)
    font = _font(FONT_PX)
    for _, (a, b, c, d) in freq + time:
        draw.rectangle((a, b, max(a, c - 1), max(b, d - 1)), outline=cyan, width=3)
    for k, (_, top, _, bottom) in freq:
        _text(image, (x0 + 6, (top + bottom) / 2), f"F{k}", colour=cyan, anchor="lm")
    placed: list[tuple[int, int, int, int]] = []
    for k, (a, *_) in time:
        y = y0 + 4
        while True:  # next row down while the label would overlap one already placed
            left, top_, right, bottom_ = _label(f"T{k}", cyan, "la")[1]
            bb = (a + 3 + left, y + top_, a + 3 + right, y + bottom_)
            if not any(bb[0] < p[2] and p[0] < bb[2] and bb[1] < p[3] and p[1] < bb[3] for p in placed):
                break
            y += FONT_PX + 6
        placed.append(_text(image, (min(a + 3, x1 - 40), y), f"T{k}", colour=cyan))
    if record.warp is not None:
        cx, dx = fx(record.warp.center + 0.5), fx(record.warp.destination + 0.5)
        yc = (y0 + y1) / 2
        for ya in range(y0, y1, 14):  # dashed line where the centre went
            draw.line((dx, ya, dx, min(ya + 8, y1)), fill=green, width=3)
        if record.warp.distance:
            sign = 1 if dx > cx else -1
            head = 14
            draw.line((cx, yc, dx - sign * head, yc), fill=green, width=4)
            draw.polygon([(dx, yc), (dx - sign * head, yc - 8), (dx - sign * head, yc + 8)], fill=green)
        draw.ellipse((cx - 6, yc - 6, cx + 6, yc + 6), fill=green)
        # The label on the side of the line where it fits inside the panel (on a short clip "warp +209 ms" is a
        # good part of the panel's width, and past its right edge it ran over the colour bar).
        text = warp_label(record, settings)
        width = draw.textlength(text, font=font) + 6
        right_fits = dx + 8 + width <= x1
        left_fits = dx - 8 - width >= x0
        if right_fits and (not left_fits or dx <= x0 + 0.7 * w):
            _text(image, (dx + 8, yc - 10), text, colour=green, anchor="lb")
        elif left_fits:
            _text(image, (dx - 8, yc - 10), text, colour=green, anchor="rb")
        else:  # wider than either side: inside the panel, from its left edge
            _text(image, (x0 + 4, yc - 10), text, colour=green, anchor="lb")


def compose_comparison(base: ComparisonBase, L_aug: np.ndarray, *, record: AugmentRecord | None = None,
                       L_rebuilt: np.ndarray | None = None) -> np.ndarray:
    """The page's figure for one draw: ``base`` with the augmented panel (and its draw) painted in.

    Parameters
    ----------
    base : ComparisonBase
        From :func:`comparison_base` on the same clip and settings.
    L_aug : np.ndarray [shape=(n_mels, t)]
    record : AugmentRecord, optional
        Marked over the augmented panel.
    L_rebuilt : np.ndarray [shape=(n_mels, t')], optional
        Third panel (only if ``base`` has three).

    Returns
    -------
    np.ndarray [shape=(height, width, 4)], uint8
    """
    from PIL import Image

    rgba = base.rgba.copy()
    extra = [(1, L_aug)] + ([(2, L_rebuilt)] if L_rebuilt is not None and len(base.panels) > 2 else [])
    for i, panel in extra:
        x0, y0, x1, y1 = base.panels[i]
        rgba[y0:y1, x0:x1] = colour_mapped(panel, (x1 - x0, y1 - y0), vmin=base.vmin, vmax=base.vmax)
    if record is not None:
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        image.readonly = False  # draw straight into ``rgba`` (no copy)
        _overlays(image, rgba, base.panels[1], record, base.settings)
    return rgba


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, and the CRC-32 of type and data (all big-endian)."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def _deflate(raw: np.ndarray, level: int) -> bytes:
    """``raw``'s bytes as one zlib stream, its halves deflated on two threads (zlib lets go of the GIL while it
    works): the page's figure, 1.9 MB of rows, in ~7 ms rather than ~10 here. The first half ends on a sync flush, a
    byte boundary after which the second half's raw deflate data carries on the same stream (as pigz does);
    the stream's Adler-32 is of the whole."""
    if raw.nbytes < 2**18 or raw.shape[0] < 2 or _workers() is None:
        return zlib.compress(raw, level)
    half = raw.shape[0] // 2

    def part(rows: np.ndarray, last: bool) -> bytes:
        c = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate: no header, no checksum
        return c.compress(rows) + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)

    second = _workers().submit(part, raw[half:], True)
    first = part(raw[:half], False)
    header = bytes((0x78, 0x01))  # deflate, 32 kB window, no dictionary (a multiple of 31, as zlib requires)
    return header + first + second.result() + struct.pack(">I", zlib.adler32(raw))


@functools.lru_cache(maxsize=1)
def _workers():
    """One thread for :func:`_deflate`'s second half, on a machine with a second core to run it (else None)."""
    import concurrent.futures
    import os

    return concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="melwav-png") if (os.cpu_count() or 1) > 1 \
        else None


def encode_rgba_png(rgba: np.ndarray, *, compress_level: int = 1) -> bytes:
    """An RGBA picture as the bytes of a PNG file: 8-bit RGBA, no row filters, one IDAT chunk.

    Written by hand rather than by PIL because PIL tries a filter per row, which for the page's figure
    (1200x400) costs more than the compression itself: about 18 ms and 246 kB with PIL at zlib level 1,
    6 ms and 185 kB here, a third less again with the rows deflated in two halves at once (:func:`_deflate`).
    The figure is mostly flat colour (a transparent background, blocks of one colour-mapped cell), which zlib
    finds as repeats without a filter's help.

    Parameters
    ----------
    rgba : np.ndarray [shape=(height, width, 4)], uint8
    compress_level : int
        zlib's level, 0-9; 1 is ~10x faster than the default for ~1.3x the bytes.

    Returns
    -------
    bytes
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8 or 0 in rgba.shape:
        from .errors import ParameterError

        raise ParameterError(f"a PNG needs a non-empty uint8 array of shape (height, width, 4), got {rgba.dtype} "
                             f"{rgba.shape}")
    h, w = rgba.shape[:2]
    raw = np.empty((h, 1 + 4 * w), dtype=np.uint8)
    raw[:, 0] = 0  # filter type 0 ("none") on every row
    raw[:, 1:] = rgba.reshape(h, 4 * w)
    header = struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)  # 8 bits, colour type 6 (RGBA), deflate, no interlace
    return b"".join((b"\x89PNG\r\n\x1a\n", _png_chunk(b"IHDR", header),
                     _png_chunk(b"IDAT", _deflate(raw, compress_level)), _png_chunk(b"IEND", b"")))


def write_rgba_png(path, rgba: np.ndarray, *, compress_level: int = 1):
    """Write an RGBA picture as PNG (:func:`encode_rgba_png`), atomically (see :func:`melwav.audio.atomic_write`).

    Returns
    -------
    pathlib.Path
    """
    from .audio import atomic_write

    data = encode_rgba_png(rgba, compress_level=compress_level)
    return atomic_write(path, lambda f: f.write(data))


def axes_extents(fig: Figure) -> list[dict]:
    """Where each spectrogram panel sits in the figure's image, for a page that draws over it.

    Call it after the figure is saved (a layout engine places the axes while drawing). Colour bars are left out.

    Returns
    -------
    list of dict
        One per panel, left to right: ``left``, ``right``, ``top``, ``bottom`` as fractions of the image's
        width and height measured from its top-left corner, and ``t0``, ``t1``: the time (s) at the panel's
        left and right edges.
    """
    out = []
    for ax in fig.axes:
        if getattr(ax, "_colorbar", None) is not None or not ax.images:
            continue
        box = ax.get_position()
        t0, t1 = ax.get_xlim()
        out.append({"left": round(float(box.x0), 5), "right": round(float(box.x1), 5),
                    "top": round(1.0 - float(box.y1), 5), "bottom": round(1.0 - float(box.y0), 5),
                    "t0": float(t0), "t1": float(t1)})
    return sorted(out, key=lambda d: d["left"])


def panel_extents(base: ComparisonBase) -> list[dict]:
    """:func:`axes_extents` for a composed figure (:func:`comparison_base`): where each panel sits in its image.

    Returns
    -------
    list of dict
        One per panel, left to right: ``left``, ``right``, ``top``, ``bottom`` as fractions of the image's
        width and height from its top-left corner, and ``t0``, ``t1``: the time (s) at the panel's edges.
    """
    h, w = base.rgba.shape[:2]
    frame_s = base.settings.hop_length / base.settings.sr
    t0, t1 = -0.5 * frame_s, (base.n_frames - 0.5) * frame_s
    return [{"left": round(x0 / w, 5), "right": round(x1 / w, 5), "top": round(y0 / h, 5), "bottom": round(y1 / h, 5),
             "t0": t0, "t1": t1} for x0, y0, x1, y1 in base.panels]
