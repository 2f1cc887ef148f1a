"""A PyTorch SyncGAN: the same networks and the same training step as `keras_syncgan`, as a speed peer.

Needs the `bench` extra (`pip install -e '.[bench]'`: torch, psutil). Layer for layer the networks are
`keras_syncgan.networks.image_generator`, `image_discriminator` and `synchronizer` (same sizes, BatchNorm,
activations, spectral normalization, trainable parameter counts), in PyTorch's NCHW layout. The step
is `SyncGAN.gan_train_step`: one forward pass of the generators G_i(z), kept for the generator step;
D_i on real vs the detached G_i(z); S on real synchronous / asynchronous pairs; one joint generator step
on sum_i BCE(D_i(G_i(z)), 1) + BCE(S(G(z)), t), backpropagated through the kept pass, with D and S in
inference mode and frozen, half of the batch sharing z (t = 1) and half not (t = 0).
`dtype="bfloat16"` runs the forward passes under `torch.autocast` (our `mixed_bfloat16` policy).
Optimizers are `SyncGAN.default_optimizers()`: Adam(beta1 0.5, beta2 0.999, eps 1e-8), D 1e-4, S 2e-4, G 2e-4.

Two differences that cost no time: PyTorch pads a stride-2 "same" convolution symmetrically where
TensorFlow pads one more pixel on the bottom/right, and PyTorch's spectral norm backpropagates through
sigma where Keras' does not.
"""

import argparse
import json
import os
import resource
import time

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm

# Keras' LeakyReLU slope in the authors' nets and PyTorch's BatchNorm defaults (Keras momentum 0.9 = 1 - 0.1).
NEGATIVE_SLOPE = 0.01


