"""The code on the guide pages runs as printed (each page's python blocks, in order)."""

import re

import pytest

from tests.docs.conftest import DOCS


def _run_page(page, tmp_path, monkeypatch):
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, page
    monkeypatch.chdir(tmp_path)  # train_cnn writes runs/demo
    namespace = {"__name__": "__main__"}
    exec(compile("\n".join(blocks), str(DOCS / f"{page}.md"), "exec"), namespace)
    return namespace


def test_getting_started(tmp_path, monkeypatch):
    namespace = _run_page("getting_started", tmp_path, monkeypatch)
    assert namespace["x"].grad.tolist() == [2.0, 4.0, 6.0]
    w, hv = namespace["w"].numpy(), namespace["hv"].numpy()
    assert hv.tolist() == pytest.approx([6 * w[0], 0.0, 0.0])  # H = diag(6 w)


def test_custom_op(tmp_path, monkeypatch):
    namespace = _run_page("custom_op", tmp_path, monkeypatch)
    x, w = namespace["x"].numpy(), namespace["w"].numpy()
    y = namespace["np"].tanh(x @ w.T + namespace["b"].numpy())
    assert namespace["x"].grad.numpy() == pytest.approx((1 - y * y) @ w, rel=1e-5)


@pytest.mark.slow
def test_train_cnn(tmp_path, monkeypatch):
    namespace = _run_page("train_cnn", tmp_path, monkeypatch)
    assert namespace["trainer"].history[-1]["val_acc"] > 0.9
    assert (tmp_path / "runs" / "demo" / "best.npz").exists()
