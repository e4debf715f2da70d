"""lowp: compile ONNX models into fp32 / fp16 / bf16 / int8 plans and run them.

    import lowp, numpy as np
    engine = lowp.compile("model.onnx", precision="int8", calibration="calib_images/",
                          preprocess="imagenet")
    engine.save("model.plan")
    session = lowp.Engine.load("model.plan").create_session()
    outputs = session.run({"input": np.zeros((1, 3, 224, 224), np.float32)})
    table = lowp.compare("model.onnx", ["fp32", "fp16", "int8"], dataset="val/",
                         calibration="calib_images/")

The C++ runtime does the work: compile and compare are the `lowp` command's own, with the same
options and data formats. Arrays are passed without copies when they are C-contiguous float32 /
float16 / int8 / uint8 (numpy, or any DLPack producer such as a PyTorch CPU tensor), and the GIL is
released while compiling and running, so threads may share one engine.
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _lowp

Error = _lowp.Error
Error.__doc__ = ("A lowp failure (a RuntimeError). `.code` says which kind: 'invalid_argument', "
                 "'invalid_model', 'unsupported', 'io', 'backend' or 'internal'; the message "
                 "names the file, node or input.")

PathLike = Union[str, "os.PathLike[str]"]
# Calibration data: a path (a folder of images, an .npy file or folder of them, Fashion-MNIST idx,
# or "random") or an iterable of batches (an array for a one-input model, or {name: array}).
Calibration = Union[PathLike, Iterable[Any]]
# Preprocessing of images: a preset name ("imagenet", "torchvision", "fashion", ...) or a mapping
# of the command's --preprocess fields: preset, resize, crop, filter, mean, std, scale, layout,
# bgr, gray (sequences allowed for mean / std and (h, w) for resize / crop).
Preprocess = Union[str, Mapping[str, Any]]


class TensorInfo(tuple):
    """(name, dtype, dims) of a model input or output; None marks a dynamic dimension."""

    __slots__ = ()

    def __new__(cls, name: str, dtype: str, dims: tuple):
        return super().__new__(cls, (name, dtype, dims))

    name = property(lambda self: self[0], doc="The tensor's name in the model.")
    dtype = property(lambda self: self[1], doc="Its element type: 'f32', 'f16', 's8', 'u8', ...")
    dims = property(lambda self: self[2], doc="Its dims, None where dynamic (the batch).")

    def __repr__(self) -> str:
        return f"TensorInfo(name={self.name!r}, dtype={self.dtype!r}, dims={self.dims!r})"


class Session:
    """Runs an engine. Make one per thread: sessions of one engine share its weights, and each
    keeps its own scratch memory between runs."""

    def __init__(self, engine: "Engine"):
        self._engine = engine
        self._session = engine._engine.create_session()

    def run(self, feeds: Mapping[str, Any]) -> dict:
        """Runs the model on {input name: array} and returns {output name: numpy array}.

        Every input must be given, with the model's dtype (no silent conversion) and dims that fit
        it; C-contiguous arrays and DLPack tensors are read in place. Raises lowp.Error."""
        return self._session.run(self._engine._engine, dict(feeds))


class Engine:
    """A compiled model (a plan): compile once, save, load anywhere, run from many threads."""

    def __init__(self, engine: "_lowp.Engine"):
        self._engine = engine

    @staticmethod
    def load(path: PathLike, threads: int = 0) -> "Engine":
        """Loads a plan written by Engine.save or `lowp compile`; `threads` each run may use (0:
        all cores; give a Ray actor its own num_cpus)."""
        return Engine(_lowp.Engine.load(os.fspath(path), threads))

    def save(self, path: PathLike) -> None:
        """Writes the plan (weights included) to `path`, atomically."""
        self._engine.save(os.fspath(path))

    @property
    def inputs(self) -> list:
        """The model's inputs, as TensorInfo (name, dtype, dims)."""
        return [TensorInfo(*t) for t in self._engine.inputs]

    @property
    def outputs(self) -> list:
        """The model's outputs, as TensorInfo (name, dtype, dims)."""
        return [TensorInfo(*t) for t in self._engine.outputs]

    def describe(self) -> list:
        """How each node runs: one line per node (op, precision, kernel)."""
        return list(self._engine.describe())

    def load_images(self, images: Sequence[Union[PathLike, bytes]],
                    preprocess: Optional[Preprocess] = None) -> "np.ndarray":
        """JPEG / PNG images (file paths, or the bytes of such files) as this model's first input,
        stacked [N, ...] in its dtype (float16 for an fp16 plan without keep_io_types): preprocessed as the plan says (`lowp compile --preprocess`), with
        `preprocess` on top, or as guessed from the input's dims, exactly as `lowp run --image`
        and `lowp compare` read them. Raises lowp.Error naming the image."""
        items = [i if isinstance(i, bytes) else os.fspath(i) for i in images]
        return _lowp.load_images(self._engine, items, _preprocess_args(preprocess))

    def precision_note(self) -> str:
        """How the engine computes when that differs from what was asked, else ''."""
        return self._engine.precision_note()

    def create_session(self) -> Session:
        """A new session of this engine (one per thread)."""
        return Session(self)


