"""A small immutable, hashable mapping used for layer dims and distributions."""

from __future__ import annotations

from typing import Iterator, Mapping, TypeVar

V = TypeVar("V")


class FrozenMap(Mapping[str, V]):
    """Read-only ``str -> value`` mapping that keeps insertion order and hashes.

    Equality follows :class:`Mapping` (order-insensitive); the hash is computed
    from the sorted items so equal maps hash equally.
    """

    __slots__ = ("_items", "_hash")

    def __init__(self, items: Mapping[str, V] | None = None):
        self._items: dict[str, V] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted(self._items.items())))
        return self._hash

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"
