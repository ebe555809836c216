"""Find MNIST / Fashion-MNIST on disk, download them if missing, and load one split.

Lookup order, first folder holding both files of the split wins:
  1. the `data_dir` argument (the CLI's --data-dir),
  2. $MINIGAN_DATA_DIR,
  3. the download cache, $XDG_CACHE_HOME/minigan/<dataset> (default ~/.cache/minigan/<dataset>),
  4. system folders (Debian's dataset-fashion-mnist installs /usr/share/datasets/fashion-mnist).
In 1 and 2 a per-dataset subfolder (DIR/mnist/, DIR/fashion-mnist/) is tried
before DIR itself, so one folder can hold several datasets. A folder the user named (1, or 2
when 1 is not given) must exist and hold the split's files: a typo is an error naming it,
never a silent fall-through to the cache and a download.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np

from .catalog import ALL_FILES, SPECS, SPLITS, DatasetSpec, check_split, get_spec
from .download import DEFAULT_TIMEOUT, download_file, verify_file
from .errors import DataError, DownloadError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

ENV_VAR = "MINIGAN_DATA_DIR"
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


def cache_dir(name: str) -> Path:
    """Where downloads of dataset `name` go: $XDG_CACHE_HOME/minigan/<name>, else ~/.cache/minigan/<name>."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says to ignore a relative value.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "minigan" / get_spec(name).name


