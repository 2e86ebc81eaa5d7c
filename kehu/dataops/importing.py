"""What each import type accepts, how a spreadsheet row becomes a record, and how a batch is
checked and written.

A type lists its fields (with the header texts that map to them automatically), parses and
validates one row into plain values, finds the existing record a row duplicates — by the same
rules as the customer table, looked up for a whole batch at once — and writes a batch with bulk
inserts, history rows and search entries. Rows are streamed in batches of ``BATCH``: a
500,000-row file never sits in memory.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

BATCH = 1000


# ---- values --------------------------------------------------------------------------------


class RowError(Exception):
    """One cell's problem: the field and a translated reason."""

    def __init__(self, field_key: str, message: str) -> None:
        super().__init__(message)
        self.field_key, self.message = field_key, message


def _header_key(text: str) -> str:
    """Headers compared without case, spaces, punctuation or a trailing "(必填)"/"*"."""
    text = re.sub(r"[（(][^)）]*[)）]", "", text or "")
    return re.sub(r"[\s\-_*:：/·.。、]+", "", text).lower()


def parse_text(limit: int) -> Callable[[str, Any], str]:
    def parse(value: str, ctx: Any) -> str:
        if len(value) > limit:
            raise ValueError(
                _("At most %(n)d characters (this has %(len)d).") % {"n": limit, "len": len(value)}
            )
        return value

    return parse


def parse_choice(
    choices: Iterable[tuple[str, Any]], *, extra: dict[str, str] | None = None
) -> Callable[[str, Any], str]:
    """A value given as its code or its label in either language ("A", "A · 重点客户",
    "key account", "重点客户"), without regard to case."""
    from django.utils import translation

    options: dict[str, str] = {}
    for code, label in choices:
        options[code.lower()] = code
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                text = str(label).lower()
            options[text] = code
            if "·" in text:
                options[text.split("·", 1)[1].strip()] = code
    for key, code in (extra or {}).items():
        options[key.lower()] = code

    def parse(value: str, ctx: Any) -> str:
        found = options.get(value.strip().lower())
        if found is None:
            raise ValueError(
                _("“%(value)s” is not one of: %(options)s.")
                % {"value": value, "options": "、".join(code for code, _label in choices)}
            )
        return found

    return parse


# Whether the 11-digit mobile numbers starting with these five digits are valid as they are
# (region, prefix -> answer). Validity of a Chinese mobile number depends on its first five
# digits at most (the rest is free), so once libphonenumber has accepted one number of a prefix
# the others of that prefix need no parse; a prefix it refused keeps going through it.
_MOBILE_PREFIXES: dict[tuple[str, str], bool] = {}


def parse_phone(value: str, ctx: Any) -> str:
    from django.conf import settings

    from kehu.customers.validators import normalize_phone

    text = value.strip()
    region = settings.KEHU_PHONE_REGION
    key = None
    if region == "CN" and len(text) == 11 and text[0] == "1" and text.isascii() and text.isdigit():
        key = (region, text[:5])
        if _MOBILE_PREFIXES.get(key):
            return "+86" + text
    try:
        number = normalize_phone(text)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    if key is not None:
        _MOBILE_PREFIXES[key] = number == "+86" + text
    return number


def parse_email(value: str, ctx: Any) -> str:
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(_("“%(value)s” is not an e-mail address.") % {"value": value}) from None
    return value.lower()


def parse_uscc(value: str, ctx: Any) -> str:
    from kehu.customers.validators import clean_uscc

    try:
        code, warning = clean_uscc(value)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from None
    if warning:
        ctx.warn(str(warning))
    return code


_DATE_PATTERNS = (
    re.compile(
        r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
    ),
)


def parse_date(value: str, ctx: Any) -> dt.date:
    found = _parse_moment(value)
    if found is None:
        raise ValueError(_("“%(value)s” is not a date (e.g. 2024-03-15).") % {"value": value})
    return found.date() if isinstance(found, dt.datetime) else found


def parse_datetime(value: str, ctx: Any) -> dt.datetime:
    found = _parse_moment(value)
    if found is None:
        raise ValueError(
            _("“%(value)s” is not a date and time (e.g. 2024-03-15 14:30).") % {"value": value}
        )
    if not isinstance(found, dt.datetime):
        found = dt.datetime.combine(found, dt.time(9, 0))
    return timezone.make_aware(found) if timezone.is_naive(found) else found


def _parse_moment(value: str) -> dt.date | dt.datetime | None:
    value = value.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(value)
        if m:
            y, mo, d, h, mi, s = m.groups()
            try:
                if h is None:
                    return dt.date(int(y), int(mo), int(d))
                return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
            except ValueError:
                return None
    if re.fullmatch(r"\d{1,7}(\.\d+)?", value):  # an Excel date serial
        from kehu.dataops.readers import excel_serial_to_date

        return excel_serial_to_date(value)
    return None


def parse_money(value: str, ctx: Any) -> Decimal:
    cleaned = re.sub(r"[¥￥,，\s元]|RMB|CNY", "", value, flags=re.IGNORECASE)
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": value}) from None
    if amount < 0 or not amount.is_finite():
        raise ValueError(_("An amount cannot be negative."))
    return amount.quantize(Decimal("0.01"))


def parse_int(value: str, ctx: Any) -> int:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value}) from None
    if number != number.to_integral_value() or number < 0:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(number)


def parse_user(value: str, ctx: Any) -> int:
    user_id = ctx.users.get(value.strip().lower())
    if user_id is None:
        raise ValueError(
            _("Nobody called “%(value)s” works here (give a username, name or e-mail).")
            % {"value": value}
        )
    return user_id


def parse_tags(value: str, ctx: Any) -> list[str]:
    from kehu.customers.services import clean_tag_names

    return clean_tag_names(re.split(r"[,，;；、|/]+", value))


def parse_satisfaction(value: str, ctx: Any) -> int:
    number = parse_int(value, ctx)
    if not 1 <= number <= 5:
        raise ValueError(_("Satisfaction is a score from 1 to 5."))
    return number


# ---- types ---------------------------------------------------------------------------------


_TEXT_255 = parse_text(255)


@dataclass(frozen=True)
class Field:
    key: str
    label: str | Promise
    headers: tuple[str, ...] = ()  # header texts that map here automatically
    parse: Callable[[str, Any], Any] = _TEXT_255
    required: bool = False
    example: str = ""
    options: tuple[str, ...] = ()  # shown as a drop-down list in the template


