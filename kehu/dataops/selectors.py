"""Reads of data in and out: a person sees their own imports (administrators see all)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kehu.dataops.models import ImportJob


def imports_for(user: Any) -> QuerySet[ImportJob]:
    qs = ImportJob.objects.select_related("created_by")
    return qs if user.is_superuser else qs.filter(created_by=user)


def get_import_for(user: Any, pk: int) -> ImportJob | None:
    return imports_for(user).filter(pk=pk).first()
