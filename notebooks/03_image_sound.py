# %% [markdown]
# # Image <-> sound: MNIST digits and spoken digits from one z
#
# **What you learn:** how to make sound a SyncGAN modality. Spoken digits become log-magnitude
# spectrogram "images"; a generated spectrogram becomes audio again with Griffin-Lim; you then
# listen to what G_speech(z) says beside the digit G_digit(z) draws.
#
# Audio: the Free Spoken Digit Dataset (FSDD, CC BY-SA 4.0; 6 speakers, 8 kHz) when it can be
# found (`KERAS_SYNCGAN_FSDD` or `../shared/data/fsdd`), else synthetic digits spoken by espeak-ng.
# Set `KERAS_SYNCGAN_QUICK=1` for a 3-minute run.

# %%
import os

import keras
import numpy as np
from IPython.display import Audio, display

from keras_syncgan import presets
from keras_syncgan.callbacks import AudioSamples
from keras_syncgan.data import FSDDNotFoundError, find_fsdd, paired_dataset, spectrogram_to_waveform
from keras_syncgan.plotting import pair_grid

QUICK = os.environ.get("KERAS_SYNCGAN_QUICK") == "1"
STEPS = 60 if QUICK else 6000
keras.utils.set_random_seed(0)
try:
    find_fsdd()
    source = "fsdd"
except FSDDNotFoundError:
    source = "espeak"
print("spoken digits from:", source)

# %% [markdown]
# ## Sound as an image
#
# Each 0.8 s clip (trimmed, centred, 8 kHz) becomes a 128 x 64 log-magnitude spectrogram in
# [0, 1]: 128 frequency bins from 0 to 4 kHz by 64 frames of 12.5 ms, on a fixed -80..0 dB scale.
# Below: digits next to a spectrogram of the same class, with that clip after a round trip through
# Griffin-Lim.

# %%
data = presets.mnist_speech_data(source=source)
print({m: x.shape for m, x in data.x_train.items()})
first = {m: np.array([data.x_train[m][np.flatnonzero(data.y_train[m] == k)[0]] for k in range(4)])
         for m in data.x_train}
figure = pair_grid({"digit": first["digit"] / 255.0, "speech": first["speech"]}, pairs_per_row=4)

# %%
round_trip = spectrogram_to_waveform(first["speech"][:1])[0]
display(Audio(round_trip, rate=8000))

# %% [markdown]
# ## Training
#
# `build_syncgan` chooses three halvings for the 128 x 64 spectrograms and keeps the authors' two for
# 28 x 28 digits. At the CPU width the spectrogram's networks get 12 filters instead of 32
# (`modality_filters`): it has 10 times a digit's pixels, and this keeps an iteration near 60 GFLOP.
# `AudioSamples` writes, for fixed z, the picture and one WAV per z after every epoch.

# %%
if QUICK:
    model = presets.build_syncgan(data.sample_shapes, width={"filters": 16, "hidden": 64}, seed=0)
else:  # the `syncgan-mnist-speech` preset's nets
    model = presets.build_syncgan(data.sample_shapes, width="cpu", seed=0,
                                  modality_filters={"speech": presets.CPU_SPECTROGRAM_FILTERS})
model.compile()
dataset, _ = paired_dataset(data.x_train, data.y_train, batch_size=32 if QUICK else 64, seed=0)
audio = AudioSamples("outputs/notebook03", sound="speech", n=4)
history = model.fit(dataset.repeat(), epochs=1, steps_per_epoch=STEPS, verbose=2, callbacks=[audio])

# %% [markdown]
# ## Listen
#
# Each z gives a digit image and a spoken digit. After enough training they say the same number.

# %%
samples = model.generate(z=np.random.default_rng(3).normal(size=(4, model.latent_dim)))
display(pair_grid(samples, pairs_per_row=4))
waveforms = spectrogram_to_waveform(samples["speech"])
for waveform in waveforms:
    display(Audio(waveform, rate=8000))
wavs = [p for p in audio.written if p.suffix == ".wav"]
print("written:", [str(p) for p in wavs])
assert len(wavs) == 4 and all(np.isfinite(v).all() for v in history.history.values())
