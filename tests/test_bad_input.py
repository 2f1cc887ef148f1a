"""The bad-input table: one row per way of misusing the public API.

Every row says which exception the call raises and matches a message that names the argument,
what was expected and what came; a vague message fails the `match`. Rows with a `state` also
check that the failing call lost nothing already saved (a model file, a WAV, the weights).
"""

import collections
import hashlib
import types
import wave

import numpy as np
import pytest

from conftest import small_syncgan
from keras_syncgan import CVAEGAN, SyncGAN, metrics, networks
from keras_syncgan.callbacks import AudioSamples
from keras_syncgan.data import paired_dataset, read_wav, waveform_to_spectrogram, write_wav
from keras_syncgan.evaluation import Evaluator
from test_cvaegan import small_cvaegan

N = 40  # samples per modality of the toy data
RATE = 8000


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The objects the rows misuse, built once: toy data, tiny models, a saved CVAE-GAN, WAV files."""
    folder = tmp_path_factory.mktemp("bad_input")
    x = (np.arange(N * 64).reshape(N, 8, 8) % 256).astype(np.uint8)
    y = np.arange(N) % 4
    syncgan = small_syncgan(filters=4)
    syncgan.compile()
    cvaegan = small_cvaegan(filters=4)
    cvaegan.compile()
    cvaegan_file = folder / "cvaegan.keras"
    cvaegan.save(cvaegan_file)
    tone = np.sin(np.arange(1600) * 0.3)
    write_wav(folder / "tone.wav", tone, RATE)
    write_wav(folder / "tone_16k.wav", tone, 16000)
    (folder / "corrupt.wav").write_bytes(b"this is not audio" * 8)
    (folder / "empty.wav").write_bytes(b"")
    with wave.open(str(folder / "stereo.wav"), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes(np.zeros((100, 2), "<i2").tobytes())
    return types.SimpleNamespace(x=x, y=y, pair={"a": x, "b": x}, labels={"a": y, "b": y}, syncgan=syncgan,
                                 uncompiled_syncgan=small_syncgan(filters=4), cvaegan=cvaegan,
                                 cvaegan_file=cvaegan_file, folder=folder)


def _with(mapping, **changes):
    return {**mapping, **changes}


def _syncgan_batch(api, real_modalities=("digit", "rotated")):
    """A SyncGAN training batch of 8 tuples whose `real` part holds `real_modalities`."""
    images = api.x[:8, ..., None]
    return {"real": {m: images for m in real_modalities}, "pairs": {"digit": images, "rotated": images},
            "sync": np.ones(8, np.float32)}


def _with_one_nan(images):
    pixels = images / 255.0
    pixels[3, 4, 5] = np.nan
    return pixels


def _file_state(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _saved_cvaegan_state(api):
    """The saved file's bytes and the weights it loads: both must survive a failing call."""
    return _file_state(api.cvaegan_file), CVAEGAN.load(api.cvaegan_file).get_weights()


def _syncgan_state(api):
    return api.syncgan.get_weights(), [int(o.iterations.numpy()) for o in api.syncgan.optimizers.values()]


Case = collections.namedtuple("Case", "call error match state", defaults=(None,))
RECEIVED_ARRAY = r"received ndarray of shape \({}\) and dtype {}"

