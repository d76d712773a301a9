"""The two-piece time warp several frameworks share, resampled like ``torch.nn.functional.interpolate``.

lhotse (``time_warp``), ESPnet (``layers/time_warp.py``) and SpeechBrain (``augment.freq_domain.Warping``)
all warp by cutting the frames at an anchor ``c`` and resizing ``[0, c)`` to ``w`` frames and ``[c, n)`` to
``n - w`` frames with a 2-D bicubic interpolation whose frequency size does not change (an identity along
frequency). They differ in ``align_corners``: lhotse and ESPnet use ``False``, SpeechBrain ``True``.
"""

from __future__ import annotations

import numpy as np

from ..records import WarpDraw


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """torch's bicubic kernel (A = -0.75) for fractional offsets ``t``: shape (len(t), 4)."""
    A = -0.75

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=-1)


def resize_bicubic(x: np.ndarray, size: int, *, align_corners: bool) -> np.ndarray:
    """Resize the last axis of ``x`` to ``size`` like ``F.interpolate(mode="bicubic", align_corners=...)``.

    Source position of output ``i``: ``(i + 0.5) * n_in / size - 0.5`` (``align_corners=False``, not clamped)
    or ``i * (n_in - 1) / (size - 1)`` (``True``; 0 when ``size == 1``); four taps with torch's cubic kernel,
    indices clamped to the edge. Computed in float64, returned in ``x``'s dtype.
    """
    x = np.asarray(x)
    n_in = x.shape[-1]
    if size == n_in:
        return x.copy()
    i = np.arange(size, dtype=np.float64)
    if align_corners:
        real = i * ((n_in - 1) / (size - 1)) if size > 1 else np.zeros(size)
    else:
        real = (i + 0.5) * (n_in / size) - 0.5
    i0 = np.floor(real).astype(np.intp)
    w = _cubic_weights(real - i0)
    out = np.zeros(x.shape[:-1] + (size,), dtype=np.float64)
    for k in range(4):
        idx = np.clip(i0 - 1 + k, 0, n_in - 1)
        out += x[..., idx].astype(np.float64) * w[:, k]
    return out.astype(x.dtype, copy=False)


def two_piece_warp(L: np.ndarray, warp: WarpDraw, *, align_corners: bool) -> np.ndarray:
    """``[0, c)`` of ``L`` [shape=(..., n_mels, n)] resized to ``c + d`` frames and ``[c, n)`` to the rest."""
    L = np.asarray(L)
    n = L.shape[-1]
    c, new = warp.center, warp.destination
    return np.concatenate([resize_bicubic(L[..., :c], new, align_corners=align_corners),
                           resize_bicubic(L[..., c:], n - new, align_corners=align_corners)], axis=-1)
