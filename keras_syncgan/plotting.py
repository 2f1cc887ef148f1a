"""Figures shared by callbacks, the demo and the notebooks (matplotlib, Agg-safe)."""

import numpy as np

from keras_syncgan.utils import atomic_write


def image_grid(rows, row_labels=None, column_labels=None, cell_size=1.0):
    """A matplotlib figure of image rows: `rows` is a list of arrays `(n, height, width[, channels])`.

    Float images are shown on [0, 1] (values outside are clipped); uint8 images on [0, 255].
    """
    import matplotlib.pyplot as plt

    n_cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(cell_size * n_cols, cell_size * len(rows)), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([]), ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(row):
                image = np.asarray(row[j])
                image = image / 255.0 if image.dtype == np.uint8 else image.astype(np.float32)
                image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
                ax.imshow(np.clip(image, 0, 1), cmap="gray",
                          vmin=0, vmax=1, aspect="auto" if image.shape[0] != image.shape[1] else "equal")
            if j == 0 and row_labels:
                ax.set_ylabel(row_labels[i], rotation=0, ha="right", va="center", fontsize=8)
            if i == 0 and column_labels and j < len(column_labels):
                ax.set_title(column_labels[j], fontsize=8)
    fig.tight_layout(pad=0.2)
    return fig


def save_figure(fig, path, dpi=80):
    """Writes a figure atomically (PNG by extension) and closes it.

    `bbox_inches="tight"` keeps row labels whole: `tight_layout` leaves no room for the
    horizontal labels `image_grid` puts left of its rows.
    """
    import matplotlib.pyplot as plt

    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format=str(path).rsplit(".", 1)[-1], bbox_inches="tight"))
    plt.close(fig)
    return path


def pair_grid(samples, pairs_per_row=8):
    """The SyncGAN picture: each sample's modalities side by side (columns), `pairs_per_row` z per row."""
    modalities = list(samples)
    n = len(samples[modalities[0]])
    rows = []
    for start in range(0, n, pairs_per_row):
        rows.append([samples[m][i] for i in range(start, min(n, start + pairs_per_row)) for m in modalities])
    return image_grid(rows, column_labels=modalities * pairs_per_row)
