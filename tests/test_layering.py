"""The import layering of minigan/, checked statically: every import statement (function-level and
TYPE_CHECKING ones included) is read with `ast`, and

1. no module imports from a higher layer than its own;
2. the modules do not import each other in a circle (a function-level import whose line says it breaks
   a circle, as in autograd/tensor.py, is the one documented exception: it runs after both modules exist);
3. every function-level import says why it is not at the top (a comment on its line or the line above
   naming the circle it breaks, or the heavy optional import it defers: matplotlib, cupy).

The layers, lowest first, by top-level name under minigan/ (data-driven: a name listed here that does
not exist yet is fine; a new top-level module or package must be placed here, or the test says so):
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "minigan"

LAYERS: list[tuple[str, set[str]]] = [
    # array-level helpers the engine stands on: NumPy/CuPy selection, the memory-layout rule,
    # threads, scratch buffers, the torch.cuda-style namespace, the CuPy stand-in (a testing tool the
    # backend loads in CuPy's place; it imports only NumPy), and atomic_write (standard library only:
    # serialization and data both write through it), the named (values, indices) results (collections only),
    # the run folder's lock (standard library only: the trainer takes it)
    ("base", {"launch", "backend", "layout", "parallel", "workspace", "cuda", "_cupy_standin", "atomic",
              "return_types", "runlock"}),
    ("autograd", {"autograd"}),
    # the ops, and what needs only Tensor/Function: tensor creation, graph drawing
    ("ops", {"ops", "creation", "graphviz"}),
    # data-parallel ranks: the communicator (MPI for NumPy, NCCL for CuPy) and the differentiable
    # all-reduce need arrays and Functions only, and duck-type modules and parameters, so they sit
    # below nn, where nn.SyncBatchNorm uses them; mpi4py and cupy are imported only when used
    ("distributed", {"distributed"}),
    ("nn", {"nn"}),
    # gradient checks and test helpers may build layers to check (minigan.testing, gradcheck)
    ("testing", {"gradcheck", "testing"}),
    ("optim/serialization", {"optim", "serialization"}),
    ("data", {"data", "utils"}),   # utils: PyTorch's torch.utils.data path to minigan.data
    ("evaluation/gan", {"evaluation", "gan"}),
    # the command line, and `minigan/__init__.py` ("<root>"), the public facade: it imports every
    # layer (nn, optim, data, gan on first use), so only the command line may import it (its version).
    ("cli/facade", {"cli", "__main__", "<root>"}),
]
RANK = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}

# Imports allowed to point upward, each (importing module, imported module); none today.
ALLOWED_UPWARD: set[tuple[str, str]] = set()
# Circles allowed among modules: sets of the modules in the circle; none today.
ALLOWED_CYCLES: set[frozenset[str]] = set()

# Inside minigan.gan, lowest first: what the assembly puts together never imports it back; the loop and the
# step's base know no family; a family sees core and training, and the registry, never the assembly.
GAN_LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"core"}),                      # losses, penalties, critic changes, EMA, plotting, checkpoint files
    ("training", {"training"}),              # the loop, the step's base, extensions, triggers, report
    ("families", {"families"}),              # the registry and one folder per family
    ("assembly", {"config", "presets", "ranks", "build", "<gan>"}),   # the config, recipes, the one way to build a run
]
GAN_RANK = {name: rank for rank, (_, names) in enumerate(GAN_LAYERS) for name in names}
UNEXPLAINED_FUNCTION_IMPORTS_ALLOWED: set[str] = set()
# What a function-level import's comment must mention.
WHY = re.compile(r"circle|cycle|deferred|defer|optional|heavy|matplotlib|cupy", re.IGNORECASE)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


class _Import:
    def __init__(self, source: str, target: str, line: int, nested: bool, typing_only: bool, path: Path):
        self.source, self.target, self.line = source, target, line
        self.nested, self.typing_only, self.path = nested, typing_only, path


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:]) if "." in module else Path()
    base = ROOT / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _collect() -> tuple[dict[str, Path], list[_Import]]:
    modules: dict[str, Path] = {}
    imports: list[_Import] = []
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        modules[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), filename=str(path))

        def walk(node, nested: bool, typing_only: bool):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    walk(child, True, typing_only)
                elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    for stmt in child.body:
                        walk(ast.Module(body=[stmt], type_ignores=[]), nested, True)
                    for stmt in child.orelse:
                        walk(ast.Module(body=[stmt], type_ignores=[]), nested, typing_only)
                elif isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(child, package):
                        imports.append(_Import(name, target, child.lineno, nested, typing_only, path))
                else:
                    walk(child, nested, typing_only)

        walk(tree, False, False)
    return modules, imports


def _targets(node, package: str) -> list[str]:
    """The modules an import statement loads (an imported name that is a submodule counts); names
    outside minigan (numpy, cupyx, matplotlib) are kept too, for the function-level check."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = package.split(".")
        base = base[:len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    if module != "minigan" and not module.startswith("minigan."):
        return [module]
    out = []
    for alias in node.names:
        sub = f"{module}.{alias.name}"
        if _exists(sub):
            out.append(sub)
        elif module not in out:
            out.append(module)
    return out


def _internal(module: str) -> bool:
    return module == "minigan" or module.startswith("minigan.")


MODULES, ALL_IMPORTS = _collect()
IMPORTS = [i for i in ALL_IMPORTS if _internal(i.target)]  # the graph the layering and cycle checks read


def test_the_walk_sees_the_engine():
    # guards the checks below against passing on an empty or misread tree
    assert {"minigan.autograd.tensor", "minigan.ops.arith", "minigan.nn.module"} <= set(MODULES)
    assert any(i.source == "minigan.ops.arith" and i.target == "minigan.autograd" for i in IMPORTS)
    nested = [i for i in IMPORTS if i.nested and i.source == "minigan.autograd.tensor"]
    assert nested and all(i.target.startswith("minigan.autograd.") for i in nested)


def test_every_top_level_name_has_a_layer():
    unplaced = sorted({_top(m) for m in MODULES} - set(RANK))
    assert not unplaced, f"place {unplaced} in LAYERS of tests/test_layering.py (and say why there)"


def test_no_import_from_a_higher_layer():
    bad = []
    for imp in IMPORTS:
        if imp.source == "minigan":  # the facade itself imports every layer by design
            continue
        src, dst = _top(imp.source), _top(imp.target)
        if src not in RANK or dst not in RANK:
            continue  # reported by test_every_top_level_name_has_a_layer
        if RANK[dst] > RANK[src] and (imp.source, imp.target) not in ALLOWED_UPWARD:
            where = f"{imp.path.relative_to(ROOT.parent)}:{imp.line}"
            bad.append(f"{where}: {imp.source} ({LAYERS[RANK[src]][0]}) imports {imp.target} "
                       f"({LAYERS[RANK[dst]][0]})")
    assert not bad, "imports from a higher layer:\n" + "\n".join(bad)


def _explained(imp: _Import) -> str | None:
    """The comment on a function-level import's line or the line above it, if any."""
    lines = imp.path.read_text().splitlines()
    here = lines[imp.line - 1]
    above = lines[imp.line - 2].strip() if imp.line > 1 else ""
    comment = here.partition("#")[2] + (above if above.startswith("#") else "")
    return comment or None


def _cycle_edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in IMPORTS:
        if imp.source == "minigan" or imp.typing_only or imp.source == imp.target:
            continue
        if imp.nested and re.search(r"circle|cycle", _explained(imp) or "", re.IGNORECASE):
            continue  # documented circle-breaker: runs after both modules are loaded
        graph[imp.source].add(imp.target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        component.append(m)
                        if m == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycle():
    cycles = [c for c in _cycles(_cycle_edges()) if frozenset(c) not in ALLOWED_CYCLES]
    assert not cycles, "modules importing each other in a circle:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_function_level_imports_say_why():
    bad = []
    for imp in ALL_IMPORTS:
        rel = str(imp.path.relative_to(ROOT.parent))
        if not imp.nested or imp.source == "minigan" or rel in UNEXPLAINED_FUNCTION_IMPORTS_ALLOWED:
            continue
        if not WHY.search(_explained(imp) or ""):
            bad.append(f"{rel}:{imp.line}: imports {imp.target} inside a function without saying which circle "
                       "it breaks or which heavy optional import it defers (hoist it, or add the comment)")
    assert not bad, "\n".join(bad)



def test_no_file_under_minigan_is_over_400_lines():
    """Small files whose names explain them: a file past 400 lines wants splitting."""
    long = sorted(f"{p.relative_to(ROOT.parent)}: {n} lines" for p in ROOT.rglob("*.py")
                  if (n := len(p.read_text().splitlines())) > 400)
    assert not long, "split these files:\n" + "\n".join(long)


def _gan_part(module: str) -> str | None:
    """'core', 'training', 'families', an assembly module's name, '<gan>' for minigan.gan itself, None outside."""
    parts = module.split(".")
    if parts[:2] != ["minigan", "gan"]:
        return None
    return parts[2] if len(parts) > 2 else "<gan>"


def test_every_gan_module_has_a_gan_layer():
    unplaced = sorted({_gan_part(m) for m in MODULES if _gan_part(m) is not None} - set(GAN_RANK))
    assert not unplaced, f"place {unplaced} in GAN_LAYERS of tests/test_layering.py"


def test_no_gan_import_from_a_higher_gan_layer():
    bad = []
    for imp in IMPORTS:
        src, dst = _gan_part(imp.source), _gan_part(imp.target)
        if src is None or dst is None or src not in GAN_RANK or dst not in GAN_RANK:
            continue
        if GAN_RANK[dst] > GAN_RANK[src]:
            bad.append(f"{imp.path.relative_to(ROOT.parent)}:{imp.line}: {imp.source} ({GAN_LAYERS[GAN_RANK[src]][0]}) "
                       f"imports {imp.target} ({GAN_LAYERS[GAN_RANK[dst]][0]})")
    assert not bad, "imports from a higher layer of minigan.gan:\n" + "\n".join(bad)


def test_only_the_families_know_a_family():
    """Outside minigan/gan/families/, code asks the registry (minigan.gan.families) and never imports a family's
    folder: the loop, the config, checkpoints, sampling, evaluation and the command line name no family."""
    bad = []
    for imp in IMPORTS:
        inside = imp.source.startswith("minigan.gan.families.") or imp.source == "minigan.gan.families"
        parts = imp.target.split(".")
        if not inside and parts[:3] == ["minigan", "gan", "families"] and len(parts) > 3 and parts[3] != "registry":
            bad.append(f"{imp.path.relative_to(ROOT.parent)}:{imp.line}: {imp.source} imports {imp.target}")
    assert not bad, "a family's folder imported outside minigan/gan/families/:\n" + "\n".join(bad)
