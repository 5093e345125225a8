"""CLI commands for people and systems: user accounts and API tokens.

The command line is the local administrator's tool (it has the data directory);
the web UI and the HTTP API check roles on every request."""

from __future__ import annotations

import argparse
import getpass
import sys

from dangan.cli_common import open_archive, print_json


def _accounts(archive):
    from dangan.access.store import AccountPolicy, SqliteAccountStore

    return SqliteAccountStore(archive.catalog, AccountPolicy.from_settings(archive.settings))


def _actor() -> str:
    """Who did it from the command line: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _log(archive, action: str, target: str, **detail) -> None:
    archive.audit.append(_actor(), action, target, **detail)


def _read_password(args: argparse.Namespace) -> str:
    from dangan.access.store import AccessError

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise AccessError("两次输入的密码不一致。")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    password = _read_password(args)
    with open_archive() as archive:
        _accounts(archive).add_user(
            args.username, args.display_name or "", set(args.role), password
        )
        _log(archive, "user.add", args.username, roles=sorted(args.role))
    print(f"已创建用户 {args.username}（角色：{'、'.join(args.role)}）。")
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        users = _accounts(archive).list_users()
    if args.json:
        print_json({"users": users})
    else:
        for u in users:
            state = "（已停用）" if u["disabled"] else ""
            print(f"{u['username']:<16} {u['display_name']:<10} {u['roles']}{state}")
    return 0


def cmd_users_disable(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        _accounts(archive).set_disabled(args.username, True)
        _log(archive, "user.disable", args.username)
    print(f"用户 {args.username} 已停用，其登录会话已结束。")
    return 0


def cmd_users_enable(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        _accounts(archive).set_disabled(args.username, False)
        _log(archive, "user.enable", args.username)
    print(f"用户 {args.username} 已启用。")
    return 0


def cmd_users_reset_password(args: argparse.Namespace) -> int:
    from dangan.access.passwords import generate_password

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else generate_password()
    with open_archive() as archive:
        _accounts(archive).reset_password(args.username, password)
        _log(archive, "user.password_reset", args.username)
    if args.password_stdin:
        print(f"用户 {args.username} 的密码已重置，下次登录时须修改。")
    else:
        print(f"用户 {args.username} 的临时密码：{password}\n请当面交给本人；下次登录时须修改。")
    return 0


def cmd_users_roles(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        before = _accounts(archive).set_roles(args.username, set(args.role))
        _log(archive, "user.roles", args.username, before=before, after=sorted(args.role))
    print(f"用户 {args.username} 的角色已改为：{'、'.join(sorted(args.role))}。")
    return 0


def cmd_users_unlock(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        _accounts(archive).unlock(args.username)
        _log(archive, "user.unlock", args.username)
    print(f"用户 {args.username} 的登录锁定已解除。")
    return 0


def cmd_tokens_issue(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        token_id, token = _accounts(archive).issue_token(args.name, args.role, _actor())
        _log(archive, "token.issue", f"token:{token_id}", role=args.role)
    if args.json:
        print_json({"id": token_id, "token": token, "role": args.role})
    else:
        print(
            f"令牌 {token_id}（{args.name}，角色 {args.role}）：\n{token}\n请妥善保存，之后无法再次查看。"
        )
    return 0


def cmd_tokens_list(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        tokens = _accounts(archive).list_tokens()
    if args.json:
        print_json({"tokens": tokens})
    else:
        for t in tokens:
            state = f"已吊销 {t['revoked_at']}" if t["revoked_at"] else "有效"
            print(f"{t['id']:>4} {t['name']:<20} {t['role']:<10} {state}")
    return 0


def cmd_tokens_revoke(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        _accounts(archive).revoke_token(args.id)
        _log(archive, "token.revoke", f"token:{args.id}")
    print(f"令牌 {args.id} 已吊销。")
    return 0


def _webhooks(archive):
    from dangan.events import Webhooks

    return Webhooks(archive.catalog, allow=archive.settings.webhook_allow)


def cmd_webhooks_add(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        hook_id, secret = _webhooks(archive).add(args.url, args.event)
    if args.json:
        print_json({"id": hook_id, "secret": secret})
    else:
        print(
            f"已登记回调 {hook_id}：{args.url}\n签名密钥（X-Dangan-Signature 用 HMAC-SHA256）：{secret}"
        )
    return 0


def cmd_webhooks_list(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        hooks = _webhooks(archive).list()
    if args.json:
        print_json({"webhooks": hooks})
    else:
        for h in hooks:
            state = "已停用" if h["disabled"] else "启用"
            print(
                f"{h['id']:>3} {state} {h['url']}  {','.join(h['events'])}"
                f"  已送达 {h['delivered'] or 0} 待重试 {h['pending'] or 0} 失败 {h['failed'] or 0}"
            )
    return 0


def cmd_webhooks_remove(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        _webhooks(archive).remove(args.id)
    print(f"回调 {args.id} 已停用。")
    return 0


def cmd_webhooks_deliver(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        counts = _webhooks(archive).deliver_due()
    print(f"送达 {counts['delivered']} 个事件，失败 {counts['failed']} 个（稍后重试）。")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        result = archive.audit.verify()
    if args.json:
        print_json(vars(result))
    elif result.ok:
        print(f"审计日志完整：共 {result.entries} 条，哈希链校验通过。")
    else:
        print(f"审计日志被改动：{result.problem}", file=sys.stderr)
    return 0 if result.ok else 10


def cmd_audit_rotate_key(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        kid = archive.audit.rotate_key()
        where = archive.audit.keys.root
    print(f"已启用新的审计签名密钥 {kid}（{where}）；旧密钥保留，用于校验旧日志。请备份密钥目录。")
    return 0


def cmd_audit_log(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        items = archive.audit.entries(
            actor=args.actor, action=args.action, subject=args.subject, limit=args.limit
        )
    if args.json:
        print_json({"entries": items})
    else:
        for e in items:
            print(
                f"{e['seq']:>6} {e['at'][:19]} {e['actor']:<12} {e['action']:<16} {e['target'] or ''}"
            )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from dangan.access.roles import ADMINISTRATORS, ROLES

    human = [r for r in ROLES if r != "system"]
    p = sub.add_parser("users", help="用户账号")
    usub = p.add_subparsers(dest="users_command", required=True)
    q = usub.add_parser("add", help="新建用户")
    q.add_argument("username")
    q.add_argument("--role", action="append", required=True, choices=human, help="可多次指定")
    q.add_argument("--display-name", help="姓名")
    q.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    q.set_defaults(func=cmd_users_add)
    q = usub.add_parser("list", help="列出用户")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_users_list)
    for name, func, text in (
        ("disable", cmd_users_disable, "停用用户（立即结束其会话）"),
        ("enable", cmd_users_enable, "启用用户"),
        ("unlock", cmd_users_unlock, "解除登录失败造成的锁定"),
    ):
        q = usub.add_parser(name, help=text)
        q.add_argument("username")
        q.set_defaults(func=func)
    q = usub.add_parser("reset-password", help="重置密码（下次登录须修改）")
    q.add_argument("username")
    q.add_argument("--password-stdin", action="store_true", help="从标准输入读取；否则随机生成")
    q.set_defaults(func=cmd_users_reset_password)
    q = usub.add_parser("roles", help="调整角色（三员角色不能兼任）")
    q.add_argument("username")
    q.add_argument("--role", action="append", required=True, choices=human, help="可多次指定")
    q.set_defaults(func=cmd_users_roles)

    p = sub.add_parser("tokens", help="业务系统的 API 令牌")
    tsub = p.add_subparsers(dest="tokens_command", required=True)
    q = tsub.add_parser("issue", help="签发令牌")
    q.add_argument("name", help="令牌用途，如 业务经办系统")
    q.add_argument(
        "--role", default="system", choices=[r for r in ROLES if r not in ADMINISTRATORS]
    )
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_tokens_issue)
    q = tsub.add_parser("list", help="列出令牌")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_tokens_list)
    q = tsub.add_parser("revoke", help="吊销令牌")
    q.add_argument("id", type=int)
    q.set_defaults(func=cmd_tokens_revoke)

    from dangan.events import EVENT_KINDS

    p = sub.add_parser("webhooks", help="事件回调（归档、销毁）到业务系统")
    wsub = p.add_subparsers(dest="webhooks_command", required=True)
    q = wsub.add_parser("add", help="登记回调地址")
    q.add_argument("url")
    q.add_argument("--event", action="append", required=True, choices=EVENT_KINDS)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_webhooks_add)
    q = wsub.add_parser("list", help="列出回调及送达情况")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_webhooks_list)
    q = wsub.add_parser("remove", help="停用回调")
    q.add_argument("id", type=int)
    q.set_defaults(func=cmd_webhooks_remove)
    p = sub.add_parser("audit", help="审计日志")
    asub = p.add_subparsers(dest="audit_command", required=True)
    q = asub.add_parser("verify", help="校验哈希链：发现被改动或删除的日志")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_audit_verify)
    q = asub.add_parser("log", help="查看审计日志（新的在前）")
    q.add_argument("--actor")
    q.add_argument("--action")
    q.add_argument("--subject", help="公民身份号码或姓名（按密钥哈希查找）")
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_audit_log)
    q = asub.add_parser("rotate-key", help="更换审计日志签名密钥（旧密钥保留，用于校验旧日志）")
    q.set_defaults(func=cmd_audit_rotate_key)

    q = wsub.add_parser("deliver", help="立即投递到期的事件（服务运行时会自动投递）")
    q.set_defaults(func=cmd_webhooks_deliver)
