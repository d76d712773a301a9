"""WeNet: ``spec_aug``, ``spec_sub`` and ``spec_trim`` (``wenet/dataset/processor.py``, wired in ``dataset.py``).

Draw rules, for ONE utterance of n frames and nu channels (unpadded), with Python's ``randint`` (both ends
included): time masks first, each ``start = randint(0, n - 1)``, ``length = randint(1, max_t)``, cells
``[start, min(n, start + length))`` set to 0; then frequency masks the same with nu and ``max_f``. Widths are
never 0 and masks near the end are cut. ``spec_aug`` absent means ON (``conf.get('spec_aug', True)``);
``max_w`` is accepted and ignored (no warp since 2022).

``spec_sub`` (U2++; off unless set): ``num_t_sub`` times, start and length as a time mask, then
``pos = randint(0, start)`` and frames ``[start, end)`` are overwritten by ``[start - pos, end - pos)`` of the
input to spec_sub (an earlier chunk; ``pos = 0`` changes nothing). ``spec_trim`` (TrimTail; off unless set):
``length = randint(1, max_t)``; if ``length < n / 2`` the last ``length`` frames are dropped. melwav keeps the
clip's length and plays dropped frames as silence (the clip's floor).

melwav's numbers in this convention: T = ``max_t`` and F = ``max_f`` (the largest width, INCLUDED), mT =
``num_t_mask``, mF = ``num_f_mask``; extra ``spec_sub``, ``sub_count``, ``sub_max_frames``, ``spec_trim``,
``trim_max_frames`` (frame counts converted like T). Recorded operations: ``"sub"`` (``[[start, width, pos],
...]``) and ``"trim"`` (frames dropped), after the masks.

Fill: 0 of un-normalised Kaldi fbank (natural log of mel energy of the waveform x 2^15; global CMVN runs
later, inside the encoder), an absolute level. Units: ``fbank_conf`` frame_shift (10 ms), num_mel_bins (80 in
recipes; 23 when ``fbank_conf`` is absent).

Text read: a whole training YAML (``dataset_conf:``), its ``dataset_conf`` mapping, or a bare
``spec_aug_conf`` mapping.
"""

from __future__ import annotations

import numpy as np
import yaml

from ..errors import ParameterError, RecordError
from ..records import MAX_MASKS, MaskBatch, SpecAugmentConfig, per_draw_notes
from ._common import (
    Fields,
    check_bool,
    check_known,
    check_number,
    check_whole,
    kaldi_frontend,
    make_batch,
    short,
)

NAME = "wenet"
#: compute_fbank: frame_shift 10 ms; recipes set num_mel_bins 80.
UNITS = (10.0, 80)
ORDER = ("warp", "time", "freq", "sub", "trim")
FILLS = ("absolute",)
#: compute_fbank: Kaldi fbank of the waveform x 2^15, natural log, 80 bins (its 0 is power 1 in 16-bit units).
FRONTEND = kaldi_frontend(80)
WARPS: dict = {}

AUG_DEFAULTS = {"num_t_mask": 2, "num_f_mask": 2, "max_t": 50, "max_f": 10, "max_w": 80}
SUB_DEFAULTS = {"max_t": 20, "num_t_sub": 3}
TRIM_DEFAULTS = {"max_t": 20}
SECTION_KEYS = {"spec_aug", "spec_aug_conf", "spec_sub", "spec_sub_conf", "spec_trim", "spec_trim_conf"}
_NOTE_PREFIX = "melwav draws widths 0..F and 0..T inclusive"


# ----------------------------------------------------------------------------------------------- draw


def _masks(axis_len: int, max_w: int, count: int, rng: np.random.Generator, size: int) -> MaskBatch:
    u = rng.random((size, count, 2))  # per mask: the start's draw, then the length's
    start = (u[..., 0] * axis_len).astype(np.int64)  # randint(0, axis - 1)
    length = 1 + (u[..., 1] * max_w).astype(np.int64)  # randint(1, max_w)
    return MaskBatch.clipped(start, length, axis_len)


