"""Pages in the family's language: gettext catalogs (Babel) for the pages families use, with no account.

The catalogs are `src/booking/locale/<language>/LC_MESSAGES/messages.po`, kept in the repository and
compiled in memory the first time a language is used (no build step, no generated files: a fresh
clone serves Spanish). Adding a language is adding its catalog file: the languages offered are the
folders found there, plus English (the msgids themselves). `make messages` extracts the strings of
the family pages into `locale/messages.pot` and merges them into every catalog.

Templates use the Jinja i18n extension (`{% trans %}`, `_()`), newstyle: the gettext callables of a
render come in its context (`translation_context(language)`), so one shared environment serves every
language at once. Code marks its messages with `N_()` and the page translates them when it renders.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "family_language"


def N_(message: str) -> str:
    return message


@lru_cache(maxsize=1)
def available_languages() -> tuple[str, ...]:
    """English first, then every language with a catalog, in code order."""
    found = sorted(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (DEFAULT_LANGUAGE, *[code for code in found if code != DEFAULT_LANGUAGE])


def language_name(code: str) -> str:
    """A language's name in that language ("Español"), as families look for it on the switch."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def pick_language(*candidates: str | None) -> str:
    """The first candidate we have a catalog for (query parameter, then cookie, then Accept-Language)."""
    offered = available_languages()
    for candidate in candidates:
        for part in (candidate or "").split(","):
            code = part.split(";")[0].strip().lower().replace("_", "-")
            if code in offered:
                return code
            if code.split("-")[0] in offered:
                return code.split("-")[0]
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE or language not in available_languages():
        return NullTranslations()
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po_file:
        catalog = read_po(po_file, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return Translations(fp=compiled)


def translation_context(language: str) -> dict:
    """What a template render needs for `{% trans %}` and `_()` in `language`, plus its formatting helpers."""
    catalog = translations(language)

    # Jinja's newstyle contract: the string is ours (trusted), the variables are escaped by Markup's %,
    # and % is always applied (a literal percent sign in a {% trans %} block is written %% in the msgid).
    def gettext(message: str, **variables) -> str:
        return Markup(catalog.gettext(message)) % variables

    def ngettext(singular: str, plural: str, number: int, **variables) -> str:
        variables.setdefault("num", number)
        return Markup(catalog.ngettext(singular, plural, number)) % variables

    return {
        "gettext": gettext,
        "_": gettext,
        "ngettext": ngettext,
        "language": language,
        "languages": [(code, language_name(code)) for code in available_languages()],
        "long_date": lambda day: long_date(day, language),
        "number": lambda value: format_decimal(value, locale=language),
    }


def translate(language: str, message: str, **variables) -> str:
    text = translations(language).gettext(message)
    return text % variables if variables else text


def long_date(day: dt.date | dt.datetime | None, language: str) -> str:
    if day is None:
        return ""
    return format_date(day, format="long", locale=language)
