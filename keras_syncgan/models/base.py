"""Shared GAN scaffolding: optimizers built in `compile()`, trackers, seeded noise, saving, and the
per-backend mechanics of one network update. No algorithm lives here.

A model subclass writes its algorithm once, in `keras.ops`, inside `gan_train_step(data)`, as a
sequence of calls to `self.update(name, loss_fn)`: "compute this loss, take its gradients for the
variables of the networks that optimizer `name` owns, apply that optimizer". A forward pass that
serves several updates (SyncGAN's generated samples: constants for D and S, trained through for G)
runs once, under `self.record(name, forward_fn)`, and `self.update(name, loss_fn, through=recorded)`
backpropagates through it. How that happens is the backend's business:

- TensorFlow: a `tf.GradientTape` per update (and per record, kept until its update); Keras wraps
  the step in `tf.function` (XLA with `jit_compile=True`).
- JAX: the whole step runs inside one `keras.StatelessScope` over the model's full state (weights,
  every optimizer's variables, trackers, seed state, spectral-norm vectors...), and each update is a
  `jax.grad` over the values of the trained variables (a record is a `jax.vjp`). Keras' JAX trainer
  jits the step.
"""

import contextlib
import os

import keras
from keras import ops

from keras_syncgan.latent import latent_codes
from keras_syncgan.metrics.validation import check_number
from keras_syncgan.utils import atomic_write, describe


class _NetworkOptimizerMap:
    """Maps each trainable variable to the optimizer of the network that owns it."""

    def __init__(self, optimizers, owners):
        self._optimizers = optimizers  # name -> optimizer, in update order
        self._owner = {id(v): name for name, variables in owners.items() for v in variables}

    def values(self):
        return list(self._optimizers.values())

    def __call__(self, variable):
        return self._optimizers[self._owner[id(variable)]]


