"""The guild id → schema mapping and its refusals (pure logic)."""

from __future__ import annotations

import pytest

from app.tenancy.errors import InvalidGuildId
from app.tenancy.naming import guild_id_of, parse_guild_id, quote_schema, schema_for


@pytest.mark.parametrize("good", [1, "1", 2**63 - 1, str(2**63 - 1), 81234567890123456])
def test_parse_guild_id_accepts_snowflakes(good) -> None:
    """Positive integers below 2**63 (bigint), as int or digit string, are guild ids."""
    assert parse_guild_id(good) == int(good)


@pytest.mark.parametrize(
    "bad",
    [0, -5, 2**63, 2**64, "0", "-1", "", " 1", "1e3", "１２３", "1;--", None, True, 3.0, "9" * 21],
)
def test_parse_guild_id_refuses_everything_else(bad) -> None:
    """Zero, negatives, too large, empty, non-ASCII digits, SQL, other types are refused."""
    with pytest.raises(InvalidGuildId):
        parse_guild_id(bad)


def test_schema_for_and_back() -> None:
    """schema_for and guild_id_of are inverse."""
    assert schema_for(123) == "guild_123"
    assert guild_id_of("guild_123") == 123


@pytest.mark.parametrize("bad", ["public", "shared", 'guild_1"; DROP', "guild_", "Guild_1"])
def test_quote_schema_refuses_non_guild_names(bad) -> None:
    """Only guild_<digits> ever becomes a quoted identifier."""
    with pytest.raises(InvalidGuildId):
        quote_schema(bad)


def test_server_address_round_trips_odd_socket_paths_and_passwords() -> None:
    """A DSN with a socket dir holding '&' or spaces and a password with '@' survives a trip."""
    from app.tenancy.connections.config import ServerAddress

    address = ServerAddress("/run/a b&c", 5433, "us er", "p@ss:w/rd", "db name")
    assert ServerAddress.from_dsn(address.dsn) == address
    tcp = ServerAddress("127.0.0.1", 5432, "postgres", "s3cr@t", "guildhall")
    assert ServerAddress.from_dsn(tcp.dsn) == tcp
