"""English and French: the locale files agree, every key used exists, Discord gets French."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import app
from app.i18n import ENGLISH, FRENCH, catalog, language_of, translate
from app.i18n.plurals import Message, plural_category
from tests.bot.conftest import World

APP_DIR = Path(app.__file__).parent
# Reply keys appear as the first string argument of these calls.
KEY_USE = re.compile(
    r"""(?:UserFacingError|reply|tr|translate|localized)\(\s*(?:inter,\s*|interaction\.locale,\s*)?["']([\w.\-]+)["']"""
)


def placeholders(text: Message) -> set[str]:
    forms = [text] if isinstance(text, str) else list(text.values())
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


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


@pytest.mark.parametrize(
    ("locale", "count", "text"),
    [
        ("en-US", 1, "1 message counted"),
        ("en-US", 0, "0 messages counted"),
        ("en-US", 2, "2 messages counted"),
        ("fr", 0, "0 message compté"),
        ("fr", 1, "1 message compté"),
        ("fr", 2, "2 messages comptés"),
    ],
)
def test_translate_picks_the_plural_form_by_the_languages_rule(
    locale: str, count: int, text: str
) -> None:
    """``count`` chooses the form by CLDR's rule: English 0 is plural, French 0 singular."""
    assert translate(locale, "rank.messages", count=count) == text


def test_one_row_forgotten_is_singular() -> None:
    """The forget-me reply says "(1 row)", not "(1 rows)", in both languages."""
    assert "(1 row)." in translate("en-US", "privacy.forgotten", count=1)
    assert "(1 ligne)." in translate("fr", "privacy.forgotten", count=1)
    assert "(3 rows)." in translate("en-US", "privacy.forgotten", count=3)


def test_plural_texts_have_an_other_form_and_the_same_forms_for_their_language() -> None:
    """Every plural text has "other", and a form for each category its language's rule uses."""
    for language in (ENGLISH, FRENCH):
        needed = {plural_category(language, n) for n in range(0, 200)}
        for key, text in catalog(language).items():
            if not isinstance(text, str):
                assert "other" in text and needed <= set(text), (language, key)


def test_command_texts_reach_discord_without_plural_forms() -> None:
    """Names and descriptions (upper-case keys) are plain strings in both languages."""
    for language in (ENGLISH, FRENCH):
        for key, text in catalog(language).items():
            if key.isupper():
                assert isinstance(text, str), (language, key)
