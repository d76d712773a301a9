"""torchaudio: ``transforms.SpecAugment`` and ``FrequencyMasking`` / ``TimeMasking`` (torchaudio 2.x).

Draw rules, for ONE utterance, as read from ``functional.mask_along_axis_iid`` and ``transforms.SpecAugment``:
F = ``freq_mask_param``, mF = ``n_freq_masks``, T = ``time_mask_param``, mT = ``n_time_masks``, p = ``p``.
Bound ``m = T if p == 1 else min(T, int(p * n))`` (and the same with F and ``nu``: SpecAugment passes p to
the frequency masks too); a mask is skipped when ``m < 1``. Width ``v = U * m`` (kept unfloored), start
``int(U * (axis - v))``, cells ``[start, start + int(v))`` clipped to the axis (a bound larger than the
axis gives negative starts, truncated toward 0, as in torch). Time masks, then frequency masks. No warp
(W is ignored, with a note), no pM. Every width bound is exclusive (``F = 27`` draws ``0..26``).

A list of ``FrequencyMasking`` / ``TimeMasking`` keeps each transform's own parameters: ``TimeMasking``'s
``p`` caps the time masks only (``FrequencyMasking`` has no p). In a config that is pS (``width_ratio``):
time bound ``min(T, int(pS * n))``, frequency bound F, while p (``max_time_ratio``) stays SpecAugment's p that
caps both. ``TimeMasking(time_mask_param=0, p=...)`` draws nothing: ``_get_mask_param`` gives ``min(0, ...) = 0``
and ``mask_along_axis_iid`` returns its input when that is below 1 (an adaptive width is written with a bound
above any clip's length, see :data:`HUGE`).

Text forms read: ``SpecAugment(...)``, ``FrequencyMasking(...)``, ``TimeMasking(...)`` (optionally ``T.``,
``transforms.`` or ``torchaudio.transforms.``), or a list / tuple / ``nn.Sequential`` of them, optionally
assigned to a name; arguments are literals only (:func:`ast.literal_eval`), nothing is run.
"""

from __future__ import annotations

import ast
import re

import numpy as np

from ..errors import ParameterError
from ..records import MaskBatch, SpecAugmentConfig
from ._common import Fields, Frontend, check_bool, check_number, check_whole, dotted_name, make_batch

NAME = "torchaudio"
#: (hop ms, mel channels): torchaudio has no features of its own; 10 ms and 80 mels stand for "as the user says".
UNITS = (10.0, 80)
ORDER = ("warp", "time", "freq")
FILLS = ("mean", "absolute")
#: What melwav assumes a torchaudio ``zero_masking=True`` (or a *Masking's mask_value 0.0) is given: the
#: dB of ``MelSpectrogram(sample_rate=16000, n_fft=400, n_mels=80)`` (power, HTK mel, no filter
#: normalisation) through ``AmplitudeToDB(stype="power")``: its 0 is mel power 1 (the same 0 as a natural log
#: of it). torchaudio masks whatever it is given; another front end moves that level.
FRONTEND = Frontend(sr=16000, n_fft=400, n_mels=80, fmin=0.0, fmax=8000.0, htk=True, norm=None)
WARPS: dict = {}
OPERATIONS: dict = {}

_SIGNATURES = {
    "SpecAugment": ("n_time_masks", "time_mask_param", "n_freq_masks", "freq_mask_param", "iid_masks", "p",
                    "zero_masking"),
    "FrequencyMasking": ("freq_mask_param", "iid_masks"),
    "TimeMasking": ("time_mask_param", "iid_masks", "p"),
}
_DEFAULTS = {
    "SpecAugment": {"iid_masks": True, "p": 1.0, "zero_masking": False},
    "FrequencyMasking": {"iid_masks": False},
    "TimeMasking": {"iid_masks": False, "p": 1.0},
}
_PREFIXES = ("", "T.", "transforms.", "torchaudio.transforms.", "AT.", "TA.")
_SEQ_NAMES = ("Sequential", "nn.Sequential", "torch.nn.Sequential")
_CALL_RE = re.compile(r"^\s*(\w+\s*=\s*)?[\[(]?\s*([\w.]+\s*\()")
#: A torchaudio expression is short; longer text is refused before Python's parser sees it.
MAX_TEXT = 20_000
#: Syntax nodes one argument may have (a literal like ``-1.5`` has 2).
MAX_ARG_NODES = 20
#: The bound written for an adaptive width (above any clip's frames), with p = pS.
HUGE = 10000


