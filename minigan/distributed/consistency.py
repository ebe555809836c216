"""Every rank must run the same code on the same config: checked once, before the first step.

A rank started from another checkout, or with another flag, trains a different model and
all-reduces its gradients into everyone's; nothing fails, the run is just wrong. So the
trainer calls `check_same` after `init`: it gathers every rank's config and a digest of its
minigan source and raises the same one-line error on every rank if any differs::

    check_same(config.to_dict(), source_digest())
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .failure import DistributedError, on_every_rank
from .world import get_world

__all__ = ["check_same", "source_digest"]

_PACKAGE = Path(__file__).resolve().parents[1]


def source_digest(root: "str | Path | None" = None) -> str:
    """SHA-256 (hex) of every ``*.py`` file under `root` (default: the minigan package), with paths."""
    root = Path(root) if root is not None else _PACKAGE
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _canonical(config: dict) -> str:
    return json.dumps(config, sort_keys=True, default=repr)


def check_same(config: dict, code_version: str, world=None) -> None:
    """Raise RuntimeError on every rank unless all ranks pass an equal `config` and `code_version`.

    `config` is a JSON-like dict (values that JSON cannot hold are compared by repr);
    `code_version` is any string naming the code (`source_digest()`, a git commit). The
    error names the first rank that differs from rank 0 and what differs: the config keys
    with both values, or the code. One process: nothing to compare, returns at once.
    """
    world = world if world is not None else get_world()
    if world.size == 1:
        return
    if not isinstance(config, dict):
        raise TypeError(f"check_same: config must be a dict, got {type(config).__name__}")
    text = _canonical(config)
    mine = (hashlib.sha256(text.encode()).hexdigest(), str(code_version), text, world.node)
    everyone = world.allgather_obj(mine)
    first = everyone[0]
    for rank, theirs in enumerate(everyone[1:], start=1):
        if theirs[1] != first[1]:
            raise on_every_rank(DistributedError(
                f"check_same: rank {rank} (node {theirs[3]}) runs other code than rank 0 (node {first[3]}): code "
                f"version {theirs[1][:12]} vs {first[1][:12]}; start every rank from the same checkout"))
        if theirs[0] != first[0]:
            raise on_every_rank(DistributedError(
                f"check_same: rank {rank} (node {theirs[3]}) has another config than rank 0: "
                f"{_differences(json.loads(first[2]), json.loads(theirs[2]), rank)}"))


def _differences(base: dict, other: dict, rank: int, limit: int = 3) -> str:
    def show(config: dict, key) -> str:
        return repr(config[key]) if key in config else "<absent>"

    keys = sorted(set(base) | set(other), key=str)
    diffs = [f"{k}={show(base, k)} on rank 0, {show(other, k)} on rank {rank}"
             for k in keys if show(base, k) != show(other, k)]
    more = f" (and {len(diffs) - limit} more)" if len(diffs) > limit else ""
    return "; ".join(diffs[:limit]) + more
