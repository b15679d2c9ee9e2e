"""Errors a reviewer can cause, worded twice: English for the command line (like every other
command) and German for the web app (whose whole interface is German).

The plain functions raise our usual exception types (so the CLI prints its one ``error:`` line);
:func:`input_error` and :func:`not_found` attach the German wording, and :func:`german` picks it
for the web page, with a German fallback for errors raised elsewhere.
"""

from __future__ import annotations

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


def german(exc: ClusterradarError) -> str:
    """The German message of an error, for the web page."""
    worded = getattr(exc, GERMAN_ATTRIBUTE, None)
    if worded:
        return worded
    if isinstance(exc, WarehouseLockedError):
        return (
            "Die Datenbank ist gerade von einem anderen Prozess belegt (z. B. einem "
            "Klassifikationslauf). Bitte in einigen Sekunden noch einmal versuchen."
        )
    if isinstance(exc, WarehouseError):
        return f"Die Datenbank ist nicht nutzbar: {exc}"
    if isinstance(exc, NotFoundError):
        return f"Nicht gefunden: {exc}"
    return f"Eingabe nicht möglich: {exc}"
