"""``heard users``: local accounts from the command line.

    heard users add NAME --role agent [--role supervisor ...] [--name "Display"] [--password-stdin]
    heard users remove NAME
    heard users reset NAME [--password-stdin]
    heard users roles NAME --role ...
    heard users list [--json]

Without ``--password-stdin`` a random password is generated and printed once. The
server re-reads accounts on every request: a removal or reset signs the user out at
once, even from another process. Each change is written to the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from app.security.audit import AuditLog
from app.security.cli_common import open_store
from app.security.roles import ROLES
from app.security.users import UserError, UserStore, random_password


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated)."""
    if not from_stdin:
        return random_password(), True
    line = sys.stdin.readline()
    return line.rstrip("\r\n"), False


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard users", description="manage local accounts")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--data-dir", type=Path)
    sub = ap.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="add an account")
    add.add_argument("name")
    add.add_argument("--role", action="append", choices=ROLES, required=True)
    add.add_argument("--name", dest="display_name", default="")
    add.add_argument("--password-stdin", action="store_true")
    rm = sub.add_parser("remove", help="remove an account (its sessions end)")
    rm.add_argument("name")
    reset = sub.add_parser("reset", help="set a new password (its sessions end)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true")
    roles = sub.add_parser("roles", help="replace an account's roles")
    roles.add_argument("name")
    roles.add_argument("--role", action="append", choices=ROLES, required=True)
    ls = sub.add_parser("list", help="list accounts")
    ls.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    store, _settings = open_store(args.config, args.data_dir)
    users, audit = UserStore(store), AuditLog(store)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.cmd == "add":
            password, generated = _password(args.password_stdin)
            users.add(args.name, args.role, password, args.display_name)
            audit.record(actor, "user_add", target_type="user", target_id=args.name,
                         detail={"roles": ",".join(sorted(set(args.role)))})
            print(f"added {args.name} ({', '.join(args.role)})")
            if generated:
                print(f"password: {password}")
        elif args.cmd == "remove":
            if not users.remove(args.name):
                print(f"heard users: no user {args.name!r}", file=sys.stderr)
                return 1
            audit.record(actor, "user_remove", target_type="user", target_id=args.name)
            print(f"removed {args.name}")
        elif args.cmd == "reset":
            password, generated = _password(args.password_stdin)
            users.reset(args.name, password)
            audit.record(actor, "user_reset", target_type="user", target_id=args.name)
            print(f"password reset for {args.name}; their sessions have ended")
            if generated:
                print(f"password: {password}")
        elif args.cmd == "roles":
            users.set_roles(args.name, args.role)
            audit.record(actor, "user_roles", target_type="user", target_id=args.name,
                         detail={"roles": ",".join(sorted(set(args.role)))})
            print(f"{args.name}: {', '.join(args.role)}")
        else:
            rows = users.list()
            if args.json:
                print(json.dumps([{"username": u.username, "roles": sorted(u.roles),
                                   "display_name": u.display_name, "disabled": u.disabled,
                                   "last_login_at": u.last_login_at.isoformat()
                                   if u.last_login_at else None} for u in rows], indent=2))
            else:
                for u in rows:
                    print(f"{u.username:<24} {','.join(sorted(u.roles)):<32} {u.display_name}")
    except UserError as e:
        print(f"heard users: {e}", file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0
