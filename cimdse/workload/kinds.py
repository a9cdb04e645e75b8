"""The layer kinds a workload knows, and the positions a layer's inputs may
come from in a network (which set the default operand distributions).

Both the problem definition (:mod:`.problem`) and the operand distributions
(:mod:`.distributions`) name them, so they live here, below both.
"""

from __future__ import annotations

#: Kinds of layer: how the einsum's dims map to a convolution or a matmul.
KINDS: tuple[str, ...] = ("conv", "depthwise", "linear", "matmul")
#: Where a layer's inputs come from (the default input distribution's shape).
POSITIONS: tuple[str, ...] = ("image", "relu", "gelu", "softmax", "signed")
