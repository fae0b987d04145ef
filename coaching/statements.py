"""Statements: querysets of a fixed shape whose SQL the ORM builds once per process.

Building and compiling a queryset costs the ORM 0.3 to 1.5 ms of Python for a lookup with
a permission filter, a few joins and a subquery: on the stage, bounce and song pages that
was four tenths of the whole request, more than the database takes to answer. A page asks
the same few questions on every request with other values, so a `Statement` builds its
queryset once with stand-in values, remembers where they stand among the SQL's
parameters, and from then on sends that SQL with the caller's values in their places. The
rows come back through the queryset's own machinery (model instances, select_related,
annotations, prefetches) exactly as the queryset would give them.

What a statement may take:

- ints, strings, dates and datetimes: each gets a stand-in, and each must reach the SQL;
  a string may reach it as itself or inside the LIKE pattern of a contains, startswith or
  endswith lookup;
- booleans and None: part of the shape, one SQL per value. None is how a caller says "no
  such filter" (the builder tests for it); an empty string or a zero is a value, and a
  builder that tested one for truth would be built for the stand-in's answer;
- users: a user's shape is whether they are a course admin, the one thing the permission
  rules (work_visible_to and the querysets' visible_to, coached_by, reanalysable_by)
  branch on; the stand-in is a copy of the user with another key;
- tuples of keys, which reach the SQL through `Among` as one parameter however many.

`Statement.slice` reads a slice of the rows (LIMIT and OFFSET as parameters), and
`Statement.rows` hands a Paginator the rows a page at a time. Anything else in the SQL
must be a constant: the statement builds twice with different stand-ins when it first
meets a shape, and refuses (StatementError) a queryset whose other parameters change
between the builds (the time, for example) or whose SQL changes shape with the values.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import BooleanField, Expression, F, Model, QuerySet
from django.db.models.query import ValuesListIterable
from django.db.models.sql.compiler import SQLCompiler
from django.http import Http404

M = TypeVar("M")

# Stand-in numbers, one per argument and build. The ORM drops a comparison with a number
# its column cannot hold (a PositiveSmallIntegerField holds 0 to 32767), so they sit inside
# every integer column's range; a constant of the SQL that happened to equal one would not
# equal the other build's, and the statement would refuse the queryset.
_STANDIN_BASE = 32_000


class StatementError(TypeError):
    """The queryset cannot be a statement: its SQL does not depend on the arguments alone."""


@dataclass(frozen=True)
class _Prepared:
    queryset: QuerySet[Any]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    slots: tuple[_Slot | None, ...]
    """For each parameter, the argument that goes there (None: the constant stays)."""


@dataclass(frozen=True)
class _Slot:
    """Where an argument goes: its position, and the LIKE pattern's wildcards around it
    ("%" before, after or both) when it reaches the SQL through a pattern lookup."""

    position: int
    before: str = ""
    after: str = ""


class Statement(Generic[M]):
    """`Statement(build)`; `statement(*values)` is `list(build(*values))`, built once."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._prepared: dict[Hashable, _Prepared] = {}
        self._lock = threading.Lock()

    def __call__(self, *values: Any) -> list[M]:
        prepared = self._for(values)
        return list(_bound(prepared, prepared.sql, self._params(prepared, values)))

    def slice(self, start: int, stop: int, *values: Any) -> list[M]:
        """Rows `start` to `stop` (as `list(queryset[start:stop])`), in the same SQL for
        every page: the queryset must be ordered."""
        prepared = self._for(values)
        if prepared.queryset.query.is_sliced or not prepared.queryset.ordered:
            raise StatementError("only an ordered, unsliced queryset gives pages")
        params = [*self._params(prepared, values), max(stop - start, 0), start]
        return list(_bound(prepared, f"{prepared.sql} LIMIT %s OFFSET %s", params))

    def iterator(self, chunk_size: int, *values: Any) -> Iterator[M]:
        """The rows as `queryset.iterator(chunk_size)` gives them, read in chunks so that a
        long read is never held whole.

        A values_list() statement on PostgreSQL runs as one query whose rows arrive
        `chunk_size` at a time (psycopg's `Cursor.stream`, libpq's chunked rows mode):
        the server-side cursor that `iterator` opens costs a DECLARE, a FETCH per chunk
        and a CLOSE, 2.5 ms of the 10 that the CSV export's 2,100 records took. Such a
        stream holds the connection until its last row is read: nothing else may query
        the database meanwhile (read what the rows are joined with before). Anything else
        reads through the queryset's own iterator."""
        prepared = self._for(values)
        params = self._params(prepared, values)
        queryset = prepared.queryset
        database = connections[queryset.db]
        tuples = queryset._iterable_class is ValuesListIterable
        if database.vendor == "postgresql" and tuples and not prepared.compiler.has_extra_select:
            return _streamed(prepared, database, params, chunk_size)
        return _bound(prepared, prepared.sql, params).iterator(chunk_size=chunk_size)

    def rows(self, count: int, *values: Any) -> Rows[M]:
        """The rows as a sequence of `count` (counted by the caller) that reads a slice
        when asked for one: what a Paginator takes, a page in one query."""
        return Rows(self, values, count)

    def first(self, *values: Any) -> M | None:
        """The first row, or None."""
        rows = self(*values)
        return rows[0] if rows else None

    def get_or_404(self, *values: Any) -> M:
        """The first row, or Http404: get_object_or_404 for a lookup by key, so anything
        the user may not see answers as anything that does not exist."""
        row = self.first(*values)
        if row is None:
            raise Http404("No such object, or not one you may see.")
        return row

    def _for(self, values: tuple[Any, ...]) -> _Prepared:
        # The SQL is the database's dialect: a process that switched databases (the test
        # runner's settings, say) builds again.
        shape = (connection.vendor, *(_shape(value) for value in values))
        prepared = self._prepared.get(shape)
        if prepared is None:
            with self._lock:
                prepared = self._prepared.get(shape) or self._prepare(values)
                self._prepared[shape] = prepared
        return prepared

    @staticmethod
    def _params(prepared: _Prepared, values: tuple[Any, ...]) -> list[Any]:
        ops = connections[prepared.queryset.db].ops
        params = []
        for index, slot in enumerate(prepared.slots):
            if slot is None:
                params.append(prepared.params[index])
                continue
            value = _key(values[slot.position], ops)
            if slot.before or slot.after:
                value = f"{slot.before}{ops.prep_for_like_query(value)}{slot.after}"
            params.append(value)
        return params

    def _prepare(self, values: tuple[Any, ...]) -> _Prepared:
        first, second = (
            self.build(*(_standin(value, position, build) for position, value in enumerate(values)))
            for build in (0, 1)
        )
        compiler = first.query.get_compiler(using=first.db)
        sql, params = compiler.as_sql()
        other_sql, other_params = second.query.get_compiler(using=second.db).as_sql()
        if sql != other_sql or len(params) != len(other_params):
            raise StatementError("the SQL's shape changes with the arguments' values")
        ops = compiler.connection.ops
        slots: list[_Slot | None] = []
        for param, other in zip(params, other_params, strict=True):
            slot = _slot(param, values, 0, ops)
            if slot != _slot(other, values, 1, ops) or (slot is None and param != other):
                raise StatementError(f"a parameter depends on more than the arguments: {param!r}")
            slots.append(slot)
        # A user may not appear (a course admin's rules filter nothing); a key or name must.
        missing = {position for position, value in enumerate(values) if _shape(value) is None} - {
            slot.position for slot in slots if slot is not None
        }
        if missing:
            raise StatementError(f"arguments {sorted(missing)} do not reach the SQL")
        return _Prepared(first, compiler, sql, tuple(params), tuple(slots))


