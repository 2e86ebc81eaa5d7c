"""`kehu manage openapi_schema`: write the API schema to schema/openapi.json (committed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Write the OpenAPI schema that a test compares against the running code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR, "schema", "openapi.json"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import translation

        from kehu.api import api

        with translation.override("en"):
            schema = api.get_openapi_schema()
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        self.stdout.write(f"Wrote {path}")
