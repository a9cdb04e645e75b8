"""Registry of component models: lookup by spec ``class:`` name and listing."""

from __future__ import annotations

from .base import ComponentModel, suggest

_MODELS: dict[str, type[ComponentModel]] = {}


class UnknownComponentClass(KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def register(model: type[ComponentModel]) -> type[ComponentModel]:
    """Class decorator adding ``model`` under ``model.name``."""
    if not model.name:
        raise ValueError(f"{model.__name__} has no 'name'")
    if model.name in _MODELS and _MODELS[model.name] is not model:
        raise ValueError(f"component class '{model.name}' is registered twice")
    _MODELS[model.name] = model
    return model


def get_model(name: str) -> type[ComponentModel]:
    try:
        return _MODELS[name]
    except KeyError:
        raise UnknownComponentClass(
            f"unknown component class '{name}'{suggest(name, sorted(_MODELS))}; "
            "`cimdse components` lists the classes") from None


def list_models() -> dict[str, type[ComponentModel]]:
    return dict(sorted(_MODELS.items()))
