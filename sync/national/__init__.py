"""The national API client package: its public names, re-exported from the modules that own them."""

from sync.national.auth import ClientCredentials, StaticToken, TokenAuth
from sync.national.client import MAX_BATCH_BYTES, MAX_BATCH_RECORDS, NationalClient
from sync.national.errors import (
    AuthFailed,
    BatchRefused,
    CircuitOpen,
    NationalError,
    PermanentError,
    RetryAfterTooLong,
    RetryBudgetExceeded,
    RunBudgetSpent,
    TransientError,
)
from sync.national.results import WriteResult, WriteStatus
from sync.national.retry import (
    RequestWatch,
    RetryPolicy,
    RunBudget,
    classify,
    parse_retry_after,
    retrying,
)

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_RECORDS",
    "AuthFailed",
    "BatchRefused",
    "CircuitOpen",
    "ClientCredentials",
    "NationalClient",
    "NationalError",
    "PermanentError",
    "RequestWatch",
    "RetryAfterTooLong",
    "RetryBudgetExceeded",
    "RetryPolicy",
    "RunBudget",
    "RunBudgetSpent",
    "StaticToken",
    "TokenAuth",
    "TransientError",
    "WriteResult",
    "WriteStatus",
    "classify",
    "parse_retry_after",
    "retrying",
]
