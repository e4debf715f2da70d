"""Serving a lowp plan with Ray Serve: one plan per replica, requests batched dynamically.

    python examples/ray/serve_app.py model.plan [--replicas 2] [--port 8000]

Endpoints (one sample per request; requests arriving together run as one batch):
  POST /lowp/json    {"input": nested list of the sample's dims}
                     -> {"output": nested list, "top1": int}
  POST /lowp/tensor  the sample's raw bytes (the input's dtype, little-endian, C order; an
                     X-Shape: d1,d2,... header where the input has dynamic dims)
                     -> the output's raw bytes, with X-Shape and X-Dtype headers
A malformed request gets 400 with the reason.

The plan reaches each replica as a path, which must exist on every node that runs one: shared
storage, or the plan shipped with the application (runtime_env={"working_dir": folder holding it},
as `serve run --working-dir` does); see examples/ray/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import os
from typing import List, Optional, Sequence

import numpy as np
import ray
from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import lowp

_DTYPES = {"f32": np.float32, "f16": np.float16, "s8": np.int8, "u8": np.uint8}


class BadRequest(ValueError):
    pass


@serve.deployment
class LowpModel:
    def __init__(self, plan_path: str, threads: int = 1, max_batch_size: int = 8,
                 batch_wait_timeout_s: float = 0.002):
        self.engine = lowp.Engine.load(plan_path, threads=threads)
        self.session = self.engine.create_session()
        (self.input,) = self.engine.inputs
        self.dtype = _DTYPES[self.input.dtype]
        self.infer.set_max_batch_size(max_batch_size)
        self.infer.set_batch_wait_timeout_s(batch_wait_timeout_s)

    def _run(self, x: np.ndarray) -> np.ndarray:
        (y,) = self.session.run({self.input.name: x}).values()
        return y

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.002)
    async def infer(self, samples: List[np.ndarray]) -> List[np.ndarray]:
        # One batch at a time (serve.batch's default), so the one session is never shared; the
        # run happens off the event loop (lowp releases the GIL) while requests keep arriving.
        y = await asyncio.to_thread(self._run, np.stack(samples))
        return list(y)

    def _sample(self, data: np.ndarray, shape: Optional[Sequence[int]]) -> np.ndarray:
        dims = list(self.input.dims[1:])
        if shape is not None:
            if len(shape) != len(dims) or any(d is not None and d != s
                                              for d, s in zip(dims, shape)):
                raise BadRequest(f"X-Shape {shape} does not fit the input's dims {dims}")
            dims = list(shape)
        if any(d is None for d in dims):
            raise BadRequest(f"the input has dynamic dims {dims}: give X-Shape")
        if data.size != int(np.prod(dims)):
            raise BadRequest(f"{data.size} values for an input sample of dims {dims}")
        return data.reshape(dims)

    async def __call__(self, request: Request) -> Response:
        try:
            if request.url.path.rstrip("/").endswith("/tensor"):
                header = request.headers.get("x-shape")
                shape = [int(v) for v in header.split(",")] if header else None
                body = await request.body()
                if len(body) % np.dtype(self.dtype).itemsize:
                    raise BadRequest(f"{len(body)} bytes is not a whole number of {self.dtype}")
                y = await self.infer(self._sample(np.frombuffer(body, self.dtype), shape))
                return Response(np.ascontiguousarray(y).tobytes(),
                                media_type="application/octet-stream",
                                headers={"X-Shape": ",".join(map(str, y.shape)),
                                         "X-Dtype": str(y.dtype)})
            body = await request.json()
            if not isinstance(body, dict) or "input" not in body:
                raise BadRequest('expected a JSON object {"input": [...]}')
            y = await self.infer(self._sample(np.asarray(body["input"], self.dtype), None))
            return JSONResponse({"output": y.tolist(), "top1": int(np.argmax(y))})
        except (BadRequest, ValueError, lowp.Error) as e:
            return JSONResponse({"error": str(e)}, status_code=400)


def app(plan_path: str, replicas: int = 1, threads: int = 1, max_batch_size: int = 8,
        num_cpus: float = 1.0):
    """The application: `replicas` replicas of `num_cpus` CPUs, each loading the plan once."""
    return LowpModel.options(num_replicas=replicas,
                             ray_actor_options={"num_cpus": num_cpus}).bind(
        os.path.abspath(plan_path), threads, max_batch_size)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("plan")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="CPUs each replica runs on")
    parser.add_argument("--max-batch-size", type=int, default=8)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"),
                        help="a running cluster (ray start --head); default: a local one")
    args = parser.parse_args(argv)
    # This file travels to every replica with the job (runtime_env working_dir).
    ray.init(address=args.address,
             runtime_env={"working_dir": os.path.dirname(os.path.abspath(__file__))})
    serve.start(http_options={"host": args.host, "port": args.port})
    serve.run(app(args.plan, args.replicas, args.threads, args.max_batch_size,
                  float(args.threads)), route_prefix="/lowp", blocking=True)


if __name__ == "__main__":
    main()