@dataclass
class Row:
    """One source row on its way in."""

    number: int
    cells: list[str | None]
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field label, reason)
    warnings: list[str] = field(default_factory=list)
    action: str = ""  # create / update / skip / invalid
    existing: int | None = None  # the record a duplicate row matches
    reason: str = ""  # why it is skipped or matched

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Context:
    """What parsing needs once per import: the people who can own records, caches."""

    def __init__(self, actor: Any) -> None:
        from kehu.accounts.models import User

        self.actor = actor
        self.users: dict[str, int] = {}
        for pk, username, display, email in User.objects.filter(is_active=True).values_list(
            "pk", "username", "display_name", "email"
        ):
            for key in (username, display, email):
                if key:
                    self.users.setdefault(key.strip().lower(), pk)
        # duplicate key kind -> 64-bit hash of the key -> row: small ints, not the texts, so a
        # 500,000-row file's keys take tens of megabytes, not hundreds
        self.seen: dict[str, dict[int, int]] = {}
        self.row: Row | None = None

    def warn(self, message: str) -> None:
        if self.row is not None:
            self.row.warn(message)

    def seen_before(self, kind: str, key: str, row: int) -> int | None:
        """The earlier row of this file with the same key (a hash is kept, not the text)."""
        if not key:
            return None
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
        table = self.seen.setdefault(kind, {})
        first = table.get(digest)
        if first is None:
            table[digest] = row
        return first


class ImportType:
    key: str
    label: str | Promise
    model: type[models.Model]
    permission: str
    fields: list[Field]
    overwritable = True  # False: a duplicate is always skipped (never updated nor doubled)

    def field(self, key: str) -> Field:
        by_key = self.__dict__.get("_by_key")
        if by_key is None or len(by_key) != len(self.fields):
            by_key = self.__dict__["_by_key"] = {f.key: f for f in self.fields}
        return by_key[key]

    def auto_mapping(self, headers: list[str]) -> dict[str, str]:
        """Column index (as text) -> field key, for the headers this type recognises."""
        known: dict[str, str] = {}
        for f in self.fields:
            for text in (f.key, str(f.label), *f.headers):
                known.setdefault(_header_key(text), f.key)
            from django.utils import translation

            for lang in ("zh-hans", "en"):
                with translation.override(lang):
                    known.setdefault(_header_key(str(f.label)), f.key)
        mapping: dict[str, str] = {}
        taken: set[str] = set()
        for i, header in enumerate(headers):
            key = known.get(_header_key(header))
            if key and key not in taken:
                mapping[str(i)] = key
                taken.add(key)
        return mapping

    def parse(self, row: Row, mapping: dict[str, str], ctx: Context) -> None:
        """Fill ``row.values`` from its cells; problems go to ``row.errors``."""
        ctx.row = row
        given: set[str] = set()
        for index, key in mapping.items():
            i = int(index)
            raw = row.cells[i] if i < len(row.cells) else None
            if raw is None or raw == "":
                continue
            f = self.field(key)
            given.add(key)
            try:
                row.values[key] = f.parse(raw, ctx)
            except ValueError as exc:
                row.errors.append((str(f.label), str(exc)))
        for f in self.fields:
            if f.required and f.key not in given:
                row.errors.append((str(f.label), _("This column is required and is empty.")))
        if not row.errors:
            self.check(row, ctx)
        ctx.row = None

    def check(self, row: Row, ctx: Context) -> None:
        """Checks across the fields of a row (after each parsed on its own)."""

    def group_key(self, mapping: dict[str, str]) -> Callable[[list[Any]], Any] | None:
        """For types whose rows belong together (an order's lines): the key of a row's group."""
        return None

    def match(self, rows: list[Row], ctx: Context) -> None:
        """Set ``existing`` and ``reason`` on rows that duplicate a record or an earlier row."""

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        """Create or update the records of the rows; returns (row, model, id) of created ones."""
        raise NotImplementedError

    def changes(self, obj: Any, values: dict[str, Any]) -> list[str]:
        """The values of a row that differ from the record it duplicates (the dry run shows an
        update that changes nothing as a skip)."""
        names = {f.name for f in self.model._meta.concrete_fields}
        return [
            k for k, v in values.items() if k in names and k != "name" and getattr(obj, k, v) != v
        ]

    def template_options(self, f: Field) -> tuple[str, ...]:
        """The drop-down list of a column in the downloadable template."""
        return f.options


def _in_batches(values: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


def _prep_save(f: Any, conn: Any, value: Any) -> Any:
    return f.get_db_prep_save(value, conn)


def _preparers(fields: list[Any], conn: Any) -> list[Callable[[Any], Any] | None]:
    """Per field, how a Python value becomes a database value: text, integers, booleans and
    foreign-key ids go as they are (the driver takes them); dates, times, decimals and JSON
    through the field, as Django's own INSERT would."""
    out: list[Callable[[Any], Any] | None] = []
    for f in fields:
        if isinstance(f, _AS_IS) and not isinstance(f, models.JSONField):
            out.append(None)
        else:
            out.append(functools.partial(_prep_save, f, conn))
    return out


def _prepared(rows: list[list[Any]], prepare: list[Callable[[Any], Any] | None]) -> list[list[Any]]:
    """The rows' values as the database takes them. A batch repeats most prepared values (the
    same timestamp on every row, a handful of dates): each distinct value is prepared once."""
    plain = all(prep is None for prep in prepare)
    if plain:
        return rows
    memos: list[dict[Any, Any]] = [{} for _ in prepare]
    out = []
    for row in rows:
        values = []
        for v, prep, memo in zip(row, prepare, memos, strict=True):
            if prep is None or v is None:
                values.append(v)
                continue
            try:
                found = memo.get(v, _MISSING)
            except TypeError:  # unhashable (JSON)
                values.append(prep(v))
                continue
            if found is _MISSING:
                found = memo[v] = prep(v)
            values.append(found)
        out.append(values)
    return out


_MISSING = object()


def insert_values(
    model: type[models.Model], rows: list[dict[str, Any]], *, returning: bool = True
) -> list[Any]:
    """INSERT new records given as {attname: value} for every concrete field but the primary
    key (see :func:`record_defaults`), without building model instances; returns their ids
    in order when ``returning``."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    return _insert(model, fields, [[row[n] for n in names] for row in rows], returning=returning)


def record_defaults(model: type[models.Model]) -> dict[str, Any]:
    """{attname: default} of a model's concrete fields but the primary key: the start of a row
    for :func:`insert_values` (fields with a callable default get it per row from
    :func:`fresh_defaults`)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and not (f.has_default() and callable(f.default))
    }


