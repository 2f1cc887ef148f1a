"""Image <-> sound SyncGAN: MNIST digits paired with spoken digits (FSDD spectrograms)."""

import keras
import numpy as np
import pytest

from keras_syncgan import presets
from keras_syncgan.callbacks import AudioSamples
from keras_syncgan.data import FSDDNotFoundError, find_fsdd, paired_dataset, read_wav


def _fsdd_or_skip():
    try:
        return find_fsdd()
    except FSDDNotFoundError as error:
        pytest.skip(f"FSDD is not available here ({error.__class__.__name__}); set KERAS_SYNCGAN_FSDD")


def test_resolution_steps_fit_images_and_spectrograms():
    assert presets.resolution_steps((28, 28, 1)) == 2
    assert presets.resolution_steps((128, 64, 1)) == 3
    model = presets.build_syncgan({"digit": (28, 28, 1), "speech": (128, 64, 1)}, width={"filters": 8, "hidden": 16})
    samples = model.generate(2)
    assert samples["digit"].shape == (2, 28, 28, 1) and samples["speech"].shape == (2, 128, 64, 1)


def test_modality_filters_narrow_one_modality_and_the_speech_preset_uses_them():
    from keras_syncgan import recipes

    first_filters = lambda net: next(layer.filters for layer in net.layers if isinstance(layer, keras.layers.Conv2D))
    shapes = {"digit": (28, 28, 1), "speech": (128, 64, 1)}
    model = presets.build_syncgan(shapes, width={"filters": 8, "hidden": 16}, modality_filters={"speech": 4})
    assert first_filters(model.discriminators["digit"]) == 8 and first_filters(model.discriminators["speech"]) == 4
    assert model.generate(2)["speech"].shape == (2, 128, 64, 1)
    with pytest.raises(ValueError, match=r"`modality_filters` names modalities \['sound'\]"):
        presets.build_syncgan(shapes, modality_filters={"sound": 4})

    class Shapes:
        sample_shapes = shapes

    recipe = recipes.get("syncgan-mnist-speech")
    cpu = recipes.build_model(recipe, Shapes, width="cpu")
    assert first_filters(cpu.discriminators["speech"]) == presets.CPU_SPECTROGRAM_FILTERS == 12
    assert first_filters(cpu.discriminators["digit"]) == presets.WIDTHS["cpu"]["filters"]
    custom = recipes.build_model(recipe, Shapes, width={"filters": 6, "hidden": 8})  # an explicit width is kept
    assert first_filters(custom.discriminators["speech"]) == 6


def test_short_image_sound_training_writes_wavs_that_decode(tmp_path):
    _fsdd_or_skip()
    data = presets.mnist_speech_data()
    assert data.x_train["speech"].shape[1:] == (128, 64, 1) and len(data.x_train["speech"]) == 2700
    assert 0.0 <= data.x_train["speech"].min() and data.x_train["speech"].max() <= 1.0
    # A small subset keeps this to seconds: 300 images and 300 clips, both modalities labelled 0-9.
    subset = {m: np.random.default_rng(0).permutation(len(y))[:300] for m, y in data.y_train.items()}
    x = {m: data.x_train[m][i] for m, i in subset.items()}
    y = {m: data.y_train[m][i] for m, i in subset.items()}
    model = presets.build_syncgan(data.sample_shapes, width={"filters": 8, "hidden": 32}, seed=0)
    model.compile()
    dataset, _ = paired_dataset(x, y, batch_size=16, seed=0)
    audio = AudioSamples(tmp_path / "audio", sound="speech", n=3, log_dir=tmp_path / "tb")
    history = model.fit(dataset.take(4), epochs=1, verbose=0, callbacks=[audio])
    assert all(np.isfinite(v).all() for v in history.history.values())
    wavs = [p for p in audio.written if p.suffix == ".wav"]
    assert len(wavs) == 3
    for path in wavs:
        waveform, rate = read_wav(path)
        assert rate == 8000 and len(waveform) == 6400 and np.isfinite(waveform).all()
    assert (tmp_path / "audio" / "epoch_001.png").exists()


def test_audio_samples_rejects_an_unknown_sound_modality(digits_pairs):
    from conftest import small_syncgan

    x, y, _, _ = digits_pairs
    model = small_syncgan()
    model.compile()
    dataset, _ = paired_dataset(x, y, batch_size=16)
    with pytest.raises(ValueError, match=r"`sound` must be one of the model's modalities"):
        model.fit(dataset.take(1), epochs=1, verbose=0, callbacks=[AudioSamples("unused", sound="speech")])
