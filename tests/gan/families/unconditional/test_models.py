"""The unconditional families (dcgan, mlp): output shapes, parameter counts against PyTorch's DCGAN of the same
spec, initialisation, the registry's defaults and a family of your own."""
from __future__ import annotations

import numpy as np
import pytest

import minigan
from minigan import nn
from minigan.gan import (DCGANDiscriminator, DCGANGenerator, Family, FamilyError, MLPDiscriminator, MLPGenerator,
                         build_models, family_names, get_family, register_family, unregister_family)


def n_params(module) -> int:
    return sum(p.numel() for p in module.parameters())


# Expected counts worked out by hand (PyTorch layers have biases by default).
# DCGAN G (latent 100, width 64): Linear(100, 6272) 100*6272+6272 = 633472; BN1d(6272) 12544;
#   ConvT(128->64, k4) 128*64*16+64 = 131136; BN2d(64) 128; ConvT(64->1, k4) 64*16+1 = 1025  -> 778305
# DCGAN D: Conv(1->64, k4) 64*16+64 = 1088; Conv(64->128, k4) 128*64*16+128 = 131200; BN2d(128) 256;
#   Linear(6272, 1) 6273  -> 138817
# MLP G: 100*256+256 + 2*256 + 256*512+512 + 2*512 + 512*1024+1024 + 2*1024 + 1024*784+784 = 1489936
# MLP D: 784*512+512 + 512*256+256 + 256+1 = 533505
@pytest.mark.parametrize("name, g_count, d_count", [("dcgan", 778305, 138817), ("mlp", 1489936, 533505)])
def test_default_parameter_counts(name, g_count, d_count):
    G, D = build_models(name)
    assert (n_params(G), n_params(D)) == (g_count, d_count)


@pytest.mark.parametrize("name", ["dcgan", "mlp"])
@pytest.mark.parametrize("latent_dim, width", [(100, None), (16, 8)])
def test_output_shapes(name, latent_dim, width):
    minigan.manual_seed(0)
    G, D = build_models(name, latent_dim=latent_dim, width=width)
    z = minigan.randn(3, latent_dim)
    x = G(z)
    assert x.shape == (3, 1, 28, 28)
    assert x.dtype == np.float32
    assert float(np.abs(x.numpy()).max()) <= 1.0  # tanh
    assert D(x).shape == (3, 1)
    G.eval()
    assert G(minigan.randn(1, latent_dim)).shape == (1, 1, 28, 28)  # eval mode: running stats, batch of one


def test_dcgan_layers_follow_the_spec():
    G, D = DCGANGenerator(latent_dim=100, width=64), DCGANDiscriminator(width=64)
    g_kinds = [type(m).__name__ for m in G.net]
    assert g_kinds == ["Linear", "BatchNorm1d", "ReLU", "_Reshape", "ConvTranspose2d", "BatchNorm2d", "ReLU",
                       "ConvTranspose2d", "Tanh"]
    d_kinds = [type(m).__name__ for m in D.net]
    assert d_kinds == ["Conv2d", "LeakyReLU", "Conv2d", "BatchNorm2d", "LeakyReLU", "Flatten", "Linear"]
    ct1, ct2 = G.net[4], G.net[7]
    assert (ct1.in_channels, ct1.out_channels, ct2.in_channels, ct2.out_channels) == (128, 64, 64, 1)
    for conv in (ct1, ct2, D.net[0], D.net[2]):
        assert tuple(conv.kernel_size) == (4, 4) and tuple(conv.stride) == (2, 2) and tuple(conv.padding) == (1, 1)
    assert D.net[1].negative_slope == D.net[4].negative_slope == 0.2
    assert D.net[6].in_features == 6272
    bn = G.net[1]
    assert bn.eps == 1e-5 and bn.momentum == 0.1


def test_mlp_layers_follow_the_spec():
    G, D = MLPGenerator(), MLPDiscriminator()
    sizes = [(m.in_features, m.out_features) for m in G.net if isinstance(m, nn.Linear)]
    assert sizes == [(100, 256), (256, 512), (512, 1024), (1024, 784)]
    sizes = [(m.in_features, m.out_features) for m in D.net if isinstance(m, nn.Linear)]
    assert sizes == [(784, 512), (512, 256), (256, 1)]
    for m in G.net:
        if isinstance(m, nn.BatchNorm1d):
            assert m.eps == 1e-5 and m.momentum == 0.1
        if isinstance(m, nn.LeakyReLU):
            assert m.negative_slope == 0.2


