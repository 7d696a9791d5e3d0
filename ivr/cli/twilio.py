"""`ivr twilio`: the account's numbers, pointing one at the line, and checking it answers as Twilio expects."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from ..deploy.account import AccountError, client_from_env
from ..deploy.numbers import Webhooks, every_number, find, line_url, points_here, update, wanted
from ..deploy.smoke import health, smoke_call


@click.group("twilio")
def twilio_group() -> None:
    """Point the account's numbers at the line (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN or an API key)."""


def _client(ctx: click.Context):
    # The HTTP layer can be replaced (ctx.obj["twilio_http_client"]): Twilio's documented extension point.
    http_client = ctx.obj.get("twilio_http_client") if isinstance(ctx.obj, dict) else None
    return client_from_env(os.environ, http_client)


def _fail(exc: AccountError) -> NoReturn:
    raise click.ClickException(str(exc)) from None


url_option = click.option("--url", "url", required=True, help="The line's public address, https://host.")
fallback_options = [
    click.option("--fallback-url", help="Fallback URL (default: <url>/voice/fallback), e.g. a static fallback."),
    click.option(
        "--fallback-method",
        type=click.Choice(["POST", "GET"], case_sensitive=False),
        default="POST",
        show_default=True,
        help="How Twilio requests the fallback URL.",
    ),
]


def _with_fallback(command):
    for option in reversed(fallback_options):
        command = option(command)
    return command


def _target(url: str, fallback_url: str | None, fallback_method: str, *, local_ok: bool = False):
    base = line_url(url, local_ok=local_ok)
    fallback = line_url(fallback_url, local_ok=local_ok) if fallback_url else None
    return base, wanted(base, fallback, fallback_method)


@twilio_group.command("numbers")
@click.option("--url", help="The line's public address (default: IVR_PUBLIC_URL).")
@click.pass_context
def numbers_command(ctx: click.Context, url: str | None) -> None:
    """List the account's numbers, and whether each one's calls reach the line."""
    try:
        address = url or os.environ.get("IVR_PUBLIC_URL", "").strip()
        base = line_url(address, local_ok=True) if address else None
        found = every_number(_client(ctx))
    except AccountError as exc:
        _fail(exc)
    if not found:
        click.echo("The account has no phone number.")
    for number in found:
        hooks = Webhooks.of(number)
        here = points_here(hooks, base)
        where = (
            (f"calls reach {base}" if base else "calls reach a line like this one")
            if here
            else "calls do NOT reach " + (base or "a line like this one")
        )
        click.echo(f"{number.phone_number}  {number.friendly_name or ''}: {where}")
        for role, method, address in hooks.roles():
            click.echo(f"    {role:<16} {f'{method} {address}'.strip()}")


@twilio_group.command("connect")
@click.argument("number")
@url_option
@_with_fallback
@click.option("--yes", is_flag=True, help="Apply without asking.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.pass_context
def connect_command(
    ctx: click.Context, number: str, url: str, fallback_url: str | None, fallback_method: str, yes: bool, dry_run: bool
) -> None:
    """Point NUMBER's voice webhooks at the line: /voice, the fallback, /voice/status."""
    try:
        _, target = _target(url, fallback_url, fallback_method)
        client = _client(ctx)
        found = find(client, number)
    except AccountError as exc:
        _fail(exc)
    changes = Webhooks.of(found).changes(target)
    if not changes:
        click.echo(f"{found.phone_number} already points at the line: nothing to change.")
        return
    click.echo(f"{found.phone_number}: {len(changes)} change(s)")
    for name, before, after in changes:
        click.echo(f"  {Webhooks.LABELS[name]}: {before or '(none)'} -> {after}")
    if dry_run:
        click.echo("Dry run: nothing changed.")
        return
    if not yes and not click.confirm("Apply these changes?", default=False):
        click.echo("Nothing changed.")
        sys.exit(1)
    try:
        now = update(client, found, target)
    except AccountError as exc:
        _fail(exc)
    left = now.changes(target)
    if left:
        raise click.ClickException(
            "Twilio did not take every change: " + "; ".join(f"{Webhooks.LABELS[n]} is {b}" for n, b, _ in left)
        )
    click.echo(f"Done. Now run: ivr twilio check {found.phone_number} --url {url}")


@twilio_group.command("check")
@click.argument("number")
@url_option
@_with_fallback
@click.pass_context
def check_command(ctx: click.Context, number: str, url: str, fallback_url: str | None, fallback_method: str) -> None:
    """Check NUMBER points at the line, then make a smoke call to the line as Twilio would."""
    try:
        base, target = _target(url, fallback_url, fallback_method, local_ok=True)
        client = _client(ctx)
        found = find(client, number)
    except AccountError as exc:
        _fail(exc)
    live = health(base)
    click.echo(str(live))
    failed = not live.ok
    for (role, method, address), expected in zip(Webhooks.of(found).roles(), target.roles(), strict=True):
        ok = (method, address) == expected[1:]
        click.echo(
            f"{'ok  ' if ok else 'FAIL'}  number's {role}: {f'{method} {address}'.strip()}"
            + ("" if ok else f", expected {expected[1]} {expected[2]}")
        )
        failed |= not ok
    token = os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if not token:
        click.echo("FAIL  smoke call: TWILIO_AUTH_TOKEN is needed to sign requests as Twilio does")
        sys.exit(1)
    for check in smoke_call(base, target, token, client.account_sid, found.phone_number):
        click.echo(str(check))
        failed |= not check.ok
    if failed:
        sys.exit(1)
