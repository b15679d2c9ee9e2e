"""Errors a reviewer can cause, worded twice: English for the command line (like every other
command) and, from the text catalogue (:mod:`clusterradar.texts`), for the web app in its
language (``ui.language``).

The plain functions raise our usual exception types (so the CLI prints its one ``error:`` line);
:func:`input_error` and :func:`not_found` attach the app's wording, ``text(key, ...)`` in the
process's language, and :func:`message` picks it for the web page, with a generic frame from the
catalogue for errors raised elsewhere.
"""

from __future__ import annotations

from clusterradar import texts
from clusterradar.errors import (
    ClusterradarError,
    InputError,
    NotFoundError,
    WarehouseError,
    WarehouseLockedError,
)

WEB_ATTRIBUTE = "web_message"


def _worded(exc: ClusterradarError, web_text: str) -> ClusterradarError:
    setattr(exc, WEB_ATTRIBUTE, web_text)
    return exc


def input_error(english: str, web_text: str) -> InputError:
    """An InputError that the web app shows as `web_text` (a text of the catalogue)."""
    return _worded(InputError(english), web_text)


def not_found(english: str, web_text: str) -> NotFoundError:
    """A NotFoundError that the web app shows as `web_text` (a text of the catalogue)."""
    return _worded(NotFoundError(english), web_text)


def message(exc: ClusterradarError) -> str:
    """The message of an error for the web page, in the app's language."""
    worded = getattr(exc, WEB_ATTRIBUTE, None)
    if worded:
        return worded
    if isinstance(exc, WarehouseLockedError):
        return texts.text("error.locked")
    if isinstance(exc, WarehouseError):
        return texts.text("error.warehouse", detail=exc)
    if isinstance(exc, NotFoundError):
        return texts.text("error.not_found", detail=exc)
    return texts.text("error.input", detail=exc)


german = message  # the name the routes import
