"""The page's figure: composed fast, transparent, theme-coloured, masks numbered in time order."""

from __future__ import annotations

import numpy as np
import pytest

from melwav import plot
from melwav.errors import ParameterError
from melwav.features import MelSettings
from melwav.specaugment import AugmentRecord, MaskDraw, WarpDraw

SETTINGS = MelSettings()


@pytest.fixture(scope="module")
def L():
    rng = np.random.default_rng(0)
    return (rng.random((SETTINGS.n_mels, 120)) * -80).astype(np.float32)


def test_masks_are_numbered_in_time_order_skipping_zero_widths():
    """Issue 21: a mask of width 0 took a number on the figure (T1-T4, T6-T10) but not in the text (1-9)."""
    from melwav.explain import time_order

    masks = (MaskDraw(50, 5), MaskDraw(10, 0), MaskDraw(20, 3), MaskDraw(20, 1))
    assert plot.numbered(masks) == [(1, MaskDraw(20, 1)), (2, MaskDraw(20, 3)), (3, MaskDraw(50, 5))]
    assert [m for _, m in plot.numbered(masks)] == time_order(masks)


@pytest.mark.parametrize("duration", [0.7, 1.3, 4.0, 7.97, 8.5, 30.0, 600.0])
def test_time_ticks_keep_the_panel_end_free(duration):
    ticks = plot._time_ticks(duration)
    assert 2 <= len(ticks) <= 6
    assert ticks[0] == 0 and ticks[-1] <= 0.92 * duration


def test_warp_is_labelled_in_ms():
    record = AugmentRecord(SETTINGS.n_mels, 120, warp=WarpDraw(60, -7))
    assert plot.warp_label(record, SETTINGS) == f"warp {-7 * SETTINGS.hop_ms:+.0f} ms"


@pytest.mark.parametrize("theme, dark_text", [("light", True), ("dark", False)])
def test_background_is_transparent_and_text_follows_the_theme(L, theme, dark_text):
    base = plot.comparison_base(L, settings=SETTINGS, theme=theme)
    rgba = base.rgba
    assert rgba.shape == (plot.FIGURE_PX[1], plot.FIGURE_PX[0], 4)
    assert rgba[0, 0, 3] == 0 and rgba[-1, -1, 3] == 0
    # The tick labels under the original panel: opaque pixels there are text, coloured for the theme.
    x0, _, x1, y1 = base.panels[0]
    strip = rgba[y1 + 8:y1 + 8 + plot.FONT_PX, x0:x1]
    ink = strip[strip[..., 3] > 200][:, :3].mean(axis=0)
    assert (ink.mean() < 100) if dark_text else (ink.mean() > 180)


def test_a_move_repaints_only_the_augmented_panel(L):
    base = plot.comparison_base(L, settings=SETTINGS)
    a = plot.compose_comparison(base, L)
    b = plot.compose_comparison(base, L - 30)
    changed = np.argwhere(np.any(a != b, axis=-1))
    x0, y0, x1, y1 = base.panels[1]
    assert changed.size
    assert changed[:, 0].min() >= y0 and changed[:, 0].max() < y1
    assert changed[:, 1].min() >= x0 and changed[:, 1].max() < x1
    # The original panel is the original log-mel through the colour map.
    x0, y0, x1, y1 = base.panels[0]
    np.testing.assert_array_equal(a[y0:y1, x0:x1], plot.colour_mapped(L, (x1 - x0, y1 - y0), vmin=base.vmin,
                                                                      vmax=base.vmax))


