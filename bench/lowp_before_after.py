#!/usr/bin/env python3
"""Two builds of lowp side by side on this CPU (a change's speed cost): each compiles the same model
at each precision, then `lowp bench` runs them in alternating rounds so machine noise hits both
alike. A figure is the median over rounds of each round's median latency.

  python3 bench/lowp_before_after.py --before OLD/tools/lowp --after build/tools/lowp \
      [--model build/models/resnet18_imagenet_arch.onnx] [--precisions fp32,int8] \
      [--batches 1,16] [--rounds 5] [--threads 2]
Prints a table and one JSON object (--out FILE to keep it).
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "build", "models")


def bench(lowp, plan, batch, threads, iterations, warmup):
    out = subprocess.run([lowp, "bench", plan, "--batch", str(batch), "--iterations",
                          str(iterations), "--warmup", str(warmup), "--threads", str(threads),
                          "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--model", default=os.path.join(MODELS, "resnet18_imagenet_arch.onnx"))
    ap.add_argument("--calib", default=os.path.join(MODELS, "resnet18_imagenet_input4.npy"))
    ap.add_argument("--precisions", default="fp32,int8")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lowp_before_after_")
    plans = {}
    for side, lowp in (("before", args.before), ("after", args.after)):
        for p in args.precisions.split(","):
            plan = os.path.join(tmp, f"{side}.{p}.plan")
            cmd = [lowp, "compile", args.model, "-o", plan, "--precision", p]
            if p == "int8":
                cmd += ["--calib", args.calib, "--calib-format", "npy"]
            subprocess.run(cmd, check=True, capture_output=True)
            plans[(side, p)] = (lowp, plan)
    rows = []
    for batch in [int(b) for b in args.batches.split(",")]:
        iterations, warmup = (50, 10) if batch == 1 else (10, 3)
        for p in args.precisions.split(","):
            times = {"before": [], "after": []}
            for _ in range(args.rounds):
                for side in ("before", "after"):
                    lowp, plan = plans[(side, p)]
                    times[side].append(bench(lowp, plan, batch, args.threads, iterations, warmup))
            b, a = statistics.median(times["before"]), statistics.median(times["after"])
            rows.append({"batch": batch, "precision": p, "before_ms": b, "after_ms": a,
                         "after_over_before": a / b, "rounds": times})
            print(f"batch {batch:3d} {p:5s} before {b:8.2f} ms  after {a:8.2f} ms  "
                  f"after/before {a / b:.3f}", flush=True)
    result = {"model": os.path.basename(args.model), "threads": args.threads, "rows": rows}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))


if __name__ == "__main__":
    main()
