"""Background jobs of data in and out: thin wrappers over the services."""

from __future__ import annotations

import contextlib

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.dataops import audit_services


@db_task()
def run_import_task(job_id: int) -> None:
    from kehu.dataops.services import run_import

    run_import(job_id)


@db_task()
def check_import_task(job_id: int) -> None:
    from django.core.exceptions import ValidationError

    from kehu.dataops.models import ImportJob
    from kehu.dataops.services import check_import

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with contextlib.suppress(ValidationError):  # the message is on the job, shown on its page
        check_import(actor=job.created_by, job=job)


@db_task()
def run_data_audit(audit_id: int) -> None:
    """An audit somebody asked for (page, API)."""
    audit_services.perform_audit(audit_id=audit_id)


# Daily at 18:17 UTC, i.e. 02:17 in Asia/Shanghai: the quiet hours after the 1st begins there.
@db_periodic_task(crontab(minute="17", hour="18"))
def scheduled_data_audit() -> None:
    """Starts the organisation-wide audit on the 1st of the month or quarter (see the
    schedule), or on one of the next days if the worker was down on the 1st."""
    audit_services.run_scheduled_audit(today=timezone.localdate())
