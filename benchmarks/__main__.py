"""Runs the benchmark suite, one process per configuration, and writes CSV + markdown tables.

    python -m benchmarks [--quick] [--suite all|train|pipeline|inversion] [--backends tensorflow,jax] [--output DIR]
    python -m benchmarks --device gpu --backends jax --suite train      (a GPU machine; writes gpu_*.csv/md)

Train-step throughput (median over timed windows after warm-up, inside one fit() call) of SyncGAN
(CPU width at batch 64, 256 and 1,024; the authors' width at their batch of 32 + 32 pairs) and
CVAE-GAN: tf.function vs XLA (jit_compile) vs steps_per_execution=4, float32 vs mixed_bfloat16,
in-memory batches vs the real tf.data pairing pipeline; with torch installed (`bench` extra), the PyTorch peer's windows interleaved
with ours in the same process and our/peer ratio (the peer in bfloat16 autocast beside our
mixed_bfloat16 rows); peak RSS per configuration; achieved FLOP/s against the best measured dense
matmul rate of the row's precision; inversion (batched compiled vs per-sample eager).

`--device gpu`: the authors' width at batch 64, 256 and 1,024 and CVAE-GAN, XLA (JAX jit) vs op by
op, float32 vs mixed_bfloat16, with the PyTorch peer on CUDA, GPU peak memory, and achieved FLOP/s
against the measured float32 and bfloat16 matmul rates of the same GPU.
"""

