"""CVAE-GAN (Bao, Chen, Wen, Li & Hua, ICCV 2017): conditional VAE + GAN with asymmetric training.

Research note: shared/docs/cvaegan.md (networks section 1, losses section 2, Algorithm 1 section 3).
"""

import keras
import numpy as np
from keras import ops

from keras_syncgan.latent import optimize_latents
from keras_syncgan.losses import (bce_with_logits, class_accuracy, half_squared_distance, kl_divergence,
                                  softmax_cross_entropy)
from keras_syncgan.metrics.validation import as_real_array, as_unit_images, check_number, check_positive_int
from keras_syncgan.models.base import GANModel, cross_replica_sum, to_float_images
from keras_syncgan.utils import describe

# The rows of the paper's Table 1, as ablations of one algorithm.
MODES = ("cvae", "cgan", "fm-cgan", "cvae-gan")
NETWORKS = ("encoder", "generator", "discriminator", "classifier")
NETWORKS_OF_MODE = {  # the networks each mode trains
    "cvae": ("encoder", "generator"),
    "cgan": ("generator", "discriminator", "classifier"),
    "fm-cgan": ("generator", "discriminator", "classifier"),
    "cvae-gan": NETWORKS,
}
_FEATURE_MATCHING_MODES = ("fm-cgan", "cvae-gan")  # G matches D's and C's feature centres


