"""The sidebar: each app registers its entries in ``AppConfig.ready``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise


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
        return _address(self.url_name, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _address(url_name: str, prefix: str) -> str:
    # Every page draws the whole sidebar: each entry's address is worked out once.
    return reverse(url_name)


@receiver(setting_changed)
def _forget_addresses(**kwargs: Any) -> None:
    if kwargs.get("setting") == "ROOT_URLCONF":
        _address.cache_clear()


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _items[item.key] = item


def items_for(user: Any) -> list[NavItem]:
    return sorted(
        (i for i in _items.values() if i.visible is None or i.visible(user)),
        key=lambda i: (i.order, i.key),
    )