class Among(Expression):
    """`Among("owner_id", keys)`: the field's value is one of `keys` (a tuple of ints), as
    a filter. Unlike `owner_id__in`, whose SQL has a placeholder per key, the keys go to
    the database as one parameter, so a statement's SQL stays the same for any number."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, keys: tuple[int, ...]) -> None:
        super().__init__()
        self.column: Any = F(field)
        self.keys = keys

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        field, params = compiler.compile(self.column)
        keys = [*params, _keys(self.keys)]
        if connection.vendor == "postgresql":
            return f"{field} = ANY(string_to_array(%s, ',')::bigint[])", keys
        # SQLite (the embedded default): the keys as a JSON array, read as a table.
        return f"{field} IN (SELECT value FROM json_each('[' || %s || ']'))", keys


def _keys(keys: tuple[int, ...]) -> str:
    """Keys as the one parameter `Among` sends: "3,5,8"."""
    return ",".join(str(int(key)) for key in keys)


class Rows(Sequence[M]):
    """`Statement.rows`: `count` rows, read a slice at a time."""

    def __init__(self, statement: Statement[M], values: tuple[Any, ...], count: int) -> None:
        self.statement = statement
        self.values = values
        self.total = count

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, step = index.indices(self.total)
        if step != 1:
            raise ValueError("rows are read in slices of consecutive rows")
        if stop <= start:
            return []
        return self.statement.slice(start, stop, *self.values)


def _shape(value: Any) -> Hashable:
    """What of an argument the SQL's shape may depend on: None when only its value."""
    if isinstance(value, bool):
        return ("bool", value)
    if value is None:
        return ("none",)
    if isinstance(value, (int, str, dt.date)):
        return None
    if isinstance(value, tuple) and all(isinstance(key, int) for key in value):
        return None
    if isinstance(value, AbstractBaseUser):
        return ("user", bool(getattr(value, "is_course_admin", False)))
    raise StatementError(
        "a statement takes ints, strings, dates, datetimes, booleans, None, users and tuples "
        "of keys, "
        f"not {value!r}"
    )


