"""``minigan train``: train a GAN, or continue one with --resume."""
from __future__ import annotations

import argparse
import os
import signal

import dataclasses

from ..data import DATASETS
from ..gan import GANTrainer, TrainConfig, families, family_names, get_family
from ..gan.config import COMMON_DEFAULTS, DEFAULT_MODEL
from ..gan.core.losses import G_LOSSES, LOSSES
from . import stabilisers
from .registry import Handler, UsageError, command
from ..gan.core.arguments import device as _device
from ..gan.core.arguments import non_negative_int as _non_negative_int
from ..gan.core.arguments import positive_float as _positive_float
from ..gan.core.arguments import positive_int as _positive_int
from ..gan.core.arguments import unit_float as _unit_float


def _recipe(field: str, reference: str) -> str:
    """'(default X; --preset pytorch-dcgan: Y)' for an option the default recipe sets."""
    value = COMMON_DEFAULTS.get(field)
    shown = f"{value:.1e}".replace(".0e", "e").replace("e-0", "e-") if isinstance(value, float) and value < 0.01 \
        else f"{value:g}" if isinstance(value, float) else value
    return f"(default {shown}; --preset pytorch-dcgan: {reference})"


@command("train", help="train a GAN (default: the InfoGAN family on MNIST, on the CPU)")
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
    model.add_argument("--model", choices=family_names(), default=None,
                       help=f"the GAN family (default {DEFAULT_MODEL}): " +
                            "; ".join(f"{f.name}: {f.help}" for f in families()))
    model.add_argument("--latent-dim", type=_positive_int, default=None, help="noise size (default: 100)")
    model.add_argument("--width", type=_positive_int, default=None,
                       help="the models' width (default: the family's: " +
                            ", ".join(f"{f.name} {f.defaults.get('width')}" for f in families()) + ")")
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
                     help="images per batch (default 64; the infogan family's recipe: 32); under `mpiexec -n N`, "
                          "each rank's: the global batch is N times it")
    run.add_argument("--sync-batchnorm", dest="sync_batchnorm", action="store_const", const=True, default=None,
                     help="under mpiexec: BatchNorm statistics over the global batch (N ranks x b then trains as "
                          "one process with N*b), not over each rank's (the default, as PyTorch's DDP)")
    run.add_argument("--max-steps", type=_positive_int, default=None,
                     help="stop after this many generator steps in all (smoke tests; kept by --resume unless "
                          "given again)")
    run.add_argument("--device", type=_device, default=None,
                     help="cpu, cuda or cuda:N (default: cpu); under mpiexec, cuda gives each rank cuda:<local rank>")
    run.add_argument("--seed", type=_non_negative_int, default=None,
                     help="fixes initialisation, noise and data order (default 0)")
    run.add_argument("--out", default=None, metavar="RUN_DIR",
                     help="run folder (default: runs/<model>-<dataset>-<timestamp>)")
    run.add_argument("--resume", default=None, metavar="RUN_DIR",
                     help="continue the run in RUN_DIR (or a checkpoint file) where it stopped")
    run.add_argument("--allow-batch-change", action="store_true",
                     help="with --resume: take the --batch-size given (per rank) although it changes the global "
                          "batch and so the data order from here on; without it a resume on another number of "
                          "ranks keeps the global batch")
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
    stabilisers.add_arguments(parser)
    parser.add_argument_group("task").add_argument(
        "--task", choices=sorted({f.task for f in families()}), default=None,
        help="gan: noise -> image (default); another task picks the family that serves it (inpaint: --model "
             "inpaint, an encoder-decoder that completes masked digits; complete images with `minigan inpaint`)")
    add_family_arguments(parser)
    return _run_train


def add_family_arguments(parser: argparse.ArgumentParser) -> None:
    """One argument group per family with options of its own, generated from its Options dataclass; an
    option several families share (--class-weight) is listed once, in the first family's group."""
    seen: dict[str, list[str]] = {}
    for family in families():
        for f in dataclasses.fields(family.Options):
            seen.setdefault(f.name, []).append(family.name)
    done = set()
    for family in families():
        fields = [f for f in dataclasses.fields(family.Options) if f.name not in done]
        if not fields:
            continue
        group = parser.add_argument_group(f"--model {family.name}", family.help)
        for f in fields:
            done.add(f.name)
            flag = "--" + f.name.replace("_", "-")
            users = seen[f.name]
            applies = "" if len(users) == 1 else f" [--model {', '.join(users)}]"
            text = f"{f.metadata.get('help', '')} (default {f.default}){applies}"
            if f.type in (bool, "bool"):
                group.add_argument(flag, dest=f.name, action="store_const", const=True, default=None, help=text)
                group.add_argument("--no-" + f.name.replace("_", "-"), dest=f.name, action="store_const", const=False,
                                   help=f"the opposite of {flag}")
                continue
            kind = {"int": _positive_int, "float": float, "str": str}.get(str(f.type), str)
            group.add_argument(flag, dest=f.name, type=kind, default=None, choices=f.metadata.get("choices"),
                               metavar=f.metadata.get("metavar"), help=text)