def draw(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator):
    """WeNet ``spec_aug`` (+ ``spec_sub``, ``spec_trim``) for one utterance: :func:`draw_many`'s batch of one."""
    return draw_many(config, n_mels=n_mels, n_frames=n_frames, rng=rng, size=1).record(0)


def draw_many(config: SpecAugmentConfig, *, n_mels: int, n_frames: int, rng: np.random.Generator, size: int):
    """WeNet ``spec_aug`` (+ ``spec_sub``, ``spec_trim`` when its extra settings say so) for ``size`` utterances
    of one length; ``spec_sub`` and ``spec_trim`` (a few draws each, noted per utterance) one at a time."""
    notes = []
    if config.warp_frames:
        notes.append(f"WeNet has no time warp (max_w is ignored): W = {config.warp_frames} ignored")
    if config.max_time_ratio < 1.0 or config.width_ratio or config.masks_per_frame:
        notes.append("WeNet has no p, pS or pM: ignored")
    time = freq = None
    if config.n_time_masks:
        if config.time_mask_frames < 1:
            notes.append("no time masks: max_t is 0 frames here (WeNet's randint(1, 0) fails)")
        else:
            time = _masks(n_frames, config.time_mask_frames, config.n_time_masks, rng, size)
    if config.n_freq_masks:
        if config.freq_mask_bands < 1:
            notes.append("no frequency masks: max_f is 0 bands here (WeNet's randint(1, 0) fails)")
        else:
            freq = _masks(n_mels, config.freq_mask_bands, config.n_freq_masks, rng, size)
    extra = {}
    each = [[] for _ in range(size)]
    if config.option("spec_sub", False):
        max_t = int(config.option("sub_max_frames", SUB_DEFAULTS["max_t"]))
        if max_t < 1:
            notes.append("no spec_sub: its max_t is 0 frames here")
        extra["sub"] = [_sub(config, max_t, n_frames, rng, each[i]) for i in range(size)]
    if config.option("spec_trim", False):
        max_t = int(config.option("trim_max_frames", TRIM_DEFAULTS["max_t"]))
        if max_t < 1:
            notes.append("no spec_trim: its max_t is 0 frames here")
        extra["trim"] = [_trim(max_t, n_frames, rng, each[i]) for i in range(size)]
    order = ("warp", "time", "freq", *extra)
    return make_batch(NAME, order, FILLS, config, n_mels, n_frames, size, None, freq, time, notes,
                      per_draw_notes(each), **extra)


def _sub(config: SpecAugmentConfig, max_t: int, n_frames: int, rng: np.random.Generator, notes: list) -> list:
    """``spec_sub`` for one utterance: ``[start, frames, pos]`` per chunk (and its note)."""
    subs = []
    if max_t >= 1:
        for _ in range(int(config.option("sub_count", SUB_DEFAULTS["num_t_sub"]))):
            start = int(rng.integers(0, n_frames))
            length = int(rng.integers(1, max_t + 1))
            end = min(n_frames, start + length)
            pos = int(rng.integers(0, start + 1))  # randint(0, start)
            subs.append([start, end - start, pos])
    moved = [s for s in subs if s[2]]
    notes.append("spec_sub: " + ("; ".join(f"frames {s}-{s + w} replaced by {s - p}-{s - p + w}"
                                           for s, w, p in moved) or "every chunk drawn with pos 0 (no change)"))
    return subs


def _trim(max_t: int, n_frames: int, rng: np.random.Generator, notes: list) -> int:
    """``spec_trim`` for one utterance: how many frames it drops (and its note)."""
    if max_t < 1:
        return 0
    length = int(rng.integers(1, max_t + 1))
    trim = length if length < n_frames / 2 else 0
    notes.append(f"spec_trim: the last {trim} frames dropped (played as silence)" if trim else
                 f"spec_trim: drew {length} frames, not under half the clip, so nothing dropped")
    return trim


