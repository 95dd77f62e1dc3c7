"""The national API client package: its public names, re-exported from the modules that own them."""

from sync.national.auth import ClientCredentials, StaticToken, TokenAuth
from sync.national.client import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, NationalClient
from sync.national.errors import (
    AuthFailed,
    BatchRefused,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryBudgetExceeded,
    TransientError,
)
from sync.national.results import WriteResult, WriteStatus
from sync.national.retry import RetryPolicy, classify, parse_retry_after, retrying

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_RECORDS",
    "AuthFailed",
    "BatchRefused",
    "ClientCredentials",
    "NationalClient",
    "NationalError",
    "PermanentError",
    "RetryAfterTooLong",
    "RetryBudgetExceeded",
    "RetryPolicy",
    "StaticToken",
    "TokenAuth",
    "TransientError",
    "WriteResult",
    "WriteStatus",
    "classify",
    "parse_retry_after",
    "retrying",
]
