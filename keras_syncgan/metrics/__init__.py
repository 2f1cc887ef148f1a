"""Offline GAN metrics over numpy arrays (no deep-learning backend needed).

Feature-space metrics take features from a locally trained evaluator (see
`keras_syncgan.evaluation.Evaluator`): no pretrained Inception network is available offline, so
report them as e.g. "FD (MNIST evaluator features)" and compare only runs using the same evaluator.
"""

from keras_syncgan.metrics.class_balance import largest_class_share
from keras_syncgan.metrics.classification import conditional_accuracy, transfer_accuracy
from keras_syncgan.metrics.frechet import frechet_distance
from keras_syncgan.metrics.inception_score import inception_score
from keras_syncgan.metrics.kernel_distance import kernel_inception_distance
from keras_syncgan.metrics.manifold import density_coverage, precision_recall
from keras_syncgan.metrics.pair_agreement import pair_agreement
from keras_syncgan.metrics.synchronization import chance_sync_rate, sync_rate
