"""Conv2d and ConvTranspose2d with PyTorch's signatures, weight layouts and initialisation.

Conv2d.weight is (out_channels, in_channels // groups, kH, kW); ConvTranspose2d.weight is
(in_channels, out_channels // groups, kH, kW), so PyTorch checkpoints load unchanged.
"""
from __future__ import annotations

import math

from ..autograd import Tensor
from ..ops.shape import pad as _pad
from . import functional as F
from . import init
from ._factory import _pair, _single, check_size, empty_parameter
from .module import Module

__all__ = ["Conv2d", "ConvTranspose2d", "Conv1d"]


class _ConvNd(Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation,
                 transposed: bool, output_padding, groups: int, bias: bool, padding_mode: str,
                 device=None, dtype=None):
        super().__init__()
        layer = type(self).__name__
        check_size(layer, "in_channels", in_channels)
        check_size(layer, "out_channels", out_channels)
        check_size(layer, "kernel_size", kernel_size)
        check_size(layer, "stride", stride)
        check_size(layer, "dilation", dilation)
        check_size(layer, "groups", groups)
        if not isinstance(padding, str):
            check_size(layer, "padding", padding, minimum=0)
        check_size(layer, "output_padding", output_padding, minimum=0)
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r} is not supported; only 'zeros'")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = int(groups)
        self.padding_mode = padding_mode
        if transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + tuple(kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + tuple(kernel_size)
        self.weight = empty_parameter(shape, device, dtype)
        if bias:
            self.bias = empty_parameter((self.out_channels,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch's default: kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        # fan_in from weight dim 1 (for a transposed conv that is out_channels // groups).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str):
            s += f", padding={self.padding}"
        elif self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as PyTorch) over (N, C, H, W) input.

    ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True)``; `padding` may also be ``"valid"`` or ``"same"`` (stride 1).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        kernel_size_ = _pair(kernel_size)
        stride_ = _pair(stride)
        padding_ = padding if isinstance(padding, str) else _pair(padding)
        dilation_ = _pair(dilation)
        super().__init__(in_channels, out_channels, kernel_size_, stride_, padding_, dilation_, False, _pair(0),
                         groups, bias, padding_mode, device, dtype)

    def _explicit_padding(self, input: Tensor) -> tuple[Tensor, tuple]:
        """Resolve 'valid'/'same' into numbers; odd 'same' totals pad the extra row/column at the end."""
        if self.padding == "valid":
            return input, (0, 0)
        if self.padding != "same":
            return input, self.padding
        totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
        if all(t % 2 == 0 for t in totals):
            return input, tuple(t // 2 for t in totals)
        widths = [(0, 0), (0, 0)] + [(t // 2, t - t // 2) for t in totals]
        return _pad(input, widths), (0, 0)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"Conv2d expects 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {tuple(input.shape)}")
        unbatched = input.ndim == 3
        x = input.unsqueeze(0) if unbatched else input
        x, padding = self._explicit_padding(x)
        out = F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        return out.squeeze(0) if unbatched else out


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution (the gradient of Conv2d), as ``torch.nn.ConvTranspose2d``.

    H_out = (H_in - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1.
    ``forward(input, output_size=None)``: `output_size` picks output_padding for you.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device=None,
                 dtype=None):
        if isinstance(padding, str):
            raise ValueError("ConvTranspose2d does not support string padding")
        kernel_size_ = _pair(kernel_size)
        stride_ = _pair(stride)
        padding_ = _pair(padding)
        dilation_ = _pair(dilation)
        output_padding_ = _pair(output_padding)
        for op, s, d in zip(output_padding_, stride_, dilation_):
            if op >= max(s, d):
                raise ValueError(f"output padding must be smaller than either stride or dilation, got "
                                 f"output_padding={output_padding_}, stride={stride_}, dilation={dilation_}")
        super().__init__(in_channels, out_channels, kernel_size_, stride_, padding_, dilation_, True,
                         output_padding_, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        output_size = tuple(int(s) for s in output_size)[-2:]
        if len(output_size) != 2:
            raise ValueError(f"output_size must have 2 or more elements (got {len(output_size)})")
        result = []
        for d in range(2):
            in_size = input.shape[-2 + d]
            min_size = ((in_size - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            max_size = min_size + self.stride[d] - 1
            if not min_size <= output_size[d] <= max_size:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_size} to {max_size} (for an input of {tuple(input.shape[-2:])})")
            result.append(output_size[d] - min_size)
        return tuple(result)

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"ConvTranspose2d expects 3-D (C, H, W) or 4-D (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        output_padding = self._output_padding(input, output_size)
        unbatched = input.ndim == 3
        x = input.unsqueeze(0) if unbatched else input
        out = F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                                 self.groups, self.dilation)
        return out.squeeze(0) if unbatched else out


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) input, as ``torch.nn.Conv1d`` (the 2-D convolution on a unit height).

    ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
    bias=True)``; weight (out_channels, in_channels // groups, kernel_size), PyTorch's layout.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None):
        padding_ = padding if isinstance(padding, str) else _single(padding)
        super().__init__(in_channels, out_channels, _single(kernel_size), _single(stride), padding_,
                         _single(dilation), False, _single(0), groups, bias, padding_mode, device, dtype)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (2, 3):
            raise ValueError(f"Conv1d expects 2-D (C, L) or 3-D (N, C, L) input, got shape {tuple(input.shape)}")
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups)
