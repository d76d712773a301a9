"""SpeechBrain (>= 1.0): ``augment.freq_domain.SpectrogramDrop`` and ``Warping`` in an ``augmenter.Augmenter``.

Draw rules, for ONE utterance (SpeechBrain draws per batch; melwav's clip is a batch of one):

- ``Augmenter``: ``if random.random() > augment_prob`` nothing happens; else ``N = randint(min, max + 1)``
  augmentations (min defaults to 1, max to the list's length, both clamped to it), the first N of the list
  (shuffled first with ``shuffle_augmentations``), applied one after another in that order.
- ``SpectrogramDrop`` (``dim: 1`` time, ``dim: 2`` frequency): count ``randint(drop_count_low,
  drop_count_high + 1)`` (both ends; 0 leaves the input alone), widths ``randint(drop_length_low,
  drop_length_high)`` (the high end EXCLUSIVE despite the docstring), starts ``randint(0, D)`` (``0..D-1``)
  with the mask cut at the axis end, so masks near the end are shorter. ``replace``: zeros, mean (the batch
  mean), rand, cutcat, swap, random_selection.
- ``Warping(warp_window=W, warp_mode="bicubic", dim=1)``: none when ``n - W <= W``; anchor
  ``c = randint(W, n - W)`` (``W..n-W-1``), new position ``randint(c - W, c + W) + 1`` (``c-W+1..c+W``);
  both sides resized with ``align_corners=True``. Recorded as ``WarpDraw(c, w - c, "speechbrain-bicubic")``.

- SpeechBrain < 1.0 ``lobes.augment.SpecAugment`` (read when the text has no SpectrogramDrop / Warping /
  Augmenter): warp (as ``Warping``), then ``n_freq_mask`` frequency masks, then ``n_time_mask`` time masks,
  fixed counts, widths ``randint(lo, hi)`` per mask (an int width w means (0, w); ``time_mask_ratio`` r > 0
  means widths ``0..int(r * n) - 1``), starts ``randint(0, max(1, D - widest))`` so masks stay whole; fill
  0 (``replace_with_zero``) or the batch mean. Recorded with the extra setting ``starts = "whole"``.

In melwav's numbers: T = the time drop's ``drop_length_high``, mT its ``drop_count_high``, F and mF the
same of the frequency drop, W = ``warp_window``; the rest rides in the config's ``extra``: the lower ends
(``time_length_low`` frames, ``freq_length_low`` bands, ``time_count_low``, ``freq_count_low``), the
``augment_prob``, ``n_min``/``n_max`` (min/max_augmentations), ``shuffle``, ``slots`` (the Augmenter's list as
"time", "freq", "warp" or "other") and the two ``replace`` modes. Without them (sliders): lengths from 0,
fixed counts, all three in the order time, freq, warp, always applied.

Text read: HyperPyYAML hparams, with a SAFE reader (never ``load_hyperpyyaml``, ``pydoc.locate`` or an unsafe
``yaml.load``): ``!new:``, ``!name:``, ``!module:``, ``!apply:``, ``!applyref:`` and ``!include:`` become inert
records of their tag, dotted path and arguments; nothing is imported, constructed, called or opened. Only
these paths are interpreted: the two above, the Augmenter, the pre-1.0 SpecAugment and
``speechbrain.lobes.features.Fbank`` (units).
``!ref <key>`` / ``!copy <key>`` are resolved here, with string interpolation and arithmetic through a
whitelist (+ - * / // % ** on numbers, bounded), as hyperpyyaml's ``_ast_eval`` does, never ``eval``;
strings starting with "(" are implicit ``!tuple``; ``!PLACEHOLDER`` is refused when read.
"""

from __future__ import annotations

import ast
import operator
import re

import numpy as np
import yaml

from ..errors import ParameterError, check_float, check_int
from ..records import MaskBatch, SpecAugmentConfig, WarpBatch, WarpDraw
from ._common import BoundedLoader, Fields, check_bool, check_number, check_whole, load_yaml, make_batch, short
from ._resample import two_piece_warp

NAME = "speechbrain"
#: speechbrain.lobes.features.Fbank: hop 10 ms; its default is 40 mels, the LibriSpeech recipes set 80.
UNITS = (10.0, 80)
ORDER = ("time", "freq", "warp")
FILLS = ("mean", "band_mean")
OPERATIONS: dict = {}

_FD = "speechbrain.augment.freq_domain."
DROP = _FD + "SpectrogramDrop"
WARP = _FD + "Warping"
AUGMENTER = "speechbrain.augment.augmenter.Augmenter"
FBANK = "speechbrain.lobes.features.Fbank"
OLD_SPECAUGMENT = "speechbrain.lobes.augment.SpecAugment"

DROP_DEFAULTS = {"drop_length_low": 5, "drop_length_high": 15, "drop_count_low": 1, "drop_count_high": 3,
                 "replace": "zeros", "dim": 1}
