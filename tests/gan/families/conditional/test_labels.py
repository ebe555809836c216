"""minigan/gan/families/conditional/labels.py: class-order and single-class labels, uniform fake labels,
class-per-row grid inputs, what sampling uses for a model (and each family), and the label checker's messages."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigan as mg
from minigan.gan import build_models, get_family, make_grid
from minigan.gan.families.conditional.labels import (check_labels, class_order_labels, conditional_grid_inputs,
                                                     sampling_labels, single_class_labels, uniform_labels)


@given(st.integers(1, 12), st.integers(1, 20))
def test_class_order_labels(num_classes, per_class):
    labels = class_order_labels(num_classes * per_class, num_classes)
    assert labels.dtype == np.int64 and labels.shape == (num_classes * per_class,)
    np.testing.assert_array_equal(labels, np.arange(num_classes).repeat(per_class))
    assert np.all(np.diff(labels) >= 0)


@pytest.mark.parametrize("n", [1, 9, 11, 105])
def test_class_order_labels_needs_a_multiple_of_the_class_count(n):
    with pytest.raises(ValueError, match=f"multiple of 10 .* got n={n}"):
        class_order_labels(n, 10)


@pytest.mark.parametrize("bad", [0, -10, 2.0, True, "10"])
def test_counts_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        class_order_labels(bad)


def test_single_class_labels():
    labels = single_class_labels(7, 3)
    assert labels.dtype == np.int64 and labels.tolist() == [3] * 7
    for bad in (10, -1, 2.5, True):
        with pytest.raises(ValueError, match=r"class must be an integer in 0..9"):
            single_class_labels(7, bad)


def test_uniform_labels_are_seeded_in_range_and_cover_the_classes():
    mg.manual_seed(3)
    a = uniform_labels(2000, 10)
    mg.manual_seed(3)
    b = uniform_labels(2000, 10)
    assert a.dtype == np.int64 and a.shape == (2000,)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    counts = np.bincount(a.numpy(), minlength=10)
    assert counts.min() > 150 and counts.max() < 250 and len(counts) == 10
    state = mg.backend.get_rng_state()
    c = uniform_labels(50, 10)
    mg.backend.set_rng_state(state)        # what a resume does
    np.testing.assert_array_equal(uniform_labels(50, 10).numpy(), c.numpy())


def test_grid_inputs_put_a_class_per_row_and_a_fixed_noise_per_column():
    z, labels = conditional_grid_inputs(10, 6, latent_dim=5, seed=0)
    assert z.shape == (60, 5) and z.dtype == np.float32 and labels.dtype == np.int64
    rows_z, rows_y = z.reshape(10, 6, 5), labels.reshape(10, 6)
    np.testing.assert_array_equal(rows_y, np.arange(10)[:, None].repeat(6, 1))
    for r in range(10):
        np.testing.assert_array_equal(rows_z[r], rows_z[0])           # same noise in every row
    assert len({tuple(v) for v in rows_z[0]}) == 6                    # different noise per column
    z2, _ = conditional_grid_inputs(10, 6, latent_dim=5, seed=0)
    np.testing.assert_array_equal(z, z2)
    G = build_models("cgan", latent_dim=5, width=4)[0].eval()
    grid = make_grid(G(mg.tensor(z), labels).numpy(), nrow=6)
    assert grid.shape == (10 * 30 + 2, 6 * 30 + 2)


def test_sampling_labels_for_conditional_and_unconditional_models():
    G = build_models("acgan", width=4)[0]
    np.testing.assert_array_equal(sampling_labels(G, 20), class_order_labels(20))
    assert sampling_labels(G, 5, class_index=7).tolist() == [7] * 5
    assert sampling_labels(G, 3, labels=[2, 2, 9]).tolist() == [2, 2, 9]
    with pytest.raises(ValueError, match="multiple of 10"):
        sampling_labels(G, 25)
    with pytest.raises(ValueError, match=r"sampling_labels: labels of shape \(2,\) do not match n=3 samples"):
        sampling_labels(G, 3, labels=[1, 2])
    with pytest.raises(ValueError, match="not both"):
        sampling_labels(G, 3, labels=[1, 2, 3], class_index=1)
    dcgan = build_models("dcgan", width=4)[0]
    assert sampling_labels(dcgan, 25) is None
    with pytest.raises(ValueError, match="DCGANGenerator is an unconditional generator: it takes no class 3"):
        sampling_labels(dcgan, 10, class_index=3)
    with pytest.raises(ValueError, match="unconditional generator: it takes no labels"):
        sampling_labels(dcgan, 10, labels=np.zeros(10, dtype=np.int64))


def test_each_family_gives_the_labels_minigan_sample_draws():
    """`minigan sample` asks the checkpoint's family: class order (or one class) for the conditional ones,
    no labels for the others, which refuse a class."""
    for name in ("cgan", "cgan-concat", "acgan"):
        G = build_models(name, width=4)[0]
        np.testing.assert_array_equal(get_family(name).sampling_labels(G, 20), class_order_labels(20))
        assert get_family(name).sampling_labels(G, 4, 2).tolist() == [2] * 4
    for name in ("dcgan", "infogan"):
        G = build_models(name, width=4)[0]
        assert get_family(name).sampling_labels(G, 20) is None
        with pytest.raises(ValueError, match=f"--class applies to conditional models only; --model {name} has no "
                                             f"classes"):
            get_family(name).sampling_labels(G, 20, 3)


def test_check_labels_returns_int64_and_names_what_it_checks():
    out = check_labels(np.array([1, 0], dtype=np.int32), 3, 2, "op")
    assert out.dtype == np.int64 and out.tolist() == [1, 0]
    with pytest.raises(TypeError, match=r"my_op: labels must be integer class indices, got dtype bool of shape "
                                        r"\(2,\) \(expected integers of shape \(2,\) for x\)"):
        check_labels(np.array([True, False]), 3, 2, "my_op", against="x")
    with pytest.raises(ValueError, match=r"my_op: label 3 is out of range for 3 classes"):
        check_labels([0, 3], 3, 2, "my_op")
    assert check_labels(np.zeros(0, dtype=np.int64), 3, 0, "op").shape == (0,)
