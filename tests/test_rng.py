"""minigrad.rng: mg.Generator (torch.Generator's interface) and the global generator."""

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import make_blobs
from minigrad.errors import DeviceError


def test_manual_seed_returns_the_generator_and_restarts_its_stream():
    g = mg.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    first = mg.randn(4, generator=g).numpy()
    assert not np.array_equal(mg.randn(4, generator=g).numpy(), first)
    np.testing.assert_array_equal(mg.randn(4, generator=g.manual_seed(3)).numpy(), first)


def test_a_seeded_generator_draws_numpys_default_rng_stream():
    # documented: manual_seed(s) gives the stream of np.random.default_rng(s)
    g = mg.Generator().manual_seed(2147483647)
    reference = np.random.default_rng(2147483647)
    np.testing.assert_array_equal(mg.randn(3, 2, generator=g).numpy(),
                                  reference.standard_normal((3, 2)).astype(np.float32))
    np.testing.assert_array_equal(mg.randint(0, 27, (5,), generator=g).numpy(),
                                  reference.integers(0, 27, (5,)))
    np.testing.assert_array_equal(mg.randperm(6, generator=g).numpy(), reference.permutation(6))


def test_generators_are_independent_of_the_global_one():
    mg.manual_seed(0)
    expected = np.random.default_rng(0).random(3)
    g = mg.Generator().manual_seed(1)
    mg.randn(100, generator=g)
    mg.randint(5, (10,), generator=g)
    np.testing.assert_array_equal(mg.default_generator().random(3), expected)


def test_get_state_and_set_state_replay_the_stream():
    g = mg.Generator().manual_seed(7)
    state = g.get_state()
    assert isinstance(state, mg.Tensor) and state.dtype == np.uint8 and state.ndim == 1
    first = mg.rand(5, generator=g).numpy()
    assert g.set_state(state) is g
    np.testing.assert_array_equal(mg.rand(5, generator=g).numpy(), first)
    # the global generator's string state and a Generator's byte state are interchangeable
    mg.manual_seed(9)
    g.set_state(mg.get_rng_state())
    np.testing.assert_array_equal(mg.rand(5, generator=g).numpy(), mg.rand(5).numpy())
    mg.set_rng_state(g.get_state())
    np.testing.assert_array_equal(mg.rand(5).numpy(), mg.rand(5, generator=g).numpy())


def test_rng_state_survives_an_npz_round_trip(tmp_path):
    mg.manual_seed(4)
    np.savez(tmp_path / "state.npz", rng=mg.get_rng_state())
    expected = mg.rand(3).numpy()
    mg.set_rng_state(np.load(tmp_path / "state.npz")["rng"])
    np.testing.assert_array_equal(mg.rand(3).numpy(), expected)


def test_a_bad_state_is_refused():
    with pytest.raises(mg.MinigradError, match="not valid JSON"):
        mg.Generator().set_state("not a state")
    with pytest.raises(TypeError, match="expected a state"):
        mg.Generator().set_state(12)


def test_seed_draws_a_fresh_seed_that_initial_seed_reports():
    g = mg.Generator()
    seed = g.seed()
    assert isinstance(seed, int) and 0 <= seed < 2 ** 64 and g.initial_seed() == seed
    assert mg.Generator().initial_seed() != mg.Generator().initial_seed()
    assert mg.seed() == mg.initial_seed()


def test_the_generator_passes_numpys_methods_through():
    g = mg.Generator().manual_seed(5)
    assert sorted(g.permutation(4)) == [0, 1, 2, 3]
    np.testing.assert_array_equal(g.manual_seed(5).standard_normal(3),
                                  np.random.default_rng(5).standard_normal(3))
    # so the code written for an np.random.Generator takes a mg.Generator
    x_g, _ = make_blobs(30, rng=mg.Generator().manual_seed(2))
    x_np, _ = make_blobs(30, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(x_g, x_np)
    with pytest.raises(AttributeError):
        g.not_a_method  # noqa: B018


def test_global_manual_seed_returns_the_default_generator():
    g = mg.manual_seed(11)
    assert g is mg.default_generator() and isinstance(g, mg.Generator)
    np.testing.assert_array_equal(g.random(3), np.random.default_rng(11).random(3))
    # manual_seed also takes a SeedSequence (per-rank streams in minigrad.distributed)
    mg.manual_seed(np.random.SeedSequence([1, 2]))
    np.testing.assert_array_equal(mg.default_generator().random(2),
                                  np.random.default_rng(np.random.SeedSequence([1, 2])).random(2))


def test_generator_arguments_are_checked():
    with pytest.raises(TypeError, match="randn: generator must be a minigrad.Generator"):
        mg.randn(2, generator=1)
    with pytest.raises(TypeError, match="the seed must be an integer"):
        mg.Generator().manual_seed("1")
    with pytest.raises(DeviceError, match="Generator"):
        mg.Generator(device="cuda")
    assert mg.Generator(device="cpu").device == "cpu"


@pytest.mark.parity
def test_seed_range_matches_pytorch():
    torch = pytest.importorskip("torch")
    for seed in (0, 3, -1, 2 ** 64 - 1):
        assert mg.Generator().manual_seed(seed).initial_seed() == \
            torch.Generator().manual_seed(seed).initial_seed()
    with pytest.raises(ValueError):
        torch.Generator().manual_seed(2 ** 64)
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        mg.Generator().manual_seed(2 ** 64)
    for name in ("manual_seed", "seed", "initial_seed", "get_state", "set_state", "device"):
        assert hasattr(torch.Generator(), name) and hasattr(mg.Generator(), name)
