"""The notification WebSocket, through the real ASGI stack (origin check, session auth)."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore

from kehu.asgi import application
from kehu.core import services
from tests.wsclient import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie_for(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def connect(cookie=None, origin=b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/notifications/", headers=headers)


def test_signed_in_user_gets_live_notifications(make_user):
    user = make_user("ws-user")
    async_to_sync(_live_notifications)(user, session_cookie_for(user))


async def _live_notifications(user, cookie):
    ws = connect(cookie)
    connected, _ = await ws.connect()
    assert connected
    assert await ws.receive_json_from(timeout=5) == {"type": "hello", "unread": 0}
    await sync_to_async(services.notify)(recipient=user, title="新任务", body="请跟进")
    message = await ws.receive_json_from(timeout=5)
    assert (message["type"], message["title"], message["unread"]) == ("notification", "新任务", 1)
    await ws.disconnect()


def test_notifications_never_reach_another_user(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    async_to_sync(_not_for_me)(session_cookie_for(alice), bob)


async def _not_for_me(cookie, bob):
    ws = connect(cookie)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)
    await sync_to_async(services.notify)(recipient=bob, title="bob only")
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


def test_anonymous_connections_are_closed():
    async_to_sync(_anonymous)()


async def _anonymous():
    ws = connect()
    connected, code = await ws.connect()
    assert not connected and code == 4401


def test_foreign_origin_is_refused(make_user):
    user = make_user("origin-user")
    async_to_sync(_foreign_origin)(session_cookie_for(user))


async def _foreign_origin(cookie):
    ws = connect(cookie, origin=b"https://evil.example")
    connected, _ = await ws.connect()
    assert not connected


def test_inactive_users_get_nothing(make_user):
    user = make_user("gone", is_active=False)
    assert services.notify(recipient=user, title="x") is None


def test_deactivation_closes_the_live_connection(make_user):

    user, admin = make_user("leaving"), make_user("boss2", is_superuser=True)
    async_to_sync(_closed_on_deactivation)(session_cookie_for(user), user, admin)


async def _closed_on_deactivation(cookie, user, admin):
    from kehu.accounts import services as account_services

    ws = connect(cookie)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)
    await sync_to_async(account_services.deactivate_user)(actor=admin, user=user, reassign_to=None)
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