def fresh_defaults(model: type[models.Model]) -> Callable[[], dict[str, Any]]:
    """The defaults :func:`record_defaults` leaves out, made anew for each row."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.has_default() and callable(f.default)
    ]
    return lambda: {f.attname: f.get_default() for f in fields}


def insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Plain INSERTs of rows given as {attname: value}, for rows whose ids nobody needs back
    (history, search entries, the import's own bookkeeping): values are prepared by the
    fields as Django would, without building a model instance and compiling an INSERT per
    row — a third of an import's time otherwise."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in rows[0]]

    def value(row: dict[str, Any], f: Any) -> Any:
        found = row.get(f.attname)
        return f.get_default() if found is None and f.has_default() else found

    _insert(model, fields, [[value(row, f) for f in fields] for row in rows], returning=False)


def insert_objects(model: type[models.Model], objs: list[Any]) -> None:
    """Insert new model instances and give each its id, in order."""
    from django.db import DEFAULT_DB_ALIAS

    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = [[f.pre_save(obj, True) for f in fields] for obj in objs]
    ids = _insert(model, fields, values, returning=True)
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


def _insert(
    model: type[models.Model], fields: list[Any], rows: list[list[Any]], *, returning: bool
) -> list[Any]:
    """The INSERT itself. PostgreSQL: ``COPY`` (the fastest way in; ids, when needed, taken
    from the table's sequence beforehand, in one round trip, in order). SQLite: multi-row
    VALUES with RETURNING (≥ 3.35), or executemany when no id is needed."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no per-call proxy lookup
    prepare = _preparers(fields, connection)
    quote = connection.ops.quote_name
    table = quote(str(model._meta.db_table))
    columns = ", ".join(quote(str(f.column)) for f in fields)
    pk = quote(str(model._meta.pk.column))
    tail = f" RETURNING {pk}" if returning else ""
    prepared = _prepared(rows, prepare)
    ids: list[Any] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                    "FROM generate_series(1, %s) ORDER BY 1",
                    [model._meta.db_table, model._meta.pk.column, len(prepared)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                columns = f"{pk}, {columns}"
                prepared = [[new_id, *row] for new_id, row in zip(ids, prepared, strict=True)]
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            return ids
        if not returning:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            for chunk in _in_batches(prepared, 1000):
                cursor.executemany(sql, chunk)
            return ids
        row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for chunk in _in_batches(prepared, 500):
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 - names from models
                + ", ".join([row_marks] * len(chunk))
                + tail
            )
            cursor.execute(sql, [v for row in chunk for v in row])
            ids += [row[0] for row in cursor.fetchall()]
    return ids


def _history(model: type[models.Model], objs: list[Any], actor: Any, reason: str) -> None:
    """History rows for records written in bulk (simple-history does not see bulk writes):
    ``+`` for new records, ``~`` for those marked ``_imported_new = False``."""
    new = [o.pk for o in objs if getattr(o, "_imported_new", True)]
    changed = [o.pk for o in objs if not getattr(o, "_imported_new", True)]
    history_of(model, new, actor, reason, kind="+")
    history_of(model, changed, actor, reason, kind="~")


def history_of(
    model: type[models.Model], ids: list[int], actor: Any, reason: str, *, kind: str
) -> None:
    """History rows copying the records' current state, one ``INSERT … SELECT`` per chunk of
    ids inside the writer's transaction: the rows are what was just written."""
    from django.db import DEFAULT_DB_ALIAS, connections

    if not ids:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    history_model = model.history.model  # type: ignore[attr-defined]
    own = {f.attname: f for f in model._meta.concrete_fields}
    tracked = [
        f for f in history_model._meta.concrete_fields if f.attname in own and f.attname != "id"
    ]
    columns = [quote(str(f.column)) for f in tracked]
    source = [quote(str(own[f.attname].column)) for f in tracked]
    date_field = history_model._meta.get_field("history_date")
    when = date_field.get_db_prep_save(timezone.now(), connection)
    table = quote(str(model._meta.db_table))
    pk = quote(str(model._meta.pk.column))
    head = (
        f"INSERT INTO {quote(str(history_model._meta.db_table))} "  # noqa: S608 - model names
        f"({', '.join(columns)}, {quote('id')}, {quote('history_date')}, "
        f"{quote('history_type')}, {quote('history_user_id')}, "
        f"{quote('history_change_reason')}) "
        f"SELECT {', '.join(source)}, {pk}, %s, %s, %s, %s FROM {table} WHERE {pk} "
    )
    params = [when, kind, getattr(actor, "pk", None), reason]
    with connection.cursor() as cursor:
        for chunk in _in_batches(sorted(ids), 900):
            if connection.vendor == "postgresql":
                cursor.execute(head + "= ANY(%s) ORDER BY " + pk, [*params, chunk])
            else:
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(head + f"IN ({marks}) ORDER BY {pk}", [*params, *chunk])


def _index(model: type[models.Model], objs: list[Any], *, new: bool) -> None:
    """Search entries for records written in bulk."""
    from django.contrib.contenttypes.models import ContentType

    from kehu.core import search

    searchable = search.searchable_for(model)
    if searchable is None or not objs:
        return
    if not new:
        for obj in objs:
            search.index(obj)
        return
    ct = ContentType.objects.get_for_model(model)
    tokens = searchable.tokens
    _insert_entries(
        [
            {"content_type_id": ct.pk, "object_id": obj.pk, "tokens": " ".join(sorted(tokens(obj)))}
            for obj in objs
        ]
    )


# The full-text table SQLite keeps next to the entries, and the trigger that feeds it one row at
# a time (kehu.core's search migration).
_FTS_TABLE = "core_search_fts"
_FTS_INSERT_TRIGGER = "core_searchentry_ai"


def _insert_entries(rows: list[dict[str, Any]]) -> None:
    """Insert new search entries, the full-text index fed set-wise.

    On SQLite the insert trigger feeds FTS5 one statement per row, five times slower than one
    ``INSERT … SELECT`` for the batch: the trigger is set aside for the batch's insert and put
    back as it was, all in the batch's transaction, so no other connection ever sees the table
    without it. On PostgreSQL the GIN index takes the rows into its pending list, which
    :func:`flush_search_index` merges when the import ends."""
    from django.db import DEFAULT_DB_ALIAS, connections, transaction

    from kehu.core.models import SearchEntry

    connection = connections[DEFAULT_DB_ALIAS]
    if not rows or connection.vendor != "sqlite":
        insert_rows(SearchEntry, rows)
        return
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
            [_FTS_INSERT_TRIGGER],
        )
        trigger = cursor.fetchone()
        if trigger is None:
            insert_rows(SearchEntry, rows)
            return
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        (last,) = cursor.fetchone()
        cursor.execute(f"DROP TRIGGER {_FTS_INSERT_TRIGGER}")
        insert_rows(SearchEntry, rows)
        cursor.execute(
            f"INSERT INTO {_FTS_TABLE}(rowid, tokens) "  # noqa: S608 - fixed names
            f"SELECT id, tokens FROM {table} WHERE id > %s ORDER BY id",
            [last],
        )
        cursor.execute(trigger[0])


def flush_search_index() -> None:
    """Merge the entries a bulk write left in the GIN index's pending list (PostgreSQL), so the
    searches after an import do not scan it; nothing to do on SQLite."""
    from django.db import DEFAULT_DB_ALIAS, connections

    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('core_searchentry_tsv') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT gin_clean_pending_list('core_searchentry_tsv'::regclass)")


