"""Search for Chinese teams: substrings of Chinese text, full pinyin and initials, phone suffixes.

Every searchable record gets one :class:`~kehu.core.models.SearchEntry` whose ``tokens`` are
computed here: Chinese characters as single characters and overlapping pairs (so any two-character
substring such as 华为 is a token), pinyin of each word and of the whole name with their initials
(``zhangsan``, ``zs``), every suffix of four or more digits of each phone number, and the words of
e-mail addresses. A query is cut the same way. SQLite indexes the tokens with FTS5 and PostgreSQL
with a GIN index over a ``simple`` tsvector; both answer "all query tokens present", with prefix
matching for Latin letters and digits. Results always pass through the scoping door.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL

logger = logging.getLogger(__name__)

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN = re.compile(r"[a-z0-9]+")
MIN_PHONE_SUFFIX = 4

_jieba: Any = None


@functools.lru_cache(maxsize=65536)
def _cut(text: str) -> tuple[str, ...]:
    global _jieba
    if _jieba is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        _jieba = jieba
    return tuple(w for w in _jieba.cut_for_search(text) if w.strip())


@functools.lru_cache(maxsize=65536)
def _pinyin(text: str) -> tuple[str, ...]:
    """Pinyin syllables of a run or word; words (有限公司, 科技, 张伟…) repeat across names,
    so the cache spares most of the cost of indexing a batch of imported records."""
    from pypinyin import lazy_pinyin

    return tuple(p.lower() for p in lazy_pinyin(text) if p.strip())


def cjk_grams(run: str) -> set[str]:
    """Single characters and overlapping pairs of one run of Chinese characters."""
    grams = set(run)
    grams |= {run[i : i + 2] for i in range(len(run) - 1)}
    return grams


def warm() -> None:
    """Load the word and pinyin dictionaries now (about two seconds) rather than on the first
    record indexed: a worker calls this as it starts, so its first import does not wait."""
    text_tokens("客户管理有限公司")
    phone_tokens("13800138000")


def text_tokens(text: str) -> set[str]:
    """Tokens of a name or free text: Chinese grams, pinyin (words, whole, initials), words."""
    return set(_text_tokens(text or ""))


@functools.lru_cache(maxsize=4096)
def _text_tokens(text: str) -> frozenset[str]:
    """Names, cities, contact names and words repeat across the records of an import: each
    distinct text is cut once."""
    text = text.strip().lower()
    if not text:
        return frozenset()
    tokens: set[str] = set(LATIN.findall(text))
    runs = CJK.findall(text)
    for run in runs:
        tokens |= cjk_grams(run)
        syllables = _pinyin(run)
        tokens.add("".join(syllables))
        tokens.add("".join(s[0] for s in syllables))
        if len(run) > 3:
            for word in _cut(run):
                if CJK.fullmatch(word):
                    parts = _pinyin(word)
                    tokens.add("".join(parts))
                    tokens.add("".join(p[0] for p in parts))
    tokens.discard("")
    return frozenset(tokens)


def phone_tokens(phone: str) -> set[str]:
    """The national number and all its suffixes of four digits or more."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return {digits[i:] for i in range(0, max(len(digits) - MIN_PHONE_SUFFIX + 1, 0))}


def email_tokens(email: str) -> set[str]:
    return set(LATIN.findall((email or "").lower()))


@dataclass(frozen=True)
class Query:
    exact: list[str]
    prefix: list[str]

    @property
    def empty(self) -> bool:
        return not self.exact and not self.prefix


def parse_query(text: str) -> Query:
    """A query's tokens: Chinese pairs must all be present; Latin words and digits are prefixes."""
    text = (text or "").strip().lower()
    # A phone number typed with spaces, dashes or brackets is one number: 138 0013 8000.
    text = re.sub(r"(?<=\d)[\s\-()]+(?=\d)", "", text)
    text = re.sub(r"^\+?86(?=1\d{10}$)", "", text)
    exact: list[str] = []
    prefix: list[str] = []
    for run in CJK.findall(text):
        if len(run) == 1:
            exact.append(run)
        else:
            exact.extend(run[i : i + 2] for i in range(len(run) - 1))
    for word in LATIN.findall(text):
        if word.isdigit() and len(word) >= MIN_PHONE_SUFFIX:
            exact.append(word)  # a phone suffix (or the whole number)
        elif len(word) <= 2 and not word.isdigit():
            # Two letters are initials (zs → 张三): as a prefix they would match a good part of
            # a million-row index (every zs…, zh…); exact is what the user means and is fast.
            exact.append(word)
        else:
            prefix.append(word)
    return Query(exact=sorted(set(exact)), prefix=sorted(set(prefix)))


