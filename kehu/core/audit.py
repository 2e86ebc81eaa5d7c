"""Writing the global audit log."""

from __future__ import annotations

from typing import Any

from kehu.core.models import AuditEvent


def audit(
    action: str,
    *,
    actor: Any = None,
    request: Any = None,
    obj: Any = None,
    summary: str = "",
    **data: Any,
) -> AuditEvent:
    ip = request.META.get("REMOTE_ADDR") if request is not None else None
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:300],
        ip_address=ip or None,
        data=data,
    )
