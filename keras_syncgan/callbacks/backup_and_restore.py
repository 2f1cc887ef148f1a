import json
import os
import pathlib
import shutil

import keras

from keras_syncgan.utils import atomic_write


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` with atomic backups that skip diverged models.

    A run killed at any point (during a save included) restarts from the last complete backup:
    the weights file is written to a temporary file and renamed into place (the package's models
    save atomically), then the epoch counter, also atomically. The backup holds every network,
    every optimizer's state and iteration count, and the model's noise state, so with the same
    data order a resumed run continues as the uninterrupted one would. After `TerminateOnNaN`
    marks the model diverged no backup is written. Arguments are those of
    `keras.callbacks.BackupAndRestore`; keep `save_freq="epoch"` for exact resumption (Keras
    restarts an interrupted epoch from its first batch).

    Example:
    >>> backup = BackupAndRestore("run/backup", delete_checkpoint=False)
    >>> # model.fit(dataset, epochs=10, callbacks=[TerminateOnNaN(), backup])  # re-run to resume
    """

    def _save_model(self):
        if getattr(self.model, "diverged", None):
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._training_metadata_path):
                if os.path.exists(path):
                    shutil.copyfile(path, f"{path}.bkp")
        self.model.save_weights(self._weights_path, overwrite=True)
        metadata = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen})
        atomic_write(self._training_metadata_path, lambda tmp: pathlib.Path(tmp).write_text(metadata))
