"""Batch inference and a precision comparison over a dataset with Ray and lowp.

    # predictions of a plan over a folder of JPEG / PNG images or an .npy of inputs [N, ...]
    python examples/ray/batch_inference.py predict model.plan DATA OUT_DIR [--actors 2]
    # lowp compare of precisions, the dataset split into shards compared in parallel
    python examples/ray/batch_inference.py compare model.onnx X.npy --labels Y.npy \
        --calibration CALIB.npy --precisions fp32,fp16,int8 --shards 4

Both connect to a running cluster when RAY_ADDRESS is set (or --address), else start a local one.

How the data and the plan travel: the plan's bytes go once into Ray's object store (ray.put) and
every actor loads them from there, so workers on other machines need neither the plan file nor a
shared filesystem for it; the dataset is read by Ray Data's read tasks, which run on any node, so
its path must be readable from every node (shared storage, or a URL Ray Data reads: s3://, ...).
The comparison ships its shards, the model and the calibration data through the object store.
"""
from __future__ import annotations

import argparse
import os
import tempfile
from typing import Optional, Sequence

import numpy as np
import ray

import lowp


def load_plan_bytes(plan: bytes, threads: int) -> lowp.Engine:
    """An engine from a plan's bytes (a file in this worker's temporary folder, removed after)."""
    with tempfile.NamedTemporaryFile(suffix=".plan") as f:
        f.write(plan)
        f.flush()
        return lowp.Engine.load(f.name, threads=threads)


class Predictor:
    """A Ray Data actor: loads the plan once, then runs every batch it is given."""

    def __init__(self, plan: "ray.ObjectRef", threads: int = 1):
        self.engine = load_plan_bytes(ray.get(plan), threads)
        self.session = self.engine.create_session()
        self.input = self.engine.inputs[0].name

    def __call__(self, batch: dict) -> dict:
        if "bytes" in batch:  # encoded images, preprocessed as the plan says
            x = self.engine.load_images(list(batch["bytes"]))
            ids = np.asarray(batch["path"])
        else:
            x = np.ascontiguousarray(batch["data"])
            ids = np.asarray(batch["id"])
        (logits,) = self.session.run({self.input: x}).values()
        return {"id": ids, "top1": logits.argmax(axis=1), "logits": logits}


def read_dataset(data: str, rows_per_block: int = 1024):
    """A folder of images (rows: path, bytes) or an .npy [N, ...] (rows: id = row, data).

    Reading takes no CPU reservation (num_cpus=0: it is file I/O): with actors holding every CPU
    of the cluster, reads that waited for a CPU would never run and the pipeline would stall.
    A local path is made absolute: workers run in the job's working_dir, not here."""
    if "://" not in data:
        data = os.path.abspath(data)
    if data.endswith(".npy"):
        n = int(np.load(data, mmap_mode="r").shape[0])
        blocks = [{"start": a, "stop": min(a + rows_per_block, n)}
                  for a in range(0, n, rows_per_block)]

        def rows(batch: dict) -> dict:  # one block: loads only its own rows
            start, stop = int(batch["start"][0]), int(batch["stop"][0])
            return {"id": np.arange(start, stop),
                    "data": np.asarray(np.load(data, mmap_mode="r")[start:stop])}

        return ray.data.from_items(blocks).map_batches(rows, batch_size=1, batch_format="numpy",
                                                       num_cpus=0)
    return ray.data.read_binary_files(data, include_paths=True, num_cpus=0)


def predict(plan_path: str, data: str, out_dir: Optional[str] = None, batch_size: int = 32,
            actors: int = 1, threads: int = 1):
    """Runs the plan over the dataset with `actors` actors of `threads` CPUs each; writes Parquet
    (id, top1, logits) to out_dir when given and returns the dataset."""
    with open(plan_path, "rb") as f:
        plan = ray.put(f.read())
    ds = read_dataset(data).map_batches(
        Predictor, fn_constructor_kwargs={"plan": plan, "threads": threads},
        batch_size=batch_size, batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=threads)
    if out_dir:
        ds.write_parquet(out_dir)
    return ds