WARP_DEFAULTS = {"warp_window": 5, "warp_mode": "bicubic", "dim": 1}
AUGMENTER_DEFAULTS = {
    "parallel_augment": False, "parallel_augment_fixed_bs": False, "concat_original": False,
    "min_augmentations": None, "max_augmentations": None, "shuffle_augmentations": False, "repeat_augment": 1,
    "augment_start_index": 0, "augment_end_index": None, "concat_start_index": 0, "concat_end_index": None,
    "augment_prob": 1.0, "augmentations": [], "enable_augmentations": None,
}
REPLACE = ("zeros", "mean", "rand", "cutcat", "swap", "random_selection")
_MODES = ("bicubic", "bilinear", "nearest", "linear", "area", "nearest-exact")
_TAG_RE = re.compile(r"!new:speechbrain\.(augment\.(freq_domain|augmenter)|lobes\.augment)\.")
MAX_REF_DEPTH = 32
MAX_ITEMS = 32
#: How many !ref look-ups one document may cost in all (interpolation can fan out at every level).
MAX_DEREFS = 5000
MAX_TEXT = 1000


# ------------------------------------------------------------------------- the safe HyperPyYAML reader


class Tagged:
    """An inert ``!new:`` / ``!name:`` / ``!module:`` / ``!apply:`` / ``!applyref:`` / ``!include:`` node."""

    __slots__ = ("tag", "path", "args", "kwargs")

    def __init__(self, tag: str, path: str, args: list, kwargs: dict):
        self.tag, self.path, self.args, self.kwargs = tag, path, args, kwargs

    def __repr__(self):  # never the whole arguments
        return f"<!{self.tag}:{self.path[:60]}>"


class Ref:
    """A ``!ref`` or ``!copy`` string, resolved later by :func:`resolve`."""

    __slots__ = ("text", "copy")

    def __init__(self, text: str, copy: bool):
        self.text, self.copy = text, copy


class Placeholder:
    """``!PLACEHOLDER``: a value the user must supply."""


class _Loader(BoundedLoader):
    """The shared bounded SafeLoader (nesting depth, alias expansion budget) plus HyperPyYAML's tags, each
    returning inert data (see the module notes)."""


def _tagged(tag):
    def construct(loader, suffix, node):
        if isinstance(node, yaml.MappingNode):
            kwargs = loader.construct_mapping(node, deep=True)
            if set(kwargs) == {"_args", "_kwargs"} and tag in ("apply", "applyref"):
                args, kwargs = kwargs["_args"], kwargs["_kwargs"]
                return Tagged(tag, suffix, list(args) if isinstance(args, list) else [args],
                              kwargs if isinstance(kwargs, dict) else {})
            return Tagged(tag, suffix, [], kwargs)
        if isinstance(node, yaml.SequenceNode):
            return Tagged(tag, suffix, loader.construct_sequence(node, deep=True), {})
        value = loader.construct_scalar(node)
        return Tagged(tag, suffix, [value] if value else [], {})
    return construct


for _tag in ("new", "name", "module", "apply", "applyref", "include"):
    _Loader.add_multi_constructor(f"!{_tag}:", _tagged(_tag))
_Loader.add_constructor("!ref", lambda loader, node: Ref(str(loader.construct_scalar(node)), False))
_Loader.add_constructor("!copy", lambda loader, node: Ref(str(loader.construct_scalar(node)), True))
_Loader.add_constructor("!PLACEHOLDER", lambda loader, node: Placeholder())


def _make_tuple(loader, node):
    text = loader.construct_scalar(node)
    inner = load("[" + text[1:-1] + "]")  # the same safe reader, never yaml.Loader (hyperpyyaml's choice)
    return tuple(inner) if isinstance(inner, list) else (inner,)


_Loader.add_constructor("!tuple", _make_tuple)
# hyperpyyaml reads the text with ruamel.yaml (YAML 1.2) first, where "1e-3" is a float, not a string.
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver("!tuple", re.compile(r"^\(.*\)$"), first="(")


def load(text: str):
    """HyperPyYAML ``text`` as inert data (raises :class:`ParameterError` for malformed or abusive text)."""
    return load_yaml(text, loader=_Loader, what="HyperPyYAML")


_REF_RE = re.compile(r"<[^>]*>")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_BIG = 1e15


