"""Tests of melwav.reconstruction (mel -> audio). No timing assertions; the speed targets live in
bench/reconstruction.py."""

from __future__ import annotations

import numpy as np
import pytest

from melwav import reconstruction as rc
from melwav.errors import ParameterError
from melwav.features import MelSettings, mel_power

SETTINGS = MelSettings()

# SC bounds on the test signal below, chosen from measurements (numbers in brackets) with margin.
SC_BOUND = {  # method -> (n_iter, bound in dB)
    "fgla-mel": (None, -25.0),  # DEFAULT_N_ITER=96 (early stop armed, did not trigger) [-29.7 dB]
    "fgla": (32, -14.0),  # [-17.9 dB]
    "librosa": (8, -14.0),  # [-17.3 dB]
}


def make_signal(sr: int = 22050, seconds: float = 2.0) -> np.ndarray:
    """A chirp, a harmonic tone and noise bursts: a bit of speech-like and music-like structure."""
    rng = np.random.default_rng(1234)
    t = np.arange(int(sr * seconds)) / sr
    y = 0.3 * np.sin(2 * np.pi * (200 * t + 0.5 * (3000 - 200) / seconds * t**2))
    for h in range(1, 6):
        y += 0.15 / h * np.sin(2 * np.pi * 330 * h * t) * (t > 0.5)
    for start in (0.125, 0.5, 0.8):  # fractions of the duration
        i0, n = int(start * seconds * sr), int(0.08 * sr)
        y[i0:i0 + n] += 0.3 * rng.standard_normal(n) * np.exp(-np.arange(n) / (0.02 * sr))
    return y.astype(np.float32)


@pytest.fixture(scope="module")
def clip():
    y = make_signal()
    return y, mel_power(y, settings=SETTINGS)


def test_interface_constants():
    assert rc.DEFAULT_METHOD == rc.METHODS[0]
    assert set(rc.METHODS) == {"fgla-mel", "fgla", "librosa"}
    assert 0 < rc.WARM_N_ITER <= rc.DEFAULT_N_ITER <= rc.MAX_N_ITER


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
def test_method_reconstructs_within_bound(clip, method):
    y, S = clip
    n_iter, bound = SC_BOUND[method]
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=n_iter, length=len(y))
    assert r.method == method
    if n_iter is None:  # the default budget, possibly cut short by the early stop
        assert 0 < r.n_iter <= rc.DEFAULT_N_ITER
    else:
        assert r.n_iter == n_iter
    assert r.y.dtype == np.float32 and r.y.shape == (len(y),)
    assert np.isfinite(r.y).all()
    assert r.phase.shape == (SETTINGS.n_bins, S.shape[1]) and r.phase.dtype == np.complex64
    np.testing.assert_allclose(np.abs(r.phase), 1.0, atol=1e-4)
    assert r.spectral_convergence_db <= bound
    # Same scale as the original (not peak-normalised): RMS within a factor of 2.
    rms = lambda a: float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))  # noqa: E731
    assert 0.5 < rms(r.y) / rms(y) < 2.0
    # The reported SC is the one the function computes.
    assert r.spectral_convergence_db == pytest.approx(rc.spectral_convergence_db(S, r.y, settings=SETTINGS))


def test_default_beats_fixed_magnitude_gla(clip):
    """Driving the mel to the target must beat classic GLA at the same iteration count."""
    y, S = clip
    mel = rc.reconstruct(S, settings=SETTINGS, method="fgla-mel", n_iter=32, length=len(y))
    lin = rc.reconstruct(S, settings=SETTINGS, method="fgla", n_iter=32, length=len(y))
    assert mel.spectral_convergence_db <= lin.spectral_convergence_db - 3.0


def test_spectral_convergence_matches_definition(clip):
    y, S = clip
    noisy = y + 0.05 * np.random.default_rng(0).standard_normal(len(y)).astype(np.float32)
    S_noisy = mel_power(noisy, settings=SETTINGS)
    want = 20 * np.log10(np.linalg.norm(np.sqrt(S) - np.sqrt(S_noisy)) / np.linalg.norm(np.sqrt(S)))
    assert rc.spectral_convergence_db(S, noisy, settings=SETTINGS) == pytest.approx(want, abs=1e-3)
    assert rc.spectral_convergence_db(S, y, settings=SETTINGS) < -80  # the original itself


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
def test_shapes_and_lengths_agree(clip, method):
    _, S = clip
    t = S.shape[1]
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=2)
    assert r.y.shape == ((t - 1) * SETTINGS.hop_length,)
    assert SETTINGS.n_frames(len(r.y)) == t
    for length in (1000, (t - 1) * SETTINGS.hop_length + 300, t * SETTINGS.hop_length + 5000):
        assert rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=1, length=length).y.shape == (length,)


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
@pytest.mark.parametrize("fill", [0.0, 1e-10, 1e-30])
def test_all_floor_mel_gives_silence(method, fill):
    S = np.full((SETTINGS.n_mels, 40), fill, dtype=np.float32)
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=4)
    assert np.isfinite(r.y).all() and np.isfinite(r.phase).all()
    assert np.abs(r.y).max() <= 1e-3
    assert np.isfinite(r.spectral_convergence_db)


