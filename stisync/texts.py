"""Every word the `stisync` command prints itself, in Vietnamese and English, and the choice
between them: `--lang`, else the environment variable STISYNC_LANG, else Vietnamese.

The admins are a province's staff, so Vietnamese is the default. The catalog has the shape
of the data-quality report's (`sync.texts`); texts that come from deeper modules are framed
by the words here ("Lỗi cấu hình: …"), and their detail is in the admin's language when the
error carries both (stisync's own errors, and a run's error, which the state database keeps
in both); anything else, as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.texts import LANGS, Catalog, pick

ENV_LANG = "STISYNC_LANG"

# key -> (Vietnamese, English); `{name}` placeholders are filled by `t`. Keys `group.value`
# name a stored value (a run's status, a count...) and are read with `word`.
_TEXTS: Catalog = {
    # How errors are framed; the detail after the colon may come from a deeper module.
    "err": ("Lỗi", "Error"),
    "err_config": ("Lỗi cấu hình", "Configuration error"),
    "err_state": ("Lỗi cơ sở dữ liệu trạng thái", "State database error"),
    "err_source": ("Lỗi: không đọc được nguồn", "Error: cannot read the source"),
    "err_not_found": ("Không tìm thấy trong nguồn", "Not found in the source"),
    # A defect of stisync itself: the detail is what Python said.
    "err_internal": ("Lỗi nội bộ của stisync", "Internal error of stisync"),
    # A run's national failure, by the words its error opens with (sync.breaker).
    "err_national": ("Lỗi từ hệ thống quốc gia", "National API error"),
    "err_national_auth": (
        "Hệ thống quốc gia từ chối thông tin xác thực",
        "The national API refused our credentials",
    ),
    "err_national_unavailable": (
        "Hệ thống quốc gia không sẵn sàng (các bản ghi chờ gửi ở lượt chạy sau)",
        "National API unavailable (the records wait for the next run)",
    ),
    "err_national_failing": (
        "Hệ thống quốc gia liên tục gặp lỗi, đã tạm ngừng gửi (lượt chạy sau gửi thử một bản "
        "ghi trước)",
        "National API failing, sending paused (the next run tries one record first)",
    ),
    "err_lang_env": (
        "biến môi trường {var} có giá trị {value}, không hợp lệ; hãy đặt vi (tiếng Việt) "
        "hoặc en (tiếng Anh), hoặc bỏ biến này đi",
        "the environment variable {var} is {value}, which is not valid; set it to vi "
        "(Vietnamese) or en (English), or unset it",
    ),
    "err_date": (
        "{value} không phải là ngày (YYYY-MM-DD hoặc dd/mm/yyyy)",
        "{value} is not a date (YYYY-MM-DD or dd/mm/yyyy)",
    ),
    "interrupted": ("Đã dừng theo yêu cầu (Ctrl+C).", "Interrupted."),
    # Words that several commands share.
    "nothing": ("không có gì", "nothing"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    "column": ("cột", "column"),
    "progress": (
        "{source}: đã đọc {read}, đã gửi {sent}, không hợp lệ {invalid}",
        "{source}: read {read}, sent {sent}, invalid {invalid}",
    ),
    # Table column headings.
    "col_source": ("nguồn", "source"),
    "col_enabled": ("bật", "enabled"),
    "col_schedule": ("lịch chạy", "schedule"),
    "col_last_run": ("lượt cuối", "last run"),
    "col_outcome": ("kết quả", "outcome"),
    "col_started": ("bắt đầu", "started"),
    "col_finished": ("kết thúc", "finished"),
    "col_counts": ("số lượng", "counts"),
    "col_next_run": ("lượt tới (khi tiến trình nền chạy)", "next run (if daemon runs)"),
    "col_pending": ("chờ gửi", "pending"),
    "col_quarantined": ("cách ly", "quarantined"),
    "col_dead": ("ngừng gửi", "dead"),
    "col_at": ("lúc", "at"),
    "col_problem_count": ("số lỗi", "problems"),
    "col_run": ("lượt", "run"),
    "col_trigger": ("cách chạy", "trigger"),
    "col_status": ("kết quả", "status"),
    "col_error": ("lỗi", "error"),
    "col_record": ("bản ghi", "record"),
    "col_where": ("vị trí", "where"),
    "col_problems": ("lỗi", "problems"),
    "col_reason": ("lý do", "reason"),
    "col_since": ("từ lúc", "since"),
    "col_action": ("thao tác", "action"),
    "col_why": ("lý do", "why"),
    # stisync sync
    "sync_none_enabled": (
        "{path}: không có nguồn nào đang bật để đồng bộ",
        "{path}: no enabled source to sync",
    ),
    "sync_result": (
        "{source}: {status} (lượt chạy {run}): {counts}",
        "{source}: {status} (run {run}): {counts}",
    ),
    # A sync that ended before it started a run (another run holds the source, the state
    # database cannot be opened): no run number to give.
    "sync_result_no_run": (
        "{source}: {status} (chưa bắt đầu lượt chạy nào): {counts}",
        "{source}: {status} (no run started): {counts}",
    ),
    "sync_plan": (
        "{source}: chạy thử, không gửi gì: {counts}",
        "{source}: dry run, nothing sent: {counts}",
    ),
    "why_changed": ("thay đổi: {fields}", "changed: {fields}"),
    "sync_record_one_source": (
        "--record cần đúng một NGUỒN: mã bản ghi là mã của một nguồn",
        "--record needs exactly one SOURCE: record ids are one source's ids",
    ),
    # stisync reconcile
    "col_difference": ("khác biệt", "difference"),
    "reconcile_summary": (
        "{source}: CSDL quốc gia có {national} bản ghi, theo trạng thái cục bộ phải có "
        "{expected}; {verdict}",
        "{source}: {national} national record(s), {expected} expected from the local state; "
        "{verdict}",
    ),
    "reconcile_agree": ("hai bên khớp nhau", "in agreement"),
    "reconcile_differ": ("có {n} khác biệt ({kinds})", "{n} difference(s) ({kinds})"),
    "reconcile_more": (
        "… và {n} khác biệt khác; --format json liệt kê đủ",
        "… and {n} more; --format json lists them all",
    ),
    "reconcile_hint": (
        "Chạy stisync reconcile {source} --repair để sửa.",
        "Run stisync reconcile {source} --repair to fix them.",
    ),
    "reconcile_nothing": (
        "Chưa sửa gì (không có --repair): không ghi gì, không gửi gì.",
        "Nothing was changed (no --repair): nothing written or sent.",
    ),
    "reconcile_repaired": (
        "Đã sửa trong lượt chạy {run} ({status}): {counts}",
        "Repaired in run {run} ({status}): {counts}",
    ),
    "reconcile_kept": (
        "{n} bản ghi thừa được giữ nguyên vì nguồn {source} đặt deletions = \"report\". Muốn "
        "xoá chúng khỏi CSDL quốc gia: đặt deletions = \"propagate\" trong [sources.{source}] "
        "rồi chạy lại stisync reconcile {source} --repair",
        "{n} extra record(s) left as they are, because source {source} has deletions = "
        "\"report\". To withdraw them from the national database, set deletions = "
        "\"propagate\" in [sources.{source}] and run stisync reconcile {source} --repair again",
    ),
    "reconcile_blocked": (
        "Không xoá {n} bản ghi thừa: nhiều hơn tỉ lệ mass_delete_share của nguồn {source} cho "
        "phép. Nếu đúng là cần xoá, chạy stisync reconcile {source} --repair --allow-mass-delete",
        "{n} extra record(s) not withdrawn: more than the mass_delete_share of source {source} "
        "allows. If that is right, run stisync reconcile {source} --repair --allow-mass-delete",
    ),
    # stisync check
    "check_missing_columns": (
        "Tệp ánh xạ đọc những cột mà nguồn không có: {columns}",
        "columns named in the mapping but not in the source: {columns}",
    ),
    "check_deleted": ("nguồn đánh dấu đã xoá", "deleted"),
    "check_ok": ("hợp lệ", "OK"),
    "check_problems": ("{n} lỗi", "{n} problem(s)"),
    "check_no_id": ("(không có mã)", "(no id)"),
    "check_converted": (
        "{field}: “{value}” đọc theo bảng mã {encoding}, gửi bằng Unicode",
        "{field}: “{value}” read as {encoding}, sent as Unicode",
    ),
    "check_summary": (
        "{source}: đã đọc {read} bản ghi, {valid} bản ghi hợp lệ; không ghi gì, không gửi gì",
        "{source}: {read} record(s) read, {valid} valid; nothing written or sent",
    ),
    # stisync validate (the report's own words are in sync.quality.texts)
    "validate_counts": (
        "{source}: đã đọc {read} bản ghi; {accepted} bản ghi ({share}) sẽ được chấp nhận, "
        "{rejected} bản ghi có lỗi",
        "{source}: {read} records read; {accepted} ({share}) would be accepted, "
        "{rejected} have problems",
    ),
    "validate_first": ("Các lỗi đầu tiên:", "First problems:"),
    "validate_more": (
        "… và {n} lỗi khác; ghi đủ vào tệp với --report TỆP.xlsx (hoặc .html, .csv)",
        "… and {n} more; write them all with --report FILE.xlsx (or .html, .csv)",
    ),
    "validate_written": ("Đã ghi báo cáo: {path}", "Report written: {path}"),
    "validate_nothing": (
        "Không ghi gì vào cơ sở dữ liệu trạng thái, không gửi gì lên hệ thống quốc gia.",
        "Nothing was written to the state database or sent to the national system.",
    ),
    "validate_write": (
        "không ghi được báo cáo {path}: {reason}",
        "cannot write the report {path}: {reason}",
    ),
    # stisync status
    "status_manual": ("chỉ chạy tay", "manual only"),
    "status_never": ("chưa chạy lần nào", "never run"),
    # stisync logs
    "logs_no_run": ("không có lượt chạy số {run}", "no run {run}"),
    "logs_run": (
        "Lượt chạy {run} của nguồn {source} ({trigger}): {status}, {started} → {finished}",
        "run {run} of {source} ({trigger}): {status}, {started} → {finished}",
    ),
    "logs_counts": ("Số lượng: {counts}", "counts: {counts}"),
    "logs_empty": (
        "Lượt chạy này không gửi và không giữ lại bản ghi nào (bản ghi không đổi chỉ được đếm).",
        "no record was sent or held back in this run (unchanged records are only counted)",
    ),
    # stisync quarantine
    "quarantine_empty": ("Không có bản ghi nào đang bị cách ly.", "no record is held back"),
    "quarantine_in_source": (" của nguồn {source}", " of source {source}"),
    "quarantine_not_held": (
        "không có bản ghi {record}{where} trong danh sách cách ly (xem stisync quarantine)",
        "no record {record}{where} is held back (see stisync quarantine)",
    ),
    "quarantine_ambiguous": (
        "{record} ứng với nhiều bản ghi bị cách ly: {found}; hãy thêm --source NGUỒN hoặc ghi "
        "mã đầy đủ",
        "{record} names several held records: {found}; add --source SOURCE or give the full id",
    ),
    # stisync quarantine show
    "held_title": ("Bản ghi {record} của nguồn {source}: {reason}",
                   "Record {record} of source {source}: {reason}"),
    "held_where": ("Vị trí trong nguồn: {where}", "Where in the source: {where}"),
    "held_attempts": (
        "Bị giữ lại từ {since}; lần gần nhất {last} (lượt chạy {run}); số lần: {n}",
        "Held since {since}; last {last} (run {run}); times: {n}",
    ),
    "held_read": (
        "Đọc từ nguồn lần đầu {first}, lần gần nhất {last}",
        "Read from the source first {first}, last {last}",
    ),
    "held_queued": (
        "Đang chờ gửi từ {since}; số lần gửi chưa thành: {n}",
        "Queued since {since}; failed sends: {n}",
    ),
    "held_problems": ("Lỗi:", "Problems:"),
    "held_value": (" — giá trị: “{value}”", " — value: “{value}”"),
    "held_no_raw": (
        "Chưa lưu dữ liệu gốc của bản ghi này (bị giữ lại từ trước khi dữ liệu gốc được lưu); "
        "lượt đọc tới của nguồn {source} sẽ lưu nó",
        "No raw payload is stored for this record (held before raw payloads were kept); the "
        "next read of {source} stores it",
    ),
    "held_raw": ("Dữ liệu gốc (đọc lúc {at}, lượt chạy {run}):",
                 "Raw payload (read {at}, run {run}):"),
    "held_runs": (
        "Các lượt chạy đã gặp bản ghi này (mới nhất trước):",
        "Runs that met this record (newest first):",
    ),
    "held_retry_hint": (
        "Sau khi sửa nguồn hoặc tệp ánh xạ: stisync quarantine retry \"{record}\" --source "
        "{source}",
        "After fixing the source or the mapping: stisync quarantine retry \"{record}\" --source "
        "{source}",
    ),
    # stisync quarantine retry
    "retry_result": (
        "{source}: đã kiểm tra lại {n} bản ghi (lượt chạy {run}, {status}): {counts}",
        "{source}: {n} record(s) checked again (run {run}, {status}): {counts}",
    ),
    "retry_next": (
        "Bản ghi hợp lệ đã vào hàng chờ và sẽ được gửi ở lượt đồng bộ tới; muốn gửi ngay: "
        "stisync sync {source}",
        "The valid records are queued for the next sync; to send them now: stisync sync "
        "{source}",
    ),
    "retry_not_kept": (
        "{n} bản ghi chưa có dữ liệu gốc được lưu: chúng sẽ được kiểm tra và gửi lại khi nguồn "
        "{source} được đọc lần tới (stisync sync {source} --full)",
        "{n} record(s) have no stored raw payload: they are checked and sent again when "
        "{source} is next read (stisync sync {source} --full)",
    ),
    # stisync sync --remap
    "sync_remap_none": (
        "{source}: chưa có dữ liệu gốc nào được lưu để ánh xạ lại; hãy chạy stisync sync "
        "{source} --full một lần",
        "{source}: no raw record is stored to map again; run stisync sync {source} --full once",
    ),
    # stisync prune
    "prune_plan": (
        "Chạy thử, chưa xoá gì: sẽ xoá {runs} lượt chạy cũ hơn {runs_days} ngày cùng {events} "
        "sự kiện của bản ghi, và {raw} dữ liệu gốc không được đọc lại trong {raw_days} ngày.",
        "Dry run, nothing deleted: would delete {runs} run(s) older than {runs_days} days with "
        "{events} record event(s), and {raw} raw payload(s) not read for {raw_days} days.",
    ),
    "prune_done": (
        "Đã xoá {runs} lượt chạy cũ hơn {runs_days} ngày cùng {events} sự kiện của bản ghi, và "
        "{raw} dữ liệu gốc không được đọc lại trong {raw_days} ngày.",
        "Deleted {runs} run(s) older than {runs_days} days with {events} record event(s), and "
        "{raw} raw payload(s) not read for {raw_days} days.",
    ),
    # A run's status (sync.state.models.RunStatus).
    "status.running": ("đang chạy", "running"),
    "status.succeeded": ("thành công", "succeeded"),
    "status.partial": ("thành công một phần", "partial"),
    "status.failed": ("thất bại", "failed"),
    "status.interrupted": ("bị dừng giữa chừng", "interrupted"),
    "status.crashed": ("dừng đột ngột", "crashed"),
    # What started a run (Trigger).
    "trigger.schedule": ("theo lịch", "schedule"),
    "trigger.manual": ("chạy tay", "manual"),
    "trigger.retry": ("thử lại", "retry"),
    "trigger.reconcile": ("đối soát", "reconcile"),
    # What became of one record in a run (Outcome).
    "outcome.created": ("tạo mới", "created"),
    "outcome.updated": ("cập nhật", "updated"),
    "outcome.unchanged": ("không đổi", "unchanged"),
    "outcome.queued": ("chờ gửi", "queued"),
    "outcome.invalid": ("không hợp lệ", "invalid"),
    "outcome.rejected": ("bị từ chối", "rejected"),
    "outcome.failed": ("chưa gửi được", "failed"),
    "outcome.gone": ("không còn ở nguồn", "gone"),
    "outcome.deleted": ("đã xoá khỏi CSDL quốc gia", "deleted"),
    "outcome.dead": ("chuyển sang ngừng gửi", "dead"),
    # Why a record is in quarantine (QuarantineReason).
    "reason.invalid": ("không hợp lệ", "invalid"),
    "reason.rejected": ("bị hệ thống quốc gia từ chối", "rejected"),
    "reason.failing": ("hệ thống quốc gia lỗi riêng với hồ sơ này", "failing"),
    "reason.dead": ("ngừng gửi sau nhiều lần thất bại", "dead"),
    # The counts of a run (sync.context.COUNT_KEYS), as "created 20, invalid 1".
    "count.fetched": ("đọc", "fetched"),
    "count.created": ("tạo mới", "created"),
    "count.updated": ("cập nhật", "updated"),
    "count.unchanged": ("không đổi", "unchanged"),
    "count.deleted": ("đã xoá", "deleted"),
    "count.queued": ("chờ gửi", "queued"),
    "count.invalid": ("không hợp lệ", "invalid"),
    "count.rejected": ("bị từ chối", "rejected"),
    "count.held": ("vẫn giữ lại", "held"),
    "count.failed": ("chưa gửi được", "failed"),
    "count.gone": ("không còn ở nguồn", "gone"),
    "count.hash_mismatch": ("lệch mã băm", "hash_mismatch"),
    "count.dead": ("ngừng gửi", "dead"),
    "count.remapped": ("ánh xạ lại", "remapped"),
    # What a dry run would do with a record (sync.extract.Planned.action), and why.
    "action.create": ("tạo mới", "create"),
    "action.update": ("cập nhật", "update"),
    "action.hold": ("giữ lại", "hold"),
    "action.delete": ("xoá khỏi CSDL quốc gia", "delete"),
    "action.report gone": ("báo không còn", "report gone"),
    "why.new record": ("bản ghi mới", "new record"),
    "why.content changed": ("nội dung thay đổi", "content changed"),
    "why.absent from the source": ("không còn trong nguồn", "absent from the source"),
    "why.the source reports it deleted": (
        "nguồn báo đã xoá",
        "the source reports it deleted",
    ),
    # How a record differs between the national copy and the local state (sync.reconcile).
    "diff.missing": ("thiếu", "missing"),
    "diff.extra": ("thừa", "extra"),
    "diff.stale": ("lệch nội dung", "stale"),
    "diffwhy.absent nationally": (
        "đã gửi nhưng CSDL quốc gia không còn",
        "delivered, but absent nationally",
    ),
    "diffwhy.not delivered yet": (
        "chưa gửi được, đang chờ gửi",
        "not delivered yet, waiting in the outbox",
    ),
    "diffwhy.changed nationally": (
        "bản trên CSDL quốc gia khác bản đã gửi",
        "the national copy differs from what was delivered",
    ),
    "diffwhy.newer version waiting": (
        "có phiên bản mới hơn đang chờ gửi",
        "a newer version waits in the outbox",
    ),
    "diffwhy.unknown locally": (
        "trạng thái cục bộ không có bản ghi này",
        "unknown to the local state",
    ),
    "diffwhy.gone from the source": ("không còn ở nguồn", "no longer in the source"),
    "diffwhy.withdrawal waiting": ("lệnh xoá đang chờ gửi", "its withdrawal waits in the outbox"),
    # --help
    "help_usage": ("Cách dùng: ", "usage: "),
    "help_positionals": ("tham số", "positional arguments"),
    "help_options": ("tuỳ chọn", "options"),
    "help_help": ("hiện hướng dẫn này rồi thoát", "show this help message and exit"),
    "help_version": ("hiện số phiên bản rồi thoát", "show program's version number and exit"),
    "help_description": (
        "Đồng bộ các nhiệm vụ KH&CN của tỉnh lên cơ sở dữ liệu quốc gia về KH&CN.",
        "Sync a province's S&T task records to the national S&T database.",
    ),
    "meta_command": ("LỆNH", "COMMAND"),
    "meta_source": ("NGUỒN", "SOURCE"),
    "meta_file": ("TỆP", "FILE"),
    "meta_seconds": ("GIÂY", "SECONDS"),
    "meta_date": ("NGÀY", "DATE"),
    "meta_run": ("SỐ_LƯỢT", "RUN_ID"),
    "meta_dir": ("THƯ_MỤC", "DIR"),
    "help_config": (
        "tệp cấu hình (mặc định: $STISYNC_CONFIG, rồi ./stisync.toml)",
        "configuration file (default: $STISYNC_CONFIG, then ./stisync.toml)",
    ),
    "help_verbose": ("ghi nhật ký chi tiết hơn (-vv: gỡ lỗi)", "more log output (-vv: debug)"),
    "help_lang": (
        "ngôn ngữ của thông báo và báo cáo: vi (tiếng Việt, mặc định) hoặc en (tiếng Anh); "
        "không ghi thì theo biến môi trường STISYNC_LANG",
        "language of the messages and reports: vi (Vietnamese, the default) or en (English); "
        "without it, the environment variable STISYNC_LANG",
    ),
    "help_format": ("định dạng kết quả (mặc định {default})", "output format (default {default})"),
    # What `stisync daemon` tells the admin at the terminal (its log lines stay English).
    "daemon_started": (
        "Tiến trình nền đang chạy ({jobs} việc theo lịch); dừng bằng Ctrl+C. Xem kết quả: "
        "stisync status, stisync logs",
        "The daemon is running ({jobs} scheduled job(s)); stop it with Ctrl+C. See what it "
        "does: stisync status, stisync logs",
    ),
    "daemon_nothing": (
        "Không có nguồn nào được bật và có lịch chạy trong {path}: tiến trình nền không có gì "
        "để làm",
        "No enabled source has a schedule in {path}: the daemon has nothing to do",
    ),
    "daemon_stopped": ("Tiến trình nền đã dừng.", "The daemon has stopped."),
    "help_daemon": (
        "chạy bộ lập lịch ở tiền cảnh (cho systemd hoặc một dịch vụ Windows)",
        "run the scheduler in the foreground (for systemd or a Windows service)",
    ),
    "help_sync": ("đồng bộ các nguồn ngay bây giờ", "sync sources now"),
    "help_sync_sources": (
        "các nguồn cần đồng bộ (mặc định: mọi nguồn đang bật)",
        "sources to sync (default: all enabled)",
    ),
    "help_full": (
        "đọc mọi bản ghi, không chỉ những bản ghi thay đổi từ lượt chạy trước",
        "read every record, not only those changed since the last run",
    ),
    "help_sync_since": (
        "đọc nguồn từ NGÀY (YYYY-MM-DD hoặc dd/mm/yyyy, theo múi giờ trong cấu hình) thay vì "
        "từ lượt chạy trước; chỉ gửi bản ghi có nội dung thay đổi; mốc đọc đã lưu không lùi lại",
        "read the source from DATE (YYYY-MM-DD or dd/mm/yyyy, in the configured time zone) "
        "instead of from the last run; only changed records are sent; the saved cursor stays",
    ),
    "help_sync_record": (
        "chỉ đồng bộ bản ghi có mã ID trong nguồn (lặp lại được: --record A --record B); "
        "không đụng tới bản ghi nào khác",
        "sync only the record with this source ID (repeatable: --record A --record B); "
        "no other record is touched",
    ),
    "help_reconcile": (
        "so các bản ghi của nguồn trên CSDL quốc gia với trạng thái cục bộ: thiếu, thừa, lệch "
        "nội dung; với --repair thì sửa",
        "compare a source's national records with the local state: missing, extra, stale; "
        "with --repair, fix them",
    ),
    "help_repair": (
        "gửi lại bản ghi thiếu hoặc lệch, xoá bản ghi thừa khi nguồn đặt deletions = "
        "\"propagate\"; ghi thành một lượt chạy",
        "re-send missing and stale records, withdraw extra ones when the source has "
        "deletions = \"propagate\"; logged as a run",
    ),
    "help_remap": (
        "ánh xạ lại dữ liệu gốc đã lưu của nguồn bằng tệp ánh xạ hiện tại, không đọc lại "
        "nguồn (dùng sau khi sửa tệp ánh xạ); mốc đọc của nguồn giữ nguyên",
        "map the source's stored raw records again with the current mapping file, without "
        "reading the source (after a mapping fix); the source's read position is kept",
    ),
    "help_dry_run": (
        "cho xem những gì sẽ được tạo mới hoặc cập nhật, và vì sao; không gửi gì",
        "show what would be created or updated, and why; send nothing",
    ),
    "help_wait": (
        "khi tiến trình nền đang đồng bộ chính nguồn này, chờ tối đa chừng ấy giây (mặc định 300)",
        "when the daemon is syncing the same source, wait this long for it (default 300)",
    ),
    "help_mass_delete": (
        "cho phép lượt chạy này xoá khỏi CSDL quốc gia nhiều hơn tỉ lệ mass_delete_share "
        "bản ghi của nguồn",
        "let this run withdraw more than the source's mass_delete_share of its records",
    ),
    "help_no_wait": (
        "từ chối ngay nếu nguồn đang được đồng bộ",
        "refuse at once when the source is being synced",
    ),
    "help_check": (
        "đọc thử một số bản ghi của nguồn, ánh xạ, kiểm tra và cho xem như khi gửi đi; "
        "không ghi gì",
        "read a sample of a source, map and validate it, show it as it would be sent; "
        "writes nothing",
    ),
    "help_check_limit": ("số bản ghi cần đọc (mặc định 5)", "records to read (default 5)"),
    "help_validate": (
        "đọc toàn bộ nguồn, ánh xạ và kiểm tra từng bản ghi, chỉ ra từng lỗi ở chỗ người giữ "
        "dữ liệu sửa được; không ghi gì khác",
        "read all of a source, map and validate every record, and report each problem "
        "where the data's owner can fix it; writes nothing else",
    ),
    "help_report": (
        "ghi báo cáo vào TỆP: .xlsx, .html hoặc .csv (mặc định: in ra màn hình)",
        "write the report to FILE: .xlsx, .html or .csv (default: print it)",
    ),
    "help_validate_lang": ("vi (mặc định) hoặc en", "vi (default) or en"),
    "help_status": (
        "theo từng nguồn: lượt chạy cuối, kết quả, lượt tới theo lịch, số bản ghi chờ gửi "
        "và bị cách ly",
        "per source: last run, outcome, next scheduled run, pending and quarantined records",
    ),
    "help_logs": (
        "các lượt đồng bộ, hoặc với SỐ_LƯỢT: kết quả của từng bản ghi trong lượt chạy đó",
        "sync runs, or with RUN_ID the outcome of each record of one run",
    ),
    "help_logs_run": ("số của lượt chạy cần xem", "the run to show"),
    "help_logs_source": ("chỉ các lượt chạy của nguồn này", "only the runs of this source"),
    "help_since": (
        "các lượt chạy bắt đầu từ NGÀY (YYYY-MM-DD hoặc dd/mm/yyyy)",
        "runs started on or after DATE (YYYY-MM-DD or dd/mm/yyyy)",
    ),
    "help_logs_status": (
        "chỉ các lượt chạy có kết quả này: succeeded (thành công), partial (thành công một "
        "phần), failed (thất bại), interrupted (bị dừng giữa chừng), crashed (dừng đột ngột), "
        "running (đang chạy)",
        "only the runs with this outcome",
    ),
    "help_logs_limit": ("số lượt chạy tối đa (mặc định 50)", "at most this many runs (default 50)"),
    "help_quarantine": (
        "các bản ghi bị cách ly (giữ lại, không gửi) và lý do",
        "records held back, and why",
    ),
    "help_quarantine_source": ("chỉ các bản ghi của nguồn này", "only the records of this source"),
    "meta_action": ("THAO_TÁC", "ACTION"),
    "help_quarantine_show": (
        "mọi thông tin về một bản ghi bị cách ly: lý do, từng lỗi (cột, giá trị), dữ liệu gốc, "
        "giá trị chuyển từ bảng mã cũ, số lần thử, các lượt chạy",
        "everything about one held record: reason, each problem with column and value, the "
        "raw payload, converted legacy text, attempts, the runs",
    ),
    "help_quarantine_retry": (
        "kiểm tra lại bản ghi bị cách ly từ dữ liệu gốc đã lưu bằng tệp ánh xạ hiện tại và xếp "
        "bản ghi hợp lệ vào hàng chờ gửi ở lượt đồng bộ tới; bản ghi bị hệ thống quốc gia từ "
        "chối được gửi lại thêm một lần dù không đổi",
        "check held records again from their stored raw payload with the current mapping and "
        "queue the valid ones for the next delivery; a record the national side rejected is "
        "sent once more even if unchanged",
    ),
    "help_quarantine_id": (
        "mã bản ghi (như ở cột bản ghi của stisync quarantine, hoặc mã trong nguồn)",
        "the record's id (as in the record column of stisync quarantine, or its id in the "
        "source)",
    ),
    "help_quarantine_all": (
        "mọi bản ghi bị cách ly (của nguồn --source nếu có)",
        "every held record (of --source when given)",
    ),
    "help_prune": (
        "xoá lịch sử cũ trong cơ sở dữ liệu trạng thái theo bảng [retention]: lượt chạy cùng "
        "sự kiện của bản ghi, dữ liệu gốc đã lưu",
        "delete old history from the state database as [retention] says: runs with their "
        "record events, stored raw payloads",
    ),
    "help_prune_dry_run": (
        "chỉ đếm những gì sẽ bị xoá, không xoá gì",
        "only count what would be deleted; delete nothing",
    ),
    "help_sim": (
        "chạy trình mô phỏng API quốc gia trên máy này (loopback)",
        "serve the national API simulator on loopback",
    ),
    "help_demo": (
        "dựng một bản chạy thử (cấu hình, dữ liệu mẫu, trình mô phỏng) rồi đồng bộ",
        "set up a demo (config, sample data, simulator) and sync it",
    ),
    "help_demo_dir": (
        "thư mục của bản chạy thử (mặc định ./stisync-demo)",
        "demo folder (default ./stisync-demo)",
    ),
    "help_keep_running": (
        "giữ trình mô phỏng và tiến trình nền chạy cho đến khi nhấn Ctrl+C",
        "keep the simulator and the daemon running until Ctrl+C",
    ),
    # stisync demo
    "demo_writing": ("Đang tạo bản chạy thử trong {folder}", "Writing a demo set-up to {folder}"),
    "demo_using": ("Dùng bản chạy thử có sẵn trong {folder}", "Using the demo set-up in {folder}"),
    "demo_ports": (
        "không mở được các cổng của bản chạy thử {ports} ({error}); hãy sửa {file} và các URL "
        "trong stisync.toml",
        "cannot listen on the demo's ports {ports} ({error}); edit {file} and the URLs in "
        "stisync.toml",
    ),
    "demo_national": (
        "Trình mô phỏng hệ thống quốc gia: {url}  (dữ liệu của nó: {data})",
        "National simulator:  {url}  (its data: {data})",
    ),
    "demo_provincial": ("API JSON của tỉnh: {url}", "Provincial JSON API: {url}"),
    "demo_daemon": (
        "Đã khởi động tiến trình nền; mỗi nguồn chạy ngay ở lần khởi động đầu, sau đó theo "
        "lịch của nó.\n",
        "Daemon started; every source runs at once on its first start, then on its schedule.\n",
    ),
    "demo_explain": (
        """
