#!/usr/bin/env python3
"""int8 post-training quantization of one ONNX classifier, lowp beside ONNX Runtime's
quantize_static and OpenVINO + NNCF, on the same preprocessed tensors in one run (issue 14).

Inputs are .npy arrays made by lowp's own preprocessing (e.g. `lowp run IDENTITY.onnx --image ...
--preprocess tf-lite --output-dir D`, as bench/pretrained_lite.py does): --calib [C, 3, H, W] for
calibration, --val [N, 3, H, W] with --labels [N] integer classes for measurement. Needs numpy,
onnx, onnxruntime 1.31, sympy (ONNX Runtime's quant_pre_process), openvino 2026.4 and nncf in one
virtual environment without Debian's torch (NNCF rejects torch 1.13):

  V/bin/python bench/int8_peers.py --lowp build/tools/lowp --model M.onnx --calib C.npy \
      --val X.npy --labels Y.npy --out DIR

Rows: fp32 (ONNX Runtime), lowp fp32 / bf16 / int8 (default mse calibrator with bias correction,
each other calibrator, `auto`, mse without bias correction, and --max-accuracy-drop 0.3 validated
on the measured inputs themselves), ONNX Runtime int8 (QDQ, per-channel, MinMax), OpenVINO int8
(nncf.quantize defaults). Top-1 against the labels and agreement with ONNX Runtime fp32, as counts
and percentages; the mean absolute change of the probability of fp32's top-1 class; the logits'
SQNR against ONNX Runtime fp32.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np


def top1(logits):
    return logits.argmax(1)


def softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def ort_logits(model, x, batch=50):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[i:i + batch]})[0]
                           for i in range(0, len(x), batch)])


def ort_int8(model, calib, out):
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            import onnx
            self.name = onnx.load(model).graph.input[0].name
            self.items = iter([{self.name: calib[i:i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    pre = out.replace(".onnx", "_pre.onnx")
    quant_pre_process(model, pre)
    quantize_static(pre, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out


def openvino_nncf(model, calib, val):
    import nncf
    import openvino as ov
    core = ov.Core()
    ov_model = core.read_model(model)
    name = ov_model.inputs[0].get_any_name()
    dataset = nncf.Dataset([calib[i:i + 1] for i in range(len(calib))], lambda x: {name: x})
    quantized = nncf.quantize(ov_model, dataset, subset_size=len(calib))
    compiled = core.compile_model(quantized, "CPU", {"INFERENCE_NUM_THREADS": 2})
    out = compiled.outputs[0]
    return np.concatenate([compiled({name: val[i:i + 1]})[out] for i in range(len(val))])


def lowp_logits(lowp, model, precision, calib_npy, val_npy, tmp, calibrator=None, extra=()):
    plan = os.path.join(tmp, f"{precision}_{calibrator or 'default'}.plan")
    cmd = [lowp, "compile", model, "-o", plan, "--precision", precision, *extra]
    if precision == "int8":
        cmd += ["--calib", calib_npy, "--calib-format", "npy", "--calib-count",
                str(len(np.load(calib_npy, mmap_mode="r")))]
        if calibrator:
            cmd += ["--calibrator", calibrator]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    out = os.path.join(tmp, "out")
    subprocess.run([lowp, "run", plan, val_npy, "--output-dir", out], check=True,
                   capture_output=True, text=True)
    outs = [f for f in os.listdir(out) if f.endswith(".npy")]
    return np.load(os.path.join(out, outs[0])).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lowp", default="build/tools/lowp")
    ap.add_argument("--model", required=True)
    ap.add_argument("--calib", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calibrators", default="minmax,percentile,entropy,mse,auto")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    calib, val = np.load(args.calib), np.load(args.val)
    labels = np.load(args.labels).astype(np.int64)
    ref = ort_logits(args.model, val)
    rows = [("ONNX Runtime fp32", ref)]
    for p in ("fp32", "bf16", "int8"):
        rows.append((f"lowp {p}" + (" (mse, default)" if p == "int8" else ""),
                     lowp_logits(args.lowp, args.model, p, args.calib, args.val, args.out)))
    for c in args.calibrators.split(","):
        if c != "mse":
            rows.append((f"lowp int8 ({c})", lowp_logits(args.lowp, args.model, "int8",
                                                          args.calib, args.val, args.out, c)))
    rows.append(("lowp int8 (mse, bias correction off)",
                 lowp_logits(args.lowp, args.model, "int8", args.calib, args.val, args.out,
                             "mse", ["--disable-pass", "bias-correction"])))
    labels_npy = os.path.join(args.out, "labels.npy")
    np.save(labels_npy, labels)
    rows.append(("lowp int8 --max-accuracy-drop 0.3 (validated on these labelled inputs)",
                 lowp_logits(args.lowp, args.model, "int8", args.calib, args.val, args.out,
                             "mse", ["--max-accuracy-drop", "0.3", "--validation", args.val,
                                     "--validation-labels", labels_npy])))
    q = ort_int8(args.model, calib, os.path.join(args.out, "ort_int8.onnx"))
    rows.append(("ONNX Runtime int8 (QDQ, per-channel, MinMax)", ort_logits(q, val)))
    rows.append(("OpenVINO int8 (NNCF defaults)", openvino_nncf(args.model, calib, val)))
    n = len(val)
    result = {"images": n, "calibration_images": len(calib), "rows": []}
    print(f"{n} validation inputs, {len(calib)} calibration inputs\n"
          "| engine, precision | top-1 | top-1 = ONNX Runtime fp32 | drop from fp32 (points) "
          "| mean abs change of fp32's top-1 probability | logit SQNR (dB) |\n"
          "|---|---:|---:|---:|---:|---:|")
    base = (top1(ref) == labels).sum()
    for name, logits in rows:
        correct = int((top1(logits) == labels).sum())
        agree = int((top1(logits) == top1(ref)).sum())
        rows_ = np.arange(n)
        dp = float(np.abs(softmax(logits)[rows_, top1(ref)] - softmax(ref)[rows_, top1(ref)]).mean())
        noise = float(((logits - ref) ** 2).sum())
        sqnr = 10 * np.log10(float((ref ** 2).sum()) / noise) if noise > 0 else float("inf")
        result["rows"].append({"name": name, "correct": correct, "agree": agree,
                               "mean_abs_prob_change": dp, "logit_sqnr_db": sqnr})
        print(f"| {name} | {100 * correct / n:.2f}% ({correct}) | {100 * agree / n:.2f}% ({agree}) "
              f"| {100 * (base - correct) / n:+.2f} | {dp:.4f} | {sqnr:.2f} |")
    with open(os.path.join(args.out, "int8_peers.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
