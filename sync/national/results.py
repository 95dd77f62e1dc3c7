"""Write results: what the national side says it did with one record."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.national.errors import NationalError


class WriteStatus(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class WriteResult:
    """One record's outcome. `errors` are `{"field", "code", "message"}` rows when rejected."""

    local_id: str
    status: WriteStatus
    national_id: str | None
    revision: int | None
    content_hash: str | None
    errors: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_json(
        cls, data: object, *, where: str, url: str | None = None, where_vi: str | None = None
    ) -> WriteResult:
        """Read one result object; `where` names the call (and item) for the error message,
        `where_vi` the same in Vietnamese when it differs.

        An answer that breaks the contract is a `NationalError`: it was not cut (it parsed),
        so sending it again would not help, yet it says nothing against our record.
        """

        def broken(why: str, why_vi: str) -> NationalError:
            return NationalError(
                f"national API {where}: {why}",
                text_vi=f"API quốc gia {where_vi or where}: {why_vi}",
                url=url,
            )

        if not isinstance(data, Mapping):
            got = type(data).__name__
            raise broken(f"expected a result object, got {got}",
                         f"cần một đối tượng kết quả, nhận được {got}")
        local_id = data.get("local_id")
        if not isinstance(local_id, str) or not local_id:
            raise broken("the result has no local_id", "kết quả không có local_id")
        try:
            status = WriteStatus(data.get("status"))
        except ValueError:
            known = ", ".join(s.value for s in WriteStatus)
            raise broken(
                f"result for {local_id!r} has unknown status {data.get('status')!r}; "
                f"expected one of {known}",
                f"kết quả của {local_id!r} có trạng thái {data.get('status')!r} không hợp lệ; "
                f"trạng thái hợp lệ: {known}",
            ) from None
        national_id = data.get("national_id")
        revision = data.get("revision")
        content_hash = data.get("content_hash")
        errors = data.get("errors") or []
        if national_id is not None and not isinstance(national_id, str):
            raise broken(f"result for {local_id!r}: national_id is not a string",
                         f"kết quả của {local_id!r}: national_id không phải chuỗi")
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)):
            raise broken(f"result for {local_id!r}: revision {revision!r} is not an integer",
                         f"kết quả của {local_id!r}: revision {revision!r} không phải số nguyên")
        if content_hash is not None and not isinstance(content_hash, str):
            raise broken(f"result for {local_id!r}: content_hash is not a string",
                         f"kết quả của {local_id!r}: content_hash không phải chuỗi")
        if not isinstance(errors, list) or not all(isinstance(e, Mapping) for e in errors):
            raise broken(f"result for {local_id!r}: errors is not a list of objects",
                         f"kết quả của {local_id!r}: errors không phải một danh sách đối tượng")
        return cls(
            local_id, status, national_id, revision, content_hash, tuple(dict(e) for e in errors)
        )

    @classmethod
    def rejected(cls, local_id: str, errors: tuple[dict[str, Any], ...]) -> WriteResult:
        return cls(local_id, WriteStatus.REJECTED, None, None, None, errors)
