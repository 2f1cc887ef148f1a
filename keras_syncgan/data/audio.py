"""Spoken digits as audio: WAV input/output, datasets, and spectrogram "images".

`load_spoken_digits` returns `(x_train, y_train), (x_test, y_test)`: waveforms as `float32` arrays of
shape `(n, round(duration * sample_rate))` with values in [-1, 1], labels as `int64` arrays of shape
`(n,)`. Every clip goes through the same steps: decode, trim leading and trailing silence, fit to the
fixed duration (centred by default), resample to `sample_rate`, scale to a peak of 1.

Sources and licences:

- `"fsdd"`: the Free Spoken Digit Dataset (Z. Jackson et al., CC BY-SA 4.0,
  https://github.com/Jakobovski/free-spoken-digit-dataset): 3,000 recordings of 6 speakers at 8 kHz.
  It is read in place, never copied: from `path`, else `$KERAS_SYNCGAN_FSDD`, else
  `../shared/data/fsdd` next to the project folder. Official split: recordings 0-4 of every
  digit and speaker are the test set, 5-49 the training set.
- `"espeak"`: synthetic digits spoken by the `espeak-ng` program (Debian package `espeak-ng`),
  made once and cached as an `.npz`. The test split is an accent never heard in training
  (see `EspeakDigitsConfig`).

WAV files are decoded and resampled with tensorflow-io (`tfio.audio.decode_wav`,
`tfio.audio.resample`). When its native library cannot load (tensorflow-io 0.37 only works with
TensorFlow 2.16-2.17), one warning is emitted and `tf.audio.decode_wav` (16-bit PCM only) plus
`scipy.signal.resample_poly` (polyphase FIR, Kaiser window) are used instead. TensorFlow is only
imported inside the functions, so the package still imports on the JAX backend.

`waveform_to_spectrogram` turns waveforms into log-magnitude images in [0, 1] of shape
`(n, freq, time, 1)` for the image networks; `spectrogram_to_waveform` inverts them with Griffin-Lim.
"""

import concurrent.futures
import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import math
import os
import pathlib
import re
import shutil
import struct
import subprocess
import tempfile
import warnings
import wave

import numpy as np

from keras_syncgan.data.images import DatasetUnavailableError, _unavailable
from keras_syncgan.metrics.validation import as_real_array
from keras_syncgan.utils import atomic_write, cache_dir

FSDD_URL = "https://github.com/Jakobovski/free-spoken-digit-dataset"
FSDD_ENV_VAR = "KERAS_SYNCGAN_FSDD"
# keras_syncgan/data/audio.py -> parents[2] is the project folder; the shared data sits beside it.
FSDD_DEFAULT_DIR = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fsdd"
FSDD_FILE_NAME = re.compile(r"(?P<digit>\d)_(?P<speaker>[A-Za-z]+)_(?P<index>\d+)\.wav")
FSDD_NUM_TEST_INDICES = 5  # the official split: recordings 0-4 of each digit and speaker are the test set
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Rates outside this range are taken as a corrupt header rather than resampled.
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 1_000, 384_000
# (format tag, bits) -> what tfio.audio.decode_wav returns; it widens 24-bit PCM to int32 and reads any
# 32-bit data as float, so 32-bit integer PCM is not supported.
_SUPPORTED_PCM = {(1, 8): "uint8", (1, 16): "int16", (1, 24): "int32", (3, 32): "float32"}
_PCM_SCALE = {"uint8": 128.0, "int16": 32768.0, "int32": 2.0**31, "float32": 1.0}
_ESPEAK_CACHE_VERSION = 1  # bump when the processing changes, so that old caches are not reused


class FSDDNotFoundError(DatasetUnavailableError, FileNotFoundError):
    """FSDD is in none of the places tried. A `DatasetUnavailableError`, like the image loaders
    raise, and a `FileNotFoundError`."""


