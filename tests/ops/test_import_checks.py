"""Import checks what it writes: the source guild, JSON types, ids and the commands' rules
(issue 13, item 3). Every refusal is one line and writes nothing."""

from __future__ import annotations

import io
import json

import pytest

from app.models import rules
from app.models.tenant import TAG_NAME_MAX, Note, Tag
from app.tenancy import guild_db
from app.tenancy.guild_data.importer import import_guild
from app.tenancy.guild_data.tables import FORMAT, TransferError


def _tag(**changes: object) -> dict[str, object]:
    moment = "2026-01-02T03:04:05+00:00"
    row = {"name": "Rules", "name_key": "rules", "content": "be kind", "author_id": 5}
    return {**row, "created_at": moment, "updated_at": moment, **changes}


def _file(tables: dict[str, list[dict[str, object]]], **header: object) -> io.StringIO:
    return io.StringIO(json.dumps({"format": FORMAT, "version": 1, **header, "tables": tables}))


async def _rows(guild_id: int) -> int:
    async with guild_db(guild_id, require_active=False):
        return await Tag.all().count() + await Note.all().count()


async def test_file_from_another_guild_is_refused_without_the_flag(provisioned) -> None:
    """A guild A export names A; importing it into B is refused, naming both and the flag."""
    a, b = await provisioned(), await provisioned()
    with pytest.raises(TransferError, match=f"exported from guild {a}, not guild {b}") as refused:
        await import_guild(b, _file({"tag": [_tag()]}, guild_id=a))
    assert "--from-other-guild" in str(refused.value)
    assert await _rows(b) == 0
    counts = await import_guild(b, _file({"tag": [_tag()]}, guild_id=a), allow_other_guild=True)
    assert counts == {"tag": 1}


async def test_file_of_the_same_guild_imports_without_the_flag(provisioned) -> None:
    """A restore into the guild the file came from needs no flag."""
    guild = await provisioned()
    assert await import_guild(guild, _file({"tag": [_tag()]}, guild_id=guild)) == {"tag": 1}


@pytest.mark.parametrize(
    ("header", "tables", "message"),
    [
        ({"guild_id": "abc"}, {}, "guild_id 'abc' in the export header is not a guild id"),
        ({"guild_id": -4}, {}, "guild_id -4 in the export header is not a guild id"),
        ({"guild_id": True}, {}, "guild_id True in the export header is not a guild id"),
        ({}, {"member": [{"user_id": "5"}]}, 'table "member" row 1: user_id must be an integer'),
        ({}, {"member": [{"user_id": True}]}, "user_id must be an integer, not bool"),
        ({}, {"member": [{"user_id": 1.5}]}, "user_id must be an integer, not float"),
        ({}, {"member": [{"user_id": -1}]}, "user_id -1 is negative"),
        ({}, {"tag": [_tag(id=-3)]}, "id -3 is negative"),
        ({}, {"tag": [_tag(author_id=-9)]}, "author_id -9 is negative"),
        ({}, {"tag": [_tag(content=["a", "list"])]}, "content must be a string, not list"),
        ({}, {"tag": [_tag(content=None)]}, "content cannot be null"),
        ({}, {"tag": [_tag(created_at="yesterday")]}, "created_at 'yesterday' is not an ISO"),
        ({}, {"tag": [_tag(name="a\x07b", name_key="a\x07b")]}, "control characters"),
        ({}, {"tag": [_tag(name="a\nb", name_key="a\nb")]}, "control characters"),
        ({}, {"tag": [_tag(name="", name_key="")]}, "cannot be empty"),
        ({}, {"tag": [_tag(name=" Rules", name_key=" rules")]}, "surrounding spaces"),
        ({}, {"tag": [_tag(name="x" * 65, name_key="x" * 65)]}, "at most 64 characters"),
        ({}, {"tag": [_tag(name_key="RULES")]}, "name_key 'RULES' is not the name casefolded"),
        ({}, {"tag": [_tag(name_key="other")]}, "is not the name casefolded"),
        ({}, {"tag": [_tag(content="   ")]}, "content cannot be empty"),
        ({}, {"note": [{"target_user_id": 1, "author_id": 2, "content": "n" * 1001}]},
         "at most 1000 characters"),
        ({}, {"member": [{"user_id": 1, "display_name": "a\x00b"}]}, "NUL"),
    ],
)  # fmt: skip
async def test_row_the_commands_would_refuse_is_refused(
    provisioned, header: dict[str, object], tables: dict, message: str
) -> None:
    """Wrong types, negative ids, control characters, a wrong name_key: one line, no rows."""
    guild = await provisioned()
    document = {"tag": [_tag(name="first", name_key="first")], **tables}
    with pytest.raises(TransferError, match=message) as refused:
        await import_guild(guild, _file(document, **header))
    assert "\n" not in str(refused.value)
    assert await _rows(guild) == 0


async def test_import_accepts_what_the_commands_accept(provisioned) -> None:
    """A tag at the length limit with a non-ASCII name and its casefold key is imported."""
    guild = await provisioned()
    name = "Straße" + "é" * (TAG_NAME_MAX - 6)
    tables = {"tag": [_tag(name=name, name_key=rules.tag_name_key(name), content="ok")]}
    assert await import_guild(guild, _file(tables)) == {"tag": 1}
    async with guild_db(guild):
        assert (await Tag.get(name_key=rules.tag_name_key(name))).name == name


async def test_cli_refuses_another_guilds_file_in_one_line(cli, provisioned, tmp_path) -> None:
    """`tenants import B a.json` of A's export: exit 1, one line; with the flag it imports."""
    a, b = await provisioned(), await provisioned()
    path = tmp_path / "a.json"
    path.write_text(_file({"tag": [_tag()]}, guild_id=a).getvalue())
    refused = await cli("tenants", "import", str(b), str(path))
    assert refused.code == 1
    assert refused.stderr.strip().splitlines() == [
        f"guildhall: the file was exported from guild {a}, not guild {b}; nothing was imported."
        " Pass --from-other-guild to copy it into this guild anyway"
    ]
    accepted = await cli("tenants", "import", str(b), str(path), "--from-other-guild")
    assert accepted.code == 0, accepted.stderr
