"""The configuration file: typed, parsed and checked once at start-up.

A mistake stops the program before any work with a message naming the file and the key.
Secrets never live in the file: keys ending in `_env` name an environment variable, keys
ending in `_file` name a file that holds the secret.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from schemas.codelists import (
    current_provinces,
    former_by_name,
    former_provinces,
    province_of,
)
from schemas.mapping.ready import ready_mapping_path, ready_mappings

ENV_CONFIG = "STISYNC_CONFIG"
ENV_STATE_URL = "STISYNC_STATE_URL"
DEFAULT_CONFIG_NAMES = ("stisync.toml",)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_INTERVAL = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
# `mapping = "ready:oai_dc"` names a mapping shipped with stisync instead of a file.
READY_PREFIX = "ready:"

logger = logging.getLogger(__name__)


class ConfigError(Exception):
    """The configuration is wrong; the message names the file and the key.

    `str(err)` is English (`message`): logs and run records are read by the national agency's
    staff too. The province's admin who fixes the file reads `text("vi")`, the same facts in
    Vietnamese (`message_vi`).
    """

    def __init__(self, file: Path | str, key: str, message: str, message_vi: str):
        super().__init__(f"{file}: {key}: {message}")
        self.file = str(file)
        self.key = key
        self.message = message
        self.message_vi = message_vi

    def text(self, lang: str = "vi") -> str:
        """The whole error, file and key included, in `lang` ("vi" or "en")."""
        if lang == "en":
            return str(self)
        key = "(tệp)" if self.key == "(file)" else self.key
        return f"{self.file}: {key}: {self.message_vi}"


@dataclass(frozen=True)
class Schedule:
    """When a source runs: a 5-field cron expression, or a fixed interval."""

    cron: str | None = None
    interval: timedelta | None = None
    text: str = ""

    def describe(self) -> str:
        return f"cron {self.cron}" if self.cron else self.text


@dataclass(frozen=True)
class Secret:
    """Where a secret lives: read when needed, so that `status` and `logs` work without it."""

    file: Path
    key: str
    env: str | None = None
    path: Path | None = None

    def value(self) -> str:
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(
                    self.file,
                    f"{self.key}_env",
                    f"environment variable {self.env} is not set",
                    f"biến môi trường {self.env} chưa được đặt",
                )
            return value
        assert self.path is not None
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                self.file,
                f"{self.key}_file",
                f"cannot read {self.path}: {exc.strerror}",
                f"không đọc được {self.path}: {exc.strerror}",
            ) from exc


@dataclass(frozen=True)
class NationalConfig:
    url: str
    auth: str  # "oauth2" | "token"
    client_id: str | None
    client_secret: Secret | None
    token: Secret | None
    token_url: str
    headers: Mapping[str, str]
    timeout: float
    batch_size: int
    max_attempts: int
    max_retry_seconds: float
    max_retry_after: float
    # The run's retry budget, across all its calls (sync.national RunBudget).
    run_max_retries: int = 100
    run_max_retry_seconds: float = 900.0
    # Failed requests in a row that open the circuit breaker (sync.breaker).
    circuit_failures: int = 5


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    enabled: bool
    schedule: Schedule | None
    mapping: Path
    connector: Mapping[str, Any]
    misfire_grace: int
    deletions: str = "report"  # "report": logged and counted; "propagate": DELETE nationally
    mass_delete_share: float = 0.10  # a run deleting more than this share stops and asks
    # Vietnamese text in legacy font encodings: "auto" detects each cell; or the one the
    # source is known to use (tcvn3, vni, viqr, cp1258, unicode).
    text_encoding: str = "auto"
    # The pre-2025 province whose system this source is (a merged province runs several);
    # its records go under the config's current code like every other source's.
    former_province: str | None = None
    # A record the national side rejected this many times moves to the dead letters and is
    # sent no more, whatever its content, until `stisync quarantine retry`.
    dead_after: int = 5


@dataclass(frozen=True)
class RetentionConfig:
    """How long the state database keeps history (`[retention]`)."""

    runs_days: int = 400  # runs and their per-record events
    raw_days: int = 90  # raw payloads of records not read since (kept while quarantined)


@dataclass(frozen=True)
class Config:
    path: Path
    province: str
    state_url: str
    timezone: str
    log_dir: Path
    national: NationalConfig
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)
    retention: RetentionConfig = field(default_factory=RetentionConfig)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def source(self, name: str) -> SourceConfig:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(self.sources)
            raise ConfigError(
                self.path,
                f"sources.{name}",
                f"no such source; configured sources: {known or '(none)'}",
                f"không có nguồn này; các nguồn đã cấu hình: {known or '(không có)'}",
            ) from None


def find_config(explicit: str | None) -> Path:
    """The config file: --config, then $STISYNC_CONFIG, then ./stisync.toml."""
    candidate = explicit or os.environ.get(ENV_CONFIG)
    if candidate:
        p = Path(candidate).expanduser()
        if not p.is_file():
            raise ConfigError(
                p, "(file)", "configuration file not found", "không tìm thấy tệp cấu hình"
            )
        return p.resolve()
    for name in DEFAULT_CONFIG_NAMES:
        p = Path.cwd() / name
        if p.is_file():
            return p.resolve()
    raise ConfigError(
        "stisync.toml",
        "(file)",
        f"no configuration file: pass --config FILE, set {ENV_CONFIG}, or run `stisync demo`",
        f"không có tệp cấu hình: hãy dùng --config TỆP, đặt biến môi trường {ENV_CONFIG}, "
        "hoặc chạy `stisync demo`",
    )


def load_config(path: Path | str) -> Config:
    path = Path(path).resolve()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            path, "(file)", f"cannot read: {exc.strerror}", f"không đọc được: {exc.strerror}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path,
            "(file)",
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            f"không phải văn bản UTF-8 ({exc.reason} tại byte {exc.start})",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path, "(file)", f"not valid TOML: {exc}", f"không phải TOML hợp lệ: {exc}"
        ) from exc
    return _Parser(path, raw).config()


class _Parser:
    def __init__(self, path: Path, raw: dict[str, Any]):
        self.path = path
        self.raw = raw
        self.base = path.parent
        self.current_province: str | None = None

    def fail(self, key: str, message: str, message_vi: str) -> ConfigError:
        """The error naming `key`, said in English and Vietnamese side by side, so that a
        message without its translation shows where it is written."""
        return ConfigError(self.path, key, message, message_vi)

    def take(
        self,
        table: Mapping[str, Any],
        prefix: str,
        key: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
    ) -> Any:
        full = f"{prefix}.{key}" if prefix else key
        if key not in table:
            if default is ...:
                raise self.fail(full, "is required", "là bắt buộc")
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
            got = f"{type(value).__name__} {value!r}"
            raise self.fail(
                full,
                f"must be {' or '.join(k.__name__ for k in kinds)}, not {got}",
                f"phải là {' hoặc '.join(k.__name__ for k in kinds)}, không phải {got}",
            )
        return value

    def unknown(self, table: Mapping[str, Any], prefix: str, known: set[str]) -> None:
        extra = sorted(set(table) - known)
        if extra:
            where = f"{prefix}.{extra[0]}" if prefix else extra[0]
            if f"{extra[0]}_env" in known:
                raise self.fail(
                    where,
                    f"secrets are not read from the config; use {extra[0]}_env or {extra[0]}_file",
                    "thông tin bí mật không được đọc từ tệp cấu hình; hãy dùng "
                    f"{extra[0]}_env hoặc {extra[0]}_file",
                )
            listed = ", ".join(sorted(known))
            raise self.fail(
                where,
                f"unknown key; known keys here: {listed}",
                f"khoá không hợp lệ; các khoá hợp lệ ở đây: {listed}",
            )

    def secret(self, table: Mapping[str, Any], prefix: str, key: str) -> Secret | None:
        full = f"{prefix}.{key}"
        if key in table:
            raise self.fail(
                full,
                f"secrets are not read from the config; use {key}_env or {key}_file",
                f"thông tin bí mật không được đọc từ tệp cấu hình; hãy dùng {key}_env hoặc "
                f"{key}_file",
            )
        env = self.take(table, prefix, f"{key}_env", str, None)
        file = self.take(table, prefix, f"{key}_file", str, None)
        if env and file:
            raise self.fail(
                full,
                f"give {key}_env or {key}_file, not both",
                f"chỉ đặt {key}_env hoặc {key}_file, không đặt cả hai",
            )
        if env:
            return Secret(self.path, full, env=env)
        if file:
            return Secret(self.path, full, path=self.resolve(file))
        return None

    def resolve(self, p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else self.base / q

    def state_url(self, value: str) -> str:
        env = os.environ.get(ENV_STATE_URL)
        if env:
            value = env
        if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
            rest = value[len("sqlite:///") :]
            if rest and rest != ":memory:" and not Path(rest).is_absolute():
                value = "sqlite:///" + str(self.resolve(rest))
        return value

    def config(self) -> Config:
        r = self.raw
        self.unknown(
            r,
            "",
            {"province", "state_url", "timezone", "log_dir", "national", "sources", "retention"},
        )
        province = self.province(self.take(r, "", "province", (str, int)))
        tz = self.take(r, "", "timezone", str, "Asia/Ho_Chi_Minh")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(tz)
        except Exception as exc:
            raise self.fail(
                "timezone", f"unknown time zone {tz!r}", f"không có múi giờ {tz!r}"
            ) from exc
        sources_raw = self.take(r, "", "sources", dict, {})
        sources = {name: self.source(name, table) for name, table in sources_raw.items()}
        return Config(
            path=self.path,
            province=province,
            state_url=self.state_url(
                self.take(r, "", "state_url", str, "sqlite:///stisync-state.sqlite")
            ),
            timezone=tz,
            log_dir=self.resolve(self.take(r, "", "log_dir", str, "logs")),
            national=self.national(self.take(r, "", "national", dict)),
            sources=sources,
            retention=self.retention(self.take(r, "", "retention", dict, {})),
        )

    def retention(self, t: dict[str, Any]) -> RetentionConfig:
        p = "retention"
        self.unknown(t, p, {"runs_days", "raw_days"})
        return RetentionConfig(
            runs_days=self.at_least_one(t, p, "runs_days", RetentionConfig.runs_days),
            raw_days=self.at_least_one(t, p, "raw_days", RetentionConfig.raw_days),
        )

    def province(self, written: str | int) -> str:
        """The current code of the province the config names: its code or name since
        2025-07-01, or a pre-merger code or name, which stands for the unit it is part of now
        (every record of a merged province goes under its current code)."""
        found = province_of(str(written))
        if found is None:
            raise self.fail(
                "province",
                f"{written!r} is neither a province code nor a province name (Decision "
                '19/2025/QĐ-TTg, e.g. "01" Hà Nội, "79" TP Hồ Chí Minh; pre-2025 codes and '
                "names are read as the unit they are part of now)",
                f"{written!r} không phải mã tỉnh cũng không phải tên tỉnh (Quyết định "
                '19/2025/QĐ-TTg, ví dụ "01" Hà Nội, "79" TP Hồ Chí Minh; mã và tên trước năm '
                "2025 được hiểu là đơn vị mà tỉnh đó nay thuộc về)",
            )
        current, former = found
        if former is not None:
            logger.warning(
                "%s: province %r is %s (code %s) before 2025-07-01, part of %s since: records "
                "are sent under code %s",
                self.path, written, former.name_vi, former.code, current.name_vi, current.code,
            )
        self.current_province = current.code
        return current.code

    def national(self, t: dict[str, Any]) -> NationalConfig:
        p = "national"
        self.unknown(
            t,
            p,
            {
                "url",
                "auth",
                "client_id",
                "client_secret_env",
                "client_secret_file",
                "token_env",
                "token_file",
                "token_url",
                "headers",
                "headers_env",
                "timeout",
                "batch_size",
                "max_attempts",
                "max_retry_seconds",
                "max_retry_after",
                "run_max_retries",
                "run_max_retry_seconds",
                "circuit_failures",
            },
        )
        url = self.take(t, p, "url", str).rstrip("/")
        if not re.match(r"^https?://", url):
            raise self.fail(
                f"{p}.url",
                f"must be an http(s) URL, not {url!r}",
                f"phải là một URL http(s), không phải {url!r}",
            )
        auth = self.take(t, p, "auth", str, "oauth2")
        client_id = secret = token = None
        if auth == "oauth2":
            client_id = self.take(t, p, "client_id", str)
            secret = self.secret(t, p, "client_secret")
            if secret is None:
                raise self.fail(
                    f"{p}.client_secret_env",
                    'is required with auth = "oauth2" (or client_secret_file)',
                    'là bắt buộc khi auth = "oauth2" (hoặc client_secret_file)',
                )
        elif auth == "token":
            token = self.secret(t, p, "token")
            if token is None:
                raise self.fail(
                    f"{p}.token_env",
                    'is required with auth = "token" (or token_file)',
                    'là bắt buộc khi auth = "token" (hoặc token_file)',
                )
        else:
            raise self.fail(
                f"{p}.auth",
                f'must be "oauth2" or "token", not {auth!r}',
                f'phải là "oauth2" hoặc "token", không phải {auth!r}',
            )
        headers = {str(k): str(v) for k, v in self.take(t, p, "headers", dict, {}).items()}
        for name, env in self.take(t, p, "headers_env", dict, {}).items():
            if env not in os.environ:
                raise self.fail(
                    f"{p}.headers_env.{name}",
                    f"environment variable {env} is not set",
                    f"biến môi trường {env} chưa được đặt",
                )
            headers[str(name)] = os.environ[env]
        batch = self.take(t, p, "batch_size", int, 100)
        if not 1 <= batch <= 200:
            raise self.fail(
                f"{p}.batch_size",
                f"must be between 1 and 200 (the API's limit), not {batch}",
                f"phải từ 1 đến 200 (giới hạn của API), không phải {batch}",
            )
        return NationalConfig(
            url=url,
            auth=auth,
            client_id=client_id,
            client_secret=secret,
            token=token,
            token_url=self.take(t, p, "token_url", str, url + "/oauth/token"),
            headers=headers,
            timeout=float(self.take(t, p, "timeout", (int, float), 30)),
            batch_size=batch,
            max_attempts=self.take(t, p, "max_attempts", int, 6),
            max_retry_seconds=float(self.take(t, p, "max_retry_seconds", (int, float), 300)),
            max_retry_after=float(self.take(t, p, "max_retry_after", (int, float), 600)),
            run_max_retries=int(self.not_negative(t, p, "run_max_retries", int, 100)),
            run_max_retry_seconds=float(
                self.not_negative(t, p, "run_max_retry_seconds", (int, float), 900)
            ),
            circuit_failures=self.at_least_one(t, p, "circuit_failures", 5),
        )

    def schedule(self, value: str, key: str) -> Schedule:
        m = _INTERVAL.match(value.strip())
        if m:
            amount = int(m.group(1))
            if amount <= 0:
                raise self.fail(
                    key, "the interval must be positive", "khoảng thời gian phải lớn hơn 0"
                )
            interval = timedelta(**{_UNITS[m.group(2).lower()]: amount})
            return Schedule(interval=interval, text=f"every {amount}{m.group(2).lower()}")
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise self.fail(
                key,
                f'{value!r} is neither a cron expression ("0 2 * * *") nor an '
                f'interval ("every 30m", "every 6h"): {exc}',
                f'{value!r} không phải biểu thức cron ("0 2 * * *") cũng không phải khoảng '
                f'thời gian ("every 30m", "every 6h"): {exc}',
            ) from exc
        return Schedule(cron=value.strip())

    def source(self, name: str, t: Any) -> SourceConfig:
        p = f"sources.{name}"
        if not _NAME.match(name):
            raise self.fail(
                p,
                "a source name is lowercase letters, digits, '-' and '_' (it prefixes "
                "record ids and log lines)",
                "tên nguồn chỉ gồm chữ thường, chữ số, '-' và '_' (tên này là tiền tố của mã "
                "bản ghi và các dòng nhật ký)",
            )
        if not isinstance(t, dict):
            raise self.fail(p, "must be a table", "phải là một bảng")
        self.unknown(
            t,
            p,
            {
                "kind",
                "enabled",
                "schedule",
                "mapping",
                "connector",
                "misfire_grace",
                "deletions",
                "mass_delete_share",
                "text_encoding",
                "former_province",
                "dead_after",
            },
        )
        from connectors import REGISTRY

        kind = self.take(t, p, "kind", str)
        if kind not in REGISTRY:
            raise self.fail(
                f"{p}.kind",
                f"unknown connector kind {kind!r}; known kinds: {', '.join(sorted(REGISTRY))}",
                f"loại trình kết nối {kind!r} không hợp lệ; các loại hợp lệ: "
                f"{', '.join(sorted(REGISTRY))}",
            )
        sched = self.take(t, p, "schedule", str, None)
        mapping = self.mapping(self.take(t, p, "mapping", str), f"{p}.mapping")
        return SourceConfig(
            name=name,
            kind=kind,
            enabled=self.take(t, p, "enabled", bool, True),
            schedule=self.schedule(sched, f"{p}.schedule") if sched else None,
            mapping=mapping,
            connector=self.take(t, p, "connector", dict, {}),
            misfire_grace=self.take(t, p, "misfire_grace", int, 3600),
            deletions=self.choice(t, p, "deletions", ("report", "propagate"), "report"),
            mass_delete_share=self.share(t, p, "mass_delete_share", 0.10),
            text_encoding=self.text_encoding(t, p),
            former_province=self.former_province(t, p),
            dead_after=self.at_least_one(t, p, "dead_after", 5),
        )

    def former_province(self, t: Mapping[str, Any], p: str) -> str | None:
        """The pre-2025 code of the unit a legacy source belongs to; it must be one of the
        units merged into the config's province."""
        written = self.take(t, p, "former_province", (str, int), None)
        if written is None:
            return None
        text = str(written).strip()
        former = former_provinces()
        key = text.zfill(2) if text.isdigit() and len(text) <= 2 else None
        old = former.get(key) if key else former_by_name(text)
        if old is None:
            raise self.fail(
                f"{p}.former_province",
                f"{written!r} is not a province code or name from before 2025-07-01",
                f"{written!r} không phải mã hay tên tỉnh trước ngày 01/07/2025",
            )
        if old.successor != self.current_province:
            now = current_provinces()[old.successor]
            raise self.fail(
                f"{p}.former_province",
                f"{old.name_vi} ({old.code}) is part of {now.name_vi} ({now.code}) since "
                f"2025-07-01, not of this config's province {self.current_province}",
                f"{old.name_vi} ({old.code}) thuộc {now.name_vi} ({now.code}) từ ngày "
                f"01/07/2025, không thuộc tỉnh {self.current_province} của tệp cấu hình này",
            )
        return old.code

    def text_encoding(self, t: Mapping[str, Any], p: str) -> str:
        from schemas.vietnamese import ENCODINGS, UnknownEncoding, encoding_name

        value = self.take(t, p, "text_encoding", str, "auto")
        try:
            return encoding_name(value)
        except UnknownEncoding as exc:
            raise self.fail(
                f"{p}.text_encoding",
                str(exc),
                f"bảng mã văn bản {exc.name!r} không hợp lệ; hãy dùng một trong: "
                f"{', '.join(ENCODINGS)}",
            ) from None

    def mapping(self, value: str, key: str) -> Path:
        """A mapping file beside the config, or `ready:NAME`, one shipped with stisync for a
        standard format (oai_dc, openaire_cerif_project), used as it is."""
        if value.startswith(READY_PREFIX):
            name = value[len(READY_PREFIX) :].strip()
            try:
                return ready_mapping_path(name)
            except LookupError:
                known = ", ".join(f"{READY_PREFIX}{n}" for n in ready_mappings())
                raise self.fail(
                    key,
                    f"no ready mapping {name!r}; the ready mappings are: {known}",
                    f"không có tệp ánh xạ dựng sẵn {name!r}; các tệp ánh xạ dựng sẵn: {known}",
                ) from None
        mapping = self.resolve(value)
        if not mapping.is_file():
            raise self.fail(
                key,
                f"mapping file {mapping} not found",
                f"không tìm thấy tệp ánh xạ {mapping}",
            )
        return mapping

    def choice(
        self, t: Mapping[str, Any], p: str, key: str, allowed: tuple[str, ...], default: str
    ) -> str:
        value = self.take(t, p, key, str, default)
        if value not in allowed:
            raise self.fail(
                f"{p}.{key}",
                f"must be one of {', '.join(allowed)}, not {value!r}",
                f"phải là một trong {', '.join(allowed)}, không phải {value!r}",
            )
        return str(value)

    def not_negative(
        self, t: Mapping[str, Any], p: str, key: str, kind: type | tuple[type, ...],
        default: float,
    ) -> float:
        value = self.take(t, p, key, kind, default)
        if value < 0:
            raise self.fail(
                f"{p}.{key}",
                f"must not be negative, not {value}",
                f"không được là số âm, không phải {value}",
            )
        return float(value)

    def at_least_one(self, t: Mapping[str, Any], p: str, key: str, default: int) -> int:
        value = self.take(t, p, key, int, default)
        if value < 1:
            raise self.fail(
                f"{p}.{key}",
                f"must be a whole number of at least 1, not {value}",
                f"phải là số nguyên từ 1 trở lên, không phải {value}",
            )
        return int(value)

    def share(self, t: Mapping[str, Any], p: str, key: str, default: float) -> float:
        value = float(self.take(t, p, key, (int, float), default))
        if not 0 <= value <= 1:
            raise self.fail(
                f"{p}.{key}",
                f"is a share between 0 and 1 (0.1 = 10%), not {value}",
                f"là một tỷ lệ từ 0 đến 1 (0.1 = 10%), không phải {value}",
            )
        return value
