#!/usr/bin/env python3
"""Regenerates tests/data/torchvision: small instances of torchvision 0.14's model classes (the
families whose exports need the transformer and mobile ops: ViT, Swin, ConvNeXt, ShuffleNetV2,
MobileNetV3, EfficientNet, DenseNet, RegNet, Swin V2 (ReduceL2, Exp), MaxViT's Einsum) with random weights, 32x32 inputs and 10
classes, exported by torch.onnx with a dynamic batch at opset 13 (and 17 for the families whose
export changes there: LayerNormalization), and ONNX Runtime's outputs on one fixed input batch.
MNASNet is left out (its fixed 1280-channel tail makes 1.3 MB; MobileNet and EfficientNet cover
its ops). tests/torchvision_export_test.cc runs them through lowp.

Two steps, because torch comes from Debian and ONNX Runtime from PyPI:

    /usr/bin/python3 scripts/make_torchvision_test_models.py export [NAME...]    # torch 1.13
    venv/bin/python scripts/make_torchvision_test_models.py reference [NAME...]  # onnxruntime

The full-size models are measured by bench/torchvision_zoo.py (BENCHMARKS.md).
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "torchvision")
LAYER_NORM_FAMILIES = ("vit", "swin", "swin_v2", "convnext")  # LayerNormalization from opset 17
SIZE = 32


def tiny_models():
    from functools import partial

    import torch
    import torchvision.models as tv
    from torchvision.models import efficientnet, mobilenetv3, regnet
    from torchvision.models import swin_transformer as swin
    from torchvision.models.convnext import CNBlockConfig

    def mobilenet_v3():
        setting, last = mobilenetv3._mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
        return tv.MobileNetV3(setting, last, num_classes=10)

    def efficientnet_b0():
        setting, last = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25,
                                                        depth_mult=0.25)
        return tv.EfficientNet(setting, 0.2, last_channel=last, num_classes=10)

    def regnet_y():
        params = regnet.BlockParams.from_init_params(depth=4, w_0=8, w_a=8.0, w_m=2.0,
                                                     group_width=4, se_ratio=0.25)
        return tv.RegNet(params, num_classes=10, stem_width=8)

    return {
        "vit": lambda: tv.VisionTransformer(image_size=SIZE, patch_size=8, num_layers=2,
                                            num_heads=2, hidden_dim=16, mlp_dim=32,
                                            num_classes=10),
        "swin": lambda: tv.SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2],
                                           num_heads=[1, 2], window_size=[4, 4],
                                           stochastic_depth_prob=0.0, num_classes=10),
        "convnext": lambda: tv.ConvNeXt([CNBlockConfig(8, 16, 2), CNBlockConfig(16, None, 2)],
                                        num_classes=10),
        "shufflenet_v2": lambda: tv.ShuffleNetV2([1, 1, 1], [8, 16, 32, 64, 128],
                                                 num_classes=10),
        "mobilenet_v3": mobilenet_v3,
        "efficientnet_b0": efficientnet_b0,
        "densenet": lambda: tv.DenseNet(growth_rate=4, block_config=(2, 2),
                                        num_init_features=8, num_classes=10),
        "regnet_y": regnet_y,
        "swin_v2": lambda: tv.SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2],
                                              num_heads=[1, 2], window_size=[4, 4],
                                              stochastic_depth_prob=0.0, num_classes=10,
                                              block=swin.SwinTransformerBlockV2,
                                              downsample_layer=swin.PatchMergingV2),
        "maxvit": lambda: tv.MaxVit(input_size=(SIZE, SIZE), stem_channels=8, partition_size=2,
                                    block_channels=[8, 16], block_layers=[1, 1], head_dim=4,
                                    stochastic_depth_prob=0.0, num_classes=10),
    }, torch, partial


def export(names):
    models, torch, _ = tiny_models()
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(2, 3, SIZE, SIZE)
    import numpy as np
    np.save(os.path.join(OUT, "input.npy"), x.numpy())
    for name, make in models.items():
        if names and name not in names:
            continue
        torch.manual_seed(1)
        model = make().eval()
        with torch.no_grad():  # zero-initialised heads (ViT) would make every logit 0
            for p in model.parameters():
                if p.numel() > 1 and not p.abs().sum():
                    p.normal_(0.0, 0.2)
        for opset in (13, 17) if name in LAYER_NORM_FAMILIES else (13,):
            path = os.path.join(OUT, f"{name}_op{opset}.onnx")
            # torch 1.13 cannot export Swin V2's in-place qkv_bias[...].zero_() (aten::zero);
            # as mul_(0) it exports, the same network.
            zero = torch.Tensor.zero_
            torch.Tensor.zero_ = lambda t: t.mul_(0)
            try:
                torch.onnx.export(model, x[:1], path, opset_version=opset, input_names=["x"],
                                  output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
            finally:
                torch.Tensor.zero_ = zero
            print(path, os.path.getsize(path))


def reference(names):
    import numpy as np
    import onnxruntime as ort
    x = np.load(os.path.join(OUT, "input.npy"))
    for f in sorted(os.listdir(OUT)):
        if not f.endswith(".onnx") or (names and f.rsplit("_op", 1)[0] not in names):
            continue
        sess = ort.InferenceSession(os.path.join(OUT, f), providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": x})[0]
        np.save(os.path.join(OUT, f[:-5] + "_ort.npy"), y)
        print(f, y.shape, float(np.abs(y).max()))


if __name__ == "__main__":
    {"export": export, "reference": reference}[sys.argv[1]](sys.argv[2:])
