#!/usr/bin/env python3
"""Would cross-layer equalization help lowp's int8 on depthwise -> pointwise pairs? (issue 14)

Equalization scales channel i of a depthwise convolution's output by a_i and divides the
pointwise convolution's input column i by a_i. With an activation f between them this is exact
only when f(a x) = a f(x): Relu, not ReLU6 (min(max(a x, 0), 6) != a min(max(x, 0), 6)), which
is what EfficientNet-Lite and MobileNetV2 have between every such pair. An exact version needs a
per-channel clip bound 6 a_i, which no lowp backend has. So this script measures what it would
buy before anyone builds it: in ONNX Runtime fp32, it fake-quantizes only the tensor between each
Conv(group > 1) -> Clip(0, 6) -> Conv(group 1) pair (u8) and the pointwise weights (s8, per
output channel, as lowp quantizes them), in three ways:
  - per-tensor activation range [0, min(max, 6)] (what lowp's int8 does today, minmax);
  - equalized by activation range: a_i = (6 / M_i) ^ alpha, M_i = channel i's calibration max
    (capped at 6); the activation's range becomes per channel 6 / a_i (exactly what an
    equalized int8 graph with per-channel clip bounds computes), the weights W[:, i] / a_i are
    rounded per output row and multiplied back;
  - DFQ's weight equalization (Nagel et al. 2019): a_i = sqrt(r2_i / r1_i), r1 / r2 the ranges
    of the depthwise filter i and the pointwise column i; activation range (a M).max() / a_i.
Prints the logits' SQNR and top-1 agreement against unquantized ONNX Runtime fp32.

  V/bin/python bench/cle_emulation.py --model M.onnx --calib C.npy --val X.npy [--alpha 0.5]
      [--cap 4]

Needs numpy, onnx, onnxruntime. Per-channel QuantizeLinear is slow in ONNX Runtime: minutes per
variant on 400 images.
"""
import argparse

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto
from onnx import helper as oh
from onnx import numpy_helper as nh


def attr(node, key, default=None):
    for a in node.attribute:
        if a.name == key:
            return oh.get_attribute_value(a)
    return default


def find_pairs(graph):
    """(depthwise Conv, clip max, pointwise Conv) for each Conv(group>1) -> Clip(0, hi) -> Conv."""
    consts = {n.output[0]: nh.to_array(n.attribute[0].t) for n in graph.node
              if n.op_type == "Constant"}
    consts.update({i.name: nh.to_array(i) for i in graph.initializer})
    users = {}
    for n in graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    pairs = []
    for n in graph.node:
        if n.op_type != "Conv" or attr(n, "group", 1) == 1:
            continue
        after = users.get(n.output[0], [])
        if len(after) != 1 or after[0].op_type != "Clip" or len(after[0].input) < 3:
            continue
        lo, hi = consts.get(after[0].input[1]), consts.get(after[0].input[2])
        if lo is None or hi is None or float(lo) != 0.0:
            continue
        nxt = users.get(after[0].output[0], [])
        if len(nxt) == 1 and nxt[0].op_type == "Conv" and attr(nxt[0], "group", 1) == 1:
            pairs.append((n, float(hi), nxt[0]))
    return pairs


def session(model):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def run(model, x, outputs=None, batch=50):
    s = session(model)
    name = s.get_inputs()[0].name
    return [s.run(outputs, {name: x[i:i + batch]}) for i in range(0, len(x), batch)]


def channel_max(path, pairs, calib):
    m = onnx.load(path)
    names = [dw.output[0] for dw, _, _ in pairs]
    for name in names:
        m.graph.output.append(oh.make_tensor_value_info(name, TensorProto.FLOAT, None))
    out = {n: None for n in names}
    for batch in run(m, calib, names, 20):
        for n, v in zip(names, batch):
            cm = v.max(axis=(0, 2, 3))
            out[n] = cm if out[n] is None else np.maximum(out[n], cm)
    return out


