"""HTTP exchanges with a provincial API: what an answer means, and the GET of one page."""

from __future__ import annotations

import requests
from tenacity import Retrying

from connectors.errors import SourceAuthError, SourceConfigError, SourceDataError
from connectors.http import (
    CLIP,
    TRANSIENT_STATUSES,
    TransientResponse,
    clip,
    get_with_retries,
    retry_after_seconds,
)
from connectors.rest.paths import DottedPath


def page_place(url: str, number: int, lang: str = "en") -> str:
    """Where a page was read, as messages name it in `lang` ("en" or "vi")."""
    return f"{url} (trang {number})" if lang == "vi" else f"{url} (page {number})"


def server_message(response: requests.Response, message_path: DottedPath | None,
                   lang: str = "en") -> str:
    """What the server said about its answer, short enough to quote in an error. The server's
    words are quoted as they are; `lang` is for saying that it said nothing."""
    if message_path is not None:
        try:
            said = message_path.get(response.json())
        except ValueError:
            said = None
        if isinstance(said, str) and said.strip():
            return clip(said.strip())
    return clip(body_text(response)) or ("(nội dung trống)" if lang == "vi" else "(empty body)")


def body_text(response: requests.Response) -> str:
    """The start of the body as one line of text, for quoting in an error."""
    declared = "charset" in response.headers.get("Content-Type", "").lower()
    head = response.content[: 4 * CLIP]
    try:
        # Without a declared charset requests assumes Latin-1 for text/*; these pages are UTF-8.
        text = response.text[: 4 * CLIP] if declared else head.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    return " ".join(text.split())


def classify(
    source: str, response: requests.Response, *, page: int, message_path: DottedPath | None
) -> None:
    """Raise what a non-2xx answer means for this source; return quietly on success."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = server_message(response, message_path)
    said_vi = server_message(response, message_path, "vi")
    if status in TRANSIENT_STATUSES:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientResponse(status, response.reason, said, wait, said_vi)
    if status in (401, 403):
        raise SourceAuthError(
            source, f"{response.url} refused our credentials (HTTP {status}): {said}",
            f"{response.url} từ chối thông tin đăng nhập đã gửi (HTTP {status}): {said_vi}",
        )
    if page == 1:
        hint, hint_vi = (
            ("; is the url right?", "; url có đúng không?") if status == 404 else ("", "")
        )
        raise SourceConfigError(
            source,
            "url",
            f"is refused: {response.url} answered HTTP {status} {response.reason}: {said}{hint}",
            f"bị từ chối: {response.url} trả lời HTTP {status} {response.reason}: "
            f"{said_vi}{hint_vi}",
        )
    hint, hint_vi = (
        (" (a server that answers 404 past its last page needs total_path or next_link "
         "pagination)",
         " (máy chủ trả lời 404 khi đã qua trang cuối thì cần total_path hoặc phân trang "
         "next_link)")
        if status == 404
        else ("", "")
    )
    raise SourceDataError(
        source,
        f"HTTP {status} {response.reason}: {said}{hint}",
        where=page_place(response.url, page),
        message_vi=f"HTTP {status} {response.reason}: {said_vi}{hint_vi}",
        where_vi=page_place(response.url, page, "vi"),
    )


def get(
    session: requests.Session,
    url: str,
    *,
    source: str,
    page: int,
    policy: Retrying,
    timeout: float,
    verify: bool | str,
    message_path: DottedPath | None,
) -> requests.Response:
    """GET one page with retries; every failure becomes a ConnectorError naming `url`."""

    def check(response: requests.Response) -> requests.Response:
        classify(source, response, page=page, message_path=message_path)
        return response

    return get_with_retries(
        session, url, source=source, policy=policy, timeout=timeout, check=check, verify=verify
    )
