"""`python -m keras_syncgan train PRESET ...` and `python -m keras_syncgan evaluate RUN_DIR` (see `keras_syncgan.cli`)."""

from keras_syncgan.cli import main

if __name__ == "__main__":
    main()