def search_dirs(name: str, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for dataset `name`, in lookup order (they need not exist)."""
    spec = get_spec(name)
    # A flat folder named after another dataset (".../mnist") is never used for this one:
    # both datasets have the same file names, so that would load the wrong images silently.
    other_names = {n.lower() for s in SPECS.values() if s is not spec for n in s.folder_names}
    dirs: list[Path] = []
    for root in (data_dir, os.environ.get(ENV_VAR) or None):
        if root is None:
            continue
        root = Path(root).expanduser()
        dirs += [root / sub for sub in spec.folder_names]
        if root.name.lower() not in other_names:
            dirs.append(root)
    dirs.append(cache_dir(spec.name))
    dirs += spec.system_dirs
    return list(dict.fromkeys(dirs))  # drop repeats, keep order


def find_dataset_files(
    name: str, data_dir: str | os.PathLike | None = None, *, split: str | None = None
) -> dict[str, Path] | None:
    """Paths of the dataset's files from the first folder that holds them all, or None.

    Keys are the canonical names without .gz ('train-images-idx3-ubyte', ...);
    values may end in .gz or not. With `split` only that split's two files are
    required, otherwise all four. Never downloads.
    """
    bases = SPLITS[check_split(split)] if split is not None else ALL_FILES
    for folder in search_dirs(name, data_dir):
        found = {base: _find_file(folder, base) for base in bases}
        if all(found.values()):
            return found  # type: ignore[return-value]
    return None


def load_dataset(
    name: str,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    *,
    verify: bool = False,
    mirrors: list[str] | tuple[str, ...] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of 'mnist' or 'fashion-mnist' as (images, labels).

    images: (N, 28, 28) uint8; labels: (N,) uint8 in 0..9; N is 60000 for
    'train' and 10000 for 'test'. Files are looked up as the module docstring
    says; if absent and `download`, they are fetched from `mirrors` (default:
    the public ones) into the cache folder and their SHA-256 checked. Local
    files are checked structurally on every parse; `verify=True` also checks
    their SHA-256 (a full read, hence opt-in). The arrays are cached in memory
    per file and returned read-only, since later calls share them.
    """
    spec = get_spec(name)
    split = check_split(split)
    images_base, labels_base = SPLITS[split]
    _check_named_folder(spec, split, data_dir)
    found = find_dataset_files(spec.name, data_dir, split=split)
    if found is None:
        if not download:
            raise DataError(_not_found_message(spec, split, data_dir, download_error=None))
        found = _download_split(spec, split, data_dir, mirrors, timeout)
    elif verify:
        for base, path in found.items():
            verify_file(path, spec.gz_sha256[base], spec.idx_sha256[base])
    return _load_split(_file_key(found[images_base]), _file_key(found[labels_base]), spec.name, split)


def dataset_folder(name: str, split: str = "train", data_dir: str | os.PathLike | None = None) -> Path | None:
    """The folder ``load_dataset(name, split, data_dir)`` reads (or last downloaded) the split from, or None.

    What a run records as its data folder: `data_dir`, a subfolder of it or of $MINIGAN_DATA_DIR,
    the cache or a system folder, whichever the lookup order picks.

        dataset_folder("mnist", "train")   # PosixPath('/home/me/.cache/minigan/mnist')
    """
    found = find_dataset_files(name, data_dir, split=split)
    return next(iter(found.values())).parent if found else None


def _check_named_folder(spec: DatasetSpec, split: str, data_dir: str | os.PathLike | None) -> None:
    """DataError if the folder the user named (data_dir, else $MINIGAN_DATA_DIR) is missing, is a file,
    or holds neither the split's files nor a per-dataset subfolder with them."""
    named = (os.environ.get(ENV_VAR) or None) if data_dir is None else data_dir
    if named is None:
        return
    where = f"${ENV_VAR} ({named})" if data_dir is None else f"the data folder {named} (--data-dir, data_dir=)"
    root = Path(named).expanduser()
    if not root.exists():
        raise DataError(f"{where} does not exist")
    if not root.is_dir():
        raise DataError(f"{where} is a file, not a folder")
    bases = SPLITS[split]
    if any(all(_find_file(folder, base) for base in bases) for folder in search_dirs(spec.name, root)
           if folder == root or folder.parent == root):
        return
    files = " and ".join(f"{base}.gz" for base in bases)
    raise DataError(f"{where} does not hold {spec.name}'s {split} split: expected {files} (or uncompressed, "
                    f"without .gz) in it or in its subfolder {spec.folder_names[0]}/")


def clear_cache() -> None:
    """Forget the arrays parsed so far (the next load_dataset re-reads the files)."""
    _load_split.cache_clear()


def _find_file(folder: Path, base: str) -> Path | None:
    dotted = base.replace("-idx", ".idx")  # some copies use 'train-images.idx3-ubyte'
    for candidate in (base + ".gz", base, dotted + ".gz", dotted):
        path = folder / candidate
        if path.is_file():
            return path
    return None


def _download_split(
    spec: DatasetSpec,
    split: str,
    data_dir: str | os.PathLike | None,
    mirrors: list[str] | tuple[str, ...] | None,
    timeout: float,
) -> dict[str, Path]:
    folder = cache_dir(spec.name)
    found: dict[str, Path] = {}
    for base in SPLITS[split]:
        existing = _find_file(folder, base)
        if existing is not None:
            found[base] = existing
            continue
        try:
            found[base] = download_file(
                base + ".gz", folder, spec.mirrors if mirrors is None else mirrors,
                spec.gz_sha256[base], timeout=timeout,
            )
        except DownloadError as error:
            raise DataError(_not_found_message(spec, split, data_dir, download_error=error)) from error
    return found


def _not_found_message(
    spec: DatasetSpec, split: str, data_dir: str | os.PathLike | None, download_error: DownloadError | None
) -> str:
    searched = "\n".join(f"  {folder}" for folder in search_dirs(spec.name, data_dir))
    files = "\n".join(f"  {base}.gz" for base in ALL_FILES)
    if download_error is None:
        tail = "Downloading was turned off (download=False)."
    else:
        tail = f"Downloading failed: {download_error}"
    return (
        f"{spec.name} ({split} split) was not found.\n"
        f"Put these four files (gzipped, or uncompressed without .gz) in one folder:\n{files}\n"
        f"and pass that folder with --data-dir (data_dir= in Python) or set {ENV_VAR} to it. "
        f"{ENV_VAR} may also hold one subfolder per dataset "
        f"({', '.join(s.folder_names[0] + '/' for s in SPECS.values())}). "
        f"Downloads go to {cache_dir(spec.name)}.\n"
        f"Folders searched, in order:\n{searched}\n{tail}"
    )


def _file_key(path: Path) -> tuple[str, int, int]:
    # mtime and size in the key: a file replaced on disk is parsed again, not served stale.
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_split(images_key: tuple, labels_key: tuple, name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_path, labels_path = Path(images_key[0]), Path(labels_key[0])
    images = read_idx(images_path, magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, magic=LABELS_MAGIC)
    _validate(images, labels, images_path, labels_path, SPECS[name], split)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _validate(
    images: np.ndarray, labels: np.ndarray, images_path: Path, labels_path: Path, spec: DatasetSpec, split: str
) -> None:
    if images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, {spec.name} images are 28x28")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels; "
            "the two files do not belong together"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        index = int(np.argmax(labels >= NUM_CLASSES))
        raise DataError(f"{labels_path}: label {labels[index]} at index {index} is outside 0..{NUM_CLASSES - 1}")
    expected = spec.label_counts[split]
    if len(labels) == sum(expected):
        counts = tuple(int(c) for c in np.bincount(labels, minlength=NUM_CLASSES))
        if counts != expected:
            lookalike = [s.name for s in SPECS.values() if s.label_counts[split] == counts]
            hint = f"; they look like {lookalike[0]}" if lookalike else ""
            raise DataError(
                f"{labels_path}: these are not {spec.name} {split} labels: class counts {counts}, "
                f"expected {expected}{hint}. Keep each dataset in its own subfolder "
                f"(DIR/{spec.folder_names[0]}/)."
            )
