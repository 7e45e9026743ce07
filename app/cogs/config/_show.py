"""What /config show says: every setting of the guild, in the reader's language."""

from __future__ import annotations

from app.cogs import _guild_settings as settings
from app.cogs._common import AnyInter, shown, tr
from app.cogs._guild_settings import GuildConfig

LANGUAGE_NAMES = {"en-US": "config.value_english", "fr": "config.value_french"}


def describe(inter: AnyInter, config: GuildConfig) -> str:
    """The /config show text."""
    channels = ", ".join(f"<#{c}>" for c in sorted(config.no_xp_channels))
    if config.level_up_mode == settings.LEVEL_UP_SAME:
        level_up = tr(inter, "config.value_level_up_same")
    elif config.level_up_mode == settings.LEVEL_UP_CHANNEL:
        level_up = tr(
            inter, "config.value_level_up_channel", channel=f"<#{config.level_up_channel_id}>"
        )
    else:
        level_up = tr(inter, "config.value_off")
    raw = config.level_up_template
    if not raw:
        template = tr(inter, "config.value_template_default")
    else:
        # As written, in a code span; one holding a backtick cannot be: escape it instead.
        template = f"`{raw}`" if "`" not in raw else shown(raw)
    role = (
        f"<@&{config.tag_creator_role_id}>"
        if config.tag_creator_role_id
        else tr(inter, "config.value_everyone")
    )
    language = (
        tr(inter, LANGUAGE_NAMES[config.language])
        if config.language in LANGUAGE_NAMES
        else tr(inter, "config.value_language_member")
    )
    return tr(
        inter,
        "config.show",
        xp=tr(inter, "config.value_on" if config.xp_enabled else "config.value_off"),
        channels=channels or tr(inter, "config.value_none"),
        level_up=level_up,
        template=template,
        role=role,
        language=language,
    )
