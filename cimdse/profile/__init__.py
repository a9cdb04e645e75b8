"""Profiling a trained model into a workload: each layer as an einsum with
its real operand histograms.

A front door runs the model on a few sample inputs and captures every
convolution and matrix product: :func:`profile_onnx` (an ONNX file, with
onnx and onnxruntime: ``pip install 'cimdse[onnx]'``) or
:func:`profile_module` (an in-memory PyTorch ``nn.Module``: ``pip install
'cimdse[torch]'``; never a pickled file). Each tensor is quantised
symmetrically per tensor to the layer's bit width, the convention of the
built-in histograms. The :class:`Profile` holds the network and writes a
workload directory ``--workload`` accepts (:meth:`Profile.write`). An op
that carries MACs cimdse cannot map is named, by op and node or module, and
is never skipped silently.

Rooms: :mod:`.probe` (a captured call -> a layer and its einsum operands),
:mod:`.quantize` (scales, codes, histograms), :mod:`.keep` (bounded tensor
samples), :mod:`.profiler` (the two passes over the samples),
:mod:`.result` (what a profile holds), :mod:`.samples` (reading sample
files), :mod:`.onnx_model` and :mod:`.torch_module` (the front doors),
:mod:`.writer` (the workload directory).
"""

from .errors import ProfileError
from .keep import parse_size
from .onnx_model import MAX_MODEL_BYTES, profile_onnx
from .quantize import DEFAULT_BITS
from .result import LayerProfile, Profile, Unmapped
from .samples import MAX_SAMPLE_BYTES, load_samples
from .torch_module import profile_module
from .writer import write_profile

__all__ = [
    "DEFAULT_BITS", "MAX_MODEL_BYTES", "MAX_SAMPLE_BYTES", "LayerProfile", "Profile",
    "ProfileError", "Unmapped", "load_samples", "parse_size", "profile_module", "profile_onnx",
    "write_profile",
]
