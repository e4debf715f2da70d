"""lowp: compile ONNX models into fp32 / fp16 / bf16 / int8 plans and run them.

    import lowp, numpy as np
    engine = lowp.compile("model.onnx", precision="int8", calibration=batches)
    engine.save("model.plan")
    session = lowp.Engine.load("model.plan").create_session()
    outputs = session.run({"input": np.zeros((1, 3, 224, 224), np.float32)})

The C++ runtime does the work; arrays are passed without copies when they are C-contiguous
float32 / float16 / int8 (numpy, or any DLPack producer such as a PyTorch CPU tensor), and the GIL
is released while compiling and running, so threads may share one engine.
"""
from __future__ import annotations

import os
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _lowp

Error = _lowp.Error  # lowp.Error(RuntimeError), .code: "invalid_argument", "io", ...


class TensorInfo(tuple):
    """(name, dtype, dims) of a model input or output; None marks a dynamic dimension."""

    __slots__ = ()

    def __new__(cls, name, dtype, dims):
        return super().__new__(cls, (name, dtype, dims))

    name = property(lambda self: self[0])
    dtype = property(lambda self: self[1])
    dims = property(lambda self: self[2])

    def __repr__(self):
        return f"TensorInfo(name={self.name!r}, dtype={self.dtype!r}, dims={self.dims!r})"


class Session:
    """Runs an engine; one per thread (sessions of one engine share its weights)."""

    def __init__(self, engine: "Engine"):
        self._engine = engine
        self._session = engine._engine.create_session()

    def run(self, feeds: Mapping[str, object]) -> dict:
        """Runs the model on {input name: array} and returns {output name: numpy array}."""
        return self._session.run(self._engine._engine, dict(feeds))


class Engine:
    """A compiled model (a plan): compile once, load anywhere, run from many threads."""

    def __init__(self, engine):
        self._engine = engine

    @staticmethod
    def load(path: Union[str, os.PathLike]) -> "Engine":
        """Loads a plan written by Engine.save or `lowp compile`."""
        return Engine(_lowp.Engine.load(os.fspath(path)))

    def save(self, path: Union[str, os.PathLike]) -> None:
        self._engine.save(os.fspath(path))

    @property
    def inputs(self) -> list:
        return [TensorInfo(*t) for t in self._engine.inputs]

    @property
    def outputs(self) -> list:
        return [TensorInfo(*t) for t in self._engine.outputs]

    def describe(self) -> list:
        """How each node runs (one line per node)."""
        return list(self._engine.describe())

    def create_session(self) -> Session:
        return Session(self)


def _batches(calibration, first_input: str):
    """Calibration batches from an .npy file, a folder of .npy files or an iterable."""
    if calibration is None:
        return None
    if isinstance(calibration, (str, os.PathLike)):
        path = os.fspath(calibration)
        files = ([os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".npy")]
                 if os.path.isdir(path) else [path])
        if not files:
            raise Error(f"{path}: no .npy files")

        def from_files():
            for f in files:
                data = np.load(f)
                for i in range(0, len(data), 32):
                    yield np.ascontiguousarray(data[i:i + 32], dtype=np.float32)
        return from_files()
    return iter(calibration)


def compile(onnx_path: Union[str, os.PathLike], precision: str = "fp32",
            calibration: Optional[Union[str, os.PathLike, Iterable]] = None,
            calibrator: str = "mse", keep_fp32: Sequence[str] = (), threads: int = 0) -> Engine:
    """Compiles an ONNX model. int8 needs `calibration`: an .npy file or folder of .npy files
    ([N, ...] preprocessed inputs), or any iterable of numpy batches (one array, or a dict of
    arrays by input name)."""
    path = os.fspath(onnx_path)
    return Engine(_lowp.Engine.compile(path, precision, threads, _batches(calibration, ""),
                                       calibrator, list(keep_fp32)))


__all__ = ["Engine", "Error", "Session", "TensorInfo", "compile"]
