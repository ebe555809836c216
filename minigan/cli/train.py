"""``minigan train``: train a GAN, or continue one with --resume."""
from __future__ import annotations

import argparse
import signal

from ..data import DATASETS
from ..gan.core.losses import G_LOSSES, LOSSES
from ..gan.families.unconditional.models import MODELS
from ..gan.families.inpainting.trainer import InpaintTrainer, inpaint_config
from ..gan.families.inpainting import MASK_KINDS, RECONSTRUCTIONS, checkpoint_task
from ..gan.trainer import GANTrainer, TrainConfig
from ..gan.core.checkpoint import load_checkpoint
from ..gan.presets import DEFAULT_PRESET, PRESETS
from . import stabilisers
from .registry import Handler, UsageError, command
from .validators import device as _device
from .validators import non_negative_float as _non_negative_float
from .validators import non_negative_int as _non_negative_int
from .validators import positive_float as _positive_float
from .validators import positive_int as _positive_int
from .validators import unit_float as _unit_float

def _recipe(field: str, reference: str) -> str:
    """'(default X, from --preset sngan-ema; --preset pytorch-dcgan: Y)' for an option the default recipe sets."""
    value = PRESETS[DEFAULT_PRESET].get(field)
    shown = f"{value:.1e}".replace(".0e", "e").replace("e-0", "e-") if isinstance(value, float) and value < 0.01 \
        else f"{value:g}" if isinstance(value, float) else value
    return f"(default {shown}, from --preset {DEFAULT_PRESET}; --preset pytorch-dcgan: {reference})"


