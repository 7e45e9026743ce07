"""How a guild's queries reach PostgreSQL: two tiers of connections behind one lease.

- :mod:`.session` — what a "neutral" connection is and how a lease is undone on release;
- :mod:`.leased` — the Tortoise client a binding hands out, over one leased connection;
- :mod:`.shared_tier` — one bounded pool any guild may lease (schema bound per lease);
- :mod:`.pinned_tier` — per-guild clients of hot guilds, pinned by ``server_settings``;
- :mod:`.admission` — which guilds are hot enough to be pinned (a frequency sketch);
- :mod:`.budget` — one number bounding every connection of the process;
- :mod:`.router` — picks the tier for each lease.
"""