def _index_values(model: type[models.Model], rows: list[dict[str, Any]], ids: list[int]) -> None:
    """Search entries for new records given as the values they were inserted with: the
    searchable's ``tokens`` reads them as attributes, as it would read a model instance."""
    from types import SimpleNamespace

    _index(
        model, [SimpleNamespace(pk=pk, **row) for row, pk in zip(rows, ids, strict=True)], new=True
    )


# ---- customers -------------------------------------------------------------------------------


def _customer_fields() -> list[Field]:
    from kehu.customers.models import Customer

    return [
        Field(
            "name",
            gettext_lazy("Customer name"),
            (
                "客户名称",
                "客户",
                "客户名",
                "公司",
                "公司名称",
                "单位",
                "单位名称",
                "企业名称",
                "名称",
                "company",
                "companyname",
                "account",
                "accountname",
                "customer",
                "customername",
                "organization",
                "organisation",
            ),
            parse_text(200),
            required=True,
            example="杭州云帆科技有限公司",
        ),
        Field(
            "short_name",
            gettext_lazy("Short name"),
            ("简称", "客户简称", "shortname"),
            parse_text(64),
            example="云帆",
        ),
        Field(
            "kind",
            gettext_lazy("Kind"),
            ("类型", "客户类型", "type", "kind"),
            parse_choice(
                Customer.Kind.choices,
                extra={"企业": "company", "公司": "company", "个人": "individual"},
            ),
            example="企业",
            options=("企业", "个人"),
        ),
        Field(
            "level",
            gettext_lazy("Level"),
            ("级别", "客户级别", "等级", "客户等级", "level", "rating", "tier"),
            parse_choice(Customer.Level.choices),
            example="A",
            options=("A", "B", "C", "D"),
        ),
        Field(
            "status",
            gettext_lazy("Status"),
            ("状态", "客户状态", "status", "stage"),
            parse_choice(
                Customer.Status.choices,
                extra={
                    "潜在": "lead",
                    "潜在客户": "lead",
                    "成交": "active",
                    "流失": "lost",
                    "休眠": "dormant",
                },
            ),
            example="潜在客户",
            options=("潜在客户", "活跃", "休眠", "流失"),
        ),
        Field(
            "source",
            gettext_lazy("Source"),
            ("来源", "客户来源", "渠道", "source", "leadsource"),
            parse_text(64),
            example="展会",
        ),
        Field(
            "industry",
            gettext_lazy("Industry"),
            ("行业", "所属行业", "industry"),
            parse_text(64),
            example="制造业",
        ),
        Field(
            "province",
            gettext_lazy("Province"),
            ("省份", "省", "province", "state"),
            parse_text(32),
            example="浙江省",
        ),
        Field(
            "city",
            gettext_lazy("City"),
            ("城市", "市", "所在城市", "city"),
            parse_text(32),
            example="杭州市",
        ),
        Field(
            "district",
            gettext_lazy("District"),
            ("区县", "区", "县", "district"),
            parse_text(32),
            example="西湖区",
        ),
        Field(
            "address",
            gettext_lazy("Address"),
            ("地址", "详细地址", "公司地址", "address", "street"),
            parse_text(255),
            example="文三路 90 号",
        ),
        Field(
            "uscc",
            gettext_lazy("Unified Social Credit Code"),
            ("统一社会信用代码", "信用代码", "社会信用代码", "税号", "uscc", "creditcode"),
            parse_uscc,
            example="91330100MA2XXXXXX0",
        ),
        Field(
            "website",
            gettext_lazy("Website"),
            ("网站", "网址", "官网", "website", "web", "url"),
            parse_text(200),
        ),
        Field(
            "owner",
            gettext_lazy("Customer manager"),
            (
                "负责人",
                "客户经理",
                "销售",
                "跟进人",
                "所属销售",
                "归属人",
                "owner",
                "accountowner",
                "salesrep",
            ),
            parse_user,
            example="linxue",
        ),
        Field(
            "tags",
            gettext_lazy("Tags"),
            ("标签", "tags", "tag", "labels"),
            parse_tags,
            example="重点跟进、老客户",
        ),
        Field(
            "purchase_intent",
            gettext_lazy("Purchase intent"),
            ("购买意向", "意向", "采购意向", "intent", "purchaseintent"),
            parse_choice(
                Customer.Intent.choices,
                extra={"无": "none", "低": "low", "中": "medium", "高": "high"},
            ),
            example="高",
            options=("无", "低", "中", "高"),
        ),
        Field(
            "need_description",
            gettext_lazy("Needs"),
            ("需求", "客户需求", "需求描述", "needs", "requirements"),
            parse_text(5000),
        ),
        Field(
            "satisfaction",
            gettext_lazy("Satisfaction"),
            ("满意度", "satisfaction"),
            parse_satisfaction,
            options=("1", "2", "3", "4", "5"),
        ),
        Field(
            "notes",
            gettext_lazy("Notes"),
            ("备注", "说明", "notes", "remark", "remarks", "comments", "description"),
            parse_text(5000),
        ),
        Field(
            "contact_name",
            gettext_lazy("Contact"),
            ("联系人", "联系人姓名", "姓名", "contact", "contactname", "fullname"),
            parse_text(100),
            example="张三",
        ),
        Field(
            "contact_title",
            gettext_lazy("Job title"),
            ("职务", "职位", "title", "jobtitle", "position"),
            parse_text(100),
            example="采购经理",
        ),
        Field(
            "mobile",
            gettext_lazy("Mobile"),
            (
                "手机",
                "手机号",
                "手机号码",
                "移动电话",
                "电话",
                "联系电话",
                "联系方式",
                "mobile",
                "cell",
                "mobilephone",
                "phone",
                "tel",
            ),
            parse_phone,
            example="13800138000",
        ),
        Field(
            "phone",
            gettext_lazy("Landline"),
            ("座机", "固定电话", "办公电话", "landline", "officephone", "workphone"),
            parse_phone,
            example="0571-88886666",
        ),
        Field(
            "email",
            gettext_lazy("E-mail"),
            ("邮箱", "电子邮箱", "电子邮件", "邮件", "email", "mail", "emailaddress"),
            parse_email,
            example="zhangsan@example.com",
        ),
        Field(
            "wechat",
            gettext_lazy("WeChat ID"),
            ("微信", "微信号", "wechat", "weixin"),
            parse_text(64),
        ),
    ]


CONTACT_KEYS = ("contact_name", "contact_title", "mobile", "phone", "email", "wechat")


