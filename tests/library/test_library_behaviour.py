"""The library behaviours Guildhall relies on, each pinned so that an upgrade changing it fails.

One test (or two) per heading of docs/library-behaviour.md; the heading is named in each
docstring. They run the libraries themselves on the real PostgreSQL, in a Tortoise context of
their own (app ``lib``, tests/library/models.py), never through Guildhall's tenancy core.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import disnake
import pytest
from tortoise import connections
from tortoise.backends.asyncpg import AsyncpgDBClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from tests.library.models import Book, Shelf

ALIAS = "lib"
#: The static connection's schema: it never exists, so an unbound query fails loudly.
NOWHERE = "lib_nowhere"
REPO = Path(__file__).resolve().parents[2]


def _credentials(address: Any, schema: str, maxsize: int = 1) -> dict[str, Any]:
    return {
        "host": address.host,
        "port": address.port,
        "user": address.user,
        "password": address.password,
        "database": address.database,
        "schema": schema,
        "minsize": 1,
        "maxsize": maxsize,
    }


def _config(address: Any) -> dict[str, Any]:
    engine = "tortoise.backends.asyncpg"
    return {
        "connections": {ALIAS: {"engine": engine, "credentials": _credentials(address, NOWHERE)}},
        "apps": {ALIAS: {"models": ["tests.library.models"], "default_connection": ALIAS}},
    }


def _client(address: Any, schema: str, name: str = ALIAS, maxsize: int = 1) -> AsyncpgDBClient:
    return AsyncpgDBClient(connection_name=name, **_credentials(address, schema, maxsize))


@contextlib.asynccontextmanager
async def lib_orm(address: Any) -> AsyncIterator[AsyncpgDBClient]:
    """A Tortoise context of its own; yields a client pinned to a fresh schema with the tables."""
    schema = f"lib_{secrets.token_hex(4)}"
    async with TortoiseContext() as ctx:
        await ctx.init(config=_config(address))
        client = _client(address, schema)
        await client.execute_script(f'CREATE SCHEMA "{schema}"')
        try:
            await client.execute_script(get_schema_sql(connections.get(ALIAS), safe=False))
            yield client
        finally:
            await client.execute_script(f'DROP SCHEMA "{schema}" CASCADE')
            await client.close()


@contextlib.contextmanager
def bound(client: AsyncpgDBClient):  # type: ignore[no-untyped-def]
    """Bind ``client`` under the alias for this task, as guild_db does."""
    token = connections.set(ALIAS, client)
    try:
        yield client
    finally:
        connections.reset(token)


class Rollback(Exception):
    """Raised to leave a transaction block by rolling it back."""


# --- Tortoise: silent fallbacks ---------------------------------------------------------------


async def test_unbound_save_and_relation_use_the_static_connection(database) -> None:
    """Tortoise: silent fallbacks — save() and awaiting a relation ignore where a row came from."""
    async with lib_orm(database) as client:
        with bound(client):
            shelf = await Shelf.create(title="kept")
            await Book.create(title="book", shelf=shelf, pages=1)
            book = await Book.get(title="book")
        shelf.title = "changed"
        with pytest.raises(OperationalError, match="does not exist"):
            await shelf.save()
        with pytest.raises(OperationalError, match="does not exist"):
            await book.shelf
        with pytest.raises(OperationalError, match="does not exist"):
            await Shelf.get_or_create(title="new")
        with bound(client):
            await shelf.save()
            assert (await book.shelf).title == "changed"


# --- Tortoise: connection names --------------------------------------------------------------


async def test_in_transaction_misses_a_client_named_unlike_the_alias(database) -> None:
    """Tortoise: connection names — a differently named bound client escapes the transaction."""
    async with lib_orm(database) as client:
        # Two connections: the transaction holds one, the escaping query takes the other.
        stranger = _client(database, client.schema, name="stranger", maxsize=2)
        survivors = {}
        for label, candidate in (("stranger", stranger), ("alias", client)):
            with bound(candidate):
                with contextlib.suppress(Rollback):
                    async with in_transaction(ALIAS):
                        await Shelf.create(title=label)
                        raise Rollback
                survivors[label] = await Shelf.filter(title=label).count()
        await stranger.close()
    assert survivors == {"stranger": 1, "alias": 0}


# --- Tortoise: close is not final ------------------------------------------------------------


async def test_a_closed_client_reopens_its_pool_at_the_next_query(database) -> None:
    """Tortoise: close is not final — a query after close() silently opens a new pool."""
    client = _client(database, "public")
    try:
        first = await client.execute_query_dict("SELECT pg_backend_pid() AS pid")
        await client.close()
        again = await client.execute_query_dict("SELECT pg_backend_pid() AS pid")
        assert again and again[0]["pid"] != first[0]["pid"]
    finally:
        await client.close()


# --- Tortoise: context -----------------------------------------------------------------------

_CONTEXT_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from tortoise import Tortoise, connections
    sys.path.insert(0, os.environ["LIB_REPO"])
    config = json.loads(os.environ["LIB_CONFIG"])

    async def seen_from_another_task(fallback):
        ready, done = asyncio.Event(), asyncio.Event()

        async def owner():
            await Tortoise.init(config=config, _enable_global_fallback=fallback)
            ready.set()
            await done.wait()
            await Tortoise.close_connections()

        task = asyncio.create_task(owner())
        await ready.wait()
        try:
            rows = await connections.get("lib").execute_query_dict("SELECT 1 AS one")
            return rows[0]["one"] == 1
        except RuntimeError as exc:
            return str(exc).split(".")[0]
        finally:
            done.set()
            await task

    async def main():
        print(json.dumps([await seen_from_another_task(False), await seen_from_another_task(True)]))

    asyncio.run(main())
    """
)


