"""The convolution kernels against plain NumPy definitions: im2col (general and
wide), its adjoint col2im, and the drivers on every path (wide or not, threaded
chunks or not)."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from minigrad.kernels import _threads, naive
from minigrad.kernels import conv as kernels
from tests.helpers import QUICK, rng


def im2col_by_slicing(x, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w):
    """Row (c, u, v) of cols = the (u, v) tap of every window, read by slicing x_pad."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph + sh * kh * dh), (pw, pw + sw * kw * dw)))
    rows = [x_pad[:, c, u * dh:u * dh + sh * out_h:sh, v * dw:v * dw + sw * out_w:sw].ravel()
            for c in range(x.shape[1]) for u in range(kh) for v in range(kw)]
    return np.stack(rows)


@st.composite
def geometries(draw):
    kh, kw, sh, sw = (draw(st.integers(1, 3)) for _ in range(4))
    dh, dw = (draw(st.integers(1, 2)) for _ in range(2))
    ph, pw = (draw(st.integers(0, 2)) for _ in range(2))
    height = max(1, dh * (kh - 1) + 1 - 2 * ph) + draw(st.integers(0, 4))
    width = max(1, dw * (kw - 1) + 1 - 2 * pw) + draw(st.integers(0, 4))
    out_h = (height + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (width + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), height, width)
    return shape, (kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)


@QUICK
@given(geometry=geometries())
def test_im2col_and_col2im_are_the_slicing_definition_and_its_adjoint(geometry):
    shape, args = geometry
    x = rng(0).standard_normal(shape)
    cols = kernels.im2col(x, *args)
    np.testing.assert_array_equal(cols, im2col_by_slicing(x, *args))
    r = rng(1).standard_normal(cols.shape)
    back = np.empty_like(x)
    kernels.col2im(r, np.zeros(shape[1]), back, *args)
    np.testing.assert_allclose(np.vdot(cols, r), np.vdot(x, back), rtol=1e-10)


