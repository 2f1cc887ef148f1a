import pathlib

import keras
import numpy as np

from keras_syncgan.plotting import pair_grid, save_figure


class AudioSamples(keras.callbacks.Callback):
    """For fixed z, writes what the SyncGAN generates in every modality, with the sound made audible.

    Every `every` epochs: a PNG of each z's samples side by side (images and spectrograms), and one
    WAV per z of the spectrogram modality, turned back into a waveform with Griffin-Lim
    (`spectrogram_to_waveform`). With `log_dir`, TensorBoard audio summaries too (TensorFlow backend).
    Files: `directory/epoch_{epoch:03d}.png` and `directory/epoch_{epoch:03d}_{i:02d}.wav`.

    Args:
        directory: output folder.
        sound: the spectrogram modality's name.
        n: number of fixed latent codes.
        spectrogram_kwargs: the STFT options the spectrograms were made with (see
            `waveform_to_spectrogram`), so that the inversion matches.

    Example:
    >>> samples = AudioSamples("outputs/audio", sound="speech", n=8)
    >>> # model.fit(dataset, epochs=5, callbacks=[samples])
    """

    def __init__(self, directory, sound, n=8, every=1, sample_rate=8000, seed=4321, log_dir=None,
                 spectrogram_kwargs=None):
        super().__init__()
        self.directory = pathlib.Path(directory)
        self.sound, self.n, self.every, self.sample_rate = sound, n, every, sample_rate
        self.seed, self.log_dir = seed, log_dir
        self.spectrogram_kwargs = dict(spectrogram_kwargs or {})
        # `sample_rate` is an option of `waveform_to_spectrogram` too: one value serves both uses.
        if self.spectrogram_kwargs.setdefault("sample_rate", sample_rate) != sample_rate:
            raise ValueError(f"`spectrogram_kwargs['sample_rate']` ({self.spectrogram_kwargs['sample_rate']}) must "
                             f"equal `sample_rate` ({sample_rate}), the rate of the WAV files.")
        self.written = []

    def on_train_begin(self, logs=None):
        if self.sound not in self.model.modalities:
            raise ValueError(f"`sound` must be one of the model's modalities {self.model.modalities}; "
                             f"received {self.sound!r}.")
        self.z = self.latent_codes(self.model.latent_dim)

    def latent_codes(self, latent_dim):
        """The `n` fixed z behind every epoch's files (`seed` decides them)."""
        return np.random.default_rng(self.seed).normal(size=(self.n, latent_dim)).astype("float32")

    def wav_path(self, epoch, index):
        """The WAV of the `index`-th fixed z written after `epoch` (counted from 1)."""
        return self.directory / f"epoch_{epoch:03d}_{index:02d}.wav"

    def on_epoch_end(self, epoch, logs=None):
        from keras_syncgan.data import spectrogram_to_waveform, write_wav

        if (epoch + 1) % self.every:
            return
        samples = self.model.generate(z=self.z)
        stem = self.directory / f"epoch_{epoch + 1:03d}"
        self.written.append(save_figure(pair_grid(samples, pairs_per_row=min(self.n, 4)), stem.with_suffix(".png")))
        waveforms = spectrogram_to_waveform(samples[self.sound], **self.spectrogram_kwargs)
        for i, waveform in enumerate(waveforms):
            path = self.wav_path(epoch + 1, i)
            write_wav(path, waveform, self.sample_rate)
            self.written.append(path)
        if self.log_dir is not None and keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            with tf.summary.create_file_writer(str(self.log_dir)).as_default():
                tf.summary.audio(self.sound, np.asarray(waveforms, np.float32)[..., None], self.sample_rate,
                                 step=epoch + 1, max_outputs=self.n)
