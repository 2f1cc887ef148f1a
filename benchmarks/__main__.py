"""Runs the benchmark suite, one process per configuration, and writes CSV + markdown tables.

    python -m benchmarks [--quick] [--backends tensorflow,jax] [--output benchmarks/results]

Train-step throughput (median over timed windows after warm-up, inside one fit() call) for the
SyncGAN CPU and authors' widths: tf.function vs XLA (jit_compile) vs steps_per_execution=4, in-memory
batches vs the real tf.data pairing pipeline; peak RSS per configuration; achieved FLOP/s against the
measured matmul peak; inversion (batched compiled vs per-sample eager).
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(module, *args, backend="tensorflow", timeout=1800):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{module} {args} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def train_configs(quick, backends):
    if quick:
        return [("tensorflow", "cpu", 8, "tf_function", False)] + [(b, "cpu", 8, "xla", False) for b in backends if b == "jax"]
    configs = []
    for batch in (64, 256):
        for mode in ("tf_function", "xla", "spe4"):
            configs.append(("tensorflow", "cpu", batch, mode, False))
        configs.append(("tensorflow", "cpu", batch, "tf_function", True))
        if "jax" in backends:
            configs.append(("jax", "cpu", batch, "xla", False))
    configs.append(("tensorflow", "authors", 64, "tf_function", False))  # ~15 s a step on 2 CPU cores
    return configs


def windows_for(width, quick):
    """Timed windows per configuration: fewer for the authors' width, whose steps take seconds on a CPU."""
    if quick:
        return ["--windows", "1", "--window-steps", "2"]
    return ["--windows", "3", "--window-steps", "1"] if width == "authors" else []


def markdown(table):
    """A pandas DataFrame as a markdown table (no tabulate dependency)."""
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def versions():
    import importlib.metadata as md

    found = {}
    for name in ("keras", "tensorflow", "jax", "numpy"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return found


def header(peaks=None):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    line = f"Machine: {machine}; device: CPU; versions: {versions()}"
    if peaks:
        line += f"; reference keras.ops.matmul rate (float32 1024x1024, GFLOP/s): { {b: round(p, 1) for b, p in peaks.items()} }"
    return stamp, line


def write(table, output, name, title, peaks=None):
    stamp, line = header(peaks)
    table.to_csv(output / f"{name}.csv", index=False)
    text = "\n".join([f"# {title} ({stamp})", "", line, "", markdown(table.round(3)), ""])
    (output / f"{name}.md").write_text(text)
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny configuration, one window (smoke test)")
    parser.add_argument("--suite", default="all", choices=["all", "train", "inversion"])
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "results"))
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    output = pathlib.Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    prefix = "quick_" if args.quick else ""
    import pandas as pd

    if args.suite in ("all", "train"):
        rows = []
        peaks = {b: run("benchmarks.train_step", "--matmul", backend=b)["matmul_gflops"] for b in backends}
        for backend, width, batch, mode, pipeline in train_configs(args.quick, backends):
            row = run("benchmarks.train_step", "--width", width, "--batch-size", batch, "--mode", mode,
                      *(["--pipeline"] if pipeline else []), *windows_for(width, args.quick), backend=backend)
            row["fraction_of_matmul_rate"] = row["achieved_gflops"] / peaks[backend]
            rows.append(row)
            print(json.dumps(row), flush=True)
        write(pd.DataFrame(rows), output, f"{prefix}train_step", "SyncGAN train-step throughput", peaks)
    if args.suite in ("all", "inversion"):
        inversion = run("benchmarks.inversion", *(["--samples", 8, "--steps", 5, "--eager-samples", 1,
                                                   "--eager-steps", 2] if args.quick else []))
        if not args.quick:
            inversion.update(run("benchmarks.inversion", "--warm-start"))
        write(pd.DataFrame([inversion]), output, f"{prefix}inversion",
              "Generator inversion: batched compiled loop vs per-sample eager loop; encoder warm start")


if __name__ == "__main__":
    main()
