"""Trains a two-network GAN for a few steps on one backend and prints its weights as JSON.

Used by test_recorded_forward.py in a subprocess per backend. With `record` the critic's update
takes the generator's outputs from one recorded forward pass and the generator's update
backpropagates through them; with `regenerate` the generator's update runs it again. Both must
end with the same weights.
"""

import json
import sys

import keras
import numpy as np
from keras import layers, ops

from keras_syncgan.models.base import GANModel


class RecordedGAN(GANModel):
    def __init__(self, regenerate, **kwargs):
        super().__init__(latent_dim=4, seed=0, **kwargs)
        self.regenerate = regenerate
        self.generator = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.BatchNormalization(),
                                           layers.ReLU(), layers.Dense(3)], name="generator")
        self.critic = keras.Sequential([keras.Input((3,)), layers.Dense(8, activation="tanh"), layers.Dense(1)],
                                       name="critic")
        self.built = True

    def tracker_names(self):
        return {"c_loss": "critic", "g_loss": "generator"}

    def optimizer_targets(self):
        return {"critic": [self.critic], "generator": [self.generator]}

    def default_optimizers(self):
        return {"critic": keras.optimizers.Adam(0.05), "generator": keras.optimizers.Adam(0.05)}

    def ema_networks(self):
        return [self.generator]

    def gan_train_step(self, x):
        z = self.noise(ops.shape(x)[0])
        generate = lambda: self.generator(z, training=True)
        recorded = self.record("generator", generate)
        c_loss, _ = self.update("critic", lambda: (
            ops.mean(ops.softplus(-self.critic(x))) + ops.mean(ops.softplus(self.critic(ops.stop_gradient(recorded.outputs)))), None))

        def generator_loss(fake):
            # The critic has moved since the recorded pass; the second term calls G directly.
            direct = ops.mean(ops.square(self.generator(0.5 * z, training=True)))
            return ops.mean(ops.softplus(-self.critic(fake))) + 0.1 * direct, None

        if self.regenerate:
            g_loss, _ = self.update("generator", lambda: generator_loss(generate()))
        else:
            g_loss, _ = self.update("generator", generator_loss, through=recorded)
        return self.log(c_loss=c_loss, g_loss=g_loss)


def main(variant, steps):
    keras.utils.set_random_seed(0)
    model = RecordedGAN(regenerate=variant == "regenerate")
    model.compile()
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    for _ in range(steps):
        model.train_on_batch(x)
    print(json.dumps({"trainable": [ops.convert_to_numpy(v).ravel().tolist() for v in model.trainable_variables],
                      "iterations": [int(ops.convert_to_numpy(o.iterations)) for o in model.optimizers.values()]}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