Điều vừa diễn ra: ba nguồn dữ liệu của tỉnh (một tệp CSV kết xuất, một bảng tính có dòng
tiêu đề, một API JSON) đã được đọc, ánh xạ sang bản ghi quốc gia, kiểm tra và gửi lên trình mô
phỏng hệ thống quốc gia. Một dòng của bảng tính ghi cấp quản lý "Cấp vùng", không phải là một
cấp quản lý hợp lệ: bản ghi đó bị cách ly, có ghi rõ trang tính, dòng và cột; các bản ghi còn
lại đã được gửi đi.

Xem lại (trạng thái nằm trong {state}, nhật ký trong {logs}):
  stisync {options} status
  stisync {options} logs
  stisync {options} logs 1
  stisync {options} quarantine
Báo cáo chất lượng dữ liệu cho người giữ bảng tính (tiếng Việt; --lang en cho tiếng Anh):
  stisync {options} validate so-khcn-xlsx --report bao-cao.html
Thử một thay đổi: chạy `stisync demo --keep-running`, sửa {csv},
rồi ở một cửa sổ dòng lệnh khác chạy `stisync {options} sync --dry-run` và `... sync`.
""",
        """
What happened: three provincial sources (a CSV export, a workbook with a title row, a JSON API)
were read, mapped to the national record, validated, and sent to the national simulator.
One workbook row uses the level "Cấp vùng", which is not a management level: it is held back
in quarantine with the sheet, row and column named, and the rest were delivered.

