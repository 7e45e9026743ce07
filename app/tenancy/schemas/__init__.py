"""Guild schemas as PostgreSQL objects: provisioning a guild's schema (registry row, role,
the one builder), the pool of ready-made spare schemas, per-guild roles, the catalog of a
schema's relations, a schema's size on disk, and where schemas live on a Citus cluster
(``citus``); ``verify`` compares every guild schema with its recorded version."""
