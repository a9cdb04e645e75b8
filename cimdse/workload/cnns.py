"""Built-in CNNs written from their published architectures.

ResNet-18/50 (He et al. 2016; torchvision "v1.5": stride on the 3x3 conv of
a bottleneck), VGG-16 (Simonyan & Zisserman 2015, configuration D),
MobileNetV3-Large (Howard et al. 2019, Table 1, with squeeze-and-excite
FCs), AlexNet (torchvision's single-tower variant). Only layers with MACs
are listed (no pooling, activations, additions). ResNet's 1x1 downsample
conv comes after the two (three) main convs of its block, as in CiMLoop and
NeuroSim. Each layer carries default distributions chosen by what feeds its
inputs (see :func:`~cimdse.workload.distributions.default_distributions`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .distributions import default_distributions
from .network import Network
from .problem import Layer, conv2d, linear

_SOURCE = "builtin"


def _out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _dressed(layer: Layer, position: str) -> Layer:
    return layer.with_distributions(default_distributions(layer.kind, position))


@dataclass
class _Builder:
    """Collects layers while tracking the spatial size of the feature map."""

    batch: int
    layers: list[Layer] = field(default_factory=list)

    def conv(self, name: str, c_in: int, c_out: int, size_in: int, kernel: int,
             stride: int = 1, groups: int = 1, position: str = "relu") -> int:
        """Append a 'same'-padded conv; return its output size."""
        size = _out_size(size_in, kernel, stride, (kernel - 1) // 2)
        layer = conv2d(name, C=c_in, M=c_out, P=size, Q=size, R=kernel, S=kernel,
                       stride=stride, groups=groups, N=self.batch, source=_SOURCE)
        self.layers.append(_dressed(layer, position))
        return size

    def fc(self, name: str, c_in: int, c_out: int, position: str = "relu") -> None:
        layer = linear(name, c_in, c_out, N=self.batch, source=_SOURCE)
        self.layers.append(_dressed(layer, position))

    def network(self, name: str) -> Network:
        return Network(name, tuple(self.layers), source=_SOURCE)


def _stem(b: _Builder, image_size: int) -> int:
    size = b.conv("conv1", 3, 64, image_size, 7, stride=2, position="image")
    return _out_size(size, 3, 2, 1)  # 3x3/2 max-pool


def resnet18(batch: int = 1, image_size: int = 224) -> Network:
    """ResNet-18: 20 convs + 1 FC; 1.814 G MACs at 224x224."""
    b = _Builder(batch)
    size, c_in = _stem(b, image_size), 64
    for stage, width in enumerate((64, 128, 256, 512), start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            out = b.conv(f"{prefix}.conv1", c_in, width, size, 3, stride)
            b.conv(f"{prefix}.conv2", width, width, out, 3)
            if stride != 1 or c_in != width:
                b.conv(f"{prefix}.downsample.0", c_in, width, size, 1, stride)
            size, c_in = out, width
    b.fc("fc", 512, 1000)
    return b.network("resnet18")


def resnet50(batch: int = 1, image_size: int = 224) -> Network:
    """ResNet-50 (bottleneck blocks 3-4-6-3): 53 convs + 1 FC; 4.09 G MACs."""
    b = _Builder(batch)
    size, c_in = _stem(b, image_size), 64
    for stage, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3)), start=1):
        for block in range(blocks):
            stride = 2 if stage > 1 and block == 0 else 1
            prefix = f"layer{stage}.{block}"
            b.conv(f"{prefix}.conv1", c_in, width, size, 1)
            out = b.conv(f"{prefix}.conv2", width, width, size, 3, stride)
            b.conv(f"{prefix}.conv3", width, 4 * width, out, 1)
            if stride != 1 or c_in != 4 * width:
                b.conv(f"{prefix}.downsample.0", c_in, 4 * width, size, 1, stride)
            size, c_in = out, 4 * width
    b.fc("fc", 2048, 1000)
    return b.network("resnet50")


_VGG16_STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def vgg16(batch: int = 1, image_size: int = 224) -> Network:
    """VGG-16: 13 convs + 3 FCs; 15.47 G MACs at 224x224."""
    b = _Builder(batch)
    size, c_in = image_size, 3
    for stage, (width, convs) in enumerate(_VGG16_STAGES, start=1):
        for i in range(1, convs + 1):
            position = "image" if stage == 1 and i == 1 else "relu"
            b.conv(f"conv{stage}_{i}", c_in, width, size, 3, position=position)
            c_in = width
        size //= 2  # 2x2/2 max-pool
    b.fc("fc6", 512 * 7 * 7, 4096)  # adaptive pooling to 7x7
    b.fc("fc7", 4096, 4096)
    b.fc("fc8", 4096, 1000)
    return b.network("vgg16")


def alexnet(batch: int = 1, image_size: int = 224) -> Network:
    """AlexNet (torchvision): 5 convs + 3 FCs; 0.714 G MACs at 224x224."""
    b = _Builder(batch)
    size = _out_size(image_size, 11, 4, 2)
    b.layers.append(_dressed(conv2d("features.0", 3, 64, size, size, 11, 11, stride=4,
                                    N=batch, source=_SOURCE), "image"))
    size = b.conv("features.3", 64, 192, _out_size(size, 3, 2, 0), 5)
    size = b.conv("features.6", 192, 384, _out_size(size, 3, 2, 0), 3)
    size = b.conv("features.8", 384, 256, size, 3)
    b.conv("features.10", 256, 256, size, 3)
    b.fc("classifier.1", 256 * 6 * 6, 4096)  # adaptive pooling to 6x6
    b.fc("classifier.4", 4096, 4096)
    b.fc("classifier.6", 4096, 1000)
    return b.network("alexnet")


#: MobileNetV3-Large bottlenecks: kernel, expanded, out, squeeze-excite,
#: activation ("RE" ReLU / "HS" hard-swish), stride.
_MBV3_LARGE = (
    (3, 16, 16, False, "RE", 1), (3, 64, 24, False, "RE", 2), (3, 72, 24, False, "RE", 1),
    (5, 72, 40, True, "RE", 2), (5, 120, 40, True, "RE", 1), (5, 120, 40, True, "RE", 1),
    (3, 240, 80, False, "HS", 2), (3, 200, 80, False, "HS", 1), (3, 184, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1), (3, 480, 112, True, "HS", 1), (3, 672, 112, True, "HS", 1),
    (5, 672, 160, True, "HS", 2), (5, 960, 160, True, "HS", 1), (5, 960, 160, True, "HS", 1),
)


def _round_to_8(value: float) -> int:
    """Channel rounding of the reference implementation (multiple of 8, >= 90 %)."""
    rounded = max(8, int(value + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * value else rounded


def _bottleneck(b: _Builder, index: int, c_in: int, size: int,
                spec: tuple[int, int, int, bool, str, int]) -> int:
    kernel, expanded, out, use_se, activation, stride = spec
    act = "relu" if activation == "RE" else "gelu"  # hard-swish ~ GELU-like
    prefix = f"blocks.{index}"
    dw_position = "gelu" if index == 0 else act  # block 0 reads the hard-swish stem
    if expanded != c_in:
        b.conv(f"{prefix}.expand", c_in, expanded, size, 1, position="signed")
    size = b.conv(f"{prefix}.depthwise", expanded, expanded, size, kernel, stride,
                  groups=expanded, position=dw_position)
    if use_se:
        squeeze = _round_to_8(expanded / 4)
        b.conv(f"{prefix}.se.fc1", expanded, squeeze, 1, 1, position=act)
        b.conv(f"{prefix}.se.fc2", squeeze, expanded, 1, 1, position="relu")
    b.conv(f"{prefix}.project", expanded, out, size, 1, position=act)
    return size


def mobilenet_v3_large(batch: int = 1, image_size: int = 224) -> Network:
    """MobileNetV3-Large: 62 convs (15 depthwise, 16 SE FCs as 1x1 convs) + 2
    FCs = 64 layers; 0.217 G MACs at 224x224."""
    b = _Builder(batch)
    size, c_in = b.conv("stem", 3, 16, image_size, 3, stride=2, position="image"), 16
    for index, spec in enumerate(_MBV3_LARGE):
        size, c_in = _bottleneck(b, index, c_in, size, spec), spec[2]
    b.conv("head.conv", c_in, 960, size, 1, position="signed")
    b.fc("classifier.0", 960, 1280, position="gelu")
    b.fc("classifier.3", 1280, 1000, position="gelu")
    return b.network("mobilenet_v3_large")
