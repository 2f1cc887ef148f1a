"""Datasets and input pipelines. TensorFlow is imported only by the functions that build `tf.data`."""

from keras_syncgan.data.images import (FASHION_MNIST_CLASSES, DatasetUnavailableError, load_digits,
                                       load_fashion_mnist, load_mnist)
from keras_syncgan.data.pairing import PairSampler, paired_dataset