def test_masked_regions_stay_quiet(clip):
    """A fully masked time stretch (zero power) must come out (nearly) silent there."""
    y, S = clip
    S = S.copy()
    S[:, 30:50] = 0.0
    r = rc.reconstruct(S, settings=SETTINGS, length=len(y))
    hop = SETTINGS.hop_length
    inner = r.y[34 * hop:46 * hop]  # away from the edges, where frames overlap unmasked ones
    assert np.abs(inner).max() < 1e-2 * np.abs(r.y).max()
    assert np.isfinite(r.spectral_convergence_db)


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
@pytest.mark.parametrize("t", [1, 2, 3])
def test_very_short_mel(clip, method, t):
    _, S = clip
    S = np.ascontiguousarray(S[:, 20:20 + t])
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=3)
    assert r.y.shape == ((t - 1) * SETTINGS.hop_length,)
    assert np.isfinite(r.y).all() and np.isfinite(r.spectral_convergence_db)
    assert r.phase.shape == (SETTINGS.n_bins, t)
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=3, length=SETTINGS.n_fft)
    assert r.y.shape == (SETTINGS.n_fft,) and np.isfinite(r.y).all()


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
def test_n_iter_zero(clip, method):
    y, S = clip
    r = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=0, length=len(y))
    assert r.n_iter == 0 and r.y.shape == (len(y),) and np.isfinite(r.y).all()
    assert r.spectral_convergence_db < 0


def test_bad_arguments(clip):
    _, S = clip
    with pytest.raises(ParameterError, match="method.*fgla-mel.*fgla.*librosa"):
        rc.reconstruct(S, settings=SETTINGS, method="nope")
    with pytest.raises(ParameterError, match="n_iter.*0.*1000"):
        rc.reconstruct(S, settings=SETTINGS, n_iter=-1)
    with pytest.raises(ParameterError, match="n_iter"):
        rc.reconstruct(S, settings=SETTINGS, n_iter=rc.MAX_N_ITER + 1)
    with pytest.raises(ParameterError, match="n_iter"):
        rc.reconstruct(S, settings=SETTINGS, n_iter=2.5)
    with pytest.raises(ParameterError, match="length"):
        rc.reconstruct(S, settings=SETTINGS, length=-5)
    with pytest.raises(ParameterError, match="seed"):
        rc.reconstruct(S, settings=SETTINGS, seed=-1)
    with pytest.raises(ParameterError, match="n_mels=128"):
        rc.reconstruct(S[:64], settings=SETTINGS)
    bad = S.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ParameterError, match="finite"):
        rc.reconstruct(bad, settings=SETTINGS)
    with pytest.raises(ParameterError, match="settings"):
        rc.reconstruct(S, settings={"sr": 22050})


@pytest.mark.parametrize("method", ["fgla-mel", "fgla", "librosa"])
def test_deterministic_for_seed(clip, method):
    _, S = clip
    a = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=5, seed=7)
    b = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=5, seed=7)
    assert np.array_equal(a.y, b.y) and np.array_equal(a.phase, b.phase)
    c = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=5, seed=8)
    assert not np.array_equal(a.y, c.y)


@pytest.mark.parametrize("method", ["fgla-mel", "fgla"])
def test_warm_start_at_least_as_good_as_cold(clip, method):
    y, S = clip
    first = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=32, length=len(y))
    S_aug = S.copy()
    S_aug[:, 40:55] = 1e-10  # an augmentation change: a time mask
    S_aug[20:35, :] = 1e-10  # and a frequency mask
    for n_iter in (4, 16):
        cold = rc.reconstruct(S_aug, settings=SETTINGS, method=method, n_iter=n_iter, length=len(y))
        warm = rc.reconstruct(S_aug, settings=SETTINGS, method=method, n_iter=n_iter, length=len(y),
                              init_phase=first.phase)
        assert warm.warm and not cold.warm
        assert warm.spectral_convergence_db <= cold.spectral_convergence_db + 0.1


def test_warm_default_iterations_and_mismatched_phase(clip):
    y, S = clip
    first = rc.reconstruct(S, settings=SETTINGS, n_iter=8)
    warm = rc.reconstruct(S, settings=SETTINGS, init_phase=first.phase)
    assert warm.warm and 0 < warm.n_iter <= rc.WARM_N_ITER
    assert rc.reconstruct(S, settings=SETTINGS, init_phase=first.phase, n_iter=rc.WARM_N_ITER + 8).n_iter == \
        rc.WARM_N_ITER + 8  # an explicit count always runs in full
    # A phase of another shape is ignored (cold start, default iterations), as is a non-finite one.
    wrong = rc.reconstruct(S, settings=SETTINGS, n_iter=2, init_phase=first.phase[:, :-1])
    assert not wrong.warm
    assert np.array_equal(wrong.y, rc.reconstruct(S, settings=SETTINGS, n_iter=2).y)
    nan = first.phase.copy()
    nan[0, 0] = np.nan
    assert not rc.reconstruct(S, settings=SETTINGS, n_iter=2, init_phase=nan).warm