def _standin(value: Any, position: int, build: int) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    # Spaced unlike in the other build: a number the builder derives from one stand-in
    # (a key plus one) cannot then pass for another argument's in both builds.
    number = _STANDIN_BASE - 500 * build - (7, 11)[build] * position
    if isinstance(value, str):
        return f"\x1fstandin {number}"
    if isinstance(value, tuple):
        return (number, number + 1)
    if isinstance(value, dt.datetime):
        return dt.datetime(2000, 1, 1, tzinfo=value.tzinfo) + dt.timedelta(seconds=number)
    if isinstance(value, dt.date):
        return dt.date(2000, 1, 1) + dt.timedelta(days=number)
    if isinstance(value, Model):
        standin = copy.copy(value)
        standin.pk = number
        return standin
    return number


def _key(value: Any, ops: BaseDatabaseOperations) -> Any:
    """The argument as the SQL's parameter: a model's key, keys as `Among` sends them, a
    date or datetime as the database's driver takes it."""
    if isinstance(value, tuple):
        return _keys(value)
    if isinstance(value, dt.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return ops.adapt_datefield_value(value)
    return value.pk if isinstance(value, Model) else value


def _slot(
    param: Any, values: tuple[Any, ...], build: int, ops: BaseDatabaseOperations
) -> _Slot | None:
    for position, value in enumerate(values):
        if isinstance(value, bool) or value is None or isinstance(param, bool):
            continue
        key = _key(_standin(value, position, build), ops)
        if param == key:
            return _Slot(position)
        # A contains, startswith or endswith lookup's pattern (the stand-in needs no
        # escaping: it holds no wildcard).
        if isinstance(value, str) and isinstance(param, str):
            for before, after in (("%", "%"), ("", "%"), ("%", "")):
                if param == f"{before}{key}{after}":
                    return _Slot(position, before, after)
    return None


def _streamed(
    prepared: _Prepared, database: BaseDatabaseWrapper, params: list[Any], chunk_size: int
) -> Iterator[Any]:
    """`Statement.iterator` on PostgreSQL: the rows as tuples, with the columns' converters
    applied as a values_list() applies them. The query is logged and its errors wrapped
    as Django's own cursor would (connection.queries, django.db's OperationalError).

    Another query on the connection before the last row would wait for the stream to end,
    which it never does in the same thread: it is refused instead (StatementError)."""
    compiler = prepared.compiler
    converters = compiler.get_converters([column for column, _, _ in compiler.select])
    with database.cursor() as cursor:
        logged = (
            cursor.debug_sql(prepared.sql, params) if database.queries_logged else nullcontext()
        )
        with logged, database.wrap_database_errors, database.execute_wrapper(_streaming):
            rows = cursor.cursor.stream(prepared.sql, params, size=chunk_size)
            if converters:
                rows = map(tuple, compiler.apply_converters(rows, converters))
            yield from rows


def _streaming(*args: Any) -> Any:
    """An execute wrapper that refuses every query while a statement streams its rows."""
    raise StatementError(
        "the connection is streaming a statement's rows (Statement.iterator): read what "
        "else is needed before the stream starts, or after its last row"
    )


def _bound(prepared: _Prepared, sql: str, params: list[Any]) -> QuerySet[Any]:
    """The prepared queryset, unevaluated, compiling to `sql` with `params`."""
    built = prepared.queryset
    compiler = copy.copy(prepared.compiler)
    compiler.connection = connections[built.db]
    bound = (sql, tuple(params))
    compiler.as_sql = lambda *args, **kwargs: bound  # type: ignore[method-assign]
    query = copy.copy(built.query)
    query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
    queryset = built.all()
    # As it is: the `query` setter would turn a values_list() into a values().
    queryset._query = query  # type: ignore[attr-defined]
    return queryset


def prefetched(parents: Sequence[Model], name: str, children: Sequence[Model]) -> None:
    """Hand each parent its share of `children` as `prefetch_related(name)` would for
    the reverse foreign key `name` (a song's "records", say): `parent.<name>.all()` then
    reads them in the order given, without a query, and each child knows its parent.
    Every child's parent must be among `parents`.

    For a page that reads a parent's children through a statement (`Among` the parents'
    keys, or the one parent's key): Django's prefetch builds and compiles its queryset
    again on every request, which on a song's pages cost more than the queries took."""
    if not parents:
        return
    relation = parents[0]._meta.get_field(name)
    foreign_key = relation.field  # type: ignore[union-attr]
    cache_name = relation.cache_name  # type: ignore[union-attr]
    shares: dict[Any, list[Model]] = {parent.pk: [] for parent in parents}
    by_key = {parent.pk: parent for parent in parents}
    for child in children:
        key = getattr(child, foreign_key.attname)
        shares[key].append(child)
        foreign_key.set_cached_value(child, by_key[key])
    for parent in parents:
        # As Django's prefetch leaves it: the related manager's own queryset, evaluated.
        share = getattr(parent, name).get_queryset()
        share._result_cache = shares[parent.pk]
        share._prefetch_done = True
        if not hasattr(parent, "_prefetched_objects_cache"):
            parent._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        parent._prefetched_objects_cache[cache_name] = share  # type: ignore[attr-defined]
