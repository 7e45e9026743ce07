"""A fake Discord (REST + gateway on 127.0.0.1) for end-to-end tests of a disnake bot.

The unmodified disnake client logs in, syncs application commands, receives guild /
message / interaction events and answers them; the fake records everything::

    fake = FakeDiscord(owner_ids=[OWNER_ID])
    guild = fake.add_guild(name="Alpha", locale="de")      # in the start-up GUILD_CREATE burst
    bot = commands.InteractionBot(intents=..., guild_ready_timeout=0.05)
    async with fake, running_bot(fake, bot):               # patches/restores Route.BASE
        with collect_bot_errors() as errors:               # swallowed bot exceptions
            reply = await fake.slash(guild.id, USER_ID, "tag", subcommand="create",
                                     options={"name": "x", "content": "y"}, locale="fr")
            assert reply.content == "..." and not reply.ephemeral
            await fake.send_message(guild.id, None, USER_ID, "hi")     # MESSAGE_CREATE
            sent = await fake.wait_for_bot_message(guild.channel_id)   # bot's channel.send
            await fake.join_guild(name="New")                          # on_guild_join
        errors.assert_clean()
        fake.assert_clean()                                # no unknown routes / 4xx answers

Realism worth knowing: intents are enforced (no GUILD_MESSAGES -> no MESSAGE_CREATE; no
MESSAGE_CONTENT -> blank content unless the bot is mentioned), administrators get the full
permission bitfield, ``default_member_permissions`` hides commands (FakeDiscordError), a
second interaction callback is rejected (40060), and the bot receives MESSAGE_CREATE for its
own visible messages. Sharded bots (IDENTIFY ``shard: [id, count]``) get, per shard, a READY
listing only that shard's guilds, and each guild's events on its shard's connection
(``guild_id_on_shard(1, 2)`` makes an id on shard 1 of 2; ``recommended_shards=`` is what
``GET /gateway/bot`` answers). Every wait is bounded (``default_timeout``, 10 s; ``timeout_s=``).
"""

from .bits import (
    ADMINISTRATOR,
    BAN_MEMBERS,
    DEFAULT_MEMBER_PERMISSIONS,
    KICK_MEMBERS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    MODERATE_MEMBERS,
)
from .diagnostics import BotErrorCollector, collect_bot_errors
from .gateway import guild_id_on_shard, shard_of
from .harness import running_bot
from .interactions import FakeDiscordError, InteractionRecord, Reply
from .models import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser
from .rest import RecordedRequest
from .server import FakeDiscord

__all__ = [
    "ADMINISTRATOR",
    "BAN_MEMBERS",
    "DEFAULT_MEMBER_PERMISSIONS",
    "KICK_MEMBERS",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MANAGE_ROLES",
    "MODERATE_MEMBERS",
    "BotErrorCollector",
    "FakeChannel",
    "FakeDiscord",
    "FakeDiscordError",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "InteractionRecord",
    "RecordedRequest",
    "Reply",
    "collect_bot_errors",
    "guild_id_on_shard",
    "running_bot",
    "shard_of",
]
