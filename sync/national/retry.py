"""The retry policy: how answers are classified, how long to wait, when to give up."""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import requests
import tenacity

from connectors.errors import network_reason, network_reason_vi
from sync.national.errors import (
    AuthFailed,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryBudgetExceeded,
    RunBudgetSpent,
    TransientError,
)

logger = logging.getLogger(__name__)

# The contract's list; anything else at 5xx (501, 505) will not heal by itself.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_FIELD_ERRORS_SHOWN = 5
_PROVINCE_IN_PATH = re.compile(r"/provinces/([^/]+)")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one call. Times are in seconds."""

    max_attempts: int = 6
    max_total_seconds: float = 300
    initial_backoff: float = 1.0
    max_backoff: float = 60.0
    jitter: float = 1.0
    max_retry_after: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"RetryPolicy.max_attempts must be at least 1, not {self.max_attempts}"
            )
        for name in (
            "max_total_seconds",
            "initial_backoff",
            "max_backoff",
            "jitter",
            "max_retry_after",
        ):
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"RetryPolicy.{name} must not be negative, not {value}")


class RunBudget:
    """Bounds on retrying across all the calls of one run: `RetryPolicy` bounds one call,
    this bounds their sum, so that a run against a struggling national side ends (what is
    left waits in the outbox for the next run) instead of retrying call after call.

    Spent: each retry, and its time — the wait before it and, when it fails again, the
    attempt itself. Once spent, no call of the run is retried any more."""

    def __init__(self, max_retries: int = 100, max_seconds: float = 900.0) -> None:
        if max_retries < 0 or max_seconds < 0:
            raise ValueError(
                f"RunBudget bounds must not be negative, not {max_retries}, {max_seconds}"
            )
        self.max_retries = max_retries
        self.max_seconds = max_seconds
        self.retries = 0
        self.seconds = 0.0

    def covers(self, wait: float) -> bool:
        """Whether one more retry, after waiting `wait` seconds, fits."""
        return self.retries < self.max_retries and self.seconds + wait <= self.max_seconds

    def describe(self, lang: str = "en") -> str:
        """Why the run retries no more, in `lang` ("en" or "vi")."""
        if lang == "en":
            return (
                f"the run's retry budget is used up ({self.retries} of {self.max_retries} "
                f"retries, {self.seconds:.0f} of {self.max_seconds:.0f} s spent retrying)"
            )
        return (
            f"lượt chạy đã dùng hết hạn mức thử lại ({self.retries} trên {self.max_retries} "
            f"lần thử lại, {self.seconds:.0f} trên {self.max_seconds:.0f} giây để thử lại)"
        )


class RequestWatch(Protocol):
    """Watches every request of a client (sync.breaker): told each one's outcome, and asked
    before each request and each retry whether to go on."""

    def answered(self, error: NationalError | None) -> None:
        """A request ended: `error` is its transient failure, or None when the national side
        answered (a refusal of the request itself, 4xx, is an answer)."""

    def refusal(self) -> NationalError | None:
        """The error to stop with instead of sending (or retrying), or None to go on."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP-date
    (RFC 9110 §10.2.3). A date in the past means 0; anything unreadable means None."""
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP-dates are always GMT
        when = when.replace(tzinfo=timezone.utc)
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        raise ValueError("parse_retry_after: `now` must be timezone-aware")
    return max(0.0, (when - now).total_seconds())


def describe(method: str | None, url: str) -> str:
    """`PUT /v1/provinces/48/tasks/a:1` — the request as an error message names it."""
    path = unquote(urlsplit(url).path) or url
    return f"{method} {path}" if method else path


FieldErrors = tuple[dict[str, Any], ...]


def error_body(response: requests.Response) -> tuple[str | None, str | None, FieldErrors]:
    """The error code, message and field errors of an error answer, whatever its shape."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return None, (text[:200] or None), ()
    if not isinstance(data, dict):
        return None, str(data)[:200], ()
    code = data.get("error")
    message = data.get("message")
    errors = data.get("errors")
    fields = tuple(e for e in errors if isinstance(e, dict)) if isinstance(errors, list) else ()
    return (
        str(code) if code is not None else None,
        str(message) if message is not None else None,
        fields,
    )


