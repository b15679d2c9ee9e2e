"""Errors a reviewer can cause, worded twice: English for the command line (like every other
command) and German for the web app.

The plain functions raise our usual exception types (so the CLI prints its one ``error:`` line);
:func:`input_error` and :func:`not_found` attach the German wording, and :func:`message` picks
the wording of the app's language (``ui.language``): the German one, or the English one the
command line prints; errors raised elsewhere get a generic frame from the text catalogue.
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

GERMAN_ATTRIBUTE = "message_de"


def _with_german(exc: ClusterradarError, german_text: str) -> ClusterradarError:
    setattr(exc, GERMAN_ATTRIBUTE, german_text)
    return exc


def input_error(english: str, german_text: str) -> InputError:
    """An InputError that the web app shows in German."""
    return _with_german(InputError(english), german_text)


def not_found(english: str, german_text: str) -> NotFoundError:
    """A NotFoundError that the web app shows in German."""
    return _with_german(NotFoundError(english), german_text)


def message(exc: ClusterradarError, language: str | None = None) -> str:
    """The message of an error for the web page, in `language` (default: the app's)."""
    language = language or texts.current_language()
    worded = getattr(exc, GERMAN_ATTRIBUTE, None)
    if worded and language == "de":
        return worded
    if isinstance(exc, WarehouseLockedError):
        return texts.text("error.locked", language)
    if worded:
        return str(exc)
    if isinstance(exc, WarehouseError):
        return texts.text("error.warehouse", language, detail=exc)
    if isinstance(exc, NotFoundError):
        return texts.text("error.not_found", language, detail=exc)
    return texts.text("error.input", language, detail=exc)


german = message  # the name the routes import