def arithmetic(text: str):
    """hyperpyyaml's ``parse_arithmetic`` on numbers only, bounded: the value, or ``text`` unchanged.

    Like hyperpyyaml, text that is not such an expression (a path, a unary minus) comes back as it is.
    Division by zero, huge powers or results are refused (hyperpyyaml would raise or hang).
    """
    if len(text) > 200:
        return text
    try:
        tree = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text

    def ev(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(
                node.value, bool):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
                raise ParameterError(f"!ref arithmetic {short(text)}: a power that large is not evaluated")
            try:
                value = _OPS[type(node.op)](left, right)
            except ZeroDivisionError:
                raise ParameterError(f"!ref arithmetic {short(text)} divides by zero") from None
            if isinstance(value, complex) or abs(value) > _BIG:
                raise ParameterError(f"!ref arithmetic {short(text)} is out of range")
            return value
        raise TypeError  # anything else: the text stays a string, as in hyperpyyaml

    try:
        return ev(tree)
    except (TypeError, RecursionError):
        return text


class Document(dict):
    """The loaded hparams' top level, with the count of ``!ref`` look-ups spent on it."""

    spent = 0


def resolve(value, tree: dict, depth: int = 0):
    """``value`` with a ``!ref`` / ``!copy`` followed through ``tree`` (interpolation and arithmetic).

    The work is bounded: chains of at most :data:`MAX_REF_DEPTH`, :data:`MAX_DEREFS` look-ups per
    :class:`Document`, interpolated strings of at most :data:`MAX_TEXT` characters.
    """
    if depth > MAX_REF_DEPTH:
        raise ParameterError("!ref chain too long or circular")
    if isinstance(value, Placeholder):
        raise ParameterError("a value read is a !PLACEHOLDER: supply it in the text")
    if not isinstance(value, Ref):
        return value
    text = value.text.strip()
    if _REF_RE.fullmatch(text):
        return resolve(_deref(text[1:-1], tree), tree, depth + 1)
    if len(text) > 400 or len(_REF_RE.findall(text)) > 16:
        raise ParameterError(f"!ref {short(text)} is too long to resolve")

    def sub(match):
        target = resolve(_deref(match.group(0)[1:-1], tree), tree, depth + 1)
        if isinstance(target, (Tagged, dict, list, tuple)):
            raise ParameterError(f"!ref {short(text)} interpolates an object, which melwav does not evaluate")
        return str(target)

    out = _REF_RE.sub(sub, text)
    if len(out) > MAX_TEXT:
        raise ParameterError(f"!ref {short(text)} interpolates to over {MAX_TEXT} characters")
    return arithmetic(out)


def _deref(key: str, tree: dict):
    if isinstance(tree, Document):
        tree.spent += 1
        if tree.spent > MAX_DEREFS:
            raise ParameterError(f"the !ref look-ups exceed {MAX_DEREFS}: too much work to resolve")
    if "." in key:
        raise ParameterError(f"!ref <{short(key)[1:-1] if len(key) <= 40 else '...'}> reads an object's attribute, "
                             f"which melwav does not evaluate")
    node = tree
    for part in key.split("["):
        part = part.strip("]").strip()
        if not isinstance(node, dict) or part not in node:
            raise ParameterError(f"!ref <{key[:40]}>: no such key")
        node = node[part]
    if isinstance(node, Tagged) and node.tag == "include":
        raise ParameterError(f"!ref <{key[:40]}> points into an !include: file, which melwav does not open")
    return node


# ----------------------------------------------------------------------------------------------- draw


def _masks(axis_len: int, lo: int, hi: int, count_lo: int, count_hi: int, rng, size: int, applied: np.ndarray,
           what: str, whole: bool = False) -> tuple[MaskBatch | None, list]:
    """One SpectrogramDrop for the utterances where ``applied``: ``(masks, draw notes)``."""
    count = rng.integers(count_lo, count_hi + 1, size=size)  # torch.randint(low, high + 1)
    if hi <= lo:
        return None, [(f"no {what} masks: the width range {lo}..{hi} is empty, where SpeechBrain's "
                       f"torch.randint(low, high) raises", applied & (count > 0))]
    drawn = (np.arange(count_hi) < count[:, None]) & applied[:, None]
    widths = rng.integers(lo, hi, size=(size, count_hi))  # high exclusive
    if whole:  # pre-1.0 SpecAugment: randint(0, max(1, D - widest)), so masks stay whole
        widest = np.where(drawn, widths, 0).max(axis=1, initial=0)
        starts = rng.integers(0, np.maximum(1, axis_len - widest)[:, None], size=(size, count_hi))
    else:  # SpectrogramDrop: randint(0, max(1, D, -widest)) = 0..D-1, cut at the end
        starts = rng.integers(0, max(1, axis_len), size=(size, count_hi))
    return MaskBatch.clipped(starts, widths, axis_len, drawn), []


def _options(config: SpecAugmentConfig) -> dict:
    """The config's SpeechBrain settings (``extra``), checked: they may come from a hand-edited params JSON."""
    slots = config.option("slots", ORDER)
    if not isinstance(slots, tuple) or not all(s in ("time", "freq", "warp", "other") for s in slots):
        raise ParameterError("extra slots must list 'time', 'freq', 'warp' or 'other'")
    if any(slots.count(op) > 1 for op in ORDER):
        raise ParameterError("extra slots must list each of 'time', 'freq' and 'warp' at most once")
    starts = config.option("starts", "anywhere")
    if starts not in ("anywhere", "whole"):
        raise ParameterError("extra starts must be 'anywhere' or 'whole'")
    return {
        "slots": slots, "starts": starts,
        "n_min": check_int("extra n_min", config.option("n_min", len(slots)), low=0, high=MAX_ITEMS),
        "n_max": check_int("extra n_max", config.option("n_max", len(slots)), low=0, high=MAX_ITEMS),
        "augment_prob": check_float("extra augment_prob", config.option("augment_prob", 1.0), low=0.0, high=1.0),
        "shuffle": check_bool("extra shuffle", config.option("shuffle", False)),
        "time_length_low": config.option("time_length_low", 0),  # sizes: checked ints already
        "freq_length_low": config.option("freq_length_low", 0),
        "time_count_low": check_int("extra time_count_low", config.option("time_count_low", config.n_time_masks),
                                    low=0, high=config.n_time_masks),
        "freq_count_low": check_int("extra freq_count_low", config.option("freq_count_low", config.n_freq_masks),
                                    low=0, high=config.n_freq_masks),
    }


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """SpeechBrain's Augmenter with SpectrogramDrop / Warping for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """SpeechBrain's Augmenter with SpectrogramDrop / Warping, for ``size`` utterances of one length (see the
    module notes): each draws whether it is augmented, how many of the list and (shuffled) which."""
    notes = []
    legacy_ratio = config.option("starts") == "whole" and config.width_ratio
    if config.max_time_ratio < 1.0 or (config.width_ratio and not legacy_ratio) or config.masks_per_frame:
        notes.append("SpeechBrain has no p, pS or pM: ignored")
    if config.option("slots") is None:
        notes.append("no SpeechBrain settings beyond the sliders: widths from 0, fixed counts, one Augmenter "
                     "applying time, frequency, warp")
    o = _options(config)
    slots, n_min, prob = o["slots"], o["n_min"], o["augment_prob"]
    n_max = max(n_min, o["n_max"])  # as the Augmenter clamped them (an N past the list applies all)
    skipped = rng.random(size) > prob
    N = rng.integers(n_min, n_max + 1, size=size)
    k = len(slots)
    # perm[i]: draw i's list in the order applied (a uniform shuffle, as random.shuffle); rank: where each slot is
    perm = np.argsort(rng.random((size, k)), axis=1) if o["shuffle"] else np.broadcast_to(np.arange(k), (size, k))
    rank = np.argsort(perm, axis=1)
    applied = (rank < N[:, None]) & ~skipped[:, None]  # (size, slots)

    def applies(op):
        return applied[:, slots.index(op)] if op in slots else np.zeros(size, dtype=bool)

    draw_notes = [(f"SpeechBrain skipped the augmentation this time (augment_prob = {prob:g})", skipped)]
    # the few distinct (skipped, N, shuffle) outcomes, each described once
    outcomes, which = np.unique(np.column_stack([skipped, N, perm]), axis=0, return_inverse=True)
    which = which.reshape(-1)
    orders = []
    for u, (skip, n, *row) in enumerate(outcomes.tolist()):
        ran = tuple(slots[j] for j in row[:n])
        if n < k and not skip:
            draw_notes.append((f"the Augmenter applied {n} of its {k} augmentations this time: "
                               f"{', '.join(ran) or 'none'}", which == u))
        done = () if skip else tuple(op for op in ran if op in ORDER)
        orders.append(done + tuple(op for op in ORDER if op not in done))
    whole = o["starts"] == "whole"
    hi = int(config.width_ratio * n_frames) if whole and config.width_ratio else config.time_mask_frames
    time, more = _masks(n_frames, o["time_length_low"], hi, o["time_count_low"], config.n_time_masks, rng, size,
                        applies("time"), "time", whole)
    draw_notes += more
    freq, more = _masks(n_mels, o["freq_length_low"], config.freq_mask_bands, o["freq_count_low"],
                        config.n_freq_masks, rng, size, applies("freq"), "frequency", whole)
    draw_notes += more
    warp = None
    W = config.warp_frames
    if W:
        if n_frames - W <= W:
            draw_notes.append((f"no time warp: SpeechBrain skips it when the clip ({n_frames} frames) is <= 2W = "
                               f"{2 * W}", applies("warp")))
        else:
            center = rng.integers(W, n_frames - W, size=size)
            new = rng.integers(center - W, center + W) + 1
            warp = WarpBatch(center, new - center, applies("warp") & (new != center), "speechbrain-bicubic")
    same = len(set(orders)) == 1
    return make_batch(NAME, orders[which[0]], FILLS, config, n_mels, n_frames, size, warp, freq, time, notes,
                      draw_notes, () if same else tuple(orders[u] for u in which))


def apply_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """SpeechBrain's ``Warping``: the two sides of the anchor resized bicubically (``align_corners=True``)."""
    return two_piece_warp(L, warp, align_corners=True)


