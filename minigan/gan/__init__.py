"""GANs on minigan: the families, the trainer (loop + step + extensions), checkpoints and sampling.

    from minigan.gan import GANTrainer, TrainConfig, resume, sample_checkpoint
    result = GANTrainer(TrainConfig(epochs=5, out="runs/info")).train()     # what `minigan train` trains
    GANTrainer(TrainConfig(preset="pytorch-dcgan", out="runs/ref")).train()  # the PyTorch DCGAN reference
    images = sample_checkpoint("runs/info", n=10000)     # (10000, 1, 28, 28) float32 in [-1, 1]

The layers, lowest first: core/ (losses, penalties, EMA, plotting, sampling, checkpoint files) < training/
(the loop, the step's base, extensions, triggers, report) < families/ (one folder per family, and the
registry) < config.py, presets.py, build.py (assembly) < the command line.
"""
from .build import (CONFIG_NAME, GANTrainer, NonFiniteLossError, TrainResult, build_models, default_run_dir,
                    load_generator, resume, sample_checkpoint)
from .config import CONFIG_VERSION, TrainConfig, upgrade_config
from .core.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint
from .core.losses import LOSSES, BCELoss, GANLoss, HingeLoss, LSGANLoss, WassersteinLoss, build_loss
from .core.penalties import GradientPenalty, R1Penalty
from .core.plotting import make_grid, plot_losses, read_png, save_grid, write_png
from .core.sampling import generate
from .families import (DCGANDiscriminator, DCGANGenerator, Family, FamilyError, MLPDiscriminator, MLPGenerator,
                       NoOptions, dcgan_init_, discover_plugins, families, family_names, get_family, load_plugin,
                       register_family, unregister_family)
from .presets import PRESETS
from .training import Extension, GANUpdater, Trainer, Updater
from .training.reporter import report

__all__ = [
    "GANTrainer", "TrainConfig", "TrainResult", "NonFiniteLossError", "resume", "default_run_dir", "build_models",
    "load_generator", "sample_checkpoint", "CONFIG_NAME", "CONFIG_VERSION", "upgrade_config",
    "CHECKPOINT_NAME", "CheckpointError", "load_checkpoint",
    "LOSSES", "BCELoss", "GANLoss", "HingeLoss", "LSGANLoss", "WassersteinLoss", "build_loss",
    "GradientPenalty", "R1Penalty",
    "make_grid", "plot_losses", "read_png", "save_grid", "write_png", "generate",
    "Family", "FamilyError", "NoOptions", "register_family", "unregister_family", "get_family", "family_names",
    "families", "load_plugin", "discover_plugins",
    "DCGANGenerator", "DCGANDiscriminator", "MLPGenerator", "MLPDiscriminator", "dcgan_init_",
    "PRESETS", "Extension", "GANUpdater", "Trainer", "Updater", "report",
]
