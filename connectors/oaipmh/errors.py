"""OAI-PMH error codes (protocol §3.6), and what each one means for a harvest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from connectors.errors import ConnectorError, SourceConfigError, SourceDataError


@dataclass(frozen=True)
class OaiError:
    """One `<error code="...">message</error>` of an answer."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


class ResumptionRefused(Exception):
    """The repository no longer knows the resumption token it gave us (badResumptionToken).
    Internal: the list walker restarts once, then turns it into a SourceDataError."""

    def __init__(self, error: OaiError):
        super().__init__(str(error))
        self.error = error


# code -> (the option to fix, what it means, the same in Vietnamese); these never go away by
# asking again.
_CONFIG = {
    "cannotDisseminateFormat": (
        "metadata_prefix", "is not a format this repository disseminates; ask it with "
        "verb=ListMetadataFormats and choose one of those",
        "không phải định dạng mà kho dữ liệu này cung cấp; hãy hỏi kho bằng "
        "verb=ListMetadataFormats và chọn một trong các định dạng đó"),
    "noSetHierarchy": ("set", "cannot be used: this repository has no sets; remove it",
                       "không dùng được: kho dữ liệu này không chia set nào; hãy bỏ tuỳ chọn này"),
    "badVerb": ("url", "does not lead to an OAI-PMH 2.0 endpoint (the repository does not "
                "know the verb it was sent)",
                "không dẫn tới một endpoint OAI-PMH 2.0 (kho dữ liệu không biết verb được gửi "
                "tới)"),
    "idDoesNotExist": ("identifier", "names no record of this repository",
                       "không ứng với bản ghi nào của kho dữ liệu này"),
}


def raise_for(source: str, errors: Sequence[OaiError], *, verb: str, where: str,
              set_spec: str | None, token_sent: bool,
              formats: Callable[[], list[str]] | None = None,
              where_vi: str | None = None) -> None:
    """Raise what the answer's errors mean, or return when they mean "no records"
    (noRecordsMatch: an empty result, not a failure).

    `where` names the request without its resumption token (`where_vi` in Vietnamese, when it
    differs); `set_spec` and `token_sent` say which options a badArgument can be blamed on;
    `formats` asks the repository which metadata formats it has, to name them when ours is
    not one. The codes and the repository's messages are quoted as they are in both languages.
    """
    if not errors:
        return
    codes = {e.code for e in errors}
    if codes == {"noRecordsMatch"}:
        return
    if "badResumptionToken" in codes and token_sent:
        raise ResumptionRefused(next(e for e in errors if e.code == "badResumptionToken"))
    said = "; ".join(str(e) for e in errors)
    place_vi = where_vi or where
    for error in errors:
        if error.code in _CONFIG:
            key, meaning, meaning_vi = _CONFIG[error.code]
            offered = formats() if formats and error.code == "cannotDisseminateFormat" else []
            listed = ", ".join(offered)
            hint, hint_vi = (f"; it offers {listed}", f"; kho cung cấp {listed}") if offered \
                else ("", "")
            raise SourceConfigError(source, key, f"{meaning} ({where} answered {said}){hint}",
                                    f"{meaning_vi} ({place_vi} trả lời {said}){hint_vi}")
        if error.code == "badArgument" and not token_sent:
            raise _bad_argument(source, where, place_vi, said, set_spec)
    raise SourceDataError(source, f"the repository answered {verb} with an error: {said}",
                          where=where,
                          message_vi=f"kho dữ liệu trả lời {verb} bằng một lỗi: {said}",
                          where_vi=place_vi)


def _bad_argument(source: str, where: str, where_vi: str, said: str,
                  set_spec: str | None) -> ConnectorError:
    # What we send besides the verb comes from the options (and `from` from the last run);
    # the set is the one an admin types by hand, so it is the likeliest culprit.
    key = "set" if set_spec else "metadata_prefix"
    return SourceConfigError(
        source, key, f"and the other arguments were refused by the repository as badArgument "
        f"({where} answered {said}); check url, metadata_prefix and set",
        f"cùng các tham số khác bị kho dữ liệu từ chối với lỗi badArgument ({where_vi} trả lời "
        f"{said}); hãy kiểm tra url, metadata_prefix và set")
