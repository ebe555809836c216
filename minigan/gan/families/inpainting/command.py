"""``minigan inpaint`` (complete images with a ``--task inpaint`` checkpoint) and ``minigan eval``'s inpainting part.

    minigan inpaint --checkpoint runs/inpaint --mask center --n 10000 --out c.npy --grid c.png
    minigan inpaint --checkpoint runs/inpaint --images x.npy --masks m.npy --out c.npy
    minigan eval --checkpoint runs/inpaint --mask bottom-half        # or: minigan eval --inpaint c.npy --mask center

Without --images the first N test images of the run's dataset are completed, in dataset
order, so `minigan eval --inpaint c.npy` knows which originals and labels they belong to.
Masks: --masks FILE (1 = hidden), else --mask KIND (random kinds drawn from --mask-seed).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ....data import DATASETS, load_dataset
from ...core.arguments import device, non_negative_int, png_path, positive_int
from ...core.checkpoint import load_checkpoint
from ...core.commands import CommandError, UsageError, write_report
from ...core.sampling import save_npy
from .api import check_images, inpaint, load_images, load_masks
from .checkpoint import checkpoint_task, load_inpainting_generator
from .grid import save_inpainting_grid
from .masks import MASK_KINDS, MaskSampler
from .metrics import evaluate_inpainting, format_inpainting_report

__all__ = ["COMMANDS", "run_inpaint", "run_inpaint_eval", "add_eval_arguments", "is_inpainting_checkpoint"]

GRID_EXAMPLES = 16  # examples in --grid (4 per row, each masked | completion | original)
_ERRORS = (ValueError, TypeError, RuntimeError, KeyError)


def _inpaint(parser: argparse.ArgumentParser):
    parser.description = ("Complete the hidden pixels of images with an inpainting checkpoint's generator (eval "
                          "mode) and save them as float32 (N, 1, 28, 28) in [-1, 1]; visible pixels are the "
                          "input's exactly. Default input: the first N test images, in dataset order.")
    parser.add_argument("--checkpoint", required=True, metavar="RUN", help="checkpoint file or run folder")
    _input_arguments(parser)
    parser.add_argument("--n", type=positive_int, default=None,
                        help="test images to complete (default 10000; all of --images)")
    parser.add_argument("--dataset", choices=list(DATASETS), default=None,
                        help="the test images' dataset (default: the checkpoint's)")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the dataset files (default: the run's, if it still exists)")
    parser.add_argument("--out", required=True, metavar="NPY", help="where to write the completions (.npy)")
    parser.add_argument("--grid", type=png_path, default=None, metavar="PNG",
                        help=f"also save masked | completion | original for the first {GRID_EXAMPLES} images")
    parser.add_argument("--save-masks", default=None, metavar="NPY", help="also save the masks used (.npy)")
    parser.add_argument("--device", type=device, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--batch-size", type=positive_int, default=500, help="images per forward pass")
    return run_inpaint


def _input_arguments(parser: argparse.ArgumentParser) -> None:
    """--images/--masks/--mask/--mask-seed: shared by `inpaint` and `eval`'s inpainting (both have --n, --dataset,
    --data-dir of their own)."""
    parser.add_argument("--images", metavar="NPY", default=None,
                        help="complete these images instead: .npy/.npz, float in [-1, 1] or uint8, (N, 1, 28, 28) "
                             "or (N, 28, 28)")
    parser.add_argument("--masks", metavar="NPY", default=None,
                        help="one mask per image (1 = hidden, 0 = visible), (N, 1, 28, 28) or (N, 28, 28)")
    parser.add_argument("--mask", choices=list(MASK_KINDS), default=None,
                        help="mask every image this way when no --masks are given (default center)")
    parser.add_argument("--mask-seed", type=non_negative_int, default=0,
                        help="seed of the random mask kinds (default 0)")


def _run_data(state: dict | None, args) -> tuple[str, str | None]:
    """(dataset, data dir): the command line's, else the run's (its data dir only if it still exists)."""
    config = (state or {}).get("config") or {}
    dataset = args.dataset or config.get("dataset") or "mnist"
    data_dir = args.data_dir or config.get("data_dir")
    return dataset, (data_dir if args.data_dir or (data_dir and Path(data_dir).is_dir()) else None)


def _inputs(args, state: dict | None, n_default: int | None = 10_000):
    """(images float32 (N, 1, 28, 28), masks, labels or None, dataset, data dir) as the options ask."""
    if args.masks is not None and args.mask is not None:
        raise UsageError("give --masks FILE or --mask KIND, not both")
    dataset, data_dir = _run_data(state, args)
    if args.images is not None:
        images = load_images(args.images)
        images, labels = (images[: args.n] if args.n else images), None
    else:
        raw, labels = load_dataset(dataset, "test", data_dir=data_dir)
        count = min(args.n or n_default or len(raw), len(raw))
        images, labels = check_images(raw[:count], name=f"{dataset} test images"), np.asarray(labels[:count])
    if args.masks is not None:
        masks = load_masks(args.masks, len(images))
    else:
        masks = MaskSampler(args.mask or "center", seed=args.mask_seed).sample(len(images))
    return images, masks, labels, dataset, data_dir


def run_inpaint(args) -> int:
    """Handler of `minigan inpaint`."""
    for option in ("out", "grid", "save_masks"):
        path = getattr(args, option)
        if path is not None and not Path(path).absolute().parent.is_dir():
            raise CommandError(f"the folder of --{option.replace('_', '-')} {path} does not exist")
    generator, state = load_inpainting_generator(args.checkpoint, device=args.device)
    try:
        images, masks, _, _, _ = _inputs(args, state)
        completed = inpaint(generator, images, masks, batch_size=args.batch_size, device=args.device)
    except _ERRORS as error:
        raise CommandError(str(error)) from None
    save_npy(args.out, completed)
    hidden = float(masks.mean())
    print(f"wrote {len(completed)} completions {tuple(completed.shape)} {completed.dtype} to {args.out} "
          f"({hidden:.1%} of pixels were hidden)")
    if args.save_masks:
        save_npy(args.save_masks, masks)
        print(f"masks: {args.save_masks}")
    if args.grid:
        k = min(GRID_EXAMPLES, len(images))
        save_inpainting_grid(args.grid, images[:k], masks[:k], completed[:k], per_row=min(4, k))
        print(f"grid: {args.grid}")
    return 0


# ---- minigan eval for inpainting --------------------------------------------------------------
def add_eval_arguments(parser: argparse.ArgumentParser, source) -> None:
    """`minigan eval`'s inpainting options: --inpaint FILE in the source group, the mask options."""
    source.add_argument("--inpaint", metavar="NPY", default=None,
                        help="completions written by `minigan inpaint` (of the first N test images, or of --images)")
    _input_arguments(parser)