Look at it (the state is in {state}, the logs in {logs}):
  stisync {options} status
  stisync {options} logs
  stisync {options} logs 1
  stisync {options} quarantine
A data-quality report for the workbook's owners (in English here; Vietnamese without --lang en):
  stisync {options} validate so-khcn-xlsx --report bao-cao.html
Try a change: run `stisync demo --keep-running`, edit {csv},
then in another terminal `stisync {options} sync --dry-run` and `... sync`.
""",
    ),
    "demo_keep_running": (
        "Trình mô phỏng, API của tỉnh và tiến trình nền vẫn chạy; nhấn Ctrl+C để dừng.",
        "Simulator, provincial API and daemon keep running; Ctrl+C stops them.",
    ),
}


def t(key: str, lang: str, **values: Any) -> str:
    """The command's text `key` in `lang` ("vi" or "en"), with its placeholders filled."""
    return pick(_TEXTS, key, lang, **values)


def word(group: str, value: str, lang: str) -> str:
    """A stored value — a run's status, a count's name, an outcome — in words of `lang`. A
    value the catalog does not know is shown as stored, so a new one is never hidden."""
    key = f"{group}.{value}"
    return t(key, lang) if key in _TEXTS else value


class LangError(ValueError):
    """STISYNC_LANG names a language stisync does not speak."""

    def __init__(self, value: str):
        self.value = value
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        return t("err_lang_env", lang, var=ENV_LANG, value=repr(self.value))


def choose_lang(flag: str | None, environ: Mapping[str, str]) -> str:
    """`--lang` when given, else STISYNC_LANG (an empty one counts as unset), else Vietnamese.
    Raises LangError for a STISYNC_LANG that is neither `vi` nor `en`."""
    if flag:
        return flag
    value = environ.get(ENV_LANG, "").strip()
    if not value:
        return "vi"
    if value.lower() not in LANGS:
        raise LangError(value)
    return value.lower()