def apply_sub(L: np.ndarray, drawn, *, value: float) -> np.ndarray:
    """spec_sub: each ``[start, width, pos]`` copies input frames ``[start - pos, start - pos + width)`` over
    ``[start, start + width)`` (all chunks read the input, as WeNet's ``x`` vs ``y``)."""
    x = np.asarray(L)
    n = x.shape[-1]
    y = x.copy()
    if not isinstance(drawn, (list, tuple)) or len(drawn) > MAX_MASKS:
        raise RecordError(f"record sub must be a list of at most {MAX_MASKS} [start, width, pos] triples")
    for item in drawn:
        if (not isinstance(item, (list, tuple)) or len(item) != 3
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in item)):
            raise RecordError("record sub entries must be [start, width, pos] whole numbers")
        start, width, pos = item
        if not (0 <= start < n and 0 <= width <= n - start and 0 <= pos <= start):
            raise RecordError(f"record sub entry {short(list(item))} does not fit {n} frames")
        y[..., start:start + width] = x[..., start - pos:start - pos + width]
    return y


def apply_trim(L: np.ndarray, drawn, *, value: float) -> np.ndarray:
    """spec_trim: the last ``drawn`` frames dropped; melwav keeps the length and plays them at the clip's floor."""
    x = np.asarray(L)
    n = x.shape[-1]
    if isinstance(drawn, bool) or not isinstance(drawn, int) or not 0 <= drawn < max(n / 2, 1):
        raise RecordError(f"record trim must be a whole number of frames under half of {n}")
    y = x.copy()
    if drawn:
        y[..., n - drawn:] = np.min(x)
    return y


OPERATIONS = {"sub": apply_sub, "trim": apply_trim}


# ---------------------------------------------------------------------------------------------- parse


def _section(data):
    """(the dataset_conf-like mapping, whether the text was a whole dataset_conf) or (None, False)."""
    if not isinstance(data, dict):
        return None, False
    if isinstance(data.get("dataset_conf"), dict):
        return data["dataset_conf"], True
    if SECTION_KEYS & set(data):
        return data, True
    if data and set(data) <= set(AUG_DEFAULTS):
        return {"spec_aug_conf": data}, False
    return None, False


def detect(source) -> int:
    """3 for a WeNet dataset_conf (or its spec_* keys), 2 for a bare spec_aug_conf mapping, else 0."""
    conf, whole = _section(source.yaml_or_none())
    if conf is None:
        return 0
    return 3 if whole else 2


def _conf(section: dict, key: str, defaults: dict) -> dict:
    conf = section.get(key) or {}
    if not isinstance(conf, dict):
        raise ParameterError(f"{key} must be a mapping, got {short(conf)}")
    check_known(key, conf, defaults)
    return {**defaults, **conf}


def parse(source):
    """``(params, notes, found units)`` of a WeNet training YAML, dataset_conf or spec_aug_conf."""
    section, whole = _section(source.yaml)
    if section is None:
        raise ParameterError("WeNet settings must be a YAML mapping: a training config with dataset_conf, its "
                             "dataset_conf, or a spec_aug_conf mapping")
    notes = []
    p = {}
    for key, default in (("spec_aug", True), ("spec_sub", False), ("spec_trim", False)):
        p[key] = check_bool(f"dataset_conf.{key}", section.get(key, default))
    aug = _conf(section, "spec_aug_conf", AUG_DEFAULTS)
    sub = _conf(section, "spec_sub_conf", SUB_DEFAULTS)
    trim = _conf(section, "spec_trim_conf", TRIM_DEFAULTS)
    for key in ("num_t_mask", "num_f_mask"):
        p[key] = check_whole(f"spec_aug_conf.{key}", aug[key], low=0, high=MAX_MASKS)
    for key in ("max_t", "max_f", "max_w"):
        p[key] = check_whole(f"spec_aug_conf.{key}", aug[key], low=0, high=100_000)
    p["sub_num_t_sub"] = check_whole("spec_sub_conf.num_t_sub", sub["num_t_sub"], low=0, high=MAX_MASKS)
    p["sub_max_t"] = check_whole("spec_sub_conf.max_t", sub["max_t"], low=0, high=100_000)
    p["trim_max_t"] = check_whole("spec_trim_conf.max_t", trim["max_t"], low=0, high=100_000)
    for on, count, width, where in ((p["spec_aug"], p["num_t_mask"], p["max_t"], "spec_aug_conf.max_t"),
                                    (p["spec_aug"], p["num_f_mask"], p["max_f"], "spec_aug_conf.max_f"),
                                    (p["spec_sub"], p["sub_num_t_sub"], p["sub_max_t"], "spec_sub_conf.max_t"),
                                    (p["spec_trim"], 1, p["trim_max_t"], "spec_trim_conf.max_t")):
        if on and count and width < 1:
            raise ParameterError(f"{where} must be >= 1 (WeNet's randint(1, {width}) fails)")
    if "max_w" in (section.get("spec_aug_conf") or {}) and p["spec_aug"]:
        notes.append(f"max_w = {p['max_w']} is accepted and ignored by WeNet's spec_aug: no time warp")
    if "spec_aug" not in section and whole:
        notes.append("spec_aug is not set: WeNet's default is on (conf.get('spec_aug', True))")
    if section.get("feats_type") == "log_mel_spectrogram":
        notes.append("feats_type log_mel_spectrogram: WeNet's 0 then means Whisper's log-mel 0 (log10 power "
                     "clamped at max - 8, (x + 4) / 4), not a Kaldi fbank level; melwav still places the Kaldi "
                     "fbank's 0 (about 70 dB lower): raise the fill level to hear Whisper's")
    found = _units(section, full=set(data_keys(source.yaml)) - {"dataset_conf"} != set()) if whole else None
    if found and found[1] == 23:
        notes.append("no fbank_conf: WeNet's compute_fbank uses 23 mel bins by default")
    return p, notes, found


