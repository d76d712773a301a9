"""lingvo: ``SpectrumAugmenter`` (``lingvo/core/spectrum_augmenter.py``).

Draw rules, for ONE utterance (``_GetWarpMatrix``): W = ``time_warp_max_frames`` with
``time_warp_bound='static'``: shift uniform in ``-W..W``, clipped to ``+-int(r * n)``, r =
``time_warp_max_ratio`` (extra ``time_warp_max_ratio`` when below 1); with ``'dynamic'`` (extra
``time_warp_dynamic``) W is unused and the shift is ``int(U[-1, 1) * int(r * n))``, truncated toward 0. No warp
when r <= 0 (or W == 0 with ``'static'``). Anchor ``int(U * (n - 2)) + 1`` (``1..n-2``), destination clipped to
``[1, n - 1]``; the map is piecewise linear fixing 0 and ``n`` (recorded as ``"lingvo-linear"``); no warp below
3 frames.
F = ``freq_mask_max_bins`` (0 = off), mF = ``freq_mask_count``, width ``min(int(U * F), nu)``.
T = ``time_mask_max_frames``, p = ``time_mask_max_ratio``: width ``min(int(U * T), max(int(p * n), 1))``;
pS > 0 means ``use_dynamic_time_mask_max_frames=True`` with ``time_mask_max_ratio = pS``: width
``min(int(U * pS * n), max(int(pS * n), 1))`` (pS also acts as p, T is ignored). Time masks are off when
T == 0 (static) or the ratio is 0. pM = ``time_masks_per_frame``: ``min(mT, ceil(pM * n))`` masks.
Starts ``int(U * (axis - w + 1))``. Block masks (``_BlockMask``, run last): with ``block_mask_prob`` q > 0,
one ``U[0, q)`` per utterance, and each tile of ``block_mask_size`` (t frames x f bins, default 32 x 32, the grid
from frame 0 and bin 0, the last tile cut) is zeroed when its own U is not above it: an operation
``"block"`` of its own. Order: time warp, time masks, frequency masks, block masks (frequency warp and
frequency noise, which run first, are not shown).

Text read: ``p.name = value`` lines (also ``p.specaugment.name = value`` and other ``p.x.y.`` prefixes, such
as an ``AsrEncoder``'s ``p.encoder.specaugment_network.name = value``), values are literals only
(``block_mask_size`` also as ``dict(t=32, f=32)``). ``use_specaugment`` is the encoder's switch
(``lingvo/tasks/asr/encoder.py``: default False): lines inside a ``specaugment_network`` draw nothing unless
it is True.
"""

from __future__ import annotations

import ast
import math
import re

import numpy as np

from ..errors import ParameterError, RecordError
from ..records import MaskBatch, SpecAugmentConfig, WarpBatch, WarpDraw, per_draw_notes
from ._common import (
    Fields,
    check_bool,
    check_known,
    check_number,
    check_whole,
    make_batch,
    strip_comment,
)

NAME = "lingvo"
#: MelAsrFrontend: frame_step_ms 10, num_bins 80.
UNITS = (10.0, 80)
ORDER = ("warp", "time", "freq")
FILLS = ("mean",)
FRONTEND = None

DEFAULTS = {
    "freq_mask_max_bins": 15, "freq_mask_count": 1, "use_dynamic_time_mask_max_frames": False,
    "time_mask_max_frames": 50, "time_mask_count": 1, "time_mask_max_ratio": 1.0, "time_masks_per_frame": 0.0,
    "freq_warp_max_bins": 0, "time_warp_bound": "static", "time_warp_max_frames": 0, "time_warp_max_ratio": 0.0,
    "use_noise": False, "gaussian_noise": False, "freq_noise_max_stddev": 0.0, "freq_noise_warmup_steps": 0,
    "unstack": False, "stack_height": 3, "use_input_dependent_random_seed": False,
    "block_mask_prob": 0.0, "block_mask_size": {"t": 32, "f": 32},
}
#: AsrEncoder's switch for its specaugment_network (not a SpectrumAugmenter parameter).
GATE = "use_specaugment"
_IGNORED = {"name", "random_seed", "dtype", "fprop_dtype", "domain_ids"}
_LINE_RE = re.compile(r"^\s*p((?:\.\w+)*)\.(\w+)\s*=\s*(.*?)\s*$")
_HEAD_RE = re.compile(r"\s*p(?:\.\w+)+\s*=")
#: A lingvo line is short (``p.time_mask_max_frames = 100``); longer ones are refused before any parsing.
MAX_LINE = 400
#: A value is a number, True/False or a short string.
MAX_VALUE = 100
#: SpectrumAugmenter has 18 parameters; a few times that in lines is plenty.
MAX_LINES = 200
#: Block-mask tiles one draw may have (lingvo's 32 x 32 tiles on 80 bins: 3 per 32 frames, ~100 s of speech).
MAX_TILES = 10_000


