"""examples/ray on a local Ray cluster (2 CPUs, loopback only): Ray Data predictions and the
distributed compare equal single-process results, and the Serve application answers a bounded
load from a few client threads with outputs equal to direct runs."""
import json
import os
import socket
import sys
import threading
import urllib.error
import urllib.request

# Read when ray is imported: Ray's own switch (meant for laptops) that makes the node address
# the loopback; every Ray process then listens on 127.0.0.1 only (checked with ss).
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pytest  # noqa: E402
import ray  # noqa: E402
from ray import serve  # noqa: E402

import lowp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "ray"))
import batch_inference  # noqa: E402
import serve_app  # noqa: E402

MODEL = os.path.join(ROOT, "models", "resnet18_fashion.onnx")
X = os.path.join(ROOT, "tests", "data", "fashion_test_first16_input.npy")
IMAGES = os.path.join(ROOT, "tests", "data", "images")


@pytest.fixture(scope="module")
def cluster():
    # The examples' folder travels to the workers as the job's working_dir (as on a cluster).
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False,
             runtime_env={"working_dir": os.path.join(ROOT, "examples", "ray")})
    assert ray.util.get_node_ip_address() == "127.0.0.1"
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("plan") / "fashion.plan"
    lowp.compile(MODEL).save(path)
    return str(path)


def direct(plan_path, x):
    (y,) = lowp.Engine.load(plan_path).create_session().run({"input": x}).values()
    return y


def read_predictions(folder):
    table = pq.read_table(folder).to_pydict()
    order = np.argsort(table["id"], kind="stable")
    ids = [table["id"][i] for i in order]
    return ids, np.array([table["logits"][i] for i in order], np.float32), \
        np.array([table["top1"][i] for i in order])


def test_ray_data_predictions_of_an_npy_equal_a_single_process_run(cluster, plan, tmp_path):
    # 2 actors of 1 CPU hold both of the cluster's CPUs: reading must not wait for one.
    batch_inference.predict(plan, X, str(tmp_path / "out"), batch_size=5, actors=2)
    ids, logits, top1 = read_predictions(str(tmp_path / "out"))
    want = direct(plan, np.load(X))
    assert ids == list(range(16))
    assert np.array_equal(logits, want) and np.array_equal(top1, want.argmax(axis=1))


def test_ray_data_predictions_of_an_image_folder_equal_a_single_process_run(cluster, plan,
                                                                             tmp_path):
    batch_inference.predict(plan, IMAGES, str(tmp_path / "out"), batch_size=2)
    ids, logits, _ = read_predictions(str(tmp_path / "out"))
    assert [os.path.basename(i) for i in ids] == sorted(os.listdir(IMAGES))
    engine = lowp.Engine.load(plan)
    x = engine.load_images([os.path.join(IMAGES, f) for f in sorted(os.listdir(IMAGES))])
    assert np.array_equal(logits, direct(plan, x))


def test_distributed_compare_equals_one_compare(cluster, tmp_path):
    x = np.load(X)
    labels = np.arange(16, dtype=np.int64) % 10
    np.save(tmp_path / "y.npy", labels)
    got = batch_inference.distributed_compare(MODEL, x, labels, calibration=x,
                                              precisions=["fp32", "int8"], shards=2)
    want = lowp.compare(MODEL, ["fp32", "int8"], dataset=X, dataset_labels=tmp_path / "y.npy",
                        calibration=X, threads=1)
    assert [r["precision"] for r in got] == ["fp32", "int8"]
    for g, w in zip(got, want):
        g.pop("latency_ms"), w.pop("latency_ms")
        for key in w:
            if key.startswith("mean_"):  # a mean of shard means: equal up to rounding
                assert g[key] == pytest.approx(w[key], rel=1e-12, abs=1e-15), key
            else:
                assert g[key] == w[key], key


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, data, headers):
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as r:
        return r.read(), dict(r.headers)


def test_serve_answers_a_bounded_load_with_direct_run_outputs(cluster, plan):
    port = free_port()
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    try:
        serve.run(serve_app.app(plan, replicas=1, num_cpus=1), route_prefix="/lowp")
        base = f"http://127.0.0.1:{port}/lowp"
        x = np.load(X)
        want = direct(plan, x)
        errors = []

        def client(k):
            for r in range(8):  # a fixed count per client: a bounded load
                i = (4 * k + r) % len(x)
                try:
                    if r % 2:
                        body, headers = post(base + "/tensor", x[i].tobytes(),
                                             {"Content-Type": "application/octet-stream"})
                        y = np.frombuffer(body, np.float32)
                        assert headers["x-shape"] == "10"
                    else:
                        body, _ = post(base + "/json", json.dumps({"input": x[i].tolist()})
                                       .encode(), {"Content-Type": "application/json"})
                        reply = json.loads(body)
                        y = np.array(reply["output"], np.float32)
                        assert reply["top1"] == int(want[i].argmax())
                    if not np.array_equal(y, want[i]):
                        errors.append(f"sample {i} differs")
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(repr(e))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []

        for data, headers in ((b"\0" * 12, {"Content-Type": "application/octet-stream"}),
                              (b"{not json", {"Content-Type": "application/json"}),
                              (json.dumps({"input": [1, 2]}).encode(), {}),
                              (x[0].tobytes(), {"X-Shape": "3,32,128"})):
            url = base + ("/tensor" if "json" not in headers.get("Content-Type", "") and
                          data[:1] != b"{" else "/json")
            with pytest.raises(urllib.error.HTTPError) as e:
                post(url, data, headers)
            assert e.value.code == 400 and b"error" in e.value.read()
    finally:
        serve.shutdown()
