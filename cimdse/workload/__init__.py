"""Workloads: layers as einsums, networks, value distributions, importers.

Public API::

    Layer, Network, Histogram, WorkloadError, DIMS, SLICE_DIMS, TENSORS
    conv2d, linear, matmul, tensor_projection
    list_networks, get_network, load_workload
    load_cimloop_layer, load_cimloop_dir
    laplace, gaussian, relu, gelu_like, softmax_like, default_distributions
    to_bit_probabilities, from_bit_probabilities, rebin
"""

from .cimloop_import import load_cimloop_dir, load_cimloop_layer
from .distributions import (DEFAULT_BITS, ENCODINGS, POSITIONS, Histogram,
                            default_distributions, from_bit_probabilities, gaussian,
                            gelu_like, laplace, rebin, relu, softmax_like,
                            to_bit_probabilities)
from .errors import WorkloadError
from .loader import load_workload
from .network import Network
from .networks import NETWORKS, get_network, list_networks
from .problem import (ALL_DIMS, COEFFICIENTS, DIMS, KINDS, SLICE_DIMS, TENSORS, Layer,
                      ProjectionTerm, conv2d, linear, matmul, tensor_projection)

__all__ = [
    "ALL_DIMS", "COEFFICIENTS", "DEFAULT_BITS", "DIMS", "ENCODINGS", "KINDS", "NETWORKS",
    "POSITIONS", "SLICE_DIMS", "TENSORS",
    "Histogram", "Layer", "Network", "ProjectionTerm", "WorkloadError",
    "conv2d", "default_distributions", "from_bit_probabilities", "gaussian", "gelu_like",
    "get_network", "laplace", "linear", "list_networks", "load_cimloop_dir",
    "load_cimloop_layer", "load_workload", "matmul", "rebin", "relu", "softmax_like",
    "tensor_projection", "to_bit_probabilities",
]
