"""Every code block a user reads runs: README.md and docs/*.md, as a user would type them.

What runs, in the order the page shows it, in one scratch folder per page (so a later command can read the run
folder an earlier one wrote):
- every fenced ```python block, as its own `python` process (the repository on PYTHONPATH);
- every shell line that begins with `minigan ` in a ```bash / ```sh block, or `$ minigan ` in a ```console block
  (the other lines of a console block are output and are not run), as `python -m minigan ...`.
A python block whose fence follows `<!-- long -->`, or a shell line whose comment begins `# long`, takes minutes
on real data: it runs only under the `long` marker (`python -m pytest -m long tests/docs`), with the rest of its
page, in order.
Lines that begin with `mpiexec` are not run here unless marked long: tests/distributed/ starts the ranks itself;
the lines after a skipped one in the same block (a resume of the ranks' run, say) are skipped with it.

MINIGAN_DATA_DIR points at a tiny synthetic MNIST and Fashion-MNIST (random IDX files in the real layout), so a
command reads the data the page says it reads, only less of it; `examples/` is linked into the scratch folder so
the paths the pages give resolve. A line that asks for `--device cuda` runs on the NumPy stand-in for CuPy where
CuPy is missing. A failure names the page and the line of the block or command.

The last tests keep the pages in a user's words: no issue numbers, no history ("round", "session", "wave"),
no targets, no paths of the machines the project was developed on.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from minigan.data import write_fake_dataset

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LONG_FENCE = "<!-- long -->"
FENCE = re.compile(r"^(\s*)```\s*([\w+-]*)\s*$")
SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
QUICK_TIMEOUT_S = 120
LONG_TIMEOUT_S = 1800


@dataclass
class Block:
    """One thing to run: a python block (`code` is the source) or a command line (`argv`)."""

    page: Path
    line: int
    kind: str  # "python" or "shell"
    code: str
    long: bool
    argv: list[str] | None = None

    @property
    def where(self) -> str:
        try:
            name = self.page.relative_to(REPO)
        except ValueError:
            name = self.page
        return f"{name}:{self.line}"


def _shell_lines(body: list[tuple[int, str]], console: bool):
    """(line number, command) for each command of a shell block, continuation lines joined."""
    pending, start = "", 0
    for number, raw in body:
        text = raw.strip()
        if not pending:
            if console:
                if not text.startswith("$ "):
                    continue  # output
                text = text[2:]
            start = number
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        yield start, pending + text
        pending = ""
    if pending:
        yield start, pending


def extract(page: Path) -> list[Block]:
    """The runnable blocks and command lines of one markdown page, in page order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        language = opening.group(2).lower()
        previous = lines[i - 1].strip() if i > 0 else ""
        body = []
        j = i + 1
        while j < len(lines) and not re.match(r"^\s*```\s*$", lines[j]):
            body.append((j + 1, lines[j]))
            j += 1
        if language == "python":
            code = "\n".join(text for _, text in body) + "\n"
            blocks.append(Block(page, i + 2, "python", code, long=previous == LONG_FENCE))
        elif language in SHELL_LANGUAGES:
            ranks_skipped = False
            for number, command in _shell_lines(body, console=language == "console"):
                long = bool(re.search(r"#\s*long\b", command))
                if command.startswith("mpiexec ") and not long:
                    ranks_skipped = True  # tests/distributed/ runs the ranks
                    continue
                if ranks_skipped:
                    continue  # the block's later lines read what the skipped ranks wrote
                if not (command.startswith("minigan ") or command.startswith("mpiexec ")):
                    continue
                argv = shlex.split(command, comments=True)
                argv = [part for name in argv for part in
                        ([sys.executable, "-m", "minigan"] if name == "minigan" else [name])]
                blocks.append(Block(page, number, "shell", command, long=long, argv=argv))
        i = j + 1
    return blocks


def _cupy_importable() -> bool:
    try:
        import cupy  # noqa: F401  (only asks whether the real CuPy is installed)
    except ImportError:
        return False
    return True


def _environment(data_dir: Path, home: Path, cuda: bool) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(MINIGAN_DATA_DIR=str(data_dir), MPLBACKEND="Agg", HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    # pages run side by side: one thread each, so they share the cores instead of fighting over them
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MINIGAN_NUM_THREADS="1")
    if cuda and not _cupy_importable():
        env["MINIGAN_CUPY_STANDIN"] = "1"
    return env


def run_page(blocks: list[Block], workdir: Path, data_dir: Path, timeout: float) -> list[str]:
    """Run `blocks` in order in `workdir`; one message per failure, naming the page and line."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "home").mkdir(exist_ok=True)
    if not (workdir / "examples").exists():
        (workdir / "examples").symlink_to(REPO / "examples")
    failures = []
    for block in blocks:
        if block.kind == "python":
            argv = [sys.executable, "-c", block.code]
            cuda = "cuda" in block.code
        else:
            argv, cuda = block.argv, "cuda" in block.code
        env = _environment(data_dir, workdir / "home", cuda)
        try:
            proc = subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            failures.append(f"{block.where}: took over {timeout:.0f} s: {block.code.strip()[:200]}")
            continue
        if proc.returncode != 0:
            tail = "\n    ".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            shown = block.code.strip().splitlines()[0] if block.kind == "python" else block.code
            failures.append(f"{block.where}: exit status {proc.returncode} from {block.kind} "
                            f"{shown[:160]!r}\n    {tail}")
    return failures


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A tiny MNIST and Fashion-MNIST: 1,024 training and 200 test images each (32 steps an epoch at batch 32)."""
    root = tmp_path_factory.mktemp("doc-data")
    write_fake_dataset(root / "mnist", train_size=1024, test_size=200, seed=1)
    write_fake_dataset(root / "fashion-mnist", train_size=1024, test_size=200, seed=2)
    return root


