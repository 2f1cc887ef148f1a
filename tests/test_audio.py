"""Tests of keras_syncgan.data.audio.

Most tests write their own small WAV files (sines, known samples, broken files) into `tmp_path`;
the FSDD and espeak-ng tests skip, with the reason, when those are absent. The Griffin-Lim quality
check is `slow`; `python tests/test_audio.py` runs it and prints its numbers.
"""

import ast
import io
import os
import pathlib
import shutil
import sys
import time
import warnings
import wave

import numpy as np
import pytest

from keras_syncgan.data import audio

RATE = 8000


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_SYNCGAN_HOME", str(tmp_path / "home"))


def _pcm_wav_bytes(samples, rate, channels=1, width=2):
    """WAV bytes of integer `samples` ((n,) or (n, channels)), written by the standard library."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(np.ascontiguousarray(samples).tobytes())
    return buffer.getvalue()


def _sine(frequency, seconds, rate, amplitude=0.5):
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(round(seconds * rate)) / rate)


def _write_sine(path, frequency=500.0, seconds=0.3, rate=RATE, amplitude=0.5):
    path.write_bytes(_pcm_wav_bytes(np.rint(_sine(frequency, seconds, rate, amplitude) * 32767).astype("<i2"), rate))
    return path


def _peak_frequency(waveform, rate):
    spectrum = np.abs(np.fft.rfft(waveform * np.hanning(len(waveform))))
    return np.argmax(spectrum) * rate / len(waveform)


def _fake_fsdd(folder, indices=(0, 5, 6), speakers=("alice", "bob")):
    """An FSDD-like folder of short sines: digit d is a (300 + 100 d) Hz tone."""
    recordings = folder / "recordings"
    recordings.mkdir(parents=True)
    for digit in range(10):
        for speaker in speakers:
            for index in indices:
                _write_sine(recordings / f"{digit}_{speaker}_{index}.wav", 300 + 100 * digit, 0.2 + 0.01 * index)
    return folder


@pytest.fixture
def without_tensorflow_io(monkeypatch):
    """Makes `import tensorflow_io` fail, as when its library does not match TensorFlow."""
    monkeypatch.setitem(sys.modules, "tensorflow_io", None)
    audio._tensorflow_io.cache_clear()
    yield
    audio._tensorflow_io.cache_clear()


# ----------------------------------------------------------------------------------------------
# Decoding, resampling, writing


def test_read_wav_keeps_samples_and_length(tmp_path):
    samples = np.array([0, 1, -1, 1000, -1000, 32767, -32768] * 100, "<i2")
    (tmp_path / "a.wav").write_bytes(_pcm_wav_bytes(samples, 11025))
    waveform, rate = audio.read_wav(tmp_path / "a.wav")
    assert rate == 11025 and waveform.dtype == np.float32 and waveform.shape == (700,)
    np.testing.assert_array_equal(waveform, samples / 32768.0)

    unsigned = np.array([128, 0, 255, 192], np.uint8)  # 8-bit WAV is unsigned, centred on 128
    (tmp_path / "b.wav").write_bytes(_pcm_wav_bytes(unsigned, RATE, width=1))
    np.testing.assert_array_equal(audio.read_wav(tmp_path / "b.wav")[0], [0.0, -1.0, 127 / 128, 0.5])

    packed_24_bit = bytes([0, 0, 0, 0, 0, 0x40, 0, 0, 0x80])  # 0, 2**22, -2**23 little-endian
    (tmp_path / "c.wav").write_bytes(_pcm_wav_bytes(np.frombuffer(packed_24_bit, np.uint8), RATE, width=3))
    np.testing.assert_array_equal(audio.read_wav(tmp_path / "c.wav")[0], [0.0, 0.5, -1.0])


def test_write_wav_round_trip_is_16_bit_and_atomic(tmp_path):
    waveform = np.concatenate([_sine(440, 0.1, RATE), [1.5, -2.0]])  # the last two are clipped
    audio.write_wav(tmp_path / "out" / "x.wav", waveform, RATE)
    assert os.listdir(tmp_path / "out") == ["x.wav"]  # no temporary file left behind
    with wave.open(str(tmp_path / "out" / "x.wav")) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, RATE)
    decoded, rate = audio.read_wav(tmp_path / "out" / "x.wav")
    np.testing.assert_allclose(decoded[:-2], waveform[:-2], atol=1.0 / 32767)
    np.testing.assert_allclose(decoded[-2:], [32767 / 32768, -32767 / 32768])
    with pytest.raises(ValueError, match="mono"):
        audio.write_wav(tmp_path / "s.wav", np.zeros((10, 2)), RATE)
    with pytest.raises(ValueError, match="NaN"):
        audio.write_wav(tmp_path / "n.wav", np.array([0.0, np.nan]), RATE)


def test_resample_16k_to_8k_keeps_frequency_and_removes_aliases():
    tone = _sine(1000, 1.0, 16000)
    resampled = audio.resample(tone, 16000, 8000)
    assert resampled.shape == (8000,)
    assert abs(_peak_frequency(resampled, 8000) - 1000) < 2
    assert np.sqrt(np.mean(resampled**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.02)
    too_high = audio.resample(_sine(5000, 1.0, 16000), 16000, 8000)  # above the new Nyquist frequency
    assert np.sqrt(np.mean(too_high**2)) < 0.01
    assert audio.resample(np.zeros((3, 2, 1600)), 16000, 8000).shape == (3, 2, 800)


def test_fallback_without_tensorflow_io_warns_once_and_matches(tmp_path, without_tensorflow_io):
    samples = np.array([0, 5, -7, 32767, -32768] * 40, "<i2")
    (tmp_path / "a.wav").write_bytes(_pcm_wav_bytes(samples, RATE))
    with pytest.warns(RuntimeWarning, match="tensorflow-io") as caught:
        waveform, _ = audio.read_wav(tmp_path / "a.wav")
        resampled = audio.resample(_sine(1000, 1.0, 16000), 16000, 8000)
    assert len([w for w in caught if "tensorflow-io" in str(w.message)]) == 1
    np.testing.assert_array_equal(waveform, samples / 32768.0)
    assert resampled.shape == (8000,) and abs(_peak_frequency(resampled, 8000) - 1000) < 2
    (tmp_path / "b.wav").write_bytes(_pcm_wav_bytes(np.zeros(4, np.uint8), RATE, width=1))
    with pytest.raises(ValueError, match="b.wav.*16-bit"):
        audio.read_wav(tmp_path / "b.wav")


def _bad_files(folder):
    """Broken WAV files, each with a fragment of the expected error message."""
    good = _pcm_wav_bytes(np.zeros(100, "<i2"), RATE)
    with_rate = lambda rate: good[:24] + rate.to_bytes(4, "little") + good[28:]  # noqa: E731
    cases = {
        "corrupt.wav": (b"this is not audio" * 8, "not a WAV file"),
        "empty.wav": (b"", "empty"),
        "stereo.wav": (_pcm_wav_bytes(np.zeros((100, 2), "<i2"), RATE, channels=2), "2 channels"),
        "zero_rate.wav": (with_rate(0), "0 Hz"),
        "absurd_rate.wav": (with_rate(10**9), "1000000000 Hz"),
        "truncated.wav": (good[:-50], "truncated"),
        "no_samples.wav": (_pcm_wav_bytes(np.zeros(0, "<i2"), RATE), "no audio samples"),
        "int32.wav": (_pcm_wav_bytes(np.zeros(10, "<i4"), RATE, width=4), "unsupported sample format"),
    }
    for name, (contents, _) in cases.items():
        (folder / name).write_bytes(contents)
    return {folder / name: problem for name, (_, problem) in cases.items()}


def test_bad_files_raise_value_errors_naming_file_and_problem(tmp_path):
    for path, problem in _bad_files(tmp_path).items():
        with pytest.raises(ValueError, match=problem) as error:
            audio.read_wav(path)
        assert str(path) in str(error.value)
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        audio.read_wav(tmp_path / "missing.wav")


# ----------------------------------------------------------------------------------------------
# Trimming, fitting, loading


def test_trim_silence_is_relative_to_the_peak():
    waveform = np.array([0.0, 0.01, 0.2, -1.0, 0.5, 0.03, 0.0])
    np.testing.assert_array_equal(audio.trim_silence(waveform, 0.05), [0.2, -1.0, 0.5])
    np.testing.assert_array_equal(audio.trim_silence(waveform * 0.01, 0.05), [0.002, -0.01, 0.005])
    np.testing.assert_array_equal(audio.trim_silence(waveform, 0.0), waveform[1:6])
    assert audio.trim_silence(np.zeros(5)).size == 0


@pytest.mark.parametrize("align, length, expected", [
    ("center", 7, [0, 1, 2, 3, 4, 5, 0]),  # an odd margin goes to the end
    ("center", 3, [2, 3, 4]),
    ("left", 7, [1, 2, 3, 4, 5, 0, 0]),
    ("left", 3, [1, 2, 3]),
])
def test_fit_to_length_pads_or_crops(align, length, expected):
    waveform = np.arange(1, 6)
    np.testing.assert_array_equal(audio.fit_to_length(waveform, length, align), expected)
    batch = audio.fit_to_length(np.stack([waveform, waveform]), length, align)
    np.testing.assert_array_equal(batch, [expected, expected])


def test_fit_to_length_rejects_unknown_alignment():
    with pytest.raises(ValueError, match="align"):
        audio.fit_to_length(np.ones(3), 5, align="right")


def test_load_fsdd_layout_split_labels_and_alignment(tmp_path):
    folder = _fake_fsdd(tmp_path / "fsdd")
    # A 16 kHz clip among the 8 kHz ones is resampled; its tone must stay at 700 Hz.
    _write_sine(folder / "recordings" / "4_carol_7.wav", 700, 0.3, rate=16000)
    (x_train, y_train, s_train), (x_test, y_test, s_test) = audio.load_spoken_digits(
        path=folder, duration=0.5, return_speakers=True)
    assert x_train.shape == (41, 4000) and x_test.shape == (20, 4000)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y_test), [2] * 10)
    assert set(s_train) == {"alice", "bob", "carol"} and set(s_test) == {"alice", "bob"}
    np.testing.assert_allclose(np.abs(x_train).max(axis=1), 1.0, atol=1e-6)  # scaled to a peak of 1
    carol = x_train[s_train == "carol"][0]
    assert abs(_peak_frequency(carol, RATE) - 700) < 5
    # 0.2 s of tone centred in 0.5 s: 0.15 s of silence on each side.
    clip = x_test[0]
    loud = np.flatnonzero(np.abs(clip) > 0.05)
    assert abs(loud[0] - 1200) <= 8 and abs(len(clip) - 1 - loud[-1] - 1200) <= 8
    left = audio.load_spoken_digits(path=folder / "recordings", duration=0.5, align="left")[1][0][0]
    assert np.flatnonzero(np.abs(left) > 0.05)[0] <= 8


def test_fsdd_location_from_environment_and_missing_places(tmp_path, monkeypatch):
    folder = _fake_fsdd(tmp_path / "fsdd", indices=(0, 5), speakers=("alice",))
    monkeypatch.setenv(audio.FSDD_ENV_VAR, str(folder))
    (x_train, _), (x_test, _) = audio.load_spoken_digits()
    assert len(x_train) == len(x_test) == 10

    monkeypatch.setenv(audio.FSDD_ENV_VAR, str(tmp_path / "elsewhere"))
    monkeypatch.setattr(audio, "FSDD_DEFAULT_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError) as error:  # FSDDNotFoundError is also a DatasetUnavailableError
        audio.load_spoken_digits()
    assert isinstance(error.value, audio.DatasetUnavailableError)
    for expected in ("elsewhere", "nowhere", audio.FSDD_URL, audio.FSDD_ENV_VAR):
        assert expected in str(error.value)
    with pytest.raises(FileNotFoundError, match="missing_dir"):
        audio.load_spoken_digits(path=tmp_path / "missing_dir")
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(FileNotFoundError, match="empty_dir.*no .wav"):
        audio.load_spoken_digits(path=tmp_path / "empty_dir")


def test_bad_files_in_a_dataset_raise_or_are_skipped_with_a_warning(tmp_path):
    folder = _fake_fsdd(tmp_path / "fsdd", indices=(0, 5), speakers=("alice",))
    bad = _bad_files(tmp_path)
    for i, path in enumerate(bad):  # give the broken files FSDD names
        shutil.move(path, folder / "recordings" / f"{i % 10}_zed_{i}.wav")
    (folder / "recordings" / "notes.wav").write_bytes(b"")  # not an FSDD name
    with pytest.raises(ValueError, match=r"recordings/\S+\.wav"):
        audio.load_spoken_digits(path=folder)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (x_train, y_train), (x_test, _) = audio.load_spoken_digits(path=folder, skip_bad_files=True)
    messages = [str(w.message) for w in caught if "Skipping" in str(w.message)]
    assert len(messages) == len(bad) + 1
    assert any("notes.wav" in m for m in messages) and all("recordings/" in m for m in messages)
    assert len(x_train) == len(x_test) == 10


def test_invalid_arguments_are_rejected(tmp_path):
    for kwargs, fragment in [({"source": "mp3"}, "source"), ({"sample_rate": 0}, "sample_rate"),
                             ({"duration": -1}, "duration"), ({"trim_threshold": 1.5}, "trim_threshold"),
                             ({"align": "right"}, "align")]:
        with pytest.raises(ValueError, match=fragment):
            audio.load_spoken_digits(path=tmp_path, **kwargs)
    with pytest.raises(ValueError, match="leak"):
        audio.EspeakDigitsConfig(train_voices=("en-us",), test_voices=("en-us",))


def test_module_imports_tensorflow_only_inside_functions():
    """The package must import on Keras' JAX backend, where TensorFlow may be absent."""
    tree = ast.parse(pathlib.Path(audio.__file__).read_text())
    modules = [alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names]
    modules += [node.module for node in tree.body if isinstance(node, ast.ImportFrom)]
    assert not [name for name in modules if name.split(".")[0] in ("tensorflow", "tensorflow_io", "scipy")]