class GANModel(keras.Model):
    """Base class of the package's GANs.

    Subclasses define:
        - `optimizer_targets()`: `{optimizer name: [networks it trains]}`, in update order;
        - `default_optimizers()`: `{optimizer name: keras optimizer}`;
        - `gan_train_step(data)`: the algorithm, returning the logs dict;
        - `tracker_names()`: `{logged loss/metric name: optimizer name of the network it measures}`;
        - `ema_networks()`: the networks whose weights the EMA averages (the generators).

    Args:
        latent_dim: size of the noise vector z.
        seed: seed of the model's noise (a `keras.random.SeedGenerator`), so training is reproducible.
        ema_decay: if set (e.g. 0.999), keep an exponential moving average of the generators' weights,
            BatchNorm statistics included, updated after every generator step; sampling then uses
            it. Saved with the model.
    """

    def __init__(self, latent_dim, seed=None, ema_decay=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"`latent_dim` must be a positive int; received {describe(latent_dim)}.")
        self.latent_dim = latent_dim
        self.seed = seed
        self.ema_decay = None if ema_decay is None else check_number(
            ema_decay, "ema_decay", "None or a number in (0, 1)", lambda v: 0.0 < v < 1.0)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names()}
        self.optimizers = None
        self.ema_weights = []

    # ----------------------------------------------------------------- EMA of the generators
    def _build_ema(self):
        """Creates the EMA shadow weights; subclasses call it once their networks exist."""
        self.ema_weights = []
        if self.ema_decay is not None:
            self.ema_weights = [keras.Variable(ops.convert_to_numpy(v), trainable=False, name=f"ema_{i}")
                                for i, v in enumerate(self._ema_sources())]

    def _ema_sources(self):
        return [v for net in self.ema_networks() for v in net.weights]

    def update_ema(self):
        """One EMA step towards the current generator weights (no-op without `ema_decay`)."""
        for shadow, weight in zip(self.ema_weights, self._ema_sources()):
            shadow.assign(self.ema_decay * shadow + (1.0 - self.ema_decay) * ops.cast(weight, shadow.dtype))

    @contextlib.contextmanager
    def ema_weights_in_use(self):
        """Within this context the generators hold their EMA weights (when EMA is enabled)."""
        if not self.ema_weights:
            yield
            return
        sources = self._ema_sources()
        current = [ops.convert_to_numpy(v) for v in sources]
        for weight, shadow in zip(sources, self.ema_weights):
            weight.assign(shadow)
        try:
            yield
        finally:
            for weight, value in zip(sources, current):
                weight.assign(value)

    # ----------------------------------------------------------------- subclass interface
    def tracker_names(self):
        raise NotImplementedError

    def networks_of_logs(self, names):
        """The optimizer (network group) names that logged `names`, in update order, without repeats."""
        owners = self.tracker_names()
        found = {owners[name] for name in names if name in owners}
        return [name for name in self.optimizer_targets() if name in found]

    def optimizer_targets(self):
        raise NotImplementedError

    def default_optimizers(self):
        raise NotImplementedError

    def ema_networks(self):
        raise NotImplementedError

    def gan_train_step(self, data):
        raise NotImplementedError

    # ----------------------------------------------------------------- compile and state
    def compile(self, optimizers=None, **kwargs):
        """Configures one optimizer per network group and builds them all now.

        Args:
            optimizers: dict `{name: optimizer}` overriding some or all of `default_optimizers()`;
                names are those of `optimizer_targets()`.
            **kwargs: `keras.Model.compile` options such as `jit_compile`, `steps_per_execution`,
                `run_eagerly`. `optimizer`, `loss` and `metrics` are not used by GANs.
        """
        for key in ("optimizer", "loss", "metrics"):
            if kwargs.get(key) is not None:
                raise ValueError(f"`{key}` is not used by {type(self).__name__}.compile(); pass "
                                 f"`optimizers={{name: optimizer}}` with names {list(self.optimizer_targets())}.")
            kwargs.pop(key, None)
        targets = self.optimizer_targets()
        chosen = self.default_optimizers()
        unknown = set(optimizers or {}) - set(targets)
        if unknown:
            raise ValueError(f"`optimizers` has unknown names {sorted(unknown)}; expected a subset of "
                             f"{list(targets)}.")
        chosen.update({name: keras.optimizers.get(opt) for name, opt in (optimizers or {}).items()})
        self.optimizers = {name: chosen[name] for name in targets}
        owners = {name: [v for net in nets for v in net.trainable_variables] for name, nets in targets.items()}
        # One MultiOptimizer holds every optimizer, so that Keras saves, restores (BackupAndRestore)
        # and, on JAX, threads all of their state; the updates call the inner optimizers one by one.
        super().compile(optimizer=keras.optimizers.MultiOptimizer(_NetworkOptimizerMap(self.optimizers, owners)),
                        **kwargs)
        self.optimizer.build([v for variables in owners.values() for v in variables])
        self._owned_variables = owners

    def get_compile_config(self):
        if self.optimizers is None:
            return None
        return {
            "optimizers": {name: keras.saving.serialize_keras_object(opt) for name, opt in self.optimizers.items()},
            "jit_compile": self.jit_compile,
            "steps_per_execution": self.steps_per_execution,
        }

    def compile_from_config(self, config):
        config = dict(config)
        config["optimizers"] = {name: keras.saving.deserialize_keras_object(opt)
                                for name, opt in config["optimizers"].items()}
        self.compile(**config)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "seed": self.seed,
                "ema_decay": self.ema_decay}

    @staticmethod
    def serialize_networks(networks):
        return {name: keras.saving.serialize_keras_object(net) for name, net in networks.items()}

    @staticmethod
    def deserialize_networks(configs):
        return {name: keras.saving.deserialize_keras_object(cfg) for name, cfg in configs.items()}

    # Saving goes through a temporary file and a rename, so a crash or a kill during a save (by
    # `fit` callbacks such as ModelCheckpoint and BackupAndRestore too) leaves the previous file whole.
    def save(self, filepath, overwrite=True, **kwargs):
        return _save_atomically(super().save, filepath, overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        return _save_atomically(super().save_weights, filepath, overwrite, **kwargs)

    @classmethod
    def load(cls, filepath, **kwargs):
        """Loads a `.keras` file saved by this class (or a subclass); other models raise `TypeError`.

        `keras.models.load_model` would return whatever model the file holds; this says so when a
        file saved by another model class is given where a `cls` is expected.
        """
        if not str(filepath).endswith(".keras"):
            raise ValueError(f"`filepath` must be a `.keras` file saved by `{cls.__name__}.save`; "
                             f"received {str(filepath)!r}.")
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"`filepath` {str(filepath)!r} does not exist.")
        model = keras.saving.load_model(filepath, **kwargs)
        if not isinstance(model, cls):
            raise TypeError(f"`filepath` {str(filepath)!r} holds a {type(model).__name__}, not a {cls.__name__}; "
                            f"load it with `{type(model).__name__}.load` or `keras.models.load_model`.")
        return model

    # Keras does not save a SeedGenerator's state; without it a reloaded model would draw other noise
    # than the original and a resumed run would diverge from an uninterrupted one.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        store["seed_generator_state"] = keras.ops.convert_to_numpy(self.seed_generator.state)

    def load_own_variables(self, store):
        own = self._trainable_variables + self._non_trainable_variables
        saved = len(store.keys()) - ("seed_generator_state" in store)
        if saved != len(own):  # e.g. EMA weights saved by a model with `ema_decay` into one without
            raise ValueError(f"The weights being loaded hold {saved} variables of the {type(self).__name__} itself, "
                             f"but this {type(self).__name__} has {len(own)} ({[v.name for v in own]}); "
                             "load weights saved by a model of the same configuration (e.g. the same `ema_decay`).")
        for i, variable in enumerate(own):
            variable.assign(store[str(i)])
        if "seed_generator_state" in store:
            self.seed_generator.state.assign(store["seed_generator_state"])

    @property
    def metrics(self):
        return list(self.trackers.values())

    def log(self, **values):
        """Updates the named trackers and returns the logs dict of every tracker."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def noise(self, n, truncation=None):
        """`n` latent codes z ~ N(0, I) from the model's seeded generator (`truncation`: see
        `keras_syncgan.latent.latent_codes`).

        Under `tf.distribute` every replica draws the codes of the whole global batch from the
        shared seed and keeps the slice of its replica id: replicas get different z, and an
        R-replica step sees the same codes as the 1-replica step on the same global batch.
        """
        return _share_of_replica(n, lambda total: latent_codes((total, self.latent_dim), truncation,
                                                               seed=self.seed_generator))

    def random_integers(self, n, width, low, high):
        """Integers `(n, width)` uniform in [low, high) from the model's seeded generator (per replica as `noise`)."""
        return _share_of_replica(n, lambda total: keras.random.randint((total, width), low, high, dtype="int32",
                                                                       seed=self.seed_generator))

    # ----------------------------------------------------------------- one update, per backend
    def record(self, name, forward_fn):
        """Runs `forward_fn()` through networks of optimizer `name` and keeps what their update needs.

        For a forward pass whose outputs serve several updates: the outputs feed other networks'
        updates as constants, and `update(name, loss_fn, through=recorded)` later backpropagates
        into the networks of `name` from them without running those networks again. Valid while
        the variables of `name` keep their values (other networks may move in between).

        Returns a `RecordedForward`: `.outputs` is what `forward_fn()` returned (a nest of tensors).
        """
        self._check_compiled()
        variables = self._owned_variables[name]
        if keras.backend.backend() == "jax":
            outputs, pullback = _jax_record(variables, forward_fn)
        else:
            outputs, pullback = _tensorflow_record(variables, forward_fn)
        return RecordedForward(name, outputs, pullback)

    def update(self, name, loss_fn, through=None):
        """Minimises `loss_fn()` over the networks of optimizer `name`; returns `(loss, aux)`.

        `loss_fn` returns `(scalar loss, aux)`; it calls the networks normally (with
        `training=True`). Only the variables of optimizer `name` move. With `through` (from
        `record(name, ...)`), `loss_fn` takes the recorded outputs as its argument, and the
        gradients reach the variables both through those outputs and through any direct calls.
        """
        self._check_compiled()
        if through is not None and (not isinstance(through, RecordedForward) or through.name != name):
            raise ValueError(f"`through` must be the result of `record({name!r}, ...)` in this step; "
                             f"received {describe(through)}.")
        optimizer = self.optimizers[name]
        variables = self._owned_variables[name]
        # Under the "mixed_float16" policy Keras wraps the optimizers in a LossScaleOptimizer; its
        # dynamic scale serves every update (see `_apply`).
        scaler = self.optimizer if isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer) else None
        if keras.backend.backend() == "jax":
            return _jax_update(optimizer, variables, loss_fn, scaler, through)
        return _tensorflow_update(optimizer, variables, loss_fn, scaler, through)

    def _check_compiled(self):
        if self.optimizers is None:
            raise RuntimeError(f"{type(self).__name__} must be compiled before training: call "
                               "`model.compile()` (optimizers default to the paper's).")

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after the checks a GAN needs before any step runs.

        Checks that the model is compiled and that in-memory (numpy) inputs are well formed
        (`check_fit_inputs`); datasets are checked at trace time by the step itself.
        """
        if self.optimizers is None:
            raise RuntimeError(f"`{type(self).__name__}.fit` needs a compiled model: call `model.compile()` first "
                               "(optimizers default to the paper's); received an uncompiled model.")
        self.check_fit_inputs(x, y)
        return super().fit(x, y, *args, **kwargs)

    def check_fit_inputs(self, x, y):
        """Checks `fit`'s in-memory `x`/`y` up front; models override it. Costs nothing per step."""

    def unpack_batch(self, data):
        """What `gan_train_step` receives of a batch: by default the `x` of Keras' `(x, y, sample_weight)`.

        `fit(dataset)` passes a dataset's element as it is; `fit(x=arrays)` and `train_on_batch`
        pass tuples. Models that train on labels too (CVAE-GAN) return more.
        """
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x

    def train_step(self, *args):
        if keras.backend.backend() == "jax":
            state, data = args
            return _jax_train_step(self, state, data)
        return self.gan_train_step(self.unpack_batch(args[0]))


