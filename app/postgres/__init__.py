"""The PostgreSQL server Guildhall runs on: an external one named by ``DATABASE_URL``, or the
embedded one it starts itself (``embedded``). Imports nothing from the tenancy core's runtime
or from disnake."""