# ----------------------------------------------------------------------------------------------
# Spectrograms and Griffin-Lim


def test_spectrogram_shape_range_and_frequency_row():
    tone = audio.fit_to_length(_sine(1000, 0.5, RATE, amplitude=1.0), 6400)
    spectrograms = audio.waveform_to_spectrogram(np.stack([tone, np.zeros(6400)]))
    assert spectrograms.shape == (2, 128, 64, 1) and spectrograms.dtype == np.float32
    assert spectrograms.min() >= 0.0 and spectrograms.max() <= 1.0
    assert spectrograms[0, :, 32, 0].argmax() == 32  # 1000 Hz / (8000 Hz / 256) = bin 32
    assert spectrograms[0, 32, 32, 0] == pytest.approx(1.0, abs=0.01)  # a full-scale sine is 0 dB
    assert np.all(spectrograms[1] == 0.0)  # silence sits at the floor
    assert audio.waveform_to_spectrogram(tone, n_mels=64).shape == (1, 64, 64, 1)
    with pytest.raises(ValueError, match="multiples of 4"):
        audio.waveform_to_spectrogram(np.zeros((1, 6300)))


@pytest.mark.parametrize("n_mels, tolerance_hz", [(None, 10), (64, 40)])
def test_griffin_lim_round_trip_keeps_the_frequency(n_mels, tolerance_hz):
    tone = audio.fit_to_length(_sine(1000, 0.5, RATE), 6400)
    spectrogram = audio.waveform_to_spectrogram(tone, n_mels=n_mels)
    rebuilt = audio.spectrogram_to_waveform(spectrogram, n_iter=16, n_mels=n_mels)
    assert rebuilt.shape == (1, 6400) and rebuilt.dtype == np.float32
    assert abs(_peak_frequency(rebuilt[0], RATE) - 1000) < tolerance_hz
    again = audio.waveform_to_spectrogram(rebuilt, n_mels=n_mels)
    assert np.mean(np.abs(again - spectrogram)) < 0.05
    with pytest.raises(ValueError, match="shape"):
        audio.spectrogram_to_waveform(np.zeros((1, 60, 64, 1)), n_mels=n_mels)


