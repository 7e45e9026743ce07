"""The gateway websocket: HELLO, heartbeats, IDENTIFY/READY, RESUME, dispatches.

Sharded like Discord: an IDENTIFY carrying ``shard: [id, count]`` opens shard ``id``, whose
READY and GUILD_CREATE burst list only the guilds with ``(guild_id >> 22) % count == id``,
and every later event about a guild goes to the connection of that guild's shard.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .bits import INTENT_GUILD_MEMBERS, PRIVILEGED_INTENTS
from .models import new_snowflake

if TYPE_CHECKING:
    from .server import FakeDiscord

_log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11


#: Events whose payload's ``id`` is the guild's (others carry ``guild_id``).
_GUILD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a guild's events on."""
    return (guild_id >> 22) % shard_count


def guild_id_on_shard(shard_id: int, shard_count: int) -> int:
    """A new guild id whose events go to shard ``shard_id`` of ``shard_count``."""
    guild_id = new_snowflake()
    # Shifting the timestamp part by a few milliseconds moves the guild to the wanted shard.
    return guild_id + (((shard_id - shard_of(guild_id, shard_count)) % shard_count) << 22)


def event_guild_id(event: str, data: dict[str, Any]) -> int | None:
    """The guild an event is about, if any."""
    raw = data.get("id") if event in _GUILD_EVENTS else data.get("guild_id")
    return int(raw) if raw is not None else None


@dataclass
class GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    #: (shard id, shard count) from IDENTIFY's ``shard`` field; None: not sharded
    shard: tuple[int, int] | None = None
    #: every dispatch sent in this session, for RESUME replay and for test assertions
    sent: list[dict[str, Any]] = field(default_factory=list)


