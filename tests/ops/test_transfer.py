"""Export a guild as streamed JSON and import it back: round trips, refusals, fixed memory."""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import UTC, datetime

import pytest

from app.models.tenant import Member, Note, Tag
from app.tenancy import guild_db
from app.tenancy.guild_data.export import export_guild
from app.tenancy.guild_data.importer import import_guild
from app.tenancy.guild_data.tables import FORMAT, TransferError
from tests.tenancy.relation_models import Book, Label, Shelf


async def _fill(guild_id: int) -> None:
    async with guild_db(guild_id):
        await Member.create(
            user_id=2**62 + 5, display_name="Zoë « quotes \" »", xp=120, level=1,
            last_xp_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        )  # fmt: skip
        await Member.create(user_id=8, display_name="", xp=0)
        await Tag.create(name="Rules", name_key="rules", content="line 1\nline 2 ✓", author_id=8)
        await Note.create(target_user_id=8, author_id=2**62 + 5, content="be nice")
        shelf = await Shelf.create(title="top")
        book = await Book.create(title="b1", shelf=shelf)
        label = await Label.create(text="red")
        await book.labels.add(label)
        # Leave gaps in the ids: the import must keep them and move sequences past them.
        gone = await Tag.create(name="gone", name_key="gone", content="x", author_id=1)
        await gone.delete()
        await Tag.create(name="Last", name_key="last", content="y", author_id=1)


async def _export(guild_id: int) -> dict:
    out = io.StringIO()
    await export_guild(guild_id, out.write)
    return json.loads(out.getvalue())


async def _count_rows(guild_id: int) -> int:
    async with guild_db(guild_id, require_active=False):
        counts = [await model.all().count() for model in (Member, Tag, Note, Shelf, Book, Label)]
    return sum(counts)


async def test_export_then_import_into_another_guild_gives_equal_rows(provisioned) -> None:
    """Every row of A (FK, M2M, unicode, bigints near 2**62, timestamps) arrives in B unchanged."""
    a, b = await provisioned(), await provisioned()
    await _fill(a)
    exported = await _export(a)
    assert exported["format"] == FORMAT and exported["version"] == 1
    assert exported["guild_id"] == a and exported["schema_version"]
    assert "aerich" not in exported["tables"]
    assert list(exported["tables"]).index("shelf") < list(exported["tables"]).index("book")
    counts = await import_guild(b, io.StringIO(json.dumps(exported)), allow_other_guild=True)
    assert counts["member"] == 2 and counts["tag"] == 2 and counts["book_label"] == 1
    assert (await _export(b))["tables"] == exported["tables"]


async def test_import_moves_sequences_past_imported_ids(provisioned) -> None:
    """After an import, new rows get fresh ids instead of colliding with imported ones."""
    a, b = await provisioned(), await provisioned()
    await _fill(a)
    out = io.StringIO()
    await export_guild(a, out.write)
    await import_guild(b, io.StringIO(out.getvalue()), allow_other_guild=True)
    async with guild_db(b):
        biggest = max(await Tag.all().values_list("id", flat=True))
        tag = await Tag.create(name="new", name_key="new", content="z", author_id=3)
        assert tag.id == biggest + 1


async def test_import_refuses_a_guild_with_rows_unless_replace(provisioned) -> None:
    """Rows already there: refused and untouched; --replace empties every table first."""
    a, b = await provisioned(), await provisioned()
    await _fill(a)
    async with guild_db(b):
        await Tag.create(name="mine", name_key="mine", content="keep?", author_id=1)
        await Shelf.create(title="not in the export")
    document = json.dumps(await _export(a))
    with pytest.raises(TransferError, match=r"already has rows in .*shelf.*--replace"):
        await import_guild(b, io.StringIO(document), allow_other_guild=True)
    async with guild_db(b):
        assert await Tag.filter(name_key="mine").exists()
    # A restore: B ends up exactly like the export (its own rows are gone).
    document = json.dumps({**json.loads(document), "tables": {"tag": []}})
    await import_guild(b, io.StringIO(document), replace=True, allow_other_guild=True)
    assert await _count_rows(b) == 0


async def test_import_of_a_fixture_fills_defaults_and_ids(provisioned) -> None:
    """A hand-written fixture may omit ids and defaulted columns; key sets may differ."""
    guild = await provisioned()
    fixture = {
        "format": FORMAT,
        "version": 1,
        "tables": {
            "member": [{"user_id": 1}, {"user_id": 2, "xp": 50}, {"user_id": 3}],
            "tag": [
                {
                    "name": "hi",
                    "name_key": "hi",
                    "content": "hello",
                    "author_id": 1,
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                }
            ],
        },
    }
    counts = await import_guild(guild, io.StringIO(json.dumps(fixture, indent=2)))
    assert counts == {"member": 3, "tag": 1}
    async with guild_db(guild):
        members = await Member.all().order_by("id")
        assert [(m.id, m.user_id, m.xp) for m in members] == [(1, 1, 0), (2, 2, 50), (3, 3, 0)]
        assert (await Member.create(user_id=4)).id == 4


