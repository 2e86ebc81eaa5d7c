"""`kehu demo`: load the demo company (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kehu.core import demo


class Command(BaseCommand):
    help = "Load the demo company 云杉优品 with its teams, people and customers (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only load when the database has no users yet.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from kehu.accounts.models import User

        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has data; demo not loaded.")
            return
        self.stdout.write("Loading the demo company…")
        demo.load(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"Demo ready. Every demo login's password: {demo.DEMO_PASSWORD}")
        )