class TorchSyncGAN(nn.Module):
    """SyncGAN's generators, discriminators, synchronizer and train step in PyTorch (the benchmark peer).

    Args:
        sample_shapes: dict `{modality: (height, width, channels)}` (Keras' NHWC order).
        latent_dim: size of z.
        filters, hidden: the width (`keras_syncgan.presets.WIDTHS`).
        downsamplings: resolution steps of every network (2 for 28x28, as in the authors' nets).
        device: the torch device of the networks and of the step's latents ("cpu", "cuda").
        dtype: "float32", or "bfloat16" for mixed precision (autocast; weights and losses float32).

    Example:
    >>> peer = TorchSyncGAN({"a": (8, 8, 1), "b": (8, 8, 1)}, latent_dim=4, filters=4, hidden=8)
    >>> batch = peer.random_batch(6)
    >>> sorted(peer.train_step(batch))
    ['d_loss_a', 'd_loss_b', 'g_loss', 's_loss']
    """

    def __init__(self, sample_shapes, latent_dim=64, filters=32, hidden=128, downsamplings=2, device="cpu",
                 dtype="float32"):
        super().__init__()
        if dtype not in ("float32", "bfloat16"):
            raise ValueError(f"`dtype` must be 'float32' or 'bfloat16'; received {dtype!r}.")
        if not isinstance(sample_shapes, dict) or len(sample_shapes) < 2:
            raise ValueError(f"`sample_shapes` must be a dict of at least two modalities; received {sample_shapes!r}.")
        self.modalities = list(sample_shapes)
        self.sample_shapes = {m: tuple(shape) for m, shape in sample_shapes.items()}
        self.latent_dim = latent_dim
        self.generators = nn.ModuleDict({m: _generator(s, latent_dim, filters, downsamplings)
                                         for m, s in self.sample_shapes.items()})
        self.discriminators = nn.ModuleDict({m: _discriminator(s, filters, downsamplings)
                                             for m, s in self.sample_shapes.items()})
        self.synchronizer = _Synchronizer(self.sample_shapes, filters, hidden, downsamplings)
        adam = lambda module, lr: torch.optim.Adam(module.parameters(), lr=lr, betas=(0.5, 0.999), eps=1e-8)
        self.optimizers = {**{f"discriminator_{m}": adam(self.discriminators[m], 1e-4) for m in self.modalities},
                           "synchronizer": adam(self.synchronizer, 2e-4),
                           "generators": adam(self.generators, 2e-4)}
        self.device = torch.device(device)
        self.dtype = dtype
        self.to(self.device)

    def trainable_parameter_counts(self):
        """`{network name: trainable parameters}`, named as in `SyncGAN.optimizer_targets()`."""
        count = lambda module: sum(p.numel() for p in module.parameters() if p.requires_grad)
        return {**{f"generator_{m}": count(self.generators[m]) for m in self.modalities},
                **{f"discriminator_{m}": count(self.discriminators[m]) for m in self.modalities},
                "synchronizer": count(self.synchronizer)}

    def random_batch(self, batch_size, seed=0):
        """A training batch like `keras_syncgan.data.paired_dataset`'s, with random float images in [0, 1]."""
        generator = torch.Generator().manual_seed(seed)
        images = lambda m: torch.rand((batch_size, *_channels_first(self.sample_shapes[m])), generator=generator)
        return {"real": {m: images(m) for m in self.modalities}, "pairs": {m: images(m) for m in self.modalities},
                "sync": torch.randint(0, 2, (batch_size,), generator=generator).float()}

    def train_step(self, batch):
        """One SyncGAN iteration on `{"real": {m: x}, "pairs": {m: x}, "sync": labels}` (NCHW float tensors).

        Returns the losses as Python floats, like `fit()`'s logs.
        """
        real, pairs, sync = batch["real"], batch["pairs"], batch["sync"]
        n = real[self.modalities[0]].shape[0]
        z, sync_target = self._paired_latents(n)
        self.train()
        with self._autocast():
            generated = {m: self.generators[m](z[m]) for m in self.modalities}  # kept for the G step
        losses = {}
        for m in self.modalities:
            d = self.discriminators[m]
            with self._autocast():
                real_logits, fake_logits = d(real[m]), d(generated[m].detach())
            losses[f"d_loss_{m}"] = self._step(f"discriminator_{m}", _bce(real_logits, 1.0) + _bce(fake_logits, 0.0))
        with self._autocast():
            pair_logits = self.synchronizer(pairs)
        losses["s_loss"] = self._step("synchronizer", _bce(pair_logits, sync))

        # The joint generator step, D and S in inference mode and frozen: no weight gradients for them.
        critics = [*self.discriminators.values(), self.synchronizer]
        for critic in critics:
            critic.eval().requires_grad_(False)
        with self._autocast():
            critic_logits = [self.discriminators[m](generated[m]) for m in self.modalities]
            sync_logits = self.synchronizer(generated)
        adversarial = sum(_bce(logits, 1.0) for logits in critic_logits)
        losses["g_loss"] = self._step("generators", adversarial + _bce(sync_logits, sync_target))
        for critic in critics:
            critic.train().requires_grad_(True)
        return {name: loss.item() for name, loss in losses.items()}

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.dtype == "bfloat16")

    def _step(self, name, loss):
        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    def _paired_latents(self, n):
        half = n // 2
        normal = lambda: torch.randn(n, self.latent_dim, device=self.device)
        shared = normal()
        z = {m: torch.cat([shared[:half], normal()[half:]]) for m in self.modalities}
        return z, torch.cat([torch.ones(half, device=self.device), torch.zeros(n - half, device=self.device)])


def _bce(logits, labels):
    return F.binary_cross_entropy_with_logits(logits.float().reshape(-1), torch.broadcast_to(torch.as_tensor(labels),
                                                                                     (logits.shape[0],)))


def _channels_first(shape):
    height, width, channels = shape
    return channels, height, width


def _same(kernel):
    return kernel // 2