WARPS = {"speechbrain-bicubic": apply_warp}


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """5 for HyperPyYAML with a ``!new:`` of SpeechBrain's augmentation classes, else 0."""
    return 5 if _TAG_RE.search(source.text) else 0


def _kwargs(obj: Tagged, defaults: dict, tree: dict, where: str) -> dict:
    names = [k for k in defaults]
    if len(obj.args) > len(names):
        raise ParameterError(f"{where}: {obj.path.rsplit('.', 1)[-1]} takes at most {len(names)} arguments")
    given = dict(zip(names, obj.args))
    for key, value in obj.kwargs.items():
        if not isinstance(key, str) or key not in defaults:
            raise ParameterError(f"{where}: unknown {obj.path.rsplit('.', 1)[-1]} argument {label(key)} "
                                 f"(known: {', '.join(names)})")
        if key in given:
            raise ParameterError(f"{where}: argument {key} given twice")
        given[key] = value
    return {k: resolve(given[k], tree) if k in given else v for k, v in defaults.items()}


def _drop(obj: Tagged, tree: dict, where: str) -> dict:
    p = _kwargs(obj, DROP_DEFAULTS, tree, where)
    out = {"class": "SpectrogramDrop", "name": where}
    for key in ("drop_length_low", "drop_length_high", "drop_count_low", "drop_count_high"):
        out[key] = check_whole(f"{where}.{key}", p[key], low=0, high=100_000)
    for a, b in (("drop_length_low", "drop_length_high"), ("drop_count_low", "drop_count_high")):
        if out[a] > out[b]:
            raise ParameterError(f"{where}: {a} {out[a]} is above {b} {out[b]} (SpeechBrain raises ValueError)")
    if out["drop_count_high"] > 100:
        raise ParameterError(f"{where}.drop_count_high must be at most 100")
    if p["replace"] not in REPLACE:
        raise ParameterError(f"{where}.replace must be one of {', '.join(REPLACE)}, got {short(p['replace'])}")
    out["replace"] = p["replace"]
    out["dim"] = check_whole(f"{where}.dim (1 time, 2 frequency)", p["dim"], low=1, high=2)
    return out


