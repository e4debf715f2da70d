"""The Python package over the C++ runtime: results equal to the CLI's, errors as lowp.Error,
threads sharing one engine. Run by scripts/test.sh after `pip install .` (LOWP_CLI: the command)."""
import json
import os
import subprocess
import threading

import numpy as np
import pytest

import lowp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = os.path.join(ROOT, "models", "resnet18_fashion.onnx")
CLI = os.environ.get("LOWP_CLI", os.path.join(ROOT, "build", "tools", "lowp"))


def inputs(n=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, 3, 64, 64)).astype(np.float32)


@pytest.fixture(scope="module")
def engine():
    return lowp.compile(MODEL)


def test_inputs_and_outputs_describe_the_model(engine):
    (x,) = engine.inputs
    assert x.name == "input" and x.dtype == "f32" and x.dims[1:] == (3, 64, 64)
    (y,) = engine.outputs
    assert y.dims[-1] == 10


def test_run_equals_the_cli_bit_for_bit(engine, tmp_path):
    plan = tmp_path / "m.plan"
    engine.save(plan)
    x = inputs()
    np.save(tmp_path / "x.npy", x)
    subprocess.run([CLI, "run", str(plan), str(tmp_path / "x.npy"), "--output-dir",
                    str(tmp_path / "out")], check=True, capture_output=True)
    (name,) = [f for f in os.listdir(tmp_path / "out") if f.endswith(".npy")]
    cli = np.load(tmp_path / "out" / name)
    got = lowp.Engine.load(plan).create_session().run({"input": x})
    (out,) = got.values()
    assert out.dtype == np.float32 and out.shape == cli.shape
    assert np.array_equal(out, cli)


def test_int8_from_an_iterable_of_batches():
    batches = [inputs(8, seed) for seed in range(4)]
    int8 = lowp.compile(MODEL, precision="int8", calibration=batches)
    fp32 = lowp.compile(MODEL)
    x = inputs(16, 9)
    name = fp32.inputs[0].name
    a = fp32.create_session().run({name: x})
    b = int8.create_session().run({name: x})
    assert any("int8" in line for line in int8.describe())
    (ya,), (yb,) = a.values(), b.values()
    assert yb.shape == ya.shape and np.isfinite(yb).all()
    assert np.corrcoef(ya.ravel(), yb.ravel())[0, 1] > 0.9


def test_threads_share_one_engine(engine):
    x = inputs(2)
    want = engine.create_session().run({"input": x})
    errors = []

    def work():
        s = engine.create_session()
        for _ in range(5):
            got = s.run({"input": x})
            if not all(np.array_equal(got[k], want[k]) for k in want):
                errors.append("differs")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_errors_are_lowp_errors_with_a_code(engine, tmp_path):
    with pytest.raises(lowp.Error) as e:
        lowp.Engine.load(tmp_path / "missing.plan")
    assert isinstance(e.value, RuntimeError) and e.value.code == "io"
    assert "missing.plan" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        engine.create_session().run({"nope": inputs()})
    assert e.value.code == "invalid_argument"
    with pytest.raises(lowp.Error) as e:
        engine.create_session().run({"input": np.zeros((1, 3, 5, 5), np.float32)})
    assert e.value.code == "invalid_argument"
    with pytest.raises(lowp.Error):
        lowp.compile(MODEL, precision="int8")
    with pytest.raises(lowp.Error) as e:  # a calibration batch of the wrong image size
        lowp.compile(MODEL, precision="int8", calibration=[np.zeros((2, 3, 5, 5), np.float32)])
    assert e.value.code == "invalid_argument" and "expects" in str(e.value)
    with pytest.raises(ValueError, match="bad batch"):  # the iterator's own error comes through

        def failing():
            yield inputs(2)
            raise ValueError("bad batch")

        lowp.compile(MODEL, precision="int8", calibration=failing())


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int8, np.uint8])
def test_contiguous_arrays_are_read_in_place(dtype):
    x = np.ascontiguousarray(np.arange(24).reshape(2, 3, 4).astype(dtype))
    assert lowp._lowp._input_address(x) == x.ctypes.data
    y = x[:, :, ::2]  # not contiguous: taken through a copy, still correct
    assert lowp._lowp._input_address(y) != y.ctypes.data