def test_overlays_mark_the_masks_and_warp(L, tmp_path):
    base = plot.comparison_base(L, settings=SETTINGS)
    record = AugmentRecord(SETTINGS.n_mels, 120, warp=WarpDraw(60, 10), freq_masks=(MaskDraw(30, 10),),
                           time_masks=(MaskDraw(80, 20), MaskDraw(5, 10)))
    plain = plot.compose_comparison(base, L)
    marked = plot.compose_comparison(base, L, record=record)
    cyan = np.all(marked[..., :3] == plot._hex(plot.OVERLAY), axis=-1) & ~np.all(plain[..., :3] == plot._hex(plot.OVERLAY), axis=-1)
    green = np.all(marked[..., :3] == plot._hex(plot.WARP_COLOUR), axis=-1)
    x0, y0, x1, y1 = base.panels[1]
    col = lambda frame: int(round(x0 + frame / 120 * (x1 - x0)))  # noqa: E731
    row = lambda band: int(round(y1 - band / SETTINGS.n_mels * (y1 - y0)))  # noqa: E731
    assert cyan[y0:y1, col(85)].sum() > 10  # the time mask at frames 80..100 is hatched
    assert cyan[row(40):row(30), col(50)].sum() > 3  # so is the frequency mask at bands 30..40
    assert not cyan[row(25):y1, col(50)].any()  # and nothing else in that column
    assert green[:, col(70.5)].sum() > 20  # dashed line where the warp centre went
    png = plot.write_rgba_png(tmp_path / "fig.png", marked)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("shape", [plot.FIGURE_PX[::-1], (401, 333), (7, 13), (1, 1)])
def test_png_decodes_to_the_same_rgba(tmp_path, shape):
    from PIL import Image

    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, size=(*shape, 4), dtype=np.uint8)
    rgba[: shape[0] // 2, :, 3] = 0  # transparent and opaque rows, as in the figure
    png = plot.write_rgba_png(tmp_path / "fig.png", rgba)
    with Image.open(png) as image:
        assert image.mode == "RGBA" and image.size == shape[::-1]
        np.testing.assert_array_equal(np.asarray(image), rgba)


def test_png_data_is_one_zlib_stream_with_the_checksum_of_all_rows():
    """The figure's rows are deflated in two halves on two threads: still one stream, its Adler-32 of the whole."""
    import struct
    import zlib

    rgba = np.random.default_rng(2).integers(0, 4, size=(401, 333, 4), dtype=np.uint8)  # > 256 kB: two halves
    png = plot.encode_rgba_png(rgba)
    (n,), kind = struct.unpack(">I", png[33:37]), png[37:41]
    assert kind == b"IDAT"
    d = zlib.decompressobj()
    rows = d.decompress(png[41:41 + n])  # zlib checks the Adler-32 at the stream's end
    assert d.eof and not d.unused_data
    expected = np.concatenate([np.zeros((401, 1), np.uint8), rgba.reshape(401, -1)], axis=1)
    assert rows == expected.tobytes()


@pytest.mark.parametrize("xy, visible", [((10, 10), True), ((-20, -8), True), ((42, 30), True), ((-300, 10), False)])
def test_a_label_across_the_image_edge_keeps_its_part_inside(xy, visible):
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (50, 50), (10, 10, 10, 255))
    box = plot._text(image, xy, "T12", colour=plot._hex(plot.OVERLAY))
    drawn = Image.new("RGBA", (50, 50), (10, 10, 10, 255))
    ImageDraw.Draw(drawn).text(xy, "T12", fill=plot._hex(plot.OVERLAY), font=plot._font(plot.FONT_PX),
                               stroke_width=3, stroke_fill=(0, 0, 0))
    np.testing.assert_array_equal(np.asarray(image), np.asarray(drawn))  # the pasted tile is what PIL draws there
    assert (np.asarray(image)[..., 1] > 100).any() == visible
    assert box == ImageDraw.Draw(drawn).textbbox(xy, "T12", font=plot._font(plot.FONT_PX), stroke_width=3)


def test_png_of_a_non_rgba_array_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="shape"):
        plot.write_rgba_png(tmp_path / "fig.png", np.zeros((4, 5, 3), dtype=np.uint8))
    assert not list(tmp_path.iterdir())


def test_unknown_theme_is_a_parameter_error(L):
    with pytest.raises(ParameterError, match="theme"):
        plot.comparison_base(L, settings=SETTINGS, theme="sepia")
