"""``minigan eval`` (score a generator or saved samples) and ``minigan train-classifier``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from .. import __version__, evaluation
from ..data import DATASETS
from ..gan import families, get_family, load_generator
from ..gan.core.sampling import interleave_classes, labels_path
from ..evaluation.class_report import evaluate_class_samples, format_class_report
from .outputs import check_writable, classifier_out, warn_small_fid_n
from .registry import CommandError, Handler, UsageError, command, write_report
from ..gan.core.arguments import channels, device, non_negative_int, positive_float, positive_int

# What a bad samples file, classifier file or option combination raises on the way: exit 1 with its message.
_EVAL_ERRORS = (ValueError, TypeError, RuntimeError, KeyError)


@command("eval", help="score a generator: FID, Inception Score, class coverage, with a real-data baseline")
def _eval(parser: argparse.ArgumentParser) -> Handler:
    parser.description = ("Score generated digits with minigan's own classifier (shipped in minigan/weights/): "
                          "FID on its 128-d features against the test set, Inception Score from its softmax, and "
                          "the class histogram. A real-vs-real baseline (N training images vs the test set) is "
                          "printed beside every number: a perfect generator scores about the baseline, not zero. "
                          "For a conditional checkpoint (N/10 samples per class) or --samples S.npy with "
                          "S.labels.npy beside it, also the class accuracy (the classifier's test accuracy is its "
                          "baseline) and the per-class FID at equal N, with its mean.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", metavar="PATH", help="a checkpoint written by `minigan train`")
    source.add_argument("--samples", metavar="PATH",
                        help="a .npy (or .npz) of images: float in [-1, 1] shaped (N, 1, 28, 28) or (N, 28, 28), "
                             "or uint8 in 0..255")
    for family in families():   # options one family reads (inpainting: --inpaint FILE, --mask, --masks, --images)
        family.add_eval_arguments(parser, source)
    parser.add_argument("--n", type=positive_int, default=None,
                        help="number of images to score (default: 10000 from a checkpoint, all of --samples)")
    parser.add_argument("--dataset", choices=list(DATASETS), default=None,
                        help="the real data to compare with (default: the checkpoint's dataset, else mnist)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the dataset files (default: the one a --checkpoint run was trained "
                             "with, if it still exists; else $MINIGAN_DATA_DIR, the cache, system folders)")
    parser.add_argument("--device", type=device, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the latent vectors drawn from a checkpoint")
    parser.add_argument("--batch-size", type=positive_int, default=250, help="images per forward pass")
    parser.add_argument("--classifier", metavar="PATH", default=None,
                        help="a classifier .npz from `minigan train-classifier` (default: the shipped one)")
    parser.add_argument("--reference", default="auto", metavar="auto|stored|data|PATH",
                        help="test-set feature statistics: 'stored' in the classifier file (works offline), "
                             "'data' computed from the test set now, an .npz with mu/sigma, or 'auto' "
                             "(stored when present; default)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the real-vs-real baseline")
    return run_eval


@command("train-classifier", help="train the digit classifier behind `minigan eval` (ships in minigan/weights/)")
def _train_classifier(parser: argparse.ArgumentParser) -> Handler:
    parser.description = ("Train minigan's LeNet-style classifier (conv-pool-conv-pool-128-10) with minigan itself, "
                          "measure its test accuracy, and save its weights with the test-set feature statistics "
                          "and the real-vs-real baseline into one .npz that `minigan eval` reads.")
    parser.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    parser.add_argument("--out", metavar="PATH", default=None,
                        help="where to write the .npz (default: ./classifier-<dataset>.npz; a path inside the "
                             "installed package, such as its shipped minigan/weights/, needs --force)")
    parser.add_argument("--force", action="store_true",
                        help="allow --out to replace a classifier shipped inside the package")
    parser.add_argument("--epochs", type=positive_int, default=5, help="passes over the 60,000 images (default 5)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seeds the initialisation and the batch order (default 0, the shipped weights')")
    parser.add_argument("--batch-size", type=positive_int, default=64, help="default 64")
    parser.add_argument("--lr", type=positive_float, default=1e-3,
                        help="Adam's starting learning rate (cosine-decayed)")
    parser.add_argument("--channels", type=channels, default=None, metavar="C1,C2", help="conv widths (default 16,32)")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the dataset files (else $MINIGAN_DATA_DIR, the cache, system folders)")
    parser.add_argument("--device", type=device, default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--train-limit", type=positive_int, default=None, help=argparse.SUPPRESS)  # for tests
    parser.add_argument("--baseline-n", type=positive_int, default=10_000, help=argparse.SUPPRESS)
    return run_train_classifier


def _checkpoint_run(checkpoint, device: str):
    """(generator in eval mode, its family, the run's dataset or None, the run's data dir if it still exists or
    None)."""
    generator, state = load_generator(checkpoint, device=device)
    config = state.get("config") if isinstance(state, dict) else None
    config = config if isinstance(config, dict) else {}
    data_dir = config.get("data_dir")
    return (generator, get_family(state["model"]), config.get("dataset"),
            (data_dir if data_dir and Path(data_dir).is_dir() else None))


def _samples_labels(samples: str, n: int):
    """The labels file beside a samples file (S.labels.npy), read without pickles, or None when there is none."""
    path = labels_path(samples)
    if not path.is_file():
        return None
    try:
        labels = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the labels file {path}: {' '.join(str(exc).split())}") from None
    if labels.dtype.kind not in "iu":
        raise CommandError(f"{path}: labels must be integer class indices (int64), got dtype {labels.dtype} "
                           f"of shape {labels.shape}")
    if labels.shape != (n,):
        raise CommandError(f"{path}: labels of shape {labels.shape} do not match the {n} images of {samples}; "
                           f"expected shape ({n},)")
    return labels.astype(np.int64)


def run_eval(args) -> int:
    """Handler of `minigan eval`: print the report, optionally write JSON; 0 on success."""
    check_writable(args.json, "--json")  # before minutes of scoring, not after
    for family in families():
        handled = family.run_eval(args)
        if handled is not None:
            return handled
    dataset, data_dir = args.dataset, args.data_dir
    labels = None   # the classes the samples were drawn for (a conditional family's)
    family = None
    try:
        if args.samples is not None:
            samples = evaluation.load_samples(args.samples)
            labels = _samples_labels(args.samples, len(samples))
            if args.n is not None:
                if args.n > len(samples):
                    print(f"note: --n {args.n} but {args.samples} holds {len(samples)} images; scoring all of them",
                          file=sys.stderr)
                samples = samples[: args.n]
                labels = None if labels is None else labels[: args.n]
            source = {"samples": str(args.samples)}
            if labels is not None:
                source["labels"] = str(labels_path(args.samples))
            dataset = dataset or "mnist"
            classifier = args.classifier
            if labels is not None:  # one classifier for both reports
                classifier = evaluation.load_classifier(classifier or dataset, device=args.device)
            mixed = samples if labels is None else samples[interleave_classes(labels)]  # IS splits: every class
            result = evaluation.evaluate_samples(mixed, dataset, classifier=classifier,
                                                 reference=args.reference, baseline=not args.no_baseline,
                                                 data_dir=data_dir, device=args.device, batch_size=args.batch_size)
            if labels is not None:
                result.update(evaluate_class_samples(samples, labels, dataset, classifier=classifier,
                                                     data_dir=data_dir, device=args.device,
                                                     batch_size=args.batch_size, baseline=not args.no_baseline))
        else:
            generator, family, run_dataset, run_data_dir = _checkpoint_run(args.checkpoint, args.device)
            dataset = dataset or run_dataset or "mnist"
            data_dir = data_dir or run_data_dir
            n = args.n or evaluation.DEFAULT_N
            try:
                result = family.evaluate_generator(generator, n, dataset=dataset, seed=args.seed, device=args.device,
                                                   batch_size=args.batch_size, classifier=args.classifier,
                                                   reference=args.reference, baseline=not args.no_baseline,
                                                   data_dir=data_dir)
            except ValueError as exc:
                if "multiple of" in str(exc):
                    raise UsageError(f"--n: {exc} ({args.checkpoint} holds a {family.name} model)") from None
                raise
            source = {"checkpoint": str(args.checkpoint), "seed": args.seed}
    except _EVAL_ERRORS as error:
        raise CommandError(str(error)) from None
    result.update(source)
    warn_small_fid_n(int(result.get("n", 0)))  # beside the FID it is about
    print(evaluation.format_report(result))
    extra = family.format_report(result) if family is not None else (
        format_class_report(result) if labels is not None else "")
    if extra:
        print(extra)
    if args.json:
        write_report(args.json, result)
    return 0


def run_train_classifier(args) -> int:
    """Handler of `minigan train-classifier`: train, report, save; 0 on success."""
    chosen = args.channels or evaluation.DEFAULT_CHANNELS
    out = classifier_out(args.dataset, args.out, force=args.force)
    line = (f"minigan train-classifier --dataset {args.dataset} --epochs {args.epochs} --seed {args.seed} "
            f"--batch-size {args.batch_size} --lr {args.lr:g} --channels {chosen[0]},{chosen[1]} "
            f"--device {args.device}")
    if args.train_limit:
        line += f" --train-limit {args.train_limit}"
    try:
        model, metadata, reference = evaluation.train_classifier(
            args.dataset, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
            channels=chosen, data_dir=args.data_dir, device=args.device, baseline_n=args.baseline_n,
            train_limit=args.train_limit)
    except (ValueError, RuntimeError) as error:
        raise CommandError(str(error)) from None
    metadata["command"] = line
    metadata["minigan_version"] = __version__
    path = evaluation.save_classifier(model, out, metadata, reference)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB): {args.dataset} test accuracy "
          f"{metadata['test_accuracy']:.4f}")
    return 0