def _warn_similar_names(rows: list[Row]) -> None:
    """A warning on each new customer whose distinctive name (``core_key``: 华为 in 深圳华为技术
    有限公司) an existing customer shares, naming it and its manager, as the form warns. One
    indexed lookup per batch: a close but different spelling is left to the duplicates report,
    which the "possible duplicate" flag feeds once the rows are written."""
    from kehu.customers.models import Customer
    from kehu.customers.services import similar_name_warning

    keys = {r.values["core_key"] for r in rows if len(r.values.get("core_key") or "") >= 2}
    if not keys:
        return
    found: dict[str, tuple[str, str]] = {}
    for chunk in _in_batches(sorted(keys)):
        for key, name, shown, username in (
            Customer.objects.filter(core_key__in=chunk)
            .order_by("pk")
            .values_list("core_key", "name", "owner__display_name", "owner__username")
        ):
            found.setdefault(key, (name, shown or username or ""))
    for r in rows:
        hit = found.get(r.values.get("core_key") or "")
        if hit:
            r.warn(similar_name_warning(*hit))


class CustomerImport(ImportType):
    """Customers, each with its first contact when the row names one."""

    key = "customers"
    label = gettext_lazy("Customers")
    permission = "customer.create"

    def __init__(self) -> None:
        from kehu.customers.models import Customer

        self.model = Customer
        self.fields = _customer_fields()

    def check(self, row: Row, ctx: Context) -> None:
        from kehu.customers import validators

        values = row.values
        if not values.get("contact_name") and any(
            values.get(k) for k in ("mobile", "phone", "email", "wechat")
        ):
            values["contact_name"] = values["name"] if values.get("kind") == "individual" else ""
            if not values["contact_name"]:
                row.warn(
                    _("The contact's details have no name: kept as “%(name)s”.")
                    % {"name": _("Contact")}
                )
                values["contact_name"] = str(_("Contact"))
        values["name_key"] = validators.name_key(values["name"])
        values["core_key"] = validators.core_key(values["name"])

    def match(self, rows: list[Row], ctx: Context) -> None:
        """The customer table's duplicate rules: same USCC, same name (folded), same contact
        mobile or e-mail — against the database (whoever owns the record) and earlier rows."""
        from kehu.customers.models import Contact, Customer

        valid = [r for r in rows if not r.errors]
        by_uscc = dict(
            Customer.objects.filter(
                uscc__in=[r.values["uscc"] for r in valid if r.values.get("uscc")]
            ).values_list("uscc", "pk")
        )
        by_name = dict(
            Customer.objects.filter(
                name_key__in=[r.values["name_key"] for r in valid if r.values.get("name_key")]
            ).values_list("name_key", "pk")
        )
        mobiles = [r.values["mobile"] for r in valid if r.values.get("mobile")]
        by_mobile: dict[str, int] = {}
        for chunk in _in_batches(mobiles):
            by_mobile.update(
                Contact.objects.filter(mobile__in=chunk).values_list("mobile", "customer_id")
            )
        emails = [r.values["email"] for r in valid if r.values.get("email")]
        by_email: dict[str, int] = {}
        for chunk in _in_batches(emails):
            # Compared in lower case, as the duplicate flag does (an index on LOWER(email)).
            keyed = Contact.objects.annotate(k=Lower("email")).filter(k__in=chunk)
            for email, customer_id in keyed.values_list("k", "customer_id"):
                by_email.setdefault(email, customer_id)
        labels = (
            _("Unified Social Credit Code"),
            _("name"),
            _("mobile"),
            _("e-mail"),
        )
        for r in valid:
            v = r.values
            checks = (
                ("uscc", v.get("uscc"), by_uscc, labels[0]),
                ("name", v.get("name_key"), by_name, labels[1]),
                ("mobile", v.get("mobile"), by_mobile, labels[2]),
                ("email", v.get("email"), by_email, labels[3]),
            )
            for _kind, key, found, label in checks:
                if key and key in found:
                    r.existing = found[key]
                    r.reason = _("Same %(what)s as an existing customer.") % {"what": label}
                    break
            earlier = None
            for kind, key, _found, label in checks:
                earlier = ctx.seen_before(kind, key or "", r.number) or earlier
                if earlier and not r.reason:
                    r.reason = _("Same %(what)s as row %(row)d of this file.") % {
                        "what": label,
                        "row": earlier,
                    }
            if earlier and r.existing is None:
                r.existing = -earlier  # a duplicate of an earlier row of the same file
        _warn_similar_names([r for r in valid if r.existing is None])

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        """New customers and contacts go in as plain rows (no model instances: a fifth of an
        import's time otherwise), their history copied from the tables, their search entries
        built from the same values."""
        from kehu.customers import validators
        from kehu.customers.models import Contact, Customer, Tag

        actor = ctx.actor
        now = timezone.now()
        created: list[tuple[int, str, int]] = []
        stamp = {
            "created_by_id": actor.pk,
            "updated_by_id": actor.pk,
            "created_at": now,
            "updated_at": now,
        }
        base = {**record_defaults(Customer), **stamp}
        own = [
            f.key
            for f in self.fields
            if f.key not in CONTACT_KEYS and f.key not in ("tags", "owner")
        ]
        new_rows = [r for r in rows if r.action == "create"]
        fresh = fresh_defaults(Customer)
        customers = []
        for r in new_rows:
            v = r.values
            c = dict(base)
            c.update(fresh())
            for key in own:
                if key in v:
                    c[key] = v[key]
            c["owner_id"] = v.get("owner") or actor.pk
            c["name_key"], c["core_key"] = v["name_key"], v["core_key"]
            c["uscc_invalid"] = validators.uscc_flagged(c.get("uscc", ""))
            customers.append(c)
        customer_ids = insert_values(Customer, customers)
        history_of(Customer, customer_ids, actor, "import", kind="+")
        created += [
            (r.number, "customer", pk) for r, pk in zip(new_rows, customer_ids, strict=True)
        ]
        updated = self._update([r for r in rows if r.action == "update"], actor, now)
        contact_base = {**record_defaults(Contact), **stamp, "is_primary": True}
        fresh = fresh_defaults(Contact)
        with_contact = []
        contacts = []
        for r, customer_id in zip(new_rows, customer_ids, strict=True):
            v = r.values
            if not v.get("contact_name"):
                continue
            k = dict(contact_base)
            k.update(fresh())
            k.update(
                customer_id=customer_id,
                name=v["contact_name"],
                title=v.get("contact_title", ""),
                mobile=v.get("mobile", ""),
                phone=v.get("phone", ""),
                email=v.get("email", ""),
                wechat=v.get("wechat", ""),
            )
            with_contact.append(r)
            contacts.append(k)
        contact_ids = insert_values(Contact, contacts)
        history_of(Contact, contact_ids, actor, "import", kind="+")
        created += [
            (r.number, "contact", pk) for r, pk in zip(with_contact, contact_ids, strict=True)
        ]
        # Tags: names looked up (or made) once per batch, links inserted in bulk.
        wanted = {n for r in new_rows for n in r.values.get("tags", [])}
        if wanted:
            tags = {t.name: t for t in Tag.objects.filter(name__in=wanted)}
            for name in sorted(wanted - tags.keys()):
                tags[name] = Tag.objects.create(name=name)
            through = Customer.tags.through
            links = {
                (pk, tags[n].pk)
                for r, pk in zip(new_rows, customer_ids, strict=True)
                for n in r.values.get("tags", [])
            }
            insert_rows(through, [{"customer_id": c, "tag_id": t} for c, t in sorted(links)])
        _index_values(Customer, customers, customer_ids)
        _index_values(Contact, contacts, contact_ids)
        _index(Customer, updated, new=False)
        return created

    def _update(self, rows: list[Row], actor: Any, now: dt.datetime) -> list[Any]:
        """Fill the existing customers with the row's values (only the columns given; the
        owner only changes hands through the table's assign action, never by import)."""
        from kehu.customers import validators
        from kehu.customers.models import Customer

        if not rows:
            return []
        existing = Customer.objects.in_bulk([r.existing for r in rows if r.existing])
        changed = []
        editable = [
            f.key
            for f in self.fields
            if f.key not in CONTACT_KEYS and f.key not in ("tags", "owner", "name")
        ]
        for r in rows:
            c = existing.get(r.existing) if r.existing else None
            if c is None:
                continue
            fields = [k for k in editable if k in r.values and getattr(c, k) != r.values[k]]
            if not fields:
                r.action = "skip"
                r.reason = _("Already up to date.")
                continue
            for k in fields:
                setattr(c, k, r.values[k])
            c.uscc_invalid = validators.uscc_flagged(c.uscc)
            c.version += 1
            c.updated_by, c.updated_at = actor, now
            c._imported_new = False  # type: ignore[attr-defined]
            changed.append(c)
        if changed:
            Customer.objects.bulk_update(
                changed,
                [*editable, "uscc_invalid", "version", "updated_by", "updated_at"],
                batch_size=500,
            )
            _history(Customer, changed, actor, "import")
        return changed


