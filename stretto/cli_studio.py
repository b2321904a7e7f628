"""``stretto studio DIR``: edit a project by constraints in the browser (registered by
:mod:`stretto.cli`). Parsing and printing only: the app is :func:`stretto.studio.create_app`.

Loopback only by default (``127.0.0.1``); with ``--host`` the studio prints a token that
every request must carry (the printed URL holds it)."""

from __future__ import annotations

import argparse
import ipaddress
import secrets
import socket

from stretto import cli_args
from stretto.errors import BadInput


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def cmd_studio(args: argparse.Namespace) -> int:
    from stretto.studio import create_app
    from stretto.studio.guard import LOOPBACK

    try:
        import uvicorn
    except ImportError:
        raise BadInput("the studio needs its extra: pip install -e '.[studio]'") from None
    loopback = is_loopback(args.host)
    token = None if loopback else secrets.token_urlsafe(24)
    hosts = tuple(dict.fromkeys((*LOOPBACK, args.host))) if loopback else None
    app = create_app(args.dir, token=token, allowed_hosts=hosts, solve_limit=args.solve_limit)
    port = args.port or _free_port(args.host)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"stretto studio on {args.dir}: open {url}", flush=True)
    if token:
        print("listening beyond this machine: every request needs the token in that URL "
              "(or the X-Stretto-Token header); anyone with it can edit the project",
              flush=True)
    print("press Ctrl+C to stop", flush=True)
    uvicorn.run(app, host=args.host, port=port, log_level="warning", access_log=False)
    return 0


def add_parsers(sub) -> None:
    """Register ``studio`` on the main parser's subparsers."""
    p = sub.add_parser("studio", help="edit a project in the browser: see the score, click a "
                       "note, pin it, hear it")
    p.add_argument("dir", help="project folder (written by stretto species, harmonize or "
                   "compose)")
    p.add_argument("--port", type=cli_args.port, default=8765,
                   help="default 8765 (0: a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; any "
                   "other prints a token every request must carry)")
    p.add_argument("--solve-limit", type=cli_args.seconds("solve-limit", 0.1, 600.0),
                   default=20.0,
                   help="longest solve one edit may start, in seconds (default 20, or the "
                   "project's own limit when shorter)")
    p.set_defaults(func=cmd_studio)


__all__ = ["add_parsers", "is_loopback"]
