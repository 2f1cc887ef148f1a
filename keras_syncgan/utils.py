"""Small helpers shared across the package: cache directory, argument checks, atomic writes."""

import os
import pathlib
import tempfile


def cache_dir(*parts):
    """Returns (and creates) a folder under the package cache.

    The cache lives in `$KERAS_SYNCGAN_HOME`, by default `~/.keras_syncgan`.
    """
    root = os.environ.get("KERAS_SYNCGAN_HOME") or os.path.join(os.path.expanduser("~"), ".keras_syncgan")
    path = pathlib.Path(root, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write(path, write_fn, suffix=None):
    """Writes a file through `write_fn(tmp_path)` and renames it into place.

    A crash during the write leaves the previous file untouched: readers see the old
    file or the new one, never a partial one.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix or "".join(path.suffixes))
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes owner-only files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write_text(path, text):
    """Writes `text` to `path` through `atomic_write`."""
    return atomic_write(path, lambda tmp: pathlib.Path(tmp).write_text(text))


def describe(value):
    """A short description of a value for error messages: type, shape and dtype."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"{type(value).__name__} of shape {tuple(shape)} and dtype {getattr(value, 'dtype', '?')}"
    if isinstance(value, dict):
        return f"dict with keys {sorted(value)}"
    return f"{type(value).__name__} {value!r}"[:200]


def _umask():
    """The process's umask, read without changing it where Linux allows (`os.umask` alone must
    set a new one, which a file created by another thread in that moment would get)."""
    try:
        for line in pathlib.Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o077)  # the briefly set mask is the restrictive one, should a file appear meanwhile
    os.umask(mask)
    return mask