def _warping(obj: Tagged, tree: dict, where: str) -> dict:
    p = _kwargs(obj, WARP_DEFAULTS, tree, where)
    out = {"class": "Warping", "name": where}
    out["warp_window"] = check_whole(f"{where}.warp_window", p["warp_window"], low=0, high=100_000)
    if p["warp_mode"] not in _MODES:
        raise ParameterError(f"{where}.warp_mode must be one of {', '.join(_MODES)}, got {short(p['warp_mode'])}")
    out["warp_mode"] = p["warp_mode"]
    out["dim"] = check_whole(f"{where}.dim (1 time, 2 frequency)", p["dim"], low=1, high=2)
    return out


def _augmentation(obj, tree: dict, where: str) -> dict:
    if isinstance(obj, Tagged) and obj.tag == "new" and obj.path == DROP:
        return _drop(obj, tree, where)
    if isinstance(obj, Tagged) and obj.tag == "new" and obj.path == WARP:
        return _warping(obj, tree, where)
    path = label(obj.path, 80) if isinstance(obj, Tagged) else type(obj).__name__
    return {"class": "other", "name": where, "path": path}


def parse(source):
    """``(params, notes, found units)`` of SpeechBrain hparams (see the module notes)."""
    tree = load(source.text)
    if not isinstance(tree, dict):
        raise ParameterError("SpeechBrain hparams must be a YAML mapping")
    tree = Document(tree)
    notes = []
    top = {k: v for k, v in tree.items() if isinstance(v, Tagged) and v.tag == "new"}
    found = None
    fbanks = [v for v in top.values() if v.path == FBANK]
    if fbanks:
        kw = {k: resolve(v, tree) for k, v in fbanks[0].kwargs.items() if k in ("n_mels", "hop_length")}
        found = (check_number("Fbank hop_length (ms)", kw.get("hop_length", 10), low=0.1, high=1000.0),
                 check_whole("Fbank n_mels", kw.get("n_mels", 40), low=1, high=4096))
    legacy = [(k, v) for k, v in top.items() if v.path == OLD_SPECAUGMENT]
    if len(legacy) > 1:
        raise ParameterError(f"{len(legacy)} pre-1.0 SpecAugment objects; give the one to hear")
    if legacy and not any(v.path in (DROP, WARP, AUGMENTER) for v in top.values()):
        key, obj = legacy[0]
        notes.append(f"{label(key)}: SpeechBrain < 1.0 lobes.augment.SpecAugment (masks kept whole, fixed "
                     f"counts; warp, frequency, time)")
        return {"legacy": _legacy(obj, tree, label(key))}, notes, found
    augmenters = []
    for key, obj in top.items():
        if obj.path != AUGMENTER:
            continue
        p = _kwargs(obj, AUGMENTER_DEFAULTS, tree, label(key))
        items = p["augmentations"]
        if not isinstance(items, (list, tuple)) or len(items) > MAX_ITEMS:
            raise ParameterError(f"{label(key)}.augmentations must be a list of at most {MAX_ITEMS}")
        augs = [_augmentation(resolve(item, tree), tree, _ref_name(item, f"{label(key)}[{i}]"))
                for i, item in enumerate(items)]
        if any(a["class"] != "other" for a in augs):
            augmenters.append((label(key), p, augs))
    if len(augmenters) > 1:
        raise ParameterError(f"{len(augmenters)} Augmenters hold spectrogram augmentations "
                             f"({', '.join(a[0] for a in augmenters)}); give the one to hear")
    if augmenters:
        name, p, augs = augmenters[0]
        listed = len(augs)  # SpeechBrain clamps min/max_augmentations to the list BEFORE enable_augmentations
        enable = p["enable_augmentations"]
        if enable is not None:
            if not isinstance(enable, list) or len(enable) != len(augs):
                raise ParameterError(f"{name}.enable_augmentations must be a list as long as augmentations")
            augs = [a for a, on in zip(augs, enable) if check_bool(f"{name}.enable_augmentations", on)]
        params = {**_augmenter(p, name, listed, notes), "augmentations": augs}
    else:
        augs = [_augmentation(v, tree, label(k)) for k, v in top.items() if v.path in (DROP, WARP)]
        if not augs:
            raise ParameterError("no SpeechBrain SpectrogramDrop or Warping (!new:speechbrain.augment.freq_domain."
                                 "...) found")
        notes.append("no Augmenter: the SpectrogramDrop/Warping objects are taken in file order, all applied")
        params = {"augment_prob": 1.0, "min_augmentations": len(augs),
                  "max_augmentations": len(augs), "shuffle_augmentations": False, "augmentations": augs}
    return params, notes, found


