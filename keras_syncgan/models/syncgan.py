import warnings

import keras
import numpy as np
from keras import ops

from keras_syncgan.augment import translate
from keras_syncgan.latent import best_restarts, optimize_latents
from keras_syncgan.losses import bce_with_logits, binary_accuracy, mode_seeking_loss
from keras_syncgan.metrics.validation import as_real_array, as_unit_images, check_number, check_positive_int
from keras_syncgan.models.base import GANModel, check_batch, to_float_images
from keras_syncgan.utils import describe


# How `SyncGAN.transfer` keeps one inversion restart per sample.
TRANSFER_SELECTIONS = ("reconstruction", "synchronizer")


@keras.saving.register_keras_serializable(package="keras_syncgan")
class SyncGAN(GANModel):
    """SyncGAN (Chen, Chen & Hu, ICME 2018): synchronized generators for N >= 2 modalities.

    One generator and one discriminator per modality, all generators fed the *same* z, and a
    synchronizer S that learns on real data whether a tuple of samples belongs together. Each training
    step, in the authors' order:

    1. every discriminator D_i on real samples vs G_i(z_i) (sigmoid cross-entropy);
    2. S on real synchronous tuples (label 1) and asynchronous ones (label 0);
    3. one joint generator step on sum_i BCE(D_i(G_i(z_i)), 1) + BCE(S(G(z)), target), where the
       first half of the batch shares one z across modalities (target 1, synchronous) and the second
       half draws an independent z per modality (target 0); with `diversity_weight`, plus MSGAN's
       mode-seeking term per modality (not in the paper; see below).

    The generators run once per step: steps 1 and 3 share one forward pass (`GANModel.record`), where
    the authors' code generates again for step 3. The gradients are the same; the BatchNorm moving
    statistics (used only at inference) take one update per step instead of two.

    The training data is a dict (see `keras_syncgan.data.paired_dataset`):
    `{"real": {modality: x}, "pairs": {modality: x}, "sync": labels}`. `real` feeds the adversarial
    terms (unpaired data is fine); `pairs`/`sync` feed S, so in the semi-supervised setting only the
    labelled fraction of the data needs pair labels.

    Args:
        generators: dict `{modality: keras.Model}` mapping z to samples in [0, 1].
        discriminators: dict `{modality: keras.Model}` mapping samples to one logit.
        synchronizer: `keras.Model` taking a dict `{modality: samples}` to one logit.
        latent_dim: size of z (64 in the paper's code).
        adversarial_weight, sync_weight: weights of the generators' loss terms (1 and 1 in the paper).
        adversarial_synchronizer: also train S to call the generated shared-z tuples asynchronous
            (label 0), as the authors' September 2017 code did; the generators still want them
            called synchronous. Off by default: the final code trains S on real tuples only,
            which lets the generators satisfy S with tuples that are not of one class (compare
            `evaluate`'s "synchronizer_acceptance" with the sync rate). In the README's runs it
            raised the sync rate and sample quality, and lowered S's accuracy at threshold 0.5.
        diversity_weight: weight of a mode-seeking term in the generators' loss (MSGAN, Mao et al.
            2019; `losses.mode_seeking_loss`), summed over modalities: each generator is asked to keep
            samples from the batch's two halves (independent z) apart in proportion to their z. Not
            in the paper; 0 (default) leaves the authors' loss. Aimed at the mode collapse the
            adversarial synchronizer caused at 1 % paired data in the README's runs; there, over
            4,000 steps, weight 1 made the run worse (lower sync rate, higher FD) and 0.1 or 0.03
            helped a little (sync rate 1-2 points higher, fewer samples in the largest class); over
            20,000 steps 0.1 slowed the collapse without preventing it (at 10,000 and 20,000 steps
            it matched the sync rate of a run without it, with fewer samples in the largest
            class). The term is logged (`g_diversity_loss`) whatever its weight, as a collapse
            monitor. Like BatchNorm's statistics it depends on the batch: under `tf.distribute`
            each replica pairs the halves of its own batch.
        synchronizer_translation: shift every sample S sees in training (real tuples, generated
            ones, and the generators' in their step, which backpropagate through the shift) by a
            random whole number of pixels in [-t, t] along both axes, each sample and modality its
            own shift (DiffAugment's translation, Zhao et al. 2020; `augment.translate`). Not in the
            paper; 0 (default) leaves the authors' algorithm. For few pair labels: on the 1 %
            labelled tuples of MNIST <-> Fashion-MNIST, S trained alone for 4,000 steps fits them
            (training loss 0.014) and reaches 0.76 held-out accuracy (ROC AUC 0.90); with t = 2,
            0.83 (0.93) (`benchmarks.synchronizer_translation`). In the GAN there (adversarial S)
            t = 2 held off the generators' collapse (at 8,000 steps FD 20 / 20 against 65 / 34,
            digit recall 0.51 against 0.15) while the sync rate rose more slowly (0.58 against
            0.74), reaching a float32 run without it by 20,000 steps (0.76 against 0.78, the same
            corrected for chance) with a third of its FD; t = 1 sits between the two (0.79-0.84 at
            20,000 steps over three seeds, level with the best 1 % run, and S's top quarter 0.90-0.96,
            above the 1 % goal on each seed; README, Results). Samples must be
            `(height, width, channels)`. Inference (`sync_probability`, `transfer`) sees the
            samples as they are.
        seed: seed of the model's noise.
        ema_decay: keep an EMA of the generators' weights for sampling (see `GANModel`).
        inversion_encoders: optional dict `{modality: keras.Model}` mapping samples to latent codes,
            used to warm-start `invert`; `train_inversion_encoders()` creates and trains them.

    Example:
    >>> from keras_syncgan import networks
    >>> shape = (8, 8, 1)
    >>> model = SyncGAN(
    ...     generators={m: networks.image_generator(shape, 16, filters=8, name=f"g_{m}") for m in "ab"},
    ...     discriminators={m: networks.image_discriminator(shape, filters=8, name=f"d_{m}") for m in "ab"},
    ...     synchronizer=networks.synchronizer({"a": shape, "b": shape}, filters=8, hidden=16),
    ...     latent_dim=16, seed=0)
    >>> model.compile()
    >>> sorted(model.generate(3))
    ['a', 'b']
    """

    def __init__(self, generators, discriminators, synchronizer, latent_dim=64, adversarial_weight=1.0,
                 sync_weight=1.0, adversarial_synchronizer=False, diversity_weight=0.0, synchronizer_translation=0,
                 seed=None, ema_decay=None, inversion_encoders=None, **kwargs):
        self.modalities = _check_modalities(generators, discriminators)
        super().__init__(latent_dim=latent_dim, seed=seed, ema_decay=ema_decay, **kwargs)
        self.generators = dict(generators)
        self.discriminators = dict(discriminators)
        self.synchronizer = synchronizer
        # After the other networks: Keras saves sublayers in tracking order, and encoders trained
        # later are appended last, so a reloaded model must track them last too.
        self.inversion_encoders = dict(inversion_encoders or {})
        self.adversarial_weight = float(adversarial_weight)
        self.sync_weight = float(sync_weight)
        if not isinstance(adversarial_synchronizer, bool):
            raise ValueError("`adversarial_synchronizer` must be True or False; received "
                             f"{describe(adversarial_synchronizer)}.")
        self.adversarial_synchronizer = adversarial_synchronizer
        self.diversity_weight = check_number(diversity_weight, "diversity_weight", "a number >= 0", lambda v: v >= 0)
        self.synchronizer_translation = check_positive_int(synchronizer_translation, "synchronizer_translation",
                                                           minimum=0)
        self.sample_shapes = {}
        for m in self.modalities:
            if tuple(generators[m].input.shape)[1:] != (latent_dim,):
                raise ValueError(f"`generators[{m!r}]` must take z of shape (batch, {latent_dim}) "
                                 f"(`latent_dim`); its input has shape {tuple(generators[m].input.shape)}.")
            self.sample_shapes[m] = tuple(generators[m].output.shape)[1:]
            if self.synchronizer_translation and len(self.sample_shapes[m]) != 3:
                raise ValueError(f"`synchronizer_translation` shifts samples of shape (height, width, channels); "
                                 f"{m!r} samples have shape {self.sample_shapes[m]}.")
            if tuple(discriminators[m].input.shape)[1:] != self.sample_shapes[m]:
                raise ValueError(f"`discriminators[{m!r}]` must take the generator's samples of shape "
                                 f"{self.sample_shapes[m]}; its input has shape {tuple(discriminators[m].input.shape)[1:]}.")
        self._build_ema()
        self.built = True

    # ----------------------------------------------------------------- GANModel interface
    def tracker_names(self):
        return {**{f"d_loss_{m}": f"discriminator_{m}" for m in self.modalities},
                "s_loss": "synchronizer", "s_accuracy": "synchronizer",
                **dict.fromkeys(["g_loss", "g_adversarial_loss", "g_sync_loss", "g_diversity_loss"], "generators")}

    def optimizer_targets(self):
        return {**{f"discriminator_{m}": [self.discriminators[m]] for m in self.modalities},
                "synchronizer": [self.synchronizer],
                "generators": [self.generators[m] for m in self.modalities]}

    def ema_networks(self):
        return [self.generators[m] for m in self.modalities]

    def default_optimizers(self):
        # The authors' (2021 code): Adam, beta1 0.5; D 1e-4, S 2e-4, G 2e-4.
        adam = lambda lr, name: keras.optimizers.Adam(lr, beta_1=0.5, beta_2=0.999, epsilon=1e-8, name=name)
        return {**{f"discriminator_{m}": adam(1e-4, f"discriminator_{m}_adam") for m in self.modalities},
                "synchronizer": adam(2e-4, "synchronizer_adam"),
                "generators": adam(2e-4, "generators_adam")}

    # ----------------------------------------------------------------- the algorithm
    def gan_train_step(self, data):
        real, pairs, sync = self._unpack(data)
        n = ops.shape(real[self.modalities[0]])[0]
        z, sync_target = self.paired_latents(n)
        # One forward pass of the generators serves all three steps: the G step backpropagates
        # through it instead of generating again (the same tensors: no step in between moves G).
        generated = self.record("generators", lambda: {m: self.generators[m](z[m], training=True)
                                                        for m in self.modalities})
        fakes = generated.outputs

        # 1. Discriminators: real vs generated, one modality at a time.
        d_losses = {}
        for m in self.modalities:
            d_losses[f"d_loss_{m}"], _ = self.update(f"discriminator_{m}", lambda m=m: (
                bce_with_logits(self.discriminators[m](real[m], training=True), 1.0)
                + bce_with_logits(self.discriminators[m](ops.stop_gradient(fakes[m]), training=True), 0.0), None))

        # 2. Synchronizer: real synchronous (1) vs asynchronous (0) tuples; in the adversarial
        # variant also generated shared-z tuples (0).
        def synchronizer_loss():
            loss, logits = self.labelled_tuples_loss(pairs, sync)
            if self.adversarial_synchronizer:
                shared = {m: ops.stop_gradient(fakes[m][:n // 2]) for m in self.modalities}
                loss = loss + bce_with_logits(self.synchronizer(self.synchronizer_view(shared), training=True), 0.0)
            return loss, logits

        s_loss, s_logits = self.update("synchronizer", synchronizer_loss)

        # 3. Generators, jointly: fool every D_i and make S agree that shared z means synchronous
        # (and, with diversity_weight, keep samples of different z apart). D and S run in inference
        # mode here so that their state (spectral-norm vectors and kernels) moves only in their own steps.
        halves = slice(None, n // 2), slice(n // 2, 2 * (n // 2))  # every z[m] row is an independent draw

        def generator_loss(fakes):
            adversarial = sum(bce_with_logits(self.discriminators[m](fakes[m], training=False), 1.0)
                              for m in self.modalities)
            sync_loss = bce_with_logits(self.synchronizer(self.synchronizer_view(fakes), training=False), sync_target)
            diversity = sum(mode_seeking_loss(*(fakes[m][h] for h in halves), *(z[m][h] for h in halves))
                            for m in self.modalities)
            loss = self.adversarial_weight * adversarial + self.sync_weight * sync_loss
            if self.diversity_weight:
                loss = loss + self.diversity_weight * diversity
            return loss, (adversarial, sync_loss, diversity)

        g_loss, (g_adversarial, g_sync, g_diversity) = self.update("generators", generator_loss, through=generated)
        self.update_ema()
        return self.log(**d_losses, s_loss=s_loss, s_accuracy=binary_accuracy(s_logits, sync), g_loss=g_loss,
                        g_adversarial_loss=g_adversarial, g_sync_loss=g_sync, g_diversity_loss=g_diversity)

    def labelled_tuples_loss(self, pairs, sync):
        """S's loss on real tuples labelled synchronous (1) / asynchronous (0), as seen in training:
        `(loss, logits)`. The whole S step without `adversarial_synchronizer`."""
        logits = self.synchronizer(self.synchronizer_view(pairs), training=True)
        return bce_with_logits(logits, sync), logits

    def synchronizer_view(self, tuples):
        """The tuples as S sees them in training: shifted by `synchronizer_translation` (if set)."""
        if not self.synchronizer_translation:
            return tuples
        t = self.synchronizer_translation
        return {m: translate(x, self.random_integers(ops.shape(x)[0], 2, -t, t + 1)) for m, x in tuples.items()}

    def paired_latents(self, n):
        """Latents for n generated tuples: the first half share one z across modalities
        (synchronous, target 1), the second half draw an independent z per modality (target 0)."""
        half = n // 2
        shared = self.noise(half)
        z = {m: ops.concatenate([shared, self.noise(n - half)], axis=0) for m in self.modalities}
        target = ops.concatenate([ops.ones((half,)), ops.zeros((n - half,))], axis=0)
        return z, target

    # ----------------------------------------------------------------- inference
    def call(self, z, training=False):
        """Generates one sample per modality from the same z: `{modality: G_m(z)}`."""
        return {m: self.generators[m](z, training=training) for m in self.modalities}

    def generate(self, n=None, z=None, batch_size=256, truncation=None):
        """Synchronized samples: `{modality: np.ndarray}` from one shared z per sample.

        Args:
            n: number of samples (z ~ N(0, I) from the model's seeded generator); or give `z`.
            z: latent codes of shape `(n, latent_dim)`.
            truncation: with `n`, draw z from N(0, 1) truncated to [-truncation, truncation] (the
                truncation trick: more typical, less varied samples; see `latent.latent_codes`).

        With `ema_decay` set, the samples come from the EMA of the generators' weights.
        """
        if (n is None) == (z is None):
            raise ValueError(f"Pass exactly one of `n` and `z`; received n={n!r}, z={describe(z)}.")
        if z is None:
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"`n` must be a positive int; received {n!r}.")
            z = self.noise(int(n), truncation)
        elif truncation is not None:
            raise ValueError(f"`truncation` applies to the codes `generate` draws; pass it with `n`, not `z` "
                             f"(received truncation={truncation!r} with z={describe(z)}).")
        z = as_real_array(keras.ops.convert_to_numpy(z), "z")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"`z` must have shape (n, {self.latent_dim}) (latent_dim); received shape {z.shape}.")
        batch_size = check_positive_int(batch_size, "batch_size")
        outputs = {m: [] for m in self.modalities}
        with self.ema_weights_in_use():
            for start in range(0, len(z), batch_size):
                batch = self(z[start:start + batch_size], training=False)
                for m in self.modalities:
                    outputs[m].append(keras.ops.convert_to_numpy(batch[m]))
        return {m: np.concatenate(v) for m, v in outputs.items()}

    # ----------------------------------------------------------------- cross-modal transfer
    def invert(self, x, modality, steps=1500, learning_rate=0.1, optimizer="sgd", restarts=1, prior_weight=0.0,
               z0=None, warm_start=False, seed=None, all_restarts=False, jit_compile="auto"):
        """Recovers latent codes of real samples by inverting one generator (the paper's transfer step).

        Minimises, for every sample at once, sum_pixels (G_m(z) - x)^2 + prior_weight * ||z||^2 over z
        with the generator frozen (inference mode; its EMA weights when `ema_decay` is set, as in
        `generate`). The defaults are the authors' procedure: z ~ N(0, I), 1,500 steps of plain
        gradient descent with learning rate 0.1, no prior. One difference in scaling: the authors
        average the loss over their batch, which divides each sample's step by the batch size; here
        the per-sample losses are summed, so each sample takes steps of 0.1 whatever the number of
        samples inverted together (the authors' step for a batch of one).
        Options that may do better: `optimizer="adam"`, a few `restarts` (the best one per sample is
        kept), a small `prior_weight`, or a warm start `z0`.

        Args:
            x: samples of `modality`, `(n, *sample_shape)` (channel axis optional), uint8 or float in [0, 1].
            modality: which generator to invert.
            z0: starting codes `(n, latent_dim)`; default: drawn from N(0, I) with `seed`. Further
                restarts start from `z0` plus N(0, 0.1^2 I) noise drawn with `seed`.
            warm_start: start from the modality's inversion encoder (see `train_inversion_encoders`);
                further restarts start from the encoder's code plus N(0, 0.1^2 I) noise.
            all_restarts: return every restart instead of the best one per sample (to choose
                among them otherwise, as `transfer(..., select_by="synchronizer")` does).

        Returns:
            `(z, errors)`: numpy codes `(n, latent_dim)` and per-sample mean squared pixel error;
            with `all_restarts`, `(restarts * n, latent_dim)` and `(restarts * n,)`, restart-major
            (restart r of sample i at row r * n + i).
        """
        generator = self._generator_of(modality, "modality")
        x = self._samples(x, modality, "x")
        n = x.shape[0]
        if not isinstance(restarts, int) or restarts < 1:
            raise ValueError(f"`restarts` must be a positive int; received {restarts!r}.")
        if warm_start:
            if z0 is not None:
                raise ValueError("Pass `z0` or `warm_start=True`, not both.")
            if modality not in self.inversion_encoders:
                raise ValueError(f"`warm_start=True` needs an inversion encoder for {modality!r}; call "
                                 "`train_inversion_encoders()` first.")
            z0 = _jittered_restarts(ops.convert_to_numpy(self.inversion_encoders[modality](x, training=False)),
                                    restarts, seed)
        elif z0 is None:
            z0 = np.random.default_rng(seed).normal(size=(restarts, n, self.latent_dim)).reshape(-1, self.latent_dim)
        else:
            z0 = as_real_array(z0, "z0")
            if z0.shape != (n, self.latent_dim):
                raise ValueError(f"`z0` must have shape ({n}, {self.latent_dim}) (one code per sample); "
                                 f"received shape {z0.shape}.")
            # Identical starts would give identical restarts: jitter them as for the warm start.
            z0 = _jittered_restarts(z0, restarts, seed)
        targets = ops.convert_to_tensor(np.tile(x, (restarts,) + (1,) * (x.ndim - 1)))
        pixel_axes = tuple(range(1, x.ndim))

        def squared_error(z):
            return ops.sum(ops.square(generator(z, training=False) - targets), axis=pixel_axes)

        def objective(z):
            return squared_error(z) + prior_weight * ops.sum(ops.square(z), axis=1)

        # The generator that `generate` samples from (its EMA weights, when kept), so that a transfer
        # inverts and generates with the same networks.
        with self.ema_weights_in_use():
            z, _ = optimize_latents(objective, z0.astype("float32"), steps=steps, learning_rate=learning_rate,
                                    optimizer=optimizer, jit_compile=jit_compile)
            errors = squared_error(z) / float(np.prod(x.shape[1:]))
        z, errors = ops.convert_to_numpy(z), ops.convert_to_numpy(errors)
        if all_restarts:
            return z, errors
        keep = best_restarts(errors, restarts)
        return z[keep], errors[keep]

    def train_inversion_encoders(self, n=20000, epochs=10, batch_size=128, learning_rate=1e-3, filters=32, seed=0,
                                 verbose=0):
        """Trains one amortised inversion encoder per modality on generated `(G_m(z), z)` pairs.

        Its output is a good starting point for `invert(..., warm_start=True)`, which then needs far
        fewer optimisation steps for the same reconstruction error. Encoders missing from
        `inversion_encoders` are created (the discriminator's conv stack regressing z); they are
        saved with the model. Returns `{modality: keras.callbacks.History}`.
        """
        from keras_syncgan.networks import image_discriminator

        z = np.random.default_rng(seed).normal(size=(n, self.latent_dim)).astype("float32")
        samples = self.generate(z=z)
        histories = {}
        for m in self.modalities:
            if m not in self.inversion_encoders:
                self.inversion_encoders[m] = image_discriminator(
                    self.sample_shapes[m], filters=filters, downsamplings=_halvings(self.generators[m]),
                    spectral_norm=False, units=self.latent_dim, name=f"inversion_encoder_{m}")
            # A throwaway wrapper holds the optimizer, so the saved encoder carries no training state.
            trainer = keras.Sequential([self.inversion_encoders[m]])
            trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
            histories[m] = trainer.fit(samples[m], z, epochs=epochs, batch_size=batch_size, verbose=verbose)
        return histories

    def refined_synchronizer(self, batches, steps=12000, learning_rate=2e-4, verbose=0):
        """A copy of the synchronizer trained on `steps` more batches of real tuples only; the model is untouched.

        A judge of tuples for `transfer(..., select_by="synchronizer", synchronizer=judge)`. The
        adversarial synchronizer (`adversarial_synchronizer=True`) also learns to call generated
        tuples asynchronous, so it rates a real sample beside a generated one lower for looking
        generated, not only for being of another class; trained on real tuples alone (the final
        code's objective), the copy ranks a sample's candidate transfers by class. In the README's
        20,000-step adversarial run, 12,000 such steps (2.5 minutes on 2 CPU cores) raised S's
        held-out accuracy from 0.76 to 0.96 and the transfer accuracy chosen among 20 restarts
        (see Results).

        Args:
            batches: the model's training batches (`{"pairs": {modality: x}, "sync": labels, ...}`, the
                `real` entry unused), e.g. `paired_dataset` or `PairedBatches`: endless, or at least
                `steps` of them. In the semi-supervised setting, the labelled fraction, as in training.
            steps: batches to train on.
            learning_rate: of Adam with beta1 0.5 (the synchronizer's optimizer in training).
            verbose: `fit()`'s progress output.

        Returns:
            A `keras.Model` with the synchronizer's architecture and inputs, compiled with its optimizer.

        Example:
        >>> judge = model.refined_synchronizer(PairedBatches(x, y), steps=12000)  # doctest: +SKIP
        >>> fashion, z, errors = model.transfer(digits, "digit", "fashion", restarts=20,  # doctest: +SKIP
        ...                                     select_by="synchronizer", synchronizer=judge)
        """
        steps = check_positive_int(steps, "steps")
        learning_rate = check_number(learning_rate, "learning_rate", "a number > 0", lambda v: v > 0)
        judge = keras.models.clone_model(self.synchronizer)
        judge.set_weights(self.synchronizer.get_weights())
        judge.compile(optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                      loss=keras.losses.BinaryCrossentropy(from_logits=True))
        drawn = 0

        def labelled_tuples():
            nonlocal drawn
            for batch in batches:
                if not isinstance(batch, dict) or not {"pairs", "sync"} <= set(batch):
                    raise ValueError("`batches` must yield the model's training batches {'pairs': {modality: x}, "
                                     f"'sync': labels, ...}}; received {describe(batch)}.")
                check_batch("batches' pairs", batch["pairs"], self.sample_shapes)
                drawn += 1
                yield ({m: ops.convert_to_numpy(to_float_images(x)) for m, x in batch["pairs"].items()},
                       ops.convert_to_numpy(batch["sync"]).astype("float32"))
                if drawn == steps:
                    return

        with warnings.catch_warnings():  # Keras' "ran out of data" warning: the error below says it better
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            judge.fit(labelled_tuples(), steps_per_epoch=steps, epochs=1, shuffle=False, verbose=verbose)
        if drawn < steps:
            raise ValueError(f"`batches` must hold at least `steps` batches ({steps}); it ran out after {drawn}.")
        return judge

    def transfer(self, x, source, target, select_by="reconstruction", synchronizer=None, **invert_kwargs):
        """Cross-modal transfer: `G_target(invert(x, source))`. Keyword arguments go to `invert`.

        Args:
            select_by: how to keep one of several inversion `restarts` per sample. "reconstruction"
                (the authors' criterion): the lowest reconstruction error of `x`. "synchronizer": the
                restart whose transferred tuple (the real `x` in place of the generated source) the
                synchronizer finds most likely synchronous. Several codes reconstruct `x` about
                equally well yet transfer to different classes; S, trained on real pairs, tells
                them apart (README, Results: with 10 restarts, digit->fashion 0.80 -> 0.885 and
                fashion->digit 0.735 -> 0.83).
            synchronizer: with `select_by="synchronizer"`, the network that rates the tuples
                (default: the model's own), e.g. `refined_synchronizer()`'s judge.

        Returns `(samples of target, z, reconstruction errors of the source)`.

        Example:
        >>> fashion, z, errors = model.transfer(digits, "digit", "fashion", optimizer="adam",  # doctest: +SKIP
        ...                                     steps=300, learning_rate=0.05, restarts=10,
        ...                                     select_by="synchronizer")
        """
        self._generator_of(source, "source")
        self._generator_of(target, "target")
        if select_by not in TRANSFER_SELECTIONS:
            raise ValueError(f"`select_by` must be one of {TRANSFER_SELECTIONS}; received {select_by!r}.")
        if synchronizer is not None and select_by != "synchronizer":
            raise ValueError(f"`synchronizer` rates the restarts with select_by='synchronizer'; received "
                             f"select_by={select_by!r}.")
        if select_by == "reconstruction":  # `invert` keeps the best fit: generate for the kept codes only
            z, errors = self.invert(x, source, **invert_kwargs)
            return self.generate(z=z)[target], z, errors
        z, errors = self.invert(x, source, all_restarts=True, **invert_kwargs)
        samples = self.generate(z=z)
        restarts = len(z) // len(x)
        real = self._samples(x, source, "x")
        samples[source] = np.tile(real, (restarts,) + (1,) * (real.ndim - 1))
        keep = best_restarts(-self.sync_probability(samples, synchronizer=synchronizer), restarts)
        return samples[target][keep], z[keep], errors[keep]

    def _generator_of(self, modality, argument):
        if modality not in self.generators:
            raise ValueError(f"`{argument}` must be one of {self.modalities}; received {modality!r}.")
        return self.generators[modality]

    def _samples(self, x, modality, argument):
        """Real samples of one modality as float32 numpy `(n, *sample_shape)` in [0, 1]."""
        x = np.asarray(x)
        shape = self.sample_shapes[modality]
        if x.ndim == len(shape) and shape[-1] == 1:
            x = x[..., None]
        if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != shape or len(x) == 0:
            raise ValueError(f"`{argument}` must be samples of {modality!r} with shape (n, {', '.join(map(str, shape))}); "
                             f"received shape {x.shape}.")
        return as_unit_images(x, argument)

    def sync_probability(self, samples, batch_size=256, synchronizer=None):
        """The synchronizer's P(synchronous) for tuples `{modality: x}` (uint8 or float in [0, 1]).

        `synchronizer`: another network of its inputs to ask instead (e.g. `refined_synchronizer()`'s).
        """
        check_batch("samples", samples, self.sample_shapes)
        synchronizer = self.synchronizer if synchronizer is None else synchronizer
        samples = {m: as_unit_images(x, f"samples[{m!r}]") for m, x in samples.items()}
        n, batch_size = len(samples[self.modalities[0]]), check_positive_int(batch_size, "batch_size")
        probabilities = []
        for start in range(0, n, batch_size):
            batch = {m: keras.ops.convert_to_tensor(x[start:start + batch_size]) for m, x in samples.items()}
            probabilities.append(keras.ops.convert_to_numpy(keras.ops.sigmoid(synchronizer(batch))))
        return np.concatenate(probabilities)[:, 0]

    def most_synchronous(self, samples, n, batch_size=256):
        """The `n` tuples of `samples` that the synchronizer finds most likely synchronous, in their order.

        Selection by the synchronizer (as discriminator rejection sampling selects by D): draw more
        shared-z tuples than needed, keep the ones S trusts. It raises the share of same-class
        tuples; the price is the discarded draws and some class balance (S trusts some classes
        more). Returns `{modality: x}` with `n` tuples.

        Example:
        >>> pairs = model.most_synchronous(model.generate(400), 100)  # doctest: +SKIP
        """
        probability = self.sync_probability(samples, batch_size)  # checks `samples`
        n = check_positive_int(n, "n")
        if n > len(probability):
            raise ValueError(f"`n` must be at most the number of tuples in `samples` ({len(probability)}); "
                             f"received n={n}.")
        keep = np.sort(np.argsort(-probability, kind="stable")[:n])
        return {m: np.asarray(x)[keep] for m, x in samples.items()}

    # ----------------------------------------------------------------- data checks
    def check_fit_inputs(self, x, y):
        if isinstance(x, (np.ndarray, list, tuple)) or hasattr(x, "__array__"):
            raise ValueError("`x` must be a dict {'real': {modality: images}, 'pairs': {modality: images}, "
                             "'sync': labels} or a dataset of them (see keras_syncgan.data.paired_dataset); "
                             f"received {describe(x)}.")

    def _unpack(self, data):
        if not isinstance(data, dict) or not {"real", "pairs", "sync"} <= set(data):
            raise ValueError("SyncGAN trains on dicts {'real': {modality: x}, 'pairs': {modality: x}, "
                             f"'sync': labels}} (see keras_syncgan.data.paired_dataset); received {describe(data)}.")
        check_batch("real", data["real"], self.sample_shapes)
        check_batch("pairs", data["pairs"], self.sample_shapes)
        n_pairs = tuple(data["pairs"][self.modalities[0]].shape)[0]
        n_labels = tuple(data["sync"].shape)[0] if len(data["sync"].shape) else 0
        if n_pairs is not None and n_labels is not None and n_pairs != n_labels:
            raise ValueError(f"`sync` must hold one label per pair: expected length {n_pairs}, "
                             f"received shape {tuple(data['sync'].shape)}.")
        real = {m: to_float_images(x) for m, x in data["real"].items()}
        pairs = {m: to_float_images(x) for m, x in data["pairs"].items()}
        return real, pairs, ops.cast(data["sync"], "float32")

    # ----------------------------------------------------------------- serialization
    def get_config(self):
        return {**super().get_config(),
                "generators": self.serialize_networks(self.generators),
                "discriminators": self.serialize_networks(self.discriminators),
                "synchronizer": keras.saving.serialize_keras_object(self.synchronizer),
                "adversarial_weight": self.adversarial_weight,
                "sync_weight": self.sync_weight,
                "adversarial_synchronizer": self.adversarial_synchronizer,
                "diversity_weight": self.diversity_weight,
                "synchronizer_translation": self.synchronizer_translation,
                "inversion_encoders": self.serialize_networks(self.inversion_encoders)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generators"] = cls.deserialize_networks(config["generators"])
        config["discriminators"] = cls.deserialize_networks(config["discriminators"])
        config["synchronizer"] = keras.saving.deserialize_keras_object(config["synchronizer"])
        config["inversion_encoders"] = cls.deserialize_networks(config.get("inversion_encoders") or {})
        return cls(**config)


def _jittered_restarts(start, restarts, seed):
    """`start` `(n, d)` for the first restart, `start` + N(0, 0.1^2 I) for the others, restart-major."""
    jitter = np.random.default_rng(seed).normal(scale=0.1, size=(restarts - 1, *start.shape))
    return np.concatenate([start[None], start[None] + jitter]).reshape(-1, start.shape[-1])


def _halvings(generator):
    """How many times the generator doubles its first feature map (the upsampling layers)."""
    return sum(isinstance(layer, keras.layers.UpSampling2D) for layer in generator.layers)


def _check_modalities(generators, discriminators):
    if not isinstance(generators, dict) or len(generators) < 2:
        raise ValueError(f"`generators` must be a dict of at least two modalities; received {describe(generators)}.")
    if not isinstance(discriminators, dict) or set(discriminators) != set(generators):
        raise ValueError(f"`discriminators` must be a dict with the generators' modalities {sorted(generators)}; "
                         f"received {describe(discriminators)}.")
    return list(generators)
