"""Checks of the archive as a whole: 档号 runs, the audit chain, security
events, and storage against the catalog (orphans and missing objects)."""

from __future__ import annotations

import re
from collections import defaultdict

from dangan.preservation import storage
from dangan.preservation.items import FAIL, PASS, WARNING, CheckResult
from dangan.preservation.store import PreservationStore

# audit actions that concern the security of the holdings (dangan/audit.py ACTIONS)
SECURITY_ACTIONS = (
    "record.security", "export", "import", "batch.execute", "record.destroy",
    "user.add", "user.disable", "user.roles", "user.password_reset", "user.unlock",
    "token.issue", "token.revoke", "audit.rotate_key", "login.locked",
)  # fmt: skip
ALERTING = re.compile(r"denied|failed|locked|refused")
SUFFIX = re.compile(r"^(.*)-(\d+)$")


def number_runs(store: PreservationStore) -> list[CheckResult]:
    """WZ-02: each 档号 prefix numbered 1..last without gaps or repeats;
    destroyed records count through their tombstones."""
    used: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for code, owner in store.archival_codes():
        m = SUFFIX.match(code)
        if m:
            used[m.group(1)].append((int(m.group(2)), owner))
    out = []
    sequences = dict(store.sequences())
    for prefix in sorted(set(sequences) | set(used)):
        numbers = [n for n, _ in used.get(prefix, [])]
        last = max(sequences.get(prefix, 0), max(numbers, default=0))
        seen: dict[int, int] = defaultdict(int)
        for n in numbers:
            seen[n] += 1
        gaps = [n for n in range(1, last + 1) if n not in seen]
        repeats = sorted(n for n, c in seen.items() if c > 1)
        problems = []
        if gaps:
            problems.append("缺号 " + "、".join(f"{n:04d}" for n in gaps[:20]))
        if repeats:
            problems.append("重号 " + "、".join(f"{n:04d}" for n in repeats[:20]))
        if problems:
            out.append(
                CheckResult("WZ-02", FAIL, f"{prefix}：共 {last} 件，{'；'.join(problems)}。")
            )
        else:
            out.append(CheckResult("WZ-02", PASS, f"{prefix}：件号 0001–{last:04d} 连续。"))
    return out


def audit_chain(archive) -> CheckResult:
    verification = archive.audit.verify()
    if verification.ok:
        return CheckResult("ZS-07", PASS, f"审计日志 {verification.entries} 条，哈希链完好。")
    return CheckResult("ZS-07", FAIL, f"审计日志校验未通过：{verification.problem}")


def security_events(store: PreservationStore) -> CheckResult:
    events = store.security_events(SECURITY_ACTIONS)
    if not events:
        return CheckResult("AQ-03", PASS, "审计日志中没有安全相关事件。")
    text = "，".join(f"{action} {count} 次" for action, count in events)
    alerting = [a for a, _ in events if ALERTING.search(a)]
    if alerting:
        return CheckResult("AQ-03", WARNING, f"有需要处理的安全事件：{text}。")
    return CheckResult("AQ-03", PASS, f"安全相关事件已记录：{text}。")


def storage_against_catalog(
    archive, store: PreservationStore, missing: bool = True
) -> list[CheckResult]:
    """WZ-05 orphans (in storage, unknown to the catalog) and, with `missing`,
    WZ-06 (in the catalog, absent from storage)."""
    registered = store.registered_files()
    seen = set()
    out = []
    for key in archive.blobs.list(""):
        seen.add(key)
        if key in registered or storage.known_prefix(key):
            continue
        out.append(CheckResult("WZ-05", FAIL, "存储中有目录不认识的对象（孤立对象）。", None, key))
    for key, (rid, _sha, _size) in sorted(registered.items()) if missing else ():
        if key not in seen:
            out.append(CheckResult("WZ-06", FAIL, "目录登记的对象在存储中不存在。", rid, key))
    if not any(r.item == "WZ-05" for r in out):
        out.append(CheckResult("WZ-05", PASS, f"存储中的 {len(seen)} 个对象都有登记。"))
    if missing and not any(r.item == "WZ-06" for r in out):
        out.append(CheckResult("WZ-06", PASS, f"目录登记的 {len(registered)} 个对象都在存储中。"))
    return out


def archive_checks(archive, store: PreservationStore, missing: bool = True) -> list[CheckResult]:
    """`missing=False` when every record's own checks report its missing objects."""
    return [
        audit_chain(archive),
        *number_runs(store),
        *storage_against_catalog(archive, store, missing),
        security_events(store),
    ]


__all__ = ["archive_checks", "FAIL"]