# ----------------------------------------------------------------------------------------------- draw


def time_mask_bounds(config: SpecAugmentConfig, n_frames: int) -> tuple[float, int, int] | None:
    """``(size bound, width cap, count)`` of lingvo's time masks, or None when lingvo does no time masking."""
    dynamic = config.width_ratio > 0
    ratio = config.width_ratio if dynamic else config.max_time_ratio
    if (config.time_mask_frames == 0 and not dynamic) or ratio <= 0.0 or config.n_time_masks == 0:
        return None
    size_bound = n_frames * ratio if dynamic else float(config.time_mask_frames)
    cap = max(int(ratio * n_frames), 1)
    count = config.n_time_masks
    if config.masks_per_frame > 0:
        count = min(count, math.ceil(config.masks_per_frame * n_frames))
    return size_bound, cap, count


def _masks(axis_len: int, size_bound: float, cap: int, count: int, rng: np.random.Generator,
           size: int) -> MaskBatch:
    u = rng.random((size, count, 2))  # per mask: the length's uniform, then the start's
    length = np.minimum((size_bound * u[..., 0]).astype(np.int64), cap)
    start = (u[..., 1] * (axis_len - length + 1)).astype(np.int64)
    return MaskBatch.clipped(start, length, axis_len)


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """lingvo ``SpectrumAugmenter`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """lingvo ``SpectrumAugmenter`` for ``size`` utterances of one length (see the module notes); block masks
    (a tile list and a note per utterance) one utterance at a time."""
    notes = []
    warp = None
    W = config.warp_frames
    dynamic = bool(config.option("time_warp_dynamic", False))
    ratio = float(config.option("time_warp_max_ratio", 1.0))
    if (W > 0 or dynamic) and ratio > 0:
        if n_frames < 3:
            notes.append(f"no time warp: {n_frames} frames are too few")
        else:
            bound = int(ratio * n_frames)  # length_upper_bound
            if dynamic:
                # tf.cast(..., tf.int32) truncates toward 0
                shift = np.trunc(rng.uniform(-1.0, 1.0, size=size) * bound).astype(np.int64)
            else:
                shift = np.clip(rng.integers(-W, W + 1, size=size), -bound, bound)
            origin = (rng.random(size) * max(n_frames - 2, 0)).astype(np.int64) + 1
            destination = np.clip(origin + shift, 1, n_frames - 1)
            warp = WarpBatch(origin, destination - origin, np.ones(size, dtype=bool), "lingvo-linear")
    time = None
    bounds = time_mask_bounds(config, n_frames)
    if bounds is not None:
        size_bound, cap, count = bounds
        time = _masks(n_frames, size_bound, cap, count, rng, size)
    freq = None
    if config.freq_mask_bands > 0 and config.n_freq_masks > 0:
        freq = _masks(n_mels, float(config.freq_mask_bands), max(n_mels, 1), config.n_freq_masks, rng, size)
    extra, draw_notes = {}, ()
    block_prob = float(config.option("block_mask_prob", 0.0) or 0.0)
    if block_prob > 0:
        each = [[] for _ in range(size)]
        extra["block"] = [_blocks(block_prob, int(config.option("block_mask_frames", 32)),
                                  int(config.option("block_mask_bands", 32)), n_frames, n_mels, rng, each[i])
                          for i in range(size)]
        draw_notes = per_draw_notes(each)
    return make_batch(NAME, (*ORDER, *extra), FILLS, config, n_mels, n_frames, size, warp, freq, time, notes,
                      draw_notes, **extra)


def _blocks(prob: float, t_block: int, f_block: int, n_frames: int, n_mels: int, rng, notes) -> dict:
    """``_BlockMask`` for one utterance: ``q = U[0, prob)``, then each tile is zeroed when its ``U <= q``."""
    t_block, f_block = max(t_block, 1), max(f_block, 1)  # a size converted to a coarser analysis stays a tile
    q = rng.uniform(0.0, prob)
    n_t, n_f = -(-n_frames // t_block), -(-n_mels // f_block)
    if n_t * n_f > MAX_TILES:  # the record lists each masked tile: keep it bounded whatever the sizes say
        notes.append(f"no block masks: {n_t * n_f} tiles of {t_block} x {f_block} here, over the {MAX_TILES} "
                     f"melwav draws")
        return {"frames": t_block, "bands": f_block, "tiles": []}
    keep = rng.random((n_t, n_f)) > q  # `mask = tf.greater(mask, batch_mask_prob)`: kept where above q
    blocks = [[int(i), int(j)] for i, j in zip(*np.nonzero(~keep))]
    notes.append(f"block masks: {len(blocks)} of {n_t * n_f} tiles of {t_block} frames x {f_block} bands "
                 f"(each with probability {q:.3f}, drawn below block_mask_prob = {prob:g})")
    return {"frames": t_block, "bands": f_block, "tiles": blocks}


def apply_blocks(L: np.ndarray, drawn, *, value) -> np.ndarray:
    """Block masks: each ``[i, j]`` tile (``frames`` x ``bands``) set to the mask fill (lingvo's 0)."""
    out = np.array(L, copy=True)
    if not isinstance(drawn, dict) or set(drawn) != {"frames", "bands", "tiles"}:
        raise RecordError("record block must be {frames, bands, tiles}")
    tb, fb, tiles = drawn["frames"], drawn["bands"], drawn["tiles"]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in (tb, fb)):
        raise RecordError("record block frames and bands must be whole numbers >= 1")
    n_mels, n = out.shape[-2], out.shape[-1]
    if not isinstance(tiles, (list, tuple)) or len(tiles) > -(-n // tb) * -(-n_mels // fb):
        raise RecordError("record block tiles must be a list of [time tile, band tile] pairs that fit the clip")
    per_band = np.ndim(value) > 0
    for item in tiles:
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in item)):
            raise RecordError("record block tiles must be [time tile, band tile] whole numbers")
        i, j = item
        if not (0 <= i * tb < n and 0 <= j * fb < n_mels):
            raise RecordError(f"record block tile {list(item)} does not fit {n_mels} x {n}")
        rows = slice(j * fb, min((j + 1) * fb, n_mels))
        out[..., rows, i * tb:min((i + 1) * tb, n)] = value[..., rows, :] if per_band else value
    return out


