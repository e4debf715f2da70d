#!/usr/bin/env python3
"""lowp's image preprocessing beside PIL / torchvision / torch on real photos: for each preset,
lowp's tensors (dumped through an Identity model with `lowp run --image`) against the reference
pipeline (scripts/make_preprocess_refs.py's, at full size), in 8-bit levels
(|diff| * std / range * 255). JPEG decoding differs (stb_image in lowp, libjpeg in PIL).

  /usr/bin/python3 bench/preprocess_vs_torchvision.py --lowp build/tools/lowp --photos DIR [--count N]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import make_preprocess_refs as refs  # noqa: E402

# preset, crop, lowp flags, reference, (std, range) for levels
CASES = [
    ("torchvision", 224, [], refs.pil_pipeline(256, 224, refs.IMAGENET_MEAN, refs.IMAGENET_STD),
     (np.array(refs.IMAGENET_STD), 1.0)),
    ("inception", 299, [], refs.pil_pipeline(342, 299, [0.5] * 3, [0.5] * 3),
     (np.array([0.5] * 3), 1.0)),
    ("tf-lite", 240, [], refs.float_pipeline(274, 240, 255, [127.0] * 3, [128.0] * 3, False),
     (np.array([128.0] * 3), 255.0)),
    ("caffe", 224, [], refs.float_pipeline(256, 224, 255, refs.CAFFE_MEAN_BGR, [1.0] * 3, False,
                                           bgr=True), (np.array([1.0] * 3), 255.0)),
]


def identity(path, size):
    import onnx
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, size, size])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3, size, size])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "identity", [x], [y])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def main():
    from PIL import Image
    ap = argparse.ArgumentParser()
    ap.add_argument("--lowp", default="build/tools/lowp")
    ap.add_argument("--photos", required=True)
    ap.add_argument("--count", type=int, default=100)
    args = ap.parse_args()
    files = sorted(os.path.join(args.photos, f) for f in os.listdir(args.photos)
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))[:args.count]
    print(f"{len(files)} photos from {args.photos}\n"
          "| preset | crop | max levels | mean levels | photos with max > 2 levels |\n"
          "|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset, size, flags, fn, (std, rng) in CASES:
            model = os.path.join(tmp, f"id{size}.onnx")
            identity(model, size)
            worst, means, over = 0.0, [], 0
            for i in range(0, len(files), 25):
                chunk = files[i:i + 25]
                subprocess.run([args.lowp, "run", model, "--preprocess", preset, *flags,
                                "--output-dir", tmp, *sum([["--image", f] for f in chunk], [])],
                               check=True, capture_output=True)
                mine = np.load(os.path.join(tmp, "y.npy"))
                for k, f in enumerate(chunk):
                    ref = fn(Image.open(f).convert("RGB")).numpy()
                    levels = np.abs(mine[k] - ref) * std[:, None, None] / rng * 255
                    worst = max(worst, float(levels.max()))
                    means.append(float(levels.mean()))
                    over += levels.max() > 2
            print(f"| {preset} | {size} | {worst:.2f} | {np.mean(means):.3f} (worst photo "
                  f"{max(means):.3f}) | {over} |")


if __name__ == "__main__":
    sys.exit(main())