LEGACY_DEFAULTS = {
    "time_warp": True, "time_warp_window": 5, "time_warp_mode": "bicubic", "freq_mask": True,
    "freq_mask_width": (0, 20), "n_freq_mask": 2, "time_mask": True, "time_mask_width": (0, 100), "n_time_mask": 2,
    "replace_with_zero": True, "time_mask_ratio": 0.0,
}


def _legacy(obj: Tagged, tree: dict, where: str) -> dict:
    """SpeechBrain < 1.0 ``lobes.augment.SpecAugment`` arguments, checked (an int width w means (0, w))."""
    p = _kwargs(obj, LEGACY_DEFAULTS, tree, where)
    out = {}
    for key in ("time_warp", "freq_mask", "time_mask", "replace_with_zero"):
        out[key] = check_bool(f"{where}.{key}", p[key])
    if not (out["time_warp"] or out["freq_mask"] or out["time_mask"]):
        raise ParameterError(f"{where}: at least one of time_warp, time_mask, or freq_mask should be applied "
                             f"(SpeechBrain asserts it)")
    out["time_warp_window"] = check_whole(f"{where}.time_warp_window", p["time_warp_window"], low=0, high=100_000)
    if p["time_warp_mode"] not in _MODES:
        raise ParameterError(f"{where}.time_warp_mode must be one of {', '.join(_MODES)}, got "
                             f"{short(p['time_warp_mode'])}")
    out["time_warp_mode"] = p["time_warp_mode"]
    for key in ("freq_mask_width", "time_mask_width"):
        value = p[key]
        if isinstance(value, int) and not isinstance(value, bool):
            value = (0, value)
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ParameterError(f"{where}.{key} must be an int or a (low, high) pair, got {short(value)}")
        lo = check_whole(f"{where}.{key}[0]", value[0], low=0, high=100_000)
        hi = check_whole(f"{where}.{key}[1]", value[1], low=0, high=100_000)
        out[key] = (lo, hi)
    for key in ("n_freq_mask", "n_time_mask"):
        out[key] = check_whole(f"{where}.{key}", p[key], low=0, high=100)
    out["time_mask_ratio"] = check_number(f"{where}.time_mask_ratio", p["time_mask_ratio"], low=0.0, high=1.0)
    return out


def _legacy_fields(p: dict) -> tuple[Fields, list[str]]:
    notes = []
    slots, extra = [], []
    W = F = mF = T = mT = 0
    pS = 0.0
    if p["time_warp"] and p["time_warp_window"]:
        slots.append("warp")
        W = p["time_warp_window"]
        if p["time_warp_mode"] != "bicubic":
            notes.append(f"time_warp_mode {p['time_warp_mode']!r}: melwav replays the warp as bicubic")
    if p["freq_mask"]:
        slots.append("freq")
        (lo, F), mF = p["freq_mask_width"], p["n_freq_mask"]
        extra += [("freq_length_low", lo, "bands"), ("freq_count_low", mF, "")]
    if p["time_mask"]:
        slots.append("time")
        (lo, T), mT = p["time_mask_width"], p["n_time_mask"]
        if p["time_mask_ratio"]:
            lo, T, pS = 0, 0, p["time_mask_ratio"]
            notes.append(f"time_mask_ratio {pS:g}: widths 0..int({pS:g} * padded length) - 1")
        extra += [("time_length_low", lo, "frames"), ("time_count_low", mT, "")]
    mode = "zeros" if p["replace_with_zero"] else "mean"
    if p["replace_with_zero"]:
        notes.append("replace_with_zero: on the globally normalised features of SpeechBrain's recipes 0 is each "
                     "band's mean, played as each band's own mean on this clip")
    extra += [("time_replace", mode, ""), ("freq_replace", mode, ""), ("augment_prob", 1.0, ""),
              ("n_min", len(slots), ""), ("n_max", len(slots), ""), ("shuffle", False, ""),
              ("slots", tuple(slots), ""), ("starts", "whole", "")]
    return Fields(W=W, F=F, mF=mF, T=T, mT=mT, p=1.0, pS=pS, fill="band_mean" if mode == "zeros" else "mean",
                  extra=tuple(extra)), notes


_LABEL_RE = re.compile(r"[A-Za-z0-9_.\-\[\]]+")


