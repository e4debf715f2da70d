#!/usr/bin/env python3
"""ResNet-18 ImageNet graph on this CPU: lowp fp32 / bf16 / int8 beside ONNX Runtime fp32 and
ONNX Runtime int8 (its own quantize_static QDQ model, per-channel), in one run.

The model is the ImageNet-shaped ResNet-18 the build generates (build/models/, seeded weights:
speed depends only on the shapes). Plans are compiled first (lowp int8 and ONNX Runtime's
quantize_static both calibrated on --calib, an .npy of inputs; default the build's 4 generated
inputs). Each batch size is then measured
in alternating rounds over all variants so that machine noise hits them alike; a variant's figure
is the median over rounds of each round's median latency. ONNX Runtime: intra-op threads =
--threads, all graph optimisations.

  (ONNX Runtime also runs lowp's own int8 plan exported as QDQ ONNX with `lowp export`.)

  python3 bench/cpu_vs_onnxruntime.py [--batches 1,16] [--threads 2] [--rounds 3]
      [--lowp-precisions fp32,bf16,int8] [--no-ort-int8]
Writes bench/results/cpu_<date>.json and prints a table with ratios against lowp fp32.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "build", "models")


def lowp_round(lowp, plan, batch, threads, iterations, warmup):
    out = subprocess.run(
        [lowp, "bench", plan, "--batch", str(batch), "--iterations", str(iterations),
         "--warmup", str(warmup), "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def ort_round(session, batch, iterations, warmup):
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((batch, 3, 224, 224), dtype=np.float32)
    for _ in range(warmup):
        session.run(None, {name: x})
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def ort_session(model, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def ort_int8_model(model, out_path, calib):
    """ONNX Runtime's own static int8 quantization (QDQ, per-channel weights, u8 activations)."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    data = np.load(calib).astype(np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input": data[i:i + 1]} for i in range(data.shape[0])])

        def get_next(self):
            return next(self.items, None)

    quantize_static(model, out_path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out_path


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
    ap.add_argument("--model", default=os.path.join(MODELS, "resnet18_imagenet_arch.onnx"))
    ap.add_argument("--calib", default=os.path.join(MODELS, "resnet18_imagenet_input4.npy"),
                    help="an .npy of calibration inputs for lowp int8 and ONNX Runtime int8")
    ap.add_argument("--lowp", default=os.path.join(ROOT, "build", "tools", "lowp"))
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--lowp-precisions", default="fp32,bf16,int8")
    ap.add_argument("--no-ort-int8", action="store_true")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="lowp_bench_")
    variants = {}  # name -> callable(batch, iterations, warmup) -> median ms
    plan_bytes = {}
    for p in args.lowp_precisions.split(","):
        plan = os.path.join(tmp, f"resnet18.{p}.plan")
        cmd = [args.lowp, "compile", args.model, "-o", plan, "--precision", p]
        if p == "int8":
            cmd += ["--calib", args.calib, "--calib-format", "npy"]
        subprocess.run(cmd, check=True, capture_output=True)
        plan_bytes[p] = os.path.getsize(plan)
        variants[f"lowp {p}"] = (lambda plan: lambda b, i, w: lowp_round(
            args.lowp, plan, b, args.threads, i, w))(plan)
    ort_fp32 = ort_session(args.model, args.threads)
    variants["ORT fp32"] = lambda b, i, w: ort_round(ort_fp32, b, i, w)
    if not args.no_ort_int8:
        ort_q = ort_session(ort_int8_model(args.model, os.path.join(tmp, "ort_qdq.onnx"), args.calib), args.threads)
        variants["ORT int8 (own QDQ)"] = lambda b, i, w: ort_round(ort_q, b, i, w)
        if "int8" in plan_bytes:
            export = os.path.join(tmp, "lowp_export.qdq.onnx")
            subprocess.run([args.lowp, "export", os.path.join(tmp, "resnet18.int8.plan"), "-o", export],
                           check=True, capture_output=True)
            ort_x = ort_session(export, args.threads)
            variants["ORT int8 (lowp export)"] = lambda b, i, w: ort_round(ort_x, b, i, w)

    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        iterations, warmup = (50, 10) if batch == 1 else (10, 3)
        samples = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                samples[name].append(fn(batch, iterations, warmup))
        medians = {name: statistics.median(v) for name, v in samples.items()}
        base = medians.get("lowp fp32")
        for name, ms in medians.items():
            rows.append({"batch": batch, "variant": name, "median_ms": round(ms, 3),
                         "images_per_s": round(1e3 * batch / ms, 1),
                         "speedup_vs_lowp_fp32": round(base / ms, 3) if base else None,
                         "rounds_ms": [round(x, 3) for x in samples[name]]})
    result = {"date": datetime.date.today().isoformat(), "machine": cpu_name(), "cores": os.cpu_count(),
              "threads": args.threads, "model": os.path.basename(args.model),
              "onnxruntime": ort.__version__, "lowp_plan_bytes": plan_bytes, "rows": rows}
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"cpu_{result['date']}.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"{'batch':>5} {'variant':<20} {'median ms':>10} {'img/s':>8} {'x lowp fp32':>12}")
    for r in rows:
        print(f"{r['batch']:>5} {r['variant']:<20} {r['median_ms']:>10.2f} {r['images_per_s']:>8.1f} "
              f"{r['speedup_vs_lowp_fp32']:>12.3f}")
    print("plan bytes:", plan_bytes)
    print(f"written {path}")


if __name__ == "__main__":
    main()
