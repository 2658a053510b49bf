"""minigrad speaks PyTorch's device API, and refuses every device but the CPU."""

import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.errors import DeviceError


def test_the_cpu_in_every_spelling():
    assert mg.device("cpu") == mg.device("cpu:0") == mg.device(mg.device("cpu")) == "cpu"
    assert str(mg.device("cpu")) == "cpu" and str(mg.device("cpu", 0)) == "cpu:0"
    assert repr(mg.device("cpu")) == "device(type='cpu')"
    assert mg.device("cpu").type == "cpu"
    assert mg.tensor([1.0]).device == mg.device("cpu")
    assert mg.tensor([1.0]).is_cuda is False


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "mps", "xpu"])
def test_other_devices_are_a_clear_error(name):
    with pytest.raises(DeviceError, match="minigrad runs on the CPU only"):
        mg.device(name)
    with pytest.raises(DeviceError, match="to: device"):
        mg.tensor([1.0]).to(name)
    with pytest.raises(DeviceError, match="Linear.to"):
        nn.Linear(2, 2).to(name)


def test_a_cuda_ordinal_and_unknown_names_are_refused():
    with pytest.raises(DeviceError, match="CUDA device 0"):
        mg.tensor([1.0]).to(0)
    with pytest.raises(DeviceError, match="unknown device 'gpu'"):
        mg.device("gpu")
    with pytest.raises(DeviceError, match="expected a string"):
        mg.device(3.5)
    with pytest.raises(DeviceError):
        mg.tensor([1.0]).cuda()


def test_cuda_and_accelerator_report_nothing_available():
    assert mg.cuda.is_available() is False
    assert mg.cuda.device_count() == 0
    assert mg.accelerator.is_available() is False
    mg.cuda.manual_seed(0)  # accepted, as PyTorch accepts it without a GPU
    mg.set_default_device("cpu")
    assert mg.get_default_device() == "cpu"
    with pytest.raises(DeviceError):
        mg.set_default_device("cuda")


def test_the_usual_device_idiom_runs():
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    model = nn.Linear(3, 2).to(device)
    x = mg.randn(4, 3).to(device)
    assert model(x).shape == (4, 2)
    assert x.to(device) is x and x.cpu() is x


def test_layers_take_device_and_dtype_as_in_pytorch():
    layer = nn.Linear(2, 3, device="cpu", dtype=None)
    assert layer.weight.dtype == mg.float32
    assert nn.Conv2d(1, 2, 3, device=mg.device("cpu"), dtype=mg.float64).weight.dtype == mg.float64
    assert nn.BatchNorm1d(4, device="cpu").running_mean.device == "cpu"
    with pytest.raises(DeviceError, match="LayerNorm"):
        nn.LayerNorm(4, device="cuda")