# ---- products ------------------------------------------------------------------------------


class ProductImport(ImportType):
    key = "products"
    label = gettext_lazy("Products")
    permission = "product.create"

    def __init__(self) -> None:
        from kehu.customers.models import Product

        self.model = Product
        self.fields = [
            Field(
                "code",
                gettext_lazy("Product code"),
                ("产品编码", "编码", "编号", "货号", "物料编码", "sku", "code", "productcode"),
                parse_text(32),
                required=True,
                example="YF-001",
            ),
            Field(
                "name",
                gettext_lazy("Product name"),
                ("产品名称", "名称", "品名", "商品名称", "product", "productname", "name"),
                parse_text(200),
                required=True,
                example="云帆智能网关",
            ),
            Field(
                "category",
                gettext_lazy("Category"),
                ("类别", "分类", "产品类别", "category"),
                parse_text(64),
                example="硬件",
            ),
            Field("unit", gettext_lazy("Unit"), ("单位", "unit"), parse_text(16), example="台"),
            Field(
                "price",
                gettext_lazy("Price"),
                ("单价", "价格", "售价", "price", "unitprice"),
                parse_money,
                required=True,
                example="1999.00",
            ),
        ]

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.customers.models import Product

        valid = [r for r in rows if not r.errors]
        found = dict(
            Product.objects.filter(code__in=[r.values["code"] for r in valid]).values_list(
                "code", "pk"
            )
        )
        for r in valid:
            code = r.values["code"]
            if code in found:
                r.existing = found[code]
                r.reason = _("Same product code as an existing product.")
            elif earlier := ctx.seen_before("code", code, r.number):
                r.existing = -earlier
                r.reason = _("Same product code as row %(row)d of this file.") % {"row": earlier}

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        from kehu.customers.models import Product

        actor, now = ctx.actor, timezone.now()
        new = []
        for r in rows:
            if r.action == "create":
                new.append(
                    (
                        r,
                        Product(
                            created_by=actor,
                            updated_by=actor,
                            created_at=now,
                            updated_at=now,
                            **r.values,
                        ),
                    )
                )
        insert_objects(Product, [p for _r, p in new])
        _history(Product, [p for _r, p in new], actor, "import")
        changed = []
        existing = Product.objects.in_bulk([r.existing for r in rows if r.action == "update"])
        for r in rows:
            p = existing.get(r.existing) if r.action == "update" else None
            if p is None:
                continue
            keys = [k for k, v in r.values.items() if getattr(p, k) != v and k != "code"]
            if not keys:
                r.action, r.reason = "skip", _("Already up to date.")
                continue
            for k in keys:
                setattr(p, k, r.values[k])
            p.version += 1
            p.updated_by, p.updated_at = actor, now
            p._imported_new = False  # type: ignore[attr-defined]
            changed.append(p)
        if changed:
            Product.objects.bulk_update(
                changed,
                ["name", "category", "unit", "price", "version", "updated_by", "updated_at"],
            )
            _history(Product, changed, actor, "import")
        _index(Product, [p for _r, p in new], new=True)
        _index(Product, changed, new=False)
        return [(r.number, "product", p.pk) for r, p in new]


# ---- contacts and interactions (rows that belong to a customer) ------------------------------


def _customer_lookup(rows: list[Row], ctx: Context, action: str = "change") -> None:
    """Resolve the customer each row names (by name, folded like duplicates are) to an id the
    importing user may change (or, for records that only refer to a customer — deals, tasks,
    tickets — see); a row naming nobody they can reach is invalid."""
    from kehu.core import scoping
    from kehu.customers import validators
    from kehu.customers.models import Customer

    keys = {validators.name_key(r.values["customer"]) for r in rows if not r.errors}
    reachable = dict(
        scoping.restrict(Customer.objects.filter(name_key__in=keys), ctx.actor, action).values_list(
            "name_key", "pk"
        )
    )
    message = (
        _(
            "No customer called “%(name)s” that you may change: import the customers "
            "first, or check the name."
        )
        if action == "change"
        else _(
            "No customer called “%(name)s” that you may see: import the customers "
            "first, or check the name."
        )
    )
    for r in rows:
        if r.errors:
            continue
        found = reachable.get(validators.name_key(r.values["customer"]))
        if found is None:
            r.errors.append((str(_("Customer")), message % {"name": r.values["customer"]}))
        else:
            r.values["customer_id"] = found


def _customer_column(base: dict[str, Field]) -> Field:
    """The column naming the customer a contact or interaction belongs to."""
    return Field(
        "customer",
        gettext_lazy("Customer"),
        base["name"].headers,
        parse_text(200),
        required=True,
        example=base["name"].example,
    )