def _field(name: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ("x" if name in ("resize", "crop") else ",").join(str(v) for v in value)
    return str(value)


def _preprocess_args(preprocess: Optional[Preprocess]) -> "_lowp.PreprocessArgs":
    out = _lowp.PreprocessArgs()
    if preprocess is None:
        return out
    fields = {"preset": preprocess} if isinstance(preprocess, str) else dict(preprocess)
    for name, value in fields.items():
        if name not in ("preset", "resize", "crop", "filter", "mean", "std", "scale", "layout",
                        "bgr", "gray"):
            raise TypeError(f"preprocess: unknown field {name!r}")
        setattr(out, name, bool(value) if name in ("bgr", "gray") else _field(name, value))
    return out


def _precision_args(precision: str, calibration: Optional[Calibration],
                    options: Mapping[str, Any]) -> "_lowp.PrecisionArgs":
    """The command's precision options from compile's or compare's keyword arguments (`options`:
    their locals(), so every key is there)."""
    args = _lowp.PrecisionArgs()
    args.precision = precision
    if isinstance(calibration, (str, os.PathLike)):
        args.calib = os.fspath(calibration)
    args.calib_format = options["calibration_format"] or ""
    args.calib_count = options["calibration_count"]
    args.calib_batch = options["calibration_batch"]
    args.calibrator = options["calibrator"]
    args.percentile = options["percentile"]
    args.symmetric = options["symmetric_activations"]
    cache = options["calibration_cache"]
    args.calib_cache = os.fspath(cache) if cache else ""
    args.keep_fp32 = list(options["keep_fp32"])
    args.keep_io_types = options["keep_io_types"]
    args.preprocess = _preprocess_args(options["preprocess"])
    return args


def _iterable(calibration: Optional[Calibration]) -> Optional[Iterable[Any]]:
    return None if calibration is None or isinstance(calibration, (str, os.PathLike)) \
        else calibration


def compile(onnx_path: PathLike, precision: str = "fp32",
            calibration: Optional[Calibration] = None, *,
            calibration_format: Optional[str] = None, calibration_count: int = 512,
            calibration_batch: int = 32, calibrator: str = "mse", percentile: float = 99.99,
            symmetric_activations: bool = False,
            calibration_cache: Optional[PathLike] = None, keep_fp32: Sequence[str] = (),
            keep_io_types: bool = False, preprocess: Optional[Preprocess] = None,
            threads: int = 0) -> Engine:
    """Compiles an ONNX model at `precision` ("fp32", "fp16", "bf16" or "int8"), as
    `lowp compile` does.

    int8 needs `calibration`: a folder of images (preprocessed as `preprocess` says, or as guessed
    from the input's dims), an .npy file or folder of .npy files ([N, ...] preprocessed inputs),
    Fashion-MNIST idx files, "random", or any iterable of numpy batches (one array for a one-input
    model, or {input name: array}); at most `calibration_count` images (0: all) in batches of
    `calibration_batch`. `calibrator`: minmax, percentile, entropy, mse or auto. `keep_fp32`: node
    names or op types that stay fp32. A given `preprocess` is stored in the plan. Raises
    lowp.Error naming the file or node."""
    args = _precision_args(precision, calibration, locals())
    return Engine(_lowp.compile(os.fspath(onnx_path), args, threads, _iterable(calibration)))


def compare(model: PathLike, precisions: Union[str, Sequence[str]] = ("fp32", "fp16", "int8"),
            *, image: Optional[PathLike] = None, inputs: Optional[PathLike] = None,
            dataset: Optional[PathLike] = None, dataset_format: Optional[str] = None,
            dataset_labels: Optional[PathLike] = None, labels: Optional[PathLike] = None,
            limit: int = 0, batch: int = 32, per_layer: bool = False,
            report: Optional[PathLike] = None, calibration: Optional[PathLike] = None,
            calibration_format: Optional[str] = None, calibration_count: int = 512,
            calibration_batch: int = 32, calibrator: str = "mse", percentile: float = 99.99,
            symmetric_activations: bool = False, calibration_cache: Optional[PathLike] = None,
            keep_fp32: Sequence[str] = (), keep_io_types: bool = False,
            preprocess: Optional[Preprocess] = None, threads: int = 0) -> list:
    """Compiles `model` (ONNX, or an fp32 plan) at each precision and compares them with fp32 on
    one `image`, an `inputs` .npy ("NAME=X.npy" or "X.npy", one input or a batch) or a `dataset`
    (a folder of labelled images, a folder per class, an .npy with `dataset_labels`, or
    Fashion-MNIST idx): `lowp compare` itself.

    Returns one dict per precision, fp32 first, with exactly the figures `lowp compare --json`
    prints: precision, device, note, images, top1_agreement, top1_accuracy (when labelled),
    top1_class / top1_label / top1_prob (one image), mean / max_abs_prob_change, mean / max
    abs_logit_diff, plan_bytes, latency_ms, and with `per_layer` the layers' SQNR and the int8 /
    bf16 sensitivity ranking. `report`: also write the HTML report there. Raises lowp.Error."""
    if _iterable(calibration) is not None:
        raise TypeError("compare: calibration is a path (images, .npy, idx or 'random')")
    args = _lowp.CompareArgs()
    args.model = os.fspath(model)
    args.precisions = precisions if isinstance(precisions, str) else ",".join(precisions)
    args.precision = _precision_args("fp32", calibration, locals())
    for name, value in (("image", image), ("input", inputs), ("dataset", dataset),
                        ("dataset_labels", dataset_labels), ("labels", labels),
                        ("report", report)):
        setattr(args, name, os.fspath(value) if value is not None else "")
    args.dataset_format = dataset_format or ""
    args.limit, args.batch, args.threads, args.per_layer = limit, batch, threads, per_layer
    return [json.loads(line) for line in _lowp.compare(args)]


__all__ = ["Engine", "Error", "Session", "TensorInfo", "compare", "compile"]
