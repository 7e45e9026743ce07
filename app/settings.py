"""Every knob of Guildhall, read from the environment or ``.env`` files.

``.env.example`` lists the same names with a one-line comment each; which ``.env`` files are
read (the per-user config directory's, then the current directory's, or ``GUILDHALL_ENV_FILE``)
is decided in :mod:`app.env_files`. A missing or malformed
value stops the program with one line naming the variable (see :func:`load_settings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.env_files import EnvFileError, env_files_to_read
from app.postgres.data_home import default_data_dir
from app.rates import Rate, parse_rate
from app.sharding import MAX_SHARDS, ShardScope, parse_shard_ids
from app.snowflake import SNOWFLAKE_RANGE, parse_snowflake
from app.tenancy.connections.budget import MIN_BUDGET, ConnectionBudget
from app.tenancy.connections.fairness import FairShareLimits

#: The settings written as USES/SECONDS (see app/rates.py).
RATE_SETTINGS = (
    "cooldown_tag_create_user",
    "cooldown_tag_create_guild",
    "cooldown_note_add_user",
    "cooldown_note_add_guild",
    "cooldown_xp_user",
    "cooldown_xp_guild",
    "xp_guild_budget",
)


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    """Guildhall's configuration. Field names are the environment variable names."""

    # No env_file here: load_settings passes the files app.env_files finds, so that every
    # command reads the same ones.
    model_config = SettingsConfigDict(
        env_file=None, env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    discord_token: SecretStr | None = None
    database_url: str | None = None
    owner_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    # Servers where /tenant is registered; empty: every server (members without Manage Server
    # never see it either way).
    operator_guild_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    discord_api_base: str = "https://discord.com/api/v10"
    # Every connection of one process. 40 leaves a stock server (97 usable) room for a second
    # process and the CLI; app/tenancy/connections/budget.py shares it out.
    db_connection_budget: int = Field(default=40, ge=MIN_BUDGET, le=10_000)
    # Pinned (hot) guilds; unset: derived from the budget. Connections per pinned guild.
    tenant_cache_size: int | None = Field(default=None, ge=0, le=10_000)
    tenant_pool_max: int = Field(default=1, ge=1, le=100)
    tenant_idle_seconds: float = Field(default=300.0, gt=0, allow_inf_nan=False)
    tenant_retention_days: int = Field(default=30, ge=0)
    tenant_spare_schemas: int = Field(default=2, ge=0, le=1000)
    # The embedded server's data: one per-user directory, wherever the command runs.
    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Fair shares (README "Fairness"). Shared-tier connections one guild may hold at once
    # (unset: an eighth of the shared tier; 0: no cap); how long a lease beyond it waits (a slash
    # command must answer within 3 s); how many of one guild's leases may wait at once.
    guild_shared_leases_max: int | None = Field(default=None, ge=0, le=10_000)
    guild_lease_wait_seconds: float = Field(default=1.0, ge=0, le=2.5)
    guild_lease_queue_max: int = Field(default=8, ge=0, le=10_000)
    # Command cooldowns (USES/SECONDS, 0 = none), per user and per guild.
    cooldown_tag_create_user: Rate | None = Rate(5, 60)
    cooldown_tag_create_guild: Rate | None = Rate(30, 60)
    cooldown_note_add_user: Rate | None = Rate(10, 60)
    cooldown_note_add_guild: Rate | None = Rate(60, 60)
    cooldown_xp_user: Rate | None = Rate(5, 30)
    cooldown_xp_guild: Rate | None = Rate(60, 30)
    # Messages counted for XP per guild (USES/SECONDS, 0 = no bound); the rest are not counted.
    xp_guild_budget: Rate | None = Rate(300, 10)
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8080, ge=0, le=65535)
    # Gateway sharding (app.sharding). Unset: one process, Discord's recommended count.
    shard_count: int | None = Field(default=None, ge=1, le=MAX_SHARDS)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    # Bot processes sharing the database; `guildhall doctor` budgets connections for all.
    process_count: int = Field(default=1, ge=1, le=1000)

    @field_validator("owner_ids", "operator_guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object, info: ValidationInfo) -> object:
        # Comma-separated in the environment: "123,456".
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            ids = [parse_snowflake(part) for part in parts]
            bad = [part for part, one_id in zip(parts, ids, strict=True) if one_id is None]
            if bad:
                what = "user" if info.field_name == "owner_ids" else "server"
                raise ValueError(f"{bad[0]!r} is not a Discord {what} id ({SNOWFLAKE_RANGE})")
            return frozenset(ids)
        return value

    @field_validator("shard_count", "tenant_cache_size", "guild_shared_leases_max", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # SHARD_COUNT= (empty, as in .env.example) means "unset", not "invalid": a copied
        # .env.example (or `docker run --env-file` of it) must start.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            if not value.strip():
                return None
            value = parse_shard_ids(value)
        if not isinstance(value, (tuple, list)):
            return value  # None, or a wrong type pydantic reports
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("needs SHARD_COUNT too (the total number of shards)")
        # ShardScope refuses an id at or above SHARD_COUNT.
        return ShardScope(tuple(int(v) for v in value), count).shard_ids

    @field_validator(*RATE_SETTINGS, mode="before")
    @classmethod
    def _parse_rate(cls, value: object) -> object:
        return parse_rate(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("discord_api_base")
    @classmethod
    def _check_api_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://discord.com/api/v10")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # empty means "use the embedded server"
        if not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("must be a postgresql:// URL")
        check_database_port(value)
        return value

    @property
    def shard_scope(self) -> ShardScope | None:
        """The shards this process serves; None: every shard, as many as Discord recommends."""
        if self.shard_count is None:
            return None
        ids = self.shard_ids or tuple(range(self.shard_count))
        return ShardScope(ids, self.shard_count)

    @field_validator("discord_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()  # a pasted token often ends in a newline
        if any(char.isspace() for char in token):
            # Discord would only say "401"; a space means a prefix ("Bot …") or two values.
            raise ValueError(
                "contains a space; set it to the bot token alone (no 'Bot ' prefix), "
                "copied from the Developer Portal"
            )
        return SecretStr(token)

    @model_validator(mode="after")
    def _check_budget(self) -> Settings:
        self.connection_budget()  # a split that does not fit fails at start, naming the knobs
        self.fair_share_limits()
        return self

    def connection_budget(self) -> ConnectionBudget:
        """How this process's ``DB_CONNECTION_BUDGET`` connections are shared out."""
        return ConnectionBudget.split(
            self.db_connection_budget,
            pinned_pool_max=self.tenant_pool_max,
            pinned_slots=self.tenant_cache_size,
        )

    def fair_share_limits(self) -> FairShareLimits:
        """Per-guild caps on shared-tier leases; raises :class:`ValueError` naming the knob
        when ``GUILD_SHARED_LEASES_MAX`` exceeds the shared tier."""
        shared = self.connection_budget().shared_tier
        wait, waiting = self.guild_lease_wait_seconds, self.guild_lease_queue_max
        cap = self.guild_shared_leases_max
        if cap is None:
            return FairShareLimits.for_shared_tier(shared, wait_seconds=wait, max_waiting=waiting)
        if cap > shared:
            raise ValueError(
                f"GUILD_SHARED_LEASES_MAX={cap} is more than the {shared} shared-tier connections"
                f" of DB_CONNECTION_BUDGET={self.db_connection_budget}; lower it (0: no cap)"
            )
        return FairShareLimits(cap, wait, waiting)


def check_database_port(url: str) -> None:
    """Raise ValueError naming the port when ``url``'s port is not a number in 1-65535."""
    parts = urlsplit(url)
    ports = [*parse_qs(parts.query).get("port", [])]
    try:
        if parts.port is not None:
            ports.append(str(parts.port))
    except ValueError:  # urllib's own wording names neither the setting nor the fix
        raw = parts.netloc.rpartition(":")[2]
        if raw.isdigit():
            raise ValueError(f"port {raw} is out of range; use 1-65535 (5432 by default)") from None
        raise ValueError(f"port {raw!r} is not a number; use e.g. :5432") from None
    for port in ports:
        if not port.isdigit():
            raise ValueError(f"port {port!r} is not a number; use e.g. :5432")
        if not 1 <= int(port) <= 65535:
            raise ValueError(f"port {port} is out of range; use 1-65535 (5432 by default)")


def load_settings(**overrides: object) -> Settings:
    """Read the settings; raise :class:`SettingsError` naming the first bad variable.

    The ``.env`` files come from :func:`app.env_files.env_files_to_read` unless ``_env_file``
    is among ``overrides`` (tests pass ``_env_file=None``).
    """
    if "_env_file" not in overrides:
        try:
            overrides["_env_file"] = env_files_to_read()
        except EnvFileError as exc:
            raise SettingsError(str(exc)) from None
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        if not error["loc"]:  # a check across settings: its message names them
            message = str(error["msg"]).removeprefix("Value error, ")
            raise SettingsError(f"settings are invalid: {message}") from None
        name = str(error["loc"][0]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name} is invalid: {message}") from None
