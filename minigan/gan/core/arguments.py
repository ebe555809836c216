"""Argument types shared by every command (the families' too): each names what it expected and what it got."""
from __future__ import annotations

import argparse
import math

from ...backend import Device, DeviceError

__all__ = ["positive_int", "non_negative_int", "positive_float", "non_negative_float", "unit_float", "device",
           "channels", "open_unit_float", "png_path"]


def _number(text: str, kind, expected: str, ok) -> "int | float":
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    return _number(text, int, "a positive integer", lambda v: v >= 1)


def non_negative_int(text: str) -> int:
    return _number(text, int, "a non-negative integer", lambda v: v >= 0)


def positive_float(text: str) -> float:
    return _number(text, float, "a positive number", lambda v: v > 0 and math.isfinite(v))


def non_negative_float(text: str) -> float:
    return _number(text, float, "a number >= 0", lambda v: v >= 0 and math.isfinite(v))


def unit_float(text: str) -> float:
    return _number(text, float, "a number in [0, 1)", lambda v: 0.0 <= v < 1.0)


def device(text: str) -> str:
    try:
        return str(Device(text))
    except DeviceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def channels(text: str) -> tuple[int, int]:
    try:
        c1, c2 = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two widths like 32,64, got {text!r}") from None
    if c1 < 1 or c2 < 1:
        raise argparse.ArgumentTypeError(f"widths must be positive, got {text!r}")
    return c1, c2


def open_unit_float(text: str) -> float:
    """A decay-like number strictly inside (0, 1)."""
    return _number(text, float, "a number in (0, 1), e.g. 0.999", lambda v: 0.0 < v < 1.0)


def png_path(text: str) -> str:
    """A file name for a picture: minigan writes PNG, so the name must say .png (a .jpg would hold PNG bytes)."""
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"expected a .png file name (minigan writes PNG images), got {text!r}")
    return text
