#!/usr/bin/env python3
"""lowp's CUDA backend beside PyTorch on the same GPU, in one run (issue 4's benchmark).

ResNet-18 ImageNet graph: batch-1 latency (median and p99 over --runs1 runs) and batch --batch
throughput, for lowp fp32 / fp16 / int8 (bench/cuda_bench, CUDA graph replay, device buffers) and
PyTorch fp16 channels_last eager (cudnn.benchmark on) and torch.compile (mode reduce-overhead,
i.e. CUDA graphs). Also measures the GPU's dense fp16 and int8 matrix rates (8192^3 products) and
reports each result's implied tensor-core utilisation = model FLOPs / time / measured peak.

Runs on the GPU machine (PyTorch, torchvision and onnx there); writes one JSON file (--out).
  python3 bench/cuda_vs_pytorch.py --cuda-bench build/bench/cuda_bench \
      --model resnet18_imagenet_arch.onnx --out bench/results/cuda_h100.json
When --model does not exist it is exported from torchvision's resnet18 (random weights: speed
does not depend on them).
"""
import argparse
import datetime
import json
import os
import subprocess
import time

import torch
import torchvision


def model_flops(path):
    """2 * MACs of every Conv and Gemm of the ONNX graph at batch 1 (224x224)."""
    import onnx
    from onnx import shape_inference

    m = onnx.load(path)
    g = m.graph
    for i in g.input:
        dims = i.type.tensor_type.shape.dim
        if dims and not dims[0].dim_value:
            dims[0].dim_value = 1
    g = shape_inference.infer_shapes(m).graph
    shapes = {}
    for v in list(g.value_info) + list(g.output) + list(g.input):
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    inits = {t.name: list(t.dims) for t in g.initializer}
    flops = 0
    for n in g.node:
        if n.op_type == "Conv":
            w = inits[n.input[1]]
            out = shapes[n.output[0]]
            flops += 2 * out[1] * out[2] * out[3] * w[1] * w[2] * w[3]
        elif n.op_type in ("Gemm", "MatMul"):
            w = inits[n.input[1]]
            flops += 2 * w[0] * w[1]
    return flops


def peak_rates():
    """Dense matrix product rates on this GPU: fp16 (fp32 accumulate), int8, fp32 (no TF32)."""
    torch.backends.cuda.matmul.allow_tf32 = False
    n = 8192
    out = {}

    def rate(fn, flops):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        reps = 10
        for _ in range(reps):
            fn()
        torch.cuda.synchronize()
        return flops * reps / (time.perf_counter() - t0)

    a = torch.randn(n, n, device="cuda", dtype=torch.float16)
    b = torch.randn(n, n, device="cuda", dtype=torch.float16)
    out["fp16_tflops"] = rate(lambda: a @ b, 2 * n**3) / 1e12
    a8 = torch.randint(-128, 127, (n, n), device="cuda", dtype=torch.int8)
    b8 = torch.randint(-128, 127, (n, n), device="cuda", dtype=torch.int8)
    out["int8_tops"] = rate(lambda: torch._int_mm(a8, b8), 2 * n**3) / 1e12
    a32 = a.float()
    b32 = b.float()
    out["fp32_tflops"] = rate(lambda: a32 @ b32, 2 * n**3) / 1e12
    return out


def time_torch(fn, x, runs):
    with torch.no_grad():
        for _ in range(10):
            fn(x)
        torch.cuda.synchronize()
        ms = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn(x)
            torch.cuda.synchronize()
            ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    return ms[len(ms) // 2], ms[min(len(ms) - 1, len(ms) * 99 // 100)]


def pytorch_results(runs1, batch, runs_big):
    torch.backends.cudnn.benchmark = True
    net = torchvision.models.resnet18().cuda().half().eval().to(memory_format=torch.channels_last)
    results = []
    variants = [("pytorch eager fp16 channels_last", net)]
    try:
        variants.append(("pytorch torch.compile fp16 (reduce-overhead)",
                         torch.compile(net, mode="reduce-overhead")))
    except Exception as e:  # report, do not hide
        results.append({"name": "pytorch torch.compile", "error": str(e)})
    for name, fn in variants:
        try:
            x1 = torch.randn(1, 3, 224, 224, device="cuda").half().to(memory_format=torch.channels_last)
            xb = torch.randn(batch, 3, 224, 224, device="cuda").half().to(
                memory_format=torch.channels_last)
            med1, p99 = time_torch(fn, x1, runs1)
            medb, _ = time_torch(fn, xb, runs_big)
            results.append({"name": name, "precision": "fp16", "batch1_median_ms": med1,
                            "batch1_p99_ms": p99, "big_batch": batch, "big_batch_median_ms": medb,
                            "big_batch_images_per_s": 1000.0 * batch / medb})
        except Exception as e:
            results.append({"name": name, "error": str(e)})
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cuda-bench", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs1", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--runs-big", type=int, default=50)
    ap.add_argument("--precisions", default="fp32,fp16,int8")
    args = ap.parse_args()

    if not os.path.exists(args.model):
        net = torchvision.models.resnet18().eval()
        torch.onnx.export(net, torch.randn(1, 3, 224, 224), args.model, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "N"}}, opset_version=17)
    flops = model_flops(args.model)
    props = torch.cuda.get_device_properties(0)
    driver = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                            capture_output=True, text=True).stdout.strip()
    report = {"date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z",
              "gpu": props.name, "driver": driver, "torch": torch.__version__,
              "model": os.path.basename(args.model), "model_gflop_per_image": flops / 1e9,
              "peaks": peak_rates(), "results": []}
    for p in args.precisions.split(","):
        r = subprocess.run([args.cuda_bench, args.model, p, str(args.runs1), str(args.batch),
                            str(args.runs_big)], capture_output=True, text=True)
        if r.returncode != 0:
            report["results"].append({"name": "lowp " + p, "error": r.stderr.strip()[-2000:]})
            continue
        res = json.loads(r.stdout.strip().splitlines()[-1])
        res["name"] = "lowp " + p
        report["results"].append(res)
    report["results"] += pytorch_results(args.runs1, args.batch, args.runs_big)

    peaks = report["peaks"]
    for res in report["results"]:
        if "big_batch_images_per_s" not in res:
            continue
        peak = peaks["int8_tops"] if res["precision"] == "int8" else (
            peaks["fp32_tflops"] if res["precision"] == "fp32" else peaks["fp16_tflops"])
        res["big_batch_tflops"] = res["big_batch_images_per_s"] * flops / 1e12
        res["big_batch_utilisation"] = res["big_batch_tflops"] / peak
        res["batch1_tflops"] = flops / (res["batch1_median_ms"] * 1e-3) / 1e12
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
