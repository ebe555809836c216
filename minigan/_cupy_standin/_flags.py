"""``a.flags`` of the stand-in: CuPy's three flags, so code reading NumPy-only flags fails here too."""
from __future__ import annotations

import numpy as np


class Flags:
    """CuPy's flags: C_CONTIGUOUS, F_CONTIGUOUS, OWNDATA only (no WRITEABLE, no ALIGNED)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray):
        self.c_contiguous = a.flags.c_contiguous
        self.f_contiguous = a.flags.f_contiguous
        self.owndata = a.flags.owndata

    def __getitem__(self, name: str) -> bool:
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[name]
