"""Guild schemas as PostgreSQL objects: provisioning a guild's schema (registry row, DDL,
aerich state), the pool of ready-made spare schemas, the catalog of a schema's relations, and
a schema's size on disk; ``verify`` compares every guild schema with its recorded version."""
