import numpy as np
import pytest

import minigrad as mg
from minigrad.train.models import build_model


@pytest.mark.parametrize("name", ["mlp", "cnn", "resnet"])
def test_models_map_images_to_logits(name):
    mg.manual_seed(0)
    model = build_model(name, (1, 8, 8), 10)
    x = mg.tensor(np.random.default_rng(0).random((3, 1, 8, 8), dtype=np.float32))
    logits = model(x)
    assert logits.shape == (3, 10) and logits.dtype == np.float32
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_cnn_has_the_benchmark_shape_on_28x28():
    model = build_model("cnn", (1, 28, 28), 10)
    shapes = [tuple(p.shape) for p in model.parameters()]
    assert shapes == [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 3136), (128,),
                      (10, 128), (10,)]


def test_flat_inputs_need_the_mlp():
    with pytest.raises(ValueError, match=r"cnn needs images \(C, H, W\).*\(2,\)"):
        build_model("cnn", (2,), 3)
    with pytest.raises(ValueError, match="unknown model 'vgg'"):
        build_model("vgg", (1, 8, 8), 10)
