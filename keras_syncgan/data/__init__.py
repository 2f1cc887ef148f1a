"""Datasets and input pipelines. TensorFlow is imported only by the functions that build `tf.data`."""

from keras_syncgan.data.images import (FASHION_MNIST_CLASSES, DatasetUnavailableError, load_digits,
                                       load_fashion_mnist, load_mnist)
from keras_syncgan.data.pairing import PairSampler, paired_dataset
from keras_syncgan.data.paired_batches import PairedBatches
from keras_syncgan.data.audio import (EspeakDigitsConfig, FSDDNotFoundError, find_fsdd, load_spoken_digits, read_wav,
                                      spectrogram_to_waveform, waveform_to_spectrogram, write_wav)