@keras.saving.register_keras_serializable(package="keras_syncgan")
class CVAEGAN(GANModel):
    """CVAE-GAN: an encoder E, a conditional generator G, a discriminator D and a classifier C.

    One training step is the paper's Algorithm 1, on a batch of real images x with classes c:

    - z = mu + sigma * eps with (mu, log sigma^2) = E(x, c); reconstruction x_f = G(z, c);
      prior sample x_p = G(z_p, c) with z_p ~ N(0, I) and the batch's classes;
    - D on L_D = BCE(D(x), 1) + BCE(D(x_f), 0) + BCE(D(x_p), 0);
    - C on L_C = softmax cross-entropy of C(x) against c: real samples only, C never sees generated ones;
    - E on lambda1 * L_KL + lambda2 * L_G;
    - G on lambda2 * L_G + lambda3 * L_GD + lambda4 * L_GC;

    in that order, each network stepping on its own loss with its own optimizer. D's and C's
    cross-entropies never reach G: G only matches their features (the paper's "asymmetric" training).

    - L_KL = KL(q(z | x, c) || N(0, I)).
    - L_G, pairwise feature matching = 1/2 (||x - x_f||^2 + ||f_D(x) - f_D(x_f)||^2 + ||f_C(x) - f_C(x_f)||^2).
    - L_GD = 1/2 ||m_D(real) - m_D(generated)||^2 and L_GC = 1/2 sum_k ||m_C,k(real) - m_C,k(generated)||^2,
      mean feature matching against feature *centres*: m_D is the centre of all of D's features,
      m_C,k the centre of C's features of class k (only the classes in the batch count). Centres are
      moving averages, as in the paper ("we also use moving historical averages"):

          centre <- momentum * centre + (1 - momentum) * batch mean of the features

      updated once per step, for the classes present in the batch; the first batch containing a class
      sets its centre to the batch mean. The generated centre keeps the gradient of its
      (1 - momentum) * batch-mean part. The centres are non-trainable variables of the model, so they
      are saved, restored and carried through the JAX train state like any weight.

    Squared norms are summed over pixels / feature dimensions and averaged over the batch, the paper's
    reduction, which the default weights lambda1..4 = 3, 1, 1e-3, 1e-3 assume.

    Ablations (`mode`, the rows of the paper's Table 1):
    - "cvae": E and G only; G and E on the pixel term of L_G (+ KL for E). No D, no C.
    - "cgan": G, D and C; G on the usual cross-entropies BCE(D(x_p), 1) + CE(C(x_p), c). No E.
    - "fm-cgan": G, D and C; G on lambda3 * L_GD + lambda4 * L_GC (mean feature matching). No E.
    - "cvae-gan": the full model.
    Pass `None` for the networks a mode does not use.

    The training data are batches `(images, labels)`: images `(batch, H, W, C)` (the channel axis may
    be left out of 1-channel images), uint8 in [0, 255] or float in [0, 1]; labels as class ids
    `(batch,)` or one-hot `(batch, num_classes)`; e.g. `fit(x, y)` on numpy arrays or a `tf.data`
    dataset of `(x, y)` pairs. (Class ids are not range-checked inside the compiled step, where an id
    outside [0, num_classes) would give an all-zero one-hot row; the inference methods check them.)

    Args:
        generator: `keras.Model` `[z, one-hot c] -> images in [0, 1]`
            (`networks.conditional_generator`); it sets `latent_dim`, `num_classes` and the image shape.
        encoder: `keras.Model` `[images, one-hot c] -> [mu, log_var]` (`networks.encoder`).
        discriminator: `keras.Model` `images -> [logit, features]` (`networks.feature_discriminator`).
        classifier: `keras.Model` `images -> [class logits, features]` (`networks.feature_classifier`).
        mode: one of "cvae", "cgan", "fm-cgan", "cvae-gan".
        kl_weight, pairwise_weight, discriminator_matching_weight, classifier_matching_weight:
            lambda1 (KL), lambda2 (L_G), lambda3 (L_GD), lambda4 (L_GC).
        centre_momentum: momentum of the feature centres' moving average, in [0, 1); 0 matches plain
            mini-batch means. The paper gives no value; 0.7 is tatsy/tf-generative's.
        latent_dim: optional; must equal the generator's z size (it is read from the generator).
        seed: seed of the model's noise.
        ema_decay: keep an EMA of G's weights (e.g. 0.999); `generate` and everything built on it
            (`reconstruct`, `morph`, `augment`, `inpaint`) then use it (see `GANModel`).

    Example:
    >>> from keras_syncgan import networks
    >>> shape, k, d = (8, 8, 1), 10, 8
    >>> model = CVAEGAN(
    ...     generator=networks.conditional_generator(shape, k, latent_dim=d, filters=4),
    ...     encoder=networks.encoder(shape, k, latent_dim=d, filters=4, hidden=16),
    ...     discriminator=networks.feature_discriminator(shape, filters=4),
    ...     classifier=networks.feature_classifier(shape, k, filters=4), seed=0)
    >>> model.compile()
    >>> model.generate([0, 1, 9]).shape
    (3, 8, 8, 1)
    """

    def __init__(self, generator, encoder=None, discriminator=None, classifier=None, mode="cvae-gan",
                 kl_weight=3.0, pairwise_weight=1.0, discriminator_matching_weight=1e-3,
                 classifier_matching_weight=1e-3, centre_momentum=0.7, latent_dim=None, seed=None, **kwargs):
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; received {mode!r}.")
        self.mode = mode  # before GANModel.__init__, which asks for tracker_names()
        given = {"encoder": encoder, "generator": generator, "discriminator": discriminator, "classifier": classifier}
        for name, network in given.items():
            if (network is not None) != (name in NETWORKS_OF_MODE[mode]):
                raise ValueError(f"mode={mode!r} uses the networks {list(NETWORKS_OF_MODE[mode])}: "
                                 f"`{name}` must be {'a keras.Model' if network is None else 'None'}; "
                                 f"received {describe(network)}.")
        if len(generator.inputs) != 2:
            raise ValueError("`generator` must take [z, one-hot class] (two inputs); received a model with "
                             f"{len(generator.inputs)} input(s).")
        generator_latent_dim, self.num_classes = (int(t.shape[-1]) for t in generator.inputs)
        if latent_dim is not None and latent_dim != generator_latent_dim:
            raise ValueError(f"`latent_dim` must equal the generator's z size {generator_latent_dim}; "
                             f"received {latent_dim!r}.")
        super().__init__(latent_dim=generator_latent_dim, seed=seed, **kwargs)
        self.image_shape = tuple(generator.output.shape)[1:]
        self.encoder, self.generator = encoder, generator
        self.discriminator, self.classifier = discriminator, classifier
        self.kl_weight = float(kl_weight)
        self.pairwise_weight = float(pairwise_weight)
        self.discriminator_matching_weight = float(discriminator_matching_weight)
        self.classifier_matching_weight = float(classifier_matching_weight)
        self.centre_momentum = check_number(centre_momentum, "centre_momentum", "a number in [0, 1)",
                                            lambda v: 0.0 <= v < 1.0)
        self._check_networks()
        self.centres = {}
        if mode in _FEATURE_MATCHING_MODES:
            # D's centre is global (one group), C's per class.
            self.centres["discriminator"] = self._add_centres("discriminator", 1, discriminator)
            self.centres["classifier"] = self._add_centres("classifier", self.num_classes, classifier)
        self._build_ema()
        self.built = True

    def _add_centres(self, name, groups, network):
        width = int(network.outputs[1].shape[-1])
        make = lambda kind, shape: self.add_weight(shape=shape, initializer="zeros", trainable=False,
                                                   name=f"{name}_{kind}")
        return {"real": make("real_centres", (groups, width)), "generated": make("generated_centres", (groups, width)),
                "updates": make("centre_updates", (groups,))}

    # ----------------------------------------------------------------- GANModel interface
    def tracker_names(self):
        uses = NETWORKS_OF_MODE[self.mode]
        names = {"d_loss": "discriminator", "c_loss": "classifier", "c_accuracy": "classifier"} \
            if "discriminator" in uses else {}
        names.update(dict.fromkeys(["e_loss", "kl_loss", "pairwise_loss"], "encoder") if "encoder" in uses else {})
        names["g_loss"] = "generator"
        if self.mode == "cgan":
            names.update(dict.fromkeys(["g_adversarial_loss", "g_class_loss"], "generator"))
        if self.mode in _FEATURE_MATCHING_MODES:  # the generator's matching terms against D's and C's features
            names.update(dict.fromkeys(["d_matching_loss", "c_matching_loss"], "generator"))
        return names

    def optimizer_targets(self):
        # Algorithm 1's order: D, C, E, G.
        order = ("discriminator", "classifier", "encoder", "generator")
        return {name: [getattr(self, name)] for name in order if name in NETWORKS_OF_MODE[self.mode]}

    def ema_networks(self):
        return [self.generator]

    def default_optimizers(self):
        # No optimizer in the paper; every public implementation: Adam, lr 2e-4, beta1 0.5.
        return {name: keras.optimizers.Adam(2e-4, beta_1=0.5, name=f"{name}_adam") for name in self.optimizer_targets()}

    # ----------------------------------------------------------------- Algorithm 1
    def unpack_batch(self, data):
        # CVAE-GAN trains on (x, labels): the whole batch goes to gan_train_step.
        return data

    def gan_train_step(self, data):
        x, c = self._unpack(data)
        n = ops.shape(x)[0]
        z_prior = self.noise(n)
        # The reparameterisation noise is drawn once, so that E's and G's steps sample z with the same
        # epsilon (G's step recomputes mu and sigma with the encoder E's step has just updated).
        epsilon = self.noise(n) if self.encoder is not None else None
        logs = {}

        prior = None
        if self.discriminator is not None:
            # D: real vs generated from the prior and, with an encoder, vs reconstructions. The prior
            # samples' forward pass also serves G's step (G does not move before it).
            prior = self.record("generator", lambda: self.generator([z_prior, c], training=True))
            fakes = [prior.outputs]
            if self.encoder is not None:
                fakes.append(self.generator([self._posterior_sample(x, c, epsilon)[0], c], training=True))
            logs["d_loss"], _ = self.update("discriminator", lambda: (self.discriminator_loss(x, fakes), None))
            # C: real samples only.
            logs["c_loss"], logs["c_accuracy"] = self.update("classifier", lambda: self.classifier_loss(x, c))

        if self.encoder is not None:
            logs["e_loss"], (logs["kl_loss"], logs["pairwise_loss"]) = self.update(
                "encoder", lambda: self.encoder_loss(x, c, epsilon))

        if prior is None:
            logs["g_loss"], (terms, centres) = self.update("generator", lambda: self.generator_loss(x, c, epsilon))
        else:
            logs["g_loss"], (terms, centres) = self.update(
                "generator", lambda x_prior: self.generator_loss(x, c, epsilon, x_prior), through=prior)
        # The centres move once per step, with the features of G's step.
        for name, values in centres.items():
            for key, value in values.items():
                self.centres[name][key].assign(value)
        self.update_ema()
        return self.log(**logs, **terms)

    def discriminator_loss(self, x, fakes):
        """L_D: sigmoid cross-entropy, real images 1, every batch of generated images 0."""
        loss = bce_with_logits(self.discriminator(x, training=True)[0], 1.0)
        for fake in fakes:
            loss = loss + bce_with_logits(self.discriminator(ops.stop_gradient(fake), training=True)[0], 0.0)
        return loss

    def classifier_loss(self, x, c):
        """L_C on real images: `(softmax cross-entropy, accuracy)`."""
        logits, _ = self.classifier(x, training=True)
        return softmax_cross_entropy(logits, c), class_accuracy(logits, c)

    def encoder_loss(self, x, c, epsilon):
        """lambda1 * L_KL + lambda2 * L_G; returns `(loss, (L_KL, L_G))`."""
        kl, pairwise = self._cvae_terms(x, c, epsilon)
        return self.kl_weight * kl + self.pairwise_weight * pairwise, (kl, pairwise)

    def generator_loss(self, x, c, epsilon, x_prior=None):
        """G's loss for the mode, `x_prior` being G's samples from the prior (modes with a D);
        returns `(loss, (logged terms, new feature centres))`."""
        loss, terms, centres = 0.0, {}, {}
        if self.encoder is not None:
            loss = self.pairwise_weight * self._cvae_terms(x, c, epsilon)[1]
        if self.discriminator is None:
            return loss, (terms, centres)
        if self.mode == "cgan":
            # D and C in inference mode: their state moves only in their own steps.
            terms["g_adversarial_loss"] = bce_with_logits(self.discriminator(x_prior, training=False)[0], 1.0)
            terms["g_class_loss"] = softmax_cross_entropy(self.classifier(x_prior, training=False)[0], c)
            return loss + terms["g_adversarial_loss"] + terms["g_class_loss"], (terms, centres)
        groups = {"discriminator": ops.ones_like(c[:, :1]), "classifier": c}
        for name, network in (("discriminator", self.discriminator), ("classifier", self.classifier)):
            _, real = network(x, training=False)
            _, generated = network(x_prior, training=False)
            terms[f"{name[0]}_matching_loss"], centres[name] = mean_feature_matching(
                self.centres[name], real, generated, groups[name], self.centre_momentum)
        loss = (loss + self.discriminator_matching_weight * terms["d_matching_loss"]
                + self.classifier_matching_weight * terms["c_matching_loss"])
        return loss, (terms, centres)

    def _cvae_terms(self, x, c, epsilon):
        """`(L_KL, L_G)` of the batch: encode, sample z, reconstruct, match pixels and features."""
        z, mu, log_var = self._posterior_sample(x, c, epsilon)
        return kl_divergence(mu, log_var), self.pairwise_feature_matching(x, self.generator([z, c], training=True))

    def _posterior_sample(self, x, c, epsilon):
        mu, log_var = self.encoder([x, c], training=True)
        return mu + ops.exp(0.5 * log_var) * epsilon, mu, log_var

    def pairwise_feature_matching(self, x, x_reconstructed):
        """L_G = 1/2 (||x - x_f||^2 + ||f_D(x) - f_D(x_f)||^2 + ||f_C(x) - f_C(x_f)||^2); pixels only in "cvae"."""
        loss = half_squared_distance(x, x_reconstructed)
        for network in (self.discriminator, self.classifier):
            if network is not None:
                _, real = network(x, training=False)
                _, reconstructed = network(x_reconstructed, training=False)
                loss = loss + half_squared_distance(ops.stop_gradient(real), reconstructed)
        return loss

    # ----------------------------------------------------------------- inference
    def call(self, inputs, training=False):
        """`G(z, c)` for `inputs = [z, labels]` (class ids or one-hot)."""
        z, labels = (ops.convert_to_tensor(t) for t in inputs)
        return self.generator([z, self._one_hot(labels, "labels", tuple(z.shape)[0])], training=training)

    def generate(self, class_ids, z=None, batch_size=256, truncation=None):
        """Images of the given classes, `G(z, c)` with z ~ N(0, I) (or the given `z`), as numpy.

        Args:
            class_ids: class ids `(n,)` or one-hot rows `(n, num_classes)`.
            z: latent codes `(n, latent_dim)`; default: drawn from the model's seeded generator.
            truncation: without `z`, draw z from N(0, 1) truncated to [-truncation, truncation]
                (the truncation trick; see `latent.latent_codes`).
        """
        c = self._numpy_labels(class_ids, "class_ids")
        if z is None:
            z = ops.convert_to_numpy(self.noise(len(c), truncation))
        elif truncation is not None:
            raise ValueError(f"`truncation` applies to the codes `generate` draws; pass it without `z` "
                             f"(received truncation={truncation!r} with z={describe(z)}).")
        z = as_real_array(z, "z")
        if z.shape != (len(c), self.latent_dim):
            raise ValueError(f"`z` must have shape ({len(c)}, {self.latent_dim}) (one code per class id, "
                             f"latent_dim); received shape {z.shape}.")
        with self.ema_weights_in_use():
            return _batched(lambda z, c: self.generator([z, c], training=False), batch_size, z, c)

    def encode(self, x, c, batch_size=256):
        """E's posterior `(mu, log_var)` of images `x` with classes `c` (ids or one-hot), as numpy."""
        self._require("encoder", "encode")
        x = self._numpy_images(x, "x")
        c = self._numpy_labels(c, "c", len(x))
        outputs = _batched(lambda x, c: ops.concatenate(self.encoder([x, c], training=False), axis=-1),
                           batch_size, x, c)
        return outputs[:, :self.latent_dim], outputs[:, self.latent_dim:]

    def reconstruct(self, x, c, batch_size=256):
        """`G(mu, c)` with mu E's posterior mean: the deterministic reconstruction of `x`, as numpy."""
        mu, _ = self.encode(x, c, batch_size)
        return self.generate(c, z=mu, batch_size=batch_size)

    def morph(self, class_start, class_end=None, z_start=None, z_end=None, frames=8):
        """Frames on a straight line in (z, class) space: `G((1 - t) z_start + t z_end, (1 - t) c_start + t c_end)`.

        Morph between classes with one z, between codes with one class, or both. To morph between
        two real images, take their codes from `encode`. The first and last frames are the
        generations of the endpoints.

        Args:
            class_start, class_end: a class id or a one-hot (or mixed) class vector; `class_end`
                defaults to `class_start`.
            z_start, z_end: latent codes `(latent_dim,)`; `z_start` defaults to a draw from N(0, I),
                `z_end` to `z_start`.
            frames: number of frames, >= 2.

        Returns:
            numpy images `(frames, *image_shape)`.
        """
        if not isinstance(frames, (int, np.integer)) or frames < 2:
            raise ValueError(f"`frames` must be an int >= 2; received {frames!r}.")
        c_start = self._numpy_labels(_one_row(class_start), "class_start")
        c_end = c_start if class_end is None else self._numpy_labels(_one_row(class_end), "class_end")
        z_start = ops.convert_to_numpy(self.noise(1)) if z_start is None else self._code(z_start, "z_start")
        z_end = z_start if z_end is None else self._code(z_end, "z_end")
        t = np.linspace(0.0, 1.0, frames, dtype="float32")[:, None]
        return self.generate((1 - t) * c_start + t * c_end, z=(1 - t) * z_start + t * z_end)

    def inpaint(self, x, mask, c, steps=300, learning_rate=0.05, optimizer="adam", prior_weight=0.1,
                jit_compile="auto"):
        """Fills the pixels where `mask` is 0 with the generator's best guess.

        Optimises z, starting from E's mean of the masked image, so that G(z, c) matches the known
        pixels: minimises sum(mask * (G(z, c) - x)^2) + prior_weight * ||z||^2 per image with
        `optimize_latents`. Returns `mask * x + (1 - mask) * G(z*, c)` as numpy floats in [0, 1].
        The prior term (a MAP estimate under z ~ N(0, I)) matters: the known pixels alone leave z
        under-determined, and without it z drifts off the prior and the hole fills with artefacts
        (on sklearn digits, an unregularised fit of the upper half made the lower half worse than E's
        starting guess).

        Args:
            x: images `(n, *image_shape)` (channel axis optional), uint8 or float in [0, 1]; the values
                under the hole are ignored.
            mask: 1 for known pixels, 0 for missing ones; the shape of `x`, or of one image (then
                shared by all).
            c: classes of `x`, ids or one-hot.
            steps, learning_rate, optimizer, jit_compile: of `optimize_latents` ("auto": XLA only with
                a GPU; on CPU it is several times slower).
            prior_weight: weight of ||z||^2; 0 fits the known pixels only.
        """
        self._require("encoder", "inpaint")
        x = self._numpy_images(x, "x")
        mask = _mask_like(np.asarray(mask, dtype="float32"), x)
        c = self._numpy_labels(c, "c", len(x))
        known = x * mask
        mu, _ = self.encode(known, c)
        x_t, mask_t, c_t = (ops.convert_to_tensor(a) for a in (known, mask, c))

        def objective(z):
            error = ops.sum(mask_t * ops.square(self.generator([z, c_t], training=False) - x_t), axis=(1, 2, 3))
            return error + prior_weight * ops.sum(ops.square(z), axis=1)

        with self.ema_weights_in_use():  # the generator `generate` samples from
            z, _ = optimize_latents(objective, mu, steps=steps, learning_rate=learning_rate, optimizer=optimizer,
                                    jit_compile=jit_compile)
        filled = self.generate(c, z=ops.convert_to_numpy(z))
        return known + (1.0 - mask) * filled

    def augment(self, n_per_class, classes=None, batch_size=256):
        """Labelled synthetic data for data augmentation: `(x, y)` numpy, `n_per_class` images per class.

        Args:
            classes: class ids to generate; default all. The result is ordered class by class.
        """
        if not isinstance(n_per_class, (int, np.integer)) or n_per_class < 1:
            raise ValueError(f"`n_per_class` must be a positive int; received {n_per_class!r}.")
        classes = np.arange(self.num_classes) if classes is None else np.asarray(classes)
        self._numpy_labels(classes, "classes")
        y = np.repeat(classes, n_per_class).astype("int64")
        return self.generate(y, batch_size=batch_size), y

    # ----------------------------------------------------------------- input checks
    def _unpack(self, data):
        x, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        if labels is None and isinstance(x, (tuple, list)) and len(x) == 2:
            x, labels = x
        if labels is None:
            raise ValueError(f"CVAEGAN trains on (images, labels) batches, e.g. fit(x, y); received {describe(x)} "
                             "without labels.")
        x = self._image_batch(x, "x")
        return x, self._one_hot(labels, "labels", tuple(x.shape)[0])

    def _image_batch(self, x, argument):
        """Images as float32 `(batch, *image_shape)`, from uint8 or float, channel axis optional for 1 channel."""
        shape = tuple(x.shape)
        if len(shape) == len(self.image_shape) and self.image_shape[-1] == 1:
            x = ops.expand_dims(x, -1)
            shape = shape + (1,)
        if len(shape) != len(self.image_shape) + 1 or shape[1:] != self.image_shape:
            raise ValueError(f"`{argument}` must be images of shape (batch, {', '.join(map(str, self.image_shape))}) "
                             f"to fit the networks; received shape {shape}.")
        return to_float_images(x)

    def check_fit_inputs(self, x, y):
        # In-memory labels are checked once here; the compiled step cannot raise on their values.
        if isinstance(y, (np.ndarray, list)):
            self._numpy_labels(y, "y", len(x) if hasattr(x, "__len__") else None)

    def _one_hot(self, labels, argument, batch_size=None):
        """Class ids `(batch,)` or one-hot `(batch, num_classes)` -> float32 one-hot."""
        shape = tuple(labels.shape)
        if len(shape) == 1:
            c = ops.one_hot(ops.cast(labels, "int32"), self.num_classes)
        elif len(shape) == 2 and shape[1] == self.num_classes:
            c = ops.cast(labels, "float32")
        else:
            raise ValueError(f"`{argument}` must be class ids of shape (batch,) or one-hot of shape "
                             f"(batch, {self.num_classes}) (num_classes); received shape {shape}.")
        if isinstance(batch_size, int) and shape[0] is not None and shape[0] != batch_size:
            raise ValueError(f"`{argument}` must hold one label per image: expected {batch_size} labels, "
                             f"received shape {shape}.")
        return c

    def _numpy_images(self, x, argument):
        x = np.asarray(x)
        if len(x) == 0:
            raise ValueError(f"`{argument}` must hold at least one image; received shape {x.shape}.")
        return ops.convert_to_numpy(self._image_batch(as_unit_images(x, argument), argument))

    def _numpy_labels(self, labels, argument, batch_size=None):
        """Labels as a float32 one-hot numpy array, checking the class ids' values too."""
        labels = np.asarray(labels)
        if labels.ndim == 1 and labels.size:
            if not np.issubdtype(labels.dtype, np.integer):
                raise ValueError(f"`{argument}` class ids must be integers; received dtype {labels.dtype}.")
            if labels.min() < 0 or labels.max() >= self.num_classes:
                raise ValueError(f"`{argument}` class ids must be in [0, {self.num_classes}) (num_classes); "
                                 f"received ids from {labels.min()} to {labels.max()}.")
        elif labels.size == 0:
            raise ValueError(f"`{argument}` must hold at least one label; received shape {labels.shape}.")
        return ops.convert_to_numpy(self._one_hot(labels, argument, batch_size))

    def _code(self, z, argument):
        z = as_real_array(z, argument)
        if z.shape not in ((self.latent_dim,), (1, self.latent_dim)):
            raise ValueError(f"`{argument}` must be one latent code of shape ({self.latent_dim},) (latent_dim); "
                             f"received shape {z.shape}.")
        return z.reshape(1, self.latent_dim)

    def _require(self, network, method):
        if getattr(self, network) is None:
            raise ValueError(f"`{method}` needs the {network}, which mode={self.mode!r} does not have.")

    def _check_networks(self):
        image, k, d = self.image_shape, self.num_classes, self.latent_dim
        expected = {  # name: (input shapes, output widths)
            "encoder": ([image, (k,)], [d, d]),
            "discriminator": ([image], [1, None]),
            "classifier": ([image], [k, None]),
        }
        for name, (inputs, widths) in expected.items():
            network = getattr(self, name)
            if network is None:
                continue
            got_inputs = [tuple(t.shape)[1:] for t in network.inputs]
            got_widths = [t.shape[-1] for t in network.outputs]
            if got_inputs != inputs or len(got_widths) != len(widths) or any(
                    w is not None and w != g for w, g in zip(widths, got_widths)):
                raise ValueError(f"`{name}` must map inputs of shapes {inputs} to {len(widths)} outputs of widths "
                                 f"{['any' if w is None else w for w in widths]} to fit the generator; received "
                                 f"inputs {got_inputs} and output widths {got_widths}.")

    # ----------------------------------------------------------------- serialization
    def get_config(self):
        networks = {name: getattr(self, name) for name in NETWORKS if getattr(self, name) is not None}
        return {**super().get_config(), **self.serialize_networks(networks),
                "mode": self.mode,
                "kl_weight": self.kl_weight,
                "pairwise_weight": self.pairwise_weight,
                "discriminator_matching_weight": self.discriminator_matching_weight,
                "classifier_matching_weight": self.classifier_matching_weight,
                "centre_momentum": self.centre_momentum}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.update(cls.deserialize_networks({name: config[name] for name in NETWORKS if config.get(name)}))
        return cls(**config)


