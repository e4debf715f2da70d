#!/usr/bin/env python3
"""torchvision 0.14 classification models through lowp beside ONNX Runtime.

Two steps, because torch comes from Debian (/usr/bin/python3) and ONNX Runtime from PyPI:

  /usr/bin/python3 bench/torchvision_zoo.py export --out DIR [--opsets 13,17] [--set ci|table|all]
      [MODEL ...]
  venv/bin/python bench/torchvision_zoo.py measure --lowp build/tools/lowp --models DIR
      [--images PHOTOS] [--calib-count 32] [--speed] [--json OUT.json] [MODEL_OPSET.onnx ...]

export: torchvision's model with weights=None, seed 0, eval mode; parameters that torchvision
initialises to all zeros (ViT's head, ...) are re-drawn from N(0, 0.05) so that logits are not
constant; Inception-v3 and GoogLeNet without auxiliary heads (Inception at 299 px). Exported by
torch.onnx.export with a dynamic batch, input "x", output "y", as DIR/<model>_op<opset>.onnx
(kept when it exists).

measure, per model: fp32 relative L2 of lowp's logits against ONNX Runtime fp32 on seeded random
N(0,1) inputs at batch 1 and 2; bf16 relative L2 and top-1 agreement at batch 2; with --images (a
folder of JPEG/PNG photos, resized to the model's input the torchvision way): int8 calibrated on
the first --calib-count photos and bf16 / int8 top-1 agreement with ONNX Runtime fp32 on the rest;
with --speed (or --speed-only): batch-1 median latency of `lowp bench` and of ONNX Runtime
(intra-op threads = --threads, all optimisations) one after the other in the same run. Prints a Markdown table; --json writes the rows.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

# Families of torchvision 0.14's classification models. "ci" is the small subset the default
# test run may afford; "table" one or two of each family (what BENCHMARKS.md reports); "all" every
# model torchvision 0.14 lists.
TABLE = [
    "alexnet", "vgg11_bn", "vgg16", "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2",
    "squeezenet1_0", "squeezenet1_1", "densenet121", "inception_v3", "googlenet",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "mobilenet_v2", "mobilenet_v3_small",
    "mobilenet_v3_large", "mnasnet0_5", "mnasnet1_0", "efficientnet_b0", "efficientnet_b3",
    "efficientnet_v2_s", "regnet_x_400mf", "regnet_y_400mf", "regnet_y_1_6gf", "convnext_tiny",
    "vit_b_16", "vit_b_32", "swin_t",
]
CI = ["resnet18", "mobilenet_v3_small", "shufflenet_v2_x0_5", "inception_v3", "convnext_tiny"]
INPUT_SIZE = {"inception_v3": 299, "swin_v2_t": 256, "swin_v2_s": 256, "swin_v2_b": 256}


def all_models():
    import torchvision
    return sorted(torchvision.models.list_models(module=torchvision.models))


def build_model(name):
    import torch
    import torchvision
    torch.manual_seed(0)
    kwargs = {"weights": None}
    if name in ("inception_v3", "googlenet"):
        kwargs.update(aux_logits=False, init_weights=True)
    model = torchvision.models.get_model(name, **kwargs).eval()
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() > 1 and not p.abs().sum():
                p.normal_(0.0, 0.05)
    return model


def export(args):
    import torch
    names = args.model or {"ci": CI, "table": TABLE, "all": None}[args.set] or all_models()
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        size = INPUT_SIZE.get(name, 224)
        for opset in [int(o) for o in args.opsets.split(",")]:
            model = build_model(name)
            stem = f"{name}_op{opset}"
            path = os.path.join(args.out, stem + ".onnx")
            if sum(p.numel() * 4 for p in model.parameters()) > 1.5 * 2**30:
                # torch writes one external data file per parameter past 2 GiB: a folder each.
                os.makedirs(os.path.join(args.out, stem), exist_ok=True)
                path = os.path.join(args.out, stem, stem + ".onnx")
            if os.path.exists(path):
                continue
            x = torch.randn(1, 3, size, size)
            start = time.time()
            # torch 1.13 cannot export Swin V2's in-place qkv_bias[...].zero_() (aten::zero);
            # as mul_(0) it exports, the same network.
            zero = torch.Tensor.zero_
            torch.Tensor.zero_ = lambda t: t.mul_(0)
            try:
                torch.onnx.export(model, x, path, opset_version=opset, input_names=["x"],
                                  output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
            finally:
                torch.Tensor.zero_ = zero
            print(f"{path}: {time.time() - start:.1f} s", flush=True)


# ---------------------------------------------------------------- measure (ONNX Runtime side)

def rel_l2(a, b):
    import numpy as np
    return float(np.linalg.norm(a.astype("float64") - b) / max(np.linalg.norm(b), 1e-30))


def lowp_outputs(lowp, model, x, tmp, extra=()):
    import numpy as np
    inp = os.path.join(tmp, "x.npy")
    out = os.path.join(tmp, "out")
    np.save(inp, x)
    subprocess.run([lowp, "run", model, inp, "--output-dir", out, *extra], check=True,
                   capture_output=True, text=True)
    return np.load(os.path.join(out, "y.npy")).astype("float32")


def photo_batch(folder, size):
    """torchvision's ImageNet preprocessing: shorter side to size*256/224, centre crop."""
    import numpy as np
    from PIL import Image
    files = sorted(f for f in os.listdir(folder) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    mean = np.array([0.485, 0.456, 0.406], "float32")[:, None, None]
    std = np.array([0.229, 0.224, 0.225], "float32")[:, None, None]
    short = int(size * 256 / 224)
    batch = []
    for f in files:
        img = Image.open(os.path.join(folder, f)).convert("RGB")
        w, h = img.size
        scale = short / min(w, h)
        img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))),
                         Image.BILINEAR)
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        img = img.crop((left, top, left + size, top + size))
        a = np.asarray(img, "float32").transpose(2, 0, 1) / 255.0
        batch.append((a - mean) / std)
    return np.stack(batch).astype("float32")


