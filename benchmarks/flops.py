"""Analytic FLOP counts of the networks (multiply-adds x 2), from the layers' output shapes."""

import numpy as np


def forward_flops(network):
    """FLOPs of one forward pass for one sample through a functional Keras model (Conv2D and Dense).

    Nested models (CVAE-GAN's conditional generator calls the image generator as a layer) count too.
    """
    import keras

    total = 0
    for layer in network.layers:
        inner = getattr(layer, "layer", layer)  # SpectralNormalization wraps a Conv2D
        if isinstance(inner, keras.Model):
            total += forward_flops(inner)
        elif isinstance(inner, keras.layers.Conv2D):
            out_h, out_w, out_c = layer.output.shape[1:]
            kernel_h, kernel_w, in_c, _ = inner.kernel.shape
            total += 2 * out_h * out_w * out_c * kernel_h * kernel_w * in_c
        elif isinstance(inner, keras.layers.Dense):
            total += 2 * int(np.prod(inner.kernel.shape))
    return int(total)


def syncgan_iteration_flops(model, batch_size):
    """FLOPs of one SyncGAN training iteration (batch_size real tuples, batch_size generated tuples).

    A backward pass costs ~2 forward passes (gradients w.r.t. inputs and weights). Per iteration:
    one G forward, recorded for all three steps; each D forward+backward on 2 x batch; S
    forward+backward on the real tuples; the G step: D and S forward+backward (input gradients
    only: ~2x forward) and G backward through the recorded pass (no second G forward).
    """
    g = sum(forward_flops(model.generators[m]) for m in model.modalities)
    d = sum(forward_flops(model.discriminators[m]) for m in model.modalities)
    s = forward_flops(model.synchronizer)
    per_sample = g + 3 * 2 * d + 3 * s + (2 * g + 2 * d + 2 * s)
    return per_sample * batch_size


def cvaegan_iteration_flops(model, batch_size):
    """FLOPs of one CVAE-GAN training iteration (Algorithm 1, mode "cvae-gan") on batch_size images.

    Same convention (backward ~2 forwards; ~1 forward where only input gradients are needed). Per
    sample: the D step's fakes (E, 2 G forward); D forward+backward on real, prior and reconstructed
    images (9 D); C on real (3 C); E's step (E 3, G 2, D and C 1 + 2 each: features of x and x_f);
    G's step (E 1, G 3 for the reconstructions + 2 backward through the D step's recorded prior pass,
    D and C 3 + 3 each: pairwise features and mean feature matching).
    """
    e, g, d, c = (forward_flops(getattr(model, name)) for name in ("encoder", "generator", "discriminator", "classifier"))
    return (5 * e + 9 * g + 18 * d + 12 * c) * batch_size
