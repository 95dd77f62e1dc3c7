"""A streamed download of an XML export: one GET with retries, then its body read as a file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from tenacity import RetryCallState, Retrying
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from connectors.errors import SourceConfigError, SourceUnavailable, network_reason
from connectors.rest.http import TransientResponse, classify

logger = logging.getLogger(__name__)

ACCEPT = "application/xml, text/xml;q=0.9, */*;q=0.1"


class Body:
    """The response body as a binary file whose read() fails with SourceUnavailable, not with
    urllib3's errors, when the transfer stalls or breaks off."""

    def __init__(self, source: str, url: str, response: requests.Response, timeout: float):
        self.source = source
        self.name = url
        self.timeout = timeout
        self.received = 0
        self._raw = response.raw
        # Compressed transfers are inflated here; the size cap then counts inflated bytes.
        self._raw.decode_content = True

    def read(self, size: int = -1) -> bytes:
        try:
            # read1 hands over what has arrived; read(size) would wait for all `size` bytes
            # and lose them to a stall, with the records they hold.
            data: bytes = self._raw.read1(None if size < 0 else size)
        except ReadTimeoutError as exc:
            raise SourceUnavailable(self.source, f"{self.name} sent nothing for "
                                    f"{self.timeout:g} s after {self.received:,} bytes") from exc
        except (Urllib3Error, requests.RequestException, OSError) as exc:
            raise SourceUnavailable(self.source, f"the download of {self.name} broke off after "
                                    f"{self.received:,} bytes: {network_reason(exc)}") from exc
        self.received += len(data)
        return data


@contextmanager
def download(source: str, url: str, *, timeout: float, policy: Retrying) -> Iterator[Body]:
    """GET `url` as a stream, retrying what the rest connector retries (5xx, 429, timeouts,
    resets) until the body starts; a body that breaks off later is not retried, since records
    from it have already been handed on."""
    attempts = 0
    session = requests.Session()

    def attempt() -> requests.Response:
        nonlocal attempts
        attempts += 1
        response = session.get(url, stream=True, timeout=(timeout, timeout),
                               headers={"Accept": ACCEPT})
        try:
            classify(source, response, page=1, message_path=None)
        except BaseException:
            response.close()
            raise
        return response

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = network_reason(exc) if isinstance(exc, requests.RequestException) else exc
        logger.warning("%s: attempt %s to download %s failed (%s); retrying in %.1f s", source,
                       state.attempt_number, url, reason, state.upcoming_sleep)

    def tries() -> str:
        return "1 attempt" if attempts == 1 else f"{attempts} attempts"

    try:
        try:
            response = policy.copy(before_sleep=log_retry)(attempt)
        except TransientResponse as exc:
            raise SourceUnavailable(source, f"{url} answered {exc} ({tries()})") from exc
        except requests.exceptions.SSLError as exc:
            raise SourceConfigError(source, "url", f"fails TLS verification ({exc})") from exc
        except requests.Timeout as exc:
            raise SourceUnavailable(
                source, f"{url} did not answer within {timeout:g} s ({tries()})") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise SourceUnavailable(
                source, f"cannot reach {url} ({tries()}): {network_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise SourceConfigError(source, "url", f"cannot be requested: {url}: {exc}") from exc
        with response:
            yield Body(source, url, response, timeout)
    finally:
        session.close()
