"""melwav: hear what SpecAugment does to a clip.

The stages, one module each, data flowing one way:
:mod:`melwav.audio` (files in and out) -> :mod:`melwav.features` (mel analysis) ->
:mod:`melwav.specaugment` (SpecAugment, draw and apply; the training
frameworks' rules in :mod:`melwav.frameworks`, the record types in :mod:`melwav.records`) -> :mod:`melwav.reconstruction` (mel back to audio);
:mod:`melwav.plot` draws, :mod:`melwav.pipeline` strings the stages together and reads/writes params
files, :mod:`melwav.cli` is the command line. melwav never imports gradio.
"""

__version__ = "0.1.0"

from .audio import LoadedAudio, load_audio, write_wav  # noqa: E402
from .errors import AudioError, MelwavError, ParameterError, RecordError  # noqa: E402
from .features import MelSettings, logmel, logmel_to_power, mel_power, power_to_logmel  # noqa: E402
from .pipeline import (  # noqa: E402
    Analysis,
    Params,
    Rendered,
    analyse,
    load_and_analyse,
    params_for,
    read_params,
    render,
    replay,
    write_params,
)
from .plot import plot_comparison  # noqa: E402
from .reconstruction import METHODS, Reconstruction, reconstruct, spectral_convergence_db  # noqa: E402
from .specaugment import (  # noqa: E402
    POLICIES,
    AugmentRecord,
    MaskDraw,
    Policy,
    SpecAugmentConfig,
    WarpDraw,
    apply,
    augment,
    draw,
    freq_mask,
    policy,
    time_mask,
    time_warp,
)

__all__ = [
    "__version__", "LoadedAudio", "load_audio", "write_wav", "POLICIES", "AugmentRecord", "MaskDraw", "Policy",
    "SpecAugmentConfig", "WarpDraw", "apply", "augment", "draw", "freq_mask", "policy", "time_mask", "time_warp",
    "AudioError", "MelwavError", "ParameterError", "RecordError", "MelSettings", "logmel", "logmel_to_power",
    "mel_power", "power_to_logmel", "Analysis", "Params", "Rendered", "analyse", "load_and_analyse", "params_for",
    "read_params", "render", "replay", "write_params", "plot_comparison", "METHODS", "Reconstruction",
    "reconstruct", "spectral_convergence_db",
]
