#!/usr/bin/env python3
"""ResNet-18 fp32 on this CPU: lowp beside ONNX Runtime, in one run.

For each batch size, the two runtimes are measured in alternating rounds (lowp, ORT, lowp, ORT, ...)
so that machine noise hits both alike; the figure per runtime is the median over rounds of each
round's median latency. ONNX Runtime: intra-op threads = --threads, all graph optimisations.

  python3 bench/cpu_vs_onnxruntime.py [--model M] [--batches 1,16] [--threads 2] [--rounds 3]
Writes bench/results/cpu_fp32_<date>.json and prints a table.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lowp_round(lowp, model, batch, threads, iterations, warmup):
    out = subprocess.run(
        [lowp, "bench", model, "--batch", str(batch), "--iterations", str(iterations),
         "--warmup", str(warmup), "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def ort_round(session, name, batch, iterations, warmup):
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    for _ in range(warmup):
        session.run(None, {name: x})
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "..", "shared", "models", "resnet18_imagenet_arch.onnx"))
    ap.add_argument("--lowp", default=os.path.join(ROOT, "build", "tools", "lowp"))
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        iterations, warmup = (50, 10) if batch == 1 else (10, 3)
        lowp_ms, ort_ms = [], []
        for _ in range(args.rounds):
            lowp_ms.append(lowp_round(args.lowp, args.model, batch, args.threads, iterations, warmup))
            ort_ms.append(ort_round(session, name, batch, iterations, warmup))
        lm, om = statistics.median(lowp_ms), statistics.median(ort_ms)
        gflop = 2 * 1.82 * batch
        rows.append({
            "batch": batch, "lowp_median_ms": round(lm, 3), "ort_median_ms": round(om, 3),
            "lowp_images_per_s": round(1e3 * batch / lm, 1), "ort_images_per_s": round(1e3 * batch / om, 1),
            "ort_over_lowp_time": round(om / lm, 3), "lowp_gflops": round(gflop / lm * 1e3, 1),
            "lowp_rounds_ms": lowp_ms, "ort_rounds_ms": ort_ms,
        })
    result = {
        "date": datetime.date.today().isoformat(), "machine": cpu_name(), "cores": os.cpu_count(),
        "threads": args.threads, "model": os.path.basename(args.model),
        "onnxruntime": ort.__version__, "rows": rows,
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"cpu_fp32_{result['date']}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{'batch':>5} {'lowp ms':>9} {'ORT ms':>9} {'ORT/lowp':>9} {'lowp GFLOP/s':>13}")
    for r in rows:
        print(f"{r['batch']:>5} {r['lowp_median_ms']:>9.2f} {r['ort_median_ms']:>9.2f} "
              f"{r['ort_over_lowp_time']:>9.3f} {r['lowp_gflops']:>13.1f}")
    print(f"written {path}")


if __name__ == "__main__":
    main()
