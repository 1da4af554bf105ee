"""The SQL store runs on a Core copy of the SQLModel tables, generated and pinned here.

`agentkit.store._tables` (SQLModel) is the schema's single source of truth.
Importing SQLModel builds the ORM and a pydantic model per table, which cost
a cold worker about as much as the rest of its start-up, and the store uses
only SQLAlchemy Core; so `agentkit.store._core_tables` holds the same tables
as plain ``Table`` objects, generated from the SQLModel ones. These tests fail
when the two differ; regenerate the copy with
``python -m tests.store.test_core_tables``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, MetaData, String, Table, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

import agentkit.store._core_tables as _core_tables
import agentkit.store._tables as _tables
from tests.killing import REPO, run_process

CORE = Path(_core_tables.__file__)

HEADER = '''"""The SQL store's tables as SQLAlchemy Core, generated from `agentkit.store._tables`.

Do not edit: `agentkit.store._tables` (SQLModel) is the source of truth, and
``python -m tests.store.test_core_tables`` regenerates this file from it
(tests/store/test_core_tables.py fails when the two differ). The store runs on
these, so a worker never imports SQLModel or the SQLAlchemy ORM.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
'''


def _q(name: object) -> str:
    return f'"{name}"'


def _type(kind: object) -> str:
    if isinstance(kind, TypeDecorator):  # SQLModel's AutoString decorates a String
        kind = kind.impl_instance
    if isinstance(kind, Text | LargeBinary):
        return f"{type(kind).__name__}()"
    if isinstance(kind, String):
        return f"String({kind.length})"
    return f"{type(kind).__name__}()"


def _table(table: Table) -> str:
    name = table.name.removeprefix("agentkit_")
    lines = [f"{name} = Table(", f"    {_q(table.name)},", "    metadata,"]
    for column in table.columns:
        options = [_q(column.name), _type(column.type)]
        if column.primary_key:
            options.append("primary_key=True")
        options.append(f"nullable={column.nullable}")
        if column.server_default is not None:  # a column added to existing rows
            default = column.server_default.arg  # type: ignore[attr-defined]  # DefaultClause
            options.append(f"server_default={_q(default)}")
        lines.append(f"    Column({', '.join(options)}),")
    constraints = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    for constraint in sorted(constraints, key=lambda c: str(c.name)):
        columns = ", ".join(_q(c.name) for c in constraint.columns)
        lines.append(f"    UniqueConstraint({columns}, name={_q(constraint.name)}),")
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        columns = ", ".join(_q(c.name) for c in index.columns)
        unique = ", unique=True" if index.unique else ""
        lines.append(f"    Index({_q(index.name)}, {columns}{unique}),")
    lines.append(")")
    return "\n".join(lines)


def source_metadata() -> MetaData:
    metadata: MetaData = _tables.RunRow.metadata
    return metadata


def render() -> str:
    tables = [_table(t) for t in source_metadata().tables.values()]
    return HEADER + "".join(f"\n{table}\n" for table in tables)


def _ddl(metadata: MetaData, dialect: object) -> list[str]:
    statements = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())  # type: ignore[arg-type]
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            statements.append(str(CreateIndex(index).compile(dialect=dialect)))  # type: ignore[arg-type]
    return statements


def test_the_core_copy_is_generated_from_the_sqlmodel_tables() -> None:
    assert CORE.read_text() == render(), "run: python -m tests.store.test_core_tables"


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])  # type: ignore[no-untyped-call]  # untyped aliases
def test_the_core_copy_creates_the_same_schema(dialect: object) -> None:
    assert _ddl(_core_tables.metadata, dialect) == _ddl(source_metadata(), dialect)


def test_a_worker_never_imports_sqlmodel_or_the_orm(tmp_path: Path) -> None:
    probe = (
        "import sys, asyncio; from agentkit import AgentKit, Context\n"
        f"kit = AgentKit('sqlite:///{tmp_path}/kit.db')\n"
        "@kit.function(id='f')\n"
        "async def f(ctx: Context) -> int:\n"
        "    return await ctx.step.run('one', lambda: 1)\n"
        "asyncio.run(kit.run(f))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('sqlmodel')}"
        " | {m for m in sys.modules if m == 'sqlalchemy.orm'}))"
    )
    result = run_process([sys.executable, "-c", probe], cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


if __name__ == "__main__":
    CORE.write_text(render())
    print(f"wrote {CORE.relative_to(REPO)}")
