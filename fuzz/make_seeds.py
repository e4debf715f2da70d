#!/usr/bin/env python3
"""Writes the hand-made fuzz seeds in fuzz/seeds/<target>/ (small valid files of each format).

    venv/bin/python fuzz/make_seeds.py    # numpy, pillow, onnx from PyPI

scripts/fuzz.sh adds more seeds at run time: the repo's ONNX models (tests/data, models/), ONNX's
node-test models, plans compiled from them, a calibration cache written by `lowp compile`.
"""
import gzip
import io
import json
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    folder = os.path.join(HERE, "seeds", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def npy_bytes(array, version=None):
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, array, version=version)
    else:
        np.save(buf, array)
    return buf.getvalue()


def npy_seeds():
    out("npy", "f32_2x3.npy", npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3)))
    out("npy", "f64_4.npy", npy_bytes(np.linspace(-1, 1, 4)))
    out("npy", "f16_2x2.npy", npy_bytes(np.ones((2, 2), np.float16)))
    out("npy", "i64_3.npy", npy_bytes(np.array([1, -2, 3], np.int64)))
    out("npy", "u8_scalar.npy", npy_bytes(np.array(7, np.uint8)))
    out("npy", "bool_3.npy", npy_bytes(np.array([True, False, True])))
    out("npy", "i8_v2.npy", npy_bytes(np.arange(-4, 4, dtype=np.int8).reshape(2, 4), (2, 0)))


def idx_seeds():
    images = struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(range(32))
    labels = struct.pack(">II", 0x801, 3) + bytes([0, 9, 4])
    out("idx", "images_2x4x4.idx", images)
    out("idx", "labels_3.idx", labels)
    out("idx", "images_2x4x4.idx.gz", gzip.compress(images, mtime=0))


def image_bytes(image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def image_seeds():
    rgb = Image.fromarray(np.arange(8 * 6 * 3, dtype=np.uint8).reshape(6, 8, 3) * 5)
    out("image", "rgb_8x6.png", image_bytes(rgb, "PNG"))
    out("image", "rgb_8x6.jpg", image_bytes(rgb, "JPEG", quality=80))
    out("image", "grey_28x28.png", image_bytes(Image.new("L", (28, 28), 100), "PNG"))
    out("image", "rgba_3x2.png", image_bytes(Image.new("RGBA", (3, 2), (1, 2, 3, 4)), "PNG"))


def calibration_seeds():
    cache = {"calibrator": "mse", "percentile": 99.99, "images": 8, "symmetric": False,
             "tensors": {"x": {"min": -1.0, "max": 1.0, "scale": 0.00784313725490196,
                               "zero_point": 128},
                         "relu_out": {"min": 0.0, "max": 6.0, "scale": 0.023529411764705882,
                                      "zero_point": 0}}}
    out("calibration_cache", "two_tensors.json", json.dumps(cache, indent=1).encode())


def model(nodes, inputs, outputs, initializers, opset=13):
    graph = helper.make_graph(nodes, "seed", inputs, outputs, initializers)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def onnx_seeds():
    f32 = TensorProto.FLOAT
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(np.zeros(4, np.float32), "b")
    out("onnx_model", "conv_relu_pool_gemm.onnx", model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Gemm", ["f", "fw"], ["y"], transB=1)],
        [helper.make_tensor_value_info("x", f32, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", f32, [1, 5])],
        [w, b, numpy_helper.from_array(rng.normal(0, 0.1, (5, 64)).astype(np.float32), "fw")]))
    out("onnx_model", "qdq_conv.onnx", model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"]),
         helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"]),
         helper.make_node("Conv", ["xd", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
        [helper.make_tensor_value_info("x", f32, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", f32, [1, 4, 4, 4])],
        [w, b, numpy_helper.from_array(np.array(0.02, np.float32), "s"),
         numpy_helper.from_array(np.array(128, np.uint8), "z")]))
    out("onnx_model", "concat_pad_resize.onnx", model(
        [helper.make_node("Pad", ["x", "pads"], ["p"], mode="reflect"),
         helper.make_node("AveragePool", ["p"], ["a"], kernel_shape=[3, 3]),
         helper.make_node("Resize", ["x", "", "scales"], ["u"], mode="nearest"),
         helper.make_node("AveragePool", ["u"], ["v"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Concat", ["a", "v"], ["y"], axis=1)],
        [helper.make_tensor_value_info("x", f32, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", f32, [1, 4, 4, 4])],
        [numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
         numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")]))
    out("onnx_model", "layernorm_matmul_softmax.onnx", model(
        [helper.make_node("LayerNormalization", ["x", "g", "bb"], ["n"], axis=-1),
         helper.make_node("MatMul", ["n", "m"], ["q"]),
         helper.make_node("Softmax", ["q"], ["y"], axis=-1)],
        [helper.make_tensor_value_info("x", f32, ["N", 3, 8])],
        [helper.make_tensor_value_info("y", f32, ["N", 3, 8])],
        [numpy_helper.from_array(np.ones(8, np.float32), "g"),
         numpy_helper.from_array(np.zeros(8, np.float32), "bb"),
         numpy_helper.from_array(rng.normal(0, 0.3, (8, 8)).astype(np.float32), "m")], opset=17))


if __name__ == "__main__":
    npy_seeds()
    idx_seeds()
    image_seeds()
    calibration_seeds()
    onnx_seeds()