# ----------------------------------------------------------------------------------------------
# Real data: FSDD and espeak-ng


def _fsdd_or_skip():
    try:
        return audio.find_fsdd()
    except FileNotFoundError as error:
        pytest.skip(f"FSDD is not available here: {str(error).splitlines()[0]}")


def test_fsdd_official_split():
    _fsdd_or_skip()
    (x_train, y_train, s_train), (x_test, y_test, s_test) = audio.load_spoken_digits(return_speakers=True)
    assert x_train.shape == (2700, 6400) and x_test.shape == (300, 6400)
    np.testing.assert_array_equal(np.bincount(y_train), [270] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [30] * 10)
    assert set(s_train) == set(s_test) and len(set(s_train)) == 6
    assert np.all(np.isfinite(x_train)) and np.abs(x_train).max() == pytest.approx(1.0)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_espeak_builds_and_caches_a_tiny_set(monkeypatch):
    config = audio.EspeakDigitsConfig(train_voices=("en-us",), test_voices=("en-gb-scotland",), variants=("m3", "f2"),
                                      speeds=(170,), pitches=(50,))
    (x_train, y_train, s_train), (x_test, y_test, s_test) = audio.load_spoken_digits(
        "espeak", espeak_config=config, return_speakers=True)
    assert x_train.shape == (20, 6400) and x_test.shape == (20, 6400)
    np.testing.assert_array_equal(np.bincount(y_train), [2] * 10)
    assert set(s_train) == {"en-us+m3", "en-us+f2"} and set(s_test) == {"en-gb-scotland+m3", "en-gb-scotland+f2"}
    assert (np.abs(x_train) > 0.05).sum(axis=1).min() > 800  # every clip holds speech
    assert len(list(audio.cache_dir("datasets").glob("espeak-digits-*.npz"))) == 1

    monkeypatch.setattr(audio, "_speak", None)  # a second load must come from the cache
    (cached, _), _ = audio.load_spoken_digits("espeak", espeak_config=config)
    np.testing.assert_array_equal(cached, x_train)