CASES = {
    # ------------------------------------------------------------------ data
    "data/labels-shorter-than-images": Case(
        lambda api: paired_dataset(api.pair, _with(api.labels, a=api.y[:-1])), ValueError,
        r"`y\['a'\]` must hold one label per sample of `x\['a'\]`: expected length 40, received 39"),
    "data/modalities-of-different-lengths": Case(
        lambda api: paired_dataset(_with(api.pair, b=api.x[:30]), pair_by="index"), ValueError,
        r"`x` must have equally many samples in every modality with pair_by='index'.*"
        r"received lengths \{'a': 40, 'b': 30\}"),
    "data/modalities-of-different-lengths-with-labels": Case(
        lambda api: paired_dataset(_with(api.pair, b=api.x[:30]), _with(api.labels, b=api.y[:30]), pair_by="index"),
        ValueError, r"`x` must have equally many samples in every modality with pair_by='index'.*"
        r"received lengths \{'a': 40, 'b': 30\}"),
    "data/no-class-shared-by-the-modalities": Case(
        lambda api: paired_dataset({"a": api.x[api.y < 2], "b": api.x[api.y >= 2]},
                                   {"a": api.y[api.y < 2], "b": api.y[api.y >= 2]}), ValueError,
        r"`y` of all modalities must share at least two classes; shared: \[\]"),
    "data/string-pixels": Case(
        lambda api: paired_dataset(_with(api.pair, a=api.x.astype(str)), api.labels), ValueError,
        r"`x\['a'\]` must be uint8 images in \[0, 255\] or float images in \[0, 1\]; "
        + RECEIVED_ARRAY.format("40, 8, 8, 1", "<U3")),
    "data/complex-pixels": Case(
        lambda api: paired_dataset(_with(api.pair, a=api.x / 255.0 + 0j), api.labels), ValueError,
        r"`x\['a'\]` must be uint8 images .*; " + RECEIVED_ARRAY.format("40, 8, 8, 1", "complex128")),
    "data/int64-pixels-in-0-255": Case(
        lambda api: paired_dataset(_with(api.pair, a=api.x.astype(np.int64)), api.labels), ValueError,
        r"`x\['a'\]` must be uint8 images in \[0, 255\] or float images in \[0, 1\]; "
        + RECEIVED_ARRAY.format("40, 8, 8, 1", "int64") + r" with values in \[0, 255\]"),
    "data/rank-2-images": Case(
        lambda api: paired_dataset(_with(api.pair, a=api.x.reshape(N, 64)), api.labels), ValueError,
        r"`x\['a'\]` must have shape \(n, height, width\[, channels\]\) with n >= 1; received shape \(40, 64\)"),
    "data/empty-modality": Case(
        lambda api: paired_dataset(_with(api.pair, a=api.x[:0]), _with(api.labels, a=api.y[:0])), ValueError,
        r"`x\['a'\]` must have shape \(n, height, width\[, channels\]\) with n >= 1; received shape \(0, 8, 8, 1\)"),
    "data/fractional-labels": Case(
        lambda api: paired_dataset(api.pair, _with(api.labels, a=api.y + 0.5)), ValueError,
        r"`y\['a'\]` must hold integer class indices; " + RECEIVED_ARRAY.format("40,", "float64")
        + " with non-integer values"),
    "data/negative-labels": Case(
        lambda api: paired_dataset(api.pair, _with(api.labels, b=api.y - 1)), ValueError,
        r"`y\['b'\]` must hold non-negative class indices; received minimum -1"),
    "data/nan-pixel": Case(
        lambda api: paired_dataset(_with(api.pair, a=_with_one_nan(api.x)), api.labels), ValueError, r"`x\['a'\]` must contain only finite values; received .* with 1 NaN or infinite entries"),
    "data/inf-pixels-to-invert": Case(
        lambda api: api.syncgan.invert(np.full((2, 8, 8), np.inf), "digit", steps=1), ValueError,
        r"`x` must contain only finite values; " + RECEIVED_ARRAY.format("2, 8, 8, 1", "float32")
        + " with 128 NaN or infinite entries"),
    "data/unpaired-array-to-syncgan-fit": Case(
        lambda api: api.syncgan.fit(api.x[..., None] / 255.0, epochs=1, verbose=0), ValueError,
        r"`x` must be a dict \{'real': \{modality: images\}, 'pairs': \{modality: images\}, 'sync': labels\}.*"
        r"received ndarray of shape \(\d+, 8, 8, 1\)", _syncgan_state),
    "data/modality-missing-from-batch": Case(
        lambda api: api.syncgan.train_on_batch(_syncgan_batch(api, real_modalities=("digit",))), ValueError, r"`real` must have exactly the modality keys \['digit', 'rotated'\]; received keys \['digit'\]",
        _syncgan_state),
    "data/nan-samples-to-sync-probability": Case(
        lambda api: api.syncgan.sync_probability({"digit": np.full((2, 8, 8, 1), np.nan),
                                                  "rotated": np.zeros((2, 8, 8, 1))}), ValueError,
        r"`samples\['digit'\]` must contain only finite values; received .* with 128 NaN"),
    # ------------------------------------------------------------------ audio
    "audio/corrupt-wav": Case(
        lambda api: read_wav(api.folder / "corrupt.wav"), ValueError,
        r"`path` must be a mono WAV file .*; received \S*corrupt\.wav: not a WAV file \(no RIFF/WAVE header\)"),
    "audio/empty-wav": Case(
        lambda api: read_wav(api.folder / "empty.wav"), ValueError,
        r"`path` must be a mono WAV file .*; received \S*empty\.wav: the file is empty \(0 bytes\)"),
    "audio/stereo-wav": Case(
        lambda api: read_wav(api.folder / "stereo.wav"), ValueError,
        r"`path` must be a mono WAV file .*; received \S*stereo\.wav: has 2 channels; only mono"),
    "audio/wav-at-another-rate": Case(
        lambda api: read_wav(api.folder / "tone_16k.wav", sample_rate=RATE), ValueError,
        r"`path` must be a WAV file at sample_rate=8000 Hz; received \S*tone_16k\.wav at 16000 Hz"),
    "audio/fractional-rate-keeps-the-old-file": Case(
        lambda api: write_wav(api.folder / "tone.wav", np.zeros(100), 8000.5), ValueError,
        r"`sample_rate` must be an integer number of Hz in \[1000, 384000\]; received sample_rate=8000.5",
        lambda api: _file_state(api.folder / "tone.wav")),
    "audio/complex-waveforms": Case(
        lambda api: waveform_to_spectrogram(np.ones((1, 6400), complex)), ValueError,
        r"`waveforms` must be a real-valued \(integer or float\) array; "
        + RECEIVED_ARRAY.format("1, 6400", "complex128")),
    # ------------------------------------------------------------------ models
    "model/unknown-modality-to-invert": Case(
        lambda api: api.syncgan.invert(api.x[:2], "speech", steps=1), ValueError,
        r"`modality` must be one of \['digit', 'rotated'\]; received 'speech'"),
    "model/unknown-source-to-transfer": Case(
        lambda api: api.syncgan.transfer(api.x[:2], "speech", "digit", steps=1), ValueError,
        r"`source` must be one of \['digit', 'rotated'\]; received 'speech'"),
    "model/unknown-target-to-transfer": Case(
        lambda api: api.syncgan.transfer(api.x[:2], "digit", "speech", steps=1), ValueError,
        r"`target` must be one of \['digit', 'rotated'\]; received 'speech'"),
    "model/latent-size-to-generate": Case(
        lambda api: api.syncgan.generate(z=np.zeros((2, 8))), ValueError,
        r"`z` must have shape \(n, 16\) \(latent_dim\); received shape \(2, 8\)"),
    "model/string-latents-to-generate": Case(
        lambda api: api.syncgan.generate(z=np.full((2, 16), "0.5")), ValueError,
        r"`z` must be a real-valued \(integer or float\) array; " + RECEIVED_ARRAY.format("2, 16", "<U3")),
    "model/latent-size-to-invert": Case(
        lambda api: api.syncgan.invert(api.x[:2], "digit", steps=1, z0=np.zeros((2, 8))), ValueError,
        r"`z0` must have shape \(2, 16\) \(one code per sample\); received shape \(2, 8\)"),
    "model/fit-before-compile": Case(
        lambda api: api.uncompiled_syncgan.fit(_syncgan_batch(api), epochs=1, verbose=0), RuntimeError,
        r"`SyncGAN.fit` needs a compiled model: call `model.compile\(\)` first .*received an uncompiled model"),
    "model/cvaegan-fit-labels-out-of-range": Case(
        lambda api: api.cvaegan.fit(api.x[:4, ..., None], np.array([0, 3, 10, 2]), epochs=1, verbose=0), ValueError,
        r"`y` class ids must be in \[0, 10\) \(num_classes\); received ids from 0 to 10"),
    "model/syncgan-load-of-a-cvaegan-file": Case(
        lambda api: SyncGAN.load(api.cvaegan_file), TypeError,
        r"`filepath` '\S*cvaegan\.keras' holds a CVAEGAN, not a SyncGAN", _saved_cvaegan_state),
    "model/class-id-out-of-range": Case(
        lambda api: api.cvaegan.generate([3, 10]), ValueError,
        r"`class_ids` class ids must be in \[0, 10\) \(num_classes\); received ids from 3 to 10"),
    "model/negative-class-id": Case(
        lambda api: api.cvaegan.augment(1, classes=[-1, 2]), ValueError,
        r"`classes` class ids must be in \[0, 10\) \(num_classes\); received ids from -1 to 2"),
    "model/float-class-ids": Case(
        lambda api: api.cvaegan.generate([1.5, 2.0]), ValueError,
        r"`class_ids` class ids must be integers; received dtype float64"),
    "model/latent-size-to-cvaegan-generate": Case(
        lambda api: api.cvaegan.generate([1, 2], z=np.zeros((2, 5))), ValueError,
        r"`z` must have shape \(2, 8\) \(one code per class id, latent_dim\); received shape \(2, 5\)"),
    "model/string-images-to-encode": Case(
        lambda api: api.cvaegan.encode(api.x[:2].astype(str), [1, 2]), ValueError,
        r"`x` must be uint8 images in \[0, 255\] or float images in \[0, 1\]; "
        + RECEIVED_ARRAY.format("2, 8, 8", "<U3")),
    # ------------------------------------------------------------------ networks and callbacks
    "networks/zero-upsamplings": Case(
        lambda api: networks.image_generator((8, 8, 1), 4, filters=4, upsamplings=0), ValueError,
        r"`upsamplings` must be an int >= 1; received 0"),
    "callbacks/two-sample-rates-for-audio": Case(
        lambda api: AudioSamples(api.folder / "audio", sound="b", sample_rate=8000,
                                 spectrogram_kwargs={"sample_rate": 16000}), ValueError,
        r"`spectrogram_kwargs\['sample_rate'\]` \(16000\) must equal `sample_rate` \(8000\)"),
    # ------------------------------------------------------------------ metrics and evaluation
    "metrics/feature-widths-differ": Case(
        lambda api: metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4))), ValueError,
        r"`x` and `y` must have the same number of features \(columns\); received x of shape \(5, 3\) and y of "
        r"shape \(5, 4\)"),
    "metrics/one-sample-for-fd": Case(
        lambda api: metrics.frechet_distance(np.zeros((5, 3)), np.zeros((1, 3))), ValueError,
        r"`y` needs at least 2 samples to estimate a covariance; received 1 \(shape \(1, 3\)\)"),
    "metrics/one-sample-for-kid": Case(
        lambda api: metrics.kernel_inception_distance(np.zeros((1, 3)), np.zeros((5, 3))), ValueError,
        r"`x` needs at least 2 samples for the unbiased MMD estimate; received 1 \(shape \(1, 3\)\)"),
    "metrics/k-samples-for-precision-recall": Case(
        lambda api: metrics.precision_recall(np.zeros((3, 2)), np.zeros((5, 2)), k=3), ValueError,
        r"`real` needs at least 4 samples for k=3 nearest neighbours of each real sample; received 3"),
    "metrics/label-without-a-probability-column": Case(
        lambda api: metrics.conditional_accuracy(np.eye(3), [0, 1, 5]), ValueError,
        r"`labels` must hold class indices in \[0, 3\) \(the columns of `probs_or_pred`\); received labels up to 5"),
    "evaluation/training-labels-out-of-range": Case(
        lambda api: Evaluator((8, 8), 4).train(api.x, api.y + 2, epochs=1), ValueError,
        r"`y` must hold one label in \[0, 4\) per image; received 40 labels up to 5 for 40 images"),
}


@pytest.mark.parametrize("case_id", list(CASES))
def test_bad_input_raises_a_clear_error_and_loses_nothing(api, case_id):
    case = CASES[case_id]
    before = case.state(api) if case.state else None
    with pytest.raises(case.error, match=case.match):
        case.call(api)
    if case.state:
        np.testing.assert_equal(case.state(api), before)
