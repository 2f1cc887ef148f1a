# %% [markdown]
# # CVAE-GAN on Fashion-MNIST: conditional generation, reconstruction, morphing, inpainting, augmentation
#
# **What you learn:** how to train a CVAE-GAN with `fit(x, y)`, draw images of a chosen class, encode a
# real image and decode it again, morph between classes and between images, fill in a missing half of
# an image, and whether generated images help a classifier that has only 1 % of the labels.
#
# CVAE-GAN (Bao, Chen, Wen, Li & Hua, ICCV 2017) joins a conditional VAE and a conditional GAN. An
# image is a class c plus everything else, a latent code z. The encoder E reads (x, c) and proposes
# z; the generator G draws x from (z, c); a discriminator D says real or generated, and a classifier
# C says which class. The training is *asymmetric*: D and C learn with cross-entropy, but G never
# sees their cross-entropy. G matches their *features* instead, pairwise for reconstructions and on
# average for samples from the prior. That keeps G's gradients alive when D wins, and the encoder
# ties every reconstruction to one real image, which keeps the samples diverse.
#
# Set `KERAS_SYNCGAN_QUICK=1` for a run of a few minutes (CI does): small networks, a few hundred
# steps, enough to run every cell. Without it the networks are twice as wide and the two models train
# 3,000 and 1,500 steps of batch 64. One such step took 0.6 s on 2 idle CPU cores here, and the whole
# notebook about an hour (78 minutes when its first 2,000 steps shared the cores with a test run).

# %%
import os

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf

from keras_syncgan import CVAEGAN, metrics, networks
from keras_syncgan.callbacks import ClassGrid
from keras_syncgan.data import FASHION_MNIST_CLASSES, load_fashion_mnist
from keras_syncgan.evaluation import Evaluator, classifier_accuracy, first_per_class, mix_real_and_generated
from keras_syncgan.plotting import image_grid, save_figure

QUICK = os.environ.get("KERAS_SYNCGAN_QUICK") == "1"
FILTERS, LATENT_DIM, BATCH_SIZE = (16, 32, 32) if QUICK else (32, 64, 64)
STEPS = 300 if QUICK else 3000
LOW_DATA_STEPS = 100 if QUICK else 1500
keras.utils.set_random_seed(0)

# %% [markdown]
# ## Data and model
#
# Fashion-MNIST: 60,000 training and 10,000 test images of 28 x 28 pixels, 10 classes. The model takes
# uint8 images and integer labels as they are. The four networks come from `keras_syncgan.networks`;
# `conditional_generator` is the generator fed z concatenated with the one-hot class, and the
# discriminator and classifier return their features beside their logits, for G to match.
#
# One weight departs from the paper. Its lambda4 = 1e-3 weighs the class-wise feature matching
# L_GC, the only term that makes a sample from the prior take on the class it was asked for,
# against a pixel term summed over the image. On 28 x 28 images that balance leaves the class weak:
# the encoder's code carries the garment type and G learns to read it from z. Measured here after
# 300 quick-mode steps, the conditional accuracy (below) was 0.37 with lambda4 = 1e-3, 0.40 with
# 0.01, 0.59 with 0.1, 0.65 with 0.3 and 0.72 with 1.0, while the reconstruction error rose from
# 0.031 to 0.036. We take 0.3.

# %%
(x_train, y_train), (x_test, y_test) = load_fashion_mnist()
x_train, x_test = x_train[..., None], x_test[..., None]
print(x_train.shape, x_train.dtype, "classes:", ", ".join(FASHION_MNIST_CLASSES))


def build_cvaegan(seed=0):
    shape, k = (28, 28, 1), 10
    return CVAEGAN(
        generator=networks.conditional_generator(shape, k, latent_dim=LATENT_DIM, filters=FILTERS),
        encoder=networks.encoder(shape, k, latent_dim=LATENT_DIM, filters=FILTERS, hidden=4 * FILTERS),
        discriminator=networks.feature_discriminator(shape, filters=FILTERS),
        classifier=networks.feature_classifier(shape, k, filters=FILTERS), classifier_matching_weight=0.3,
        seed=seed)