@dataclasses.dataclass(frozen=True)
class EspeakDigitsConfig:
    """The espeak-ng voices of the `"espeak"` source. Each combination says every digit once.

    Args:
        train_voices: espeak-ng accents of the training split (`espeak-ng --voices=en`).
        test_voices: accents of the test split, held out from training.
        variants: voice variants (`+m1`..`+m7` male, `+f1`..`+f4` female), applied to every accent.
        speeds: speaking rates in words per minute (`-s`).
        pitches: base pitches, 0-99 (`-p`).

    The default set (5 accents x 11 variants x 2 speeds x 10 digits: 880 training and 220 test
    clips) builds in 15-40 s on two cores; synthesis and tensorflow-io's resampler (about 5 ms a
    clip) dominate, so a larger set costs proportionally more, once.

    Example:
    >>> tiny = EspeakDigitsConfig(train_voices=("en-us",), variants=("m1",), speeds=(160,), pitches=(50,))
    >>> (x_train, y_train), (x_test, y_test) = load_spoken_digits("espeak", espeak_config=tiny)
    >>> x_train.shape, x_test.shape
    ((10, 6400), (10, 6400))
    """

    train_voices: tuple = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp")
    test_voices: tuple = ("en-029",)
    variants: tuple = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4")
    speeds: tuple = (140, 200)
    pitches: tuple = (50,)

    def __post_init__(self):
        for field in dataclasses.fields(self):
            if not getattr(self, field.name):
                raise ValueError(f"`EspeakDigitsConfig.{field.name}` must not be empty.")
        if set(self.train_voices) & set(self.test_voices):
            raise ValueError("A voice in both `train_voices` and `test_voices` would leak into the test split; "
                             f"received {self.train_voices} and {self.test_voices}.")


# ----------------------------------------------------------------------------------------------
# WAV decoding and resampling


@dataclasses.dataclass(frozen=True)
class _WavFormat:
    sample_rate: int
    dtype: str  # numpy/TensorFlow name of the stored samples