# ---- the registry of searchable types ------------------------------------------------------


@dataclass(frozen=True)
class Searchable:
    key: str
    label: Any
    model: type[models.Model]
    tokens: Callable[[Any], set[str]]  # record -> tokens
    title: Callable[[Any], str]
    url: Callable[[Any], str]
    subtitle: Callable[[Any], str] = lambda obj: ""
    select_related: tuple[str, ...] = ()  # what url/subtitle read, fetched in the same query


_registry: dict[str, Searchable] = {}


def register(searchable: Searchable) -> None:
    _registry[searchable.key] = searchable


def searchables() -> list[Searchable]:
    return list(_registry.values())


def searchable_for(model: type[models.Model]) -> Searchable | None:
    return next((s for s in _registry.values() if s.model is model), None)


# ---- index maintenance ---------------------------------------------------------------------


def index(obj: models.Model) -> None:
    from kehu.core.models import SearchEntry

    searchable = searchable_for(type(obj))
    if searchable is None:
        return
    tokens = " ".join(sorted(searchable.tokens(obj)))
    ct = ContentType.objects.get_for_model(type(obj))
    SearchEntry.objects.update_or_create(
        content_type=ct, object_id=obj.pk, defaults={"tokens": tokens}
    )


def unindex(model: type[models.Model], pk: Any) -> None:
    from kehu.core.models import SearchEntry

    ct = ContentType.objects.get_for_model(model)
    SearchEntry.objects.filter(content_type=ct, object_id=pk).delete()


def reindex(model: type[models.Model], *, batch: int = 2000) -> int:
    """Rebuild the entries of one model (used after bulk loads and by `kehu manage reindex`)."""
    from kehu.core.models import SearchEntry

    searchable = searchable_for(model)
    if searchable is None:
        return 0
    ct = ContentType.objects.get_for_model(model)
    SearchEntry.objects.filter(content_type=ct).delete()
    count = 0
    rows: list[SearchEntry] = []
    for obj in model._default_manager.order_by("pk").iterator(chunk_size=batch):
        rows.append(
            SearchEntry(
                content_type=ct, object_id=obj.pk, tokens=" ".join(sorted(searchable.tokens(obj)))
            )
        )
        if len(rows) >= batch:
            SearchEntry.objects.bulk_create(rows)
            count += len(rows)
            rows = []
    SearchEntry.objects.bulk_create(rows)
    return count + len(rows)


# ---- querying ------------------------------------------------------------------------------


def _fts5_expression(query: Query) -> str:
    def quote(token: str) -> str:
        return '"' + token.replace('"', '""') + '"'

    parts = [quote(t) for t in query.exact] + [quote(t) + "*" for t in query.prefix]
    return " AND ".join(parts)


def _tsquery(query: Query) -> str:
    def clean(token: str) -> str:
        return "'" + token.replace("'", "''").replace("\\", "") + "'"

    parts = [clean(t) for t in query.exact] + [clean(t) + ":*" for t in query.prefix]
    return " & ".join(parts)


def _entries(query: Query, ct_ids: list[int], columns: str) -> tuple[str, list[Any]]:
    """SQL reading ``columns`` of the index entries of the given types that match ``query``."""
    marks = ", ".join(["%s"] * len(ct_ids))  # placeholders only: nothing from the user
    if connection.vendor == "sqlite":
        sql = (
            f"SELECT {columns} FROM core_searchentry e "  # noqa: S608
            "JOIN core_search_fts f ON f.rowid = e.id "
            f"WHERE core_search_fts MATCH %s AND e.content_type_id IN ({marks})"
        )
        return sql, [_fts5_expression(query), *ct_ids]
    sql = (
        f"SELECT {columns} FROM core_searchentry e "  # noqa: S608
        "WHERE to_tsvector('simple', e.tokens) @@ to_tsquery('simple', %s) "
        # "+ 0": filter the word's few entries by type instead of intersecting them with
        # the type's million-entry index (35 ms of bitmap for nothing).
        f"AND e.content_type_id + 0 IN ({marks})"
    )
    return sql, [_tsquery(query), *ct_ids]


def matching_ids(model: type[models.Model], query: Query) -> RawSQL:
    """A sub-select of the primary keys of ``model`` whose entry matches ``query``."""
    ct = ContentType.objects.get_for_model(model)
    return RawSQL(*_entries(query, [ct.pk], "e.object_id"))  # noqa: S611 - placeholders only


FEW_MATCHES = 2000
LONG_LIST = 50  # from this many keys on, a list of keys is sent as one value