def data_keys(data) -> list:
    return list(data) if isinstance(data, dict) and isinstance(data.get("dataset_conf"), dict) else []


def _units(section: dict, *, full: bool):
    """``(hop_ms, n_mels)`` from the feature settings; 23 bins without ``fbank_conf`` only in a whole training
    config (a pasted ``dataset_conf`` fragment keeps the recipes' 80)."""
    feats = section.get("feats_type", "fbank")
    if feats == "log_mel_spectrogram":
        conf = section.get("log_mel_spectrogram_conf") or {}
        hop = conf.get("hop_length", 160) if isinstance(conf, dict) else 160
        mels = conf.get("num_mel_bins", 80) if isinstance(conf, dict) else 80
        rate = section.get("resample_conf", {}).get("resample_rate", 16000) if isinstance(
            section.get("resample_conf"), dict) else 16000
        return (1000.0 * check_whole("log_mel_spectrogram_conf.hop_length", hop, low=1) /
                check_number("resample_conf.resample_rate", rate, low=1000),
                check_whole("log_mel_spectrogram_conf.num_mel_bins", mels, low=1, high=4096))
    conf = section.get("fbank_conf")
    if conf is None:
        return (10.0, 23) if feats == "fbank" and full else None
    if not isinstance(conf, dict):
        raise ParameterError(f"fbank_conf must be a mapping, got {short(conf)}")
    shift = conf.get("frame_shift", 10)
    mels = conf.get("num_mel_bins", 23)
    return (check_number("fbank_conf.frame_shift", shift, low=0.1, high=1000),
            check_whole("fbank_conf.num_mel_bins", mels, low=1, high=4096))


def fields(p: dict) -> tuple[Fields, list[str]]:
    """The parameters as melwav's numbers (WeNet's units) and notes on what they leave out."""
    notes = ["WeNet's widths are 1..max_t and 1..max_f (both included, never 0) and masks near the end are cut"]
    extra = (("spec_sub", p["spec_sub"], ""), ("spec_trim", p["spec_trim"], ""), ("sub_count", p["sub_num_t_sub"], ""),
             ("sub_max_frames", p["sub_max_t"], "frames"), ("trim_max_frames", p["trim_max_t"], "frames"))
    if p["spec_sub"]:
        notes.append(f"spec_sub: {p['sub_num_t_sub']} chunk(s) of 1..{p['sub_max_t']} frames, each overwritten by an "
                     f"earlier chunk")
    if p["spec_trim"]:
        notes.append(f"spec_trim: 1..{p['trim_max_t']} frames dropped from the end when under half the utterance "
                     f"(played here as silence)")
    if not p["spec_aug"]:
        notes.append("spec_aug is false: no masks")
        return Fields(fill="absolute", extra=extra), notes
    return Fields(W=0, F=p["max_f"], mF=p["num_f_mask"], T=p["max_t"], mT=p["num_t_mask"], fill="absolute",
                  extra=extra), notes