def _generator(shape, latent_dim, filters, upsamplings):
    """`keras_syncgan.networks.image_generator`."""
    height, width, channels = shape
    h0, w0 = height // 2 ** upsamplings, width // 2 ** upsamplings
    layers = [nn.Linear(latent_dim, h0 * w0 * 4 * filters), nn.ReLU(), nn.Unflatten(1, (4 * filters, h0, w0)),
              nn.Conv2d(4 * filters, 2 * filters, 3, padding=_same(3)), nn.ReLU()]
    in_channels = 2 * filters
    for i in range(1, upsamplings):
        out_channels = max(filters // 2 ** (i - 1), 8)
        layers += [nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, out_channels, 5, padding=_same(5)),
                   nn.BatchNorm2d(out_channels, momentum=0.1, eps=1e-5), nn.ReLU()]
        in_channels = out_channels
    layers += [nn.Upsample(scale_factor=2), nn.Conv2d(in_channels, channels, 5, padding=_same(5)), nn.Sigmoid()]
    return nn.Sequential(*layers)


def _discriminator(shape, filters, downsamplings):
    """`keras_syncgan.networks.image_discriminator` (spectral norm on the strided convolutions)."""
    height, width, channels = shape
    layers = [nn.Conv2d(channels, filters, 5, padding=_same(5)), nn.LeakyReLU(NEGATIVE_SLOPE)]
    for i in range(1, downsamplings + 1):
        kernel = 5 if i == 1 else 3
        conv = nn.Conv2d(filters * 2 ** (i - 1), filters * 2 ** i, kernel, stride=2, padding=_same(kernel))
        layers += [spectral_norm(conv), nn.LeakyReLU(NEGATIVE_SLOPE)]
    features = filters * 2 ** downsamplings * (height // 2 ** downsamplings) * (width // 2 ** downsamplings)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, 1))


class _Synchronizer(nn.Module):
    """`keras_syncgan.networks.synchronizer`: one conv branch per modality, then two dense layers."""

    def __init__(self, sample_shapes, filters, hidden, downsamplings):
        super().__init__()
        branches = {}
        for m, (height, width, channels) in sample_shapes.items():
            layers, in_channels = [], channels
            for i in range(1, downsamplings + 1):
                kernel = 5 if i == 1 else 3
                out_channels = filters * 2 ** (i - 1)
                layers += [nn.Conv2d(in_channels, out_channels, kernel, stride=2, padding=_same(kernel)),
                           nn.LeakyReLU(NEGATIVE_SLOPE)]
                in_channels = out_channels
            features = in_channels * (height // 2 ** downsamplings) * (width // 2 ** downsamplings)
            branches[m] = nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, hidden), nn.LeakyReLU(NEGATIVE_SLOPE))
        self.branches = nn.ModuleDict(branches)
        self.head = nn.Sequential(nn.Linear(len(branches) * hidden, hidden), nn.LeakyReLU(NEGATIVE_SLOPE),
                                  nn.Linear(hidden, 1))

    def forward(self, samples):
        return self.head(torch.cat([branch(samples[m]) for m, branch in self.branches.items()], dim=1))


def main(argv=None):
    """The peer alone, without TensorFlow in the process: its peak RSS and step time over a few steps."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cpu", help='"cpu" or "cuda"')
    parser.add_argument("--dtype", default="float32", help='"float32" or "bfloat16" (autocast)')
    args = parser.parse_args(argv)
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    peer = TorchSyncGAN({m: (28, 28, 1) for m in ("digit", "fashion")}, filters=args.filters, hidden=args.hidden,
                        device=args.device, dtype=args.dtype)
    batch = to_device(peer.random_batch(args.batch_size), peer.device)
    start = time.perf_counter()
    for _ in range(args.steps):
        peer.train_step(batch)
    result = {"peer_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
              "peer_alone_step_ms": 1000 * (time.perf_counter() - start) / args.steps}
    if peer.device.type == "cuda":
        result["peer_peak_device_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def to_device(batch, device):
    """A training batch (nested dicts of tensors) on `device`."""
    return {key: to_device(value, device) if isinstance(value, dict) else value.to(device)
            for key, value in batch.items()}


if __name__ == "__main__":
    print(json.dumps(main()))