def _parse_wav_header(contents, name):
    """Validates a RIFF/WAVE file's header; raises `ValueError` naming the file and the problem."""

    def invalid(problem):
        return ValueError(f"`path` must be a mono WAV file (8/16/24-bit integer PCM or 32-bit float); "
                          f"received {name}: {problem}")

    if not contents:
        raise invalid("the file is empty (0 bytes).")
    if len(contents) < 12 or contents[:4] != b"RIFF" or contents[8:12] != b"WAVE":
        raise invalid("not a WAV file (no RIFF/WAVE header): the file is corrupt or in another format.")
    offset, fmt = 12, None
    while offset + 8 <= len(contents):
        chunk_id, size = struct.unpack_from("<4sI", contents, offset)
        body = contents[offset + 8:offset + 8 + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise invalid("corrupt WAV header (the 'fmt ' chunk is truncated).")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise invalid("corrupt WAV header (audio data before the 'fmt ' chunk).")
            if len(body) < size:
                raise invalid(f"truncated: the header announces {size} bytes of audio, the file holds {len(body)}.")
            tag, channels, rate, bits = fmt
            if (tag, bits) not in _SUPPORTED_PCM:
                raise invalid(f"unsupported sample format (format tag {tag}, {bits} bits); "
                              "use 8/16/24-bit integer PCM or 32-bit float.")
            if channels != 1:
                raise invalid(f"has {channels} channels; only mono audio is supported (mix it down first).")
            if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
                raise invalid(f"sample rate of {rate} Hz cannot be resampled (expected "
                              f"{MIN_SAMPLE_RATE}-{MAX_SAMPLE_RATE} Hz); the header is probably corrupt.")
            if size < bits // 8:
                raise invalid("contains no audio samples.")
            return _WavFormat(rate, _SUPPORTED_PCM[(tag, bits)])
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
    raise invalid("corrupt WAV file: no 'fmt ' and 'data' chunks were found.")


def _wav_bytes(waveform, sample_rate):
    """16-bit PCM mono WAV bytes of a float waveform in [-1, 1] (values outside are clipped)."""
    pcm = np.rint(np.clip(waveform, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(int(sample_rate))
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue()


@functools.lru_cache(maxsize=None)
def _tensorflow_io():
    """tensorflow-io when its native audio ops load, else None after one warning (checked once)."""
    try:
        import tensorflow as tf
        import tensorflow_io as tfio

        # `import tensorflow_io` succeeds even when its library does not match TensorFlow;
        # the mismatch only shows on the first native op, so run one.
        tfio.audio.decode_wav(_wav_bytes(np.zeros(4), 8000), dtype=tf.int16)
        return tfio
    except Exception as error:  # noqa: BLE001 - any failure means the same fallback, and it is reported
        warnings.warn(f"tensorflow-io's audio ops are unavailable ({type(error).__name__}: "
                      f"{str(error)[:200]}). Falling back to tf.audio.decode_wav (16-bit PCM only) and "
                      "scipy.signal.resample_poly. tensorflow-io 0.37 needs TensorFlow 2.16 or 2.17.",
                      RuntimeWarning, stacklevel=4)
        return None


def _decode_samples(contents, fmt, name):
    """Decodes validated WAV bytes to a float32 mono waveform in [-1, 1]."""
    import tensorflow as tf

    tfio = _tensorflow_io()
    try:
        if tfio is not None:
            samples = tfio.audio.decode_wav(contents, dtype=getattr(tf, fmt.dtype)).numpy()[:, 0]
        elif fmt.dtype == "int16":
            return tf.audio.decode_wav(contents, desired_channels=1)[0].numpy()[:, 0]
        else:
            raise ValueError(f"{name}: {fmt.dtype} samples need tensorflow-io; "
                             "without it only 16-bit PCM WAV files can be decoded.")
    except tf.errors.OpError as error:
        raise ValueError(f"{name}: the audio data cannot be decoded ({error.message}).") from None
    if fmt.dtype == "uint8":  # 8-bit WAV is unsigned, centred on 128
        samples = samples.astype(np.float32) - 128.0
    return (samples / _PCM_SCALE[fmt.dtype]).astype(np.float32)


def read_wav(path, sample_rate=None):
    """Reads a mono WAV file.

    Args:
        path: the file. 8/16/24-bit integer PCM and 32-bit float are supported.
        sample_rate: if given, the rate in Hz the file must have; a file at another rate raises
            `ValueError` rather than being silently returned at the wrong rate (see `resample`).

    Returns:
        `(waveform, sample_rate)`: a float32 array of shape `(samples,)` in [-1, 1] and an int.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is empty, corrupt, not mono, or has an unusable sample rate (or not
            `sample_rate`); the message names the file and the problem.

    Example:
    >>> write_wav("tone.wav", np.sin(np.arange(8000) * 0.1), 8000)
    >>> waveform, rate = read_wav("tone.wav")
    >>> waveform.shape, rate
    ((8000,), 8000)
    """
    if sample_rate is not None:
        _check_sample_rate(sample_rate)
    path = pathlib.Path(path)
    contents = path.read_bytes()
    fmt = _parse_wav_header(contents, path)
    if sample_rate is not None and fmt.sample_rate != sample_rate:
        raise ValueError(f"`path` must be a WAV file at sample_rate={sample_rate} Hz; received {path} at "
                         f"{fmt.sample_rate} Hz. Resample it (`keras_syncgan.data.audio.resample`) or pass "
                         "sample_rate=None.")
    return _decode_samples(contents, fmt, path), fmt.sample_rate


@contextlib.contextmanager
def _quiet_tensorflow_logger():
    """Hides TensorFlow's 'Using a while_loop for converting IO>AudioResample' note on every call."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


def resample(waveforms, rate_in, rate_out):
    """Resamples waveforms along their last axis.

    Uses `tfio.audio.resample`; without tensorflow-io, `scipy.signal.resample_poly` (a polyphase
    anti-aliasing FIR filter). Both keep frequencies below the new Nyquist frequency and remove the
    ones above it.

    Args:
        waveforms: float array of shape `(..., samples)`.
        rate_in: sample rate of `waveforms`, in Hz.
        rate_out: the sample rate wanted, in Hz.

    Returns:
        float32 array of shape `(..., about samples * rate_out / rate_in)`.

    Example:
    >>> resample(np.zeros((2, 16000)), 16000, 8000).shape
    (2, 8000)
    """
    waveforms = np.asarray(waveforms, np.float32)
    for name, rate in (("rate_in", rate_in), ("rate_out", rate_out)):
        _check_sample_rate(rate, name)
    if rate_in == rate_out:
        return waveforms
    tfio = _tensorflow_io()
    if tfio is None:
        from scipy.signal import resample_poly

        divisor = math.gcd(rate_in, rate_out)
        return resample_poly(waveforms, rate_out // divisor, rate_in // divisor, axis=-1).astype(np.float32)
    batch = waveforms.reshape(-1, waveforms.shape[-1], 1)  # tfio wants [batch, samples, channels]
    with _quiet_tensorflow_logger():
        resampled = tfio.audio.resample(batch, rate_in, rate_out).numpy()
    return resampled[..., 0].reshape(*waveforms.shape[:-1], -1)


def _check_sample_rate(rate, name="sample_rate"):
    if not isinstance(rate, (int, np.integer)) or not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise ValueError(f"`{name}` must be an integer number of Hz in [{MIN_SAMPLE_RATE}, "
                         f"{MAX_SAMPLE_RATE}]; received {name}={rate!r}.")


def write_wav(path, waveform, sample_rate):
    """Writes a mono waveform in [-1, 1] as a 16-bit PCM WAV file, atomically.

    Values outside [-1, 1] are clipped. A crash during the write never leaves a partial file.

    Args:
        path: the file to write; its folder is created.
        waveform: float array of shape `(samples,)` or `(samples, 1)`.
        sample_rate: in Hz.

    Example:
    >>> write_wav("a.wav", np.zeros(6400), 8000)
    """
    waveform = np.asarray(waveform, np.float64)
    if waveform.ndim == 2 and waveform.shape[1] == 1:
        waveform = waveform[:, 0]
    if waveform.ndim != 1:
        raise ValueError(f"`waveform` must be mono, of shape (samples,); received shape {waveform.shape}.")
    if not np.all(np.isfinite(waveform)):
        raise ValueError(f"`waveform` for {path} contains NaN or infinite values.")
    _check_sample_rate(sample_rate)
    contents = _wav_bytes(waveform, sample_rate)
    atomic_write(path, lambda tmp: pathlib.Path(tmp).write_bytes(contents))


# ----------------------------------------------------------------------------------------------
# Clip preprocessing


def trim_silence(waveform, threshold=0.05):
    """Drops the leading and trailing samples quieter than `threshold` times the clip's peak.

    Example:
    >>> trim_silence(np.array([0.0, 0.01, 0.5, -1.0, 0.2, 0.0]), threshold=0.1)
    array([ 0.5, -1. ,  0.2])
    """
    magnitude = np.abs(waveform)
    loud = np.flatnonzero(magnitude > threshold * magnitude.max(initial=0.0))
    return waveform[loud[0]:loud[-1] + 1] if loud.size else waveform[:0]


def fit_to_length(waveforms, num_samples, align="center"):
    """Pads with zeros or crops the last axis to `num_samples`.

    Args:
        waveforms: array of shape `(..., samples)`.
        num_samples: the length wanted.
        align: `"center"` keeps the clip in the middle (equal padding, or a crop of both ends);
            `"left"` keeps its start (padding or cropping at the end only).

    Example:
    >>> fit_to_length(np.ones(2), 4)
    array([0., 1., 1., 0.])
    >>> fit_to_length(np.arange(6), 2)
    array([2, 3])
    """
    if align not in ("center", "left"):
        raise ValueError(f'`align` must be "center" or "left"; received align={align!r}.')
    waveforms = np.asarray(waveforms)
    length = waveforms.shape[-1]
    shift = (num_samples - length) // 2 if align == "center" else 0  # > 0 pads the start, < 0 crops it
    source, target = max(-shift, 0), max(shift, 0)
    count = min(length - source, num_samples - target)
    fitted = np.zeros(waveforms.shape[:-1] + (num_samples,), waveforms.dtype)
    fitted[..., target:target + count] = waveforms[..., source:source + count]
    return fitted


def _reject(error, skip_bad_files):
    """Raises `error`, or only warns about it when bad files are to be skipped."""
    if not skip_bad_files:
        raise error
    warnings.warn(f"Skipping a bad file: {error}", stacklevel=4)


def _load_clips(paths, sample_rate, duration, trim_threshold, align, skip_bad_files):
    """Reads, trims, fits and resamples WAV files.

    Returns `(waveforms, kept)`: float32 `(n, duration * sample_rate)` and the indices of the
    `paths` that loaded (all of them unless `skip_bad_files`).
    """
    num_samples = round(duration * sample_rate)
    clips_by_rate = {}
    for index, path in enumerate(paths):
        try:
            waveform, rate = read_wav(path)
        except (ValueError, OSError) as error:
            _reject(error, skip_bad_files)
            continue
        # Trimming and fitting before resampling lets every clip of a rate be resampled in one batch.
        clip = fit_to_length(trim_silence(waveform, trim_threshold), round(duration * rate), align)
        clips_by_rate.setdefault(rate, []).append((index, clip))
    kept, waveforms = [], []
    for rate, items in clips_by_rate.items():
        indices, clips = zip(*items)
        kept.extend(indices)
        # Resampling can round the length by a sample; fit again.
        waveforms.append(fit_to_length(resample(np.stack(clips), rate, sample_rate), num_samples, align))
    if not kept:
        return np.zeros((0, num_samples), np.float32), np.zeros(0, np.int64)
    order = np.argsort(kept)
    waveforms = np.concatenate(waveforms)[order]
    peaks = np.abs(waveforms).max(axis=1, keepdims=True)
    return (waveforms / np.where(peaks > 0, peaks, 1.0)).astype(np.float32), np.asarray(kept)[order]


# ----------------------------------------------------------------------------------------------
# Datasets


def load_spoken_digits(source="fsdd", path=None, sample_rate=8000, duration=0.8, skip_bad_files=False,
                       trim_threshold=0.05, align="center", return_speakers=False, espeak_config=None):
    """Spoken digits 0-9 as fixed-length waveforms.

    Each clip is trimmed of the leading and trailing samples below `trim_threshold` x its peak,
    padded with zeros or cropped to `duration` (`align`), resampled to `sample_rate` and scaled
    to a peak of 1.

    Args:
        source: `"fsdd"` (Free Spoken Digit Dataset, 2,700 train / 300 test recordings of
            6 speakers) or `"espeak"` (synthetic voices from `espeak-ng`, cached after the first run).
        path: FSDD folder (or its `recordings/` subfolder). Default: `$KERAS_SYNCGAN_FSDD`, else
            `../shared/data/fsdd` beside the project folder.
        sample_rate: sample rate of the returned waveforms, in Hz.
        duration: length of every clip, in seconds.
        skip_bad_files: skip unreadable or invalid files with a warning naming each, instead of
            raising a `ValueError`.
        trim_threshold: silence threshold, relative to each clip's peak amplitude.
        align: `"center"` centres each trimmed clip in the window (a clip that is too long loses
            both ends); `"left"` starts it at sample 0 (a clip that is too long loses its end).
        return_speakers: also return the speaker of every clip (FSDD: the speaker's name;
            espeak: `"voice+variant"`) as a third array of strings per split.
        espeak_config: an `EspeakDigitsConfig` (voices, variants, speeds, pitches) for
            `source="espeak"`; default `EspeakDigitsConfig()`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`, or `(x_train, y_train, speakers_train),
        (x_test, y_test, speakers_test)` with `return_speakers=True`.

    Raises:
        FSDDNotFoundError: FSDD is in none of the places tried (the message lists them).
        FileNotFoundError: `path` does not exist.
        DatasetUnavailableError: `espeak-ng` is not installed.
        ValueError: a bad file (named in the message), unless `skip_bad_files`.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_spoken_digits("fsdd")  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((2700, 6400), (300, 6400))
    """
    _check_sample_rate(sample_rate)
    if not 0 < duration <= 60:
        raise ValueError(f"`duration` must be in (0, 60] seconds; received duration={duration!r}.")
    if not 0 <= trim_threshold < 1:
        raise ValueError(f"`trim_threshold` must be in [0, 1); received trim_threshold={trim_threshold!r}.")
    if align not in ("center", "left"):
        raise ValueError(f'`align` must be "center" or "left"; received align={align!r}.')
    options = dict(sample_rate=sample_rate, duration=duration, trim_threshold=trim_threshold, align=align,
                   skip_bad_files=skip_bad_files)
    if source == "fsdd":
        arrays = _load_fsdd(path, **options)
    elif source == "espeak":
        arrays = _load_espeak(espeak_config or EspeakDigitsConfig(), **options)
    else:
        raise ValueError(f'`source` must be "fsdd" or "espeak"; received source={source!r}.')
    keys = ("x", "y", "speakers") if return_speakers else ("x", "y")
    return tuple(tuple(arrays[f"{key}_{split}"] for key in keys) for split in ("train", "test"))


def find_fsdd(path=None):
    """The folder of FSDD's `.wav` recordings.

    Looks in `path` if given, else in `$KERAS_SYNCGAN_FSDD` and then `../shared/data/fsdd` beside
    the project folder; each may be the FSDD folder or its `recordings/` subfolder.
    """
    if path is not None:
        candidates = [pathlib.Path(path).expanduser()]
        if not candidates[0].exists():
            raise FileNotFoundError(f"The FSDD folder {candidates[0]} does not exist. {_fsdd_how_to()}")
    else:
        candidates = [pathlib.Path(p).expanduser() for p in (os.environ.get(FSDD_ENV_VAR), FSDD_DEFAULT_DIR) if p]
    tried = []
    for candidate in candidates:
        for folder in (candidate / "recordings", candidate):
            if folder.is_dir() and any(folder.glob("*.wav")):
                return folder
        tried.append(f"  - {candidate}: " + ("no .wav files in it or in its recordings/ subfolder"
                                             if candidate.exists() else "does not exist"))
    raise FSDDNotFoundError("The Free Spoken Digit Dataset was not found. Tried:\n" + "\n".join(tried)
                            + f"\n{_fsdd_how_to()}")


def _fsdd_how_to():
    return (f"To get it (CC BY-SA 4.0): `git clone {FSDD_URL}` (or download its archive) and pass "
            f"`path=` or set ${FSDD_ENV_VAR} to the clone.")


def _load_fsdd(path, skip_bad_files, **options):
    folder = find_fsdd(path)
    files, names = [], []
    for file in sorted(folder.glob("*.wav")):
        match = FSDD_FILE_NAME.fullmatch(file.name)
        if match is None:
            _reject(ValueError(f"{file}: the name does not follow FSDD's {{digit}}_{{speaker}}_{{index}}.wav."),
                    skip_bad_files)
            continue
        files.append(file)
        names.append(match)
    waveforms, kept = _load_clips(files, skip_bad_files=skip_bad_files, **options)
    digits = np.array([int(names[i]["digit"]) for i in kept], np.int64)
    speakers = np.array([names[i]["speaker"] for i in kept], str)
    is_test = np.array([int(names[i]["index"]) < FSDD_NUM_TEST_INDICES for i in kept], bool)
    return _split_arrays(waveforms, digits, speakers, is_test)


def _split_arrays(waveforms, digits, speakers, is_test):
    arrays = {}
    for split, mask in (("train", ~is_test), ("test", is_test)):
        arrays.update({f"x_{split}": waveforms[mask], f"y_{split}": digits[mask], f"speakers_{split}": speakers[mask]})
    return arrays


def _load_espeak(config, **options):
    """Synthesises the digits with espeak-ng once per configuration, then reads the cached `.npz`."""
    if shutil.which("espeak-ng") is None:
        raise _unavailable("espeak-ng spoken digits", [("espeak-ng", "not found on PATH")],
                           "`apt-get install espeak-ng` (Debian/Ubuntu), or use source='fsdd'.")
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True, check=True).stdout
    key = json.dumps([_ESPEAK_CACHE_VERSION, version.strip(), dataclasses.asdict(config), options], sort_keys=True)
    target = cache_dir("datasets") / f"espeak-digits-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"
    if target.exists():
        with np.load(target) as cached:
            return dict(cached)
    jobs = [(digit, voice, variant, speed, pitch, voice in config.test_voices)
            for voice in (*config.train_voices, *config.test_voices) for variant in config.variants
            for speed in config.speeds for pitch in config.pitches for digit in range(10)]
    with tempfile.TemporaryDirectory() as tmp:
        files = [pathlib.Path(tmp, f"{i:06d}.wav") for i in range(len(jobs))]
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(_speak, jobs, files))  # list() re-raises the first failure
        waveforms, kept = _load_clips(files, **options)
    digits, voices, variants, _, _, is_test = (np.array(column) for column in zip(*jobs))
    speakers = np.char.add(np.char.add(voices, "+"), variants)
    arrays = _split_arrays(waveforms, digits[kept].astype(np.int64), speakers[kept], is_test[kept])
    atomic_write(target, lambda tmp: np.savez(tmp, **arrays))
    return arrays


def _speak(job, file):
    digit, voice, variant, speed, pitch, _ = job
    command = ["espeak-ng", "-v", f"{voice}+{variant}", "-s", str(speed), "-p", str(pitch), "-w", str(file),
               DIGIT_WORDS[digit]]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ValueError(f"`{' '.join(command)}` failed: {(result.stderr or result.stdout).strip()}")


# ----------------------------------------------------------------------------------------------
# Spectrogram images


@dataclasses.dataclass(frozen=True)
class _StftSetup:
    frame_length: int
    frame_step: int
    fft_length: int
    n_mels: int | None
    sample_rate: int
    db_range: tuple

    @property
    def num_bins(self):  # the Nyquist bin is dropped: it holds almost nothing and makes the height odd
        return self.fft_length // 2

    def padding(self, num_frames, num_samples):
        """Zeros before and after the waveform so that `num_frames` frames cover it, centred."""
        before = (self.frame_length - self.frame_step) // 2
        return before, (num_frames - 1) * self.frame_step + self.frame_length - num_samples - before

    def reference(self):
        """Magnitude of a full-scale sine (amplitude 1) at a bin centre: it is 0 dB."""
        import tensorflow as tf

        return float(tf.reduce_sum(tf.signal.hann_window(self.frame_length))) / 2.0

    def mel_matrix(self):
        import tensorflow as tf

        return tf.signal.linear_to_mel_weight_matrix(self.n_mels, self.num_bins, self.sample_rate,
                                                     lower_edge_hertz=0.0,
                                                     upper_edge_hertz=self.sample_rate / 2).numpy()


def _stft_setup(frame_length, frame_step, fft_length, n_mels, sample_rate, db_range):
    fft_length = fft_length or 2 ** math.ceil(math.log2(frame_length))
    if not 0 < frame_step <= frame_length <= fft_length:
        raise ValueError("Need 0 < frame_step <= frame_length <= fft_length; received "
                         f"frame_step={frame_step}, frame_length={frame_length}, fft_length={fft_length}.")
    if len(db_range) != 2 or not db_range[0] < db_range[1]:
        raise ValueError(f"`db_range` must be (low, high) with low < high; received db_range={db_range!r}.")
    _check_sample_rate(sample_rate)
    return _StftSetup(frame_length, frame_step, fft_length, n_mels, sample_rate, tuple(db_range))


def _magnitudes(waveforms, setup, num_frames):
    """|STFT| of `(n, samples)` waveforms as `(n, num_frames, fft_length // 2 + 1)`."""
    import tensorflow as tf

    before, after = setup.padding(num_frames, waveforms.shape[-1])
    padded = tf.pad(tf.convert_to_tensor(waveforms, tf.float32), [[0, 0], [before, after]])
    return tf.abs(tf.signal.stft(padded, setup.frame_length, setup.frame_step, setup.fft_length))


def _in_batches(function, array, batch_size=256):
    """Applies `function` to slices of `array`, to bound the memory of the STFTs."""
    return np.concatenate([function(array[i:i + batch_size]) for i in range(0, max(len(array), 1), batch_size)])


def waveform_to_spectrogram(waveforms, frame_length=256, frame_step=100, fft_length=None, n_mels=None,
                            sample_rate=8000, db_range=(-80.0, 0.0)):
    """Log-magnitude spectrogram "images" of waveforms, in [0, 1].

    The STFT uses a Hann window and centred frames: `ceil(samples / frame_step)` frames cover the
    clip. Magnitudes are in dB relative to a full-scale sine (amplitude 1 is 0 dB) and mapped
    linearly from the fixed range `db_range` to [0, 1] (clipped), so the same value means the same
    loudness in every clip. The defaults suit 8 kHz, 0.8 s clips: 32 ms windows every 12.5 ms
    (61% overlap, enough for Griffin-Lim), giving 128 linear frequency bins (31 Hz apart,
    0-3969 Hz) x 64 frames.

    Args:
        waveforms: float array `(n, samples)` or `(samples,)` in [-1, 1].
        frame_length: window length, in samples.
        frame_step: hop between frames, in samples.
        fft_length: FFT size; default the power of 2 >= `frame_length`. The image has
            `fft_length // 2` frequency rows (the Nyquist bin is dropped).
        n_mels: if given, that many mel bands (0 Hz to `sample_rate / 2`) instead of linear bins.
            Compact, but inverts less well.
        sample_rate: used for the mel scale only.
        db_range: `(low, high)` dB mapped to 0 and 1.

    Returns:
        float32 array `(n, freq, time, 1)`, lowest frequency in row 0. `freq` and `time` must be
        multiples of 4 (the image networks halve them twice); a `ValueError` says otherwise.

    Example:
    >>> spectrograms = waveform_to_spectrogram(np.zeros((2, 6400)))
    >>> spectrograms.shape
    (2, 128, 64, 1)
    """
    setup = _stft_setup(frame_length, frame_step, fft_length, n_mels, sample_rate, db_range)
    waveforms = as_real_array(waveforms, "waveforms")
    waveforms = waveforms[None] if waveforms.ndim == 1 else waveforms
    if waveforms.ndim != 2 or waveforms.shape[1] == 0:
        raise ValueError(f"`waveforms` must have shape (n, samples) or (samples,) with samples >= 1; received "
                         f"{waveforms.shape}.")
    num_frames = -(-waveforms.shape[1] // frame_step)
    num_rows = n_mels or setup.num_bins
    if num_rows % 4 or num_frames % 4:
        raise ValueError(f"The spectrogram would be {num_rows} x {num_frames} (frequency x time); both must be "
                         "multiples of 4 for the image networks. Change `fft_length`/`n_mels`, `frame_step` or "
                         "the clip duration.")
    mel = setup.mel_matrix() if n_mels else None
    low, high = setup.db_range

    def to_image(batch):
        magnitude = _magnitudes(batch, setup, num_frames).numpy()[..., :setup.num_bins] / setup.reference()
        if mel is not None:
            magnitude = magnitude @ mel
        decibels = 20.0 * np.log10(np.maximum(magnitude, 1e-10))
        return np.clip((decibels - low) / (high - low), 0.0, 1.0).transpose(0, 2, 1)[..., None]

    return _in_batches(to_image, waveforms).astype(np.float32)


def spectrogram_to_waveform(spectrograms, n_iter=32, frame_length=256, frame_step=100, fft_length=None,
                            n_mels=None, sample_rate=8000, db_range=(-80.0, 0.0), momentum=0.99, seed=0):
    """Waveforms back from `waveform_to_spectrogram` images, by Griffin-Lim phase recovery.

    The STFT settings must be those that made the images. The normalisation is undone (0 maps to
    silence), mel bands are mapped back to linear bins with the pseudo-inverse of the mel matrix,
    and `n_iter` rounds of fast Griffin-Lim (Perraudin et al., 2013: Griffin-Lim with `momentum`;
    0 gives the original algorithm) alternate `tf.signal.inverse_stft` and `tf.signal.stft`,
    starting from random phases drawn with `seed`.

    Args:
        spectrograms: float array `(n, freq, time, 1)` or `(n, freq, time)`, values in [0, 1].
        n_iter: Griffin-Lim iterations; 32-64 is plenty at these sizes.
        momentum: the fast Griffin-Lim acceleration; values near 1 converge fastest.
        seed: seed of the initial phases.

    Returns:
        float32 array `(n, time * frame_step)` (0.8 s at 8 kHz for the defaults).

    Example:
    >>> spectrograms = waveform_to_spectrogram(np.random.uniform(-1, 1, (2, 6400)))
    >>> spectrogram_to_waveform(spectrograms, n_iter=8).shape
    (2, 6400)
    """
    import tensorflow as tf

    setup = _stft_setup(frame_length, frame_step, fft_length, n_mels, sample_rate, db_range)
    spectrograms = np.asarray(spectrograms, np.float32)
    spectrograms = spectrograms[..., 0] if spectrograms.ndim == 4 else spectrograms
    num_rows = n_mels or setup.num_bins
    if spectrograms.ndim != 3 or spectrograms.shape[1] != num_rows:
        raise ValueError(f"`spectrograms` must have shape (n, {num_rows}, time[, 1]) for these settings; "
                         f"received {spectrograms.shape}.")
    num_frames = spectrograms.shape[2]
    num_samples = num_frames * frame_step
    before, _ = setup.padding(num_frames, num_samples)
    low, high = setup.db_range
    unmel = np.linalg.pinv(setup.mel_matrix()) if n_mels else None
    window_fn = tf.signal.inverse_stft_window_fn(frame_step)
    rng = np.random.default_rng(seed)

    def invert(batch):
        decibels = low + np.clip(batch.transpose(0, 2, 1), 0.0, 1.0) * (high - low)
        magnitude = np.where(decibels > low, 10.0 ** (decibels / 20.0), 0.0)  # the floor stands for silence
        if unmel is not None:
            magnitude = np.maximum(magnitude @ unmel, 0.0)
        magnitude = np.pad(magnitude, [(0, 0), (0, 0), (0, 1)]) * setup.reference()  # restore the Nyquist bin
        magnitude = tf.constant(magnitude, tf.complex64)
        phase = tf.constant(np.exp(2j * np.pi * rng.random(magnitude.shape)), tf.complex64)
        previous = tf.zeros_like(magnitude)
        for _ in range(n_iter):
            signal = tf.signal.inverse_stft(magnitude * phase, setup.frame_length, frame_step, setup.fft_length,
                                            window_fn=window_fn)
            rebuilt = tf.signal.stft(signal, setup.frame_length, frame_step, setup.fft_length)
            accelerated = rebuilt - (momentum / (1.0 + momentum)) * previous  # as in librosa.griffinlim
            previous = rebuilt
            phase = accelerated / tf.cast(tf.maximum(tf.abs(accelerated), 1e-12), tf.complex64)
        signal = tf.signal.inverse_stft(magnitude * phase, setup.frame_length, frame_step, setup.fft_length,
                                        window_fn=window_fn)
        return signal.numpy()[:, before:before + num_samples]

    return _in_batches(invert, spectrograms).astype(np.float32)
