"""GANTrainer with a PyTorch-style DataLoader (through EpochLoader): it trains, and resumes."""
import json

import numpy as np
import pytest

from minigan.data import MNIST, DataLoader, EpochLoader, TensorDataset, datasets
from minigan.gan import GANTrainer
from tests.gan.test_trainer import data_dir, tiny  # noqa: F401  (data_dir is a fixture)


def _loader(data_dir, shuffle=False):
    datasets.clear_cache()
    return DataLoader(MNIST(str(data_dir), train=True, transform=lambda x: x * 2 - 1), batch_size=16,
                      shuffle=shuffle, drop_last=True)


def test_trains_on_a_dataloader_of_images_and_labels(data_dir, tmp_path):
    trainer = GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=6), data=_loader(data_dir, shuffle=True))
    assert isinstance(trainer.loader, EpochLoader) and len(trainer.loader) == 4
    result = trainer.train()
    assert result.step == 6 and trainer.epoch == 1
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(records) == 6 and all(np.isfinite(r["loss_D"]) for r in records)


def test_resume_with_an_unshuffled_dataloader_is_bit_identical(data_dir, tmp_path):
    straight = GANTrainer(tiny(data_dir, tmp_path / "straight", max_steps=6), data=_loader(data_dir))
    straight.train()
    GANTrainer(tiny(data_dir, tmp_path / "split", max_steps=3), data=_loader(data_dir)).train()
    resumed = GANTrainer.from_checkpoint(tmp_path / "split", max_steps=6, data=_loader(data_dir))
    assert resumed.batch == 3
    resumed.train()
    for a, b in zip(straight.G.parameters(), resumed.G.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_dataloader_with_other_settings_is_refused_on_resume(data_dir, tmp_path):
    GANTrainer(tiny(data_dir, tmp_path / "run", max_steps=1), data=_loader(data_dir)).train()
    other = DataLoader(MNIST(str(data_dir), train=True), batch_size=16, drop_last=False)
    with pytest.raises(Exception, match="drop_last"):
        GANTrainer.from_checkpoint(tmp_path / "run", data=other)


def test_an_iterable_or_unbatched_dataloader_is_refused_with_a_clear_message(data_dir, tmp_path):
    unbatched = DataLoader(TensorDataset(np.zeros((4, 1, 28, 28), np.float32)), batch_size=None)
    with pytest.raises(ValueError, match="EpochLoader: the GAN trainer needs a DataLoader over a map-style dataset"):
        GANTrainer(tiny(data_dir, tmp_path / "run"), data=unbatched)