def test_a_wrong_dtype_is_an_error_not_a_conversion(engine):
    x = inputs().astype(np.float16)
    with pytest.raises(lowp.Error) as e:
        engine.create_session().run({engine.inputs[0].name: x})
    assert e.value.code == "invalid_argument"


class DLPackOnly:
    """Exposes an array through the DLPack protocol alone (as PyTorch and JAX tensors do)."""

    def __init__(self, array):
        self.array = array

    def __dlpack__(self, **kwargs):
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()


def test_dlpack_tensors_are_read_in_place(engine):
    x = inputs(2)
    wrapped = DLPackOnly(x)
    assert lowp._lowp._input_address(wrapped) == x.ctypes.data
    (want,) = engine.create_session().run({"input": x}).values()
    (got,) = engine.create_session().run({"input": wrapped}).values()
    assert np.array_equal(got, want)


def test_pytorch_cpu_tensors_are_read_in_place(engine):
    torch = pytest.importorskip("torch")  # not in the test venv (a GPU wheel); see README
    x = torch.from_numpy(inputs(2))
    assert lowp._lowp._input_address(x) == x.data_ptr()
    (got,) = engine.create_session().run({"input": x}).values()
    (want,) = engine.create_session().run({"input": x.numpy()}).values()
    assert np.array_equal(got, want)


def run_cli(*args):
    return subprocess.run([CLI, *map(str, args)], check=True, capture_output=True, text=True)


def test_fp16_plan_takes_float16_inputs_like_the_cli(tmp_path):
    fp16 = lowp.compile(MODEL, precision="fp16")
    (x,) = fp16.inputs
    assert x.dtype == "f16"
    plan = tmp_path / "m16.plan"
    fp16.save(plan)
    data = inputs(2).astype(np.float16)
    np.save(tmp_path / "x.npy", data)
    run_cli("run", plan, tmp_path / "x.npy", "--output-dir", tmp_path / "out")
    (name,) = [f for f in os.listdir(tmp_path / "out") if f.endswith(".npy")]
    (got,) = fp16.create_session().run({x.name: data}).values()
    assert got.dtype == np.float16 and np.array_equal(got, np.load(tmp_path / "out" / name))
    # Images come in the plan's input dtype, as `lowp run --image` gives them.
    image = os.path.join(ROOT, "tests", "data", "images", "grey_300x260.png")
    pixels = fp16.load_images([image])
    assert pixels.dtype == np.float16
    run_cli("run", plan, "--image", image, "--output-dir", tmp_path / "img")
    (got,) = fp16.create_session().run({x.name: pixels}).values()
    assert np.array_equal(got, np.load(tmp_path / "img" / name))


def test_int8_calibrated_on_an_image_folder_equals_the_cli(tmp_path):
    images = os.path.join(ROOT, "tests", "data", "images")
    engine = lowp.compile(MODEL, precision="int8", calibration=images, preprocess="fashion")
    run_cli("compile", MODEL, "--precision", "int8", "--calib", images, "--preprocess", "fashion",
            "-o", tmp_path / "cli.plan")
    x = {"input": inputs(4)}
    (got,) = engine.create_session().run(x).values()
    (want,) = lowp.Engine.load(tmp_path / "cli.plan").create_session().run(x).values()
    assert np.array_equal(got, want)


def test_compare_returns_what_the_cli_prints(tmp_path):
    data = os.path.join(ROOT, "tests", "data", "fashion_test_first16_input.npy")
    got = lowp.compare(MODEL, ["fp32", "fp16", "int8"], inputs=data, calibration=data)
    out = run_cli("compare", MODEL, "--precisions", "fp32,fp16,int8", "--input", data, "--calib",
                  data, "--json").stdout
    want = [json.loads(line) for line in out.splitlines()]
    assert [r["precision"] for r in got] == ["fp32", "fp16", "int8"]
    for g, w in zip(got, want):
        assert g.pop("latency_ms") > 0 and w.pop("latency_ms") > 0  # timings differ run to run
        assert g == w
    assert got[0]["images"] == 16 and got[2]["top1_agreement"] > 0.8


