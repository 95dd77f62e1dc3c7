"""The `query` option's guard: exactly one SELECT (or WITH … SELECT), refused before it runs."""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlalchemy import text
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from connectors.errors import SourceConfigError

SINCE = "since"

# Says why a query is refused, in English and in Vietnamese.
Refuse = Callable[[str, str], SourceConfigError]

# Statement kinds that change something, wherever they sit (a CTE, a subquery). Looked up by
# name because sqlglot moves and renames expression classes between releases.
_FORBIDDEN = tuple(
    getattr(exp, name) for name in (
        "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "TruncateTable",
        "Command", "Into", "Lock", "Copy", "Set", "Use", "Transaction", "Commit", "Rollback",
        "Pragma", "Grant", "Revoke", "LoadData", "Kill", "Cache", "Uncache", "Refresh",
        "Comment", "Analyze",
    ) if hasattr(exp, name)
)
# What a statement kind is, in English and in Vietnamese, where its name does not say it.
_WHAT = {"Into": ("SELECT … INTO (it creates a table or writes a file)",
                  "SELECT … INTO (lệnh này tạo bảng hoặc ghi ra tệp)"),
         "Lock": ("SELECT … FOR UPDATE/SHARE (it takes locks)",
                  "SELECT … FOR UPDATE/SHARE (lệnh này khoá dữ liệu)"),
         "Command": ("a statement the parser does not know as a query",
                     "một câu lệnh mà bộ phân tích không nhận ra là truy vấn"),
         "TruncateTable": ("a TRUNCATE statement", "một câu lệnh TRUNCATE"),
         "Values": ("VALUES", "VALUES")}


def check_query(source: str, query: str, dialect: str | None) -> str:
    """The query as it will run, or SourceConfigError saying why it is not one plain SELECT.

    `dialect` is sqlglot's name for the database ("postgres", "mysql", "tsql", "sqlite");
    None parses generic SQL. The returned text ends at its last token: no trailing `;` or
    comment for a driver to trip over when it wraps the query in a cursor.
    """

    def refuse(why: str, why_vi: str) -> SourceConfigError:
        return SourceConfigError(source, "query", f"must be exactly one SELECT (or WITH … "
                                 f"SELECT) with a :since parameter; {why}",
                                 f"phải là đúng một câu lệnh SELECT (hoặc WITH … SELECT) có "
                                 f"tham số :since; {why_vi}")

    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(query)
    except (TokenError, ValueError) as exc:
        said = _first_line(exc)
        raise refuse(f"its text cannot be read as SQL ({said})",
                     f"không đọc được nội dung của nó thành SQL ({said})") from None
    if not tokens:
        raise refuse("it is empty", "câu truy vấn đang để trống")
    for token in tokens:
        for comment in token.comments:
            _check_comment(comment, refuse)
    try:
        parsed = sqlglot.parse(query, read=dialect)
    except (ParseError, TokenError) as exc:
        said = _first_line(exc)
        raise refuse(f"it does not parse ({said})",
                     f"không phân tích được cú pháp của nó ({said})") from None
    statements = [e for e in parsed if e is not None and not isinstance(e, exp.Semicolon)]
    if len(statements) != 1:
        raise refuse(f"it holds {len(statements)} statements",
                     f"câu truy vấn có {len(statements)} câu lệnh")
    root = statements[0]
    while isinstance(root, (exp.Subquery, exp.Paren)):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        what, what_vi = _describe(root)
        raise refuse(f"it is {what}", f"câu truy vấn là {what_vi}")
    for node in root.walk():
        if isinstance(node, _FORBIDDEN):
            what, what_vi = _describe(node)
            raise refuse(f"it contains {what}", f"câu truy vấn chứa {what_vi}")
    _check_parameters(query, root, refuse)
    last = next(t for t in reversed(tokens) if t.token_type != TokenType.SEMICOLON)
    return query[: last.end + 1]


def _check_comment(comment: str, refuse: Refuse) -> None:
    body = comment.lstrip()
    if body.startswith(("!", "M!")):
        # MySQL and MariaDB run the text of /*! … */ as part of the statement.
        raise refuse(f"it has an executable comment /*{comment[:30]}…*/",
                     f"câu truy vấn có một chú thích sẽ được thực thi /*{comment[:30]}…*/")
    if ";" in comment or "/*" in comment or "*/" in comment:
        # Databases disagree on nested comments and on `--` without a space: a `;` or a
        # comment marker inside a comment may hide a second statement from one of them.
        quoted = repr(comment.strip()[:40])
        raise refuse(f"a comment in it holds ';' or a comment marker: {quoted}",
                     f"một chú thích trong câu truy vấn chứa ';' hoặc dấu chú thích: {quoted}")


def _check_parameters(query: str, root: exp.Expression, refuse: Refuse) -> None:
    placeholders = {str(p.this) if p.this else "?" for p in root.find_all(exp.Placeholder)}
    if SINCE not in placeholders:
        raise refuse("it has no :since parameter (e.g. WHERE ngay_cap_nhat >= :since)",
                     "câu truy vấn không có tham số :since (ví dụ WHERE ngay_cap_nhat >= :since)")
    others = ", ".join(sorted(placeholders - {SINCE}))
    if others:
        raise refuse(f"it has other parameters ({others}); only :since is bound",
                     f"câu truy vấn có các tham số khác ({others}); chỉ :since được gán giá trị")
    # SQLAlchemy finds binds with its own rules (":name" even inside a quoted text).
    binds = sorted(set(text(query).compile().params) - {SINCE})
    if binds:
        names = ", ".join(f":{b}" for b in binds)
        raise refuse(f"SQLAlchemy reads {names} in it as a parameter; write a colon that is "
                     "not a parameter as \\:",
                     f"SQLAlchemy đọc {names} trong câu truy vấn là tham số; dấu hai chấm nào "
                     "không phải tham số thì hãy viết thành \\:")


def _describe(node: object) -> tuple[str, str]:
    """What kind of statement `node` is, in English and in Vietnamese."""
    name = type(node).__name__
    if name in _WHAT:
        return _WHAT[name]
    article = "an" if name[0] in "AEIOU" else "a"
    return f"{article} {name.upper()} statement", f"một câu lệnh {name.upper()}"


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
