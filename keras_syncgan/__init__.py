"""keras_syncgan: cross-modal and conditional GANs (SyncGAN, CVAE-GAN) for Keras 3."""

from keras_syncgan import callbacks, data, metrics, networks
from keras_syncgan.evaluation import Evaluator, evaluate
from keras_syncgan.models import CVAEGAN, GANModel, SyncGAN
from keras_syncgan.version import __version__
