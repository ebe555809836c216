"""Every layer checks its constructor arguments: zero or negative sizes, strides and paddings are a
ValueError naming the layer and the argument (not NumPy's bare "negative dimensions are not allowed",
not a silently empty kernel)."""
import pytest

from minigan import nn

BAD = [
    (lambda: nn.Linear(-1, 3), "Linear: in_features must be a positive integer, got -1"),
    (lambda: nn.Linear(3, 0), "Linear: out_features must be a positive integer, got 0"),
    (lambda: nn.Linear(2.5, 3), "Linear: in_features must be a positive integer, got 2.5"),
    (lambda: nn.Conv2d(1, 8, 0), r"Conv2d: kernel_size must be a positive integer \(each entry\), got \(0, 0\)"),
    (lambda: nn.Conv2d(0, 8, 3), "Conv2d: in_channels must be a positive integer, got 0"),
    (lambda: nn.Conv2d(1, -2, 3), "Conv2d: out_channels must be a positive integer, got -2"),
    (lambda: nn.Conv2d(1, 8, (3, -1)), r"Conv2d: kernel_size .* got \(3, -1\)"),
    (lambda: nn.Conv2d(1, 8, 3, stride=0), r"Conv2d: stride must be a positive integer .* got \(0, 0\)"),
    (lambda: nn.Conv2d(1, 8, 3, padding=-1), r"Conv2d: padding must be an integer >= 0 .* got \(-1, -1\)"),
    (lambda: nn.Conv2d(1, 8, 3, dilation=0), r"Conv2d: dilation must be a positive integer"),
    (lambda: nn.Conv2d(2, 8, 3, groups=0), r"Conv2d: groups must be a positive integer, got 0"),
    (lambda: nn.ConvTranspose2d(1, 8, 0), r"ConvTranspose2d: kernel_size must be a positive integer"),
    (lambda: nn.ConvTranspose2d(1, 8, 3, stride=-1), r"ConvTranspose2d: stride must be a positive integer"),
    (lambda: nn.ConvTranspose2d(1, 8, 3, padding=-2), r"ConvTranspose2d: padding must be an integer >= 0"),
    (lambda: nn.BatchNorm1d(0), "BatchNorm1d: num_features must be a positive integer, got 0"),
    (lambda: nn.BatchNorm2d(-3), "BatchNorm2d: num_features must be a positive integer, got -3"),
    (lambda: nn.BatchNorm2d(3, eps=-1e-5), r"BatchNorm2d: eps must be a number >= 0.0, got -1e-05"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), r"BatchNorm2d: momentum must be a number in \[0.0, 1.0\], got 1.5"),
    (lambda: nn.LayerNorm((4, 0)), r"LayerNorm: normalized_shape must be a positive integer \(each entry\)"),
    (lambda: nn.LayerNorm(4, eps=-1.0), "LayerNorm: eps must be a number >= 0.0"),
    (lambda: nn.Embedding(0, 3), "Embedding: num_embeddings must be a positive integer, got 0"),
    (lambda: nn.Embedding(5, -1), "Embedding: embedding_dim must be a positive integer, got -1"),
    (lambda: nn.MaxPool2d(0), r"MaxPool2d: kernel_size must be a positive integer"),
    (lambda: nn.MaxPool2d(2, stride=0), r"MaxPool2d: stride must be a positive integer"),
    (lambda: nn.MaxPool2d(2, padding=-1), r"MaxPool2d: padding must be an integer >= 0"),
    (lambda: nn.AvgPool2d(-2), r"AvgPool2d: kernel_size must be a positive integer"),
    (lambda: nn.AvgPool2d(2, stride=0), r"AvgPool2d: stride must be a positive integer"),
    (lambda: nn.GroupNorm(0, 4), "GroupNorm: num_groups must be a positive integer, got 0"),
    (lambda: nn.GroupNorm(2, -4), "GroupNorm: num_channels must be a positive integer, got -4"),
    (lambda: nn.GroupNorm(2, 4, eps=-1.0), "GroupNorm: eps must be a number >= 0.0"),
    (lambda: nn.InstanceNorm2d(0), "InstanceNorm2d: num_features must be a positive integer, got 0"),
    (lambda: nn.Dropout(1.5), "dropout probability has to be between 0 and 1, but got 1.5"),
]


@pytest.mark.parametrize("make, message", BAD, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD)])
def test_bad_constructor_arguments_name_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_valid_arguments_still_build():
    assert nn.Conv2d(1, 8, (3, 1), stride=(2, 1), padding=0).weight.shape == (8, 1, 3, 1)
    assert nn.Conv2d(1, 8, 3, padding="same").padding == "same"
    assert nn.ConvTranspose2d(4, 2, 4, 2, 1).weight.shape == (4, 2, 4, 4)
    assert nn.BatchNorm1d(3, momentum=None, eps=0.0).momentum is None
    assert nn.MaxPool2d(2).stride == 2 and nn.LayerNorm(4).normalized_shape == (4,)
