"""Shared fixtures. Tests build their data through the real services."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

# The environment Django reads its settings from is set in pyproject.toml (pytest-env).

_seq = itertools.count(1)

IN_CI = os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when a real part of the machine is missing; in CI that is a failure instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def make_user(db: Any) -> Any:
    from kehu.accounts.models import User

    def make(username: str | None = None, *, roles: tuple[str, ...] = (), **fields: Any) -> User:
        from kehu.accounts.models import Role

        n = next(_seq)
        username = username or f"user{n}"
        password = fields.pop("password", "s3cret-pass!")
        user = User(username=username, display_name=fields.pop("display_name", username), **fields)
        user.set_password(password)
        user.save()
        if roles:
            from kehu.accounts.roles import create_default_roles

            create_default_roles(Role)  # a transactional test's flush removes the shipped roles
            user.roles.set(Role.objects.filter(code__in=roles))
            assert user.roles.count() == len(roles), f"unknown role in {roles}"
        return user

    return make


@pytest.fixture
def user(make_user: Any) -> Any:
    return make_user("linxue", display_name="林雪", title="销售代表", roles=("sales_rep",))


@pytest.fixture
def other_user(make_user: Any) -> Any:
    return make_user("chenhao", display_name="陈浩", roles=("sales_rep",))


@pytest.fixture
def admin_user(make_user: Any) -> Any:
    return make_user("boss", is_staff=True, is_superuser=True)


@pytest.fixture
def logged_in(client: Any, user: Any) -> Any:
    client.force_login(user)
    return client


@pytest.fixture
def make_customer(db: Any) -> Any:
    from kehu.customers import services

    def make(owner: Any, name: str | None = None, **fields: Any) -> Any:
        return services.create_customer(
            actor=owner, name=name or f"客户{next(_seq)}有限公司", owner=owner, **fields
        )

    return make


@pytest.fixture(scope="session")
def migrated_data_dir(tmp_path_factory: Any) -> Any:
    """A data dir whose SQLite database is migrated, with one administrator (for CLI/serve)."""
    from tests.servers import kehu_env, run_kehu

    data_dir = tmp_path_factory.mktemp("kehu-data")
    env = kehu_env(data_dir)
    result = run_kehu("migrate", "--no-input", "-v0", env=env)
    assert result.returncode == 0, result.stderr
    result = run_kehu(
        "createadmin",
        "--username",
        "admin",
        "--name",
        "管理员",
        env={**env, "KEHU_ADMIN_PASSWORD": "a-long-admin-pass"},
    )
    assert result.returncode == 0, result.stderr
    return data_dir


def force_login_verified(client: Any, user: Any) -> None:
    """Sign ``user`` in as after both steps: password and, where they have one, a 2FA code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="authenticator", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