def test_dcgan_initialisation():
    minigan.manual_seed(1)
    G, D = build_models("dcgan")
    big = G.net[0].weight.numpy()            # 627200 samples of N(0, 0.02)
    assert abs(big.mean()) < 1e-3 and abs(big.std() - 0.02) < 1e-3
    assert not np.any(G.net[0].bias.numpy())
    gamma = G.net[1].weight.numpy()          # 6272 samples of N(1, 0.02)
    assert abs(gamma.mean() - 1.0) < 2e-3 and abs(gamma.std() - 0.02) < 2e-3
    assert not np.any(G.net[1].bias.numpy())
    conv = D.net[2].weight.numpy()
    assert abs(conv.std() - 0.02) < 1e-3 and not np.any(D.net[2].bias.numpy())


def test_seed_fixes_initialisation():
    minigan.manual_seed(5)
    a = build_models("dcgan", width=8)
    minigan.manual_seed(5)
    b = build_models("dcgan", width=8)
    for m1, m2 in zip(a, b):
        for p, q in zip(m1.parameters(), m2.parameters()):
            assert np.array_equal(p.numpy(), q.numpy())


def test_registry_and_errors():
    assert {"dcgan", "mlp"} <= set(family_names())
    assert get_family("dcgan").defaults == {"latent_dim": 100, "width": 64}
    assert get_family("mlp").defaults == {"latent_dim": 100, "width": 256}
    with pytest.raises(FamilyError, match="no GAN family 'wgan' is registered"):
        build_models("wgan")
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        build_models("mlp", latent_dim=0)
    with pytest.raises(ValueError, match="--info-codes does not apply to --model dcgan"):
        build_models("dcgan", info_codes=10)


def test_register_your_own_family():
    def tiny_generator(latent_dim):
        return nn.Sequential(nn.Linear(latent_dim, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)))

    class Tiny(Family):
        name = "tiny-test"
        defaults = {"latent_dim": 4, "width": 2}

        def build_models(self, config):
            return tiny_generator(config.latent_dim), nn.Sequential(nn.Flatten(), nn.Linear(784, 1))

        def build_generator(self, model_config):
            return tiny_generator(model_config["latent_dim"])

    register_family(Tiny)
    try:
        assert "tiny-test" in family_names()
        G, D = build_models("tiny-test")
        assert D(G(minigan.randn(2, 4))).shape == (2, 1)
    finally:
        unregister_family("tiny-test")
    assert "tiny-test" not in family_names()


def test_parameter_counts_match_pytorch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    tg = tnn.Sequential(tnn.Linear(100, 128 * 7 * 7), tnn.BatchNorm1d(128 * 7 * 7), tnn.ReLU(),
                        tnn.Unflatten(1, (128, 7, 7)),
                        tnn.ConvTranspose2d(128, 64, 4, 2, 1), tnn.BatchNorm2d(64), tnn.ReLU(),
                        tnn.ConvTranspose2d(64, 1, 4, 2, 1), tnn.Tanh())
    td = tnn.Sequential(tnn.Conv2d(1, 64, 4, 2, 1), tnn.LeakyReLU(0.2), tnn.Conv2d(64, 128, 4, 2, 1),
                        tnn.BatchNorm2d(128), tnn.LeakyReLU(0.2), tnn.Flatten(), tnn.Linear(6272, 1))
    G, D = build_models("dcgan")
    assert n_params(G) == sum(p.numel() for p in tg.parameters())
    assert n_params(D) == sum(p.numel() for p in td.parameters())
    # Same parameter and buffer names and shapes, so a PyTorch state dict would load (after the "net." prefix).
    for ours, theirs in ((G, tg), (D, td)):
        mine = {k.removeprefix("net."): tuple(v.shape) for k, v in ours.state_dict().items()}
        ref = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        assert mine == ref
