"""HTTP exchanges with a provincial API: one response classifier, one retry policy, one GET."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from connectors.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceDataError,
    SourceUnavailable,
    network_reason,
)
from connectors.rest.paths import DottedPath

logger = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A source asking us to come back later than this is down for the run, not busy.
MAX_RETRY_AFTER = 120.0
_CLIP = 300


class TransientResponse(Exception):
    """A response worth asking again for: 5xx, 429 and the like."""

    def __init__(self, status: int, reason: str, said: str, retry_after: float | None):
        hint = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
        super().__init__(f"HTTP {status} {reason}: {said}{hint}")
        self.status = status
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def is_transient(exc: BaseException) -> bool:
    # A certificate problem will fail the same way on every attempt.
    if isinstance(exc, requests.exceptions.SSLError):
        return False
    return isinstance(exc, (
        TransientResponse, requests.ConnectionError, requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    ))


def _retry_after(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, TransientResponse) else None


class _AskedToWaitTooLong(stop_base):
    def __init__(self, limit: float):
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        return (_retry_after(retry_state) or 0.0) > self.limit


def retry_policy(attempts: int, *, sleep: Callable[[float], None] = time.sleep,
                 initial: float = 1.0, max_backoff: float = 30.0,
                 max_retry_after: float = MAX_RETRY_AFTER) -> Retrying:
    """The one retry policy of this package: transient failures only, exponential backoff with
    jitter, at least `Retry-After`, at most `attempts` tries, the last error re-raised."""
    backoff = wait_exponential_jitter(initial=initial, max=max_backoff, jitter=initial)

    def wait(state: RetryCallState) -> float:
        return max(backoff(state), _retry_after(state) or 0.0)

    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts) | _AskedToWaitTooLong(max_retry_after),
        wait=wait,
        sleep=sleep,
        reraise=True,
    )


def server_message(response: requests.Response, message_path: DottedPath | None) -> str:
    """What the server said about its answer, short enough to quote in an error."""
    if message_path is not None:
        try:
            said = message_path.get(response.json())
        except ValueError:
            said = None
        if isinstance(said, str) and said.strip():
            return clip(said.strip())
    return clip(body_text(response)) or "(empty body)"


def body_text(response: requests.Response) -> str:
    """The start of the body as one line of text, for quoting in an error."""
    declared = "charset" in response.headers.get("Content-Type", "").lower()
    head = response.content[:4 * _CLIP]
    try:
        # Without a declared charset requests assumes Latin-1 for text/*; these pages are UTF-8.
        text = response.text[:4 * _CLIP] if declared else head.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    return " ".join(text.split())


def clip(text: str) -> str:
    return text if len(text) <= _CLIP else text[:_CLIP] + "…"


def classify(source: str, response: requests.Response, *, page: int,
             message_path: DottedPath | None) -> None:
    """Raise what a non-2xx answer means for this source; return quietly on success."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = server_message(response, message_path)
    if status in TRANSIENT_STATUSES:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientResponse(status, response.reason, said, wait)
    if status in (401, 403):
        raise SourceAuthError(
            source, f"{response.url} refused our credentials (HTTP {status}): {said}"
        )
    if page == 1:
        hint = "; is the url right?" if status == 404 else ""
        raise SourceConfigError(
            source, "url", f"is refused: {response.url} answered HTTP {status} "
            f"{response.reason}: {said}{hint}"
        )
    hint = (" (a server that answers 404 past its last page needs total_path or next_link "
            "pagination)" if status == 404 else "")
    raise SourceDataError(source, f"HTTP {status} {response.reason}: {said}{hint}",
                          where=f"{response.url} (page {page})")


def get(session: requests.Session, url: str, *, source: str, page: int, policy: Retrying,
        timeout: float, verify: bool | str, message_path: DottedPath | None) -> requests.Response:
    """GET one page with retries; every failure becomes a ConnectorError naming `url`."""
    attempts = 0

    def attempt() -> requests.Response:
        nonlocal attempts
        attempts += 1
        response = session.get(url, timeout=(timeout, timeout), verify=verify)
        classify(source, response, page=page, message_path=message_path)
        return response

    def log_retry(state: RetryCallState) -> None:
        exc = _exception(state)
        reason = network_reason(exc) if isinstance(exc, requests.RequestException) else exc
        logger.warning("%s: page %s attempt %s failed (%s); retrying in %.1f s", source, page,
                       state.attempt_number, reason, state.upcoming_sleep)

    try:
        return policy.copy(before_sleep=log_retry)(attempt)
    except TransientResponse as exc:
        raise SourceUnavailable(source, f"{url} answered {exc} ({_tries(attempts)})") from exc
    except requests.exceptions.SSLError as exc:
        raise SourceConfigError(
            source, "ca_bundle", f"is needed: TLS verification of {url} failed ({exc})"
        ) from exc
    except requests.Timeout as exc:
        raise SourceUnavailable(
            source, f"{url} did not answer within {timeout:g} s ({_tries(attempts)})"
        ) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise SourceUnavailable(
            source, f"cannot reach {url} ({_tries(attempts)}): {network_reason(exc)}"
        ) from exc
    except requests.RequestException as exc:
        raise SourceConfigError(source, "url", f"cannot be requested: {url}: {exc}") from exc


def _tries(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"


def _exception(state: RetryCallState) -> Any:
    return state.outcome.exception() if state.outcome else None
