"""One OAI-PMH request over HTTP: the GET with retries, and what a failed answer means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import requests
from tenacity import Retrying

from connectors.errors import SourceAuthError
from connectors.http import (
    TRANSIENT_STATUSES,
    TransientResponse,
    clip,
    get_with_retries,
    retry_after_seconds,
)


@dataclass(frozen=True)
class Answer:
    """A repository's answer to one request. `status` may be 4xx: OAI-PMH errors are often
    sent that way, and only the body says which."""

    status: int
    reason: str
    content: bytes

    def quote(self, lang: str = "en") -> str:
        """The start of the body as one line, for an error message; `lang` is for saying that
        the body is empty (the repository's words are quoted as they are)."""
        # OAI-PMH answers are UTF-8 (protocol §3.1.2.1); anything else is quoted as best we can.
        text = " ".join(self.content[:1200].decode("utf-8", "replace").split())
        return clip(text) or ("(nội dung trống)" if lang == "vi" else "(empty body)")


def request(
    session: requests.Session,
    url: str,
    params: Mapping[str, str],
    *,
    source: str,
    shown: str,
    policy: Retrying,
    timeout: float,
    verify: bool | str,
    shown_vi: str | None = None,
) -> Answer:
    """GET `url` with `params`, retrying what is transient (5xx, 429, resets, timeouts, 503 with
    Retry-After as flow control). `shown` is how messages name the request: never with a
    resumption token in it, since messages end up in the run log; `shown_vi` is the same in
    Vietnamese, where it differs ("trang 2")."""

    def check(response: requests.Response) -> Answer:
        return _classify(source, response, shown, shown_vi or shown)

    return get_with_retries(
        session,
        url,
        source=source,
        policy=policy,
        timeout=timeout,
        check=check,
        shown=shown,
        shown_vi=shown_vi,
        params=params,
        verify=verify,
    )


def _classify(source: str, response: requests.Response, shown: str, shown_vi: str) -> Answer:
    status = response.status_code
    answer = Answer(status, response.reason or "", response.content)
    if status in TRANSIENT_STATUSES:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise TransientResponse(status, answer.reason, answer.quote(), wait, answer.quote("vi"))
    if status in (401, 403):
        raise SourceAuthError(
            source, f"{shown} refused access (HTTP {status}): {answer.quote()}",
            f"{shown_vi} từ chối truy cập (HTTP {status}): {answer.quote('vi')}",
        )
    return answer
