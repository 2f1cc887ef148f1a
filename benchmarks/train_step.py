"""One train-step throughput measurement in this process; prints one JSON line.

    python -m benchmarks.train_step --model syncgan|cvaegan --width cpu --batch-size 64
                                    --mode tf_function|xla|spe4|no_jit [--dtype-policy mixed_bfloat16]
                                    [--pipeline] [--peer]

Modes: `tf_function` (TensorFlow graph), `xla` (`jit_compile=True`; JAX always compiles),
`spe4` (`steps_per_execution=4`), `no_jit` (JAX with `jit_compile=False`: op by op, XLA off).

Our step runs inside one `fit()` call. After warm-up, timed windows of `--window-steps` steps
alternate with windows of the PyTorch peer (`--peer`, SyncGAN only: `benchmarks/peers/torch_syncgan.py`)
on the same batch, so both see the same machine load; the callback that runs the peer's window
keeps it out of our windows' time. The figures are medians over the windows.
"""

import argparse
import json
import os
import resource
import time

import numpy as np

MODELS = ("syncgan", "cvaegan")
MODES = ("tf_function", "xla", "spe4", "no_jit")
NUM_CLASSES = 10


def cpu_threads():
    """Threads TensorFlow's and XLA's CPU pools use by default: the CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def accelerator():
    """The GPU the current Keras backend computes on, or None (CPU)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        return device if device.platform == "gpu" else None
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return gpus[0] if gpus else None
    return None


def peak_device_mb(device):
    """Peak memory in use so far (MiB) on `device`, a GPU from `accelerator()`."""
    import keras

    if keras.backend.backend() == "jax":
        return device.memory_stats()["peak_bytes_in_use"] / 2**20
    import tensorflow as tf

    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20


def peer_dtype(dtype_policy):
    """The PyTorch peer's precision for one of our dtype policies (mixed_bfloat16: bfloat16 autocast)."""
    if dtype_policy not in ("float32", "mixed_bfloat16"):
        raise ValueError(f"The peer runs float32 or bfloat16; received dtype_policy={dtype_policy!r}.")
    return "bfloat16" if dtype_policy == "mixed_bfloat16" else "float32"


