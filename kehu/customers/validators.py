"""Validation of what people type about customers: phones, the Unified Social Credit Code, dates.

Messages are translated; a problem that must not block saving (a USCC whose check character does
not match, which some early codes fail) is a *warning* returned to the caller, not an error.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

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


def phone_is_valid(raw: str, *, region: str | None = None) -> bool:
    """Whether ``raw`` is a number :func:`normalize_phone` would accept (as typed or stored).

    For checking stored data in bulk (the data-quality audit): no exception, no message, and
    repeated values (placeholders such as ``13800000000``) are parsed once.
    """
    return _phone_is_valid((raw or "").strip(), region or settings.KEHU_PHONE_REGION)


@functools.lru_cache(maxsize=65536)
def _phone_is_valid(text: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False


def email_is_valid(raw: str) -> bool:
    """Whether ``raw`` passes the same check as the e-mail fields of the forms."""
    from django.core.validators import validate_email

    try:
        validate_email((raw or "").strip())
    except ValidationError:
        return False
    return True


def uscc_flagged(raw: str) -> bool:
    """Whether a credit code is on file but not valid: the stored ``uscc_invalid`` column."""
    return bool(raw) and not uscc_is_valid(raw)


def uscc_is_valid(raw: str) -> bool:
    """Whether ``raw`` is a well-formed Unified Social Credit Code whose check character matches
    (GB 32100-2015), after the normalisation :func:`clean_uscc` applies."""
    code = (raw or "").strip().upper().replace(" ", "")
    if len(code) != 18 or any(c not in USCC_CHARSET for c in code):
        return False
    return uscc_check_character(code[:17]) == code[17]


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


PLACES = (  # noqa: SIM905 - a readable list of place names
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 "
    "江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 "
    "台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 石家庄 唐山 保定 太原 "
    "大同 沈阳 大连 长春 哈尔滨 南京 苏州 无锡 常州 南通 徐州 扬州 镇江 "
    "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 台州 丽水 衢州 舟山 义乌 合肥 "
    "芜湖 福州 厦门 泉州 漳州 南昌 赣州 济南 青岛 烟台 潍坊 临沂 淄博 "
    "郑州 洛阳 武汉 宜昌 襄阳 长沙 株洲 岳阳 广州 深圳 珠海 佛山 东莞 "
    "中山 惠州 汕头 江门 湛江 海口 三亚 成都 绵阳 贵阳 昆明 西安 兰州 "
    "西宁 银川 乌鲁木齐 南宁 桂林 柳州 呼和浩特 包头 拉萨 昆山 常熟 "
    "张家港 慈溪 余姚 "
).split()
PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市", "区", "县")
LEGAL_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团公司",
    "集团",
    "公司",
    "商行",
    "工作室",
    "co.,ltd",
    "co.ltd",
    "coltd",
    "ltd",
    "inc",
)


_PLACE = re.compile(
    "^(?:" + "|".join(sorted(PLACES, key=len, reverse=True)) + ")"
    "(?:" + "|".join(PLACE_SUFFIXES) + ")?"
)
_LEGAL = re.compile("(?:" + "|".join(re.escape(s) for s in LEGAL_SUFFIXES) + ")$")
_BRACKETS = re.compile(r"\(.*?\)")


def core_key(name: str) -> str:
    """The distinctive part of a customer's name, for spotting duplicates: ``杭州云帆科技有限公司``,
    ``云帆科技（杭州）有限公司`` and ``云帆科技`` all give ``云帆科技``."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _BRACKETS.sub("", text)  # （北京） and (中国) are places, not names
    text = "".join(ch for ch in text if ch.isalnum() or ch in ".,")
    while True:
        stripped = _LEGAL.sub("", text) if len(text) > 4 else text
        place = _PLACE.match(stripped)
        if place and len(stripped) - place.end() >= 2:
            stripped = stripped[place.end() :]
        if stripped == text or len(stripped) < 2:
            break
        text = stripped
    return "".join(ch for ch in text if ch.isalnum())
