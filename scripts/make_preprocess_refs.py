#!/usr/bin/python3
"""Regenerates tests/data/preprocess: what PIL, torchvision 0.14 and torch 1.13 make of the
synthetic test images (tests/data/images) under each preprocessing lowp offers, for
tests/preprocessing_test.cc. Debian's python3-torchvision (torch, PIL and numpy come with it):

    /usr/bin/python3 scripts/make_preprocess_refs.py

cases.txt: one case per line, `name<TAB>model input dims<TAB>lowp preprocessing text` (what
lowp::parse_preprocessing reads); <name>.npy: the three images' tensors stacked on the batch axis.
Small model inputs (32 px) keep the files small; the arithmetic is the same at any size.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGES = ["scene_500x375.jpg", "portrait_333x480.png", "grey_300x260.png"]
OUT = os.path.join(ROOT, "tests", "data", "preprocess")
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
CAFFE_MEAN_BGR = [103.939, 116.779, 123.68]


def pil_pipeline(resize, crop, mean, std):
    """torchvision's classic eval transform on PIL images."""
    return T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor(),
                      T.Normalize(mean, std)])


def float_pipeline(resize, crop, scale, mean, std, antialias, bgr=False, exact=False):
    """Pixels to float first (0..scale), then torch's bilinear resize (tensor path)."""
    def run(img):
        x = torch.from_numpy(np.asarray(img.convert("RGB"), np.float32)).permute(2, 0, 1)
        if bgr:
            x = x.flip(0)
        x = x / 255.0 * scale if scale != 255 else x
        if exact:
            x = F.interpolate(x[None], size=resize, mode="bilinear", align_corners=False,
                              antialias=antialias)[0]
        else:
            x = TF.resize(x, resize, interpolation=T.InterpolationMode.BILINEAR,
                          antialias=antialias)
        x = TF.center_crop(x, crop)
        m = torch.tensor(mean).view(3, 1, 1)
        s = torch.tensor(std).view(3, 1, 1)
        return (x - m) / s
    return run


def grey_pipeline(size):
    """PIL's luma, float bilinear to the model size, ImageNet mean/std on 3 copies."""
    def run(img):
        g = torch.from_numpy(np.asarray(img.convert("L"), np.float32))[None, None] / 255.0
        g = F.interpolate(g, size=(size, size), mode="bilinear", align_corners=False)[0]
        x = g.repeat(3, 1, 1)
        return TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD)
    return run


def nhwc(fn):
    return lambda img: fn(img).permute(1, 2, 0)


# name, model input dims, lowp preprocessing text, reference
CASES = [
    ("torchvision", "1x3x32x32", "preset=torchvision", pil_pipeline(37, 32, IMAGENET_MEAN,
                                                                     IMAGENET_STD)),
    ("inception_resize40", "1x3x32x32",
     "preset=inception resize=shorter:40 mean=0.5 std=0.5",
     pil_pipeline(40, 32, [0.5] * 3, [0.5] * 3)),
    ("tf_lite_nhwc", "1x32x32x3",
     "preset=tf-lite filter=bilinear range=255 mean=127 std=128 layout=nhwc",
     nhwc(float_pipeline(37, 32, 255, [127.0] * 3, [128.0] * 3, antialias=False))),
    ("caffe_bgr", "1x3x32x32",
     "preset=caffe filter=bilinear range=255 mean=103.939,116.779,123.68 color=bgr",
     float_pipeline(37, 32, 255, CAFFE_MEAN_BGR, [1.0] * 3, antialias=False, bgr=True)),
    ("antialias_exact", "1x3x24x32",
     "preset=custom resize=exact:28x36 filter=antialias mean=0.485,0.456,0.406 "
     "std=0.229,0.224,0.225",
     float_pipeline((28, 36), (24, 32), 1, IMAGENET_MEAN, IMAGENET_STD, antialias=True,
                    exact=True)),
    ("fashion_grey", "1x3x32x32", "preset=fashion resize=exact:0x0 filter=bilinear "
     "mean=0.485,0.456,0.406 std=0.229,0.224,0.225 color=gray", grey_pipeline(32)),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    images = [Image.open(os.path.join(ROOT, "tests", "data", "images", f)) for f in IMAGES]
    lines = []
    for name, dims, text, fn in CASES:
        batch = np.stack([fn(img.convert("RGB")).numpy() for img in images]).astype(np.float32)
        np.save(os.path.join(OUT, name + ".npy"), batch)
        lines.append(f"{name}\t{dims}\t{text}")
        print(name, batch.shape)
    with open(os.path.join(OUT, "cases.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(OUT, "images.txt"), "w") as f:
        f.write("\n".join(IMAGES) + "\n")


if __name__ == "__main__":
    main()
