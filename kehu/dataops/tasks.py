"""Background jobs of data in and out: thin wrappers over the services."""

from __future__ import annotations

import contextlib

from huey.contrib.djhuey import db_task


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
