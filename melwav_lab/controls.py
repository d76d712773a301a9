"""The lab's controls, each declared once: the layout, the events' inputs, the presets, params import, the
named endpoints' parameters and the tests all derive from :data:`CONTROLS`.

A control's ``key`` is the one name it has everywhere: the command line's long option with underscores
(``--n-time-masks`` -> ``n_time_masks``), the keyword of :func:`melwav.lab.config_from_units`, the parameter
of the ``/render`` endpoint (``client.predict(audio=..., n_time_masks=3, api_name="/render")``). ``old`` holds
the names the lab used before (its ``/load_params`` results and scripts that still send them).

Adding a SpecAugment control: one row here (``group="preset"`` when the presets set it, ``"draw"`` when not)
plus its field in :class:`melwav.records.SpecAugmentConfig` and its rule in :mod:`melwav.specaugment`; a
``*_ms`` key is the config's ``*_frames`` field in milliseconds. Nothing else names it.

No Gradio here: the widgets are made from these rows in :mod:`melwav_lab.layout`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from melwav import lab
from melwav.features import MelSettings
from melwav.reconstruction import DEFAULT_METHOD, METHODS
from melwav.specaugment import FILL_MODES, conventions

#: Where a control sits: the first screen's two rows of sliders and its draw box, the "More settings" tab's
#: three columns, the "Teaching tools" tab's row, the "Analysis" tab's row.
PLACES = ("main-1", "main-2", "draw", "more-1", "more-2", "more-3", "teaching", "analysis")
#: What a control is: set by a preset (and carried over by duration / share of the mel scale when the analysis
#: changes), another part of the draw, how the draw is heard, or the analysis.
GROUPS = ("preset", "draw", "render", "analysis")
KINDS = ("slider", "number", "dropdown", "checkbox")


@dataclasses.dataclass(frozen=True)
class Control:
    key: str
    label: str
    kind: str
    default: Any
    place: str
    group: str
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple = ()
    #: What the value means, in a line (the endpoints' parameter docs, CONTRIBUTING).
    help: str = ""
    #: Text shown under the widget on the page ("" for none).
    info: str = ""
    #: The names this value had before (older scripts, params results).
    old: tuple[str, ...] = ()
    #: Which change re-renders: "input" (a move), "submit" (Enter in a number box), "analysis" (converts first).
    trigger: str = "input"
    #: Whether a params file holds it (and "Open a prepared demo" restores it).
    saved: bool = True
    precision: int | None = None
    elem_id: str | None = None
    min_width: int | None = None

    def __post_init__(self):
        if self.place not in PLACES or self.group not in GROUPS or self.kind not in KINDS:
            raise ValueError(f"control {self.key}: place, group or kind not known")


_LD = lab.policy_units("LD", MelSettings())  # the page opens on the LD preset at the default analysis

CONTROLS: tuple[Control, ...] = (
    # ---- set by a preset (Park et al. 2019/2020), in the units people think in
    Control("warp_ms", "W: max warp (ms)", "slider", _LD["warp_ms"], "main-1", "preset", "ms", 0, 2000, 10,
            help="W, the largest time-warp distance", old=()),
    Control("n_freq_masks", "mF: freq. masks", "slider", _LD["n_freq_masks"], "main-1", "preset", "count", 0, 20, 1,
            help="mF, how many frequency masks", old=("n_freq",)),
    Control("freq_mask_bands", "F: max bands", "slider", _LD["freq_mask_bands"], "main-1", "preset", "bands", 0, 128,
            1, help="F, the widest frequency mask", old=("freq_bands",)),
    Control("n_time_masks", "mT: time masks", "slider", _LD["n_time_masks"], "main-2", "preset", "count", 0, 40, 1,
            help="mT, how many time masks (the cap when adaptive)", old=("n_time",)),
    Control("time_mask_ms", "T: max width (ms)", "slider", _LD["time_mask_ms"], "main-2", "preset", "ms", 0, 3000,
            10, help="T, the widest time mask", old=("time_ms",)),
    Control("max_time_ratio", "p: a mask is at most p × clip length", "slider", 1.0, "more-1", "preset", "ratio", 0,
            1, 0.05, help="p, a time mask's upper bound as a share of the clip", old=("p",)),
    Control("width_ratio", "pS: adaptive width (× length, 0 = off)", "slider", 0.0, "more-1", "preset", "ratio", 0,
            0.3, 0.01, help="pS (2020), adaptive width: T = pS × the clip's frames"),
    Control("masks_per_frame", "pM: adaptive masks per frame (0 = off)", "slider", 0.0, "more-1", "preset", "ratio",
            0, 0.1, 0.005, help="pM (2020), adaptive count: min(mT, pM × the clip's frames)", old=("per_frame",)),
    # ---- the rest of the draw
    Control("fill", "Masked cells become", "dropdown", "mean", "more-2", "draw", choices=tuple(FILL_MODES),
            help="what masked cells become",
            info="mean: the paper's choice · floor: silence · value: the level below · stage_mean: the mean "
                 "recomputed before each stage (warp, then frequency masks, then time masks) · band_mean: each "
                 "band's own mean · absolute: a framework's 0 placed on this clip's level"),
    Control("fill_db", "Fill level (dB: re. peak for 'value', re. the framework's 0 for 'absolute')", "slider", -60,
            "more-2", "draw", "dB", -120, 50, 1, help="the fill level of 'value' and 'absolute'"),
    Control("convention", "Draw rules", "dropdown", "melwav", "more-2", "draw", choices=tuple(conventions()),
            help="whose rules draw the masks: melwav (the papers') or a training framework's",
            info="melwav = the papers'; or a training framework's"),
    # ---- how it is heard
    Control("method", "Reconstruction method", "dropdown", DEFAULT_METHOD, "more-3", "render", choices=tuple(METHODS),
            help="how audio is rebuilt from a mel"),
    Control("n_iter", "Iterations (-1 = the method's default)", "slider", -1, "more-3", "render", "count", -1, 200, 1,
            help="phase-retrieval iterations (-1: the method's default)"),
    Control("seed", "Seed", "number", 7, "draw", "draw", precision=0, elem_id="seed", min_width=70, trigger="submit",
            help="the random draw's seed, 0..4294967295"),
    Control("keep", "Keep this draw", "checkbox", False, "draw", "draw", elem_id="keep",
            help="replay the page's current draw (masks and warp) with the other settings"),
    # (explained under it on the page: transport.DRAW_HELP)
    # ---- the analysis
    Control("sr", "Sample rate (Hz)", "dropdown", 22050, "analysis", "analysis", "Hz", choices=(16000, 22050, 44100),
            trigger="analysis", help="analysis sample rate"),
    Control("n_fft", "FFT size", "dropdown", 2048, "analysis", "analysis", "samples", choices=(400, 512, 1024, 2048, 4096),
            trigger="analysis", help="FFT size (400: the 25 ms window of most ASR front ends at 16 kHz)"),
    Control("hop", "Hop (samples)", "dropdown", 512, "analysis", "analysis", "samples",
            choices=(128, 160, 256, 320, 512, 1024), trigger="analysis", help="hop between frames"),
    Control("n_mels", "Mel bands", "dropdown", 128, "analysis", "analysis", "bands", choices=(40, 64, 80, 128),
            trigger="analysis", help="mel bands"),
    # ---- teaching
    Control("show_rebuilt", "Also plot the mel of the rebuilt augmented audio", "checkbox", False, "teaching",
            "render", help="add a third panel: the mel of the rebuilt augmented audio", saved=False),
)

BY_KEY = {c.key: c for c in CONTROLS}
KEYS = tuple(c.key for c in CONTROLS)
#: What a preset sets (the keys of :func:`melwav.lab.policy_units`).
PRESET = tuple(c.key for c in CONTROLS if c.group == "preset")
#: The draw's settings: what :func:`melwav.lab.config_from_units` takes.
AUGMENT = tuple(c.key for c in CONTROLS if c.group in ("preset", "draw") and c.key not in ("seed", "keep"))
ANALYSIS = tuple(c.key for c in CONTROLS if c.group == "analysis")
#: Old name -> key, for values sent under the lab's earlier names.
OLD_NAMES = {old: c.key for c in CONTROLS for old in c.old}


def placed(place: str) -> tuple[Control, ...]:
    """The controls at ``place``, in table order."""
    return tuple(c for c in CONTROLS if c.place == place)


def defaults() -> dict:
    """Every control's value when the page opens."""
    return {c.key: c.default for c in CONTROLS}


def renamed(values: dict) -> dict:
    """``values`` with the lab's earlier names (``n_time``, ``p``, ``per_frame``, ...) under today's keys."""
    return {OLD_NAMES.get(k, k): v for k, v in values.items()}


def settings_of(v: dict) -> MelSettings:
    """The analysis the values name."""
    return MelSettings(sr=int(v["sr"]), n_fft=int(v["n_fft"]), hop_length=int(v["hop"]), n_mels=int(v["n_mels"]))


def analysis_values(settings: MelSettings) -> dict:
    """The analysis controls' values for ``settings`` (the inverse of :func:`settings_of`)."""
    return {"sr": settings.sr, "n_fft": settings.n_fft, "hop": settings.hop_length, "n_mels": settings.n_mels}


def n_iter_of(v: dict) -> int | None:
    """The iterations the values ask for (None: the method's default)."""
    value = v.get("n_iter")
    return None if value is None or int(value) < 0 else int(value)