def ort_session(model, threads):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def ort_run(sess, x, batch=16):
    import numpy as np
    return np.concatenate([sess.run(None, {"x": x[i:i + batch]})[0]
                           for i in range(0, len(x), batch)])


def agreement(a, b):
    return int((a.argmax(1) == b.argmax(1)).sum())


def measure_one(args, path, tmp):
    import numpy as np
    sess = ort_session(path, args.threads)
    size = sess.get_inputs()[0].shape[2]
    row = {"model": os.path.basename(path)[:-5]}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, size, size)).astype("float32")
    ref = ort_run(sess, x)
    try:
        if args.speed_only:
            row["lowp_ms"], row["ort_ms"] = speed(args, path, sess, x[:1])
            return row
        row["fp32_b1"] = rel_l2(lowp_outputs(args.lowp, path, x[:1], tmp), ref[:1])
        row["fp32_b2"] = rel_l2(lowp_outputs(args.lowp, path, x, tmp), ref)
        bf16 = lowp_outputs(args.lowp, path, x, tmp, ["--precision", "bf16"])
        row["bf16_err"], row["bf16_top1_random"] = rel_l2(bf16, ref), agreement(bf16, ref)
        if args.images:
            photos = photo_batch(args.images, size)
            calib, test = photos[:args.calib_count], photos[args.calib_count:]
            np.save(os.path.join(tmp, "calib.npy"), calib)
            ref_photos = ort_run(sess, test)
            row["photos"] = len(test)
            got = lowp_outputs(args.lowp, path, test, tmp, ["--precision", "bf16"])
            row["bf16_top1_photos"] = agreement(got, ref_photos)
            plan = os.path.join(tmp, "int8.plan")
            subprocess.run([args.lowp, "compile", path, "-o", plan, "--precision", "int8",
                            "--calib", os.path.join(tmp, "calib.npy"), "--calib-format", "npy"],
                           check=True, capture_output=True, text=True)
            got = lowp_outputs(args.lowp, plan, test, tmp)
            row["int8_top1_photos"] = agreement(got, ref_photos)
            row["int8_err_photos"] = rel_l2(got, ref_photos)
        if args.speed:
            row["lowp_ms"], row["ort_ms"] = speed(args, path, sess, x[:1])
    except subprocess.CalledProcessError as e:
        row["error"] = (e.stderr or e.stdout or "").strip().splitlines()[-1:] or ["failed"]
        row["error"] = row["error"][0][:200]
    return row


def speed(args, path, sess, x):
    import numpy as np
    out = subprocess.run([args.lowp, "bench", path, "-n", str(args.iterations), "-w", "3",
                          "--threads", str(args.threads)],
                         check=True, capture_output=True, text=True).stdout
    lowp_ms = float(re.search(r"median_ms:\s*([0-9.]+)", out).group(1))
    for _ in range(3):
        sess.run(None, {"x": x})
    times = []
    for _ in range(args.iterations):
        start = time.perf_counter()
        sess.run(None, {"x": x})
        times.append((time.perf_counter() - start) * 1e3)
    return lowp_ms, float(np.median(times))


def fmt(row):
    if "error" in row:
        return f"| {row['model']} | refused: {row['error']} |  |  |  |  |"
    if "fp32_b1" not in row:
        return f"| {row['model']} |  |  |  |  | {row['lowp_ms']:.1f} / {row['ort_ms']:.1f} |"
    cells = [f"{row['fp32_b1']:.1e} / {row['fp32_b2']:.1e}",
             f"{row['bf16_err']:.1e} ({row['bf16_top1_random']}/2)"]
    if "photos" in row:
        n = row["photos"]
        cells.append(f"{row['bf16_top1_photos']}/{n}")
        cells.append(f"{row['int8_top1_photos']}/{n} ({row['int8_err_photos']:.1e})")
    else:
        cells += ["", ""]
    cells.append(f"{row['lowp_ms']:.1f} / {row['ort_ms']:.1f}" if "lowp_ms" in row else "")
    return f"| {row['model']} | " + " | ".join(cells) + " |"


def measure(args):
    models = args.model or sorted(
        os.path.join(root, f) for root, _, files in os.walk(args.models)
        for f in files if f.endswith(".onnx"))
    print("| model | fp32 rel. L2 b1 / b2 | bf16 rel. L2 (top-1 of 2) | bf16 top-1 on photos "
          "| int8 top-1 on photos (rel. L2) | lowp / ONNX Runtime fp32 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for path in models:
        with tempfile.TemporaryDirectory() as tmp:
            row = measure_one(args, path, tmp)
        rows.append(row)
        print(fmt(row), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", required=True)
    e.add_argument("--opsets", default="13,17")
    e.add_argument("--set", choices=["ci", "table", "all"], default="table")
    e.add_argument("model", nargs="*")
    m = sub.add_parser("measure")
    m.add_argument("--lowp", default="build/tools/lowp")
    m.add_argument("--models", default=".")
    m.add_argument("--images")
    m.add_argument("--calib-count", type=int, default=32)
    m.add_argument("--speed", action="store_true")
    m.add_argument("--speed-only", action="store_true", help="only the speed (an idle machine)")
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--iterations", type=int, default=20)
    m.add_argument("--json")
    m.add_argument("model", nargs="*")
    args = parser.parse_args()
    export(args) if args.command == "export" else measure(args)


if __name__ == "__main__":
    sys.exit(main())
