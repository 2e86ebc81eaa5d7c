import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from kehu.customers.validators import (
    USCC_CHARSET,
    clean_uscc,
    email_is_valid,
    normalize_phone,
    not_in_future,
    phone_is_valid,
    uscc_check_character,
    uscc_is_valid,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0571-88886666", "+8657188886666"),
        ("(010) 6552 9988", "+861065529988"),
        ("+1 650 253 0000", "+16502530000"),
        ("", ""),
    ],
)
def test_good_phones_are_stored_normalised(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["12345", "1380013800", "138001380001", "abc", "+86 99 1"])
def test_bad_phones_are_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(typed)
    assert caught.value.code == "invalid_phone"


def test_a_published_code_validates():
    # 深圳市腾讯计算机系统有限公司, from its public business registration.
    assert clean_uscc(" 91440300708461136t ") == ("91440300708461136T", None)


def test_wrong_check_character_is_a_warning_not_an_error():
    code, warning = clean_uscc("91440300708461136U")
    assert code == "91440300708461136U" and warning


@pytest.mark.parametrize("bad", ["9111000010000058", "91110000100000589I", "911100001000005890Z"])
def test_malformed_codes_are_errors(bad):
    with pytest.raises(ValidationError):
        clean_uscc(bad)


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_computed_check_character_always_validates(first17):
    code = first17 + uscc_check_character(first17)
    assert clean_uscc(code.lower()) == (code, None)
    wrong = USCC_CHARSET[(USCC_CHARSET.index(code[-1]) + 1) % 31]
    assert clean_uscc(first17 + wrong)[1] is not None


def test_future_dates_are_refused():
    not_in_future(timezone.now(), field_label="时间")
    not_in_future(timezone.localdate(), field_label="生日")
    with pytest.raises(ValidationError):
        not_in_future(timezone.now() + dt.timedelta(hours=1), field_label="时间")
    with pytest.raises(ValidationError):
        not_in_future(timezone.localdate() + dt.timedelta(days=1), field_label="生日")


def test_phones_are_shown_as_people_read_them():
    from kehu.core.templatetags.kehu import phone

    assert phone("+8613800138000") == "138 0013 8000"
    assert phone("+8657188886666") == "0571 8888 6666"
    assert phone("+16502530000") == "+1 650-253-0000"
    assert phone("") == "" and phone("garbage") == "garbage"


@pytest.mark.parametrize(
    "stored", ["+8613800138000", "138 0013 8000", "0571-88886666", "+16502530000"]
)
def test_stored_phones_that_read_as_numbers_are_valid(stored):
    assert phone_is_valid(stored)


@pytest.mark.parametrize("stored", ["12345", "1380013800", "abc", "+86 99 1", "138001"])
def test_stored_phones_the_forms_would_refuse_are_not_valid(stored):
    assert not phone_is_valid(stored)
    with pytest.raises(ValidationError):
        normalize_phone(stored)


@pytest.mark.parametrize(
    ("email", "valid"),
    [("li@example.com", True), ("wrong@", False), ("no-at-sign", False), ("a b@c.com", False)],
)
def test_email_validity_matches_the_forms(email, valid):
    assert email_is_valid(email) is valid


@given(st.text(alphabet=USCC_CHARSET + "io ", min_size=0, max_size=20))
def test_uscc_is_valid_exactly_when_clean_uscc_has_nothing_to_say(typed):
    try:
        _code, warning = clean_uscc(typed)
    except ValidationError:
        agrees = not uscc_is_valid(typed)
    else:
        agrees = uscc_is_valid(typed) is (warning is None and bool(typed.strip(" ")))
    assert agrees