def _save_atomically(save, filepath, overwrite, **kwargs):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"`filepath` {str(filepath)!r} exists and `overwrite=False`.")
    return atomic_write(filepath, lambda tmp: save(tmp, overwrite=True, **kwargs))


def _share_of_replica(n, draw):
    """`draw(total)` makes `total` rows; returns the `n` rows of this replica, all of them outside `tf.distribute`."""
    replicas, replica_id = _replica()
    values = draw(n * replicas)
    return values if replicas == 1 else ops.slice(values, (replica_id * n, 0), (n, ops.shape(values)[1]))


def _replica():
    """`(replicas in sync, this replica's id)`: `(1, 0)` outside a `tf.distribute` replica context."""
    if keras.backend.backend() != "tensorflow":
        return 1, 0
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 1, 0
    return context.num_replicas_in_sync, context.replica_id_in_sync_group


def cross_replica_sum(x):
    """`x` summed over the replicas of a `tf.distribute` step (differentiable); `x` itself elsewhere.

    For statistics of the global batch inside a step, such as CVAE-GAN's per-class feature means.
    """
    if _replica()[0] == 1:
        return x
    import tensorflow as tf

    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, x)


def _scale_loss(optimizer, loss, scaler):
    return optimizer.scale_loss(loss) if scaler is None else loss * ops.cast(scaler.dynamic_scale, loss.dtype)


