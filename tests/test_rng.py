import numpy as np
import pytest

from simulation.distributions import Constant, Exponential
from simulation.rng import RandomStreams, Sampler


def test_same_seed_and_name_give_the_same_numbers():
    a = RandomStreams(7).generator("link.0.down.latency").random(5)
    b = RandomStreams(7).generator("link.0.down.latency").random(5)
    np.testing.assert_array_equal(a, b)


def test_different_names_and_seeds_give_different_numbers():
    streams = RandomStreams(7)
    a = streams.generator("workload.arrivals").random(5)
    b = streams.generator("workload.payload").random(5)
    c = RandomStreams(8).generator("workload.arrivals").random(5)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_adding_a_stream_does_not_shift_the_others():
    alone = RandomStreams(3)
    alone_values = alone.generator("clients.phase").random(5)
    crowded = RandomStreams(3)
    crowded.generator("something.new").random(100)
    crowded_values = crowded.generator("clients.phase").random(5)
    np.testing.assert_array_equal(alone_values, crowded_values)


def test_generator_is_reused_for_the_same_name():
    streams = RandomStreams(1)
    assert streams.generator("x") is streams.generator("x")
    assert streams.names() == ["x"]


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_invalid_seed_is_refused(seed):
    with pytest.raises(ValueError, match="seed"):
        RandomStreams(seed)


def test_sampler_is_reproducible_and_matches_block_draws():
    distribution = Exponential(2.0)
    sampler = Sampler(distribution, np.random.default_rng(5), block=4)
    values = [sampler() for _ in range(10)]
    rng = np.random.default_rng(5)
    expected = np.concatenate([distribution.sample(rng, 4) for _ in range(3)])[:10]
    np.testing.assert_allclose(values, expected)


def test_constant_sampler_needs_no_generator():
    sampler = Sampler(Constant(0.25), None)
    assert [sampler(), sampler()] == [0.25, 0.25]
    with pytest.raises(ValueError, match="needs a generator"):
        Sampler(Exponential(1.0), None)