@command("train", help="train a GAN (default: the InfoGAN-coded DCGAN of --preset sngan-info on MNIST, on the CPU)")
def _train(parser: argparse.ArgumentParser) -> Handler:
    # Defaults are None here and filled in from the preset (gan/presets.py) and TrainConfig, so a resumed
    # run can tell which options were given on the command line.
    parser.description = ("Train a GAN with Goodfellow's alternating updates. Every step is logged to "
                          "RUN_DIR/log.jsonl; every epoch writes a sample grid and the loss curves; "
                          "RUN_DIR/checkpoint.npz is written every --checkpoint-every steps, on Ctrl-C or SIGTERM "
                          "and at the "
                          "end, and --resume RUN_DIR continues exactly where the run stopped. --eval-every N "
                          "scores the generator (FID, Inception Score) every N epochs.")
    parser.epilog = "example: minigan train --model dcgan --epochs 5 --out runs/dcgan"
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=sorted(MODELS), default=None,
                       help=f"architecture {_recipe('model', 'dcgan')}")
    model.add_argument("--latent-dim", type=_positive_int, default=None, help="noise size (default: 100)")
    model.add_argument("--width", type=_positive_int, default=None,
                       help="dcgan: base channels (default 64); mlp: first hidden layer units (default 256)")
    objective = parser.add_argument_group("objective and optimiser")
    objective.add_argument("--loss", choices=list(LOSSES), default=None, help=f"GAN objective {_recipe('loss', 'bce')}")
    objective.add_argument("--g-loss", choices=list(G_LOSSES), default=None,
                           help="generator loss for bce (default: non-saturating)")
    objective.add_argument("--label-smoothing", type=_unit_float, default=None, metavar="S",
                           help="bce only: one-sided smoothing, D's real target becomes 1-S (e.g. 0.1; default 0)")
    objective.add_argument("--lsgan-a", type=float, default=None, help="lsgan: D's fake target (default 0)")
    objective.add_argument("--lsgan-b", type=float, default=None, help="lsgan: D's real target (default 1)")
    objective.add_argument("--lsgan-c", type=float, default=None, help="lsgan: G's target (default 1)")
    objective.add_argument("--lr-g", type=_positive_float, default=None,
                           help=f"generator Adam lr {_recipe('lr_g', '2e-4')}")
    objective.add_argument("--lr-d", type=_positive_float, default=None,
                           help=f"discriminator Adam lr {_recipe('lr_d', '2e-4')}")
    objective.add_argument("--beta1", type=_unit_float, default=None, help=f"Adam beta1 {_recipe('beta1', '0.5')}")
    objective.add_argument("--beta2", type=_unit_float, default=None, help=f"Adam beta2 {_recipe('beta2', '0.999')}")
    objective.add_argument("--n-critic", type=_positive_int, default=None,
                           help="discriminator steps per generator step (default 1)")
    run = parser.add_argument_group("data and run")
    run.add_argument("--dataset", choices=list(DATASETS), default=None, help="(default: mnist)")
    run.add_argument("--data-dir", default=None,
                     help="folder with the IDX files (default: $MINIGAN_DATA_DIR, the cache, else download)")
    run.add_argument("--no-download", dest="download", action="store_const", const=False, default=None,
                     help="fail instead of downloading the dataset when it is not found")
    run.add_argument("--epochs", type=_positive_int, default=None, help="epochs in all (default 5)")
    run.add_argument("--batch-size", type=_positive_int, default=None,
                     help=f"{_recipe('batch_size', '64')[:-1]}; every other model: 64)")
    run.add_argument("--max-steps", type=_positive_int, default=None,
                     help="stop after this many generator steps in all (smoke tests; kept by --resume unless "
                          "given again)")
    run.add_argument("--device", type=_device, default=None, help="cpu, cuda or cuda:N (default: cpu)")
    run.add_argument("--seed", type=_non_negative_int, default=None,
                     help="fixes initialisation, noise and data order (default 0)")
    run.add_argument("--out", default=None, metavar="RUN_DIR",
                     help="run folder (default: runs/<model>-<dataset>-<timestamp>)")
    run.add_argument("--resume", default=None, metavar="RUN_DIR",
                     help="continue the run in RUN_DIR (or a checkpoint file) where it stopped")
    run.add_argument("--checkpoint-every", type=_non_negative_int, default=None, metavar="N",
                     help="steps between checkpoints (default 500; 0: only on Ctrl-C and at the end)")
    run.add_argument("--samples", type=_positive_int, default=None, metavar="N",
                     help="images per sample grid (default 64)")
    run.add_argument("--progress", choices=["auto", "bar", "epoch", "none"], default=None,
                     help="progress display on stderr (default auto: a bar on a terminal, else a line per epoch)")
    evaluation = parser.add_argument_group("evaluation")
    evaluation.add_argument("--eval-every", type=_non_negative_int, default=None, metavar="N",
                            help="every N epochs score the generator (FID, Inception Score, classes covered, "
                                 "beside the real-data baseline; see `minigan eval`) into RUN_DIR/metrics.jsonl, "
                                 "log.jsonl and metrics.png (default 0: never)")
    evaluation.add_argument("--eval-n", type=_positive_int, default=None, metavar="N",
                            help="generated images per evaluation (default 10000; fewer is faster, FID is "
                                 "biased upwards at small N)")
    stabilisers.add_arguments(parser)  # issue 13
    _inpainting_arguments(parser)
    conditional = parser.add_argument_group("conditional models (--model cgan, cgan-concat, acgan)")
    conditional.add_argument("--class-weight", type=_non_negative_float, default=None, metavar="W",
                             help="acgan (and --task inpaint --aux-classes): weight of the class cross-entropy "
                                  "in D's and G's losses (default 1)")
    conditional.add_argument("--fake-class-weight", type=_non_negative_float, default=None, metavar="W",
                             help="acgan: weight of the class cross-entropy on fakes in D's loss (default 0: D's "
                                  "classifier learns from real images only; the paper's loss: W = --class-weight)")
    info = parser.add_argument_group("InfoGAN (--model infogan)")
    info.add_argument("--info-weight", type=_non_negative_float, default=None, metavar="W",
                      help="weight of the code's mutual-information term (Q's cross-entropy on fakes) in D's and "
                           "G's losses (default 1, the paper's for a categorical code)")
    info.add_argument("--info-codes", type=_positive_int, default=None, metavar="K",
                      help="categories of the code, read from the first K noise entries, at most --latent-dim "
                           "(default 20, from --preset sngan-info; other presets: 10)")
    info.add_argument("--info-real-weight", type=_non_negative_float, default=None, metavar="W",
                      help="weight of Q's information on real images in D's loss: Q sorts real images into "
                           "confident, evenly used categories, so G's categories become the data's clusters "
                           "(default 1, from --preset sngan-info; other presets: 0, the paper's InfoGAN)")
    return _run_train


# ---- issue 12: --task inpaint --------------------------------------------------------------------
def _inpainting_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "inpainting (--task inpaint)",
        "an encoder-decoder G completes masked digits (visible pixels kept exactly), D judges whole images; "
        "--width is G's base channels (default 32, D has twice as many); complete images afterwards with "
        "`minigan inpaint`")
    group.add_argument("--task", choices=["gan", "inpaint"], default=None,
                       help="gan: noise -> image (default); inpaint: masked image -> completed image")
    group.add_argument("--mask", choices=list(MASK_KINDS), default=None,
                       help="training masks (default random: a mix of center, bottom-half, right-half and "
                            "random-box, so one model serves every mask)")
    group.add_argument("--rec-weight", type=_non_negative_float, default=None,
                       help="weight of the reconstruction loss on the hidden pixels (default 100)")
    group.add_argument("--adv-weight", type=_non_negative_float, default=None,
                       help="weight of the adversarial loss (default 1; 0: a plain context autoencoder)")
    group.add_argument("--rec-loss", choices=list(RECONSTRUCTIONS), default=None, help="(default l1)")
    group.add_argument("--unet", dest="unet", action="store_const", const=True, default=None,
                       help="U-Net skip connections in G (the default)")
    group.add_argument("--no-unet", dest="unet", action="store_const", const=False, help="a plain encoder-decoder")
    group.add_argument("--aux-classes", dest="aux_classes", action="store_const", const=True, default=None,
                       help="give D an auxiliary class head: a class loss on real images and completions")


