from keras_syncgan.callbacks.sample_grid import SampleGrid
from keras_syncgan.callbacks.transfer_grid import TransferGrid, transfer_rows