def _field_summary(errors: FieldErrors, lang: str) -> str:
    """The first field errors of an answer, the server's words as they came; `lang` says the
    count of the others."""
    shown = [
        f"{e.get('field') or '?'} ({e.get('code') or '?'}: {e.get('message') or ''})"
        for e in errors[:_MAX_FIELD_ERRORS_SHOWN]
    ]
    more = len(errors) - len(shown)
    if more <= 0:
        return "; ".join(shown)
    return "; ".join(shown) + (f"; and {more} more" if lang == "en" else f"; và {more} lỗi khác")


def classify(
    response: requests.Response | None,
    exc: Exception | None,
    *,
    url: str,
    method: str | None = None,
) -> NationalError | None:
    """The one place an answer (or its absence) becomes an error, or None when it is a success.

    Pass the response, or the exception that replaced it; pass both when a success answer's
    body could not be read (a cut connection produces that, so it is transient).
    """
    if method is None:
        request = getattr(response, "request", None) or getattr(exc, "request", None)
        method = getattr(request, "method", None)
    what = describe(method, url)
    where: dict[str, Any] = {"url": url, "method": method}
    head, head_vi = f"national API {what}", f"API quốc gia {what}"
    if response is None:
        if exc is None:
            raise ValueError("classify() needs a response or an exception")
        if isinstance(
            exc,
            (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
        ):
            timed_out = isinstance(exc, requests.Timeout)
            kind, kind_vi = (
                ("timed out", "hết thời gian chờ") if timed_out
                else ("connection failed", "không kết nối được")
            )
            return TransientError(
                f"{head}: {kind}: {network_reason(exc)}",
                text_vi=f"{head_vi}: {kind_vi}: {network_reason_vi(exc)}",
                **where,
            )
        return PermanentError(
            f"{head}: request could not be sent: {exc}",
            text_vi=f"{head_vi}: không gửi được yêu cầu: {exc}",
            **where,
        )
    status = response.status_code
    where["status"] = status
    if status < 300:
        if exc is None:
            return None
        return TransientError(
            f"{head}: answered {status} but the body is cut or not JSON ({exc})",
            text_vi=f"{head_vi}: đã trả lời {status} nhưng nội dung bị cắt ngang hoặc không "
            f"phải JSON ({exc})",
            **where,
        )
    code, message, fields = error_body(response)
    # The server's own words (its code, its message, the HTTP reason) are quoted as they came.
    said = ": ".join(p for p in (code, message) if p) or response.reason
    detail, detail_vi = said or "no detail", said or "không có chi tiết"
    if fields:
        detail += f"; field errors: {_field_summary(fields, 'en')}"
        detail_vi += f"; lỗi ở các trường: {_field_summary(fields, 'vi')}"
    text, text_vi = f"{head}: {status} {detail}", f"{head_vi}: {status} {detail_vi}"
    where.update(code=code, message=message or detail, errors=fields)
    if status in TRANSIENT_STATUSES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return TransientError(text, text_vi=text_vi, retry_after=retry_after, **where)
    if status == 401:
        return AuthFailed(text, text_vi=text_vi, **where)
    if status == 403:
        m = _PROVINCE_IN_PATH.search(urlsplit(url).path)
        province = unquote(m.group(1)) if m else "?"
        return PermanentError(
            f"{head}: 403 province {province} not allowed for this client ({detail})",
            text_vi=f"{head_vi}: 403 thông tin xác thực này không có quyền với tỉnh {province} "
            f"({detail_vi})",
            **where,
        )
    return PermanentError(text, text_vi=text_vi, **where)


class _Budget:
    """Stop rule and its clock: attempts, total time (including the coming wait) and the
    longest `Retry-After` the policy accepts; and, when given, the run's budget and a watch
    of its requests. Start times are kept per call, so one `Retrying` may serve several
    calls."""

    def __init__(
        self,
        policy: RetryPolicy,
        clock: Callable[[], float],
        run: RunBudget | None = None,
        watch: RequestWatch | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.run = run
        self.watch = watch
        self.started: weakref.WeakKeyDictionary[tenacity.RetryCallState, float] = (
            weakref.WeakKeyDictionary()
        )
        self.attempt_started: weakref.WeakKeyDictionary[tenacity.RetryCallState, float] = (
            weakref.WeakKeyDictionary()
        )
        self.run_spent: weakref.WeakSet[tenacity.RetryCallState] = weakref.WeakSet()

    def before(self, state: tenacity.RetryCallState) -> None:
        now = self.clock()
        if state.attempt_number == 1:
            self.started[state] = now
        self.attempt_started[state] = now

    def elapsed(self, state: tenacity.RetryCallState) -> float:
        return self.clock() - self.started.get(state, self.clock())

    def stop(self, state: tenacity.RetryCallState) -> bool:
        if self.run is not None and state.attempt_number > 1:
            # A retry that failed again: its time was spent retrying.
            self.run.seconds += self.clock() - self.attempt_started.get(state, self.clock())
        if self.watch is not None and self.watch.refusal() is not None:
            return True
        if state.attempt_number >= self.policy.max_attempts:
            return True
        error = _last_error(state)
        if error.retry_after is not None and error.retry_after > self.policy.max_retry_after:
            return True
        if self.elapsed(state) + state.upcoming_sleep > self.policy.max_total_seconds:
            return True
        if self.run is not None:
            if not self.run.covers(state.upcoming_sleep):
                self.run_spent.add(state)
                return True
            self.run.retries += 1
            self.run.seconds += state.upcoming_sleep
        return False

    def give_up(self, state: tenacity.RetryCallState) -> None:
        error = _last_error(state)
        refusal = self.watch.refusal() if self.watch is not None else None
        if refusal is not None:
            raise refusal from error
        if error.retry_after is not None and error.retry_after > self.policy.max_retry_after:
            asked, allowed = error.retry_after, self.policy.max_retry_after
            raise RetryAfterTooLong(
                f"{error}; the server asks to wait {asked:.0f} s, longer than the "
                f"{allowed:.0f} s allowed: try again in a later run",
                text_vi=f"{error.text('vi')}; máy chủ yêu cầu chờ {asked:.0f} giây, lâu hơn "
                f"mức {allowed:.0f} giây cho phép: hãy thử lại ở lượt chạy sau",
                retry_after=error.retry_after,
                **error._fields(),
            ) from error
        if state in self.run_spent:
            assert self.run is not None
            raise RunBudgetSpent(
                f"{error} (not retried: {self.run.describe()}; the rest waits for the next "
                "run)",
                text_vi=f"{error.text('vi')} (không thử lại: {self.run.describe('vi')}; phần "
                "còn lại chờ lượt chạy sau)",
                last=error,
            ) from error
        tries, spent = state.attempt_number, self.elapsed(state)
        raise RetryBudgetExceeded(
            f"{error} (gave up after {tries} attempt(s) in {spent:.1f} s)",
            text_vi=f"{error.text('vi')} (đã dừng sau {tries} lần thử trong {spent:.1f} giây)",
            last=error,
        ) from error


def _retriable(error: BaseException) -> bool:
    # A call that already gave up (a nested client call) must not be retried all over again.
    return isinstance(error, TransientError) and not isinstance(
        error, (RetryBudgetExceeded, RetryAfterTooLong)
    )


def _last_error(state: tenacity.RetryCallState) -> TransientError:
    assert state.outcome is not None
    error = state.outcome.exception()
    assert isinstance(error, TransientError)  # only those are retried
    return error


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """The longer of the server's `Retry-After` and our exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = tenacity.wait_exponential_jitter(
            multiplier=policy.initial_backoff, max=policy.max_backoff, jitter=policy.jitter
        )

    def __call__(self, state: tenacity.RetryCallState) -> float:
        wait = self.backoff(state)
        error = state.outcome.exception() if state.outcome is not None else None
        retry_after = getattr(error, "retry_after", None)
        return max(wait, retry_after) if retry_after is not None else wait


def retrying(
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    run: RunBudget | None = None,
    watch: RequestWatch | None = None,
) -> tenacity.Retrying:
    """The one tenacity factory: retries `TransientError` only, within `policy`, and within
    the run's budget `run` when given; not once `watch` refuses.

    Giving up raises `RetryBudgetExceeded` (`RunBudgetSpent` for the run's budget) or
    `RetryAfterTooLong` (from the last error), or the watch's refusal; any other error is
    re-raised as it is, after one attempt.
    """
    budget = _Budget(policy, clock, run, watch)

    def log_retry(state: tenacity.RetryCallState) -> None:
        error = _last_error(state)
        label = error.status if error.status is not None else "connection fault"
        logger.warning(
            "national API %s, retrying in %.1f s (attempt %d/%d): %s",
            label,
            state.upcoming_sleep,
            state.attempt_number + 1,
            policy.max_attempts,
            error,
        )

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(_retriable),
        wait=_WaitRetryAfterOrBackoff(policy),
        stop=budget.stop,
        before=budget.before,
        before_sleep=log_retry,
        retry_error_callback=budget.give_up,
        sleep=sleep,
        reraise=True,
    )
