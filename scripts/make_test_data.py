#!/usr/bin/env python3
"""Regenerates tests/data: synthetic test images (made here, so their licence is the project's),
their torchvision-style ImageNet preprocessing, and ONNX Runtime's logits for the models the tests
compare against. A developer tool; the tests only read what it wrote.

Needs numpy, pillow and onnxruntime (PyPI) and a build (for the generated ImageNet ResNet-18):

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy pillow onnxruntime
    scripts/build.sh && /tmp/venv/bin/python scripts/make_test_data.py

The preprocessing reference follows torchvision 0.14's Resize(256) -> CenterCrop(224) ->
ToTensor -> Normalize on PIL images: Resize of a PIL image is PIL's antialiased bilinear resize to
(shorter side 256, longer side int(256 * long / short)); the crop offsets are
int(round((size - 224) / 2)).
"""
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageDraw, ImageFilter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(3, 1, 1)
STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(3, 1, 1)


def synthetic_scene(width, height, seed, noise=6.0):
    """A photo-like picture: sky-to-ground gradients, soft shapes, edges and texture noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([
        90 + 120 * y / height + 30 * np.sin(x / 37.0),
        110 + 80 * (1 - y / height) + 25 * np.cos(y / 23.0 + x / 51.0),
        160 - 100 * y / height + 20 * np.sin((x + y) / 29.0),
    ], axis=-1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(width // 12, width // 3), rng.integers(height // 12, height // 3)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        box = [x0, y0, x0 + w, y0 + h]
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    for _ in range(10):
        pts = [tuple(int(v) for v in rng.integers(0, [width, height])) for _ in range(2)]
        draw.line(pts, fill=tuple(int(c) for c in rng.integers(0, 256, 3)), width=3)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    noisy = np.asarray(img, np.float32) + rng.normal(0, noise, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")


def torchvision_imagenet(img):
    img = img.convert("RGB")
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = 256, int(256 * long / short)
    size = (new_short, new_long) if w <= h else (new_long, new_short)
    img = img.resize(size, Image.BILINEAR)
    w, h = img.size
    top, left = int(round((h - 224) / 2.0)), int(round((w - 224) / 2.0))
    img = img.crop((left, top, left + 224, top + 224))
    x = np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0
    return ((x - MEAN) / STD).astype(np.float32)


def write_images():
    os.makedirs(os.path.join(DATA, "images"), exist_ok=True)
    files = []
    scene = synthetic_scene(500, 375, 1)
    files.append(("scene_500x375.jpg", lambda p: scene.save(p, quality=90)))
    portrait = synthetic_scene(333, 480, 2, noise=1.5)
    files.append(("portrait_333x480.png", lambda p: portrait.save(p)))
    grey = synthetic_scene(300, 260, 3, noise=1.5).convert("L")
    files.append(("grey_300x260.png", lambda p: grey.save(p)))
    names = []
    for name, save in files:
        save(os.path.join(DATA, "images", name))
        names.append(name)
    batch = np.stack([torchvision_imagenet(Image.open(os.path.join(DATA, "images", n)))
                      for n in names])
    np.save(os.path.join(DATA, "images_torchvision_input.npy"), batch)
    with open(os.path.join(DATA, "images_torchvision_files.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


def ort_logits(model, x):
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def main():
    models = os.path.join(ROOT, "build", "models")
    imagenet = os.path.join(models, "resnet18_imagenet_arch.onnx")
    if not os.path.exists(imagenet):
        sys.exit(f"{imagenet} is missing: run scripts/build.sh first")
    write_images()
    x = np.load(os.path.join(models, "resnet18_imagenet_input4.npy"))
    np.save(os.path.join(DATA, "resnet18_imagenet_arch_ort_logits.npy"), ort_logits(imagenet, x))
    fashion = np.load(os.path.join(DATA, "fashion_test_first16_input.npy"))
    np.save(os.path.join(DATA, "fashion_test_first16_ort_logits.npy"),
            ort_logits(os.path.join(ROOT, "models", "resnet18_fashion.onnx"), fashion))
    print("onnxruntime", ort.__version__, "-> tests/data")


if __name__ == "__main__":
    main()
