"""Validation of what people type about customers: phones, the Unified Social Credit Code, dates.

Messages are translated; a problem that must not block saving (a USCC whose check character does
not match, which some early codes fail) is a *warning* returned to the caller, not an error.
"""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: 31 characters, no I O Z S V
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
CLOCK_SKEW = dt.timedelta(minutes=5)


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """A mobile or landline number in E.164 (``+8613800138000``); '' stays ''.

    Chinese numbers may be typed the usual ways (``138 0013 8000``, ``0571-8888 6666``,
    ``+86 138…``); others need their country code.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, region or settings.KEHU_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("“%(value)s” is not a phone number."),
            code="invalid_phone",
            params={"value": text},
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. Check the digits and, for numbers "
                "outside China, the country code."
            ),
            code="invalid_phone",
            params={"value": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def clean_uscc(raw: str) -> tuple[str, str | None]:
    """The normalised code and a warning (or None). Wrong length or characters is an error."""
    code = (raw or "").strip().upper().replace(" ", "")
    if not code:
        return "", None
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        raise ValidationError(
            _(
                "A Unified Social Credit Code has 18 characters: digits and capital letters "
                "except I, O, Z, S and V."
            ),
            code="invalid_uscc",
        )
    if uscc_check_character(code[:17]) != code[17]:
        return code, _(
            "The check character of this Unified Social Credit Code does not match "
            "(some early codes do not). Please double-check it."
        )
    return code, None


def not_in_future(value: dt.datetime | dt.date | None, *, field_label: str) -> None:
    if value is None:
        return
    if isinstance(value, dt.datetime):
        future = value > timezone.now() + CLOCK_SKEW
    else:
        future = value > timezone.localdate()
    if future:
        raise ValidationError(
            _("%(field)s cannot be in the future.") % {"field": field_label}, code="future"
        )


def name_key(name: str) -> str:
    """A name as compared for duplicates: ``（北京）华为 有限公司`` ~ ``(北京)华为有限公司``."""
    import unicodedata

    folded = unicodedata.normalize("NFKC", name or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())
