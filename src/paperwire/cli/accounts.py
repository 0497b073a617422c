"""The ``paperwire user`` group: ``create EMAIL [--admin]``, ``disable EMAIL``, ``verify EMAIL`` and
``set-password EMAIL`` (the password from standard input).

The password is read from a hidden prompt, or from standard input with ``--password-stdin`` (for
scripts); it is never a command-line argument, which other users of the machine could see in ``ps``."""
from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from paperwire.cli.common import DbOpt, JsonOpt, console, fail, open_context, out

user_app = typer.Typer(help="Manage user accounts (admin).", no_args_is_help=True)


@user_app.command("create")
def create(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address of the new account.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an administrator.")] = False,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an account (email already confirmed), optionally an administrator."""
    from paperwire.services import accounts as svc

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_context(ctx, database_url).store
    try:
        user = svc.sign_up(store, email, password, name or None, is_admin=admin, verified=True)
    except svc.AccountError as err:
        raise fail(err.message) from None
    if as_json:
        out.print_json(json.dumps({"id": user.pk, "email": user.email, "admin": user.is_admin}))
    else:
        console.print(f"created {'admin ' if admin else ''}user {user.email} (id {user.pk})", highlight=False)


@user_app.command("disable")
def disable(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address of the account.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the account again instead.")] = False,
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Disable an account: it cannot log in or use API tokens, and its sessions end at once."""
    from paperwire.services import accounts as svc

    store = open_context(ctx, database_url).store
    try:
        user = svc.set_disabled(store, email, not enable)
    except svc.AccountError as err:
        raise fail(err.message) from None
    if as_json:
        out.print_json(json.dumps({"id": user.pk, "email": user.email, "disabled": user.is_disabled}))
    else:
        console.print(f"user {user.email} is {'disabled' if user.is_disabled else 'enabled'}", highlight=False)


@user_app.command("verify")
def verify(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address of the account.")],
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Mark an account's email as confirmed (for instances that send no email, or a lost confirmation)."""
    from paperwire.services import accounts as svc

    store = open_context(ctx, database_url).store
    try:
        user = svc.mark_verified(store, email)
    except svc.AccountError as err:
        raise fail(err.message) from None
    if as_json:
        out.print_json(json.dumps({"id": user.pk, "email": user.email, "verified": user.verified}))
    else:
        console.print(f"user {user.email} is confirmed", highlight=False)


@user_app.command("set-password")
def set_password(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="Email address of the account.")],
    database_url: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an account's password, read from standard input (one line); its sessions and API tokens end."""
    from paperwire.services import accounts as svc

    password = sys.stdin.readline().rstrip("\r\n")
    store = open_context(ctx, database_url).store
    try:
        user = svc.set_password(store, email, password)
    except svc.AccountError as err:
        raise fail(err.message) from None
    if as_json:
        out.print_json(json.dumps({"id": user.pk, "email": user.email, "password": "set"}))
    else:
        console.print(f"new password set for {user.email}; its sessions and API tokens have ended", highlight=False)
