"""Mel analysis: power mel spectrogram and log-mel (dB) with its reference kept for an exact inverse."""

from __future__ import annotations

import dataclasses
import functools

import librosa
import numpy as np

from .errors import ParameterError, check_float, check_int, check_keys

#: Power floor before taking logs: -100 dB relative to 1.0.
AMIN = 1e-10

WINDOWS = ("hann", "hamming", "blackman")


@dataclasses.dataclass(frozen=True)
class MelSettings:
    """How a waveform becomes a mel spectrogram.

    Parameters
    ----------
    sr : int
        Analysis sample rate (Hz); input audio is resampled to it.
    n_fft : int
        FFT size (samples); also the window length.
    hop_length : int
        Frame step (samples).
    window : str
        One of ``WINDOWS``.
    n_mels : int
        Number of mel bands.
    fmin, fmax : float
        Band edges of the mel filter bank (Hz); ``fmax=None`` means ``sr / 2``.
    """

    sr: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    window: str = "hann"
    n_mels: int = 128
    fmin: float = 0.0
    fmax: float | None = None

    def __post_init__(self):
        set_ = functools.partial(object.__setattr__, self)
        set_("sr", check_int("sr", self.sr, low=4000, high=192000))
        set_("n_fft", check_int("n_fft", self.n_fft, low=64, high=16384))
        # The hop may not exceed the FFT size: frames would skip samples and nothing could rebuild them.
        set_("hop_length", check_int(f"hop_length (at most n_fft = {self.n_fft})", self.hop_length, low=16,
                                     high=self.n_fft))
        if self.window not in WINDOWS:
            raise ParameterError(f"window must be one of {', '.join(WINDOWS)}, got {self.window!r}")
        set_("n_mels", check_int("n_mels", self.n_mels, low=8, high=min(512, self.n_fft // 2 + 1)))
        set_("fmin", check_float("fmin", self.fmin, low=0.0, high=self.sr / 2 - 1))
        if self.fmax is not None:
            set_("fmax", check_float("fmax", self.fmax, low=self.fmin + 1, high=self.sr / 2))

    @property
    def hop_ms(self) -> float:
        """Frame step in milliseconds."""
        return 1000.0 * self.hop_length / self.sr

    @property
    def fmax_hz(self) -> float:
        return float(self.fmax) if self.fmax is not None else self.sr / 2.0

    @property
    def n_bins(self) -> int:
        """Number of linear-frequency STFT bins."""
        return self.n_fft // 2 + 1

    def n_frames(self, n_samples: int) -> int:
        """Number of frames of a centred STFT of ``n_samples`` samples."""
        return 1 + n_samples // self.hop_length

    def mel_basis(self) -> np.ndarray:
        """The mel filter bank, shape (n_mels, n_fft // 2 + 1), float32 (cached, read-only)."""
        return _mel_basis(self.sr, self.n_fft, self.n_mels, self.fmin, self.fmax_hz)

    def band_edges_hz(self) -> np.ndarray:
        """Edges of the mel bands in Hz, shape (n_mels + 1,): band ``k`` spans ``[e[k], e[k+1])``.

        Taken half-way between neighbouring band centres, which is what a plot with one row per band
        shows and what a person reads as "the band that was masked".
        """
        centres = librosa.mel_frequencies(self.n_mels + 2, fmin=self.fmin, fmax=self.fmax_hz)
        return np.concatenate([[centres[0]], (centres[1:-2] + centres[2:-1]) / 2, [centres[-1]]])

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MelSettings:
        check_keys(data, {f.name for f in dataclasses.fields(cls)}, what="the analysis settings")
        return cls(**data)


@functools.lru_cache(maxsize=16)
def _mel_basis(sr, n_fft, n_mels, fmin, fmax) -> np.ndarray:
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax).astype(np.float32)
    basis.setflags(write=False)
    return basis


def stft_magnitude(y: np.ndarray, *, settings: MelSettings) -> np.ndarray:
    """Magnitude of the centred STFT.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono waveform at ``settings.sr``.

    Returns
    -------
    np.ndarray [shape=(n_fft // 2 + 1, t)], float32
    """
    D = librosa.stft(
        np.asarray(y, dtype=np.float32), n_fft=settings.n_fft, hop_length=settings.hop_length,
        window=settings.window, center=True, pad_mode="constant",
    )
    return np.abs(D).astype(np.float32)


def mel_power(y: np.ndarray, *, settings: MelSettings) -> np.ndarray:
    """Power mel spectrogram.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono waveform at ``settings.sr``.

    Returns
    -------
    S : np.ndarray [shape=(n_mels, t)], float32
        ``t = 1 + n // hop_length``.
    """
    mag = stft_magnitude(y, settings=settings)
    return settings.mel_basis() @ (mag * mag)


def power_to_logmel(S: np.ndarray, *, ref: float | None = None) -> tuple[np.ndarray, float]:
    """Power mel to dB relative to ``ref`` (default: the peak), with no top_db clipping.

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_mels, t)]
        Power mel spectrogram.
    ref : float, optional
        Reference power (0 dB). ``None`` uses ``max(S)``.

    Returns
    -------
    L : np.ndarray [shape=(..., n_mels, t)], float32
        ``10 * log10(max(S, AMIN) / ref)``.
    ref : float
        The reference used; :func:`logmel_to_power` needs it to go back.
    """
    S = np.asarray(S, dtype=np.float32)
    if ref is None:
        ref = float(S.max()) if S.size else 1.0
    ref = max(float(ref), AMIN)
    L = 10.0 * np.log10(np.maximum(S, AMIN)) - np.float32(10.0 * np.log10(ref))
    return L.astype(np.float32), ref


def logmel_to_power(L: np.ndarray, *, ref: float) -> np.ndarray:
    """Inverse of :func:`power_to_logmel`: ``ref * 10 ** (L / 10)``.

    Parameters
    ----------
    L : np.ndarray [shape=(..., n_mels, t)]
        Log-mel in dB relative to ``ref``.

    Returns
    -------
    S : np.ndarray [shape=(..., n_mels, t)], float32
    """
    return (float(ref) * np.power(10.0, np.asarray(L, dtype=np.float64) / 10.0)).astype(np.float32)


def logmel(y: np.ndarray, *, settings: MelSettings) -> tuple[np.ndarray, float]:
    """Log-mel (dB re. its peak) of a waveform; returns ``(L, ref)``, see :func:`power_to_logmel`."""
    return power_to_logmel(mel_power(y, settings=settings))
