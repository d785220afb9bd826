"""Test databases cloned from templates, as Zulip does: the migrations run once per run into a
template database, and each pytest process (each xdist worker, or the only one) gets its
own copy with ``CREATE DATABASE … TEMPLATE``, a file copy instead of a migration.

* ``<test name>_template``: the migrated schema. Rebuilt once per run (the first process to
  take the lock builds it, the others wait and clone it); with ``--reuse-db`` it is kept
  while the migrations it was built from are unchanged.
* ``<test name>_demo``: the template plus the demo data set (``demo_seed``), built once per
  run by the first process that needs it (with ``--reuse-db``, once a day while the
  application's code is unchanged). Each process reads it once (``COPY``) and
  :func:`demo_restore` copies it into the test database in a test's own transaction, so a
  test sees a fresh demo whatever the tests before it did to theirs.

This module must not touch the database at import time: the settings are not built yet.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
_NOT_SOURCE = {".venv", ".data", ".git", "node_modules", "test-artifacts", "static", "templates"}
_SCHEMA_PACKAGES = ["Django", "django-allauth", "django-celery-beat"]


def _schema_sources() -> list[Path]:
    """The code a template's schema comes from: every migration of the project's apps
    (wherever they live), and the row-level security post_migrate installs."""
    paths = [ROOT / "partnerhub" / "tenancy" / "rls.py"]
    for top in sorted(ROOT.iterdir()):
        if top.is_dir() and top.name not in _NOT_SOURCE and not top.name.startswith("."):
            paths += sorted(top.rglob("migrations/*.py"))
    return [path for path in paths if path.exists()]


def schema_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _schema_sources():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    for package in _SCHEMA_PACKAGES:
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def code_fingerprint() -> str:
    """Of every Python file of the application (the demo data set goes through its services)."""
    digest = hashlib.sha256()
    skip = _NOT_SOURCE | {"tests", "bench"}
    for top in sorted(ROOT.iterdir()):
        if top.is_dir() and top.name not in skip and not top.name.startswith("."):
            for path in sorted(top.rglob("*.py")):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _connect(settings_dict: dict[str, Any], name: str) -> Any:
    """A plain psycopg2 connection (no Django: no RLS wrapper, no SET ROLE) to ``name``."""
    options = settings_dict.get("OPTIONS", {})
    conn = psycopg2.connect(
        dbname=name,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        **{k: v for k, v in options.items() if k in ("sslmode", "options")},
    )
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def maintenance(settings_dict: dict[str, Any]) -> Iterator[Any]:
    """A cursor on the server's ``postgres`` database (CREATE/DROP DATABASE run there)."""
    conn = _connect(settings_dict, "postgres")
    try:
        with conn.cursor() as cursor:
            yield cursor
    finally:
        conn.close()


@contextlib.contextmanager
def build_lock(cursor: Any, name: str) -> Iterator[None]:
    """Serialises the processes of one run (and of concurrent runs) building ``name``."""
    cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
    try:
        yield
    finally:
        cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def database_comment(cursor: Any, name: str) -> str | None:
    """The stamp a template carries (what it was built from), None if it does not exist."""
    cursor.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
        "WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else row[0]


def stamp(cursor: Any, name: str, comment: str) -> None:
    cursor.execute(
        sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(comment))
    )


def drop(cursor: Any, name: str) -> None:
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def clone(cursor: Any, template: str, target: str) -> None:
    """``target`` becomes a copy of ``template`` (which nobody may be connected to)."""
    drop(cursor, target)
    cursor.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(target), sql.Identifier(template)
        )
    )


def rename(cursor: Any, old: str, new: str) -> None:
    drop(cursor, new)
    cursor.execute(
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
    )


def point_django_at(name: str) -> None:
    """Every later connection of this process goes to database ``name``."""
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


@dataclass
class Dump:
    """The rows of every table and the sequences' positions of a database, in memory."""

    tables: dict[str, bytes] = field(default_factory=dict)
    empty_tables: list[str] = field(default_factory=list)
    sequences: dict[str, int] = field(default_factory=dict)


def _public_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def dump(settings_dict: dict[str, Any], name: str) -> Dump:
    """Reads database ``name`` (COPY, binary) into memory."""
    result = Dump()
    conn = _connect(settings_dict, name)
    try:
        with conn.cursor() as cursor:
            for table in _public_tables(cursor):
                buffer = io.BytesIO()
                cursor.copy_expert(
                    sql.SQL("COPY public.{} TO STDOUT (FORMAT binary)")
                    .format(sql.Identifier(table))
                    .as_string(conn),
                    buffer,
                )
                cursor.execute(
                    sql.SQL("SELECT EXISTS (SELECT 1 FROM public.{})").format(sql.Identifier(table))
                )
                if cursor.fetchone()[0]:
                    result.tables[table] = buffer.getvalue()
                else:
                    result.empty_tables.append(table)
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences "
                "WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
            result.sequences = dict(cursor.fetchall())
    finally:
        conn.close()
    return result


def demo_restore(data: Dump) -> None:
    """Replaces every row of the test database with ``data``, in the current transaction of
    Django's connection (a rolled-back test undoes it; a transactional test's flush too).

    Written as the tables' owner with triggers and foreign-key checks off, as pg_restore
    does: the rows are a consistent copy, and the ledger's triggers must not count them
    twice. The connection acts as the application role again afterwards."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    role = getattr(settings, "DATABASE_SESSION_ROLE", "")
    with transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                sql.SQL("TRUNCATE {}").format(
                    sql.SQL(", ").join(
                        sql.Identifier("public", t) for t in [*data.tables, *data.empty_tables]
                    )
                )
            )
            for table, rows in data.tables.items():
                cursor.copy_expert(
                    sql.SQL("COPY public.{} FROM STDIN (FORMAT binary)")
                    .format(sql.Identifier(table))
                    .as_string(raw),
                    io.BytesIO(rows),
                )
            for sequence, value in data.sequences.items():
                # Sequences only move forward (setval is not transactional).
                cursor.execute(
                    sql.SQL(
                        "SELECT setval(%s, greatest(%s, (SELECT last_value FROM public.{})))"
                    ).format(sql.Identifier(sequence)),
                    [f'public."{sequence}"', value],
                )
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            if role:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
    ContentType.objects.clear_cache()


def run_id(config: Any) -> str:
    """The same string in every process of one pytest run (xdist's run id), else unique."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["testrunuid"])
    if not hasattr(config, "_partnerhub_run_id"):
        config._partnerhub_run_id = os.urandom(8).hex()
    return str(config._partnerhub_run_id)