def peak_rss_mb():
    """Peak resident set size of this process so far (`getrusage` ru_maxrss, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class InterleavedWindows:
    """A Keras callback timing windows of `fit()` steps, running `between()` after each window.

    `between()` (the peer's window) runs inside `on_train_batch_end`, so its time is excluded from
    our windows. Step indices are those `fit()` reports (the last step of each execution).
    """

    def __new__(cls, warmup, window_steps, between=None, on_warm=None):
        import keras

        class _Windows(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.seconds_per_step = []
                self.start = None

            def on_train_batch_end(self, step, logs=None):
                keras.tree.map_structure(keras.ops.convert_to_numpy, logs)  # JAX dispatches asynchronously
                done = step + 1
                if done < warmup or (done - warmup) % window_steps:
                    return
                if self.start is None:
                    if on_warm is not None:
                        on_warm()
                else:
                    self.seconds_per_step.append((time.perf_counter() - self.start) / window_steps)
                if between is not None:
                    between()
                self.start = time.perf_counter()

        return _Windows()


def build_cvaegan(width="cpu", shape=(28, 28, 1), latent_dim=64):
    """The CVAE-GAN networks at a `presets.WIDTHS` width, for 28x28 images of 10 classes."""
    from keras_syncgan import networks
    from keras_syncgan.models import CVAEGAN
    from keras_syncgan.presets import WIDTHS

    filters, hidden = WIDTHS[width]["filters"], WIDTHS[width]["hidden"]
    return CVAEGAN(generator=networks.conditional_generator(shape, NUM_CLASSES, latent_dim, filters=filters),
                   encoder=networks.encoder(shape, NUM_CLASSES, latent_dim, filters=filters, hidden=hidden),
                   discriminator=networks.feature_discriminator(shape, filters=filters),
                   classifier=networks.feature_classifier(shape, NUM_CLASSES, filters=filters), seed=0)


def random_data(batch_size):
    """Random uint8 28x28 images and labels for two modalities, >= 2 batches of them."""
    rng = np.random.default_rng(0)
    n = max(2048, 2 * batch_size)
    x = {m: rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8) for m in ("digit", "fashion")}
    y = {m: rng.integers(0, NUM_CLASSES, size=n) for m in x}
    return x, y


def syncgan_batch(x, y, batch_size):
    """One in-memory SyncGAN batch `{"real", "pairs", "sync"}` drawn by the real pair sampler."""
    from keras_syncgan.data import PairSampler
    from keras_syncgan.data.pairing import with_channel_axis

    indices = next(PairSampler(y, batch_size, seed=0).batches(0))
    batch = {part: {m: with_channel_axis(x[m])[i] for m, i in indices[part].items()} for part in ("real", "pairs")}
    batch["sync"] = indices["sync"]
    return batch


def repeated(batch, batch_size, steps):
    """`fit()` arguments feeding `batch` again and again for `steps` steps."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return dict(x=tf.data.Dataset.from_tensors(batch).repeat(), steps_per_epoch=steps)
    # Other backends: numpy arrays repeated along the batch axis; fit() slices them.
    tiled = keras.tree.map_structure(lambda a: np.concatenate([a] * steps), batch)
    if isinstance(tiled, tuple):
        return dict(x=tiled[0], y=tiled[1], batch_size=batch_size, shuffle=False)
    return dict(x=tiled, batch_size=batch_size, shuffle=False)


class PeerWindows:
    """The PyTorch peer on our batch: built and warmed up on first use, then timed window by window."""

    def __init__(self, batch, width, window_steps, warmup, device="cpu", dtype="float32"):
        self.batch, self.width, self.window_steps, self.warmup = batch, width, window_steps, warmup
        self.device, self.dtype = device, dtype
        self.seconds_per_step = []
        self.peer = None

    def __call__(self):
        if self.peer is None:
            self._build()
            return
        start = time.perf_counter()
        for _ in range(self.window_steps):
            self.peer.train_step(self.torch_batch)  # returns Python floats: waits for the device
        self.seconds_per_step.append((time.perf_counter() - start) / self.window_steps)

    def _build(self):
        import torch

        from benchmarks.peers.torch_syncgan import TorchSyncGAN, to_device
        from keras_syncgan.presets import WIDTHS

        torch.set_num_threads(cpu_threads())
        torch.manual_seed(0)
        shapes = {m: tuple(x.shape[1:]) for m, x in self.batch["real"].items()}
        self.peer = TorchSyncGAN(shapes, **WIDTHS[self.width], device=self.device, dtype=self.dtype)
        # uint8 NHWC -> float NCHW in [0, 1], as our model's first op does.
        images = lambda x: torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).float() / 255.0
        self.torch_batch = {part: {m: images(x) for m, x in self.batch[part].items()} for part in ("real", "pairs")}
        self.torch_batch["sync"] = torch.from_numpy(np.asarray(self.batch["sync"], dtype=np.float32))
        self.torch_batch = to_device(self.torch_batch, self.peer.device)
        for _ in range(self.warmup):
            self.peer.train_step(self.torch_batch)


def parameter_counts(model):
    """`{network: trainable parameters}` of a SyncGAN, named like `TorchSyncGAN.trainable_parameter_counts()`."""
    count = lambda network: int(sum(np.prod(v.shape) for v in network.trainable_variables))
    return {**{f"generator_{m}": count(model.generators[m]) for m in model.modalities},
            **{f"discriminator_{m}": count(model.discriminators[m]) for m in model.modalities},
            "synchronizer": count(model.synchronizer)}


