from keras_syncgan.models.base import GANModel
from keras_syncgan.models.cvaegan import CVAEGAN
from keras_syncgan.models.syncgan import SyncGAN