def test_init_in_one_task_is_invisible_to_others_without_global_fallback(database) -> None:
    """Tortoise: context — another task sees Tortoise.init only with _enable_global_fallback."""
    # A fresh interpreter: in this one the session's tenancy may hold the global fallback already.
    env = {**os.environ, "LIB_REPO": str(REPO), "LIB_CONFIG": json.dumps(_config(database))}
    result = subprocess.run(  # noqa: S603 (our own fixed script)
        [sys.executable, "-c", _CONTEXT_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    without, with_fallback = json.loads(result.stdout)
    assert without == "No TortoiseContext is currently active"
    assert with_fallback is True


# --- Tortoise: db_default and get_schema_sql -------------------------------------------------


async def test_only_db_default_gives_the_column_a_database_default(database) -> None:
    """Tortoise: db_default — default= stays in Python; raw SQL inserts get only db_default."""
    async with lib_orm(database) as client:
        await client.execute_script("INSERT INTO shelf (id, title) VALUES (1, 's')")
        await client.execute_script("INSERT INTO book (title, shelf_id, pages) VALUES ('b', 1, 2)")
        row = await client.execute_query_dict("SELECT pages, copies FROM book")
        assert row == [{"pages": 2, "copies": 3}]
        with pytest.raises(IntegrityError):
            await client.execute_script("INSERT INTO book (title, shelf_id) VALUES ('c', 1)")


async def test_schema_sql_is_unqualified_and_lands_in_the_pinned_schema(database) -> None:
    """Tortoise: get_schema_sql — the DDL names no schema; search_path decides where it goes."""
    async with lib_orm(database) as client:
        # Only models whose connection resolves to this very client object are covered.
        assert get_schema_sql(client, safe=False) == ""
        ddl = get_schema_sql(connections.get(ALIAS), safe=False)
        assert 'CREATE TABLE "shelf"' in ddl and NOWHERE not in ddl
        rows = await client.execute_query_dict(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1",
            [client.schema],
        )
    assert {row["table_name"] for row in rows} == {"shelf", "book"}


# --- asyncpg: what a pool's release resets ---------------------------------------------------


async def test_pool_release_resets_search_path_but_not_role_or_temp_tables(database) -> None:
    """asyncpg: what a pool's release resets — RESET ALL keeps SET ROLE and temp tables."""
    role = f"lib_role_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(database.dsn)
    await admin.execute(f'CREATE ROLE "{role}" NOLOGIN')
    pool = await asyncpg.create_pool(
        database.dsn, min_size=1, max_size=1, server_settings={"search_path": "lib_startup"}
    )
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.execute("CREATE TEMP TABLE lib_leftover (n int)")
            await conn.execute(f'SET search_path = public; SET ROLE "{role}"')
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid  # the same session, after the pool's reset
            assert await conn.fetchval("SHOW search_path") == "lib_startup"
            assert await conn.fetchval("SELECT current_user") == role
            assert await conn.fetchval("SELECT to_regclass('pg_temp.lib_leftover') IS NOT NULL")
    finally:
        await pool.close()
        await admin.execute(f'DROP ROLE "{role}"')
        await admin.close()


class ResetRefused(Exception):
    """Raised by a pool's reset hook to make the pool drop the connection."""


async def test_a_custom_reset_replaces_the_default_and_a_failing_one_drops_the_connection(
    database,
) -> None:
    """asyncpg: what a pool's release resets — reset= replaces RESET ALL; raising drops it."""
    refuse = False

    async def reset(conn: asyncpg.Connection) -> None:
        if refuse:
            raise ResetRefused

    pool = await asyncpg.create_pool(
        database.dsn, min_size=1, max_size=1, reset=reset, server_settings={"search_path": "x"}
    )
    try:
        async with pool.acquire() as conn:
            pid = conn.get_server_pid()
            await conn.execute("SET search_path = public")
        async with pool.acquire() as conn:
            kept = await conn.fetchval("SHOW search_path")  # no RESET ALL ran
        refuse = True
        with pytest.raises(ResetRefused):  # the release re-raises the reset's error
            await pool.release(await pool.acquire())
        refuse = False
        async with pool.acquire() as conn:
            assert conn.get_server_pid() != pid  # the refused connection was terminated
    finally:
        await pool.close()
    assert kept == "public"


async def test_deallocate_all_breaks_asyncpgs_statement_cache(database) -> None:
    """asyncpg: what a pool's release resets — DEALLOCATE ALL drops asyncpg's statements."""
    conn = await asyncpg.connect(database.dsn)
    try:
        assert await conn.fetchval("SELECT $1::int + 1", 1) == 2
        await conn.execute("DEALLOCATE ALL")
        with pytest.raises(asyncpg.InvalidSQLStatementNameError):
            await conn.fetchval("SELECT $1::int + 1", 2)
    finally:
        await conn.close()


# --- PostgreSQL: prepared statements follow search_path ---------------------------------------


async def test_a_prepared_statement_follows_a_changed_search_path(database) -> None:
    """PostgreSQL: prepared statements follow search_path — one cached query, two schemas."""
    schemas = [f"lib_{secrets.token_hex(4)}" for _ in range(2)]
    conn = await asyncpg.connect(database.dsn)
    try:
        for n, schema in enumerate(schemas):
            await conn.execute(f'CREATE SCHEMA "{schema}"; CREATE TABLE "{schema}".t (n int)')
            await conn.execute(f'INSERT INTO "{schema}".t VALUES ({n})')
        seen = []
        for schema in schemas:
            await conn.execute(f'SET search_path = "{schema}"')
            seen.append(await conn.fetchval("SELECT n FROM t WHERE n >= $1", 0))
        prepared = "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT n %'"
        assert seen == [0, 1] and await conn.fetchval(prepared) == 1  # one statement, reused
    finally:
        await conn.execute("DROP SCHEMA " + ", ".join(f'"{s}"' for s in schemas) + " CASCADE")
        await conn.close()


# --- aerich: per-schema state ----------------------------------------------------------------


def test_aerich_state_table_belongs_to_whichever_app_lists_it() -> None:
    """aerich: per-schema state — the aerich model fixes no app, schema or table of its own."""
    from aerich.models import Aerich

    # The declared Meta, not _meta: Tortoise.init fills _meta in from the app listing the model.
    declared = vars(Aerich.Meta)
    assert not {"app", "schema", "table"} & set(declared)
    assert {"version", "app", "content"} <= set(Aerich._meta.fields_map)


def test_aerich_migrate_keeps_its_state_in_class_attributes() -> None:
    """aerich: per-schema state — Migrate's state lives on the class, shared by every Command."""
    from aerich.migrate import Migrate

    for name in ("_last_version_content", "_aerich", "upgrade_operators"):
        assert name in vars(Migrate)


# --- disnake: REST base URL and event tasks --------------------------------------------------


def test_route_base_redirects_every_rest_call() -> None:
    """disnake: REST base URL — a Route's URL is built from the Route.BASE class attribute."""
    previous = disnake.http.Route.BASE
    disnake.http.Route.BASE = "http://127.0.0.1:9/api/v10"
    try:
        route = disnake.http.Route("GET", "/gateway/bot")
        assert route.url == "http://127.0.0.1:9/api/v10/gateway/bot"
    finally:
        disnake.http.Route.BASE = previous


async def test_each_dispatched_event_runs_in_a_task_of_its_own() -> None:
    """disnake: event tasks — every dispatched event is handled in a new task."""
    client = disnake.Client()
    seen: list[asyncio.Task[Any] | None] = []
    done = asyncio.Event()

    async def on_lib_event() -> None:
        seen.append(asyncio.current_task())
        if len(seen) == 2:
            done.set()

    client.add_listener(on_lib_event)
    try:
        client.dispatch("lib_event")
        client.dispatch("lib_event")
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await client.close()
    assert len({id(task) for task in seen}) == 2 and asyncio.current_task() not in seen
