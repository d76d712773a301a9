"""fairseq speech_to_text: ``SpecAugmentTransform`` (``fairseq/data/audio/feature_transforms/specaugment.py``).

Draw rules, for ONE utterance of n frames and nu channels (unpadded, numpy's ``randint`` excludes the top):
nothing at all when ``nu < freq_mask_F``. Warp, only if ``2W < n``: anchor ``w0 = randint(W, n - W)``, shift
``w = randint(-W + 1, W)``; ``[0, w0)`` is resized to ``w0 + w`` frames and ``[w0, n)`` to the rest with
``cv2.resize(INTER_LINEAR)`` (recorded as ``WarpDraw(w0, w, "fairseq-linear")``). Then ``freq_mask_N``
frequency masks: ``f = randint(0, F)``, ``f0 = randint(0, nu - f)``. Then, with
``Tmax = min(time_mask_T, floor(n * time_mask_p))`` and only if ``Tmax >= 1``, ``time_mask_N`` time masks:
``t = randint(0, Tmax)``, ``t0 = randint(0, n - t)``. ``time_mask_p`` defaults to 0.0: no time masks.

melwav's numbers: W = ``time_warp_W``, F = ``freq_mask_F``, mF = ``freq_mask_N``, T = ``time_mask_T``,
mT = ``time_mask_N``, p = ``time_mask_p``. Fill: ``mask_value``, and when the YAML has none, the mean of the
input (``spectrogram.mean()``, before the warp). The config writer puts CMVN first
(``_train: [utterance_cmvn, specaugment]``), so 0 is the normalised mean either way. Options ``mask_value``
and ``cmvn`` (the CMVN transform before specaugment, if any) keep both for the export.

The trap: fairseq's own config writer (``S2TDataConfigWriter.set_specaugment``) writes ``time_wrap_W``, which
the transform never reads (it reads ``time_warp_W``): such configs do not warp. Read, flagged, ignored.

Text read: a data ``config.yaml`` (``specaugment:`` plus ``transforms:`` and/or ``feature_transforms:``, each
looked up as the split's name, then ``_train``, then ``'*'``; ``S2TDataConfig.get_feature_transforms``
concatenates the two lists, ``transforms`` first), or a bare ``specaugment`` mapping. Units: 10 ms Kaldi fbank,
``input_feat_per_channel`` channels (80).
"""

from __future__ import annotations

import math

import numpy as np
import yaml

from ..errors import ParameterError
from ..records import MAX_MASKS, MaskBatch, SpecAugmentConfig, WarpBatch, WarpDraw
from ._common import Fields, check_known, check_number, check_whole, kaldi_frontend, make_batch, short

NAME = "fairseq"
#: extract_fbank_features: 25 ms / 10 ms Kaldi fbank, 80 channels (input_feat_per_channel).
UNITS = (10.0, 80)
ORDER = ("warp", "freq", "time")
FILLS = ("mean", "band_mean", "absolute")
#: extract_fbank_features: Kaldi fbank of the waveform x 2^15, natural log, 80 channels.
FRONTEND = kaldi_frontend(80)
OPERATIONS: dict = {}

DEFAULTS = {"time_warp_W": 0, "freq_mask_N": 0, "freq_mask_F": 0, "time_mask_N": 0, "time_mask_T": 0,
            "time_mask_p": 0.0, "mask_value": None}
#: The key fairseq's config writer emits and its transform ignores.
TYPO = "time_wrap_W"
KEYS = set(DEFAULTS) | {TYPO}
CMVNS = ("utterance_cmvn", "global_cmvn")


