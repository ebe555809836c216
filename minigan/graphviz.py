"""Export the graph behind a tensor as Graphviz DOT, for people studying the engine."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .atomic import atomic_write
from .autograd import Tensor


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _label(t: Tensor) -> str:
    name = f"{_escape(t.name)}\\n" if t.name else ""
    return f"{name}{tuple(t.shape)} {t.dtype}"


def to_dot(tensor: Tensor, show_values: bool = False) -> str:
    """DOT text: tensors as boxes (shape, dtype), functions as ellipses, edges in data-flow order.

    Walks the graph iteratively, so deep graphs are fine. A graph already freed by
    backward shows its functions with no inputs.
    """
    lines = ["digraph minigan {", '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=10];']
    seen_t: set[int] = set()
    seen_f: set[int] = set()

    def tensor_node(t: Tensor) -> str:
        tid = f"t{id(t)}"
        if id(t) not in seen_t:
            seen_t.add(id(t))
            color = "lightblue" if t.creator is None and t.requires_grad else (
                "lightgrey" if t.creator is None else "white")
            label = _label(t)
            if show_values and t.numel() <= 4:
                label += "\\n" + str(t.numpy().round(4).tolist())
            lines.append(f'  {tid} [shape=box, style=filled, fillcolor={color}, label="{label}"];')
        return tid

    stack = [tensor]
    tensor_node(tensor)
    while stack:
        t = stack.pop()
        f = t.creator
        if f is None:
            continue
        fid = f"f{id(f)}"
        lines.append(f"  {fid} -> t{id(t)};")
        if id(f) in seen_f:
            continue
        seen_f.add(id(f))
        lines.append(f'  {fid} [shape=ellipse, style=filled, fillcolor=lightyellow, label="{_escape(f.name)}"];')
        for x in getattr(f, "inputs", None) or ():
            lines.append(f"  {tensor_node(x)} -> {fid};")
            stack.append(x)
    lines.append("}")
    # edges can repeat when a tensor feeds a function twice; keep the first of each
    out, seen_lines = [], set()
    for line in lines:
        if "->" in line:
            if line in seen_lines:
                continue
            seen_lines.add(line)
        out.append(line)
    return "\n".join(out) + "\n"


def render_graph(tensor: Tensor, path: str | Path, fmt: str = "png") -> Path:
    """Write DOT to `path` (.dot) and, when Graphviz's `dot` is installed, render `path` as PNG/SVG."""
    path = Path(path)
    dot_text = to_dot(tensor)
    dot_path = path.with_suffix(".dot")
    with atomic_write(dot_path) as handle:
        handle.write(dot_text.encode())
    exe = shutil.which("dot")
    if exe is None:
        return dot_path
    out = path.with_suffix("." + fmt)
    subprocess.run([exe, f"-T{fmt}", str(dot_path), "-o", str(out)], check=True, capture_output=True)
    return out
