"""Test helpers in the keras-hub manner, for this package's tests and for users' own networks."""

from keras_syncgan.testing.serialization import run_serialization_test