# ----------------------------------------------------------------------------------------------- draw


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """fairseq ``SpecAugmentTransform.__call__`` for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def _masks(axis_len: int, bound: int, count: int, rng: np.random.Generator, size: int) -> MaskBatch:
    width = rng.integers(0, bound, size=(size, count))  # np.random.randint(0, F)
    return MaskBatch.clipped(rng.integers(0, axis_len - width), width, axis_len)  # randint(0, n - f)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """fairseq ``SpecAugmentTransform.__call__`` for ``size`` utterances of one length (see the module notes)."""
    notes = []
    if config.width_ratio or config.masks_per_frame:
        notes.append("fairseq has no adaptive width or count: pS and pM ignored")
    W, F, T, n = config.warp_frames, config.freq_mask_bands, config.time_mask_frames, n_frames
    if n_mels < F:
        notes.append(f"fairseq returns the input unchanged when its channels ({n_mels} here) are fewer than "
                     f"freq_mask_F ({F})")
        return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, notes=notes)
    warp = None
    if W > 0:
        if 2 * W < n:
            w0 = rng.integers(W, n - W, size=size)
            w = rng.integers(-W + 1, W, size=size)
            warp = WarpBatch(w0, w, np.ones(size, dtype=bool), "fairseq-linear")
        else:
            notes.append(f"no time warp: fairseq warps only when 2W = {2 * W} < the clip's {n} frames")
    freq = time = None
    if config.n_freq_masks:
        if F < 1:
            notes.append("no frequency masks: freq_mask_F is 0 (fairseq asserts it is > 0)")
        else:
            freq = _masks(n_mels, F, config.n_freq_masks, rng, size)
    if config.n_time_masks:
        t_max = min(T, math.floor(n * config.max_time_ratio))
        if t_max < 1:
            notes.append(f"no time masks: min(time_mask_T, floor(n * time_mask_p)) = {t_max} is below 1"
                         + (" (time_mask_p is 0, fairseq's default)" if config.max_time_ratio == 0 else ""))
        else:
            time = _masks(n, t_max, config.n_time_masks, rng, size)
    return make_batch(NAME, ORDER, FILLS, config, n_mels, n_frames, size, warp, freq, time, notes)


def resize_linear(x: np.ndarray, size: int) -> np.ndarray:
    """Resize the last axis of ``x`` to ``size`` like ``cv2.resize(..., interpolation=INTER_LINEAR)``.

    Source position ``(i + 0.5) * in / out - 0.5``; below 0 it reads cell 0, at or past ``in - 1`` the last
    cell (no weight on a neighbour). Computed in float64, returned in ``x``'s dtype.
    """
    x = np.asarray(x)
    n_in = x.shape[-1]
    if size == n_in:
        return x.copy()
    real = (np.arange(size, dtype=np.float64) + 0.5) * (n_in / size) - 0.5
    i0 = np.floor(real).astype(np.intp)
    frac = real - i0
    low = i0 < 0
    high = i0 >= n_in - 1
    frac[low | high] = 0.0
    i0 = np.clip(i0, 0, n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    out = x[..., i0].astype(np.float64) * (1 - frac) + x[..., i1].astype(np.float64) * frac
    return out.astype(x.dtype, copy=False)


def apply_warp(L: np.ndarray, warp: WarpDraw) -> np.ndarray:
    """fairseq's warp: ``[0, w0)`` resized to ``w0 + w`` frames and ``[w0, n)`` to ``n - w0 - w`` (linear)."""
    L = np.asarray(L)
    n = L.shape[-1]
    c, new = warp.center, warp.destination
    return np.concatenate([resize_linear(L[..., :c], new), resize_linear(L[..., c:], n - new)], axis=-1)


WARPS = {"fairseq-linear": apply_warp}


# ---------------------------------------------------------------------------------------------- parse


def _parts(data):
    """(the specaugment mapping, the transforms mapping or None, whole config?) or (None, None, False)."""
    if not isinstance(data, dict):
        return None, None, False
    spec = data.get("specaugment")
    lists = {key: data[key] for key in _TRANSFORM_KEYS if data.get(key) is not None}
    if isinstance(spec, dict) or any(isinstance(t, dict) and any(
            isinstance(v, list) and "specaugment" in v for v in t.values()) for t in lists.values()):
        return spec if isinstance(spec, dict) else {}, lists or None, True
    if data and set(data) <= KEYS and set(data) & (KEYS - {"mask_value"}):
        return data, None, False
    return None, None, False


def detect(source) -> int:
    """3 for a fairseq data config (``specaugment:`` / a transforms list with it), 2 for a bare block, else 0."""
    spec, _, whole = _parts(source.yaml_or_none())
    if spec is None:
        return 0
    return 3 if whole else 2


#: The two keys fairseq reads feature transforms from (``transforms`` is the deprecated one).
_TRANSFORM_KEYS = ("transforms", "feature_transforms")


