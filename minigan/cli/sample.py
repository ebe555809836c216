"""``minigan sample`` and ``minigan info``."""
from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

from .. import __version__, backend
from ..gan import get_family, load_generator
from ..gan.core.sampling import labels_path, sample_generator
from .registry import CommandError, Handler, UsageError, command
from ..gan.core.arguments import device as _device
from ..gan.core.arguments import non_negative_int as _non_negative_int
from ..gan.core.arguments import png_path as _png_path
from ..gan.core.arguments import positive_int as _positive_int

@command("sample", help="draw images from a trained generator")
def _sample(parser: argparse.ArgumentParser) -> Handler:
    parser.description = ("Load a checkpoint's generator (eval mode) and save N images as a float32 .npy array "
                          "of shape (N, 1, 28, 28) with values in [-1, 1], plus an optional PNG grid. A conditional "
                          "checkpoint (cgan, cgan-concat, acgan) gives N/10 images per class in class order "
                          "(N a multiple of 10), or N of --class K, and writes their labels beside OUT as "
                          "OUT.labels.npy (int64, shape (N,)).")
    parser.add_argument("--checkpoint", required=True, metavar="PATH",
                        help="checkpoint file, or a run folder holding checkpoint.npz")
    parser.add_argument("--n", type=_positive_int, default=10000, help="number of images (default 10000)")
    parser.add_argument("--out", default="samples.npy", help="output .npy file (default samples.npy)")
    parser.add_argument("--grid", type=_png_path, default=None, metavar="PNG",
                        help="also save a grid of the first 64 images (.png)")
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="noise seed (default 0)")
    parser.add_argument("--device", type=_device, default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--batch-size", type=_positive_int, default=500, help="images per forward pass")
    parser.add_argument("--class", dest="class_index", type=_non_negative_int, default=None, metavar="K",
                        help="conditional checkpoints only: draw all N images of class K")
    return _run_sample


def _run_sample(args: argparse.Namespace) -> int:
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise CommandError(f"the folder of --out {args.out} does not exist")
    G, state = load_generator(args.checkpoint, device=args.device)
    try:  # N not a multiple of 10, --class out of range or for an unconditional model: usage errors
        labels = get_family(state["model"]).sampling_labels(G, args.n, args.class_index)
    except ValueError as exc:
        raise UsageError(f"{exc} ({args.checkpoint} holds a {state.get('model')!r} model)") from None
    images, labels = sample_generator(G, args.n, out=args.out, grid=args.grid, seed=args.seed, device=args.device,
                                      batch_size=args.batch_size, labels=labels)
    print(f"wrote {images.shape[0]} images {tuple(images.shape)} {images.dtype} in "
          f"[{float(images.min()):.3f}, {float(images.max()):.3f}] to {args.out}")
    if labels is not None:
        classes = (f"class {args.class_index}" if args.class_index is not None
                   else f"{args.n // len(np.unique(labels))} per class in class order")
        print(f"labels: {labels_path(args.out)} ({classes})")
    if args.grid:
        print(f"grid: {args.grid}")
    return 0


# ---- info -----------------------------------------------------------------------------------

@command("info", help="versions, array backends and devices")
def _info(parser: argparse.ArgumentParser) -> Handler:
    parser.description = "Print minigan's version, the NumPy/BLAS and CuPy backends, and the devices."
    return _run_info


def _blas_info() -> str:
    try:
        config = np.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.26 has no mode= argument
        return "unknown (numpy < 1.26 cannot report it)"
    except Exception as exc:  # pragma: no cover - defensive
        return f"unknown ({exc})"
    deps = (config or {}).get("Build Dependencies", {})
    parts = []
    for key in ("blas", "lapack"):
        dep = deps.get(key) or {}
        if dep:
            text = f"{key}: {dep.get('name', '?')} {dep.get('version', '')}".rstrip()
            parts.append(text)
    return "; ".join(parts) if parts else "unknown"


def _run_info(args: argparse.Namespace) -> int:
    print(f"minigan {__version__}")
    print(f"python {platform.python_version()} ({sys.executable})")
    print(f"numpy {np.__version__}; {_blas_info()}")
    cp, why_not = backend.cuda_status()
    devices = ["cpu"]
    if cp is None:
        print(f"cupy: not available ({why_not}); {backend.INSTALL_HINT}")
    else:
        try:
            count = cp.cuda.runtime.getDeviceCount()
            runtime = cp.cuda.runtime.runtimeGetVersion()
            print(f"cupy {cp.__version__}; CUDA runtime {runtime // 1000}.{(runtime % 1000) // 10}; "
                  f"{count} GPU(s)")
            for i in range(count):
                props = cp.cuda.runtime.getDeviceProperties(i)
                name = props.get("name", b"?")
                name = name.decode() if isinstance(name, bytes) else str(name)
                memory = props.get("totalGlobalMem", 0) / 2**30
                print(f"  cuda:{i}: {name}, {memory:.1f} GiB")
                devices.append(f"cuda:{i}")
        except Exception as exc:
            print(f"cupy {getattr(cp, '__version__', '?')}: installed but no usable GPU ({exc})")
    print(f"devices: {', '.join(devices)}")
    return 0


