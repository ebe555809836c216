"""Loss functions with PyTorch's signatures and reductions ('mean', 'sum', 'none').

``F.binary_cross_entropy_with_logits(x, t)``, ``F.mse_loss(x, t, reduction="sum")``: the
arguments are checked here; BCE-with-logits, BCE and MSE then call the fused Functions
of `minigan.ops.losses`, the rest are compositions of Tensor ops. The loss Modules
(``nn.BCEWithLogitsLoss``) are in `minigan.nn.losses`.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, _is_float
from ..ops.activation import log_softmax, softplus
from ..ops.arith import abs as _abs, as_operand, astype, exp, log, where
from ..ops.losses import BCE, MSE, BCEWithLogits
from ..ops.reduce import sum as _sum
from ..ops.shape import permute, reshape

__all__ = ["binary_cross_entropy_with_logits", "binary_cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss", "cross_entropy", "nll_loss", "kl_div"]

_REDUCTIONS = ("mean", "sum", "none")


# ---- argument handling -----------------------------------------------------------------------


def _reduction(name: str, reduction: str, size_average=None, reduce=None) -> str:
    """Validate `reduction`; fold in the legacy size_average/reduce flags as PyTorch does."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = ("mean" if size_average else "sum") if reduce else "none"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


def _as_tensor(x, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return as_operand(x, like)
    return Tensor(x)


def _same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if input.shape != target.shape:
        raise ValueError(f"{name}: target shape {tuple(target.shape)} must match input shape {tuple(input.shape)}")


def _float_target(name: str, input: Tensor, target) -> Tensor:
    target = _as_tensor(target, input)
    if not _is_float(target.dtype):
        target = Tensor(target.array.astype(input.dtype))
    _same_shape(name, input, target)
    return target


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return _sum(loss) * (1.0 / max(loss.numel(), 1)) if loss.numel() else _sum(loss) * float("nan")
    if reduction == "sum":
        return _sum(loss)
    return loss


# ---- binary cross-entropy with logits ----------------------------------------------------


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """-[w * (p_w * t * log sigmoid(x) + (1 - t) * log(1 - sigmoid(x)))], stable for any logit.

    ``weight`` broadcasts to the input; ``pos_weight`` weighs the positive term
    and broadcasts along the last (class) dimension, as in PyTorch.
    """
    name = "binary_cross_entropy_with_logits"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    if weight is None and pos_weight is None:
        return BCEWithLogits(reduction)(input, target)
    # weighted forms: (1 - t) * x + l_w * softplus(-x), l_w = 1 + (pos_weight - 1) * t
    sp = softplus(-input)
    if pos_weight is not None:
        pos_weight = _as_tensor(pos_weight, input)
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * sp
    else:
        loss = (1.0 - target) * input + sp
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
    if loss.shape != input.shape:
        raise ValueError(f"{name}: weight or pos_weight of shapes {_shape_of(weight)} / {_shape_of(pos_weight)} "
                         f"broadcast the loss to {loss.shape}, beyond the input shape {input.shape}")
    return _reduce(loss, reduction)


def _shape_of(t):
    return None if t is None else tuple(np.shape(t.array if isinstance(t, Tensor) else t))


# ---- binary cross-entropy on probabilities --------------------------------------------------


def binary_cross_entropy(input: Tensor, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """BCE on probabilities in [0, 1] (log clamped to -100, so p = 0 or 1 gives 100, not inf)."""
    name = "binary_cross_entropy"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    data = input.array
    if data.size and bool(((data < 0) | (data > 1)).any()):
        raise ValueError(f"{name}: all elements of input should be between 0 and 1")
    if weight is None:
        return BCE(reduction)(input, target)
    loss = BCE("none")(input, target) * _as_tensor(weight, input)
    if loss.shape != input.shape:
        raise ValueError(f"{name}: weight of shape {_shape_of(weight)} does not broadcast to input shape {input.shape}")
    return _reduce(loss, reduction)


# ---- regression losses ---------------------------------------------------------------------


def _weighted(name: str, loss: Tensor, weight, input: Tensor, reduction: str) -> Tensor:
    if weight is not None:
        loss = loss * _as_tensor(weight, input)
        if loss.shape != input.shape:
            raise ValueError(f"{name}: weight of shape {_shape_of(weight)} does not broadcast to input "
                             f"shape {input.shape}")
    return _reduce(loss, reduction)


def mse_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None) -> Tensor:
    """Mean squared error (input and target of the same shape)."""
    name = "mse_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    if weight is None:
        return MSE(reduction)(input, target)
    return _weighted(name, MSE("none")(input, target), weight, input, reduction)


def l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
            weight=None) -> Tensor:
    """Mean absolute error; the gradient at x == t is 0, as PyTorch's."""
    name = "l1_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    return _weighted(name, _abs(input - target), weight, input, reduction)