def training_batches(x, y, seed=0):
    """An endless shuffled stream of (images, labels) batches: `fit` then counts steps, not epochs."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed).repeat()
    return dataset.batch(BATCH_SIZE, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

# %% [markdown]
# ## Training
#
# `compile()` gives each of E, G, D and C its own Adam (learning rate 2e-4, beta1 0.5). One step is the
# paper's Algorithm 1: D, then C, then E, then G, each on its own loss. `ClassGrid` draws, after every
# epoch, one row per class from the same fixed z's: read a column to see one "style" across classes.

# %%
model = build_cvaegan()
model.compile()
class_grid = ClassGrid("outputs/notebook05", n=8)
epochs = 3
history = model.fit(training_batches(x_train, y_train), epochs=epochs, steps_per_epoch=STEPS // epochs, verbose=2,
                    callbacks=[class_grid])
_, figure = class_grid.figure()

# %% [markdown]
# ## Do the samples have the class we asked for?
#
# Generate 100 images per class and let a Fashion-MNIST classifier label them. The conditional
# accuracy is the fraction labelled with the class they were generated for (chance 0.1). The
# package's evaluator (91.8 % test accuracy) trains on first use and is then cached; quick mode
# trains a stand-in on 3,000 images for seconds (0.76 test accuracy), whose numbers are not comparable.

# %%
if QUICK:
    evaluator = Evaluator((28, 28, 1), 10)
    subset = np.random.default_rng(0).permutation(len(x_train))[:3000]
    evaluator.train(x_train[subset], y_train[subset], epochs=2)
else:
    evaluator = Evaluator.for_dataset("fashion_mnist")
print(f"evaluator test accuracy: {evaluator.accuracy(x_test, y_test):.3f}")
requested = np.repeat(np.arange(10), 100)
conditional_accuracy = metrics.conditional_accuracy(evaluator.probabilities(model.generate(requested)), requested)
print(f"conditional accuracy of generated images: {conditional_accuracy:.3f} (chance 0.1)")
assert conditional_accuracy > 0.4

# %% [markdown]
# ## Reconstruction: encoder, then generator
#
# `reconstruct(x, c)` decodes E's mean code: G(mu(x, c), c). Two baselines put the error in context:
# the mean training image of the class (everything the label alone tells) and a sample of the right
# class from a random z (a generator that ignores the image). A useful encoder beats both.

# %%
n = 500
originals, labels = x_test[:n] / 255.0, y_test[:n]
class_means = np.stack([x_train[y_train == k].mean(axis=0) / 255.0 for k in range(10)])
reconstructions = model.reconstruct(x_test[:n], labels)
mse = lambda images: float(np.mean((images - originals) ** 2))
reconstruction_errors = pd.Series({"reconstruction G(E(x, c), c)": mse(reconstructions),
                                   "class mean image": mse(class_means[labels]),
                                   "random z of the class": mse(model.generate(labels))}, name="pixel MSE")
print(reconstruction_errors.round(4))
figure = image_grid([originals[:10], reconstructions[:10]], row_labels=["real", "reconstructed"])

# %% [markdown]
# ## Morphing
#
# `morph` walks a straight line in (z, class) space. The first two rows keep one z and blend the
# one-hot class into another: the style stays, the garment changes. The last row keeps the class and
# walks between the codes of two real test images (from `encode`), the paper's attribute morphing.

# %%
z = np.random.default_rng(2).normal(size=LATENT_DIM)
first, second = np.flatnonzero(y_test == 9)[:2]  # two ankle boots
codes, _ = model.encode(x_test[[first, second]], [9, 9])
morphs = {"T-shirt -> Dress": model.morph(0, 3, z_start=z), "Sneaker -> Ankle boot": model.morph(7, 9, z_start=z),
          "boot A -> boot B": model.morph(9, z_start=codes[0], z_end=codes[1])}
figure = image_grid(list(morphs.values()), row_labels=list(morphs))

# %% [markdown]
# ## Inpainting
#
# Hide the lower half of test images and ask for it back. `inpaint` starts from E's code of the masked
# image, then optimises z so that G(z, c) matches the known upper half, with a small pull towards the
# prior (`prior_weight`) so that z stays where G has learned to draw. The known pixels are kept; only
# the hole is filled. The errors below are measured on the hole only, against the hidden truth.

# %%
m = 32
mask = np.ones((28, 28, 1), "float32")
mask[14:] = 0.0  # 1 = known, 0 = missing
hole = 1.0 - mask
# jit_compile="auto": XLA only with a GPU. On CPUs compiling the loop costs far more than it saves.
inpainted = model.inpaint(x_test[:m], mask, y_test[:m], steps=100 if QUICK else 300, jit_compile="auto")
masked = originals[:m] * mask
hole_mse = lambda images: float(np.sum(hole * (images - originals[:m]) ** 2) / (m * hole.sum()))
inpainting_errors = pd.Series({"hole left black (before)": hole_mse(masked),
                               "class mean image": hole_mse(class_means[labels[:m]]),
                               "encoder's one-shot guess": hole_mse(model.reconstruct(masked, labels[:m])),
                               "inpainted (after)": hole_mse(inpainted)}, name="MSE in the hole")
print(inpainting_errors.round(4))
figure = image_grid([masked[:10], inpainted[:10], originals[:10]], row_labels=["masked", "inpainted", "truth"])

# %% [markdown]
# ## Augmentation: does a low-data classifier gain from generated images?
#
# The paper adds generated faces to a face-recognition training set. Here a classifier gets 1 %
# of Fashion-MNIST's training labels, 60 images per class. For an honest test the CVAE-GAN that makes
# the extra images learns from **the same 600 images** and nothing else. A third row adds samples of
# the model above, trained on all 60,000 labelled images: that is not augmentation (it saw 100 times
# the labels) but shows what better samples would give. `augment(n_per_class)` returns labelled images.
# In an augmented set each real image is repeated so that real ones make half of every pass
# (`mix_real_and_generated`); added as they are, 600 real images would drown among thousands of
# generated ones. Every classifier trains the same number of steps (1,500; 100 in quick mode), with
# three seeds (two in quick mode), and is scored on the 10,000 test images. The command line's
# `cvaegan-fashion` evaluation runs the same test (`keras_syncgan.evaluation.augmentation_accuracy`)
# on its model of all 60,000.

# %%
few = first_per_class(y_train, 60)
x_few, y_few = x_train[few], y_train[few]
low_data_model = build_cvaegan(seed=1)
low_data_model.compile()
low_data_model.fit(training_batches(x_few, y_few), epochs=1, steps_per_epoch=LOW_DATA_STEPS, verbose=2)

GENERATED_PER_CLASS = 300 if QUICK else 1000
real = (x_few / 255.0, y_few)
training_sets = {"600 real": real}
for name, generator_model in ((f"600 real + {10 * GENERATED_PER_CLASS:,} from a CVAE-GAN of those 600", low_data_model),
                              (f"600 real + {10 * GENERATED_PER_CLASS:,} from the CVAE-GAN of all 60,000", model)):
    training_sets[name] = mix_real_and_generated(*real, *generator_model.augment(GENERATED_PER_CLASS))
# `classifier_accuracy` trains the evaluator's architecture afresh for a fixed number of batches of 64.
CLASSIFIER_STEPS, SEEDS = (100, 2) if QUICK else (1500, 3)
augmentation = pd.DataFrame({name: [classifier_accuracy(x, y, x_test, y_test, steps=CLASSIFIER_STEPS, seed=seed)
                                    for seed in range(SEEDS)]
                             for name, (x, y) in training_sets.items()}).T
augmentation = pd.DataFrame({"mean test accuracy": augmentation.mean(axis=1), "std": augmentation.std(axis=1)})
augmentation.round(3)

# %%
fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(augmentation.index, augmentation["mean test accuracy"], xerr=augmentation["std"], color=["C0", "C1", "C2"])
ax.set(xlabel="Fashion-MNIST test accuracy", xlim=(0, 1))
ax.invert_yaxis()
fig.tight_layout()
save_figure(fig, "outputs/notebook05/augmentation.png")
fig

# %% [markdown]
# ## What to take away
#
# Measured here with `KERAS_SYNCGAN_QUICK=1` (300 steps of batch 32): 64 % of the generated images
# carry the requested class by the stand-in evaluator (chance 10 %). Reconstructions have a pixel
# MSE of 0.034, against 0.052 for the class mean image and 0.072 for a random z. Inpainting brings
# the hole's error from 0.218 (left black) to 0.056, below the class mean (0.062); the encoder's
# one-shot guess from the masked image alone gets 0.097, so the optimisation of z pays.
#
# Augmentation needs good samples *and* a fair mix. In quick mode the samples are not yet good: the
# classifier on 600 real images scored 0.764 on the test set, and with 3,000 images from the
# CVAE-GAN of those 600, or from the CVAE-GAN of all 60,000 above, 0.711 and 0.724 (two seeds each,
# standard deviations below 0.01). With 150 classifier steps and three seeds the three rows had
# scored 0.788, 0.749 and 0.765, and the same samples mixed in as they are, without repeating the
# real images, 0.689 and 0.728: the real images drowned. With better samples the sign turns.
# The command line's `cvaegan-fashion` model (2,000 steps of batch 64 on all 60,000 images, CPU width)
# took the same 1 %-label classifier from 0.822 to 0.837 (1,000 samples per class, 1,500 classifier
# steps, three seeds, standard deviation 0.001), while samples of its CVAE and CGAN ablations left it
# at 0.820 and 0.822 (README, Results). This notebook without `KERAS_SYNCGAN_QUICK` (3,000 steps of
# the model above, 1,500 of the low-data one, 1,000 samples per class, 1,500 classifier steps, three
# seeds; run on 2026-12-02) gave the same picture: 600 real 0.823 (standard deviation 0.003); with
# 10,000 samples of the CVAE-GAN of all 60,000, **0.840** (0.002), 1.7 points better; with 10,000 of
# the CVAE-GAN of those 600, 0.816 (0.002). So the honest case does not help here: a generator that
# saw only the same 600 images draws worse samples than the one that saw 60,000, and they cost the
# classifier 0.7 points.
# The same full run measured a conditional accuracy of 0.852 by the package's evaluator, a
# reconstruction error of 0.0166 (class mean 0.0519, random z 0.0831), and inpainting from 0.218 to
# 0.046 (class mean 0.062, the encoder's guess 0.154). Earlier quick-mode runs tried other uses of
# the samples, none better than the real images alone: pre-training on the generated images, then
# fine-tuning on the 600 real ones (0.791 and 0.792 against 0.791); decoding each real image's code
# with noise added (0.727-0.755); keeping only the samples that the CVAE-GAN's own classifier C gives
# more than 0.9 for their class (0.787 and 0.756). The paper's gain (LFW verification 91.87 % ->
# 92.98 %) came from a far larger model on 128 x 128 faces.

# %%
print(reconstruction_errors.round(4), inpainting_errors.round(4), augmentation.round(3), sep="\n\n")
assert reconstruction_errors.iloc[0] < reconstruction_errors.iloc[1:].min()
assert inpainting_errors["inpainted (after)"] < inpainting_errors["hole left black (before)"]
if not QUICK:  # samples of the well-trained model help the 1 %-label classifier (measured: 0.840 vs 0.823)
    assert augmentation["mean test accuracy"].iloc[2] > augmentation["mean test accuracy"].iloc[0] + 0.005