def _apply(optimizer, grads, variables, scaler):
    """Applies `optimizer`; with a loss scaler, dynamic loss scaling as `LossScaleOptimizer` does it.

    The scaled gradients are unscaled; an update with non-finite gradients leaves the network and
    its optimizer as they were (selected with `where`, so the same code runs on TF and under JAX's
    tracing) and halves the scale; `dynamic_growth_steps` finite updates in a row double it.
    """
    if scaler is None:
        optimizer.apply(grads, variables)
        return
    scale = scaler.dynamic_scale
    grads = [ops.cast(g, "float32") / scale for g in grads]
    finite = scaler.check_finite(grads)
    state = list(variables) + list(optimizer.variables)
    before = [ops.copy(v) for v in state]  # values now, not the variables (TF reads lazily)
    optimizer.apply(grads, variables)
    for variable, old in zip(state, before):
        variable.assign(ops.where(finite, ops.copy(variable), old))
    grow = ops.logical_and(finite, scaler.step_counter >= scaler.dynamic_growth_steps - 1)
    scale_before = ops.copy(scale)
    scale.assign(ops.where(finite, ops.where(grow, 2.0 * scale_before, scale_before), 0.5 * scale_before))
    scaler.step_counter.assign(ops.where(ops.logical_and(finite, ops.logical_not(grow)),
                                         scaler.step_counter + 1, ops.zeros_like(scaler.step_counter)))