def test_compare_one_image_with_per_layer_errors():
    image = os.path.join(ROOT, "tests", "data", "images", "grey_300x260.png")
    fp32, int8 = lowp.compare(MODEL, "int8", image=image, calibration="random", per_layer=True,
                              preprocess="fashion")
    assert fp32["precision"] == "fp32" and 0 <= int8["top1_class"] < 10
    assert int8["layers"] and int8["sensitivity"] and "top1_label" in int8


def test_compare_and_compile_errors(tmp_path):
    with pytest.raises(lowp.Error) as e:  # no inputs to compare on
        lowp.compare(MODEL, ["fp32"])
    assert e.value.code == "invalid_argument" and "--image" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        lowp.compare(MODEL, ["fp32"], dataset=tmp_path / "missing")
    assert "missing" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        lowp.compare(MODEL, ["fp32", "fp9"], image=tmp_path / "x.png")
    assert "fp9" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        lowp.compile(MODEL, precision="int8", calibration=tmp_path / "nothing_here")
    assert e.value.code == "io" and "nothing_here" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        lowp.compile(tmp_path / "missing.onnx")
    assert e.value.code == "io" and "missing.onnx" in str(e.value)
    with pytest.raises(TypeError):
        lowp.compile(MODEL, preprocess={"rezise": 256})
    with pytest.raises(TypeError):
        lowp.compare(MODEL, ["int8"], image=MODEL, calibration=[inputs(2)])


def test_the_package_carries_type_stubs():
    folder = os.path.dirname(lowp.__file__)
    assert os.path.exists(os.path.join(folder, "py.typed"))
    with open(os.path.join(folder, "_lowp.pyi")) as f:
        stubs = f.read()
    assert "class Engine" in stubs and "def compare(" in stubs
    for f in (lowp.compile, lowp.compare, lowp.Engine.load, lowp.Session.run):
        assert f.__doc__


def test_images_from_paths_or_bytes_run_as_the_cli_runs_them(engine, tmp_path):
    folder = os.path.join(ROOT, "tests", "data", "images")
    paths = [os.path.join(folder, f) for f in sorted(os.listdir(folder))]
    x = engine.load_images(paths)
    assert x.shape == (len(paths), 3, 64, 64) and x.dtype == np.float32
    blobs = []
    for p in paths:
        with open(p, "rb") as f:
            blobs.append(f.read())
    assert np.array_equal(engine.load_images(blobs), x)
    plan = tmp_path / "m.plan"
    engine.save(plan)
    run_cli("run", plan, *[a for p in paths for a in ("--image", p)], "--output-dir",
            tmp_path / "out")
    (name,) = [f for f in os.listdir(tmp_path / "out") if f.endswith(".npy")]
    (got,) = engine.create_session().run({"input": x}).values()
    assert np.array_equal(got, np.load(tmp_path / "out" / name))
    with pytest.raises(lowp.Error) as e:
        engine.load_images([b"not an image"])
    assert e.value.code == "invalid_argument" and "image #0" in str(e.value)
    with pytest.raises(lowp.Error) as e:
        engine.load_images([tmp_path / "missing.png"])
    assert e.value.code == "io" and "missing.png" in str(e.value)
    with pytest.raises(lowp.Error):
        engine.load_images([])


def test_compares_from_several_threads_do_not_share_temporary_files():
    data = os.path.join(ROOT, "tests", "data", "fashion_test_first16_input.npy")
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(lowp.compare(MODEL, ["fp32", "fp16"], inputs=data, threads=1))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 9
    sizes = {tuple(r["plan_bytes"] for r in records) for records in results}
    assert len(sizes) == 1
