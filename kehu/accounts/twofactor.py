"""Two-factor sign-in: TOTP devices (authenticator apps) and single-use recovery codes.

Built on django-otp. A user's session counts as verified once they entered a code after their
password (``django_otp.login``). Roles may require 2FA; :class:`TwoFactorMiddleware` sends a
user who must use it to enrolment or verification before anything else.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
TOTP_NAME = "authenticator"


def required_for(user: Any) -> bool:
    """Whether any of the user's roles requires two-factor sign-in."""
    return bool(user.is_authenticated and user.roles.filter(require_2fa=True).exists())


def has_device(user: Any) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def confirmed_totp(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def start_enrolment(user: Any) -> TOTPDevice:
    """A fresh, unconfirmed TOTP device (any earlier unconfirmed one is discarded)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def pending_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// QR code as inline SVG (no image files, no external service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg: bytes = image.to_string()
    return svg.decode()


@transaction.atomic
def confirm_enrolment(request: Any, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a first code; returns new recovery codes, or None if wrong."""
    if not device.verify_token(code.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = regenerate_recovery_codes(device.user)
    otp_login(request, device)
    return codes


@transaction.atomic
def regenerate_recovery_codes(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="recovery", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def throttled(user: Any) -> bool:
    """Whether every device of the user is waiting out the delay after wrong codes."""
    devices = list(devices_for_user(user, confirmed=True))
    return bool(devices) and not any(d.verify_is_allowed()[0] for d in devices)


def verify(request: Any, code: str) -> bool:
    """Check a TOTP or recovery code for the signed-in user; marks the session verified.

    Each wrong code doubles the wait before the next one is checked (django-otp throttling).
    """
    code = code.strip().replace(" ", "").lower()
    if not code:
        return False
    for device in devices_for_user(request.user, confirmed=True):
        if device.verify_token(code):
            otp_login(request, device)
            return True
    return False


@transaction.atomic
def disable(user: Any) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
