#!/usr/bin/env python3
"""ONNX Runtime's own int8 (quantize_static, QDQ, per-channel weights, u8 activations) on the
Fashion-MNIST ResNet-18, calibrated on the same 512 training images lowp uses, evaluated on all
10,000 test images beside its fp32: the int8 peer for `lowp compare`'s figures.

  python3 bench/ort_int8_fashion.py [--calib-count 512] [--method minmax|percentile|entropy] [--save P]

With --save, `lowp compare P --precisions fp32 --dataset /usr/share/datasets/fashion-mnist` runs
ONNX Runtime's QDQ model in lowp (imported Q/DQ pairs fold into int8).
"""
import argparse
import gzip
import os
import tempfile

import numpy as np
import onnxruntime as ort
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=header)


def resize_matrix(n_in, n_out):
    """Bilinear, half-pixel centres, no antialias (PyTorch align_corners=False)."""
    m = np.zeros((n_out, n_in), np.float64)
    for o in range(n_out):
        src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = int(np.floor(src))
        i1 = min(i0 + 1, n_in - 1)
        w = src - i0
        m[o, i0] += 1 - w
        m[o, i1] += w
    return m


def preprocess(images):
    r = resize_matrix(28, 64)
    x = images.astype(np.float64) / 255.0
    x = np.einsum("oi,nij,pj->nop", r, x, r).astype(np.float32)
    x = np.repeat(x[:, None], 3, axis=1)
    return (x - MEAN) / STD


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "resnet18_fashion.onnx"))
    ap.add_argument("--calib-count", type=int, default=512)
    ap.add_argument("--method", default="minmax", choices=["minmax", "percentile", "entropy"])
    ap.add_argument("--save", help="also keep ONNX Runtime's QDQ model here (e.g. to run it in lowp)")
    args = ap.parse_args()

    train = read_idx(f"{DATA}/train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    test = read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz", 8)
    ref = np.load(os.path.join(ROOT, "tests", "data", "fashion_test_first16_input.npy"))
    check = np.abs(preprocess(test[:16]) - ref).max()
    assert check < 1e-5, f"preprocessing differs from the reference by {check}"

    calib = preprocess(train[: args.calib_count])

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input": calib[i:i + 32]} for i in range(0, len(calib), 32)])

        def get_next(self):
            return next(self.items, None)

    method = {"minmax": CalibrationMethod.MinMax, "percentile": CalibrationMethod.Percentile,
              "entropy": CalibrationMethod.Entropy}[args.method]
    qdq = args.save or os.path.join(tempfile.mkdtemp(), "fashion_qdq.onnx")
    quantize_static(args.model, qdq, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    calibrate_method=method)
    x = preprocess(test)
    results = {}
    for name, path in (("fp32", args.model), ("int8", qdq)):
        s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        logits = np.concatenate([s.run(None, {"input": x[i:i + 500]})[0] for i in range(0, len(x), 500)])
        results[name] = logits.argmax(1)
    acc32 = (results["fp32"] == labels).mean() * 100
    acc8 = (results["int8"] == labels).mean() * 100
    agree = (results["fp32"] == results["int8"]).mean() * 100
    print(f"ONNX Runtime {ort.__version__} quantize_static ({args.method}, {args.calib_count} calibration images): "
          f"fp32 {acc32:.2f}%, int8 {acc8:.2f}%, int8/fp32 top-1 agreement {agree:.2f}%")


if __name__ == "__main__":
    main()
