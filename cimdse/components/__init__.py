"""Component models (energy per action, area, leakage) and their registry."""

from .base import (ACTIONS, CONSUMES, REQUIRED, Attribute, ComponentAttributeError,
                   ComponentModel, check_action)
from .registry import (ENTRY_POINT_GROUP, ComponentPluginError, ModelInfo, UnknownComponentClass,
                       get_model, list_models, model_infos, register)
from . import constant  # noqa: F401  (registers the built-in models)
from . import analog, array, converters, digital, library, memory, network, photonic  # noqa: F401

__all__ = ["ACTIONS", "CONSUMES", "ENTRY_POINT_GROUP", "REQUIRED", "Attribute",
           "ComponentAttributeError", "ComponentModel", "ComponentPluginError", "ModelInfo",
           "UnknownComponentClass", "check_action", "get_model", "list_models", "model_infos",
           "register"]
