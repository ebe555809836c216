"""minigan's benchmarks: ops, full GAN training iterations and peak memory, against PyTorch.

Run everything with ``python -m benchmarks --device cpu`` (see benchmarks/README.md).
This package imports nothing heavy at import time, so ``--threads`` can still set the BLAS
thread count before NumPy loads.
"""


def tune_allocator() -> None:
    """Retune malloc as the `minigan` command does, so the timings match what users run."""
    from minigan import backend  # deferred: --threads must be set before NumPy loads
    backend.tune_allocator()
