"""The message catalogue: every text a client reads in an error, in Vietnamese and English.
Its entries are written by domain in ``app.core.catalogue``; ``msg`` here is the one lookup.

Problem titles are keyed by the problem's ``code`` (``app.core.catalogue.titles``).
Everything else — details, the ``errors[]`` items of a validation answer, the intake rules —
is a ``Message``: a catalogue key plus the values its template needs. Each entry names the
stable ``errors[]`` code it answers with (``missing``, ``too_short``, ``too_long``,
``invalid_format``, ``invalid_choice``, ``out_of_range``, ``extra_forbidden``,
``invalid_type``, ``unknown_parameter`` or a rule's own word). Templates use ``str.format``
fields; both languages of an entry use the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.catalogue.accounts import ACCOUNTS
from app.core.catalogue.administration import ADMINISTRATION
from app.core.catalogue.complaints import COMPLAINTS
from app.core.catalogue.entry import Entry
from app.core.catalogue.intake import INTAKE
from app.core.catalogue.integration import INTEGRATION
from app.core.catalogue.media import MEDIA
from app.core.catalogue.notifications import NOTIFICATIONS
from app.core.catalogue.open311 import OPEN311
from app.core.catalogue.privacy import PRIVACY
from app.core.catalogue.requests import REQUESTS
from app.core.catalogue.titles import TITLES
from app.core.catalogue.workflow import WORKFLOW
from app.core.i18n import Lang


def _merged(*parts: dict[str, Entry]) -> dict[str, Entry]:
    """One table of the domains' entries; a key written in two of them is refused."""
    merged: dict[str, Entry] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise RuntimeError(f"catalogue keys written twice: {sorted(twice)}")
        merged.update(part)
    return merged


# Every message, from the domains' catalogues (app.core.catalogue): the one table ``msg`` reads.
MESSAGES: dict[str, Entry] = _merged(
    REQUESTS,
    INTAKE,
    WORKFLOW,
    MEDIA,
    OPEN311,
    PRIVACY,
    ACCOUNTS,
    INTEGRATION,
    NOTIFICATIONS,
    ADMINISTRATION,
    COMPLAINTS,
)


@dataclass(frozen=True)
class Message:
    """A catalogue entry and the values its template needs."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return MESSAGES[self.key].code

    def text(self, lang: Lang) -> str:
        entry = MESSAGES[self.key]
        template = entry.en if lang is Lang.en else entry.vi
        values = {
            k: v.text(lang) if isinstance(v, Message | Title) else v for k, v in self.params.items()
        }
        return template.format_map(values)


@dataclass(frozen=True)
class Title:
    """A problem's title (``app.core.catalogue.titles``) as a template's value."""

    code: str

    def text(self, lang: Lang) -> str:
        return title_for(self.code, lang)


def title_message(code: str) -> Message:
    """The problem's title as a message: the text of an answer with nothing more specific."""
    return msg("problem.title", title=Title(code))


def msg(key: str, **params: Any) -> Message:
    """The catalogue's message ``key``; an unknown key fails here, where it is written."""
    if key not in MESSAGES:
        raise KeyError(f"no message {key!r} in the catalogue")
    return Message(key, params)


def pick(text: Message | None, lang: Lang) -> str | None:
    return None if text is None else text.text(lang)


def bilingual(text: Message) -> tuple[str, str]:
    """(Vietnamese, English) of any text."""
    return pick(text, Lang.vi) or "", pick(text, Lang.en) or ""


def title_for(code: str, lang: Lang) -> str:
    vi, en = TITLES.get(code, (code, code))
    return en if lang is Lang.en else vi