class ContactImport(ImportType):
    key = "contacts"
    label = gettext_lazy("Contacts")
    permission = "contact.create"

    def __init__(self) -> None:
        from kehu.customers.models import Contact

        self.model = Contact
        base = {f.key: f for f in _customer_fields()}
        self.fields = [
            _customer_column(base),
            Field(
                "name",
                gettext_lazy("Name"),
                base["contact_name"].headers,
                parse_text(100),
                required=True,
                example="张三",
            ),
            *[base[k] for k in ("contact_title", "mobile", "phone", "email", "wechat")],
            Field(
                "birthday",
                gettext_lazy("Birthday"),
                ("生日", "出生日期", "birthday", "birthdate"),
                parse_date,
            ),
        ]

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.customers.models import Contact

        _customer_lookup(rows, ctx)
        valid = [r for r in rows if not r.errors]
        by_mobile: dict[Any, int] = dict(
            Contact.objects.filter(
                mobile__in=[r.values["mobile"] for r in valid if r.values.get("mobile")]
            ).values_list("mobile", "pk")
        )
        by_email: dict[Any, int] = dict(
            Contact.objects.filter(
                email__in=[r.values["email"] for r in valid if r.values.get("email")]
            ).values_list("email", "pk")
        )
        by_name: dict[Any, int] = {
            (customer_id, name): pk
            for customer_id, name, pk in Contact.objects.filter(
                customer_id__in={r.values["customer_id"] for r in valid}
            ).values_list("customer_id", "name", "pk")
        }
        for r in valid:
            v = r.values
            for key, found, label in (
                (v.get("mobile"), by_mobile, _("mobile")),
                (v.get("email"), by_email, _("e-mail")),
                ((v["customer_id"], v["name"]), by_name, _("name at this customer")),
            ):
                if key and key in found:
                    r.existing = found[key]
                    r.reason = _("Same %(what)s as an existing contact.") % {"what": label}
                    break
            else:
                earlier = ctx.seen_before("contact", f"{v['customer_id']}|{v['name']}", r.number)
                if earlier:
                    r.existing = -earlier
                    r.reason = _("Same contact as row %(row)d of this file.") % {"row": earlier}

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        from kehu.customers.models import Contact

        actor, now = ctx.actor, timezone.now()
        new = []
        for r in rows:
            if r.action != "create":
                continue
            v = r.values
            new.append(
                (
                    r,
                    Contact(
                        customer_id=v["customer_id"],
                        name=v["name"],
                        title=v.get("contact_title", ""),
                        mobile=v.get("mobile", ""),
                        phone=v.get("phone", ""),
                        email=v.get("email", ""),
                        wechat=v.get("wechat", ""),
                        birthday=v.get("birthday"),
                        created_by=actor,
                        updated_by=actor,
                        created_at=now,
                        updated_at=now,
                    ),
                )
            )
        insert_objects(Contact, [c for _r, c in new])
        _history(Contact, [c for _r, c in new], actor, "import")
        _index(Contact, [c for _r, c in new], new=True)
        for r in rows:
            if r.action == "update":  # contacts are not overwritten by import: kept as they are
                r.action, r.reason = "skip", r.reason or _("Already a contact.")
        return [(r.number, "contact", c.pk) for r, c in new]


class InteractionImport(ImportType):
    key = "interactions"
    label = gettext_lazy("Interactions")
    permission = "interaction.create"

    def __init__(self) -> None:
        from kehu.customers.models import Interaction

        self.model = Interaction
        base = {f.key: f for f in _customer_fields()}
        self.fields = [
            _customer_column(base),
            Field(
                "kind",
                gettext_lazy("Kind"),
                ("方式", "类型", "沟通方式", "跟进方式", "kind", "type", "channel"),
                parse_choice(
                    Interaction.Kind.choices,
                    extra={
                        "电话": "call",
                        "拜访": "visit",
                        "上门": "visit",
                        "微信": "wechat",
                        "邮件": "email",
                        "会议": "meeting",
                        "其他": "other",
                    },
                ),
                required=True,
                example="电话",
                options=("电话", "拜访", "微信", "邮件", "会议", "其他"),
            ),
            Field(
                "occurred_at",
                gettext_lazy("When"),
                ("时间", "日期", "跟进时间", "联系时间", "date", "time", "when", "occurredat"),
                parse_datetime,
                required=True,
                example="2024-03-15 14:30",
            ),
            Field(
                "summary",
                gettext_lazy("What was said"),
                ("内容", "摘要", "跟进内容", "沟通内容", "记录", "summary", "notes", "subject"),
                parse_text(5000),
                required=True,
                example="介绍新品，客户有兴趣",
            ),
            Field(
                "outcome", gettext_lazy("Outcome"), ("结果", "outcome", "result"), parse_text(255)
            ),
            Field(
                "next_step",
                gettext_lazy("Next step"),
                ("下一步", "下一步计划", "nextstep"),
                parse_text(255),
            ),
        ]

    def check(self, row: Row, ctx: Context) -> None:
        if row.values["occurred_at"] > timezone.now() + dt.timedelta(minutes=5):
            row.errors.append((str(_("When")), _("An interaction cannot be in the future.")))

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.customers.models import Interaction

        _customer_lookup(rows, ctx)
        valid = [r for r in rows if not r.errors]
        found = {
            (c, t): pk
            for c, t, pk in Interaction.objects.filter(
                customer_id__in={r.values["customer_id"] for r in valid},
                occurred_at__in=[r.values["occurred_at"] for r in valid],
            ).values_list("customer_id", "occurred_at", "pk")
        }
        for r in valid:
            key = (r.values["customer_id"], r.values["occurred_at"])
            if key in found:
                r.existing = found[key]
                r.reason = _("An interaction with this customer at this time exists.")
            elif earlier := ctx.seen_before("interaction", f"{key[0]}|{key[1]}", r.number):
                r.existing = -earlier
                r.reason = _("Same interaction as row %(row)d of this file.") % {"row": earlier}

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        from django.db.models import Max

        from kehu.customers.models import Customer, Interaction

        actor, now = ctx.actor, timezone.now()
        new = []
        for r in rows:
            if r.action == "create":
                v = r.values
                new.append(
                    (
                        r,
                        Interaction(
                            customer_id=v["customer_id"],
                            kind=v["kind"],
                            occurred_at=v["occurred_at"],
                            summary=v["summary"],
                            outcome=v.get("outcome", ""),
                            next_step=v.get("next_step", ""),
                            user=actor,
                            created_by=actor,
                            updated_by=actor,
                            created_at=now,
                            updated_at=now,
                        ),
                    )
                )
            elif r.action == "update":
                r.action, r.reason = "skip", r.reason
        insert_objects(Interaction, [i for _r, i in new])
        _history(Interaction, [i for _r, i in new], actor, "import")
        # last contact follows the newest interaction
        touched = {i.customer_id for _r, i in new}
        latest = dict(
            Interaction.objects.filter(customer_id__in=touched)
            .values("customer_id")
            .annotate(last=Max("occurred_at"))
            .values_list("customer_id", "last")
        )
        for customer in Customer.objects.filter(pk__in=touched).only("pk", "last_contact_at"):
            if latest.get(customer.pk) and latest[customer.pk] != customer.last_contact_at:
                Customer.objects.filter(pk=customer.pk).update(last_contact_at=latest[customer.pk])
        return [(r.number, "interaction", i.pk) for r, i in new]