def _split_list(name: str, transforms) -> tuple[list | None, str]:
    """``S2TDataConfig.get_transforms``: the split's own list, then ``_train``, then ``'*'`` (None: no list)."""
    if not isinstance(transforms, dict):
        raise ParameterError(f"{name} must map split names to lists, got {short(transforms)}")
    splits = [k for k in transforms if isinstance(k, str) and "train" in k and k not in ("_train", "_eval")]
    for key in (*splits[:1], "_train", "*"):
        if key in transforms:
            items = transforms[key]
            if not isinstance(items, list) or not all(isinstance(t, str) for t in items) or len(items) > 50:
                raise ParameterError(f"{name}[{key!r}] must be a list of transform names")
            return items, f"{name}[{key!r}]"
    return None, ""


def _train_list(lists) -> tuple[list | None, str]:
    """The training split's transforms: ``get_feature_transforms`` extends the ``transforms`` list with the
    ``feature_transforms`` one (``cur.extend(ft_transforms)``); either alone when the other has none."""
    if not lists:
        return None, ""
    found = [_split_list(key, lists[key]) for key in _TRANSFORM_KEYS if key in lists]
    items = [t for part, _ in found if part is not None for t in part]
    where = " + ".join(w for part, w in found if part is not None)
    return (items, where) if where else ([], "")