def measure(model_name="syncgan", width="cpu", batch_size=64, mode="tf_function", pipeline=False, peer=False,
            windows=5, window_steps=8, warmup=4, dtype_policy="float32"):
    """Our step time (and the peer's, interleaved) for one configuration; returns one result row."""
    import keras

    keras.config.set_dtype_policy(dtype_policy)  # before any network is built
    from benchmarks.flops import cvaegan_iteration_flops, syncgan_iteration_flops
    from keras_syncgan import presets
    from keras_syncgan.data import paired_dataset

    if model_name not in MODELS or mode not in MODES:
        raise ValueError(f"`model_name` must be one of {MODELS} and `mode` one of {MODES}; received "
                         f"{model_name!r}, {mode!r}.")
    if peer and (model_name != "syncgan" or pipeline):
        raise ValueError("`peer` compares SyncGAN steps on in-memory batches; received "
                         f"model_name={model_name!r}, pipeline={pipeline!r}.")
    load = os.getloadavg()[0]
    x, y = random_data(batch_size)
    spe = int(mode[3:]) if mode.startswith("spe") else 1
    window_steps, warmup = (int(np.ceil(s / spe) * spe) for s in (window_steps, warmup))
    total = warmup + windows * window_steps
    if model_name == "syncgan":
        model = presets.build_syncgan({m: (28, 28, 1) for m in x}, width=width)
        batch = syncgan_batch(x, y, batch_size)
        flops = syncgan_iteration_flops(model, batch_size)
    else:
        model = build_cvaegan(width)
        batch = (x["digit"][:batch_size, ..., None], y["digit"][:batch_size])
        flops = cvaegan_iteration_flops(model, batch_size)
    jit = mode == "xla" if keras.backend.backend() == "tensorflow" else mode != "no_jit"
    model.compile(jit_compile=jit, steps_per_execution=spe)
    if pipeline:
        if model_name != "syncgan":
            raise ValueError("`pipeline` feeds SyncGAN's tf.data pairing pipeline; use model_name='syncgan'.")
        feed = dict(x=paired_dataset(x, y, batch_size=batch_size, seed=0)[0].repeat(), steps_per_epoch=total)
    else:
        feed = repeated(batch, batch_size, total)

    rss = {}
    device = accelerator()
    peer_windows = PeerWindows(batch, width, window_steps, warmup, "cpu" if device is None else "cuda",
                               peer_dtype(dtype_policy)) if peer else None
    timer = InterleavedWindows(warmup, window_steps, between=peer_windows,
                               on_warm=lambda: rss.setdefault("ours", peak_rss_mb()))
    model.fit(**feed, epochs=1, verbose=0, callbacks=[timer])
    step_s = float(np.median(timer.seconds_per_step))
    row = {"model": model_name, "backend": keras.backend.backend(), "device": "CPU" if device is None else "GPU",
           "width": width, "batch_size": batch_size, "mode": mode, "dtype_policy": dtype_policy,
           "input": "tf.data pairing" if pipeline else "in-memory", "windows": len(timer.seconds_per_step),
           "window_steps": window_steps, "load_1min": load, "step_ms": 1000 * step_s,
           "samples_per_s": batch_size / step_s, "gflop_per_step": flops / 1e9, "achieved_gflops": flops / step_s / 1e9,
           "peak_rss_mb": rss["ours"]}
    if device is not None:
        row["peak_device_mb"] = peak_device_mb(device)
    if peer:
        counts = parameter_counts(model)
        peer_counts = peer_windows.peer.trainable_parameter_counts()
        if counts != peer_counts:
            raise AssertionError(f"The peer's networks differ from ours: trainable parameters {peer_counts} vs {counts}.")
        peer_s = float(np.median(peer_windows.seconds_per_step))
        row.update(parameters=sum(counts.values()), peer_step_ms=1000 * peer_s,
                   peer_samples_per_s=batch_size / peer_s, ours_over_peer=peer_s / step_s)
        if device is not None:
            import torch

            row["peer_peak_device_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return row


def main(argv=None):
    """Command-line entry point: one configuration's result row (see the module docstring)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="syncgan", choices=MODELS)
    parser.add_argument("--width", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mode", default="tf_function", choices=MODES)
    parser.add_argument("--pipeline", action="store_true")
    parser.add_argument("--peer", action="store_true", help="interleave windows of the PyTorch peer")
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--window-steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--dtype-policy", default="float32", help="float32, mixed_bfloat16 or mixed_float16")
    args = parser.parse_args(argv)
    return measure(args.model, args.width, args.batch_size, args.mode, args.pipeline, args.peer,
                   args.windows, args.window_steps, args.warmup, args.dtype_policy)


if __name__ == "__main__":
    print(json.dumps(main()))
