"""The `minigan eval` and `minigan train-classifier` subcommands.

minigan/cli.py registers them on its subparsers:

    from .gan.eval_cli import add_eval_parser, add_train_classifier_parser
    add_eval_parser(subparsers); add_train_classifier_parser(subparsers)

Each parser sets `func` (the handler, args -> exit status: 0 ok, 1 a
failure the user can fix, with a one-line message). `python -m
minigan.gan.eval_cli eval ...` runs them without the main CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DATASETS = ("mnist", "fashion-mnist")


def add_eval_parser(subparsers) -> argparse.ArgumentParser:
    """Add `eval`: FID, Inception Score and class coverage of a generator or of saved samples."""
    parser = subparsers.add_parser(
        "eval", help="score a generator: FID, Inception Score, class coverage, with a real-data baseline",
        description="Score generated digits with minigan's own classifier (shipped in minigan/weights/): "
                    "FID on its 128-d features against the test set, Inception Score from its softmax, and the "
                    "class histogram. A real-vs-real baseline (N training images vs the test set) is printed "
                    "beside every number: a perfect generator scores about the baseline, not zero.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", metavar="PATH", help="a checkpoint written by `minigan train`")
    source.add_argument("--samples", metavar="PATH",
                        help="a .npy (or .npz) of images: float in [-1, 1] shaped (N, 1, 28, 28) or (N, 28, 28), "
                             "or uint8 in 0..255")
    parser.add_argument("--n", type=_positive_int, default=None,
                        help="number of images to score (default: 10000 from a checkpoint, all of --samples)")
    parser.add_argument("--dataset", choices=DATASETS, default=None,
                        help="the real data to compare with (default: the checkpoint's dataset, else mnist)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the dataset files (else $MINIGAN_DATA_DIR, the cache, system folders)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors drawn from a checkpoint")
    parser.add_argument("--batch-size", type=_positive_int, default=250, help="images per forward pass")
    parser.add_argument("--classifier", metavar="PATH", default=None,
                        help="a classifier .npz from `minigan train-classifier` (default: the shipped one)")
    parser.add_argument("--reference", default="auto", metavar="auto|stored|data|PATH",
                        help="test-set feature statistics: 'stored' in the classifier file (works offline), "
                             "'data' computed from the test set now, an .npz with mu/sigma, or 'auto' "
                             "(stored when present; default)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the real-vs-real baseline")
    parser.set_defaults(func=run_eval)
    return parser


def add_train_classifier_parser(subparsers) -> argparse.ArgumentParser:
    """Add `train-classifier`: train the digit classifier that eval scores with."""
    parser = subparsers.add_parser(
        "train-classifier", help="train the digit classifier behind `minigan eval` (ships in minigan/weights/)",
        description="Train minigan's LeNet-style classifier (conv-pool-conv-pool-128-10) with minigan itself, "
                    "measure its test accuracy, and save its weights with the test-set feature statistics and "
                    "the real-vs-real baseline into one .npz that `minigan eval` reads.")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist")
    parser.add_argument("--out", metavar="PATH", default=None,
                        help="where to write the .npz (default: the package's minigan/weights/classifier-<dataset>.npz)")
    parser.add_argument("--epochs", type=_positive_int, default=5, help="passes over the 60,000 images (default 5)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the initialisation and the batch order (default 0, the shipped weights')")
    parser.add_argument("--batch-size", type=_positive_int, default=64, help="default 64")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's starting learning rate (cosine-decayed)")
    parser.add_argument("--channels", type=_channels, default=None, metavar="C1,C2",
                        help="conv widths (default 16,32)")
    parser.add_argument("--data-dir", metavar="DIR", default=None,
                        help="folder holding the dataset files (else $MINIGAN_DATA_DIR, the cache, system folders)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    parser.add_argument("--train-limit", type=_positive_int, default=None, help=argparse.SUPPRESS)  # for tests
    parser.add_argument("--baseline-n", type=_positive_int, default=10_000, help=argparse.SUPPRESS)
    parser.set_defaults(func=run_train_classifier)
    return parser


def run_eval(args) -> int:
    """Handler of `minigan eval`: print the report, optionally write JSON; 0 on success."""
    from ..serialization import CheckpointError
    from . import metrics
    from .sampling import generate

    try:
        dataset = args.dataset
        if args.samples is not None:
            samples = metrics.load_samples(args.samples)
            if args.n is not None:
                if args.n > len(samples):
                    print(f"note: --n {args.n} but {args.samples} holds {len(samples)} images; scoring all of them",
                          file=sys.stderr)
                samples = samples[: args.n]
            source = {"samples": str(args.samples)}
        else:
            generator, checkpoint_dataset = _load_generator(args.checkpoint, args.device)
            dataset = dataset or checkpoint_dataset
            n = args.n or metrics.DEFAULT_N
            samples = generate(generator, n, device=args.device, seed=args.seed, batch_size=args.batch_size)
            source = {"checkpoint": str(args.checkpoint), "seed": args.seed}
        dataset = dataset or "mnist"
        result = metrics.evaluate_samples(samples, dataset, classifier=args.classifier, reference=args.reference,
                                          baseline=not args.no_baseline, data_dir=args.data_dir,
                                          device=args.device, batch_size=args.batch_size)
    except (CheckpointError, ValueError, TypeError, FileNotFoundError, RuntimeError, KeyError) as error:
        print(f"minigan eval: error: {error}", file=sys.stderr)
        return 1
    result.update(source)
    print(metrics.format_report(result))
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2, default=_jsonable) + "\n", encoding="utf-8")
        print(f"wrote {path}")
    return 0


def run_train_classifier(args) -> int:
    """Handler of `minigan train-classifier`: train, report, save; 0 on success."""
    from .classifier import DEFAULT_CHANNELS, save_classifier, train_classifier, weights_path

    channels = args.channels or DEFAULT_CHANNELS
    out = Path(args.out) if args.out else weights_path(args.dataset)
    command = (f"minigan train-classifier --dataset {args.dataset} --epochs {args.epochs} --seed {args.seed} "
               f"--batch-size {args.batch_size} --lr {args.lr:g} --channels {channels[0]},{channels[1]} "
               f"--device {args.device}")
    if args.train_limit:
        command += f" --train-limit {args.train_limit}"
    try:
        model, metadata, reference = train_classifier(
            args.dataset, epochs=args.epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
            channels=channels, data_dir=args.data_dir, device=args.device, baseline_n=args.baseline_n,
            train_limit=args.train_limit)
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"minigan train-classifier: error: {error}", file=sys.stderr)
        return 1
    metadata["command"] = command
    path = save_classifier(model, out, metadata, reference)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB): {args.dataset} test accuracy "
          f"{metadata['test_accuracy']:.4f}")
    return 0


def _load_generator(checkpoint, device: str):
    """(generator in eval mode, the dataset it was trained on or None) from a `minigan train` checkpoint."""
    from .checkpoint import load_generator

    generator, state = load_generator(checkpoint, device=device)
    config = state.get("config") if isinstance(state, dict) else None
    return generator, (config or {}).get("dataset") if isinstance(config, dict) else None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _channels(text: str) -> tuple[int, int]:
    try:
        c1, c2 = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two widths like 32,64, got {text!r}") from None
    if c1 < 1 or c2 < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive, got {text!r}")
    return c1, c2


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="minigan")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_eval_parser(subparsers)
    add_train_classifier_parser(subparsers)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
