"""`kehu createadmin`: create (or reset) an administrator account."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction


class Command(BaseCommand):
    help = "Create an administrator, or reset an existing one's password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=None)
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="Display name.")
        parser.add_argument(
            "--password-env",
            default="KEHU_ADMIN_PASSWORD",
            help="Environment variable holding the password (default KEHU_ADMIN_PASSWORD); "
            "asked for interactively when unset.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"] or input("Username: ").strip()
        if not username:
            raise CommandError("A username is required.")
        password = os.environ.get(options["password_env"]) or self._ask_password()
        User = get_user_model()
        user = User.objects.filter(username=username).first() or User(username=username)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.email = options["email"] or user.email
            if options["name"]:
                user.display_name = options["name"]
            user.is_staff = True
            user.is_superuser = True
            user.is_active = True
            user.set_password(password)
            existed = user.pk is not None
            user.save()
        verb = "updated" if existed else "created"
        self.stdout.write(self.style.SUCCESS(f"Administrator {username!r} {verb}."))

    @staticmethod
    def _ask_password() -> str:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
