"""Mel spectrogram -> waveform, so a listener can hear what augmentation did.

A power mel spectrogram has no phase and only ``n_mels`` numbers per frame for ``n_fft // 2 + 1``
linear bins, so any waveform whose mel matches the target is a valid answer. What we measure (and
what :attr:`Reconstruction.spectral_convergence_db` reports) is therefore how close the *mel* of the
output is to the target, see :func:`spectral_convergence_db`.

Methods (``METHODS``; the first is the default):

``"fgla-mel"``
    Fast Griffin-Lim with momentum (Perraudin et al. 2013) in which the linear magnitude is not fixed:
    every iteration rescales the bins of the current consistent STFT by the ratio between the target
    mel and the mel of the current estimate, which drives the *mel* of the output to the target.
``"fgla"``
    The same fast inverse mel (pseudo-inverse + vectorised multiplicative non-negative updates) and
    the same fast Griffin-Lim with momentum, but with that linear magnitude held fixed (classic GLA).
``"librosa"``
    The reference recipe, equivalent to ``librosa.feature.inverse.mel_to_audio``: per-frame NNLS
    inverse mel then ``librosa.griffinlim`` (momentum 0.99). Slow; kept so a listener can compare.

The two fast methods run on a lean float32 STFT/ISTFT pair built on :mod:`scipy.fft` that uses
librosa's framing exactly (centred, zero padding, periodic window, least-squares overlap-add), so the
frame count and output length agree with :func:`melwav.features.mel_power`.

Everything here is a pure function; module caches hold read-only arrays only, so they are safe to
share between threads.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

import librosa
import numpy as np
import scipy.fft
import scipy.signal
import scipy.sparse

from .errors import ParameterError, check_int
from .features import MelSettings

METHODS: tuple[str, ...] = ("fgla-mel", "fgla", "librosa")
DEFAULT_METHOD: str = METHODS[0]

#: Iterations of the default method for a cold start (an upper bound when ``n_iter`` is None: the early
#: stop below ends a run whose SC has stopped improving). With the sparse mel products one iteration
#: costs ~0.6x what it did at 64, so 96 take about the old time at 22.05 kHz / 2048 and buy ~1-3 dB;
#: at 16 kHz / 512 / 80 mels they keep the mel SC > 7 dB below ``mel_to_audio(n_iter=32)``.
DEFAULT_N_ITER: int = 96
#: Iterations used when ``n_iter`` is None and a usable ``init_phase`` is given (interactive
#: re-render after an augmentation change): the warm phase is already close, so fewer are needed.
#: From the warped phase of the original's rebuild (:func:`melwav.pipeline.warm_phase`), 12 LD draws against
#: 24 from the unwarped phase (the default when issue 12 was filed): 16 gave speech -0.38 dB / music
#: +0.99 dB on average, 20 give -0.74 / +0.58 dB, in about 0.85x the time. Time-mask slider moves do not
#: pay for them (:func:`rebuild_frames` re-solves only the masked frames on a cached rebuild).
WARM_N_ITER: int = 20
#: Iterations of :func:`rebuild_frames` on each segment at most when ``n_iter`` is None (with the same early
#: stop as :func:`reconstruct`, on the segment's mel). On the masked frames' own mel SC (12 LD draws, against
#: one whole warm rebuild) they stop after 12-32 and are within 0.1 dB on average, 0.25 dB at worst;
#: a fixed 16 were 0.2 dB short on average and 2 dB at worst.
LOCAL_N_ITER: int = 32
#: :func:`melwav.pipeline.rebuild_augmented` solves time masks locally while that touches at most this share of
#: the frames (each layer's segments with their overlap, so it can pass 1 when many narrow masks each pull in
#: their neighbours); past it, the whole mel is rebuilt at once. Not lower: a new draw is layered at any share,
#: but a slider move pays only for its own layer. Measured on the bundled speech (the page's opening policy,
#: seed 7, mT 8-13: 60-65% of the frames masked, 74-85% solved): a new draw 217-255 ms layered against
#: 120-143 ms whole, and a move of mT or T 1-21 ms layered against 120-143 ms whole (0.7, the old share, sent
#: those moves to the whole rebuild). The mel SC is the same (-21.93 against -21.96 dB at mT 8).
LOCAL_MAX_SHARE: float = 1.0
#: Iterations of the ``"librosa"`` reference when ``n_iter`` is None (``mel_to_audio``'s default).
LIBROSA_N_ITER: int = 32
MAX_N_ITER: int = 1000
MAX_LENGTH: int = 2**31 - 1

#: Griffin-Lim momentum (0.99 as in Perraudin et al. and librosa).
MOMENTUM: float = 0.99
#: Exponent of the per-bin mel gain in ``"fgla-mel"``: > 1 over-relaxes the multiplicative update,
#: which converges faster; 2 was measured to diverge, 1.3-1.7 all work (speech and music).
MEL_GAIN_EXPONENT: float = 1.5
#: Cap on that per-bin gain, so a bin whose current energy is ~0 cannot be blown up in one step.
MEL_GAIN_MAX: float = 30.0
#: Early stop of the fast methods when ``n_iter`` is None: every ``EARLY_STOP_EVERY`` iterations the mel SC
#: of the current estimate (a by-product of the mel update) is compared with the previous check, and the
#: loop ends when it improved by less than ``EARLY_STOP_DB``. An explicit ``n_iter`` always runs in full.
EARLY_STOP_EVERY: int = 4
EARLY_STOP_DB: float = 0.05
#: Multiplicative non-negative updates refining the clipped pseudo-inverse in the inverse mel.
INVERSE_MEL_STEPS: int = 10


@dataclasses.dataclass
class Reconstruction:
    """A reconstructed waveform and how well its mel matches the target.

    Attributes
    ----------
    y : np.ndarray [shape=(length,)], float32
        The waveform, on the same scale as the audio the mel came from (not peak-normalised).
    spectral_convergence_db : float
        :func:`spectral_convergence_db` of ``y`` against the target mel.
    method : str
        One of ``METHODS``.
    n_iter : int
        Griffin-Lim iterations actually run.
    phase : np.ndarray [shape=(n_fft // 2 + 1, t)], complex64 or None
        Unit-modulus phase of the final STFT estimate; pass it back as ``init_phase`` to warm-start
        the next reconstruction of a mel of the same shape.
    warm : bool
        Whether ``init_phase`` was used.
    mel : np.ndarray [shape=(n_mels, t)], float32 or None
        The power mel of ``y`` (the by-product of measuring its SC), so :func:`rebuild_frames` can reuse
        it for the frames it leaves alone.
    """

    y: np.ndarray
    spectral_convergence_db: float
    method: str
    n_iter: int
    phase: np.ndarray | None
    warm: bool = False
    mel: np.ndarray | None = None


# ----------------------------------------------------------------------------------------- caches


@dataclasses.dataclass(frozen=True)
class _Plan:
    """Read-only per-settings arrays (built once, shared)."""

    window: np.ndarray  # (n_fft,) float32, periodic, as librosa
    basis: np.ndarray  # (n_mels, n_bins) float32, dense (used once per call, for the pseudo-inverse)
    basis_csr: scipy.sparse.csr_array  # the same, sparse: each bin is in at most two triangular bands
    basis_t_csr: scipy.sparse.csr_array  # (n_bins, n_mels), its transpose
    pinv_t: np.ndarray  # (n_mels, n_bins) float32: pinv(basis).T, so that S.T @ pinv_t = (pinv @ S).T
    inv_colsum: np.ndarray  # (n_bins, 1) float32: 1 / sum over bands of the filter weights (0 if none)

    def mel(self, P: np.ndarray) -> np.ndarray:
        """Mel of a linear power (t, n_bins) -> (n_mels, t), i.e. ``(P @ basis.T).T``."""
        return self.basis_csr @ P.T

    def spread(self, R: np.ndarray) -> np.ndarray:
        """Per-band values (n_mels, t) spread onto the bins -> (n_bins, t), i.e. ``basis.T @ R``."""
        return self.basis_t_csr @ R


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _readonly_csr(a: np.ndarray) -> scipy.sparse.csr_array:
    # The mel products run on this sparse form: a mel filter bank has ~2 non-zeros per bin, so the
    # sparse products cost a fraction of the dense ones, and they run on one thread (scipy's sparse
    # kernels), which keeps them fast and predictable when other work (or a second render) shares the
    # cores; a multi-threaded BLAS on small matrices is slowed down badly by that contention.
    m = scipy.sparse.csr_array(np.asarray(a, dtype=np.float32))
    m.sum_duplicates()
    m.sort_indices()
    for arr in (m.data, m.indices, m.indptr):
        arr.setflags(write=False)
    return m


@functools.lru_cache(maxsize=16)
def _plan(settings: MelSettings) -> _Plan:
    window = scipy.signal.get_window(settings.window, settings.n_fft, fftbins=True).astype(np.float32)
    basis = settings.mel_basis()
    pinv_t = np.linalg.pinv(basis.astype(np.float64)).T.astype(np.float32)
    colsum = basis.sum(axis=0, dtype=np.float64)
    inv_colsum = np.where(colsum > 0, 1.0 / np.maximum(colsum, 1e-30), 0.0).astype(np.float32)
    return _Plan(_readonly(window), _readonly(basis), _readonly_csr(basis), _readonly_csr(basis.T),
                 _readonly(pinv_t), _readonly(inv_colsum[:, None]))


@functools.lru_cache(maxsize=32)
def _inverse_window_sum(settings: MelSettings, n_frames: int) -> np.ndarray:
    """1 / (sum of squared windows) over the padded buffer of ``n_frames`` frames (0 where ~0)."""
    window = _plan(settings).window
    wss = _overlap_add(np.broadcast_to(window * window, (n_frames, settings.n_fft)), settings)
    # Same threshold as librosa.istft: leave samples with (almost) no window coverage alone.
    tiny = np.finfo(np.float32).tiny
    return _readonly(np.where(wss > tiny, 1.0 / np.maximum(wss, tiny), 0.0).astype(np.float32))


# ------------------------------------------------------------------------------- lean STFT/ISTFT
# Internal layout is frames-major, (t, n_bins), so that framing, FFTs and mel products all run on
# contiguous rows. The time signal lives in the centred, zero-padded buffer of n_fft + (t-1)*hop
# samples whose sample n_fft // 2 is sample 0 of the audio.


def _buffer_len(settings: MelSettings, n_frames: int) -> int:
    return settings.n_fft + (n_frames - 1) * settings.hop_length


def _stft_buffer(buf: np.ndarray, settings: MelSettings, n_frames: int, work: np.ndarray | None = None) -> np.ndarray:
    """STFT of a padded buffer -> complex64 (t, n_bins). Matches librosa.stft(center=True, constant).

    ``work`` is an optional float32 (t, n_fft) scratch array for the windowed frames (overwritten).
    """
    n_fft, hop = settings.n_fft, settings.hop_length
    step = buf.strides[0]
    frames = np.lib.stride_tricks.as_strided(buf, (n_frames, n_fft), (step * hop, step), writeable=False)
    if work is None:
        work = np.empty((n_frames, n_fft), dtype=np.float32)
    np.multiply(frames, _plan(settings).window, out=work)
    # One thread: measured as fast as two on the sizes used here, and not slowed down by other work.
    return scipy.fft.rfft(work, axis=-1, overwrite_x=True)


def _overlap_add(frames: np.ndarray, settings: MelSettings) -> np.ndarray:
    """Overlap-add (t, n_fft) frames into the padded buffer, vectorised over frames."""
    n_fft, hop = settings.n_fft, settings.hop_length
    n_frames = frames.shape[0]
    n_chunks = -(-n_fft // hop)
    out = np.zeros((n_frames + n_chunks - 1, hop), dtype=np.float32)
    for k in range(n_chunks):  # n_fft / hop slices, each one a vectorised add over all frames
        lo = k * hop
        w = min(hop, n_fft - lo)  # the last slice is partial when hop does not divide n_fft
        out[k : k + n_frames, :w] += frames[:, lo : lo + w]
    return out.reshape(-1)[: _buffer_len(settings, n_frames)]


def _istft_buffer(X: np.ndarray, settings: MelSettings, inv_wss: np.ndarray) -> np.ndarray:
    """Least-squares ISTFT of complex (t, n_bins) into the padded buffer.

    ``inv_wss`` is the inverse window-sum-square, already zeroed outside the audio's support, so the
    result is exactly the padded buffer of the trimmed signal (what the next STFT must see).
    """
    frames = scipy.fft.irfft(X, n=settings.n_fft, axis=-1).astype(np.float32, copy=False)
    frames *= _plan(settings).window
    buf = _overlap_add(frames, settings)
    buf *= inv_wss
    return buf


def _pad_signal(y: np.ndarray, settings: MelSettings, n_frames: int) -> np.ndarray:
    """Place ``y`` into the padded buffer of ``n_frames`` frames (zeros around, truncated if longer)."""
    buf = np.zeros(_buffer_len(settings, n_frames), dtype=np.float32)
    start = settings.n_fft // 2
    n = min(len(y), len(buf) - start)
    buf[start : start + n] = y[:n]
    return buf


# -------------------------------------------------------------------------------------- mel maths


def _mel_magnitude(S: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(np.asarray(S, dtype=np.float64), 0.0))


def spectral_convergence_db(S_target: np.ndarray, y: np.ndarray, *, settings: MelSettings) -> float:
    """Spectral convergence on the mel magnitude, in dB (lower is better).

    ``20 * log10(||M_t - M_y||_F / ||M_t||_F)`` where the mel magnitude ``M`` is the square root of the
    power mel: ``M_t = sqrt(S_target)`` and ``M_y = sqrt(mel_power(y))`` (the same centred,
    zero-padded STFT and mel basis as :func:`melwav.features.mel_power`). ``y`` is compared on the
    target's ``t`` frames: a shorter ``y`` is padded with zeros, extra frames of a longer one are
    ignored. An all-zero target with an all-zero output gives 0 dB; never NaN or inf.

    Parameters
    ----------
    S_target : np.ndarray [shape=(n_mels, t)]
        Target power mel.
    y : np.ndarray [shape=(n,)]
        Waveform at ``settings.sr``.
    settings : MelSettings
        Analysis settings the target was made with.

    Returns
    -------
    float
        SC in dB. ``librosa.feature.inverse.mel_to_audio`` (n_iter=32) reaches about -20 to -23 dB on
        speech with the default settings.
    """
    S_target = _check_mel(S_target, settings)
    return _sc_db(S_target, _output_mel(y, settings, S_target.shape[1]))


def _output_mel(y: np.ndarray, settings: MelSettings, n_frames: int) -> np.ndarray:
    """Power mel (n_mels, t) of waveform ``y`` on ``n_frames`` frames (as :func:`melwav.features.mel_power`)."""
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    X = _stft_buffer(_pad_signal(y, settings, n_frames), settings, n_frames)
    mag = np.abs(X)
    return _plan(settings).mel(mag * mag)


def _sc_db(S_target: np.ndarray, S_y: np.ndarray) -> float:
    """Mel SC in dB of the power mel ``S_y`` against ``S_target`` (see :func:`spectral_convergence_db`)."""
    M_t = _mel_magnitude(S_target)
    M_y = _mel_magnitude(S_y)
    tiny = 1e-30
    num = max(float(np.linalg.norm(M_t - M_y)), tiny)
    den = max(float(np.linalg.norm(M_t)), tiny)
    return float(20.0 * np.log10(num / den))


def _inverse_mel_power(S: np.ndarray, plan: _Plan, n_steps: int = INVERSE_MEL_STEPS) -> np.ndarray:
    """Non-negative linear power P (t, n_bins) with P @ basis.T ~= S.T, for a power mel S (n_mels, t).

    The clipped minimum-norm pseudo-inverse, then Lee-Seung multiplicative updates for
    ``min ||P B^T - S^T||^2, P >= 0`` on all frames at once (librosa solves each frame with L-BFGS-B).
    """
    P = S.T @ plan.pinv_t
    np.maximum(P, 0.0, out=P)
    peak = float(P.max()) if P.size else 0.0
    if peak <= 0.0:
        return np.zeros_like(P)
    # A small floor so the multiplicative updates can move entries the clip set to exactly 0.
    P += np.float32(1e-6 * peak)
    numer = plan.spread(S).T  # (t, n_bins) = S.T @ basis
    eps = np.float32(1e-12 * peak + 1e-30)
    for _ in range(n_steps):
        den = plan.spread(plan.mel(P)).T
        den += eps
        np.divide(numer, den, out=den)
        P *= den
    return P


def _mel_gain_update(mag: np.ndarray, sqrt_S: np.ndarray, plan: _Plan, eps_amp: np.float32) -> np.ndarray:
    """Scale the linear magnitude ``mag`` (t, n_bins) in place, bin-wise, so its mel moves to the target.

    Per band the amplitude ratio r = sqrt(S_target / mel(mag^2)); each bin takes the filter-weighted
    mean of the ratios of the bands it belongs to, raised to ``MEL_GAIN_EXPONENT`` (over-relaxation).
    Bins no band covers get gain 0 (the mel says nothing about them; spend no energy there).
    Returns the mel magnitude sqrt(mel(mag^2)) (n_mels, t) of the input, before scaling.
    """
    mel_mag = plan.mel(mag * mag)  # (n_mels, t)
    np.sqrt(mel_mag, out=mel_mag)
    ratio = mel_mag + eps_amp
    np.divide(sqrt_S, ratio, out=ratio)
    gain = plan.spread(ratio)  # (n_bins, t)
    gain *= plan.inv_colsum
    np.minimum(gain, np.float32(MEL_GAIN_MAX), out=gain)
    if MEL_GAIN_EXPONENT == 1.5:
        root = np.sqrt(gain)
        gain *= root  # g ** 1.5, at a fraction of the cost of a float power
    else:
        gain **= np.float32(MEL_GAIN_EXPONENT)
    mag *= gain.T
    return mel_mag


def _unit(Z: np.ndarray) -> np.ndarray:
    """Unit-modulus version of complex ``Z`` (1 where Z == 0)."""
    mag = np.abs(Z)
    out = np.ones_like(Z)
    np.divide(Z, mag, out=out, where=mag > 0)
    return out


# ------------------------------------------------------------------------------- public function


def reconstruct(
    S: np.ndarray,
    *,
    settings: MelSettings,
    method: str = DEFAULT_METHOD,
    n_iter: int | None = None,
    length: int | None = None,
    seed: int = 0,
    init_phase: np.ndarray | None = None,
    cancel=None,
) -> Reconstruction:
    """Waveform whose mel spectrogram matches the power mel ``S``.

    Parameters
    ----------
    S : np.ndarray [shape=(n_mels, t)]
        Power mel spectrogram (as :func:`melwav.features.mel_power` makes it), non-negative.
    settings : MelSettings
        Analysis settings ``S`` was made with.
    method : str
        One of ``METHODS`` (default ``DEFAULT_METHOD``, see the module docstring).
    n_iter : int, optional
        Griffin-Lim iterations, 0 to ``MAX_N_ITER``; 0 returns the initial estimate. ``None`` means
        at most ``DEFAULT_N_ITER`` for the fast methods (``WARM_N_ITER`` when a usable ``init_phase``
        is given), ending early once the mel SC improves by less than ``EARLY_STOP_DB`` over
        ``EARLY_STOP_EVERY`` iterations (deterministic: the same as running that many), and
        ``LIBROSA_N_ITER`` for ``"librosa"``. An explicit count always runs in full.
    length : int, optional
        Output length in samples; default ``(t - 1) * hop_length``.
    seed : int
        Seed of the random initial phase; the result is deterministic for a given seed.
    init_phase : np.ndarray [shape=(n_fft // 2 + 1, t)], optional
        Warm start, e.g. ``previous.phase``; ignored if its shape does not match or it is not finite.
        The ``"librosa"`` method always starts from a random phase (librosa.griffinlim has no way in).
    cancel : callable, optional
        Called with no arguments before the work and once per iteration; it stops the work by raising
        (e.g. :class:`melwav.limits.Deadline`). It does not touch the arithmetic: a run it lets finish
        is bit-identical to one without it. ``"librosa"`` is checked only before it starts.

    Returns
    -------
    Reconstruction
    """
    if not isinstance(settings, MelSettings):
        raise ParameterError(f"settings must be a MelSettings, got {type(settings).__name__}")
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    S = _check_mel(S, settings)
    n_frames = S.shape[1]
    seed = check_int("seed", seed, low=0, high=2**63 - 1)
    length = (n_frames - 1) * settings.hop_length if length is None else check_int(
        "length", length, low=0, high=MAX_LENGTH)

    phase0 = _usable_phase(init_phase, (settings.n_bins, n_frames)) if method != "librosa" else None
    warm = phase0 is not None
    auto = n_iter is None
    if auto:
        n_iter = LIBROSA_N_ITER if method == "librosa" else (WARM_N_ITER if warm else DEFAULT_N_ITER)
    n_iter = check_int("n_iter", n_iter, low=0, high=MAX_N_ITER)

    if length == 0:
        y = np.zeros(0, dtype=np.float32)
        phase = phase0 if warm else _random_phase(seed, (n_frames, settings.n_bins)).T
        S_y = _output_mel(y, settings, n_frames)
        return Reconstruction(y, _sc_db(S, S_y), method, n_iter, np.ascontiguousarray(phase, dtype=np.complex64),
                              warm, S_y)

    if cancel is not None:
        cancel()
    if method == "librosa":
        y, phase = _librosa_recipe(S, settings, n_iter, length, seed)
    else:
        y, phase, n_iter = _fgla(S, settings, n_iter, length, seed, phase0, mel_driven=(method == "fgla-mel"),
                                 early_stop=auto, cancel=cancel)
    S_y = _output_mel(y, settings, n_frames)
    return Reconstruction(y, _sc_db(S, S_y), method, n_iter, phase, warm, S_y)


def _check_mel(S, settings: MelSettings) -> np.ndarray:
    S = np.asarray(S)
    if S.ndim != 2 or S.shape[0] != settings.n_mels or S.shape[1] < 1:
        raise ParameterError(
            f"S must be a power mel of shape (n_mels={settings.n_mels}, t >= 1), got shape {S.shape}")
    S = np.asarray(S, dtype=np.float32)
    if not np.isfinite(S).all():
        raise ParameterError("S must be finite (no NaN or inf)")
    # Tiny negatives can come from resampling/interpolation of a mel; power cannot be negative.
    return np.maximum(S, 0.0)


def _usable_phase(init_phase, shape) -> np.ndarray | None:
    if init_phase is None:
        return None
    P = np.asarray(init_phase)
    if P.shape != shape or not np.isfinite(P).all():
        return None
    return _unit(P.astype(np.complex64))


def _random_phase(seed: int, shape) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.exp(2j * np.pi * rng.random(shape, dtype=np.float32)).astype(np.complex64)


def _support(settings: MelSettings, n_frames: int, length: int) -> tuple[int, np.ndarray]:
    """The output's support in samples (clipped to what ``n_frames`` frames can describe) and the inverse
    window sum zeroed outside it, so every STFT in a loop sees exactly the samples the output will have."""
    support = min(length, _buffer_len(settings, n_frames) - settings.n_fft // 2)
    inv_wss = _inverse_window_sum(settings, n_frames).copy()
    inv_wss[: settings.n_fft // 2] = 0.0
    inv_wss[settings.n_fft // 2 + support :] = 0.0
    return support, inv_wss


def _audio(buf: np.ndarray, settings: MelSettings, length: int, support: int) -> np.ndarray:
    """The ``length`` samples of audio a padded buffer holds (zeros past ``support``)."""
    start = settings.n_fft // 2
    y = np.zeros(length, dtype=np.float32)
    y[:support] = buf[start : start + support]
    return y


def _project_magnitude(T: np.ndarray, A: np.ndarray, scratch: np.ndarray) -> None:
    """``T`` given the magnitude ``A``, keeping its phase, in place (``scratch``: float32, ``A``'s shape)."""
    np.abs(T, out=scratch)
    np.maximum(scratch, np.float32(1e-30), out=scratch)
    np.divide(A, scratch, out=scratch)
    T *= scratch


def _momentum(T: np.ndarray, C: np.ndarray, C_prev: np.ndarray | None) -> None:
    """Fast Griffin-Lim's step t_n = c_n + alpha (c_n - c_{n-1}) into ``T`` (``C`` and ``C_prev`` stay intact)."""
    if C_prev is None:
        np.copyto(T, C)
    else:
        np.subtract(C, C_prev, out=T)
        T *= np.float32(MOMENTUM)
        T += C


def _mel_magnitude_of(C: np.ndarray, plan: _Plan, scratch: np.ndarray) -> np.ndarray:
    """The mel magnitude (n_mels, t) of a complex STFT (t, n_bins) (``scratch``: float32, ``C``'s shape)."""
    np.abs(C, out=scratch)
    return np.sqrt(plan.mel(scratch * scratch))


def _sc_of_db(mel_mag: np.ndarray, sqrt_S: np.ndarray, norm_S: float) -> float:
    """The mel SC in dB of an estimate from its mel magnitude (overwritten) and the target's (norm ``norm_S``)."""
    mel_mag -= sqrt_S
    return 20.0 * np.log10(max(float(np.linalg.norm(mel_mag)), 1e-30) / norm_S)


def _fgla(S, settings, n_iter, length, seed, phase0, *, mel_driven, early_stop=False, cancel=None):
    """Fast Griffin-Lim (Perraudin 2013), optionally re-estimating the magnitude from the mel.

    Returns ``(y, phase, iterations run)``; with ``early_stop`` the loop ends before ``n_iter`` once the
    mel SC of the estimate improves by less than ``EARLY_STOP_DB`` over ``EARLY_STOP_EVERY`` iterations.
    """
    plan = _plan(settings)
    n_frames = S.shape[1]

    support, inv_wss = _support(settings, n_frames, length)
    A = np.sqrt(_inverse_mel_power(S, plan))  # (t, n_bins) linear magnitude guess
    sqrt_S = np.sqrt(S)  # (n_mels, t)
    norm_S = float(np.linalg.norm(sqrt_S))
    eps_amp = np.float32(1e-6 * float(sqrt_S.max()) + 1e-30)
    T = A * (phase0.T if phase0 is not None else _random_phase(seed, A.shape))

    # Scratch arrays reused by every iteration (the loop allocates only the FFT outputs).
    work = np.empty((n_frames, settings.n_fft), dtype=np.float32)
    scale = np.empty(A.shape, dtype=np.float32)
    C_prev = None
    last_sc = np.inf
    done = 0
    while done < n_iter:
        if cancel is not None:
            cancel()
        # Projection on the target magnitude (keep the phase), then on consistent spectrograms.
        _project_magnitude(T, A, scale)
        C = _stft_buffer(_istft_buffer(T, settings, inv_wss), settings, n_frames, work)
        done += 1
        check = early_stop and done % EARLY_STOP_EVERY == 0 and norm_S > 0
        if mel_driven:
            np.abs(C, out=A)
            mel_mag = _mel_gain_update(A, sqrt_S, plan, eps_amp)
        elif check:
            mel_mag = _mel_magnitude_of(C, plan, scale)
        _momentum(T, C, C_prev)
        C_prev = C
        if check:
            sc = _sc_of_db(mel_mag, sqrt_S, norm_S)
            if last_sc - sc < EARLY_STOP_DB:
                break
            last_sc = sc

    phase = _unit(T)
    y = _audio(_istft_buffer(A * phase, settings, inv_wss), settings, length, support)
    return y, np.ascontiguousarray(phase.T), done


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True in a 1-D boolean array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _dilate(mask: np.ndarray, k: int) -> np.ndarray:
    """``mask`` grown by ``k`` cells on each side."""
    out = mask.copy()
    for run_start, run_stop in _runs(mask):
        out[max(run_start - k, 0) : run_stop + k] = True
    return out


def overlap_frames(settings: MelSettings) -> int:
    """How many frames on each side of a frame share samples with it: ``ceil(n_fft / hop) - 1``."""
    return -(-settings.n_fft // settings.hop_length) - 1


def local_segments(changed: np.ndarray, settings: MelSettings) -> list[tuple[int, int]]:
    """The frame ranges :func:`rebuild_frames` iterates on for the ``changed`` frames, ``[start, stop)``.

    Each range is a run of changed frames grown by :func:`overlap_frames` on each side (the frames
    whose samples they share, so they can adapt too); ranges closer than that are merged, so no two
    ranges touch the same samples and each can be solved on its own.
    """
    m = overlap_frames(settings)
    runs = _runs(_dilate(np.asarray(changed, dtype=bool), m))
    merged: list[list[int]] = []
    for start, stop in runs:
        if merged and start - merged[-1][1] <= m:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    return [(a, b) for a, b in merged]


def _inverse_mel_magnitude(S: np.ndarray, plan: _Plan) -> np.ndarray:
    """``sqrt`` of :func:`_inverse_mel_power` (t, n_bins), solved once per distinct frame of ``S``.

    A masked frame is one fill level (or one level per band) repeated, so a time mask of any width costs
    the inverse of one frame; this also keeps the small dense product off a contended BLAS.
    """
    frames, index = np.unique(np.ascontiguousarray(S.T), axis=0, return_inverse=True)
    return np.sqrt(_inverse_mel_power(np.ascontiguousarray(frames.T), plan))[index.reshape(-1)]


def rebuild_frames(
    S: np.ndarray,
    *,
    base: Reconstruction,
    changed: np.ndarray,
    settings: MelSettings,
    method: str = DEFAULT_METHOD,
    n_iter: int | None = None,
    cancel=None,
) -> Reconstruction:
    """Rebuild only where ``S`` differs from the mel ``base`` was rebuilt for; keep ``base`` elsewhere.

    For a mel that differs from an already rebuilt one in a few frames (a time mask on a rebuilt
    spectrogram), Griffin-Lim runs on those frames and their neighbours only (:func:`local_segments`),
    starting from ``base``'s STFT; the frames around each segment are held at ``base``'s values, so the
    result joins ``base`` without a seam and samples outside the segments are ``base``'s exactly. The
    work is proportional to the frames changed, not to the clip (the SC too: only the frames whose samples
    changed are analysed again). Deterministic.

    Parameters
    ----------
    S : np.ndarray [shape=(n_mels, t)]
        Target power mel.
    base : Reconstruction
        A rebuild (same settings) of a mel equal to ``S`` outside the ``changed`` frames. Its ``mel``, when
        it has ``S``'s shape, is reused for the frames left alone.
    changed : np.ndarray [shape=(t,)], bool
        The frames where ``S`` differs from ``base``'s target.
    settings : MelSettings
    method : str
        ``"fgla-mel"`` or ``"fgla"`` (the ``"librosa"`` recipe cannot start from a waveform).
    n_iter : int, optional
        Iterations on each segment, run in full; default: at most ``LOCAL_N_ITER``, each segment ending
        early once its mel SC improves by less than ``EARLY_STOP_DB`` over ``EARLY_STOP_EVERY`` iterations.
    cancel : callable, optional
        As in :func:`reconstruct`: called once per iteration, raises to stop.

    Returns
    -------
    Reconstruction
        Its ``spectral_convergence_db`` is measured on the whole output against ``S``; ``n_iter`` is the
        most iterations run on a segment; ``phase`` is None (no whole-clip estimate is made: the next local
        solve starts from the audio, and a whole-mel warm start from the original rebuild's phase).
    """
    if not isinstance(settings, MelSettings):
        raise ParameterError(f"settings must be a MelSettings, got {type(settings).__name__}")
    if method not in ("fgla-mel", "fgla"):
        raise ParameterError(f"method must be fgla-mel or fgla to rebuild frames, got {method!r}")
    S = _check_mel(S, settings)
    n_frames = S.shape[1]
    if not isinstance(base, Reconstruction):
        raise ParameterError(f"base must be a Reconstruction, got {type(base).__name__}")
    base_y = np.asarray(base.y, dtype=np.float32).reshape(-1)
    changed = np.asarray(changed)
    if changed.shape != (n_frames,) or changed.dtype != bool:
        raise ParameterError(f"changed must be a boolean array of shape ({n_frames},), got {changed.dtype} "
                             f"{changed.shape}")
    auto = n_iter is None
    n_iter = LOCAL_N_ITER if auto else check_int("n_iter", n_iter, low=0, high=MAX_N_ITER)
    runs: list[int] = []
    length = len(base_y)
    plan = _plan(settings)
    n_fft, hop, m = settings.n_fft, settings.hop_length, overlap_frames(settings)
    support, inv_wss = _support(settings, n_frames, length)
    buf = _pad_signal(base_y, settings, n_frames)
    out = buf.copy()
    sqrt_S_all = np.sqrt(S)
    eps_amp = np.float32(1e-6 * float(sqrt_S_all.max()) + 1e-30)
    if cancel is not None:
        cancel()
    segments = local_segments(changed, settings) if length else []
    for a0, a1 in segments:
        # Frames [a0, a1) are solved; up to m frames on each side are held at base's values.
        s0, s1 = max(a0 - m, 0), min(a1 + m, n_frames)
        n_seg = s1 - s0
        lo, hi = a0 - s0, a1 - s0  # the solved rows inside the segment
        seg = slice(s0 * hop, s0 * hop + _buffer_len(settings, n_seg))
        seg_inv_wss = inv_wss[seg]
        X = _stft_buffer(buf[seg], settings, n_seg)  # base's STFT on the segment (consistent)
        A = np.abs(X[lo:hi])
        new = changed[a0:a1]
        if new.any():  # changed frames start from the inverse mel of their new target
            A[new] = _inverse_mel_magnitude(S[:, a0:a1][:, new], plan)
        sqrt_S = sqrt_S_all[:, a0:a1]
        T = X.copy()
        scale = np.empty(A.shape, dtype=np.float32)
        work = np.empty((n_seg, n_fft), dtype=np.float32)
        C_prev = None
        norm_S = float(np.linalg.norm(sqrt_S))
        last_sc = np.inf
        for done in range(1, n_iter + 1):
            if cancel is not None:
                cancel()
            Ta = T[lo:hi]
            _project_magnitude(Ta, A, scale)
            T[:lo] = X[:lo]
            T[hi:] = X[hi:]
            C = _stft_buffer(_istft_buffer(T, settings, seg_inv_wss), settings, n_seg, work)[lo:hi]
            check = auto and done % EARLY_STOP_EVERY == 0 and norm_S > 0
            if method == "fgla-mel":
                np.abs(C, out=A)
                mel_mag = _mel_gain_update(A, sqrt_S, plan, eps_amp)
            elif check:
                mel_mag = _mel_magnitude_of(C, plan, scale)
            _momentum(Ta, C, C_prev)
            C_prev = C
            if check:  # the same early stop as reconstruct(), on this segment's mel
                sc = _sc_of_db(mel_mag, sqrt_S, norm_S)
                if last_sc - sc < EARLY_STOP_DB:
                    break
                last_sc = sc
        runs.append(done if n_iter else 0)
        T[lo:hi] = A * _unit(T[lo:hi])
        T[:lo] = X[:lo]
        T[hi:] = X[hi:]
        solved = _istft_buffer(T, settings, seg_inv_wss)
        # The samples the solved frames cover; the rest of the segment is base's (up to rounding).
        first, last = lo * hop, (hi - 1) * hop + n_fft
        out[seg][first:last] = solved[first:last]
    y = _audio(out, settings, length, support)
    # The output's mel: the base's, except on the frames whose samples changed (each segment with its held
    # frames: no frame outside them reaches a changed sample). After all segments are written, since the
    # held frames of two segments may overlap.
    S_y = np.array(base.mel if base.mel is not None and base.mel.shape == S.shape else
                   _output_mel(base_y, settings, n_frames), dtype=np.float32)
    for a0, a1 in segments:
        s0, s1 = max(a0 - m, 0), min(a1 + m, n_frames)
        X = _stft_buffer(out[s0 * hop : s0 * hop + _buffer_len(settings, s1 - s0)], settings, s1 - s0)
        mag = np.abs(X)
        S_y[:, s0:s1] = plan.mel(mag * mag)
    return Reconstruction(y, _sc_db(S, S_y), method, max(runs, default=0), None, True, S_y)


_GRIFFINLIM_SEED_ARG = "rng" if "rng" in inspect.signature(librosa.griffinlim).parameters else "random_state"


def _librosa_recipe(S, settings, n_iter, length, seed):
    """``mel_to_audio`` equivalent: librosa's NNLS inverse mel, then librosa.griffinlim."""
    mag = librosa.feature.inverse.mel_to_stft(
        S, sr=settings.sr, n_fft=settings.n_fft, power=2.0, fmin=settings.fmin, fmax=settings.fmax_hz,
    )
    n_frames = S.shape[1]
    # librosa.griffinlim needs a length whose STFT has t frames; otherwise run on (t-1)*hop samples
    # and trim / zero-pad to the requested length afterwards.
    inner = length if settings.n_frames(length) == n_frames else (n_frames - 1) * settings.hop_length
    y_inner = librosa.griffinlim(
        mag, n_iter=n_iter, hop_length=settings.hop_length, win_length=settings.n_fft, n_fft=settings.n_fft,
        window=settings.window, center=True, length=inner, pad_mode="constant", momentum=MOMENTUM,
        init="random", **{_GRIFFINLIM_SEED_ARG: np.random.default_rng(seed)},
    )
    y = np.zeros(length, dtype=np.float32)
    y[: min(length, inner)] = y_inner[:length]
    # The phase of the output's STFT, so a fast method can warm-start from a librosa render.
    X = _stft_buffer(_pad_signal(y, settings, n_frames), settings, n_frames)
    return y, np.ascontiguousarray(_unit(X).T)