# --------------------------------------------------------------------- feature centres
def mean_feature_matching(centres, real, generated, groups, momentum):
    """L_GD / L_GC against moving-average feature centres, one centre per group (class).

    Args:
        centres: dict of the centre variables, `real` and `generated` `(K, F)` and `updates` `(K,)`.
        real, generated: features `(n, F)` of real and generated images.
        groups: `(n, K)` one-hot group of each sample (all ones in one column for D's global centre).

    Returns:
        `(1/2 sum_k ||real centre_k - generated centre_k||^2 over the groups in the batch, new centre values)`.
    """
    real, generated = ops.cast(real, "float32"), ops.cast(generated, "float32")  # mixed precision features
    # Statistics of the global batch: under tf.distribute each replica holds a share of it.
    counts = cross_replica_sum(ops.sum(groups, axis=0))
    present = counts > 0
    # The first batch of a group sets its centre; later ones blend in with `momentum`.
    decay = momentum * ops.cast(centres["updates"] > 0, "float32")[:, None]

    def moved(centre, features):
        sums = cross_replica_sum(ops.matmul(ops.transpose(groups), features))
        batch_mean = sums / ops.maximum(counts, 1e-12)[:, None]
        old = ops.stop_gradient(centre)
        return ops.where(present[:, None], decay * old + (1.0 - decay) * batch_mean, old)

    real_centres = ops.stop_gradient(moved(centres["real"], real))
    generated_centres = moved(centres["generated"], generated)
    distances = ops.sum(ops.square(real_centres - generated_centres), axis=-1)
    loss = 0.5 * ops.sum(ops.where(present, distances, 0.0))
    new = {"real": real_centres, "generated": ops.stop_gradient(generated_centres),
           "updates": centres["updates"] + ops.cast(present, "float32")}
    return loss, new


# --------------------------------------------------------------------- helpers
def _batched(fn, batch_size, *arrays):
    """`fn` over slices of numpy arrays, concatenated, as numpy."""
    batch_size, n = check_positive_int(batch_size, "batch_size"), len(arrays[0])
    return np.concatenate([ops.convert_to_numpy(fn(*(a[i:i + batch_size] for a in arrays)))
                           for i in range(0, n, batch_size)])


def _one_row(label):
    """One class (an id or a class vector) as a batch of one."""
    label = np.asarray(label)
    return label[None] if label.ndim <= 1 else label


def _mask_like(mask, x):
    """A 0/1 mask of `x`'s shape, from one of `x`'s shape or one image's (channel axis optional)."""
    if x.shape[-1] == 1 and mask.shape in (x.shape[:-1], x.shape[1:-1]):
        mask = mask[..., None]
    if mask.shape == x.shape[1:]:
        mask = np.broadcast_to(mask, x.shape)
    if mask.shape != x.shape:
        raise ValueError(f"`mask` must have the shape of `x` {x.shape} or of one image {x.shape[1:]}; "
                         f"received shape {mask.shape}.")
    return mask.astype("float32")