import argparse
import datetime
import importlib
import importlib.util
import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The machine is shared: idle OpenMP threads (PyTorch's) sleep instead of spinning, or every parallel
# region waits for a descheduled spinner (a 2-thread peer step took 2-4x longer under load without it).
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu", "OMP_WAIT_POLICY": "PASSIVE"}
# On a GPU: JAX takes half the memory up front, leaving the PyTorch peer room in the same process.
GPU_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.5"}
MEMORY_METHOD = ("peak RSS = getrusage ru_maxrss of the process: ours at the end of warm-up, before the peer is "
                 "imported; the peer's in a separate process running it alone (no TensorFlow) for the same batch")


def run(module, *args, backend="tensorflow", in_process=False, timeout=3600, env=None):
    """`module.main(args)`: in a fresh process (isolation, its own peak RSS), or in this one when
    `in_process` and the backend is this process' (the smoke test saves the start-ups)."""
    if in_process:
        import keras

        if keras.backend.backend() == backend:
            return importlib.import_module(module).main([str(a) for a in args])
    env = {**os.environ, **(ENV if env is None else env), "KERAS_BACKEND": backend}
    result = subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{module} {args} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def has_peer():
    return importlib.util.find_spec("torch") is not None


def gpu_train_configs(backends):
    """`(model, backend, width, batch, mode, pipeline, dtype policy)` of the GPU rows (authors' width)."""
    configs = []
    for backend in backends:
        for model, batches in (("syncgan", (64, 256, 1024)), ("cvaegan", (64, 256))):
            for batch in batches:
                configs += [(model, backend, "authors", batch, "xla", False, policy)
                            for policy in ("float32", "mixed_bfloat16")]
        configs.append(("syncgan", backend, "authors", 64, "no_jit", False, "float32"))
    return configs


def train_configs(quick, backends):
    """`(model, backend, width, batch, mode, pipeline, dtype policy)` of every CPU train-step row."""
    if quick:
        return ([("syncgan", "tensorflow", "cpu", 8, "tf_function", False, "float32"),
                 ("syncgan", "tensorflow", "cpu", 8, "tf_function", False, "mixed_bfloat16"),
                 ("cvaegan", "tensorflow", "cpu", 8, "tf_function", False, "float32")]
                + [("syncgan", b, "cpu", 8, "xla", False, "float32") for b in backends if b == "jax"])
    configs = []
    for model, batches in (("syncgan", (64, 256)), ("cvaegan", (64, 256))):
        for batch in batches:
            configs += [(model, "tensorflow", "cpu", batch, mode, False, "float32")
                        for mode in ("tf_function", "xla", "spe4")]
            configs.append((model, "tensorflow", "cpu", batch, "tf_function", False, "mixed_bfloat16"))
            if model == "syncgan":
                configs.append((model, "tensorflow", "cpu", batch, "tf_function", True, "float32"))
            if "jax" in backends:
                configs.append((model, "jax", "cpu", batch, "xla", False, "float32"))
    configs.append(("syncgan", "tensorflow", "cpu", 1024, "tf_function", False, "float32"))
    for policy in ("float32", "mixed_bfloat16"):  # seconds a step on 2 cores
        configs.append(("syncgan", "tensorflow", "authors", 64, "tf_function", False, policy))
    return configs


def windows_for(width, batch, quick, gpu=False, mode=None):
    """(windows, steps per window, warm-up steps): windows of ~1-5 s, fewer when a step takes seconds."""
    if quick:
        sizes = (1, 1, 1)
    elif gpu:
        sizes = (3, 2, 2) if mode == "no_jit" else (5, 20, 10)
    elif width == "authors" or batch >= 1024:
        sizes = (3, 1, 2)
    elif batch >= 256:
        sizes = (5, 2, 3)
    else:
        sizes = (5, 4, 3)
    return [flag for name, value in zip(("--windows", "--window-steps", "--warmup"), sizes) for flag in (name, value)]


def matmul_reference(backends, quick, env=None):
    """`{library: {size: GFLOP/s}}`, measured in one process per backend."""
    rates = {}
    for backend in backends:
        rates.update(run("benchmarks.matmul", *(["--quick"] if quick else []), backend=backend, in_process=quick,
                         env=env))
    print(json.dumps({"matmul_gflops": rates}), flush=True)
    return rates


def best_rates(*measurements):
    """Per library and size, the best of several measurements (the machine is shared: noise only slows)."""
    best = {}
    for rates in measurements:
        for library, by_size in rates.items():
            for size, value in by_size.items():
                best.setdefault(library, {})[int(size)] = max(value, best.get(library, {}).get(int(size), 0.0))
    return best


def precision_peaks(rates):
    """`{"float32": GFLOP/s, "bfloat16": GFLOP/s}`: the best matmul rate of each precision."""
    peaks = {}
    for library, by_size in rates.items():
        precision = "bfloat16" if "bfloat16" in library else "float32"
        peaks[precision] = max(peaks.get(precision, 0.0), *by_size.values())
    return peaks


def with_fraction_of_peak(rows, rates):
    """The result rows as a table, with each row's achieved FLOP/s over the peak of its precision."""
    import pandas as pd

    peaks = precision_peaks(rates)
    table = pd.DataFrame(rows)
    # Where no bfloat16 matmul was measured, bfloat16 rows compare with the float32 peak.
    reference = table["dtype_policy"].map(lambda policy: peaks.get("bfloat16" if "bfloat16" in policy else "float32",
                                                                    peaks["float32"]))
    table["fraction_of_matmul_peak"] = table["achieved_gflops"] / reference
    return table, peaks


def matmul_table(rates, path):
    """Writes the matmul rates `{library: {size: GFLOP/s}}` to `path` (CSV); returns them as markdown."""
    import pandas as pd

    matmul = pd.DataFrame([{"library": lib, **{f"{size}^2 GFLOP/s": r for size, r in by.items()}}
                           for lib, by in rates.items()])
    matmul.to_csv(path, index=False)
    return ("Dense matmul rate (GFLOP/s, best of 3 trials, start and end of run):\n\n"
            + markdown(matmul.round(1)) + "\n")


def markdown(table):
    """A pandas DataFrame as a markdown table (no tabulate dependency)."""
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def versions():
    import importlib.metadata as md

    found = {}
    for name in ("keras", "tensorflow", "jax", "torch", "numpy"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found


def load_average():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def gpu_name():
    """The GPU's name as `nvidia-smi` reports it, or "CPU"."""
    try:
        names = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                               text=True, timeout=30).stdout.strip().splitlines()
    except (OSError, subprocess.SubprocessError):
        return "CPU"
    return names[0] if names else "CPU"


def header(*lines, device="CPU"):
    """The date and the machine line of every results table, then `lines`."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    return stamp, [f"Machine: {machine}; device: {device}; versions: {versions()}", *lines]


def write(table, output, name, title, lines=(), extra="", device="CPU"):
    stamp, lines = header(*lines, device=device)
    table.to_csv(output / f"{name}.csv", index=False)
    body = markdown(table.round(3)).replace("| nan ", "|  ")
    text = "\n".join([f"# {title} ({stamp})", "", *[f"- {line}" for line in lines], "", body, "", extra])
    (output / f"{name}.md").write_text(text)
    print(text)


def train_suite(args, backends, output, prefix):
    from benchmarks.train_step import cpu_threads, peer_dtype

    load_start = load_average()
    peer = has_peer() and "tensorflow" in backends
    before = matmul_reference(backends, args.quick)
    rows, peer_memory = [], {}
    for model, backend, width, batch, mode, pipeline, policy in train_configs(args.quick, backends):
        interleave = peer and model == "syncgan" and not pipeline
        row = run("benchmarks.train_step", "--model", model, "--width", width, "--batch-size", batch, "--mode", mode,
                  "--dtype-policy", policy, *(["--pipeline"] if pipeline else []), *(["--peer"] if interleave else []),
                  *windows_for(width, batch, args.quick), backend=backend, in_process=args.quick)
        if interleave:
            key = width, batch, peer_dtype(policy)
            if key not in peer_memory:
                from keras_syncgan.presets import WIDTHS

                peer_memory[key] = run("benchmarks.peers.torch_syncgan", "--batch-size", batch, "--dtype", key[2],
                                       *(f"--{name}={value}" for name, value in WIDTHS[width].items()))
            row["peer_peak_rss_mb"] = peer_memory[key]["peer_peak_rss_mb"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    rates = best_rates(before, matmul_reference(backends, args.quick))
    table, peaks = with_fraction_of_peak(rows, rates)
    lines = [f"load average (1/5/15 min) at start {load_start}, at end {load_average()}; "
             f"{cpu_threads()} threads for TensorFlow/XLA and the peer (`torch.set_num_threads`), OMP_WAIT_POLICY=PASSIVE",
             f"timing: median of {'/'.join(sorted({str(r) for r in table['windows']}))} windows after warm-up, inside one "
             "`fit()`; with the PyTorch peer (`benchmarks/peers/torch_syncgan.py`, same networks, losses and Adam "
             "settings, trainable parameter counts asserted equal), its windows alternate with ours in the same "
             "process on the same batch (in bfloat16 autocast beside our mixed_bfloat16 rows); ours_over_peer = peer "
             "step time / our step time",
             MEMORY_METHOD,
             f"matmul peaks: float32 {peaks['float32']:.1f} GFLOP/s, bfloat16 {peaks.get('bfloat16', float('nan')):.1f} "
             "GFLOP/s, the best of every library and size below, measured at the start and the end of the run; "
             "fraction_of_matmul_peak compares each row with the peak of its precision; FLOPs counted analytically "
             "(`benchmarks/flops.py`)"]
    extra = matmul_table(rates, output / f"{prefix}matmul.csv")
    write(table, output, f"{prefix}train_step", "SyncGAN and CVAE-GAN train-step throughput", lines, extra)


def gpu_train_suite(args, backends, output):
    """The GPU rows (`gpu_train_configs`) with the peer on CUDA; writes `gpu_train_step.*`, `gpu_matmul.csv`."""
    device = gpu_name()
    before = matmul_reference(backends, False, env=GPU_ENV)
    rows = []
    for model, backend, width, batch, mode, pipeline, policy in gpu_train_configs(backends):
        interleave = has_peer() and model == "syncgan" and mode == "xla"
        row = run("benchmarks.train_step", "--model", model, "--width", width, "--batch-size", batch, "--mode", mode,
                  "--dtype-policy", policy, *(["--peer"] if interleave else []),
                  *windows_for(width, batch, False, gpu=True, mode=mode), backend=backend, env=GPU_ENV)
        rows.append(row)
        print(json.dumps(row), flush=True)
    rates = best_rates(before, matmul_reference(backends, False, env=GPU_ENV))
    table, peaks = with_fraction_of_peak(rows, rates)
    lines = ["timing: median of the timed windows after warm-up (compilation included in the warm-up), inside one "
             "`fit()`; the PyTorch peer (eager PyTorch on CUDA, same networks, losses and Adam settings, parameter "
             "counts asserted equal; bfloat16 autocast beside our mixed_bfloat16 rows) runs its windows alternately "
             "with ours in the same process on the same batch; "
             "ours_over_peer = peer step time / our step time; both wait for each step's losses",
             "mode `xla`: the JAX backend's jit-compiled train step; `no_jit`: `compile(jit_compile=False)`, op by op",
             "peak_device_mb: JAX `memory_stats()['peak_bytes_in_use']` (the peer: `torch.cuda.max_memory_allocated`)",
             f"matmul peaks: float32 {peaks['float32'] / 1e3:.1f} TFLOP/s (default precision), bfloat16 "
             f"{peaks.get('bfloat16', float('nan')) / 1e3:.1f} TFLOP/s, the best of every library and size below, "
             "measured at the start and the end of the run; fraction_of_matmul_peak compares each row with the "
             "peak of its compute precision; FLOPs counted analytically (`benchmarks/flops.py`)"]
    extra = matmul_table(rates, output / "gpu_matmul.csv")
    write(table, output, "gpu_train_step", "GPU train-step throughput, the authors' width", lines, extra, device=device)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny configurations, one window (smoke test)")
    parser.add_argument("--suite", default="all", choices=["all", "train", "pipeline", "inversion"])
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--device", default="cpu", choices=["cpu", "gpu"])
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    prefix = "quick_" if args.quick else ""
    if args.device == "gpu":
        if args.suite != "train":
            parser.error("argument --suite: the GPU suite has train-step rows only; use --suite train with --device gpu")
        return gpu_train_suite(args, backends, output)
    if args.suite in ("all", "train"):
        train_suite(args, backends, output, prefix)
    if args.suite in ("all", "pipeline"):
        import pandas as pd

        rows = [run("benchmarks.pipeline", "--batch-size", batch, *(["--rounds", 1, "--steps", 1] if args.quick else
                                                                     ["--steps", 8 if batch < 256 else 4]),
                    in_process=args.quick) for batch in ((8,) if args.quick else (64, 256))]
        write(pd.DataFrame(rows), output, f"{prefix}pipeline",
              "Input pipeline: the tf.data pairing pipeline vs in-memory batches, alternating fit() calls on one model",
              ["pipeline_cost = median pipeline step time / median in-memory step time - 1; "
               "SyncGAN at the CPU width, TensorFlow `tf.function`",
               f"load average (1/5/15 min) at the end {load_average()}"])
    if args.suite in ("all", "inversion"):
        import pandas as pd

        inversion = run("benchmarks.inversion", *(["--samples", 8, "--steps", 5, "--eager-samples", 1,
                                                   "--eager-steps", 2] if args.quick else []), in_process=args.quick)
        if not args.quick:
            inversion.update(run("benchmarks.inversion", "--warm-start"))
        write(pd.DataFrame([inversion]), output, f"{prefix}inversion",
              "Generator inversion: batched compiled loop vs per-sample eager loop; encoder warm start",
              [f"load average (1/5/15 min) at the end {load_average()}"])


if __name__ == "__main__":
    main()