@ray.remote(num_cpus=1)
def compare_shard(model: bytes, suffix: str, x: np.ndarray, y: Optional[np.ndarray],
                  calibration: Optional[np.ndarray], precisions: Sequence[str]) -> list:
    """lowp.compare on one shard, from copies of the model and data in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, value in (("x", x), ("y", y), ("calib", calibration)):
            if value is not None:
                paths[name] = os.path.join(tmp, name + ".npy")
                np.save(paths[name], value)
        model_path = os.path.join(tmp, "model" + suffix)
        with open(model_path, "wb") as f:
            f.write(model)
        return lowp.compare(model_path, list(precisions), dataset=paths["x"],
                            dataset_labels=paths.get("y"), calibration=paths.get("calib"),
                            threads=1)


# How each figure of lowp.compare combines over shards: weighted by images, max, or sum.
_MEAN = ("top1_agreement", "top1_accuracy", "mean_abs_prob_change", "mean_abs_logit_diff",
         "latency_ms")
_MAX = ("max_abs_prob_change", "max_abs_logit_diff")


def merge(shards: Sequence[list]) -> list:
    """The per-precision records of several shards as one record per precision over all images:
    the same figures lowp.compare gives on the whole set (means up to rounding)."""
    merged = []
    for records in zip(*shards):
        total = sum(r["images"] for r in records)
        out = dict(records[0])
        out["images"] = total
        for key in _MEAN:
            if key in out:
                out[key] = sum(r[key] * r["images"] for r in records) / total
        for key in _MAX:
            out[key] = max(r[key] for r in records)
        merged.append(out)
    return merged


def distributed_compare(model_path: str, x: np.ndarray, labels: Optional[np.ndarray] = None,
                        calibration: Optional[np.ndarray] = None,
                        precisions: Sequence[str] = ("fp32", "fp16", "int8"),
                        shards: int = 2) -> list:
    """lowp.compare over `x` split into `shards` Ray tasks (each compiles the precisions from the
    same model and calibration data, so every shard runs the same plans), merged."""
    with open(model_path, "rb") as f:
        model = ray.put(f.read())
    suffix = os.path.splitext(model_path)[1]
    calib = ray.put(calibration) if calibration is not None else None
    bounds = np.linspace(0, len(x), shards + 1).astype(int)
    tasks = [compare_shard.remote(model, suffix, x[a:b],
                                  labels[a:b] if labels is not None else None, calib,
                                  list(precisions))
             for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return merge(ray.get(tasks))


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"),
                        help="a running cluster (ray start --head); default: a local one")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("predict")
    p.add_argument("plan")
    p.add_argument("data", help="a folder of images or an .npy of inputs")
    p.add_argument("out_dir")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--actors", type=int, default=1)
    p.add_argument("--threads", type=int, default=1, help="CPUs per actor")
    c = sub.add_parser("compare")
    c.add_argument("model", help=".onnx, or an fp32 plan")
    c.add_argument("x", help=".npy of inputs [N, ...]")
    c.add_argument("--labels", help=".npy of integer labels")
    c.add_argument("--calibration", help=".npy of calibration inputs (int8)")
    c.add_argument("--precisions", default="fp32,fp16,int8")
    c.add_argument("--shards", type=int, default=2)
    args = parser.parse_args(argv)
    # This file travels to every worker with the job (runtime_env working_dir): actors and tasks
    # import it there.
    ray.init(address=args.address,
             runtime_env={"working_dir": os.path.dirname(os.path.abspath(__file__))})
    if args.command == "predict":
        predict(args.plan, args.data, args.out_dir, args.batch_size, args.actors, args.threads)
        print(f"wrote {args.out_dir}")
    else:
        load = (lambda path: np.load(path) if path else None)
        for record in distributed_compare(args.model, np.load(args.x), load(args.labels),
                                          load(args.calibration), args.precisions.split(","),
                                          args.shards):
            print(record)


if __name__ == "__main__":
    main()
