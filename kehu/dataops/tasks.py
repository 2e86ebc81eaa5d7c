"""Background jobs of data in and out: thin wrappers over the services."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def run_import_task(job_id: int) -> None:
    from kehu.dataops.services import run_import

    run_import(job_id)
