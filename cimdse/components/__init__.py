"""Component models (energy per action, area, leakage) and their registry."""

from .base import ACTIONS, REQUIRED, Attribute, ComponentAttributeError, ComponentModel
from .registry import UnknownComponentClass, get_model, list_models, register
from . import constant  # noqa: F401  (registers the built-in models)
from . import analog, array, converters, digital, library, memory, network, photonic  # noqa: F401

__all__ = ["ACTIONS", "REQUIRED", "Attribute", "ComponentAttributeError", "ComponentModel",
           "UnknownComponentClass", "get_model", "list_models", "register"]