@QUICK
@given(geometry=geometries())
def test_wide_packing_holds_the_stride_1_columns_plus_junk(geometry):
    shape, (kh, kw, _, _, ph, pw, dh, dw, _, _) = geometry
    x = rng(2).standard_normal(shape)
    x_pad = kernels.pad_planes(x, ph, pw, shape[2] + 2 * ph + 1, shape[3] + 2 * pw)
    np.testing.assert_array_equal(x_pad[:, :, ph:ph + shape[2], pw:pw + shape[3]], x)
    assert x_pad.sum() == pytest.approx(x.sum())
    out_h, out_w = shape[2] + 2 * ph - dh * (kh - 1), shape[3] + 2 * pw - dw * (kw - 1)
    wide = shape[3] + 2 * pw
    cols = kernels.im2col_phased(x_pad[:, :, None, None], kh, kw, dh, dw, out_h)
    cols = cols.reshape(-1, shape[0], out_h, wide)[:, :, :, :out_w].reshape(cols.shape[0], -1)
    expected = im2col_by_slicing(x, kh, kw, 1, 1, ph, pw, dh, dw, out_h, out_w)
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("n_batch", [1, 7])
@pytest.mark.parametrize("geometry", [
    ((3, 3), (1, 1), (1, 1), (1, 1), 1),     # wide path, flipped transposed conv
    ((3, 3), (1, 1), (1, 1), (1, 1), 2),     # grouped
    ((3, 2), (2, 1), (1, 0), (1, 2), 1),     # general path (stride with dilation)
    ((5, 3), (2, 3), (2, 1), (1, 1), 2),     # phase planes for stride > 1
    ((1, 1), (1, 1), (0, 0), (1, 1), 1),
])
def test_drivers_match_the_naive_loops_with_and_without_threads(monkeypatch, n_batch, geometry):
    kernel, stride, padding, dilation, groups = geometry
    r = rng(3)
    x = r.standard_normal((n_batch, 4, 9, 8)).astype(np.float32)
    w = r.standard_normal((16, 4 // groups) + kernel).astype(np.float32)
    b = r.standard_normal(16).astype(np.float32)
    y64 = naive.conv2d_forward_naive(x.astype(float), w.astype(float), b, stride, padding,
                                     dilation, groups)
    g = r.standard_normal(y64.shape).astype(np.float32)
    dx64 = naive.conv_transpose2d_naive(g.astype(float), w.astype(float), None, stride, padding,
                                        (0, 0), groups, dilation)
    size = x.shape[2:]
    for workers, fast in ((1, True), (2, True), (2, False)):
        monkeypatch.setattr(_threads, "_threads", workers)
        # fast: wide / phase-plane packing and the transposed conv as a flipped conv;
        # else im2col and GEMM + col2im everywhere
        monkeypatch.setattr(kernels, "ADJOINT_MIN_CHANNELS", 1 if fast else 10 ** 9)
        monkeypatch.setattr(kernels, "WIDE_MAX_WASTE", 10.0 if fast else -1.0)
        monkeypatch.setattr(kernels, "CHUNK_BYTES", 4096)  # several chunks
        y = kernels.conv2d_forward(x, w, b, stride, padding, dilation, groups)
        np.testing.assert_allclose(y, y64, rtol=1e-4, atol=1e-4)
        dx = kernels.conv_transpose2d_forward(g, w, None, size, stride, padding, dilation,
                                              groups)
        np.testing.assert_allclose(dx[:, :, :dx64.shape[2], :dx64.shape[3]], dx64,
                                   rtol=1e-4, atol=1e-4)
        dw = kernels.conv2d_weight_grad(x, g, kernel, stride, padding, dilation, groups)
        # <conv(x, w'), g> is linear in w': its gradient is dw
        probe = r.standard_normal(w.shape)
        lhs = np.vdot(naive.conv2d_forward_naive(x.astype(float), probe, None, stride, padding,
                                                 dilation, groups), g)
        np.testing.assert_allclose(np.vdot(dw, probe), lhs, rtol=1e-4)
        assert y.dtype == dx.dtype == dw.dtype == np.float32


def test_run_chunks_restores_the_blas_thread_count():
    if _threads._openblas is None:
        pytest.skip("NumPy is not using a known OpenBLAS")
    get_threads, _ = _threads._openblas
    before = get_threads()
    seen = _threads.run_chunks(lambda start, stop: (start, stop, get_threads()),
                               [(0, 1), (1, 2), (2, 3)])
    assert [s[:2] for s in seen] == [(0, 1), (1, 2), (2, 3)]
    if _threads.get_num_threads() > 1:
        assert {s[2] for s in seen} == {1}
    assert get_threads() == before


def test_conv_in_a_forked_child_after_the_parent_used_the_thread_pool():
    """The pool's threads do not survive fork(): the child must build its own."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    x = rng(4).standard_normal((8, 2, 6, 6)).astype(np.float32)
    w = rng(5).standard_normal((3, 2, 3, 3)).astype(np.float32)
    expected = kernels.conv2d_forward(x, w, None, (1, 1), (1, 1), (1, 1), 1)  # parent pool
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply_async(kernels.conv2d_forward,
                                  (x, w, None, (1, 1), (1, 1), (1, 1), 1)).get(timeout=60)
    np.testing.assert_array_equal(result, expected)


@st.composite
def transposed_geometries(draw):
    """Undilated geometries, any stride, with a result size up to stride - 1 larger
    than the natural one (output_padding) and a batch split into several chunks."""
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k - 1)) for k in kernel)
    g_size = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    extra = tuple(draw(st.integers(0, s - 1)) for s in stride)
    groups = draw(st.integers(1, 2))
    return dict(n=draw(st.integers(1, 3)), cg=draw(st.integers(1, 3)),
                og=draw(st.integers(1, 3)), groups=groups, kernel=kernel, stride=stride,
                padding=padding, g_size=g_size, extra=extra)


@QUICK
@given(geometry=transposed_geometries(), dtype=st.sampled_from([np.float32, np.float64]))
def test_transposed_conv_through_phase_planes_matches_the_naive_loops(geometry, dtype):
    """The col2im_phased path (GEMM, slice adds into phase planes, unphase), forced
    for every stride including 1, against the textbook transposed convolution."""
    s, groups = geometry["stride"], geometry["groups"]
    assume(all((n - 1) * st_ - 2 * p + k + e >= 1 for n, st_, p, k, e in zip(
        geometry["g_size"], s, geometry["padding"], geometry["kernel"], geometry["extra"])))
    channels, out_channels = geometry["cg"] * groups, geometry["og"] * groups
    r = rng(11)
    g = r.standard_normal((geometry["n"], out_channels) + geometry["g_size"]).astype(dtype)
    w = r.standard_normal((out_channels, geometry["cg"]) + geometry["kernel"]).astype(dtype)
    b = r.standard_normal(channels).astype(dtype)
    expected = naive.conv_transpose2d_naive(g.astype(float), w.astype(float), b.astype(float),
                                            s, geometry["padding"], geometry["extra"], groups)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "WIDE_MAX_WASTE", 1e9)           # always the phase layout
        patch.setattr(kernels, "ADJOINT_MIN_CHANNELS", 10 ** 9)  # never the flipped conv
        patch.setattr(kernels, "WINOGRAD_MIN_CHANNELS", 10 ** 9)
        patch.setattr(kernels, "CHUNK_BYTES", 256)              # several chunks
        x = kernels.conv_transpose2d_forward(g, w, b, expected.shape[2:], s,
                                             geometry["padding"], (1, 1), groups)
    assert x.dtype == dtype and x.shape == expected.shape
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(x, expected, rtol=tol, atol=tol)


def test_unphase_planes_inverts_phase_planes_and_adds_the_bias():
    x = rng(12).standard_normal((2, 3, 7, 6))
    stride, padding = (2, 3), (1, 2)
    (rows, cols), _ = kernels._phase_grid((7, 6), (3, 4), stride, padding, (1, 1))
    phased = kernels.phase_planes(x, *stride, *padding, rows, cols)
    back = np.empty_like(x)
    bias = np.array([0.5, -1.0, 2.0])
    kernels.unphase_planes(phased, bias, back, *padding)
    np.testing.assert_array_equal(back, x + bias.reshape(1, -1, 1, 1))


@pytest.mark.parametrize("dilation", [(1, 1), (2, 1), (1, 3)])
def test_col2im_phased_is_the_adjoint_of_im2col_phased(dilation):
    """<im2col_phased(P), C> = <P, col2im_phased(C)> for random P and C."""
    r = rng(13)
    phased = r.standard_normal((2, 3, 2, 2, 8, 7))
    cols = kernels.im2col_phased(phased, 3, 3, *dilation, 4)
    probe = r.standard_normal(cols.shape)
    back = np.zeros_like(phased)
    kernels.col2im_phased(probe, 3, 3, *dilation, 4, back)
    np.testing.assert_allclose(np.vdot(cols, probe), np.vdot(phased, back), rtol=1e-12)
