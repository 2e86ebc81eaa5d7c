"""`kehu manage reindex`: rebuild the search index (after bulk loads or an upgrade)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kehu.core import search


class Command(BaseCommand):
    help = "Rebuild the search entries of every searchable record type."

    def handle(self, *args: Any, **options: Any) -> None:
        for searchable in search.searchables():
            count = search.reindex(searchable.model)
            self.stdout.write(f"{searchable.key}: {count}")