class OrderImport(ImportType):
    """Purchase history: one row per order line; lines with the same order number make one
    order, written through the order service (totals and the customer's summary follow)."""

    key = "orders"
    label = gettext_lazy("Orders")
    permission = "order.create"
    overwritable = False

    def __init__(self) -> None:
        from kehu.customers.models import Order

        self.model = Order
        base = {f.key: f for f in _customer_fields()}
        self.fields = [
            Field(
                "number",
                gettext_lazy("Order number"),
                ("订单号", "订单编号", "单号", "ordernumber", "orderno", "order", "number"),
                parse_text(32),
                required=True,
                example="SO20240315-001",
            ),
            _customer_column(base),
            Field(
                "ordered_on",
                gettext_lazy("Order date"),
                ("下单日期", "订单日期", "日期", "orderdate", "date"),
                parse_date,
                required=True,
                example="2024-03-15",
            ),
            Field(
                "product",
                gettext_lazy("Product code"),
                ("产品编码", "编码", "货号", "sku", "productcode", "product", "产品"),
                parse_text(200),
                required=True,
                example="YF-001",
            ),
            Field(
                "quantity",
                gettext_lazy("Quantity"),
                ("数量", "quantity", "qty"),
                parse_money,
                required=True,
                example="2",
            ),
            Field(
                "unit_price",
                gettext_lazy("Unit price"),
                ("单价", "成交价", "unitprice", "price"),
                parse_money,
                example="1999.00",
            ),
            Field("notes", gettext_lazy("Notes"), ("备注", "notes", "remark"), parse_text(1000)),
        ]

    def group_key(self, mapping: dict[str, str]) -> Callable[[list[Any]], Any] | None:
        index = next((int(i) for i, key in mapping.items() if key == "number"), None)
        if index is None:
            return None
        return lambda cells: (cells[index] or "").strip() if index < len(cells) else ""

    def check(self, row: Row, ctx: Context) -> None:
        if row.values["quantity"] <= 0:
            row.errors.append((str(_("Quantity")), _("The quantity must be more than zero.")))
        if row.values["ordered_on"] > timezone.localdate():
            row.errors.append((str(_("Order date")), _("An order date cannot be in the future.")))

    def match(self, rows: list[Row], ctx: Context) -> None:
        from django.db.models import Q

        from kehu.customers.models import Order, Product

        _customer_lookup(rows, ctx)
        valid = [r for r in rows if not r.errors]
        wanted = {r.values["product"] for r in valid}
        products: dict[str, Any] = {}
        for p in Product.objects.filter(Q(code__in=wanted) | Q(name__in=wanted)):
            products.setdefault(p.code, p)
            products.setdefault(p.name, p)
        taken = set(
            Order.objects.filter(number__in={r.values["number"] for r in valid}).values_list(
                "number", flat=True
            )
        )
        groups: dict[str, list[Row]] = {}
        for r in rows:
            number = (r.values.get("number") or "").strip()
            if number:
                groups.setdefault(number, []).append(r)
        for r in valid:
            product = products.get(r.values["product"])
            if product is None:
                r.errors.append(
                    (
                        str(_("Product code")),
                        _("No product “%(code)s”: import the products first.")
                        % {"code": r.values["product"]},
                    )
                )
            else:
                r.values["product_obj"] = product
        for number, lines in groups.items():
            first = lines[0]
            if any(r.errors for r in lines):
                for r in lines:
                    if not r.errors:
                        r.errors.append(
                            (
                                str(_("Order number")),
                                _("Another line of order %(number)s is not valid.")
                                % {"number": number},
                            )
                        )
                continue
            if any(
                r.values["customer_id"] != first.values["customer_id"]
                or r.values["ordered_on"] != first.values["ordered_on"]
                for r in lines
            ):
                for r in lines:
                    r.errors.append(
                        (
                            str(_("Order number")),
                            _("The lines of order %(number)s name different customers or dates.")
                            % {"number": number},
                        )
                    )
                continue
            if number in taken:
                for r in lines:
                    r.existing = 0
                    r.reason = _("Order %(number)s is already recorded.") % {"number": number}
            elif ctx.seen_before("order", number, first.number):
                for r in lines:
                    r.existing = -first.number
                    r.reason = _("Order %(number)s appears twice in this file.") % {
                        "number": number
                    }

    def write(self, rows: list[Row], ctx: Context, *, job: Any) -> list[tuple[int, str, int]]:
        from kehu.customers import services as customer_services
        from kehu.customers.models import Customer

        created: list[tuple[int, str, int]] = []
        groups: dict[str, list[Row]] = {}
        for r in rows:
            if r.action == "create":
                groups.setdefault(r.values["number"], []).append(r)
        customers = Customer.objects.in_bulk(
            {lines[0].values["customer_id"] for lines in groups.values()}
        )
        for number, lines in groups.items():
            first = lines[0]
            order = customer_services.create_order(
                actor=ctx.actor,
                customer=customers[first.values["customer_id"]],
                ordered_on=first.values["ordered_on"],
                number=number,
                notes=first.values.get("notes", ""),
                lines=[
                    customer_services.LineInput(
                        product=r.values["product_obj"],
                        quantity=r.values["quantity"],
                        unit_price=r.values.get("unit_price"),
                    )
                    for r in lines
                ],
            )
            created.append((first.number, "order", order.pk))
        return created


def _elsewhere(module: str, name: str) -> Callable[[], ImportType]:
    """A type kept in its own module (records written through another app's services)."""

    def make() -> ImportType:
        import importlib

        made: ImportType = getattr(importlib.import_module(f"kehu.dataops.{module}"), name)()
        return made

    return make


TYPES: dict[str, Callable[[], ImportType]] = {
    "customers": CustomerImport,
    "contacts": ContactImport,
    "interactions": InteractionImport,
    "products": ProductImport,
    "orders": OrderImport,
    "deals": _elsewhere("importing_deals", "DealImport"),
    "tasks": _elsewhere("importing_tasks", "TaskImport"),
    "tickets": _elsewhere("importing_tickets", "TicketImport"),
}


def import_type(key: str) -> ImportType:
    return TYPES[key]()


def model_for(label: str) -> type[models.Model]:
    from kehu.customers.models import Contact, Customer, Interaction, Order, Product
    from kehu.sales.models import Deal
    from kehu.service.models import Ticket
    from kehu.work.models import Task

    return {
        "order": Order,
        "customer": Customer,
        "contact": Contact,
        "interaction": Interaction,
        "product": Product,
        "deal": Deal,
        "task": Task,
        "ticket": Ticket,
    }[label]