def smooth_l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (beta=0 is l1_loss)."""
    name = "smooth_l1_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    if beta < 0:
        raise ValueError(f"{name}: beta must be non-negative, got {beta}")
    d = input - target
    ad = _abs(d)
    if beta == 0:
        return _reduce(ad, reduction)
    loss = where(ad.array < beta, d * d * (0.5 / beta), ad - 0.5 * beta)
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta)."""
    name = "huber_loss"
    reduction = _reduction(name, reduction)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    if delta <= 0:
        raise ValueError(f"{name}: delta must be positive, got {delta}")
    d = input - target
    ad = _abs(d)
    loss = where(ad.array < delta, d * d * 0.5, (ad - 0.5 * delta) * delta)
    return _weighted(name, loss, weight, input, reduction)


# ---- classification losses -----------------------------------------------------------------


def _class_last(name: str, input: Tensor) -> tuple[Tensor, int]:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C)."""
    if input.ndim == 1:
        return reshape(input, (1, input.shape[0])), input.shape[0]
    if input.ndim < 1:
        raise ValueError(f"{name}: input must have a class dimension, got shape {input.shape}")
    c = input.shape[1]
    if input.ndim > 2:
        input = permute(input, (0,) + tuple(range(2, input.ndim)) + (1,))
    return reshape(input, (-1, c)) if input.ndim > 2 else input, c


def _check_class_target(name: str, input: Tensor, target: Tensor) -> None:
    expected = (input.shape[0],) + input.shape[2:] if input.ndim >= 2 else ()
    if target.shape != expected:
        raise ValueError(f"{name}: input of shape {tuple(input.shape)} needs class-index targets of shape "
                         f"{expected}, got target of shape {tuple(target.shape)}")


def _nll_from_log_probs(name: str, logp2: Tensor, target: Tensor, c: int, weight, ignore_index: int,
                        reduction: str, out_shape: tuple) -> tuple[Tensor, object, object]:
    """NLL from (M, C) log-probabilities and (M,) integer targets.

    Returns (loss, per-row class weights array, ignore mask array). The pick is a
    multiplication by a constant one-hot-times-weight matrix, so it is
    differentiable to any order.
    """
    xp = logp2.xp
    t = target.array.reshape(-1)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers, got dtype {t.dtype} "
                        "(float targets of the input's shape are class probabilities)")
    ignore = t == ignore_index
    valid_t = xp.where(ignore, 0, t)
    if t.size and (bool((valid_t < 0).any()) or bool((valid_t >= c).any())):
        bad = int(valid_t[(valid_t < 0) | (valid_t >= c)][0])
        raise IndexError(f"{name}: target {bad} is out of bounds for {c} classes")
    rows = xp.arange(t.size)
    w_rows = xp.ones(t.size, dtype=logp2.dtype)
    if weight is not None:
        w = weight.array if isinstance(weight, Tensor) else xp.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{name}: weight must have shape ({c},), got {tuple(w.shape)}")
        w_rows = w.astype(logp2.dtype, copy=False)[valid_t]
    w_rows = xp.where(ignore, logp2.dtype.type(0), w_rows)
    pick = xp.zeros(logp2.shape, dtype=logp2.dtype)
    pick[rows, valid_t] = -w_rows
    per_row = _sum(logp2 * Tensor(pick), 1)
    if reduction == "none":
        loss = reshape(per_row, out_shape)
    elif reduction == "sum":
        loss = _sum(per_row)
    else:
        loss = _sum(per_row) * _inverse(float(w_rows.sum()))
    return loss, w_rows, ignore


def _inverse(total: float) -> float:
    return 1.0 / total if total != 0 else float("nan")


def nll_loss(input: Tensor, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities of shape (N, C, *)."""
    name = "nll_loss"
    reduction = _reduction(name, reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _as_tensor(target)
    _check_class_target(name, input, target)
    logp2, c = _class_last(name, input)
    return _nll_from_log_probs(name, logp2, target, c, weight, ignore_index, reduction, target.shape)[0]


def cross_entropy(input: Tensor, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, *) against class indices (N, *) or class probabilities.

    Matches PyTorch, including ``weight`` (the mean divides by the summed weights
    of the targets), ``ignore_index`` and ``label_smoothing``.
    """
    name = "cross_entropy"
    reduction = _reduction(name, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    input = _as_tensor(input)
    target = _as_tensor(target)
    if input.ndim < 1:
        raise ValueError(f"{name}: input must have a class dimension, got shape {input.shape}")
    logp = log_softmax(input, 1 if input.ndim >= 2 else 0)
    logp2, c = _class_last(name, logp)
    xp = input.xp
    w = None
    if weight is not None:
        w = weight.array if isinstance(weight, Tensor) else xp.asarray(weight)
        if w.shape != (c,):
            raise ValueError(f"{name}: weight must have shape ({c},), got {tuple(w.shape)}")
        w = w.astype(input.dtype, copy=False)

    if _is_float(target.dtype):  # class probabilities
        if target.shape != input.shape:
            raise ValueError(f"{name}: probability targets must match the input shape {tuple(input.shape)}, "
                             f"got {tuple(target.shape)}")
        if target.dtype != input.dtype:
            target = astype(target, input.dtype)
        t2, _ = _class_last(name, target)          # a Tensor op: soft targets get gradients too
        if label_smoothing > 0:
            t2 = t2 * (1.0 - label_smoothing) + label_smoothing / c
        if w is not None:
            t2 = t2 * Tensor(w)
        per_row = -_sum(logp2 * t2, 1)
        out_shape = (input.shape[0],) + input.shape[2:] if input.ndim >= 2 else ()
        if reduction == "none":
            return reshape(per_row, out_shape)
        total = _sum(per_row)
        return total * (1.0 / max(per_row.numel(), 1)) if reduction == "mean" else total

    _check_class_target(name, input, target)
    nll, w_rows, ignore = _nll_from_log_probs(name, logp2, target, c, w, ignore_index, reduction, target.shape)
    if label_smoothing <= 0:
        return nll
    # PyTorch: (1 - eps) * nll + eps / C * smooth, smooth = -sum_c w_c logp_c (0 where ignored)
    keep = Tensor((~ignore).astype(input.dtype))
    wc = Tensor(w) if w is not None else None
    smooth = -_sum(logp2 * wc if wc is not None else logp2, 1) * keep
    if reduction == "none":
        smooth = reshape(smooth, target.shape)
    elif reduction == "sum":
        smooth = _sum(smooth)
    else:
        denom = float(w_rows.sum()) if w is not None else float((~ignore).sum())
        smooth = _sum(smooth) * _inverse(denom)
    return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / c)


def kl_div(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise, with input as log-probabilities (PyTorch's convention).

    reduction='mean' averages over every element, as PyTorch does; 'batchmean'
    divides the sum by the batch size.
    """
    name = "kl_div"
    batchmean = reduction == "batchmean"
    reduction = _reduction(name, "sum" if batchmean else reduction, size_average, reduce)
    input = _as_tensor(input)
    target = _float_target(name, input, target)
    if log_target:
        loss = exp(target) * (target - input)
    else:
        # xlogy(t, t) - t * x, with 0 log 0 = 0 (the gradient of t is taken where t > 0)
        positive = target.array > 0
        safe = where(positive, target, 1.0)
        loss = where(positive, target * log(safe), 0.0) - target * input
    out = _reduce(loss, reduction)
    if batchmean and input.ndim:
        out = out * (1.0 / input.shape[0])
    return out