class RecordedForward:
    """A forward pass kept for a later update: `outputs`, and `pullback(output gradients)`, which
    returns the gradients of the variables of optimizer `name` (see `GANModel.record`)."""

    def __init__(self, name, outputs, pullback):
        self.name = name
        self.outputs = outputs
        self.pullback = pullback

    def __repr__(self):
        return f"RecordedForward(name={self.name!r})"


def _add_gradients(direct, recorded):
    return [r if d is None else d + r for d, r in zip(direct, recorded)]


def _tensorflow_record(variables, forward_fn):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        outputs = forward_fn()

    def pullback(output_grads):
        # An output the loss did not use has no gradient; as `output_gradients`, None would mean ones.
        flat = [tf.zeros_like(o) if g is None else g
                for g, o in zip(tf.nest.flatten(output_grads), tf.nest.flatten(outputs))]
        return tape.gradient(outputs, variables, output_gradients=tf.nest.pack_sequence_as(outputs, flat))

    return outputs, pullback


def _tensorflow_update(optimizer, variables, loss_fn, scaler, through=None):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        if through is None:
            loss, aux = loss_fn()
        else:
            tape.watch(tf.nest.flatten(through.outputs))
            loss, aux = loss_fn(through.outputs)
        # Under tf.distribute each replica's gradients are summed: scale the mean loss per replica.
        scaled = _scale_loss(optimizer, loss / tf.distribute.get_strategy().num_replicas_in_sync, scaler)
    if through is None:
        grads = tape.gradient(scaled, variables)
    else:
        grads, output_grads = tape.gradient(scaled, (variables, through.outputs))
        grads = _add_gradients(grads, through.pullback(output_grads))
    _apply(optimizer, grads, variables, scaler)
    return loss, aux


def _state_variables(model):
    return (model.trainable_variables, model.non_trainable_variables,
            model.optimizer.variables, model.metrics_variables)


def _jax_train_step(model, state, data):
    """Keras' JAX trainer API: `(state, data) -> (logs, state)`, with the whole step stateless."""
    groups = _state_variables(model)
    mapping = [(v, value) for variables, values in zip(groups, state) for v, value in zip(variables, values)]
    with _StepScope(mapping) as scope:
        logs = model.gan_train_step(model.unpack_batch(data))
    new_state = tuple([scope.get_current_value(v) for v in variables] for variables in groups)
    return logs, new_state


