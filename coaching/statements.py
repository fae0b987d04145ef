"""Statements: querysets of a fixed shape whose SQL the ORM builds once per process.

Building and compiling a queryset costs the ORM 0.3 to 1.5 ms of Python for a lookup with
a permission filter, a few joins and a subquery: on the stage, bounce and song pages that
was four tenths of the whole request, more than the database takes to answer. A page asks
the same few questions on every request with other values, so a `Statement` builds its
queryset once with stand-in values, remembers where they stand among the SQL's
parameters, and from then on sends that SQL with the caller's values in their places. The
rows come back through the queryset's own machinery (model instances, select_related,
annotations, prefetches) exactly as the queryset would give them.

What a statement may take: ints and strings (each gets a stand-in, and each must reach the
SQL), booleans (part of the shape: one SQL per value) and users. A user's shape is whether
they are a course admin, the one thing the permission rules (work_visible_to and the
querysets' visible_to, coached_by, reanalysable_by) branch on; the stand-in is a copy of
the user with another key. Anything else in the SQL must be a constant: the statement
builds twice with different stand-ins when it first meets a shape, and refuses
(StatementError) a queryset whose other parameters change between the builds (the time,
for example) or whose SQL changes shape with the values.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, connections
from django.db.models import Model, QuerySet
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
    slots: tuple[int | None, ...]
    """For each parameter, the argument that goes there (None: the constant stays)."""


class Statement(Generic[M]):
    """`Statement(build)`; `statement(*values)` is `list(build(*values))`, built once."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._prepared: dict[Hashable, _Prepared] = {}
        self._lock = threading.Lock()

    def __call__(self, *values: Any) -> list[M]:
        # The SQL is the database's dialect: a process that switched databases (the test
        # runner's settings, say) builds again.
        shape = (connection.vendor, *(_shape(value) for value in values))
        prepared = self._prepared.get(shape)
        if prepared is None:
            with self._lock:
                prepared = self._prepared.get(shape) or self._prepare(values)
                self._prepared[shape] = prepared
        params = [
            prepared.params[index] if slot is None else _key(values[slot])
            for index, slot in enumerate(prepared.slots)
        ]
        return list(_bound(prepared, params))

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
        slots: list[int | None] = []
        for param, other in zip(params, other_params, strict=True):
            slot = _slot(param, values, 0)
            if slot != _slot(other, values, 1) or (slot is None and param != other):
                raise StatementError(f"a parameter depends on more than the arguments: {param!r}")
            slots.append(slot)
        # A user may not appear (a course admin's rules filter nothing); a key or name must.
        missing = {
            position for position, value in enumerate(values) if _shape(value) is None
        } - set(slots)
        if missing:
            raise StatementError(f"arguments {sorted(missing)} do not reach the SQL")
        return _Prepared(first, compiler, sql, tuple(params), tuple(slots))


def _shape(value: Any) -> Hashable:
    """What of an argument the SQL's shape may depend on: None when only its value."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, str)):
        return None
    if isinstance(value, AbstractBaseUser):
        return ("user", bool(getattr(value, "is_course_admin", False)))
    raise StatementError(f"a statement takes ints, strings, booleans and users, not {value!r}")


def _standin(value: Any, position: int, build: int) -> Any:
    if isinstance(value, bool):
        return value
    # Spaced unlike in the other build: a number the builder derives from one stand-in
    # (a key plus one) cannot then pass for another argument's in both builds.
    number = _STANDIN_BASE - 500 * build - (7, 11)[build] * position
    if isinstance(value, str):
        return f"\x1fstandin {number}"
    if isinstance(value, Model):
        standin = copy.copy(value)
        standin.pk = number
        return standin
    return number


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def _slot(param: Any, values: tuple[Any, ...], build: int) -> int | None:
    for position, value in enumerate(values):
        if isinstance(value, bool) or isinstance(param, bool):
            continue
        if param == _key(_standin(value, position, build)):
            return position
    return None


def _bound(prepared: _Prepared, params: list[Any]) -> QuerySet[Any]:
    """The prepared queryset, unevaluated, compiling to the prepared SQL with `params`."""
    built = prepared.queryset
    compiler = copy.copy(prepared.compiler)
    compiler.connection = connections[built.db]
    bound = (prepared.sql, tuple(params))
    compiler.as_sql = lambda *args, **kwargs: bound  # type: ignore[method-assign]
    query = copy.copy(built.query)
    query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
    queryset = built.all()
    # As it is: the `query` setter would turn a values_list() into a values().
    queryset._query = query  # type: ignore[attr-defined]
    return queryset