def is_inpainting_checkpoint(path) -> bool:
    return path is not None and checkpoint_task(load_checkpoint(path)) == "inpaint"


def run_inpaint_eval(args) -> int:
    """`minigan eval --inpaint c.npy` or `--checkpoint` of an inpainting run: accuracy, FID, L1, PSNR."""
    state = None
    try:
        if args.inpaint is not None:
            completed = load_images(args.inpaint)
            if args.n is None:
                args.n = len(completed)
            images, masks, labels, dataset, data_dir = _inputs(args, None, n_default=len(completed))
            if len(images) != len(completed):
                raise ValueError(f"{args.inpaint} holds {len(completed)} completions but {len(images)} originals "
                                 f"were found; they must pair up (use the --n, --images of `minigan inpaint`)")
            source = {"inpaint": str(args.inpaint)}
        else:
            generator, state = load_inpainting_generator(args.checkpoint, device=args.device)
            images, masks, labels, dataset, data_dir = _inputs(args, state)
            completed = inpaint(generator, images, masks, batch_size=args.batch_size, device=args.device)
            source = {"checkpoint": str(args.checkpoint)}
        result = evaluate_inpainting(completed, images, masks, labels, classifier=args.classifier or dataset,
                                     dataset=dataset, reference=args.reference, fid=len(completed) >= 2,
                                     data_dir=data_dir, device=args.device, batch_size=args.batch_size)
    except _ERRORS as error:
        raise CommandError(str(error)) from None
    result.update(source, mask=args.mask or ("file " + str(args.masks) if args.masks else "center"))
    print(f"mask: {result['mask']}")
    print(format_inpainting_report(result))
    if args.json:
        write_report(args.json, result)
    return 0


# The family's own subcommands (Family.commands): (name, help, setup(parser) -> handler).
COMMANDS = (("inpaint", "complete masked digits with a `minigan train --task inpaint` checkpoint", _inpaint),)
