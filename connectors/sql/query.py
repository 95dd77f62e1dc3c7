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

Refuse = Callable[[str], SourceConfigError]

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
_WHAT = {"Into": "SELECT … INTO (it creates a table or writes a file)",
         "Lock": "SELECT … FOR UPDATE/SHARE (it takes locks)",
         "Command": "a statement the parser does not know as a query",
         "TruncateTable": "a TRUNCATE statement"}


def check_query(source: str, query: str, dialect: str | None) -> str:
    """The query as it will run, or SourceConfigError saying why it is not one plain SELECT.

    `dialect` is sqlglot's name for the database ("postgres", "mysql", "tsql", "sqlite");
    None parses generic SQL. The returned text ends at its last token: no trailing `;` or
    comment for a driver to trip over when it wraps the query in a cursor.
    """

    def refuse(why: str) -> SourceConfigError:
        return SourceConfigError(source, "query", f"must be exactly one SELECT (or WITH … "
                                 f"SELECT) with a :since parameter; {why}")

    try:
        tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(query)
    except (TokenError, ValueError) as exc:
        raise refuse(f"its text cannot be read as SQL ({_first_line(exc)})") from None
    if not tokens:
        raise refuse("it is empty")
    for token in tokens:
        for comment in token.comments:
            _check_comment(comment, refuse)
    try:
        parsed = sqlglot.parse(query, read=dialect)
    except (ParseError, TokenError) as exc:
        raise refuse(f"it does not parse ({_first_line(exc)})") from None
    statements = [e for e in parsed if e is not None and not isinstance(e, exp.Semicolon)]
    if len(statements) != 1:
        raise refuse(f"it holds {len(statements)} statements")
    root = statements[0]
    while isinstance(root, (exp.Subquery, exp.Paren)):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise refuse(f"it is {_describe(root)}")
    for node in root.walk():
        if isinstance(node, _FORBIDDEN):
            raise refuse(f"it contains {_describe(node)}")
    _check_parameters(query, root, refuse)
    last = next(t for t in reversed(tokens) if t.token_type != TokenType.SEMICOLON)
    return query[: last.end + 1]


def _check_comment(comment: str, refuse: Refuse) -> None:
    body = comment.lstrip()
    if body.startswith(("!", "M!")):
        # MySQL and MariaDB run the text of /*! … */ as part of the statement.
        raise refuse(f"it has an executable comment /*{comment[:30]}…*/")
    if ";" in comment or "/*" in comment or "*/" in comment:
        # Databases disagree on nested comments and on `--` without a space: a `;` or a
        # comment marker inside a comment may hide a second statement from one of them.
        raise refuse(f"a comment in it holds ';' or a comment marker: {comment.strip()[:40]!r}")


def _check_parameters(query: str, root: exp.Expression, refuse: Refuse) -> None:
    placeholders = {str(p.this) if p.this else "?" for p in root.find_all(exp.Placeholder)}
    if SINCE not in placeholders:
        raise refuse("it has no :since parameter (e.g. WHERE ngay_cap_nhat >= :since)")
    others = sorted(placeholders - {SINCE})
    if others:
        raise refuse(f"it has other parameters ({', '.join(others)}); only :since is bound")
    # SQLAlchemy finds binds with its own rules (":name" even inside a quoted text).
    binds = sorted(set(text(query).compile().params) - {SINCE})
    if binds:
        names = ", ".join(f":{b}" for b in binds)
        raise refuse(f"SQLAlchemy reads {names} in it as a parameter; write a colon that is "
                     "not a parameter as \\:")


def _describe(node: object) -> str:
    name = type(node).__name__
    if name in _WHAT:
        return _WHAT[name]
    if name == "Values":
        return "VALUES"
    article = "an" if name[0] in "AEIOU" else "a"
    return f"{article} {name.upper()} statement"


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