# ----------------------------------------------------------------------------------------------
# Griffin-Lim quality on FSDD


def _pooled(spectrograms, size):
    n, rows, frames, _ = spectrograms.shape
    blocks = spectrograms[..., 0].reshape(n, rows // size, size, frames // size, size)
    return blocks.mean(axis=(2, 4)).reshape(n, -1)


def _spectral_convergence(reference, estimate):
    """||S - S_hat|| / ||S|| of STFT magnitudes, with a window (25 ms / 10 ms) unlike the images'."""
    import tensorflow as tf

    magnitudes = [tf.abs(tf.signal.stft(x, 200, 80, 256)).numpy() for x in (reference, estimate)]
    return float(np.linalg.norm(magnitudes[0] - magnitudes[1]) / np.linalg.norm(magnitudes[0]))


def griffin_lim_quality(n_iter=32, **spectrogram_options):
    """How well FSDD test clips survive a spectrogram -> Griffin-Lim round trip.

    Returns digit accuracies of two logistic regressions trained on FSDD's training clips, on the
    original test clips and on their reconstructions: one on the images themselves (4x4-pooled),
    one on a different representation (40-band log-mel, 25 ms / 10 ms frames, 2x2-pooled). Both look
    at magnitudes only, so they barely notice phase errors (random phases score almost as well);
    the spectral convergence against the original clips does, and is returned next to its value
    for random phases (no Griffin-Lim iteration).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    (x_train, y_train), (x_test, y_test) = audio.load_spoken_digits()
    spectrograms = audio.waveform_to_spectrogram(x_test, **spectrogram_options)
    start = time.perf_counter()
    rebuilt = audio.spectrogram_to_waveform(spectrograms, n_iter=n_iter, **spectrogram_options)
    random_phase = audio.spectrogram_to_waveform(spectrograms, n_iter=0, **spectrogram_options)
    results = {
        "griffin_lim_seconds": time.perf_counter() - start,
        "spectral_convergence": _spectral_convergence(x_test, rebuilt),
        "random_phase_spectral_convergence": _spectral_convergence(x_test, random_phase),
    }
    features = {
        "same": lambda x: _pooled(audio.waveform_to_spectrogram(x, **spectrogram_options), 4),
        "log_mel": lambda x: _pooled(audio.waveform_to_spectrogram(x, frame_length=200, frame_step=80,
                                                                   n_mels=40), 2),
    }
    for name, featurize in features.items():
        classifier = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=500))
        classifier.fit(featurize(x_train), y_train)
        original = classifier.score(featurize(x_test), y_test)
        reconstructed = classifier.score(featurize(rebuilt), y_test)
        results[name] = {"original": original, "griffin_lim": reconstructed, "ratio": reconstructed / original}
    return results


@pytest.mark.slow
@pytest.mark.parametrize("n_mels", [None, 64])
def test_griffin_lim_keeps_fsdd_digits_recognisable(n_mels):
    _fsdd_or_skip()
    results = griffin_lim_quality(n_mels=n_mels)
    for name in ("same", "log_mel"):
        assert results[name]["original"] > 0.85
        assert results[name]["ratio"] >= 0.9, results
    assert results["spectral_convergence"] < 0.5 * results["random_phase_spectral_convergence"], results


if __name__ == "__main__":
    for n_mels in (None, 64):
        print(f"n_mels={n_mels}:", griffin_lim_quality(n_mels=n_mels))
