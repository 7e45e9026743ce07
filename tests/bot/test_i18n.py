"""English and French: the locale files agree, every key used exists, Discord gets French."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import app
from app.i18n import ENGLISH, FRENCH, catalog, language_of, translate
from tests.bot.conftest import World

APP_DIR = Path(app.__file__).parent
# Reply keys appear as the first string argument of these calls.
KEY_USE = re.compile(
    r"""(?:UserFacingError|reply|tr|translate|localized)\(\s*(?:inter,\s*|interaction\.locale,\s*)?["']([\w.\-]+)["']"""
)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_locale_files_have_the_same_keys_and_placeholders() -> None:
    """Every English text has a French one with the same {placeholders}, and vice versa."""
    english, french = catalog(ENGLISH), catalog(FRENCH)
    assert set(english) == set(french)
    mismatched = [k for k in english if placeholders(english[k]) != placeholders(french[k])]
    assert mismatched == []


def test_every_key_used_in_the_code_exists() -> None:
    """A reply or command key written in the code is in the English file."""
    used = {
        key for path in APP_DIR.rglob("*.py") for key in KEY_USE.findall(path.read_text("utf-8"))
    }
    assert len(used) > 50
    english = catalog(ENGLISH)
    dynamic = {f"tenant.state.{s}" for s in ("active", "disabled", "left", "expired")}
    assert sorted(k for k in used if k not in english) == []
    assert dynamic <= set(english)


def test_command_names_are_valid_discord_names_in_both_languages() -> None:
    """Localized names are lowercase and match Discord's name pattern; descriptions fit."""
    for language in (ENGLISH, FRENCH):
        for key, text in catalog(language).items():
            if key.endswith("_NAME"):
                assert re.fullmatch(r"[-_'\w]{1,32}", text), (language, key)
                assert text == text.lower(), (language, key)
            elif key.endswith("_DESCRIPTION"):
                assert 1 <= len(text) <= 100, (language, key)


@pytest.mark.parametrize(
    ("locale", "language"),
    [("fr", FRENCH), ("FR", FRENCH), ("en-US", ENGLISH), ("de", ENGLISH), (None, ENGLISH)],
)
def test_language_of_picks_french_only_for_french(locale: str | None, language: str) -> None:
    """French for fr, English for every other (or no) locale."""
    assert language_of(locale) == language


def test_translate_fills_placeholders() -> None:
    """Parameters land in the text of the chosen language."""
    assert translate("fr", "tag.created", name="x") == "Tag **x** créé."
    assert translate("en-GB", "tag.created", name="x") == "Tag **x** created."


@pytest.mark.e2e
async def test_discord_receives_french_names_and_descriptions(world: World) -> None:
    """Synced commands carry French localizations for names, options and descriptions."""
    tag = world.fake.command("tag")
    assert tag is not None
    assert tag["name_localizations"] == {"fr": "tag"}
    create = next(o for o in tag["options"] if o["name"] == "create")
    assert create["name_localizations"] == {"fr": "créer"}
    assert create["description_localizations"] == {"fr": "Créer un tag"}
    option = next(o for o in create["options"] if o["name"] == "name")
    assert option["name_localizations"] == {"fr": "nom"}
    privacy = world.fake.command("privacy")
    assert privacy is not None
    forget = next(o for o in privacy["options"] if o["name"] == "forget-me")
    assert forget["name_localizations"] == {"fr": "oubliez-moi"}
