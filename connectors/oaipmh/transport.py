"""One OAI-PMH request over HTTP: the GET, its retries, and what a failed answer means."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import RetryCallState, Retrying

from connectors.errors import (
    SourceAuthError,
    SourceConfigError,
    SourceUnavailable,
    network_reason,
)
from connectors.rest.http import (
    TRANSIENT_STATUSES,
    TransientResponse,
    clip,
    retry_after_seconds,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A repository's answer to one request. `status` may be 4xx: OAI-PMH errors are often
    sent that way, and only the body says which."""

    status: int
    reason: str
    content: bytes

    def quote(self) -> str:
        """The start of the body as one line, for an error message."""
        # OAI-PMH answers are UTF-8 (protocol §3.1.2.1); anything else is quoted as best we can.
        text = " ".join(self.content[:1200].decode("utf-8", "replace").split())
        return clip(text) or "(empty body)"


def request(session: requests.Session, url: str, params: Mapping[str, str], *, source: str,
            shown: str, policy: Retrying, timeout: float, verify: bool | str) -> Answer:
    """GET `url` with `params`, retrying what is transient (5xx, 429, resets, timeouts, 503 with
    Retry-After as flow control). `shown` is how messages name the request: never with a
    resumption token in it, since messages end up in the run log."""
    attempts = 0

    def attempt() -> Answer:
        nonlocal attempts
        attempts += 1
        response = session.get(url, params=dict(params), timeout=(timeout, timeout),
                               verify=verify)
        return _classify(source, response, shown)

    def log_retry(state: RetryCallState) -> None:
        exc: Any = state.outcome.exception() if state.outcome else None
        reason = network_reason(exc) if isinstance(exc, requests.RequestException) else exc
        logger.warning("%s: %s attempt %s failed (%s); retrying in %.1f s", source, shown,
                       state.attempt_number, reason, state.upcoming_sleep)

    try:
        return policy.copy(before_sleep=log_retry)(attempt)
    except TransientResponse as exc:
        raise SourceUnavailable(source, f"{shown} answered {exc} ({_tries(attempts)})") from exc
    except requests.exceptions.SSLError as exc:
        raise SourceConfigError(
            source, "ca_bundle", f"is needed: TLS verification of {url} failed ({exc})"
        ) from exc
    except requests.Timeout as exc:
        raise SourceUnavailable(
            source, f"{shown} did not answer within {timeout:g} s ({_tries(attempts)})"
        ) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise SourceUnavailable(
            source, f"cannot reach {shown} ({_tries(attempts)}): {network_reason(exc)}"
        ) from exc
    except requests.RequestException as exc:
        raise SourceConfigError(source, "url", f"cannot be requested: {url}: {exc}") from exc


def _classify(source: str, response: requests.Response, shown: str) -> Answer:
    status = response.status_code
    answer = Answer(status, response.reason or "", response.content)
    if status in TRANSIENT_STATUSES:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientResponse(status, answer.reason, answer.quote(), wait)
    if status in (401, 403):
        raise SourceAuthError(source, f"{shown} refused access (HTTP {status}): "
                              f"{answer.quote()}")
    return answer


def _tries(attempts: int) -> str:
    return "1 attempt" if attempts == 1 else f"{attempts} attempts"
