"""GANs on minigan: models, losses, the trainer (loop + updater + extensions), checkpoints and sampling.

    from minigan.gan import GANTrainer, TrainConfig, build_models, preset_config, resume
    result = GANTrainer(preset_config(epochs=5, out="runs/dcgan")).train()    # `minigan train`'s defaults
    GANTrainer(TrainConfig(model="dcgan", out="runs/ref")).train()          # the PyTorch DCGAN reference
    images = sample_checkpoint("runs/dcgan", n=10000)     # (10000, 1, 28, 28) float32 in [-1, 1]
"""
from .core.checkpoint import CHECKPOINT_NAME, CheckpointError, load_checkpoint, load_generator
from .core.losses import LOSSES, BCELoss, GANLoss, HingeLoss, LSGANLoss, build_loss
from .families.unconditional.models import (MODELS, DCGANDiscriminator, DCGANGenerator, MLPDiscriminator,
                                            MLPGenerator, build_models, dcgan_init_, model_defaults, register_model)
from .families.conditional.models import (ACGANDiscriminator, ConcatDiscriminator, ConditionalGenerator,
                                          ProjectionDiscriminator)
from .families.conditional.losses import ACGANLoss, build_conditional_loss, class_loss
from .families.infogan.models import InfoDiscriminator, InfoGANLoss, InfoGenerator
from .families.conditional.labels import (check_labels, class_order_labels, conditional_grid_inputs, is_conditional,
                                          sampling_labels, single_class_labels, uniform_labels)
from .core.plotting import make_grid, plot_losses, read_png, save_grid, write_png
from .core.sampling import evaluate_generator, generate, sample_checkpoint
from .config import TrainConfig
from .presets import DEFAULT_PRESET, PRESETS, preset_config, preset_fields
from .trainer import GANTrainer, NonFiniteLossError, TrainResult, default_run_dir, resume
from .training import Extension, GANUpdater, Trainer, Updater

__all__ = [
    "CHECKPOINT_NAME", "CheckpointError", "load_checkpoint", "load_generator",
    "LOSSES", "BCELoss", "GANLoss", "HingeLoss", "LSGANLoss", "build_loss",
    "MODELS", "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator", "MLPGenerator", "build_models",
    "dcgan_init_", "model_defaults", "register_model",
    "ACGANDiscriminator", "ConcatDiscriminator", "ConditionalGenerator", "ProjectionDiscriminator",
    "ACGANLoss", "build_conditional_loss", "class_loss",
    "InfoDiscriminator", "InfoGANLoss", "InfoGenerator",
    "check_labels", "class_order_labels", "conditional_grid_inputs", "is_conditional", "sampling_labels",
    "single_class_labels", "uniform_labels",
    "make_grid", "plot_losses", "read_png", "save_grid", "write_png",
    "evaluate_generator", "generate", "sample_checkpoint",
    "DEFAULT_PRESET", "PRESETS", "preset_config", "preset_fields",
    "GANTrainer", "NonFiniteLossError", "TrainConfig", "TrainResult", "default_run_dir", "resume",
    "Extension", "GANUpdater", "Trainer", "Updater",
]
