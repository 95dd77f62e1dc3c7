"""The sql connector's query guard: one SELECT with :since, or a refusal before anything runs."""

from __future__ import annotations

import pytest

from connectors.errors import SourceConfigError
from connectors.sql.query import check_query

GOOD = "SELECT * FROM v_nhiem_vu WHERE ngay_cap_nhat >= :since"


@pytest.mark.parametrize(("dialect", "query", "runs"), [
    ("postgres", GOOD, GOOD),
    ("postgres", GOOD + ";", GOOD),
    ("postgres", GOOD + " ;  -- hết\n", GOOD),
    ("postgres", "WITH moi AS (SELECT * FROM nhiem_vu WHERE ngay_cap_nhat >= :since) "
                 "SELECT * FROM moi", None),
    ("postgres", "(SELECT ma_so FROM a WHERE m >= :since) UNION ALL (SELECT ma_so FROM b)",
     None),
    ("postgres", "SELECT ma_so, kinh_phi::numeric FROM nv WHERE m >= CAST(:since AS date)",
     None),
    ("postgres", "SELECT ';' AS dau, ma_so FROM nv WHERE m >= :since", None),
    ("postgres", "SELECT ma_so /* mã số */ FROM nv -- nhiệm vụ\nWHERE m >= :since", None),
    ("mysql", "SELECT `ma so`, ten FROM `nhiệm vụ` WHERE m >= :since", None),
    ("tsql", "SELECT TOP 10 [ma so] FROM [dbo].[nhiem vu] WHERE m >= :since", None),
    (None, GOOD, GOOD),
], ids=["plain", "trailing-semicolon", "trailing-comment", "with-cte", "union", "casts",
        "semicolon-in-a-string", "harmless-comments", "mysql-backticks", "tsql-top",
        "generic-sql"])
def test_one_select_with_since_is_accepted(dialect: str | None, query: str,
                                           runs: str | None) -> None:
    assert check_query("qlkh", query, dialect) == (runs or query)


@pytest.mark.parametrize(("dialect", "query", "why"), [
    ("postgres", "DELETE FROM nhiem_vu WHERE ngay_cap_nhat >= :since", "a DELETE statement"),
    ("postgres", "UPDATE nhiem_vu SET ten = 'x' WHERE ngay_cap_nhat >= :since",
     "an UPDATE statement"),
    ("postgres", "INSERT INTO sao_luu SELECT * FROM nhiem_vu WHERE m >= :since",
     "an INSERT statement"),
    ("postgres", "SELECT * INTO sao_luu FROM nhiem_vu WHERE m >= :since", "SELECT … INTO"),
    ("mysql", "SELECT * FROM nhiem_vu WHERE m >= :since INTO OUTFILE '/tmp/nv.csv'",
     "does not parse"),
    ("tsql", "SELECT * INTO #tam FROM nhiem_vu WHERE m >= :since", "SELECT … INTO"),
    ("postgres", "SELECT 1 WHERE :since IS NOT NULL; DROP TABLE nhiem_vu", "2 statements"),
    ("mysql", "SELECT 1 FROM t WHERE m >= :since; DROP TABLE nhiem_vu", "2 statements"),
    ("postgres", "SELECT 1 FROM t WHERE m >= :since /* ; */ ; DROP TABLE nhiem_vu",
     "a comment in it holds ';'"),
    ("postgres", "SELECT 1 FROM t WHERE m >= :since -- ; DROP TABLE nhiem_vu",
     "a comment in it holds ';'"),
    ("mysql", "SELECT 1 FROM t WHERE m >= :since /* a /* b */ ; DROP TABLE nhiem_vu */",
     "comment marker"),
    ("postgres", "SELECT 1 FROM t WHERE m >= :since /* a /* b */ ; DROP TABLE nhiem_vu */",
     "comment marker"),
    ("mysql", "SELECT 1 FROM t WHERE m >= :since /*!50000 INTO OUTFILE '/tmp/x' */",
     "executable comment"),
    ("postgres", "WITH xoa AS (DELETE FROM nhiem_vu RETURNING *) SELECT * FROM xoa "
                 "WHERE m >= :since", "contains a DELETE statement"),
    ("postgres", "SELECT * FROM nhiem_vu WHERE m >= :since FOR UPDATE", "FOR UPDATE"),
    ("postgres", "EXPLAIN ANALYZE DELETE FROM nhiem_vu", "does not know as a query"),
    ("tsql", "EXEC sp_xoa_nhiem_vu :since", "an EXECUTE statement"),
    ("postgres", "VALUES (1)", "it is VALUES"),
    ("postgres", "TRUNCATE nhiem_vu", "a TRUNCATE statement"),
    ("postgres", "SELECT * FROM nhiem_vu", "no :since parameter"),
    ("postgres", "SELECT * FROM nhiem_vu WHERE m = ':since'", "no :since parameter"),
    ("postgres", "SELECT * FROM nhiem_vu WHERE m >= :since AND nam = :nam", "(nam)"),
    ("postgres", "SELECT * FROM t WHERE m >= :since AND ghi_chu = 'lúc :gio'", ":gio"),
    ("postgres", "   ", "it is empty"),
    ("postgres", "SELEC * FROM nhiem_vu", "does not parse"),
], ids=["delete", "update", "insert-select", "select-into", "into-outfile", "tsql-into-temp",
        "two-statements", "two-statements-mysql", "block-comment-then-second",
        "line-comment-hiding", "mysql-nested-comment", "postgres-nested-comment",
        "mysql-executable-comment", "delete-in-cte", "for-update", "explain-delete",
        "tsql-exec", "values", "truncate", "no-since", "since-in-a-string", "other-parameter",
        "colon-in-a-string", "empty", "typo"])
def test_anything_but_one_select_is_refused(dialect: str, query: str, why: str) -> None:
    with pytest.raises(SourceConfigError) as caught:
        check_query("qlkh", query, dialect)

    assert caught.value.key == "query"
    assert "must be exactly one SELECT" in str(caught.value)
    assert why in str(caught.value)
