"""The Python package over the C++ runtime: results equal to the CLI's, errors as lowp.Error,
threads sharing one engine. Run by scripts/test.sh after `pip install .` (LOWP_CLI: the command)."""
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