def family_option_names() -> set:
    return {f.name for family in families() for f in dataclasses.fields(family.Options)}


_TRAIN_OPTIONS = {  # argparse dest -> TrainConfig field
    "model": "model", "latent_dim": "latent_dim", "width": "width", "loss": "loss", "g_loss": "g_loss",
    "label_smoothing": "label_smoothing", "lsgan_a": "lsgan_a", "lsgan_b": "lsgan_b", "lsgan_c": "lsgan_c",
    "lr_g": "lr_g", "lr_d": "lr_d", "beta1": "beta1", "beta2": "beta2", "n_critic": "n_critic",
    "dataset": "dataset", "data_dir": "data_dir", "download": "download", "epochs": "epochs",
    "batch_size": "batch_size", "max_steps": "max_steps", "device": "device", "seed": "seed", "out": "out",
    "checkpoint_every": "checkpoint_every", "samples": "n_samples", "progress": "progress",
    "eval_every": "eval_every", "eval_n": "eval_n", "sync_batchnorm": "sync_batchnorm",
}


def _ranks(trainer) -> str:
    """'; 2 ranks x batch 32 = global batch 64 (pids ...)' for a data-parallel run, else ''."""
    world = trainer.world
    if world.size == 1:
        return ""
    pids = world.allgather_obj(os.getpid())   # hydra names a killed rank by its pid only
    return (f"; {world.size} ranks x batch {trainer.config.batch_size} = global batch "
            f"{trainer.config.batch_size * world.size} (pids by rank: {', '.join(map(str, pids))})")


def _run_train(args: argparse.Namespace) -> int:
    given = {field: getattr(args, dest) for dest, field in _TRAIN_OPTIONS.items() if getattr(args, dest) is not None}
    given.update({name: getattr(args, name) for name in family_option_names() if getattr(args, name, None) is not None})
    given = stabilisers.config_options(args, given, resuming=args.resume is not None)
    task = args.task
    if args.resume is not None:
        if "out" in given:
            raise UsageError("--out cannot be combined with --resume (the run continues in its own folder)")
        if task is not None:
            raise UsageError("--task cannot be combined with --resume (the run keeps its family)")
        if args.allow_batch_change:
            given["allow_batch_change"] = True
        hint = f"minigan train --resume {args.resume}" + (f" --max-steps {args.max_steps}" if args.max_steps else "")
        try:
            trainer = GANTrainer.from_checkpoint(args.resume, resume_hint=hint, **given)
        except ValueError as exc:
            if type(exc) is ValueError:  # a setting that cannot change on resume
                raise UsageError(str(exc)) from None
            raise
        print(f"resuming {trainer.run_dir} at step {trainer.step} (epoch {trainer.epoch + 1}, "
              f"batch {trainer.batch}){_ranks(trainer)}", flush=True)
    else:
        if args.allow_batch_change:
            raise UsageError("--allow-batch-change goes with --resume (a new run has no batch to change)")
        try:
            config = TrainConfig(task=task, **given).resolved().validate()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            trainer = GANTrainer(config, resume_hint=None)
        except ValueError as exc:
            if type(exc) is ValueError:  # options that do not fit together or with the data
                raise UsageError(str(exc)) from None
            raise
        limit = f" --max-steps {trainer.max_steps}" if trainer.max_steps is not None else ""
        trainer.resume_hint = f"minigan train --resume {trainer.run_dir}{limit}"
        print(f"training {trainer.config.model} ({trainer.config.loss} loss) on {trainer.config.dataset}, "
              f"device {trainer.device}, {trainer.steps_per_epoch} steps per epoch; run folder {trainer.run_dir}"
              f"{_ranks(trainer)}", flush=True)
    result = trainer.train()
    run_dir = result.run_dir
    status = "interrupted" if result.interrupted else "done"
    # epochs counted from 1, as the sample grids are named (samples_epoch_001.png: the first epoch)
    if trainer.batch > 0 or result.epoch == 0:
        where = f"in epoch {result.epoch + 1} of {trainer.epochs} ({result.epoch} done)"
    else:
        where = f"{result.epoch} of {trainer.epochs} epochs done"
    print(f"{status}: {result.step} steps, {where}", flush=True)
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


