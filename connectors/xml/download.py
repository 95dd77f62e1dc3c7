"""A streamed download of an XML export: one GET with retries, then its body read as a file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from tenacity import Retrying
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from connectors.errors import SourceUnavailable, network_reason, network_reason_vi
from connectors.http import get_with_retries
from connectors.rest.http import classify

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
            raise SourceUnavailable(
                self.source,
                f"{self.name} sent nothing for {self.timeout:g} s after {self.received:,} bytes",
                f"hết thời gian chờ: {self.name} không gửi thêm gì trong {self.timeout:g} giây, "
                f"sau khi đã nhận {self.received} byte",
            ) from exc
        except (Urllib3Error, requests.RequestException, OSError) as exc:
            raise SourceUnavailable(
                self.source,
                f"the download of {self.name} broke off after "
                f"{self.received:,} bytes: {network_reason(exc)}",
                f"việc tải {self.name} bị ngắt giữa chừng sau {self.received} byte: "
                f"{network_reason_vi(exc)}",
            ) from exc
        self.received += len(data)
        return data


@contextmanager
def download(source: str, url: str, *, timeout: float, policy: Retrying) -> Iterator[Body]:
    """GET `url` as a stream, retrying what the rest connector retries (5xx, 429, timeouts,
    resets) until the body starts; a body that breaks off later is not retried, since records
    from it have already been handed on."""

    def check(response: requests.Response) -> requests.Response:
        classify(source, response, page=1, message_path=None)
        return response

    with requests.Session() as session:
        response = get_with_retries(
            session,
            url,
            source=source,
            policy=policy,
            timeout=timeout,
            check=check,
            headers={"Accept": ACCEPT},
            stream=True,
            ca_bundle_option=False,  # an XML source has no ca_bundle to point at
        )
        with response:
            yield Body(source, url, response, timeout)
