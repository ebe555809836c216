"""SyncBatchNorm against PyTorch: one rank is torch's BatchNorm; convert_sync_batchnorm keeps the state-dict keys.

(torch.nn.SyncBatchNorm itself needs an initialised process group to train, so the
one-rank reference is the BatchNorm it reduces to.)
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minigan as mg  # noqa: E402
import minigan.nn as nn  # noqa: E402


def test_one_rank_matches_torch_batchnorm():
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5))
    tbn = torch.nn.BatchNorm2d(3).double()
    mine = nn.SyncBatchNorm(3, dtype=np.float64)
    tx, mx = torch.tensor(x, requires_grad=True), mg.tensor(x, requires_grad=True)
    (tbn(tx) ** 3).sum().backward()
    (mine(mx) ** 3).sum().backward()
    np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mine.running_var.numpy(), tbn.running_var.numpy(), rtol=1e-12)


def test_convert_sync_batchnorm_keys_match_torch():
    theirs = torch.nn.SyncBatchNorm.convert_sync_batchnorm(
        torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3)))
    mine = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3)))
    assert type(theirs[1]).__name__ == type(mine[1]).__name__ == "SyncBatchNorm"
    assert list(mine.state_dict()) == list(theirs.state_dict())
