"""A run's error in the two languages stisync speaks: made together, from the same facts, so
the English (runs.error, the sync report, the logs) and the Vietnamese (runs.error_vi, what
the province's admin reads) never drift apart."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from sync.state.db import describe_db_error
from sync.texts import error_text


class RunError(NamedTuple):
    """A run's error in English (`en`: the runs table's `error`, the sync report and the logs,
    which the national agency's staff read) and in Vietnamese (`vi`: what the province's
    admin reads; the runs table's `error_vi`). Both are made together, from the same facts.

    Each part opens with the same kind words in both ("source: …", "national API
    unavailable: …", and after "; " the parts joined on): stisync frames them in the reader's
    language, and sync.breaker reads them back from `error`."""

    en: str
    vi: str

    @classmethod
    def of(cls, kind: str | None, exc: BaseException) -> RunError:
        """`kind: exc` (without a kind, `exc` alone), the exception as each language says it
        (`error_text`)."""
        head = f"{kind}: " if kind else ""
        return cls(f"{head}{exc}", f"{head}{error_text(exc, 'vi')}")

    def then(self, more: RunError | None) -> RunError:
        """This error, and `more` after it."""
        if more is None:
            return self
        return RunError(f"{self.en}; {more.en}", f"{self.vi}; {more.vi}")


def state_db_error(exc: SQLAlchemyError) -> RunError:
    """A run's error for a failure of the state database: what the driver's words mean
    (sync.state.db) in each language, the driver's words as they are."""
    return RunError(
        f"state database: {describe_db_error(exc)}",
        f"state database: {describe_db_error(exc, 'vi')}",
    )


def internal_error(exc: Exception) -> RunError:
    """A run's error for a defect: the exception as Python says it, in both languages."""
    text = f"internal error: {type(exc).__name__}: {exc}"
    return RunError(text, text)
