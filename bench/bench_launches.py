#!/usr/bin/env python3
"""Latency of lowp plans on a noisy machine: each plan launched --launches times round-robin
(`lowp bench PLAN -b B -n N --json`), reported as the median of the launches' medians and the
best. Some cloud machines switch between a fast and a slower regime for minutes at a time, so one
launch can mislead where the median of several, interleaved with the plans compared, does not.

  python3 bench/bench_launches.py --lowp build/tools/lowp --launches 7 --batch 1 A.plan B.plan
"""
import argparse
import json
import statistics
import subprocess


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lowp", default="build/tools/lowp")
    ap.add_argument("--launches", type=int, default=7)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=0, help="runs per launch (0: 100 at "
                    "batch 1, else 10)")
    ap.add_argument("plans", nargs="+")
    args = ap.parse_args()
    n = args.iterations or (100 if args.batch == 1 else 10)
    medians = {p: [] for p in args.plans}
    for _ in range(args.launches):
        for p in args.plans:
            out = subprocess.run([args.lowp, "bench", p, "-b", str(args.batch), "-n", str(n),
                                  "--json"], check=True, capture_output=True, text=True).stdout
            medians[p].append(json.loads(out)["median_ms"])
    base = statistics.median(medians[args.plans[0]])
    for p, v in medians.items():
        m = statistics.median(v)
        print(f"{p} batch {args.batch}: median of {len(v)} launches {m:.2f} ms (best {min(v):.2f}; "
              f"{base / m:.2f}x the first plan) all: {' '.join(f'{x:.2f}' for x in v)}")


if __name__ == "__main__":
    main()
