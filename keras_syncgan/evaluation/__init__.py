"""Evaluator classifiers: locally trained stand-ins for Inception in the offline GAN metrics."""

from keras_syncgan.evaluation.augmentation import (augmentation_accuracy, classifier_accuracy, first_per_class,
                                                   mix_real_and_generated)
from keras_syncgan.evaluation.evaluator import EVALUATOR_VERSION, Evaluator, evaluator_classifier
from keras_syncgan.evaluation.report import (DEFAULT_METRICS, SYNCGAN_METRICS, TRANSFER_DEFAULTS, evaluate,
                                             metric_keys)