_INPAINT_OPTIONS = {"task": "task", "mask": "mask", "rec_weight": "rec_weight", "adv_weight": "adv_weight",
                    "rec_loss": "rec_loss", "unet": "unet", "aux_classes": "aux_classes"}


def _trainer_class(args: argparse.Namespace, given: dict) -> type:
    """InpaintTrainer for --task inpaint or for resuming an inpainting run, else GANTrainer."""
    if args.resume is not None:
        return InpaintTrainer if checkpoint_task(load_checkpoint(args.resume)) == "inpaint" else GANTrainer
    inpainting = given.get("task") == "inpaint"
    if not inpainting and any(field in given for field in _INPAINT_OPTIONS.values() if field != "task"):
        raise UsageError("--mask, --rec-weight, --adv-weight, --rec-loss, --unet/--no-unet and --aux-classes "
                         "need --task inpaint")
    if inpainting and "model" in given:
        raise UsageError("--model is not used with --task inpaint (its model is the inpainting encoder-decoder)")
    return InpaintTrainer if inpainting else GANTrainer


_TRAIN_OPTIONS = {  # argparse dest -> TrainConfig field
    "model": "model", "latent_dim": "latent_dim", "width": "width", "loss": "loss", "g_loss": "g_loss",
    "label_smoothing": "label_smoothing", "lsgan_a": "lsgan_a", "lsgan_b": "lsgan_b", "lsgan_c": "lsgan_c",
    "lr_g": "lr_g", "lr_d": "lr_d", "beta1": "beta1", "beta2": "beta2", "n_critic": "n_critic",
    "dataset": "dataset", "data_dir": "data_dir", "download": "download", "epochs": "epochs",
    "batch_size": "batch_size",
    "max_steps": "max_steps", "device": "device", "seed": "seed", "out": "out",
    "checkpoint_every": "checkpoint_every", "samples": "n_samples", "progress": "progress",
    "eval_every": "eval_every", "eval_n": "eval_n",
}
_TRAIN_OPTIONS["class_weight"] = "class_weight"   # issue 11: conditional models
_TRAIN_OPTIONS["fake_class_weight"] = "fake_class_weight"
_TRAIN_OPTIONS["info_weight"] = "info_weight"       # InfoGAN
_TRAIN_OPTIONS["info_real_weight"] = "info_real_weight"
_TRAIN_OPTIONS["info_codes"] = "info_codes"


def _run_train(args: argparse.Namespace) -> int:
    options = {**_TRAIN_OPTIONS, **_INPAINT_OPTIONS}
    given = {field: getattr(args, dest) for dest, field in options.items() if getattr(args, dest) is not None}
    given = stabilisers.config_options(args, given, resuming=args.resume is not None)  # issue 13
    trainer_class = _trainer_class(args, given)
    if args.resume is not None:
        if "out" in given:
            raise UsageError("--out cannot be combined with --resume (the run continues in its own folder)")
        try:
            trainer = trainer_class.from_checkpoint(args.resume, **given)
        except ValueError as exc:
            if type(exc) is ValueError:  # a setting that cannot change on resume
                raise UsageError(str(exc)) from None
            raise
        print(f"resuming {trainer.run_dir} at step {trainer.step} (epoch {trainer.epoch + 1}, "
              f"batch {trainer.batch})", flush=True)
    else:
        try:
            config = TrainConfig(**given)
            config = config.validate() if trainer_class is GANTrainer else inpaint_config(config)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            trainer = trainer_class(config)
        except ValueError as exc:
            if type(exc) is ValueError:  # options that do not fit together or with the data
                raise UsageError(str(exc)) from None
            raise
        print(f"training {trainer.config.model} ({trainer.config.loss} loss) on {trainer.config.dataset}, "
              f"device {trainer.device}, {trainer.steps_per_epoch} steps per epoch; run folder {trainer.run_dir}",
              flush=True)
    result = trainer.train()
    run_dir = result.run_dir
    status = "interrupted" if result.interrupted else "done"
    print(f"{status}: {result.step} steps, {result.epoch} epoch(s) complete", flush=True)
    print(f"  run folder:   {run_dir}")
    print(f"  log:          {result.log}")
    print(f"  checkpoint:   {result.checkpoint}")
    if result.samples:
        print(f"  samples:      {result.samples[-1]}" + (f" (and {len(result.samples) - 1} more)"
                                                        if len(result.samples) > 1 else ""))
    if result.loss_plot:
        print(f"  loss curves:  {result.loss_plot}")
    if result.metrics_log:
        print(f"  metrics:      {result.metrics_log}" + (f" (curves: {result.metrics_plot})"
                                                         if result.metrics_plot else ""))
    if result.interrupted:
        print(f"resume with:  {trainer.resume_hint}", flush=True)
        return 128 + int(result.signal or signal.SIGINT)  # 130 after Ctrl-C, 143 after SIGTERM
    return 0


