"""The running core and the tenant registry's state in this process.

- :mod:`.runtime` — :class:`Tenancy`: Tortoise, the connection tiers, provisioning and the
  status changes (enable, disable, left, joined, reconcile);
- :mod:`.transitions` — what each status change does to the locked registry row;
- :mod:`.status` — whether a guild may be served, cached per process;
- :mod:`.opt_outs` — who opted out of XP tracking, cached per process;
- :mod:`.listener` — NOTIFY from other processes drops those caches;
- :mod:`.bootstrap` — starting the core for a process (bot, CLI, benchmark).
- :mod:`.operator_input` — the disable reason and the "until" date, one set of rules for the
  CLI and the /tenant commands.
"""
