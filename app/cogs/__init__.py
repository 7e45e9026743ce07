"""Features of the bot, one package each, found and loaded by :class:`app.bot.GuildhallBot`.

A feature is a package ``app/cogs/<feature>/`` whose ``__init__.py`` holds only
``setup(bot)``; its private modules are ``_cog.py`` (the commands) and ``_store.py`` (the only
place the feature touches models, always inside ``async with guild_db(guild_id):``).
Modules and packages whose name starts with ``_`` (like :mod:`app.cogs._common`) are shared
helpers, not features. Adding a feature means adding a package: nobody keeps a list.
"""