def _page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


@pytest.fixture(scope="module")
def quick_failures(request, data_dir, tmp_path_factory) -> dict[Path, list[str]]:
    """The quick blocks of every page this pytest run selected, pages run side by side (one per core).

    Each page's commands run one after another in its own folder; the pages are independent, so running them
    at once keeps the whole file near the cost of its longest page on a multi-core machine."""
    selected = [item.callspec.params["page"] for item in request.session.items
                if getattr(item, "originalname", "") == "test_page_blocks_run" and hasattr(item, "callspec")]
    root = tmp_path_factory.mktemp("doc-pages")

    def run(index_page):
        index, page = index_page
        blocks = [block for block in extract(page) if not block.long]
        return page, run_page(blocks, root / f"{index}-{page.stem}", data_dir, QUICK_TIMEOUT_S)

    workers = max(1, min(len(selected), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, enumerate(selected)))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_blocks_run(page, quick_failures):
    failures = quick_failures[page]
    assert not failures, "\n".join(failures)


@pytest.mark.long
@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_blocks_run_with_the_long_ones(page, data_dir, tmp_path):
    blocks = extract(page)
    if not any(block.long for block in blocks):
        pytest.skip(f"{_page_id(page)} has no long block: the quick test ran all of it")
    failures = run_page(blocks, tmp_path / "page", data_dir, LONG_TIMEOUT_S)
    assert not failures, "\n".join(failures)


def test_a_broken_block_is_reported_with_its_page_and_line(data_dir, tmp_path):
    page = tmp_path / "broken.md"
    page.write_text("# A page\n\nText.\n\n```python\nx = 1\nraise SystemExit(x / 0)\n```\n\n"
                    "```bash\nminigan train --no-such-option\npython -c 'not run'\n```\n\n"
                    "```console\n$ minigan info\nminigan 0.1.0 (this is output, not a command)\n```\n\n"
                    "<!-- long -->\n```python\nprint('long')\n```\n\n"
                    "```bash\nminigan info   # long\nmpiexec -n 2 minigan info\nminigan info\n```\n", encoding="utf-8")
    blocks = extract(page)
    assert [(b.line, b.kind, b.long) for b in blocks] == [
        (6, "python", False), (11, "shell", False), (16, "shell", False), (22, "python", True),
        (26, "shell", True)]
    assert blocks[1].argv == [sys.executable, "-m", "minigan", "train", "--no-such-option"]
    failures = run_page([b for b in blocks if not b.long], tmp_path / "work", data_dir, QUICK_TIMEOUT_S)
    assert len(failures) == 2
    assert failures[0].startswith(f"{page}:6: exit status 1 from python") and "ZeroDivisionError" in failures[0]
    assert failures[1].startswith(f"{page}:11: exit status 2 from shell 'minigan train --no-such-option'")


# A user's words: what a reader of the guide must not meet.
FORBIDDEN = [
    (re.compile(r"\bissues?\s*#?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"(?<![\w/&])#\d+\b"), "an issue number"),
    (re.compile(r"\brounds?\b", re.IGNORECASE), "history ('round')"),
    (re.compile(r"\bsessions?\b", re.IGNORECASE), "history ('session')"),
    (re.compile(r"\bwaves?\b", re.IGNORECASE), "history ('wave')"),
    (re.compile(r"\btargets?\b", re.IGNORECASE), "a development target"),
    (re.compile(r"/work/|/home/"), "a development machine's path"),
]


def forbidden_words(page: Path) -> list[str]:
    found = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        for pattern, what in FORBIDDEN:
            match = pattern.search(line)
            if match:
                found.append(f"{page}:{number}: {what}: {match.group(0)!r} in {line.strip()[:120]!r}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_speaks_to_a_user(page):
    found = forbidden_words(page)
    assert not found, "\n".join(found)


def test_the_word_check_finds_each_kind(tmp_path):
    page = tmp_path / "words.md"
    page.write_text("fixed in issue 13\nsee #13\nthe third round\nthis session\nthe next wave\n"
                    "FID 30 (target 30)\ndata in /work/shared/data\na round-robin order\n",
                    encoding="utf-8")
    found = forbidden_words(page)
    assert [entry.split(":")[1] for entry in found] == ["1", "2", "3", "4", "5", "6", "7", "8"]


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_links_resolve(page):
    """Every relative link and image of a page names a file that exists (anchors and web addresses aside)."""
    missing = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                missing.append(f"{page}:{number}: {target}")
    assert not missing, "links to missing files:\n" + "\n".join(missing)


@pytest.mark.parametrize("page", PAGES[1:], ids=_page_id)
def test_guide_page_opens_with_what_the_reader_can_do(page):
    """Each docs/ page: a title, then one line that says what the reader can do after reading it."""
    lines = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[0].startswith("# "), f"{page}:1: a page starts with its title"
    assert re.match(r"After (reading )?this page,? you can ", lines[1]), \
        f"{page}: the line after the title says what the reader can do: 'After reading this page you can ...'"