def label(key, limit: int = 40) -> str:
    """A key or dotted path from the file as it may appear in a message: plain name characters only (the text
    reaches Markdown in the app), else ``an unnamed entry``."""
    key = str(key) if isinstance(key, (str, int)) else ""
    return key[:limit] if _LABEL_RE.fullmatch(key[:limit] or "?") else "an unnamed entry"


def _ref_name(item, fallback: str) -> str:
    if isinstance(item, Ref) and _REF_RE.fullmatch(item.text.strip()):
        return label(item.text.strip()[1:-1])
    return fallback


def _augmenter(p: dict, name: str, n: int, notes: list) -> dict:
    out = {"augment_prob": check_number(f"{name}.augment_prob", p["augment_prob"], low=0.0, high=1.0)}
    lo = 1 if p["min_augmentations"] is None else check_whole(f"{name}.min_augmentations", p["min_augmentations"],
                                                              low=-1000, high=1000)
    hi = n if p["max_augmentations"] is None else check_whole(f"{name}.max_augmentations", p["max_augmentations"],
                                                              low=-1000, high=1000)
    lo, hi = max(0, min(lo, n)), min(hi, n)  # Augmenter.check_min_max_augmentations and __init__
    out["min_augmentations"], out["max_augmentations"] = lo, max(lo, hi)
    out["shuffle_augmentations"] = check_bool(f"{name}.shuffle_augmentations", p["shuffle_augmentations"])
    for key in ("parallel_augment", "concat_original"):
        if check_bool(f"{name}.{key}", p[key]):
            notes.append(f"{name}.{key}: the batch gets extra copies; melwav shows one augmented copy")
    repeat = check_whole(f"{name}.repeat_augment", p["repeat_augment"], low=0, high=1000)
    if repeat == 0:
        notes.append(f"{name}.repeat_augment 0: SpeechBrain augments nothing")
        out["max_augmentations"] = out["min_augmentations"] = 0
    elif repeat > 1:
        notes.append(f"{name}.repeat_augment {repeat}: {repeat} independent copies; melwav shows one")
    return out


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's numbers (SpeechBrain's units) and its own settings in ``extra``."""
    if "legacy" in p:
        return _legacy_fields(p["legacy"])
    notes = []
    slots, extra = [], []
    W = F = mF = T = mT = 0
    seen = set()
    replaces = {}
    for a in p["augmentations"]:
        if a["class"] == "SpectrogramDrop":
            op = "time" if a["dim"] == 1 else "freq"
            if op in seen:
                raise ParameterError(f"melwav shows one SpectrogramDrop per axis; {a['name']} is a second one on "
                                     f"{'time' if op == 'time' else 'frequency'}")
            seen.add(op)
            slots.append(op)
            if op == "time":
                T, mT = a["drop_length_high"], a["drop_count_high"]
                extra += [("time_length_low", a["drop_length_low"], "frames"),
                          ("time_count_low", a["drop_count_low"], "")]
            else:
                F, mF = a["drop_length_high"], a["drop_count_high"]
                extra += [("freq_length_low", a["drop_length_low"], "bands"),
                          ("freq_count_low", a["drop_count_low"], "")]
            replaces[op] = a["replace"]
            extra.append((f"{op}_replace", a["replace"], ""))
            unit = "frames" if op == "time" else "channels"
            if a["drop_length_high"] > a["drop_length_low"]:
                notes.append(f"{a['name']}: {a['drop_count_low']}..{a['drop_count_high']} masks per batch of "
                             f"{a['drop_length_low']}..{a['drop_length_high'] - 1} {unit}, starting anywhere and cut "
                             f"at the end")
            if a["drop_length_low"] == a["drop_length_high"] and a["drop_count_high"]:
                notes.append(f"{a['name']}: drop_length_low == drop_length_high, where SpeechBrain's torch.randint "
                             f"raises")
        elif a["class"] == "Warping" and a["dim"] == 1:
            if "warp" in seen:
                raise ParameterError(f"melwav shows one time Warping; {a['name']} is a second one")
            seen.add("warp")
            slots.append("warp")
            W = a["warp_window"]
            if a["warp_mode"] != "bicubic":
                notes.append(f"{a['name']}.warp_mode {a['warp_mode']!r}: melwav replays SpeechBrain's warp as bicubic")
        else:
            slots.append("other")
            what = "frequency Warping (dim: 2)" if a["class"] == "Warping" else a.get("path", "?")
            notes.append(f"{a['name']}: {what} is not shown (it still takes its place in the Augmenter's list)")
    for op, mode in replaces.items():
        if mode == "zeros":
            notes.append(f"{op} masks replace with zeros: on the globally normalised features of SpeechBrain's "
                         f"recipes that is each band's mean, played as each band's own mean on this clip")
        elif mode != "mean":
            notes.append(f"{op} masks replace with {mode!r}: not reproduced, shown as the clip's mean")
    if len(slots) > 8:
        raise ParameterError("melwav reads at most 8 augmentations in a SpeechBrain Augmenter")
    extra += [("augment_prob", p["augment_prob"], ""), ("n_min", p["min_augmentations"], ""),
              ("n_max", p["max_augmentations"], ""), ("shuffle", p["shuffle_augmentations"], ""),
              ("slots", tuple(slots), "")]
    modes = set(replaces.values())
    fill = "band_mean" if modes == {"zeros"} else "mean"
    if len(modes) > 1:
        notes.append("the drops replace differently (" + ", ".join(sorted(modes)) + "): melwav plays one fill, the "
                     "clip's mean")
    return Fields(W=W, F=F, mF=mF, T=T, mT=mT, p=1.0, fill=fill, extra=tuple(extra)), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """HyperPyYAML: a SpectrogramDrop per axis, a Warping and the Augmenter listing them."""
    x = extra or {}
    own = c.convention == NAME and bool(x)
    o = _options(c) if c.convention == NAME else {}  # checked (a params file may have been edited by hand)
    if x.get("starts") == "whole":
        notes.append("written as SpeechBrain >= 1.0 SpectrogramDrop, whose masks start anywhere and are cut at the "
                     "end (the pre-1.0 SpecAugment kept them whole)")
        if c.width_ratio:
            notes.append(f"SpectrogramDrop has no time_mask_ratio: {c.width_ratio:g} dropped")
    if c.max_time_ratio < 1.0 and not c.width_ratio:
        notes.append(f"SpeechBrain has no p: p = {c.max_time_ratio:g} dropped")
    if c.width_ratio or c.masks_per_frame:
        notes.append("SpeechBrain has no adaptive pS / pM: dropped")
    if c.fill == "floor":
        notes.append("SpeechBrain cannot fill with the floor: replace: zeros written")
    if not own:
        notes.append("SpeechBrain starts a mask anywhere on the axis and cuts it at the end (masks are not kept "
                     "whole); one count per batch")
        if W:
            notes.append("SpeechBrain's warp: anchor in W..n-W-1, displacement -W+1..W, bicubic with "
                         "align_corners=True, none when n <= 2W, one warp per batch")
    default_replace = "zeros" if c.fill in ("value", "floor", "band_mean", "absolute") else "mean"
    blocks, names = {}, {}
    for axis, word, high, count, dim in (("time", "time", T, mT, 1), ("freq", "frequency", F, mF, 2)):
        if not (high and count):
            continue
        low, count_low = int(x.get(f"{axis}_length_low", 0)), o.get(f"{axis}_count_low", count)
        if low >= high:
            notes.append(f"{word} drop_length_low >= drop_length_high after unit conversion: low set to high - 1")
            low = high - 1
        names[axis] = f"{axis}_drop"
        blocks[axis] = _drop_text(f"{axis}_drop", low, high, min(count_low, count), count,
                                  x.get(f"{axis}_replace", default_replace), dim)
    if W:
        names["warp"] = "time_warp"
        blocks["warp"] = f"time_warp: !new:{WARP}\n    warp_window: {W}\n    warp_mode: bicubic\n    dim: 1\n"
    slots = list(o.get("slots", ("warp", "freq", "time")))
    if "other" in slots:
        notes.append("augmentations other than SpectrogramDrop and time Warping are not written")
    listed = [s for s in slots if s in blocks] + [s for s in ("warp", "freq", "time") if s in blocks and s not in slots]
    if not listed:
        notes.append("nothing to apply: no SpectrogramDrop or Warping written")
        return "# SpeechBrain: no spectrogram augmentation\n"
    n_min = min(o.get("n_min", len(listed)), len(listed))
    n_max = min(o.get("n_max", len(listed)), len(listed))
    if own and len(listed) < len(slots):
        notes.append("the Augmenter's min/max_augmentations count the augmentations left out")
    text = "".join(blocks[s] for s in listed)
    text += (f"fea_augment: !new:{AUGMENTER}\n    min_augmentations: {n_min}\n    max_augmentations: {max(n_min, n_max)}\n"
             f"    augment_prob: {float(o.get('augment_prob', 1.0))!r}\n"
             f"    shuffle_augmentations: {'true' if o.get('shuffle', False) else 'false'}\n"
             f"    augmentations: [{', '.join(f'!ref <{names[s]}>' for s in listed)}]\n")
    return text


def _drop_text(name, low, high, count_low, count_high, replace, dim) -> str:
    if replace not in REPLACE:  # (an extra setting from a hand-edited params file never reaches the YAML)
        raise ParameterError(f"extra replace must be one of {', '.join(REPLACE)}")
    return (f"{name}: !new:{DROP}\n    drop_length_low: {low}\n    drop_length_high: {high}\n"
            f"    drop_count_low: {count_low}\n    drop_count_high: {count_high}\n    replace: \"{replace}\"\n"
            f"    dim: {dim}\n")


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what SpeechBrain writes into a mask and how melwav plays it."""
    if fill in (None, "band_mean"):
        return ("SpeechBrain's recipes drop spectrogram chunks after global normalisation, so replace \"zeros\" "
                "writes each band's dataset mean; melwav plays each band's own mean on this clip (a steady hum "
                "shaped like the clip).")
    return ("SpeechBrain's recipes drop spectrogram chunks after global normalisation; replace \"mean\" writes "
            "the batch mean; melwav plays the clip's mean level (a steady hum).")
