"""The sidebar: each app registers its entries in ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from kehu.core.links import named_url


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    icon: str
    order: int = 100
    section: str = "main"
    visible: Callable[[Any], bool] | None = None

    @property
    def url(self) -> str:
        return named_url(self.url_name)


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def items_for(user: Any) -> list[NavItem]:
    return sorted(
        (i for i in _items.values() if i.visible is None or i.visible(user)),
        key=lambda i: (i.order, i.key),
    )
