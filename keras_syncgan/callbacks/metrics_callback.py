import keras


class MetricsCallback(keras.callbacks.Callback):
    """Every `every` epochs, computes GAN metrics and writes them into the epoch's `logs`.

    Keys are `{metric}_{modality}` (e.g. `sync_rate_digit+fashion`, `fd_fashion`), so `History`,
    `CSVLogger`, `TensorBoard` and `EarlyStopping(monitor="sync_rate_digit+fashion", mode="max")`
    all see them. Every epoch carries every key (NaN on epochs without an evaluation), so the CSV
    columns and History lists stay aligned with the epochs. Put this callback **before** those in the `callbacks` list: Keras hands every
    callback the same `logs` dict in list order.

    Args:
        data, evaluators, metrics, n: as in `keras_syncgan.evaluation.evaluate`.
        every: epochs between evaluations (the first at epoch `every`).
        **evaluate_kwargs: further options of `evaluate`.

    Example:
    >>> monitor = MetricsCallback(data, evaluators, metrics=["sync_rate"], n=500, every=2)  # doctest: +SKIP
    >>> # model.fit(dataset, epochs=10, callbacks=[monitor, keras.callbacks.CSVLogger("log.csv")])
    """

    def __init__(self, data, evaluators, metrics=("synchronizer_accuracy", "sync_rate"), n=1000, every=1,
                 **evaluate_kwargs):
        super().__init__()
        self.data, self.evaluators, self.metrics, self.n, self.every = data, evaluators, tuple(metrics), n, every
        self.evaluate_kwargs = evaluate_kwargs
        self.last_table = None

    def on_epoch_end(self, epoch, logs=None):
        from keras_syncgan.evaluation.report import evaluate, metric_keys

        if logs is None:
            return
        values = dict.fromkeys((f"{metric}_{modality}" for metric, modality in metric_keys(self.model, self.metrics)),
                               float("nan"))
        if (epoch + 1) % self.every == 0:
            self.last_table = evaluate(self.model, self.data, self.evaluators, metrics=self.metrics, n=self.n,
                                       **self.evaluate_kwargs)
            values.update((f"{row.metric}_{row.modality}", row.value) for row in self.last_table.itertuples(index=False))
        logs.update(values)