# ----------------------------------------------------------------------------------------------- draw


def mask_bound(param: int, p: float, axis_len: int) -> int:
    """torchaudio's ``_get_mask_param``: ``param`` if ``p == 1.0`` else ``min(param, int(axis_len * p))``."""
    return int(param) if p == 1.0 else min(int(param), int(axis_len * p))


def _masks(axis_len: int, bound: int, count: int, rng: np.random.Generator, size: int) -> MaskBatch:
    # per mask (torchaudio's mask_along_axis): the unfloored width's uniform, then the start's
    u = rng.random((size, count, 2))
    value = u[..., 0] * bound
    start = (u[..., 1] * (axis_len - value)).astype(np.int64)  # Tensor.long(): truncation toward 0
    return MaskBatch.clipped(start, value.astype(np.int64), axis_len)


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """torchaudio ``SpecAugment`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """torchaudio ``SpecAugment`` for ``size`` utterances of one length (see the module notes)."""
    notes = []
    if config.warp_frames:
        notes.append(f"torchaudio has no time warp: W = {config.warp_frames} ignored")
    if config.masks_per_frame:
        notes.append("torchaudio has no adaptive multiplicity: pM ignored")
    p = config.max_time_ratio
    time = freq = None
    t_bound = mask_bound(config.time_mask_frames, p, n_frames)
    if config.width_ratio > 0:  # TimeMasking(T, p=pS) in a list: its p caps the time masks alone (T = 0: none)
        t_bound = min(t_bound, int(n_frames * config.width_ratio))
    if config.n_time_masks:
        if t_bound < 1:
            notes.append(f"no time masks: the bound min(T, int(p * {n_frames})) = {t_bound} is below 1")
        else:
            time = _masks(n_frames, t_bound, config.n_time_masks, rng, size)
    f_bound = mask_bound(config.freq_mask_bands, p, n_mels)
    if config.n_freq_masks:
        if f_bound < 1:
            notes.append(f"no frequency masks: the bound min(F, int(p * {n_mels})) = {f_bound} is below 1")
        else:
            if f_bound < config.freq_mask_bands:
                notes.append(f"p = {p:g} also caps the frequency masks (SpecAugment): F {config.freq_mask_bands}"
                             f" -> {f_bound}")
            freq = _masks(n_mels, f_bound, config.n_freq_masks, rng, size)
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, None, freq, time, notes)


# ---------------------------------------------------------------------------------------------- parse


def detect(source) -> int:
    """2 for a torchaudio constructor call, else 0."""
    text = source.text[:MAX_TEXT]
    if _CALL_RE.match(text[:500]) or re.search(r"\b(SpecAugment|FrequencyMasking|TimeMasking)\s*\(", text):
        return 2
    return 0


def parse(source):
    """``(params, notes, found units)`` of a torchaudio expression (see the module notes)."""
    text = source.text.strip()
    if len(text) > MAX_TEXT:
        raise ParameterError(f"the torchaudio text has {len(text)} characters; a SpecAugment call or a list of "
                             f"masks needs far fewer (at most {MAX_TEXT})")
    try:
        tree = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ParameterError(f"the torchaudio call is not valid Python at line {exc.lineno}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ParameterError("the torchaudio text is nested too deeply for a SpecAugment call") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], (ast.Expr, ast.Assign)):
        raise ParameterError("give one torchaudio expression: SpecAugment(...), FrequencyMasking(...), "
                             "TimeMasking(...) or a list of them (optionally 'name = ...')")
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assign) and not (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        raise ParameterError(f"line {stmt.lineno}: only 'name = SpecAugment(...)' assignments are accepted")
    node = stmt.value
    if isinstance(node, ast.Call) and dotted_name(node.func) in _SEQ_NAMES:
        if node.keywords:
            raise ParameterError(f"line {node.lineno}: Sequential takes the transforms as positional arguments")
        items = node.args
    elif isinstance(node, (ast.List, ast.Tuple)):
        items = node.elts
    else:
        items = [node]
    transforms = [_call(item, text) for item in items]
    if not transforms:
        raise ParameterError("the torchaudio list is empty")
    if len(transforms) == 1 and transforms[0]["class"] == "SpecAugment":
        params = {"form": "SpecAugment", **{k: v for k, v in transforms[0].items() if k != "class"}}
    else:
        if any(t["class"] == "SpecAugment" for t in transforms):
            raise ParameterError("mix SpecAugment(...) with FrequencyMasking/TimeMasking: give one SpecAugment "
                                 "or a list of FrequencyMasking/TimeMasking")
        params = {"form": "list", "transforms": transforms}
    return normalise(params), [], None


def _snippet(text: str, node) -> str:
    """The source of ``node``, cut to 60 characters (never ``ast.unparse``: it recurses on deep trees)."""
    return repr((ast.get_source_segment(text, node) or "?")[:60])


def _call(node, text: str) -> dict:
    line = getattr(node, "lineno", 1)
    allowed = "SpecAugment(...), FrequencyMasking(...) or TimeMasking(...) with literal arguments"
    if not isinstance(node, ast.Call):
        raise ParameterError(f"line {line}: expected {allowed}, got {_snippet(text, node)}")
    name = dotted_name(node.func)
    cls = None
    for prefix in _PREFIXES:
        if name is not None and name.startswith(prefix) and name[len(prefix):] in _SIGNATURES:
            cls = name[len(prefix):]
            break
    if cls is None:
        raise ParameterError(f"line {line}: only {allowed} are accepted, got a call to "
                             f"{_snippet(text, node.func)}; nothing was run")
    sig = _SIGNATURES[cls]
    if len(node.args) > len(sig):
        raise ParameterError(f"line {line}: {cls} takes at most {len(sig)} positional arguments")
    out = {"class": cls}
    pairs = list(zip(sig, node.args)) + [(kw.arg, kw.value) for kw in node.keywords]
    for key, value in pairs:
        if key is None:
            raise ParameterError(f"line {line}: {cls}(**...) is not accepted; write the arguments out")
        if key not in sig:
            raise ParameterError(f"line {line}: unknown {cls} argument {key!r} (known: {', '.join(sig)})")
        if key in out:
            raise ParameterError(f"line {line}: {cls} argument {key!r} given twice")
        literal = sum(1 for _ in zip(range(MAX_ARG_NODES + 1), ast.walk(value))) <= MAX_ARG_NODES
        try:
            if not literal:
                raise ValueError
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
            raise ParameterError(f"line {line}: {cls} argument {key}= must be a literal (number, True/False), "
                                 f"got {_snippet(text, value)}; nothing was run") from None
    return out


def _check(t: dict, cls: str) -> dict:
    out = {"class": cls} if cls != "SpecAugment" else {}
    p = {**_DEFAULTS[cls], **{k: v for k, v in t.items() if k != "class" and k != "form"}}
    missing = [k for k in _SIGNATURES[cls] if k not in p]
    if missing:
        raise ParameterError(f"{cls} needs {', '.join(missing)}")
    for key in _SIGNATURES[cls]:
        where = f"{cls} {key}"
        if key in ("iid_masks", "zero_masking"):
            out[key] = check_bool(where, p[key])
        elif key == "p":
            out[key] = check_number(where, p[key], low=0.0, high=1.0)
        else:
            out[key] = check_whole(where, p[key], low=0)
    return out


def normalise(params: dict) -> dict:
    """torchaudio parameters with defaults filled in and checked (``form`` SpecAugment or list)."""
    if params.get("form") == "SpecAugment":
        return {"form": "SpecAugment", **_check(params, "SpecAugment")}
    if params.get("form") == "list":
        return {"form": "list", "transforms": [_check(t, t.get("class")) if t.get("class") in _SIGNATURES
                                               else _bad_class(t) for t in params["transforms"]]}
    raise ParameterError(f"torchaudio form must be 'SpecAugment' or 'list', got {params.get('form')!r}")


def _bad_class(t):
    raise ParameterError(f"unknown torchaudio transform {t.get('class')!r}")


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (torchaudio's units) and notes on what they leave out."""
    notes = []
    if p["form"] == "SpecAugment":
        fill = "absolute" if p["zero_masking"] else "mean"
        return Fields(W=0, F=p["freq_mask_param"], mF=p["n_freq_masks"], T=p["time_mask_param"],
                      mT=p["n_time_masks"], p=p["p"], fill=fill), notes
    freqs = [t for t in p["transforms"] if t["class"] == "FrequencyMasking"]
    times = [t for t in p["transforms"] if t["class"] == "TimeMasking"]
    for group, key in ((freqs, "freq_mask_param"), (times, "time_mask_param"), (times, "p")):
        values = sorted({t[key] for t in group})
        if len(values) > 1:
            raise ParameterError(f"the {group[0]['class']} calls differ in {key} ({', '.join(map(str, values))}); "
                                 f"melwav draws them with one value")
    F = freqs[0]["freq_mask_param"] if freqs else 0
    T = times[0]["time_mask_param"] if times else 0
    pp = times[0]["p"] if times else 1.0
    notes.append("FrequencyMasking/TimeMasking fill with mask_value (0.0 by default)")
    # TimeMasking's p caps only the time masks: that is pS here (p would cap the frequency masks too).
    return Fields(W=0, F=F, mF=len(freqs), T=T, mT=len(times), p=1.0, pS=pp if pp < 1.0 else 0.0,
                  fill="absolute"), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive) -> str:
    """A ``torchaudio.transforms.SpecAugment(...)`` call (a list of masks for an adaptive width)."""
    if W:
        notes.append(f"torchaudio has no time warp: W = {c.warp_frames} dropped")
    if c.masks_per_frame:
        notes.append(f"torchaudio has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    zero = c.fill in ("value", "floor", "absolute")
    if c.fill not in FILLS:
        notes.append(f"torchaudio cannot fill with {c.fill!r}: zero_masking={zero}")
    if c.width_ratio > 0:
        # A list of masks, each with its own parameters; for melwav's adaptive width (pS replaces T) the
        # documented workaround: a bound above any clip length, with p = pS, on TimeMasking alone.
        bound = T if (T and not inclusive) else HUGE
        if bound == HUGE:
            notes.append(f"adaptive width pS = {c.width_ratio:g} written as TimeMasking(time_mask_param={HUGE}, "
                         f"p={c.width_ratio:g}): widths 0..int(pS * n) - 1 for clips under {HUGE} frames")
        notes.append("FrequencyMasking/TimeMasking fill with mask_value (0.0 by default)")
        if c.max_time_ratio < 1.0:
            notes.append(f"p = {c.max_time_ratio:g} (SpecAugment's cap on both mask kinds) has no place in a list "
                         f"of masks: dropped")
        items = [f"torchaudio.transforms.FrequencyMasking(freq_mask_param={F})"] * (mF if F else 0)
        items += [f"torchaudio.transforms.TimeMasking(time_mask_param={bound}, p={float(c.width_ratio)!r})"] * mT
        return "[" + ", ".join(items) + "]"
    p = float(c.max_time_ratio)
    if p < 1.0 and F:
        notes.append(f"torchaudio's SpecAugment applies p = {p:g} to the frequency masks too")
    if inclusive and p < 1.0:
        notes.append("torchaudio's p bound is exclusive: widths up to int(p * n) - 1")
    return (f"torchaudio.transforms.SpecAugment(n_time_masks={mT}, time_mask_param={T}, n_freq_masks={mF}, "
            f"freq_mask_param={F}, iid_masks=True, p={p!r}, zero_masking={zero})")


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what torchaudio writes into a mask and how melwav plays it."""
    if fill == "absolute":
        shift = f" ({fill_db:+g} dB from it)" if fill_db else ""
        return ("torchaudio (zero_masking=True, or FrequencyMasking/TimeMasking) writes 0 into whatever "
                "features it is given; melwav assumes the dB of a 16 kHz MelSpectrogram (n_fft 400, 80 bands), "
                f"whose 0 is mel power 1, and places that level{shift} on this clip through the clip's own "
                "absolute power: a loud steady fill, not silence.")
    if fill not in (None, "mean"):
        return f"torchaudio cannot fill with {fill!r}; melwav shows its own {fill!r} fill."
    return ("torchaudio's SpecAugment (zero_masking=False) fills masks with the mean of the whole input, "
            "computed once: you hear the clip's average level as a steady hum.")
