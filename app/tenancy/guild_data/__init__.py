"""Operations on one guild's rows as a whole: export and import (``tables``, ``export``,
``jsonstream``, ``importer``), a user's data-deletion request (``privacy`` in one guild,
``forget`` across guilds) and the retention of guilds the bot left (``retention``)."""