def per_row_int8(w):
    s = np.abs(w).reshape(w.shape[0], -1).max(1) / 127
    s[s == 0] = 1
    return np.round(w / s[:, None, None, None]).clip(-127, 127) * s[:, None, None, None]


def topological(graph):
    ready = {i.name for i in graph.initializer} | {i.name for i in graph.input} | {""}
    order, rest = [], list(graph.node)
    while rest:
        later = []
        for n in rest:
            if all(i in ready for i in n.input):
                order.append(n)
                ready.update(n.output)
            else:
                later.append(n)
        rest = later
    del graph.node[:]
    graph.node.extend(order)


def emulate(path, maxima, variant, alpha, cap):
    m = onnx.load(path)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    for dw, hi, pw in find_pairs(g):
        top = np.minimum(np.maximum(maxima[dw.output[0]], 1e-3), hi)
        w = nh.to_array(inits[pw.input[1]])
        if variant == "per-tensor":
            a = np.ones_like(top)
            rng = np.full_like(top, top.max())
        elif variant == "activation":
            a = np.minimum((hi / top) ** alpha, cap)
            rng = hi / a
        else:  # dfq
            r1 = np.abs(nh.to_array(inits[dw.input[1]])).reshape(len(top), -1).max(1)
            r2 = np.abs(w).transpose(1, 0, 2, 3).reshape(len(top), -1).max(1)
            a = np.sqrt(np.maximum(r2, 1e-8) / np.maximum(r1, 1e-8))
            a = np.clip(a / np.median(a), 1 / cap, cap)
            rng = (a * top).max() / a
        wq = per_row_int8(w / a[None, :, None, None]) * a[None, :, None, None]
        inits[pw.input[1]].CopyFrom(nh.from_array(wq.astype(np.float32), pw.input[1]))
        base = pw.name.replace("/", "_")
        g.initializer.extend([nh.from_array((rng / 255).astype(np.float32), base + "_s"),
                              nh.from_array(np.zeros(len(top), np.uint8), base + "_z")])
        g.node.extend([
            oh.make_node("QuantizeLinear", [pw.input[0], base + "_s", base + "_z"], [base + "_q"],
                         axis=1),
            oh.make_node("DequantizeLinear", [base + "_q", base + "_s", base + "_z"],
                         [base + "_d"], axis=1)])
        pw.input[0] = base + "_d"
    topological(g)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--calib", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--alpha", type=float, action="append",
                    help="activation equalization exponents (repeatable; default 0.5)")
    ap.add_argument("--cap", type=float, default=1e9,
                    help="largest scale a channel gets (DFQ: within [1/cap, cap] of the median)")
    args = ap.parse_args()
    calib, val = np.load(args.calib), np.load(args.val)
    pairs = find_pairs(onnx.load(args.model).graph)
    maxima = channel_max(args.model, pairs, calib)
    saturated = sum(int((v >= hi).sum()) for (dw, hi, _), v in
                    zip(pairs, [maxima[p[0].output[0]] for p in pairs]))
    total = sum(len(maxima[p[0].output[0]]) for p in pairs)
    print(f"{len(pairs)} depthwise -> Clip(0, 6) -> pointwise pairs; {saturated} of {total} "
          "channels reach the clip on the calibration data")
    ref = np.concatenate([b[0] for b in run(onnx.load(args.model), val)])
    variants = [("per-tensor", 0.0)] + [("activation", a) for a in (args.alpha or [0.5])] + \
        [("dfq", 0.0)]
    for variant, alpha in variants:
        z = np.concatenate([b[0] for b in run(emulate(args.model, maxima, variant, alpha, args.cap), val)])
        sqnr = 10 * np.log10((ref ** 2).sum() / ((z - ref) ** 2).sum())
        label = variant + (f" alpha {alpha}" if variant == "activation" else "")
        print(f"{label:24s} logit SQNR {sqnr:6.2f} dB, top-1 = fp32 on "
              f"{(z.argmax(1) == ref.argmax(1)).sum()} / {len(ref)}")


if __name__ == "__main__":
    main()
