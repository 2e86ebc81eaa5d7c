"""Service-desk jobs: thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task(retries=3, retry_delay=60)
def send_reply_email(message_id: int) -> bool:
    from kehu.service.services import deliver_reply

    return deliver_reply(message_id)


@db_task(retries=3, retry_delay=60)
def send_survey_email(invite_id: int, link: str) -> bool:
    from kehu.service.services import deliver_survey

    return deliver_survey(invite_id, link)


@db_periodic_task(crontab(minute="*"))
def check_slas() -> dict[str, int]:
    """Every minute: warn before an SLA clock runs out, escalate once it has."""
    from kehu.service import services

    return services.check_slas()
