"""What a person reads instead of internal codes and raw data: Beijing time,
class names, Chinese audit actions, readable details, people's 姓名.

Plain functions (used by exports and PDFs too) and the Jinja filters built on
them (registered in api/templating.py). Filters that need the archive (class
names from the retention schedule in force, 姓名 from the account store) find
it through the request in the template context."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from dangan.catalog.base import SECURITY_LEVELS
from jinja2 import pass_context

from dangan.audit import ACTIONS

BEIJING = ZoneInfo("Asia/Shanghai")

RECORD_STATUS = {"filed": "已归档", "review": "待复核", "destroyed": "已销毁"}
BATCH_STATUS = {
    "appraisal": "鉴定中",
    "approved": "已审批",
    "executing": "销毁中",
    "executed": "已销毁",
}
DECISIONS = {"pending": "待定", "destroy": "销毁", "keep": "继续保存"}

# detail keys of audit entries -> what an auditor reads
DETAIL_KEYS = {
    "q": "检索词",
    "query": "检索条件",
    "via": "途径",
    "page": "页",
    "total": "结果数",
    "filters": "筛选",
    "file": "文件",
    "hidden": "未列出（超出权限）",
    "format": "格式",
    "rows": "行数",
    "view": "内容",
    "ip": "地址",
    "role": "角色",
    "roles": "角色",
    "reason": "理由",
    "level": "密级",
    "doc_type": "类别",
    "person": "参保人",
    "unit": "单位",
    "year": "年度",
    "prefix": "档号前缀",
    "count": "件数",
    "records": "件数",  # a list of records reads 档案 (see _label)
    "display_name": "姓名",
    "corrected_class": "更正类别",
    "archival_code": "档号",
    "before": "调整前",
    "after": "调整后",
    "batch": "批次",
    "decision": "鉴定意见",
    "kind": "类型",
}
VIA = {"ui": "网页", "api": "接口", "cli": "命令行", "embed": "嵌入"}


def bj_time(value, with_seconds: bool = False) -> str:
    """An ISO time (UTC or with an offset) as Beijing time `YYYY-MM-DD HH:mm`;
    a bare date stays a date; empty stays empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, date):
        return value.isoformat()
    else:
        text = str(value).strip()
        if len(text) <= 10:
            return text  # a date, or something that is not a time
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(BEIJING).strftime(
        "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    )


def retention_text(status: str | None, retention: str | None, disposal_date=None) -> str:
    """保管期限 as a person reads it; a record waiting for review shows none
    (its class is not decided), and no disposal date is ever invented."""
    from dangan.catalog.record_json import RETENTION_PENDING

    if status == "review":
        return RETENTION_PENDING
    text = retention or "未定"
    return f"{text}（{disposal_date} 到期）" if disposal_date else text


def level_name(level: str | None) -> str:
    return SECURITY_LEVELS.get(level or "", level or "")


def action_label(action: str | None) -> str:
    if not action:
        return ""
    return ACTIONS.get(action, "其他操作")


def class_name_in(schedule, code: str | None) -> str:
    """The schedule's name for a class code (类别); never the code itself."""
    if not code:
        return "未定"
    if schedule is not None and code in schedule:
        return schedule[code].material
    return "未定类别"


def detail_text(detail, names=None, classes: dict[str, str] | None = None) -> str:
    """An audit entry's detail as `键：值；…` in Chinese, no JSON, no escapes:
    people by `names` (login -> 姓名), classes by `classes` (code -> name),
    roles and 密级 by their Chinese names."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return str(detail)
    parts = []
    for key, value in detail.items():
        parts.append(f"{_label(key, value)}：{_value_text(key, value, names, classes)}")
    return "；".join(parts)


def _label(key: str, value) -> str:
    if key == "records" and isinstance(value, list | tuple):
        return "档案"
    return DETAIL_KEYS.get(key, key)


def _value_text(key: str, value, names, classes=None) -> str:
    if isinstance(value, dict):
        return "，".join(
            f"{_label(k, v)} {_value_text(k, v, names, classes)}" for k, v in value.items()
        )
    if key == "roles" and isinstance(value, str) and "," in value:
        value = value.split(",")
    if isinstance(value, list | tuple):
        return "、".join(_value_text(key, v, names, classes) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None:
        return "—"
    if key == "via":
        return VIA.get(str(value), str(value))
    if key in ("level", "before", "after") and str(value) in SECURITY_LEVELS:
        return level_name(str(value))
    if key in ("doc_type", "corrected_class") and classes and not isinstance(value, bool):
        return classes.get(str(value), str(value))
    if key in ("role", "roles"):
        from dangan.access.roles import ROLES

        return ROLES.get(str(value), str(value))
    if key in ("supervisors", "actor", "by") and names:
        return names(str(value))
    return str(value)


TARGET_KINDS = {
    "batch": "鉴定批次",
    "hold": "冻结",
    "user": "用户",
    "token": "令牌",
    "volume": "案卷",
    "record": "档案",
}


def target_text(target: str | None) -> str:
    """An audit target as a person reads it: `batch:3` → 鉴定批次 3; the keyed
    hashes kept instead of ID numbers and search words are named as such."""
    if not target:
        return ""
    kind, sep, rest = str(target).partition(":")
    if sep and kind in ("pid", "h"):
        # the whole keyed hash: an auditor compares it across entries
        return f"参保人（已脱敏 {target}）" if kind == "pid" else f"检索词（已脱敏 {target}）"
    if sep and kind in TARGET_KINDS:
        return f"{TARGET_KINDS[kind]} {rest}"
    return str(target)


# --- per request: the schedule in force and the account names -------------


def _request(context):
    return context.get("request")


def schedule_of(request):
    try:
        return request.app.state.archive.schedule()
    except AttributeError:
        return None


def person_names(request) -> dict[str, str]:
    """login -> 姓名, read once per request."""
    cached = getattr(request.state, "person_names", None)
    if cached is None:
        try:
            users = request.app.state.accounts.list_users()
        except AttributeError:
            users = []
        cached = {u["username"]: u["display_name"] or u["username"] for u in users}
        request.state.person_names = cached
    return cached


def person_name_in(names: dict[str, str], login: str | None, with_login: bool = False) -> str:
    if not login:
        return ""
    name = names.get(login)
    if name is None:
        return login  # an API token's name, or a system actor
    return f"{name}（{login}）" if with_login and name != login else name


@pass_context
def class_name(context, code: str | None) -> str:
    return class_name_in(schedule_of(_request(context)), code)


@pass_context
def person_name(context, login: str | None, with_login: bool = False) -> str:
    request = _request(context)
    return person_name_in(person_names(request) if request else {}, login, with_login)


@pass_context
def detail_filter(context, detail) -> str:
    request = _request(context)
    names = person_names(request) if request else {}
    return detail_text(detail, lambda login: person_name_in(names, login), class_names(request))


def class_names(request) -> dict[str, str]:
    """class code -> name in the schedule in force, read once per request."""
    if request is None:
        return {}
    cached = getattr(request.state, "class_names", None)
    if cached is None:
        schedule = schedule_of(request)
        cached = {row.code: row.material for row in schedule.rows} if schedule else {}
        request.state.class_names = cached
    return cached


def register(env) -> None:
    env.filters.update(
        bj_time=bj_time,
        class_name=class_name,
        action_label=action_label,
        level_name=level_name,
        retention_text=retention_text,
        target_text=target_text,
        person_name=person_name,
        detail_text=detail_filter,
        record_status=lambda s: RECORD_STATUS.get(s or "", s or ""),
        batch_status=lambda s: BATCH_STATUS.get(s or "", s or ""),
        decision=lambda s: DECISIONS.get(s or "", s or ""),
    )