# --------------------------------------------------------------------------------------------- export


def export(c: SpecAugmentConfig, *, W, F, mF, T, mT, notes, inclusive, extra=None) -> str:
    """A ``dataset_conf:`` YAML fragment with spec_aug (and spec_sub / spec_trim) and their confs."""
    notes[:] = [n for n in notes if not n.startswith(_NOTE_PREFIX)]
    if inclusive:  # melwav's 0..T: WeNet's max_t = T (the exclusive top T + 1 was passed)
        T, F = max(T - 1, 0), max(F - 1, 0)
        if T or F:
            notes.append("WeNet draws widths 1..max (never 0, the top included) and cuts masks at the end")
    if W:
        notes.append(f"WeNet has no time warp (max_w is ignored): W = {c.warp_frames} dropped")
    if c.max_time_ratio < 1.0 and not c.width_ratio:
        notes.append(f"WeNet has no p: p = {c.max_time_ratio:g} dropped")
    if c.width_ratio:
        notes.append(f"WeNet has no adaptive width: pS = {c.width_ratio:g} dropped")
    if c.masks_per_frame:
        notes.append(f"WeNet has no adaptive multiplicity: pM = {c.masks_per_frame:g} dropped")
    if c.fill != "absolute":
        notes.append(f"WeNet fills 0 in its un-normalised log fbank, not {c.fill!r}")
    elif c.fill_db:
        notes.append(f"WeNet fills its own 0; the shift of {c.fill_db:+g} dB is not written")
    if mT and not T:
        notes.append("time masks of width 0 cannot be written (WeNet's widths start at 1): num_t_mask 0")
        mT = 0
    if mF and not F:
        notes.append("frequency masks of width 0 cannot be written: num_f_mask 0")
        mF = 0
    aug = {"num_t_mask": mT, "num_f_mask": mF, "max_t": T or AUG_DEFAULTS["max_t"],
           "max_f": F or AUG_DEFAULTS["max_f"]}
    conf = {"spec_aug": bool(mT or mF), "spec_aug_conf": aug}
    x = extra or {}  # its own settings (SpecAugmentConfig.extra), sizes in its units
    own = c.convention == NAME  # spec_sub and spec_trim are WeNet's own: written only from its own convention
    conf["spec_sub"] = bool(own and x.get("spec_sub", False))
    conf["spec_sub_conf"] = {"num_t_sub": int(x.get("sub_count", SUB_DEFAULTS["num_t_sub"]) if own else
                                              SUB_DEFAULTS["num_t_sub"]),
                             "max_t": int(x.get("sub_max_frames", SUB_DEFAULTS["max_t"]) if own else
                                          SUB_DEFAULTS["max_t"])}
    conf["spec_trim"] = bool(own and x.get("spec_trim", False))
    conf["spec_trim_conf"] = {"max_t": int(x.get("trim_max_frames", TRIM_DEFAULTS["max_t"]) if own else
                                           TRIM_DEFAULTS["max_t"])}
    return yaml.safe_dump({"dataset_conf": conf}, sort_keys=False, default_flow_style=None)


# ----------------------------------------------------------------------------------------------- fill


def fill_explanation(fill: str, fill_db: float) -> str:
    """One sentence for the listener: what WeNet writes into a mask and how melwav plays it."""
    trim = " spec_trim's dropped frames are played as silence."
    if fill in (None, "absolute"):
        shift = f" ({fill_db:+g} dB from it)" if fill == "absolute" and fill_db else ""
        return ("WeNet writes 0 into its un-normalised Kaldi fbank (natural log of the mel energy of the waveform "
                "x 2^15, 80 bins): mel power 1 in 16-bit units, about 90 dB below full scale. melwav places that "
                f"level{shift} on this clip through the clip's own absolute power: a quiet fill, near the floor of "
                "most clips." + trim)
    return f"WeNet cannot fill with {fill!r}; melwav shows its own {fill!r} fill." + trim