class GatewayConnection:
    def __init__(self, ws: web.WebSocketResponse, *, compress: bool) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._zlib = zlib.compressobj() if compress else None
        self._send_lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload)
        async with self._send_lock:
            if self.ws.closed:
                return
            if self._zlib is None:
                await self.ws.send_str(raw)
            else:
                data = self._zlib.compress(raw.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.connections: set[GatewayConnection] = set()
        self.sessions: dict[str, GatewaySession] = {}
        #: the connection that completed IDENTIFY/RESUME most recently and is still open
        self.active: GatewayConnection | None = None
        #: every payload the bot sent us (op, d), for assertions
        self.received: list[dict[str, Any]] = []
        self.identify_count = 0
        self.resume_count = 0
        #: the open connection of each shard, for sharded sessions
        self.shard_connections: dict[int, GatewayConnection] = {}
        #: the shard count the bot identified with (None: no sharded session yet)
        self.shard_count: int | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(timeout=2.0, max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, compress=request.query.get("compress") == "zlib-stream")
        self.connections.add(conn)
        try:
            await conn.send(
                {"op": OP_HELLO, "d": {"heartbeat_interval": self.fake.heartbeat_interval_ms}}
            )
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_payload(conn, json.loads(msg.data))
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            self.connections.discard(conn)
            if self.active is conn:
                self.active = None
            for shard_id, open_conn in list(self.shard_connections.items()):
                if open_conn is conn:
                    del self.shard_connections[shard_id]
            await self.fake._notify()
        return ws

    async def _on_payload(self, conn: GatewayConnection, payload: dict[str, Any]) -> None:
        self.received.append(payload)
        op = payload.get("op")
        data: Any = payload.get("d") or {}
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data)
        elif op == OP_RESUME:
            await self._resume(conn, data)
        elif op == OP_REQUEST_MEMBERS:
            await self._request_members(conn, data)
        elif op in (OP_PRESENCE, OP_VOICE_STATE):
            pass  # recorded in ``received``
        else:
            _log.warning("fake gateway: unexpected op %s", op)
        await self.fake._notify()

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        fake = self.fake
        if data.get("token") != fake.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_count += 1
        shard = data.get("shard")
        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents,
            shard=(int(shard[0]), int(shard[1])) if shard else None,
        )
        self.sessions[session.session_id] = session
        if fake.hold_ready is not None:  # a story that needs time between IDENTIFY and READY
            await fake._notify()
            await fake.hold_ready.wait()
        self._attach(conn, session)
        joined = [g for g in fake.guilds.values() if g.joined and self._on_session(g.id, session)]
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": {**fake.bot_user.payload(), "verified": True, "mfa_enabled": False},
                "guilds": [{"id": str(g.id), "unavailable": True} for g in joined],
                "session_id": session.session_id,
                "resume_gateway_url": fake.gateway_url,
                "application": {"id": str(fake.app_id), "flags": fake.application_flags},
                "private_channels": [],
                "relationships": [],
                "_trace": ["fakediscord"],
            },
            conn=conn,
        )
        for guild in joined:
            await self.dispatch("GUILD_CREATE", guild.payload(unavailable=False), conn=conn)
        fake._ready_sent = True

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.fake.token:
            await conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        self.resume_count += 1
        self._attach(conn, session)
        last_seen = int(data.get("seq") or 0)
        for payload in [p for p in session.sent if p["s"] > last_seen]:
            await conn.send(payload)
        await self.dispatch("RESUMED", {"_trace": ["fakediscord"]}, conn=conn)

    async def _request_members(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        guild = self.fake.guilds.get(int(data["guild_id"]))
        members = list(guild.members.values()) if guild else []
        if user_ids := data.get("user_ids"):
            wanted = {int(u) for u in user_ids}
            members = [m for m in members if m.user.id in wanted]
        elif query := data.get("query"):
            members = [m for m in members if m.user.username.startswith(query)]
        if limit := data.get("limit"):
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(data["guild_id"]),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk, conn=conn)

    def _attach(self, conn: GatewayConnection, session: GatewaySession) -> None:
        conn.session = session
        self.active = conn
        if session.shard is not None:
            self.shard_connections[session.shard[0]] = conn
            self.shard_count = session.shard[1]

    @staticmethod
    def _on_session(guild_id: int, session: GatewaySession) -> bool:
        if session.shard is None:
            return True
        shard_id, count = session.shard
        return shard_of(guild_id, count) == shard_id

    def connection_for(self, event: str, data: dict[str, Any]) -> GatewayConnection | None:
        """Where Discord would send the event: its guild's shard, else the latest connection."""
        guild_id = event_guild_id(event, data)
        if guild_id is None or self.shard_count is None:
            return self.active
        return self.shard_connections.get(shard_of(guild_id, self.shard_count))

    def shard_connected(self, shard_id: int) -> bool:
        """Whether shard ``shard_id`` has an open, identified connection."""
        conn = self.shard_connections.get(shard_id)
        return conn is not None and conn.session is not None and not conn.ws.closed

    async def dispatch(
        self, event: str, data: dict[str, Any], *, conn: GatewayConnection | None = None
    ) -> dict[str, Any]:
        conn = conn or self.connection_for(event, data)
        if conn is None or conn.session is None or conn.ws.closed:
            msg = f"cannot dispatch {event}: the bot is not connected to the fake gateway"
            raise ConnectionError(msg)
        session = conn.session
        session.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.sent.append(payload)
        await conn.send(payload)
        return payload

    @property
    def intents(self) -> int:
        if self.active is None or self.active.session is None:
            return 0
        return self.active.session.intents

    @property
    def wants_members(self) -> bool:
        return bool(self.intents & INTENT_GUILD_MEMBERS)

    async def send_op(self, op: int, data: Any = None) -> None:
        if self.active is None:
            msg = "the bot is not connected to the fake gateway"
            raise ConnectionError(msg)
        await self.active.send({"op": op, "d": data})

    async def drop(self, code: int) -> None:
        """Server-side close of the active connection."""
        if self.active is None:
            msg = "the bot is not connected to the fake gateway"
            raise ConnectionError(msg)
        conn, self.active = self.active, None
        await conn.ws.close(code=code)

    async def close_all(self, code: int = 1001) -> None:
        for conn in list(self.connections):
            await conn.ws.close(code=code)
        self.active = None