OPERATIONS = {"block": apply_blocks}


def source_positions(n_frames: int, warp: WarpDraw) -> np.ndarray:
    """lingvo's warp map: where output frame ``i`` reads the input (fixes 0 and ``n``), shape (n,)."""
    n, c, d = n_frames, warp.center, warp.destination
    i = np.arange(n, dtype=np.float64)
    return np.where(i < d, i * c / d, c + (i - d) * (n - c) / (n - d))


def apply_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """lingvo's piecewise-linear time warp with linear interpolation between frames.

    lingvo's warp matrix gives a source position beyond the last frame only part of the last frame
    (the missing neighbour counts as 0 in its feature scale); melwav, whose dB have no such neutral 0,
    reads the last frame there instead. This affects at most the final ``ceil(1 / slope)`` frames.
    """
    L = np.asarray(L)
    n = L.shape[-1]
    src = np.minimum(source_positions(n, warp), n - 1)
    i0 = np.clip(np.floor(src).astype(np.intp), 0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    frac = (src - i0).astype(L.dtype)
    return L[..., i0] * (1 - frac) + L[..., i1] * frac


WARPS = {"lingvo-linear": apply_warp}


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """3 when every line is ``p.name = value``, else 0."""
    lines = source.lines
    # Only each line's head is looked at, so a hostile long line costs nothing here (parse refuses it).
    return 3 if lines and all(_HEAD_RE.match(ln[:200]) for ln in lines) else 0


def parse(source):
    """``(params, notes, found units)`` of lingvo ``p.name = value`` lines."""
    if len(source.lines) > MAX_LINES:
        raise ParameterError(f"{len(source.lines)} lingvo lines; SpectrumAugmenter has {len(DEFAULTS)} parameters "
                             f"(at most {MAX_LINES} lines are read)")
    conf = {}
    lines = {}
    encoder = False  # lines of an AsrEncoder's specaugment_network: its use_specaugment gates them
    for i, line in enumerate(source.text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(line) > MAX_LINE:
            raise ParameterError(f"line {i}: {len(line)} characters; a lingvo line 'p.name = value' is at most "
                                 f"{MAX_LINE}")
        m = _LINE_RE.match(strip_comment(line))
        if not m:
            raise ParameterError(f"line {i}: expected 'p.name = value', got {stripped[:60]!r}")
        path, key, value_text = m.group(1), m.group(2), m.group(3)
        if "specaugment_network" in path.split(".") or key == GATE:
            encoder = True
        if key not in DEFAULTS and key not in _IGNORED and key != GATE:
            raise ParameterError(f"line {i}: unknown SpectrumAugmenter parameter {key[:40]!r}")
        if len(value_text) > MAX_VALUE:
            raise ParameterError(f"line {i}: the value of {key} has {len(value_text)} characters; a lingvo value is "
                                 f"a number, True/False or a short string (at most {MAX_VALUE})")
        try:
            value = _literal(value_text)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ParameterError(f"line {i}: {key} must be a literal (number, True/False, 'string'), "
                                 f"got {value_text[:60]!r}; nothing was run") from None
        if key in _IGNORED:
            continue
        conf[key] = value
        lines[key] = i
    if not conf:
        raise ParameterError("no lingvo 'p.name = value' lines found")
    gate = conf.pop(GATE, None)
    if gate is not None:
        gate = check_bool(f"line {lines[GATE]}: {GATE}", gate)
    notes = []
    if encoder and gate is None:
        notes.append(f"{GATE} is not set: AsrEncoder's default is False, so lingvo applies no SpecAugment "
                     f"(add p.encoder.{GATE} = True)")
    try:
        params = normalise(conf)
        if encoder:  # only an AsrEncoder's lines carry its switch (bare SpectrumAugmenter lines are on)
            params[GATE] = bool(gate)
        return params, notes, None
    except ParameterError as exc:
        key = next((k for k in lines if f"{k} " in str(exc) or str(exc).startswith(k)), None)
        if key is not None:
            raise ParameterError(f"line {lines[key]}: {exc}") from None
        raise


def _literal(text: str):
    """A literal value, or ``dict(t=32, f=32)`` (how lingvo configs write ``block_mask_size``)."""
    node = ast.parse(text, mode="eval").body
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg is not None}
    return ast.literal_eval(node)


def _block_size(value) -> dict:
    if not isinstance(value, dict) or set(value) != {"t", "f"}:
        raise ParameterError(f"block_mask_size must be dict(t=..., f=...), got {str(value)[:60]!r}")
    return {k: check_whole(f"block_mask_size {k}", value[k], low=1, high=100_000) for k in ("t", "f")}


def normalise(conf: dict) -> dict:
    """lingvo ``SpectrumAugmenter`` parameters with defaults filled in and checked."""
    conf = {k: v for k, v in conf.items() if k != GATE}
    check_known("SpectrumAugmenter", conf, set(DEFAULTS))
    p = {**DEFAULTS, **conf}
    out = {}
    for key, default in DEFAULTS.items():
        v = p[key]
        if key == "block_mask_size":
            out[key] = _block_size(v)
        elif isinstance(default, bool):
            out[key] = check_bool(key, v)
        elif isinstance(default, int):
            out[key] = check_whole(key, v, low=0)
        elif isinstance(default, float):
            out[key] = check_number(key, v, low=0.0, high=1.0 if key in (
                "time_mask_max_ratio", "time_masks_per_frame", "time_warp_max_ratio", "block_mask_prob") else None)
        else:
            out[key] = v
    if out["time_warp_bound"] not in ("static", "dynamic"):
        raise ParameterError(f"time_warp_bound must be 'static' or 'dynamic', got {out['time_warp_bound']!r}"[:200])
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (lingvo's units) and notes on what they leave out."""
    notes = []
    if p.get(GATE) is False:  # an AsrEncoder's specaugment_network with use_specaugment False (its default)
        notes.append(f"{GATE} is False: lingvo applies no SpecAugment, so nothing is drawn")
        return Fields(fill="mean"), notes
    W = 0
    extra = []
    ratio_w = p["time_warp_max_ratio"]
    if ratio_w > 0:
        if p["time_warp_bound"] == "dynamic":
            extra.append(("time_warp_dynamic", True, ""))
            notes.append(f"time_warp_bound='dynamic': shifts int(U[-1, 1) * int({ratio_w:g} * length)), "
                         f"time_warp_max_frames unused")
        elif p["time_warp_max_frames"]:
            W = p["time_warp_max_frames"]
        if ratio_w < 1.0:
            extra.append(("time_warp_max_ratio", ratio_w, ""))
    elif p["time_warp_max_frames"]:
        notes.append("time_warp_max_ratio is 0, which turns lingvo's time warp off")
    if p["block_mask_prob"] > 0:
        size = p["block_mask_size"]
        extra += [("block_mask_prob", p["block_mask_prob"], ""), ("block_mask_frames", size["t"], "frames"),
                  ("block_mask_bands", size["f"], "bands")]
    dynamic = p["use_dynamic_time_mask_max_frames"]
    ratio = p["time_mask_max_ratio"]
    for key, what in (("freq_warp_max_bins", "frequency warp"), ("freq_noise_max_stddev", "frequency noise")):
        if p[key]:
            notes.append(f"{key} = {p[key]:g}: lingvo's {what} is not shown")
    if p["use_noise"]:
        notes.append("use_noise: the noise lingvo adds in time-masked regions is not shown")
    if p["unstack"]:
        notes.append("unstack: lingvo's frame unstacking is not shown")
    return Fields(W=W, F=p["freq_mask_max_bins"], mF=p["freq_mask_count"], T=p["time_mask_max_frames"],
                  mT=p["time_mask_count"], p=ratio, pS=ratio if dynamic else 0.0, pM=p["time_masks_per_frame"],
                  fill="mean", extra=tuple(extra)), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """``p.name = value`` lines (``extra``: its own warp bound and block masks, sizes in its units)."""
    x = extra or {}
    dynamic = c.width_ratio > 0
    ratio = float(c.width_ratio) if dynamic else float(c.max_time_ratio)
    if dynamic and c.max_time_ratio < 1.0 and c.max_time_ratio != c.width_ratio:
        notes.append(f"lingvo's dynamic width uses one ratio for pS and p: p = {c.max_time_ratio:g} dropped")
    if c.fill not in ("mean",):
        notes.append(f"lingvo always multiplies by 0 (the mean of normalised features), not {c.fill!r}")
    if c.masks_per_frame and inclusive:
        notes.append("lingvo counts ceil(pM * n) masks, melwav floor(pM * n)")
    if W and c.convention != NAME:
        notes.append("lingvo's warp fixes frames 0 and n (melwav's: 0 and n - 1); anchor in 1..n-2")
    lines = {
        "freq_mask_max_bins": F, "freq_mask_count": mF,
        "time_mask_max_frames": T, "time_mask_count": mT, "time_mask_max_ratio": ratio,
        "use_dynamic_time_mask_max_frames": dynamic, "time_masks_per_frame": float(c.masks_per_frame),
        "time_warp_bound": "dynamic" if x.get("time_warp_dynamic") else "static", "time_warp_max_frames": W,
        "time_warp_max_ratio": (float(x.get("time_warp_max_ratio", 1.0))
                                if W or x.get("time_warp_dynamic") else 0.0),
    }
    if x.get("block_mask_prob"):
        lines["block_mask_prob"] = float(x["block_mask_prob"])
    out = [f"p.{k} = {v!r}" for k, v in lines.items()]
    if x.get("block_mask_prob"):
        out.append(f"p.block_mask_size = dict(t={int(x.get('block_mask_frames', 32))}, "
                   f"f={int(x.get('block_mask_bands', 32))})")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what lingvo writes into a mask and how melwav plays it."""
    if fill not in (None, "mean"):
        return f"lingvo writes the mean of normalised features; melwav shows its own {fill!r} fill instead."
    return ("lingvo multiplies masked cells by 0 on features normalised to zero mean, i.e. it writes the "
            "mean; melwav plays the clip's mean level (a steady hum).")
