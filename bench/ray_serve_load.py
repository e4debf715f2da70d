"""Latency and throughput of examples/ray/serve_app.py under a bounded load, beside direct runs.

    python bench/ray_serve_load.py PLAN [--clients 4] [--requests 200] [--endpoint tensor|json]

Starts a local Ray cluster on the loopback (num_cpus = this machine's cores), the Serve
application with one replica, and `--clients` threads that each send `--requests` requests (one
sample each, over one kept-alive HTTP connection per client) after a warm-up. Prints one JSON
object: p50 / p99 / mean latency in ms and throughput in requests per second, and, for
comparison in the same process, the direct Python session.run latency
at batch 1. The C++ figure beside it comes from `lowp bench PLAN --batch 1` (BENCHMARKS.md).
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # every Ray address on the loopback
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import ray  # noqa: E402
from ray import serve  # noqa: E402

import lowp  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "ray"))
import serve_app  # noqa: E402


@serve.deployment
class Echo:
    """Serve's own cost: the same request path and batching, no model (--echo)."""

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.002)
    async def echo(self, bodies):
        return bodies

    async def __call__(self, request):
        from starlette.responses import Response
        return Response(await self.echo(await request.body()),
                        media_type="application/octet-stream")


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def client(port, path, bodies, headers, latencies, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in bodies:
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        latencies.append(1e3 * (time.perf_counter() - start))
        if reply.status != 200:
            errors.append(reply.status)
    conn.close()


def load(port, endpoint, samples, clients, requests):
    path = "/lowp/" + endpoint
    if endpoint == "tensor":
        bodies = [s.tobytes() for s in samples]
        headers = {"Content-Type": "application/octet-stream"}
    else:
        bodies = [json.dumps({"input": s.tolist()}).encode() for s in samples]
        headers = {"Content-Type": "application/json"}
    per_client = [[bodies[(k + i) % len(bodies)] for i in range(requests)]
                  for k in range(clients)]
    latencies, errors = [], []
    threads = [threading.Thread(target=client, args=(port, path, b, headers, latencies, errors))
               for b in per_client]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return latencies, errors, wall


def direct_ms(plan, threads, sample, runs=200):
    engine = lowp.Engine.load(plan, threads=threads)
    session = engine.create_session()
    name = engine.inputs[0].name
    x = sample[None]
    for _ in range(20):
        session.run({name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run({name: x})
        times.append(1e3 * (time.perf_counter() - start))
    return percentile(times, 50), percentile(times, 99)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("plan")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=200, help="per client")
    parser.add_argument("--endpoint", choices=["tensor", "json"], default="tensor")
    parser.add_argument("--threads", type=int, default=1, help="CPUs of the replica")
    parser.add_argument("--max-batch-size", type=int, default=8)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--echo", action="store_true",
                        help="serve an echo instead of the plan: Serve's own per-request cost")
    args = parser.parse_args()

    engine = lowp.Engine.load(args.plan)
    dims = [d or 1 for d in engine.inputs[0].dims[1:]]
    samples = np.random.default_rng(0).standard_normal([16] + dims).astype(np.float32)
    cores = os.cpu_count()
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False,
             runtime_env={"working_dir": os.path.dirname(serve_app.__file__)})
    serve.start(http_options={"host": "127.0.0.1", "port": args.port})
    application = (Echo.options(ray_actor_options={"num_cpus": float(args.threads)}).bind()
                   if args.echo else
                   serve_app.app(args.plan, 1, args.threads, args.max_batch_size,
                                 float(args.threads)))
    serve.run(application, route_prefix="/lowp")
    load(args.port, args.endpoint, samples, args.clients, 10)  # warm-up
    latencies, errors, wall = load(args.port, args.endpoint, samples, args.clients,
                                   args.requests)
    serve.shutdown()
    ray.shutdown()
    p50, p99 = direct_ms(args.plan, args.threads, samples[0])
    print(json.dumps({
        "plan": "echo" if args.echo else os.path.basename(args.plan), "endpoint": args.endpoint, "clients": args.clients,
        "requests": len(latencies), "errors": len(errors), "replica_threads": args.threads,
        "max_batch_size": args.max_batch_size, "cores": cores,
        "p50_ms": round(percentile(latencies, 50), 3), "p99_ms": round(percentile(latencies, 99), 3),
        "mean_ms": round(float(np.mean(latencies)), 3),
        "throughput_rps": round(len(latencies) / wall, 1),
        "direct_python_batch1_p50_ms": round(p50, 3), "direct_python_batch1_p99_ms": round(p99, 3),
    }))


if __name__ == "__main__":
    main()