def _document(tables: dict | None = None, **changes: object) -> str:
    """An export whose first table has a valid row, so a later refusal must roll it back."""
    rows = {"shelf": [{"title": "first"}], **(tables or {"member": []})}
    return json.dumps({"format": FORMAT, "version": 1, **changes, "tables": rows})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ('{"format": "guildhall-tenant-export", "version": 1, "tables": {"member": [{"user_id"',
         "malformed export"),
        ("[1, 2]", "expected a JSON object"),
        (_document(format="something-else"), "not a Guildhall tenant export"),
        (_document(version=2), "version 2 is not supported"),
        (_document(version=True), "version True is not supported"),
        (_document(extra=1), "unknown key 'extra'"),
        (_document(tables={"members": []}), "unknown table 'members'"),
        (_document(tables={"aerich": []}), "unknown table 'aerich'"),
        (_document(tables={"member": [{"user_id": 1, "karma": 3}]}), "no column 'karma'"),
        (_document(tables={"member": [[1, 2]]}), "is not a JSON object"),
        (_document(tables={"member": [{"user_id": "not a number"}]}), "must be an integer"),
        (_document(tables={"member": [{"xp": 10**20, "user_id": 1}]}), "does not fit a bigint"),
        (_document(schema_version="99_20991231000000_future.py"), "newer than guild"),
        (_document() + " trailing", "text after the end"),
        ('{"tables": {}, "format": "guildhall-tenant-export"}', "not a Guildhall tenant export"),
    ],
)  # fmt: skip
async def test_import_refuses_bad_files_and_writes_nothing(provisioned, text, message) -> None:
    """Malformed, foreign, other-version, unknown table/column: one line, no row written."""
    guild = await provisioned()
    with pytest.raises(TransferError, match=message) as refused:
        await import_guild(guild, io.StringIO(text))
    assert "\n" not in str(refused.value)
    assert await _count_rows(guild) == 0


async def test_import_into_unknown_guild_names_the_fix(tenancy, new_guild_id) -> None:
    """Importing needs a provisioned guild; the error says how to make one."""
    with pytest.raises(Exception, match="guildhall tenants provision"):
        await import_guild(next(new_guild_id), io.StringIO(_document()))


async def test_export_and_import_work_for_a_disabled_guild(tenancy, provisioned) -> None:
    """Operator tools ignore the guild's status (a restore into a disabled guild)."""
    a, b = await provisioned(), await provisioned()
    await _fill(a)
    await tenancy.disable(a, reason="moving")
    await tenancy.disable(b, reason="restoring")
    document = json.dumps(await _export(a))
    await import_guild(b, io.StringIO(document), allow_other_guild=True)
    assert await _count_rows(b) == await _count_rows(a)


class _Sink:
    """Counts what is written and keeps nothing."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def write(self, text: str) -> None:
        self.chars += len(text)
        self.lines += text.count("\n")


async def test_export_of_50k_rows_keeps_memory_flat(provisioned) -> None:
    """A 50,000-row guild streams out with a small, bounded peak of Python memory."""
    guild = await provisioned()
    async with guild_db(guild) as client:
        await client.execute_script(
            "INSERT INTO member (user_id, display_name, xp) "
            "SELECT g, repeat('x', 60) || g, g FROM generate_series(1, 50000) g"
        )
    sink = _Sink()
    tracemalloc.start()
    try:
        counts = await export_guild(guild, sink.write, batch_rows=500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert counts["member"] == 50_000
    assert sink.chars > 7_000_000  # the document itself is several MB...
    assert peak < 2_000_000, f"peak {peak} bytes"  # ...but never held in memory


async def test_import_streams_in_batches(provisioned) -> None:
    """Importing 20,000 rows with small batches gives the same rows as one big batch."""
    a, b = await provisioned(), await provisioned()
    async with guild_db(a) as client:
        await client.execute_script(
            "INSERT INTO member (user_id, xp) SELECT g, g FROM generate_series(1, 20000) g"
        )
    out = io.StringIO()
    await export_guild(a, out.write)
    counts = await import_guild(
        b, io.StringIO(out.getvalue()), batch_rows=128, allow_other_guild=True
    )
    assert counts["member"] == 20_000
    async with guild_db(b):
        assert await Member.filter(xp__gt=0).count() == 20_000
        assert (await Member.create(user_id=10**9)).id == 20_001


async def test_cli_export_and_import_round_trip(cli, provisioned, tmp_path) -> None:
    """`tenants export -o` then `tenants import` copies the guild; stdout export is the same."""
    a, b = await provisioned(), await provisioned()
    await _fill(a)
    target = tmp_path / "a.json"
    exported = await cli("tenants", "export", str(a), "-o", str(target))
    assert exported.code == 0, exported.stderr
    assert f"guild {a}: exported" in exported.stderr
    assert not (tmp_path / "a.json.partial").exists()
    on_stdout = await cli("tenants", "export", str(a))
    assert on_stdout.code == 0
    assert json.loads(on_stdout.stdout)["tables"] == json.loads(target.read_text())["tables"]
    imported = await cli("tenants", "import", str(b), str(target), "--from-other-guild")
    assert imported.code == 0, imported.stderr
    assert f"guild {b}: imported" in imported.stdout
    async with guild_db(b):
        assert await Tag.filter(name_key="rules").exists()
        assert await Member.all().count() == 2


async def test_cli_import_refusal_is_one_line(cli, provisioned, tmp_path) -> None:
    """A refused import: exit 1, one line on stderr, nothing written."""
    guild = await provisioned()
    bad = tmp_path / "bad.json"
    bad.write_text(_document(version=2))
    result = await cli("tenants", "import", str(guild), str(bad))
    assert result.code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "version 2 is not supported" in result.stderr
    missing = await cli("tenants", "import", str(guild), str(tmp_path / "nope.json"))
    assert missing.code == 2 and "cannot read" in missing.stderr
