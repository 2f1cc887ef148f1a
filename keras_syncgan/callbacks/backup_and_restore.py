import json
import os
import pathlib

import keras

from keras_syncgan.utils import atomic_write_text


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` with atomic backups that skip diverged models.

    A run killed at any point (during a save included) restarts from the last complete backup.
    Each backup writes its weights to a new file named after the epoch (atomically: the package's
    models save through a temporary file), then commits it by atomically replacing
    `training_metadata.json`, which names that file and the epoch; only then is the previous
    weights file removed. So the epoch counter and the weights always belong together. The backup
    holds every network, every optimizer's state and iteration count, and the model's noise state,
    so with the same data order a resumed run continues as the uninterrupted one would. After
    `TerminateOnNaN` marks the model diverged no backup is written. Arguments are those of
    `keras.callbacks.BackupAndRestore` (`double_checkpoint=True` keeps the previous commit as
    well and falls back to it when the latest weights cannot be read); keep `save_freq="epoch"`
    for exact resumption (Keras restarts an interrupted epoch from its first batch).

    Example:
    >>> backup = BackupAndRestore("run/backup", delete_checkpoint=False)
    >>> # model.fit(dataset, epochs=10, callbacks=[TerminateOnNaN(), backup])  # re-run to resume
    """

    def _committed(self, metadata_path):
        """The commit in `metadata_path`: (metadata dict, weights path), or (None, None)."""
        if not os.path.exists(metadata_path):
            return None, None
        metadata = json.loads(pathlib.Path(metadata_path).read_text())
        # Backups written before weights files were named per epoch use Keras' fixed name.
        name = metadata.get("weights", os.path.basename(self._weights_path))
        return metadata, os.path.join(self.backup_dir, name)

    def _save_model(self):
        if getattr(self.model, "diverged", None):
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch_{self._current_epoch:05d}_batch_{self._last_batch_seen:05d}.weights.h5"
        self.model.save_weights(os.path.join(self.backup_dir, name), overwrite=True)
        keep = {name}
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            keep.add(os.path.basename(self._committed(self._training_metadata_path)[1]))
            atomic_write_text(self._prev_training_metadata_path, pathlib.Path(self._training_metadata_path).read_text())
        metadata = json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name})
        atomic_write_text(self._training_metadata_path, metadata)
        # Only now, with the new weights committed, remove the files no commit names any more.
        for path in pathlib.Path(self.backup_dir).glob("*.weights.h5"):
            if path.name not in keep:
                path.unlink()

    def _load_model(self):
        if not self.model.built:
            raise ValueError(f"BackupAndRestore needs a built model before `fit()`; {self.model.name} is unbuilt. "
                             "Build it by calling it on a batch of data.")
        metadata, weights = self._committed(self._training_metadata_path)
        if metadata is None:
            return
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(weights)
        self.model._initial_epoch = metadata["epoch"]

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except OSError:
            if not (self.double_checkpoint and os.path.exists(self._prev_training_metadata_path)):
                raise
            os.replace(self._prev_training_metadata_path, self._training_metadata_path)
            self._load_model()