class KeyIn(models.Expression):
    """``column IN (keys)`` with the keys sent as one value: a PostgreSQL array
    (``= ANY(%s)``), a JSON array read by SQLite's ``json_each``. Django otherwise prepares,
    quotes and sends each of a search's thousand-odd keys on its own, and PostgreSQL parses
    as many literals: 9 ms → 4 ms for a team's page of 1,100 matches at a million customers."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, column: Any, keys: list[Any]) -> None:
        super().__init__()
        self.column = column
        self.keys = keys

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        import json

        column, params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(%s)", [*params, list(self.keys)]
        if connection.vendor == "sqlite":
            sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - a column
            return sql, [*params, json.dumps(list(self.keys))]
        marks = ", ".join(["%s"] * len(self.keys)) or "NULL"
        return f"{column} IN ({marks})", [*params, *self.keys]


def compact(condition: Q) -> Q:
    """``condition`` with a long list of keys (``Q(pk__in=[…])``, as :func:`conditions` and
    :func:`matching` give it) sent as one value (:class:`KeyIn`); anything else unchanged."""
    from django.db.models import F

    if (
        not condition.negated
        and len(condition.children) == 1
        and isinstance(condition.children[0], tuple)
        and condition.children[0][0] == "pk__in"
        and isinstance(condition.children[0][1], list)
        and len(condition.children[0][1]) >= LONG_LIST
    ):
        return Q(KeyIn(F("pk"), condition.children[0][1]))
    return condition


def matching(model: type[models.Model], query: Query) -> Q:
    """The condition "matches ``query``" on ``model``, phrased for the planner.

    The index is asked first for up to ``FEW_MATCHES`` keys. A rare word (initials such as
    ``zs``, a phone suffix) then becomes a short list of keys, which the database fetches
    directly, instead of a sub-select that PostgreSQL, expecting many matches, answers by walking
    a million customers in name order and probing each one. A common word keeps the sub-select:
    walking in order finds a page of matches at once.
    """
    sub = matching_ids(model, query)
    with connection.cursor() as cursor:
        cursor.execute(f"{sub.sql} LIMIT {FEW_MATCHES + 1}", sub.params)
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) <= FEW_MATCHES:
        return Q(pk__in=ids)
    return Q(pk__in=sub)


def conditions(types: list[type[models.Model]], query: Query) -> dict[Any, Q]:
    """:func:`matching` for several types from one read of the index where it can.

    The word's entries of every type are read together, up to ``FEW_MATCHES`` per type: when
    that read is complete, each type with few matches gets its exact list and each with many
    its sub-select, instead of one pass over the word's entries per type (initials such as
    ``zs`` have thousands of entries; five passes cost five times one). A cut-short read (a
    very common word) falls back to one probe per type."""
    cts = {ContentType.objects.get_for_model(model).pk: model for model in types}
    cap = FEW_MATCHES * len(cts) + 1
    sql, params = _entries(query, list(cts), "e.content_type_id, e.object_id")
    sql = f"{sql} LIMIT {cap}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found: dict[int, list[Any]] = {ct: [] for ct in cts}
    for ct, object_id in rows:
        found[ct].append(object_id)
    complete = len(rows) < cap
    out = {}
    for ct, model in cts.items():
        ids = found[ct]
        if len(ids) > FEW_MATCHES:
            out[model] = Q(pk__in=matching_ids(model, query))
        elif complete:
            out[model] = Q(pk__in=ids)
        else:
            out[model] = matching(model, query)
    return out


def filter_queryset(queryset: models.QuerySet[Any], text: str) -> models.QuerySet[Any]:
    """``queryset`` narrowed to records matching ``text`` (unchanged for an empty query)."""
    query = parse_query(text)
    if query.empty:
        return queryset
    return queryset.filter(compact(matching(queryset.model, query)))


def search(user: Any, text: str, *, limit: int = 8) -> list[tuple[Searchable, list[Any]]]:
    """Matches grouped by type, each group only what ``user`` may see."""
    from kehu.core import scoping

    query = parse_query(text)
    if query.empty:
        return []
    groups = []
    found = conditions([s.model for s in _registry.values()], query)
    for searchable in _registry.values():
        manager = searchable.model._default_manager
        qs = scoping.restrict(manager.select_related(*searchable.select_related), user)
        condition = found[searchable.model]
        if not isinstance(condition.children[0][1], list):  # type: ignore[index]
            # Thousands match: show the first few the index yields rather than sorting them
            # all by name (the table behind "more" lists them all, in order).
            qs = qs.order_by()
        hits = list(qs.filter(compact(condition))[:limit])
        if hits:
            groups.append((searchable, hits))
    return groups


def combine(*token_sets: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for tokens in token_sets:
        out.update(tokens)
    return out
