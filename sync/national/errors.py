"""National API errors, named by what the caller should do about them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class NationalError(Exception):
    """Base of every error the national client raises.

    `status` is the HTTP status (None for connection faults), `code` the body's `"error"`,
    `message` the server's message (or the description when there is none), `url` the request,
    `errors` the field errors of a validation answer. Plain `NationalError`s are answers that
    break the contract (a missing batch result, an unknown status): neither retried nor a
    verdict on the request.

    `str(err)` is English: logs, run records and sync reports are read by the national
    agency's staff. The province's admin reads `text("vi")`, the same facts in Vietnamese
    (`text_vi`), the server's own words quoted as they came; an error raised without a
    Vietnamese text is said in English in both.
    """

    def __init__(
        self,
        text: str,
        *,
        text_vi: str | None = None,
        status: int | None = None,
        code: str | None = None,
        message: str | None = None,
        url: str | None = None,
        method: str | None = None,
        errors: tuple[Mapping[str, Any], ...] = (),
    ) -> None:
        super().__init__(text)
        self.text_vi = text_vi
        self.status = status
        self.code = code
        self.message = message if message is not None else text
        self.url = url
        self.method = method
        self.errors = errors

    def text(self, lang: str = "vi") -> str:
        """The whole error in `lang` ("vi" or "en")."""
        if lang == "en" or self.text_vi is None:
            return str(self)
        return self.text_vi

    def _fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "url": self.url,
            "method": self.method,
            "errors": self.errors,
        }


class TransientError(NationalError):
    """5xx, 429, a connection fault, a timeout or a cut body: the same request may succeed later.

    `retry_after` is the server's `Retry-After`, in seconds from now, when it sent one.
    """

    def __init__(self, text: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(text, **kw)
        self.retry_after = retry_after


class PermanentError(NationalError):
    """400, 403, 404, 413, 422 and the like: sending the same bytes again cannot succeed."""


class AuthFailed(PermanentError):
    """The national side refused our credentials, even after fetching a new token."""


class BatchRefused(PermanentError):
    """A batch was refused whole (too big, malformed): send its records one at a time instead."""


class RetryBudgetExceeded(TransientError):
    """Retries used up (attempts or total time). `last` is the error of the final attempt."""

    def __init__(self, text: str, *, last: NationalError, text_vi: str | None = None) -> None:
        fields = last._fields()
        super().__init__(
            text, text_vi=text_vi, retry_after=getattr(last, "retry_after", None), **fields
        )
        self.last = last


class RetryAfterTooLong(TransientError):
    """The server asked us to come back later than the policy allows: end the run politely and
    let the next scheduled run try again."""


class RunBudgetSpent(RetryBudgetExceeded):
    """The run's retry budget (across all its calls) is used up: this call was not retried,
    and the rest of the run's work waits for the next run."""


class CircuitOpen(NationalError):
    """Most recent requests to the national side failed: the run stops sending and leaves the
    rest in the outbox instead of hammering a struggling server (sync.breaker). `last` is the
    failure that opened the circuit."""

    def __init__(
        self, text: str, *, last: NationalError | None = None, text_vi: str | None = None
    ) -> None:
        super().__init__(text, text_vi=text_vi, **(last._fields() if last is not None else {}))
        self.last = last