@pytest.mark.parametrize("settings", [
    MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80),
    MelSettings(sr=44100, n_fft=2048, hop_length=441, n_mels=128, fmin=30.0, fmax=16000.0),
    MelSettings(sr=22050, n_fft=1024, hop_length=256, n_mels=64, window="hamming"),
])
def test_other_settings(settings):
    """Other rates / FFT sizes / hops that do not divide n_fft / band limits: still converges."""
    y = make_signal(sr=settings.sr, seconds=1.0)
    S = mel_power(y, settings=settings)
    fast = rc.reconstruct(S, settings=settings, length=len(y), n_iter=32)
    assert fast.y.shape == (len(y),) and np.isfinite(fast.y).all()
    assert fast.spectral_convergence_db <= -20.0  # [-24.6 .. -26.9 dB measured]


def test_lean_stft_matches_librosa():
    """The internal STFT/ISTFT pair frames exactly like librosa (centred, zero-padded)."""
    import librosa

    for settings in (SETTINGS, MelSettings(sr=16000, n_fft=400, hop_length=160, n_mels=40)):
        y = make_signal(sr=settings.sr, seconds=0.5)
        t = settings.n_frames(len(y))
        X = rc._stft_buffer(rc._pad_signal(y, settings, t), settings, t)
        ref = librosa.stft(y, n_fft=settings.n_fft, hop_length=settings.hop_length, window=settings.window,
                           center=True, pad_mode="constant")
        np.testing.assert_allclose(X.T, ref, atol=1e-3 * np.abs(ref).max())
        inv = rc._inverse_window_sum(settings, t).copy()
        inv[: settings.n_fft // 2] = 0
        inv[settings.n_fft // 2 + len(y):] = 0
        back = rc._istft_buffer(X, settings, inv)[settings.n_fft // 2: settings.n_fft // 2 + len(y)]
        np.testing.assert_allclose(back, y, atol=1e-4)


def plateau_mel(seed: int = 0, t: int = 60) -> np.ndarray:
    """A mel no waveform can match (noise whose every other frame is 30x louder): SC plateaus early."""
    noise = np.random.default_rng(seed).standard_normal((t - 1) * SETTINGS.hop_length).astype(np.float32)
    S = mel_power(noise, settings=SETTINGS)
    S[:, ::2] *= 30.0
    return S


@pytest.mark.parametrize("method", ["fgla-mel", "fgla"])
def test_early_stop_on_plateau_is_deterministic(method):
    S = plateau_mel()
    r = rc.reconstruct(S, settings=SETTINGS, method=method)
    # It stopped: fewer than the budget, on a check boundary [fgla-mel: 20 of 96 measured].
    assert r.n_iter < rc.DEFAULT_N_ITER and r.n_iter % rc.EARLY_STOP_EVERY == 0
    again = rc.reconstruct(S, settings=SETTINGS, method=method)
    assert again.n_iter == r.n_iter and np.array_equal(again.y, r.y) and np.array_equal(again.phase, r.phase)
    # Stopping early is exactly running that many iterations (so a replay with the count matches) ...
    fixed = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=r.n_iter)
    assert np.array_equal(fixed.y, r.y)
    # ... and going on would not have bought much: the full budget is at most 1 dB better.
    full = rc.reconstruct(S, settings=SETTINGS, method=method, n_iter=rc.DEFAULT_N_ITER)
    assert full.n_iter == rc.DEFAULT_N_ITER
    assert r.spectral_convergence_db <= full.spectral_convergence_db + 1.0


def test_early_stop_does_not_cut_a_converging_run(clip):
    """On a consistent mel the SC keeps improving, so the default runs its whole budget."""
    y, S = clip
    r = rc.reconstruct(S, settings=SETTINGS, length=len(y))
    assert r.n_iter == rc.DEFAULT_N_ITER


@pytest.mark.parametrize("settings", [SETTINGS, MelSettings(sr=16000, n_fft=512, hop_length=160, n_mels=80),
                                      MelSettings(sr=8000, n_fft=256, hop_length=80, n_mels=40)])
def test_sparse_mel_products_match_dense(settings):
    plan = rc._plan(settings)
    rng = np.random.default_rng(5)
    P = rng.random((37, settings.n_bins), dtype=np.float32)
    R = rng.random((settings.n_mels, 37), dtype=np.float32)
    basis = settings.mel_basis().astype(np.float64)
    np.testing.assert_allclose(plan.mel(P), basis @ P.T, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(plan.spread(R), basis.T @ R, rtol=1e-5, atol=1e-7)
    assert not plan.basis_csr.data.flags.writeable