class _StepScope(keras.StatelessScope):
    """The stateless scope of one JAX train step; it knows every variable of the step's state."""

    def __init__(self, mapping):
        super().__init__(state_mapping=mapping)
        self.variables = [v for v, _ in mapping]


def _jax_pure(fn, variables):
    """`fn` as a pure function of the values of `variables`, the rest of the step's state held at its
    current values: returns `(pure, values, commit)`, where `pure(values, *args)` gives
    `(fn(*args), side effects)` and `commit(side effects)` writes them into the step's state."""
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    outer = get_stateless_scope()
    if not isinstance(outer, _StepScope):
        raise RuntimeError("On the JAX backend, `update()` and `record()` run inside `train_step` (called by `fit()`).")
    trained = {id(v) for v in variables}
    others = [(v, outer.get_current_value(v)) for v in outer.variables if id(v) not in trained]

    def pure(values, *args):
        with keras.StatelessScope(state_mapping=others + list(zip(variables, values))) as inner:
            result = fn(*args)
        # Side effects of the forward pass (BatchNorm statistics, spectral-norm vectors, the seed
        # state, trackers) leave the traced function as outputs, never as leaked tracers; so do the
        # trained variables' own writes (spectral normalization writes W / sigma).
        return result, ([inner.get_current_value(v) for v, _ in others], [inner.get_current_value(v) for v in variables])

    def commit(side_effects):
        updates, written = side_effects
        for (v, _), value in zip(others, updates):
            outer.add_update((v, value))
        for v, value in zip(variables, written):
            outer.add_update((v, value))

    return pure, [outer.get_current_value(v) for v in variables], commit


def _jax_record(variables, forward_fn):
    import jax

    pure, values, commit = _jax_pure(forward_fn, variables)
    outputs, pullback, side_effects = jax.vjp(pure, values, has_aux=True)
    commit(side_effects)
    return outputs, lambda output_grads: pullback(output_grads)[0]


def _jax_update(optimizer, variables, loss_fn, scaler, through=None):
    import jax

    pure, values, commit = _jax_pure(loss_fn, variables)
    args = () if through is None else (through.outputs,)

    def loss_of(values, *args):
        (loss, aux), side_effects = pure(values, *args)
        return _scale_loss(optimizer, loss, scaler), (loss, aux, side_effects)

    grads, (loss, aux, side_effects) = jax.grad(loss_of, argnums=tuple(range(1 + len(args))), has_aux=True)(
        values, *args)
    commit(side_effects)
    grads = grads[0] if through is None else _add_gradients(grads[0], through.pullback(grads[1]))
    _apply(optimizer, grads, variables, scaler)
    return loss, aux


def check_batch(name, tensors, expected_shapes):
    """Checks a dict of per-modality tensors against the networks' shapes (static, so it runs at trace)."""
    if not isinstance(tensors, dict):
        raise ValueError(f"`{name}` must be a dict keyed by modality {sorted(expected_shapes)}; "
                         f"received {describe(tensors)}.")
    if set(tensors) != set(expected_shapes):
        raise ValueError(f"`{name}` must have exactly the modality keys {sorted(expected_shapes)}; "
                         f"received keys {sorted(tensors)}.")
    sizes = set()
    for key, x in tensors.items():
        shape = tuple(x.shape)
        if shape[1:] != tuple(expected_shapes[key]):
            raise ValueError(f"`{name}[{key!r}]` must have shape (batch, {', '.join(map(str, expected_shapes[key]))}) "
                             f"to fit the networks; received shape {shape}.")
        sizes.add(shape[0])
    sizes.discard(None)
    if len(sizes) > 1:
        raise ValueError(f"All modalities of `{name}` must have the same batch size; received "
                         f"{ {k: tuple(v.shape)[0] for k, v in tensors.items()} }.")


def to_float_images(x):
    """uint8 or float images -> float32; uint8 is scaled to [0, 1]."""
    if x.dtype == "uint8":
        return ops.cast(x, "float32") / 255.0
    return ops.cast(x, "float32")
