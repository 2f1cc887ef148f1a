"""Dense matmul rates of this machine: the references ("peaks") that achieved FLOP/s are divided by.

    python -m benchmarks.matmul [--quick]     (prints one JSON line: {library: {size: GFLOP/s}})

Square float32 and bfloat16 matmuls at several sizes, through every library at hand (`keras.ops` of
the current backend, NumPy (float32), and PyTorch when installed), best of a few timed trials each. The best rate of all
is the device's reference: a single small matmul through one library is not a peak (convolutions
beat a 1,024^2 `keras.ops.matmul` here).
"""

import argparse
import json
import time

import numpy as np

SIZES = (512, 1024, 2048, 4096)
GPU_SIZES = (2048, 4096, 8192)


def rate_gflops(multiply, operand, size, min_seconds=0.3, trials=3):
    """Best GFLOP/s of `multiply(operand)` (a size^3 matmul) over `trials` windows of >= `min_seconds`."""
    multiply(operand)  # warm-up: allocations, kernel selection
    best = 0.0
    for _ in range(trials):
        repeats, start = 0, time.perf_counter()
        while True:
            multiply(operand)
            repeats += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = max(best, 2 * size**3 * repeats / elapsed / 1e9)
    return best


def libraries(threads, gpu=False):
    """`{library: (make an operand of a size, multiply it by itself and wait for the result)}`.

    float32 (each library's default precision: TF32 tensor cores on a GPU where it allows them) and
    bfloat16 (AMX or AVX-512 BF16 on CPUs that have them) through the backend and PyTorch; NumPy
    (float32) on a CPU only.
    """
    import keras

    keras_multiply = lambda a: keras.ops.convert_to_numpy(keras.ops.matmul(a, a)[:1, :1])
    name = f"keras.ops ({keras.backend.backend()})"
    found = {name: (lambda size: keras.random.normal((size, size), seed=0), keras_multiply),
             f"{name} bfloat16": (lambda size: keras.random.normal((size, size), seed=0, dtype="bfloat16"),
                                  keras_multiply)}
    if not gpu:
        found["numpy"] = (lambda size: np.random.default_rng(0).standard_normal((size, size), dtype=np.float32),
                          lambda a: a @ a)
    try:
        import torch
    except ImportError:
        return found
    torch.set_num_threads(threads)
    device, name = ("cuda", "torch cuda") if gpu else ("cpu", "torch")
    synchronized = lambda a: torch.mm(a, a)[:1, :1].cpu()
    found[name] = (lambda size: torch.randn(size, size, device=device), synchronized)
    found[f"{name} bfloat16"] = (lambda size: torch.randn(size, size, device=device, dtype=torch.bfloat16),
                                 synchronized)
    return found


def matmul_rates(threads, sizes=SIZES, min_seconds=0.3, trials=3, gpu=False):
    """`{library: {size: GFLOP/s}}` for every library at hand."""
    rates = {}
    for name, (make, multiply) in libraries(threads, gpu).items():
        rates[name] = {size: rate_gflops(multiply, make(size), size, min_seconds, trials) for size in sizes}
    return rates


def main(argv=None):
    """Command-line entry point: `{library: {size: GFLOP/s}}`."""
    from benchmarks.train_step import accelerator, cpu_threads

    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one small size, one short trial")
    args = parser.parse_args(argv)
    gpu = accelerator() is not None
    options = dict(sizes=(256,), min_seconds=0.05, trials=1) if args.quick else dict(sizes=GPU_SIZES if gpu else SIZES)
    return matmul_rates(cpu_threads(), gpu=gpu, **options)


if __name__ == "__main__":
    print(json.dumps(main()))
