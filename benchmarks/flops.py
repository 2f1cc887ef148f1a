"""Analytic FLOP counts of the networks (multiply-adds x 2), from the layers' output shapes."""

import numpy as np


def forward_flops(network):
    """FLOPs of one forward pass for one sample through a functional Keras model (Conv2D and Dense)."""
    import keras

    total = 0
    for layer in network.layers:
        inner = getattr(layer, "layer", layer)  # SpectralNormalization wraps a Conv2D
        if isinstance(inner, keras.layers.Conv2D):
            out_h, out_w, out_c = layer.output.shape[1:]
            kernel_h, kernel_w, in_c, _ = inner.kernel.shape
            total += 2 * out_h * out_w * out_c * kernel_h * kernel_w * in_c
        elif isinstance(inner, keras.layers.Dense):
            total += 2 * int(np.prod(inner.kernel.shape))
    return int(total)


def syncgan_iteration_flops(model, batch_size):
    """FLOPs of one SyncGAN training iteration (batch_size real tuples, batch_size generated tuples).

    A backward pass costs ~2 forward passes (gradients w.r.t. inputs and weights). Per iteration:
    G forward for the D steps; each D forward+backward on 2 x batch; S forward+backward on the real
    tuples; the G step: G, D and S forward+backward (D and S need input gradients only: ~2x forward).
    """
    g = sum(forward_flops(model.generators[m]) for m in model.modalities)
    d = sum(forward_flops(model.discriminators[m]) for m in model.modalities)
    s = forward_flops(model.synchronizer)
    per_sample = g + 3 * 2 * d + 3 * s + (3 * g + 2 * d + 2 * s)
    return per_sample * batch_size
