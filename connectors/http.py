"""HTTP GETs of connectors: the one retry policy, and the one GET that retries what is transient
and turns every network failure into a ConnectorError naming the request.

The REST, OAI-PMH and XML-download connectors all fetch over HTTP; each decides what an answer
means (its `check`), and this module decides when to ask again and how a failure is told.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

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
    SourceConfigError,
    SourceUnavailable,
    network_reason,
    network_reason_vi,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# A source asking us to come back later than this is down for the run, not busy.
MAX_RETRY_AFTER = 120.0
CLIP = 300


class TransientResponse(Exception):
    """A response worth asking again for: 5xx, 429 and the like. `str()` tells it in English,
    `message_vi` in Vietnamese; the status line and what the server `said` are its own words
    and stay as they are in both (`said_vi` is for words of ours, such as "(empty body)")."""

    def __init__(self, status: int, reason: str, said: str, retry_after: float | None,
                 said_vi: str | None = None):
        hint, hint_vi = "", ""
        if retry_after is not None:
            hint = f" (Retry-After {retry_after:g} s)"
            hint_vi = f" (Retry-After: chờ {retry_after:g} giây)"
        super().__init__(f"HTTP {status} {reason}: {said}{hint}")
        said_vi = said if said_vi is None else said_vi
        self.message_vi = f"HTTP {status} {reason}: {said_vi}{hint_vi}"
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
    return isinstance(
        exc,
        (
            TransientResponse,
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ),
    )


def _retry_after(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, TransientResponse) else None


class _AskedToWaitTooLong(stop_base):
    def __init__(self, limit: float):
        self.limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        return (_retry_after(retry_state) or 0.0) > self.limit


def retry_policy(
    attempts: int,
    *,
    sleep: Callable[[float], None] = time.sleep,
    initial: float = 1.0,
    max_backoff: float = 30.0,
    max_retry_after: float = MAX_RETRY_AFTER,
) -> Retrying:
    """The one retry policy of the connectors: transient failures only, exponential backoff
    with jitter, at least `Retry-After`, at most `attempts` tries, the last error re-raised."""
    backoff = wait_exponential_jitter(multiplier=initial, max=max_backoff, jitter=initial)

    def wait(state: RetryCallState) -> float:
        return max(backoff(state), _retry_after(state) or 0.0)

    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts) | _AskedToWaitTooLong(max_retry_after),
        wait=wait,
        sleep=sleep,
        reraise=True,
    )


# What `network_reason` says most often, as a Vietnamese admin reads it. The system's own words
# are kept beside them (in brackets), since they are what a search for the fault finds.
def clip(text: str) -> str:
    """`text` cut short enough to quote in an error message."""
    return text if len(text) <= CLIP else text[:CLIP] + "…"


def get_with_retries(
    session: requests.Session,
    url: str,
    *,
    source: str,
    policy: Retrying,
    timeout: float,
    check: Callable[[requests.Response], T],
    shown: str | None = None,
    shown_vi: str | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    verify: bool | str = True,
    stream: bool = False,
    ca_bundle_option: bool = True,
) -> T:
    """GET `url` and hand the response to `check`, which returns what the caller wants from it
    or raises: TransientResponse to be asked again, a ConnectorError to stop. Network failures
    are retried too; what is left after `policy` gives up becomes SourceUnavailable (try next
    run) or SourceConfigError (fix the settings).

    `shown` is how messages name the request (default `url`): a caller whose parameters hold
    something short-lived or secret passes a cleaner form, since messages end up in the run
    log; `shown_vi` is how Vietnamese messages name it, where that differs ("trang 2").
    `ca_bundle_option` says whether the source has a `ca_bundle` option to point at when
    TLS verification fails; without one the `url` is blamed. A response that `check` refuses
    is closed, so a refused stream does not hold its connection.
    """
    shown = shown or url
    shown_vi = shown_vi or shown
    attempts = 0

    def attempt() -> T:
        nonlocal attempts
        attempts += 1
        response = session.get(
            url,
            params=dict(params) if params else None,
            headers=dict(headers) if headers else None,
            timeout=(timeout, timeout),
            verify=verify,
            stream=stream,
        )
        try:
            return check(response)
        except BaseException:
            response.close()
            raise

    def log_retry(state: RetryCallState) -> None:
        exc: Any = state.outcome.exception() if state.outcome else None
        reason = network_reason(exc) if isinstance(exc, requests.RequestException) else exc
        logger.warning(
            "%s: %s: attempt %s failed (%s); retrying in %.1f s",
            source,
            shown,
            state.attempt_number,
            reason,
            state.upcoming_sleep,
        )

    def tries() -> str:
        return "1 attempt" if attempts == 1 else f"{attempts} attempts"

    def tries_vi() -> str:
        return f"đã thử {attempts} lần"

    try:
        return policy.copy(before_sleep=log_retry)(attempt)
    except TransientResponse as exc:
        raise SourceUnavailable(
            source, f"{shown} answered {exc} ({tries()})",
            f"{shown_vi} trả lời {exc.message_vi} ({tries_vi()})",
        ) from exc
    except requests.exceptions.SSLError as exc:
        if ca_bundle_option:
            raise SourceConfigError(
                source, "ca_bundle", f"is needed: TLS verification of {url} failed ({exc})",
                f"cần được đặt: không xác minh được chứng chỉ TLS của {url} ({exc})",
            ) from exc
        raise SourceConfigError(
            source, "url", f"fails TLS verification ({exc})",
            f"trỏ tới một máy chủ không qua được bước xác minh chứng chỉ TLS ({exc})",
        ) from exc
    except requests.Timeout as exc:
        raise SourceUnavailable(
            source, f"{shown} did not answer within {timeout:g} s ({tries()})",
            f"hết thời gian chờ: {shown_vi} không trả lời trong {timeout:g} giây "
            f"({tries_vi()})",
        ) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise SourceUnavailable(
            source, f"cannot reach {shown} ({tries()}): {network_reason(exc)}",
            f"không kết nối được tới {shown_vi} ({tries_vi()}): {network_reason_vi(exc)}",
        ) from exc
    except requests.RequestException as exc:
        raise SourceConfigError(
            source, "url", f"cannot be requested: {url}: {exc}",
            f"không dùng được để gửi yêu cầu: {url}: {exc}",
        ) from exc
