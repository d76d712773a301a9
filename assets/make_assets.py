"""Re-create the bundled example clips in assets/ (run: python assets/make_assets.py).

- speech.wav: English speech from espeak-ng (Debian package `espeak-ng`), resampled to 22050 Hz.
- music.wav: a short synthesised chord progression with a melody and percussion (pure numpy).
Both are generated here by us and released under CC0 1.0 (see assets/LICENSE.md).
"""

from __future__ import annotations

import pathlib
import subprocess
import tempfile

import numpy as np
import soundfile as sf

HERE = pathlib.Path(__file__).resolve().parent
SR = 22050

SPEECH_TEXT = (
    "Spec augment masks bands of frequency and stretches of time. "
    "Listen to what the model hears when the sliders move."
)


def make_speech(path: pathlib.Path) -> None:
    import librosa

    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "speech.wav"
        subprocess.run(
            ["espeak-ng", "-v", "en-us", "-s", "150", "-p", "45", "-w", str(raw), SPEECH_TEXT],
            check=True,
        )
        y, sr = sf.read(raw, dtype="float32")
    y = librosa.resample(y, orig_sr=sr, target_sr=SR)
    y = 0.7 * y / np.max(np.abs(y))
    sf.write(path, y, SR, subtype="PCM_16")


def _note(freq: float, dur: float, *, partials=(1.0, 0.5, 0.25, 0.12), decay: float = 3.0) -> np.ndarray:
    t = np.arange(int(dur * SR)) / SR
    tone = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(partials))
    env = np.minimum(1.0, t / 0.01) * np.exp(-decay * t)
    return tone * env


def make_music(path: pathlib.Path, *, seconds: float = 6.0) -> None:
    rng = np.random.default_rng(2019)
    out = np.zeros(int(seconds * SR))
    beat = 0.375  # 160 bpm eighths
    chords = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63), (196.0, 246.94, 329.63)]
    melody = [659.25, 587.33, 523.25, 587.33, 659.25, 783.99, 659.25, 587.33]
    for bar in range(int(seconds / (8 * beat * 0.5)) + 1):
        start = int(bar * 8 * beat * 0.5 * SR)
        for f in chords[bar % len(chords)]:
            seg = 0.25 * _note(f, 1.5, decay=1.5)
            end = min(len(out), start + len(seg))
            out[start:end] += seg[: end - start]
    for i in range(int(seconds / (beat * 0.5))):
        start = int(i * beat * 0.5 * SR)
        f = melody[i % len(melody)]
        seg = 0.3 * _note(f, 0.4, partials=(1.0, 0.3, 0.1), decay=6.0)
        end = min(len(out), start + len(seg))
        out[start:end] += seg[: end - start]
        # hi-hat: short burst of high-passed noise on every eighth
        n = int(0.03 * SR)
        hat = np.diff(rng.standard_normal(n + 1)) * np.exp(-np.arange(n) / (0.006 * SR)) * 0.08
        end = min(len(out), start + n)
        out[start:end] += hat[: end - start]
    out = 0.7 * out / np.max(np.abs(out))
    sf.write(path, out.astype(np.float32), SR, subtype="PCM_16")


if __name__ == "__main__":
    make_speech(HERE / "speech.wav")
    make_music(HERE / "music.wav")
    print("wrote", HERE / "speech.wav", "and", HERE / "music.wav")