def parse(source):
    """``(params, notes, found units)`` of a fairseq data config or a bare ``specaugment`` mapping."""
    data = source.yaml
    spec, transforms, whole = _parts(data)
    if spec is None:
        raise ParameterError("fairseq settings must be a YAML mapping: a data config with specaugment: (and "
                             "transforms:), or the specaugment block itself")
    check_known("specaugment", spec, KEYS)
    notes = []
    p = {}
    for key in ("time_warp_W", "freq_mask_N", "freq_mask_F", "time_mask_N", "time_mask_T"):
        high = MAX_MASKS if key.endswith("_N") else 100_000
        p[key] = check_whole(f"specaugment.{key}", spec.get(key, DEFAULTS[key]), low=0, high=high)
    p["time_mask_p"] = check_number("specaugment.time_mask_p", spec.get("time_mask_p", 0.0), low=0.0, high=1.0)
    mv = spec.get("mask_value")
    p["mask_value"] = None if mv is None else check_number("specaugment.mask_value", mv, low=-1e6, high=1e6)
    if p["freq_mask_N"] and not p["freq_mask_F"]:
        raise ParameterError("specaugment.freq_mask_F must be > 0 when freq_mask_N > 0 (fairseq asserts it)")
    if p["time_mask_N"] and not p["time_mask_T"]:
        raise ParameterError("specaugment.time_mask_T must be > 0 when time_mask_N > 0 (fairseq asserts it)")
    if TYPO in spec:
        w = check_whole(f"specaugment.{TYPO}", spec[TYPO], low=0, high=100_000)
        notes.append(f"{TYPO}: {w} is ignored by fairseq's transform (it reads time_warp_W; the key is a typo of "
                     f"fairseq's own config writer): " + ("no warp" if not p["time_warp_W"] else
                                                          f"the warp uses time_warp_W = {p['time_warp_W']}"))
    items, split = _train_list(transforms)
    p["applied"] = True
    p["cmvn"] = None
    if items is None:
        if whole or not spec:
            notes.append("no transforms list: assumed specaugment runs on the training set")
    else:
        if "specaugment" not in items:
            p["applied"] = False
            notes.append("specaugment is not in the training transforms (" + (split or "no _train or '*' list")
                         + "): fairseq applies no SpecAugment")
        else:
            if items.count("specaugment") > 1:
                notes.append(f"specaugment appears {items.count('specaugment')} times in the training transforms "
                             f"({split}): fairseq applies it each time; melwav draws it once")
            before = items[:items.index("specaugment")]
            cmvn = [t for t in before if t in CMVNS]
            p["cmvn"] = cmvn[-1] if cmvn else None
            if not cmvn:
                notes.append("no CMVN before specaugment: the masks land on un-normalised log fbank")
    found = None
    if isinstance(data, dict) and data.get("input_feat_per_channel") is not None:
        found = (None, check_whole("input_feat_per_channel", data["input_feat_per_channel"], low=1, high=4096))
    return p, notes, found


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's eight numbers (fairseq's units) and notes on what they leave out."""
    notes = []
    extra = (("cmvn", p["cmvn"], ""), ("mask_value", p["mask_value"], ""))
    mv, cmvn = p["mask_value"], p["cmvn"]
    if not p["applied"]:
        return Fields(fill="band_mean" if cmvn else "mean", extra=extra), notes
    fill_db = 0.0
    if mv is None:
        fill = "band_mean" if cmvn else "mean"
        notes.append("no mask_value: fairseq fills with the mean of the input" +
                     (f" (after {cmvn}: about 0, each channel's own mean), played as each band's mean" if cmvn
                      else ", played as the clip's mean"))
    elif cmvn:
        fill = "band_mean"
        notes.append(f"mask_value {mv:g} after {cmvn} is {'the mean' if mv == 0 else f'{mv:g} standard deviations from the mean'}"
                     " of each channel; played as each band's mean")
    else:
        fill, fill_db = "absolute", 10.0 * math.log10(math.e) * mv
        notes.append(f"mask_value {mv:g} in un-normalised natural-log fbank ({fill_db:+.1f} dB re. its 0, mel power 1 "
                     f"in 16-bit units): a fixed absolute level, placed on this clip through its absolute power")
    if p["time_mask_N"] and p["time_mask_p"] == 0:
        notes.append("time_mask_p is 0 (fairseq's default): no time masks")
    if p["time_warp_W"]:
        notes.append("fairseq's warp: anchor W..n-W-1, shift -W+1..W-1, linear resize of both halves (cv2)")
    return Fields(W=p["time_warp_W"], F=p["freq_mask_F"], mF=p["freq_mask_N"], T=p["time_mask_T"],
                  mT=p["time_mask_N"], p=p["time_mask_p"], fill=fill, extra=extra,
                  fill_db=fill_db), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """A data ``config.yaml`` fragment: ``specaugment:`` and ``transforms:`` (CMVN first, as fairseq writes)."""
    x = extra or {}  # its own settings (SpecAugmentConfig.extra), sizes in its units
    own = c.convention == NAME
    if W and c.convention != NAME:
        notes.append("fairseq's warp differs: anchor W..n-W-1, shift -W+1..W-1, linear resize; none unless 2W < n")
    if W:
        notes.append("the warp key is time_warp_W (fairseq's own config writer writes time_wrap_W, which is ignored)")
    if c.width_ratio:
        notes.append(f"fairseq has no adaptive width: pS = {c.width_ratio:g} dropped")
    if c.masks_per_frame:
        notes.append(f"fairseq has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    if inclusive and T and c.max_time_ratio < 1.0:
        notes.append("fairseq's p bound is exclusive: widths up to floor(p * n) - 1")
    p = float(c.max_time_ratio)
    if mT and T and p == 0:
        notes.append("time_mask_p 0 means no time masks in fairseq")
    spec = {"time_warp_W": W, "freq_mask_N": mF if F else 0, "freq_mask_F": F, "time_mask_N": mT if T else 0,
            "time_mask_T": T, "time_mask_p": p}
    cmvn = x.get("cmvn") if own else "utterance_cmvn"
    mv = x.get("mask_value") if own else None
    if not own:
        if c.fill in ("value", "absolute"):
            notes.append("after utterance_cmvn fairseq cannot place an absolute level: no mask_value (the mean, "
                         "about 0 after CMVN)")
        elif c.fill in ("floor", "stage_mean"):
            notes.append(f"fairseq cannot fill with {c.fill!r}: no mask_value (the input's mean)")
    if mv is not None:
        spec["mask_value"] = mv
    train = [cmvn, "specaugment"] if cmvn else ["specaugment"]
    # _train and _eval, not '*': a reader sees CMVN once per split (fairseq falls back to '*' only without _train)
    conf = {"specaugment": spec, "transforms": {"_train": train, "_eval": [cmvn] if cmvn else []}}
    return yaml.safe_dump(conf, sort_keys=False, default_flow_style=False)


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what fairseq writes into a mask and how melwav plays it."""
    if fill == "absolute":
        return ("fairseq writes mask_value into its un-normalised natural-log Kaldi fbank (no CMVN before "
                f"specaugment; the waveform x 2^15): {fill_db:+.1f} dB re. mel power 1 in 16-bit units, placed on "
                "this clip through the clip's own absolute power.")
    if fill in (None, "band_mean"):
        return ("fairseq fills after CMVN with mask_value (0 is each channel's mean) or, without mask_value, the "
                "normalised input's mean (about 0): each band's own mean, a steady hum shaped like the clip.")
    if fill == "mean":
        return "fairseq without CMVN or mask_value fills with the input's mean: the clip's average level, a steady hum."
    return f"fairseq cannot fill with {fill!r}; melwav shows its own {fill!r} fill."
