"""Figures: original and augmented log-mel side by side, with the draw marked on the augmented panel.

Figures are built as ``matplotlib.figure.Figure`` objects (no pyplot state), so a server can make many
at once. Sizes and colours are chosen for a projector: large type, a perceptually uniform colour map
that survives washed-out screens and colour-blind viewers (magma), and overlays in cyan, which stands
out on every part of it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless: never open a window, whatever backend the environment names

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Rectangle  # noqa: E402

from .augment import AugmentRecord  # noqa: E402
from .features import MelSettings  # noqa: E402

CMAP = "magma"
OVERLAY = "#00e5ff"
WARP_COLOUR = "#7CFC00"
DYNAMIC_RANGE_DB = 80.0


def _style(fig: Figure, *, base: float) -> None:
    fig.set_facecolor("white")
    for ax in fig.axes:
        ax.tick_params(labelsize=base * 0.85, width=1.2, length=5)
        ax.xaxis.label.set_size(base)
        ax.yaxis.label.set_size(base)
        ax.title.set_size(base * 1.1)


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


def _show_mel(ax, L: np.ndarray, *, settings: MelSettings, vmin: float, vmax: float):
    frame_s = settings.hop_length / settings.sr
    extent = (-0.5 * frame_s, (L.shape[-1] - 0.5) * frame_s, -0.5, L.shape[-2] - 0.5)
    im = ax.imshow(L, origin="lower", aspect="auto", cmap=CMAP, vmin=vmin, vmax=vmax, extent=extent,
                   interpolation="nearest")
    ticks, labels = _hz_ticks(settings)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("time (s)")
    return im


def draw_record(ax, record: AugmentRecord, *, settings: MelSettings, linewidth: float = 2.5,
                labels: bool = True) -> None:
    """Mark the masks (cyan outlines, hatched) and the warp (green arrow) of ``record`` on ``ax``."""
    frame_s = settings.hop_length / settings.sr
    n_frames = record.n_frames
    for m in record.freq_masks:
        if m.width:
            ax.add_patch(Rectangle((-0.5 * frame_s, m.start - 0.5), n_frames * frame_s, m.width,
                                   fill=False, edgecolor=OVERLAY, linewidth=linewidth, hatch="//"))
    for m in record.time_masks:
        if m.width:
            ax.add_patch(Rectangle(((m.start - 0.5) * frame_s, -0.5), m.width * frame_s, record.n_mels,
                                   fill=False, edgecolor=OVERLAY, linewidth=linewidth, hatch="\\\\"))
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
            ax.annotate(f"warp {record.warp.distance:+d} fr", (x1, y), xytext=(-6 if near_end else 6, 8),
                        textcoords="offset points", ha="right" if near_end else "left",
                        color=WARP_COLOUR, fontsize=12, fontweight="bold")


def plot_comparison(
    L: np.ndarray,
    L_aug: np.ndarray,
    *,
    settings: MelSettings,
    record: AugmentRecord | None = None,
    L_rebuilt: np.ndarray | None = None,
    titles: tuple[str, ...] = ("original", "augmented"),
    width_in: float = 16.0,
) -> Figure:
    """Original and augmented log-mel side by side on one colour scale (and, optionally, the rebuilt one).

    Parameters
    ----------
    L, L_aug : np.ndarray [shape=(n_mels, t)]
        Log-mel in dB re. the clip's peak.
    settings : MelSettings
        For the axes: seconds on x, Hz on y.
    record : AugmentRecord, optional
        Drawn over the augmented panel.
    L_rebuilt : np.ndarray [shape=(n_mels, t')], optional
        Log-mel of the rebuilt augmented audio, shown as a third panel.

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
                                                            wspace=0.04))
    im = None
    for i, (ax, panel, name) in enumerate(zip(axes, panels, names)):
        im = _show_mel(ax, panel, settings=settings, vmin=vmin, vmax=vmax)
        ax.set_title(name, fontweight="bold")
        if i == 0:
            ax.set_ylabel("frequency (Hz, mel scale)")
    if record is not None:
        draw_record(axes[1], record, settings=settings)
    cbar = fig.colorbar(im, cax=fig.add_axes((0.915, 0.16, 0.012, 0.74)))
    cbar.set_label("dB re. peak", size=14)
    cbar.ax.tick_params(labelsize=12)
    _style(fig, base=15)
    return fig


def plot_thumbnail(L_aug: np.ndarray, *, settings: MelSettings, record: AugmentRecord | None = None,
                   title: str = "", vmax: float | None = None) -> Figure:
    """A small augmented log-mel with its draw marked, for a grid of draws."""
    vmax = float(np.max(L_aug)) if vmax is None else float(vmax)
    fig = Figure(figsize=(3.2, 2.2), dpi=100, layout="constrained")
    ax = fig.subplots()
    _show_mel(ax, L_aug, settings=settings, vmin=vmax - DYNAMIC_RANGE_DB, vmax=vmax)
    if record is not None:
        draw_record(ax, record, settings=settings, linewidth=1.5, labels=False)
    ax.set_title(title, fontsize=12, fontweight="bold")
    ax.set_xlabel("")
    ax.tick_params(labelsize=9)
    return fig


def save_png(path, fig: Figure, *, dpi: int = 100):
    """Write a figure as a PNG file, atomically (see :func:`melwav.audio.atomic_write`)."""
    from .audio import atomic_write

    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))


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
