"""Create, list, rotate and revoke an organisation's API tokens from the command line.

    manage.py api_token create --org csg-zhongshan --name 调度系统 \
        --scope work_items:read --scope work_items:write --by admin
    manage.py api_token list --org csg-zhongshan
    manage.py api_token rotate --prefix zsp_AbCdEfGh --by admin
    manage.py api_token revoke --prefix zsp_AbCdEfGh --by admin

`create` and `rotate` print the new token once (only its SHA-256 digest is stored). `list`
prints one token per line; its first column is the prefix `rotate` and `revoke` take, and its
times are in the portal's time zone (TIME_ZONE, Asia/Shanghai) with their offset.
"""

import datetime as dt
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workgroups.api_tokens import (
    api_token_create,
    api_token_revoke,
    api_token_rotate,
    scopes_allowed,
)
from workgroups.constants import ApiTokenChannel
from workgroups.models import ApiToken, Organization, User
from workgroups.selectors import api_tokens_of

COLUMNS = ("prefix", "name", "scopes", "state", "created", "expires", "last used")


def when(moment: dt.datetime | None, empty: str = "-") -> str:
    """A time in the portal's zone with its offset, to the minute: 2026-11-30T09:05+08:00."""
    return timezone.localtime(moment).isoformat(timespec="minutes") if moment else empty


def _width(text: str) -> int:
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Columns two spaces apart, padded by display width; the header first."""
    lines = [COLUMNS, *rows]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(COLUMNS))]
    return [
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(line, widths, strict=True)
        ).rstrip()
        for line in lines
    ]


def token_row(token: ApiToken, now: dt.datetime) -> tuple[str, ...]:
    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        state = "expired"
    else:
        state = "active"
    return (
        token.prefix,
        token.name,
        ",".join(token.scopes),
        state,
        when(token.created_at),
        when(token.expires_at, "never"),
        when(token.last_used_at, "never"),
    )


class Command(BaseCommand):
    help = "Create, list, rotate or revoke API tokens of an organisation (docs/api.md)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--org", required=True, help="Organisation code.")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--scope",
            action="append",
            default=[],
            help="Repeat for each scope; omit for every scope the organisation may have.",
        )
        create.add_argument("--expires-days", type=int, default=None)
        create.add_argument("--by", required=True, help="User name of the person creating it.")
        listing = sub.add_parser(
            "list",
            help="List an organisation's tokens (the prefix column is what "
            "`rotate` and `revoke` take).",
        )
        listing.add_argument("--org", required=True)
        for name, text in (
            ("rotate", "Replace a token by a new one (printed once) and revoke it."),
            ("revoke", "Revoke a token by its prefix (the first column of `list`)."),
        ):
            command = sub.add_parser(name, help=text)
            command.add_argument("--prefix", required=True)
            command.add_argument("--by", required=True)

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(exc) from exc

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc

    def _org(self, code: str) -> Organization:
        try:
            return Organization.objects.get(code=code)
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organisation {code!r}.") from exc

    def _active_token(self, prefix: str) -> ApiToken:
        # Forgiving about what a copy from an older listing brings along ("zsp_AbCdEfGh…").
        prefix = prefix.strip().rstrip("…").rstrip(".")
        tokens = list(
            ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True).select_related(
                "organization"
            )[:2]
        )
        if len(tokens) != 1:
            raise CommandError(
                f"{len(tokens)} active tokens have the prefix {prefix!r} "
                "(see the first column of `api_token list --org ...`)."
            )
        return tokens[0]

    def _create(self, *, org, name, scope, expires_days, by, **_options) -> None:
        organization = self._org(org)
        expires = (
            timezone.now() + dt.timedelta(days=expires_days) if expires_days is not None else None
        )
        token, plaintext = api_token_create(
            actor=self._user(by),
            organization=organization,
            name=name,
            scopes=scope or sorted(scopes_allowed(organization)),
            expires_at=expires,
            via=ApiTokenChannel.COMMAND,
        )
        self.stderr.write(f"Token for {organization} ({', '.join(token.scopes)}); shown once:")
        self.stdout.write(plaintext)

    def _list(self, *, org, **_options) -> None:
        now = timezone.now()
        rows = [token_row(token, now) for token in api_tokens_of(organization=self._org(org))]
        for line in table(rows):
            self.stdout.write(line)

    def _rotate(self, *, prefix, by, **_options) -> None:
        old = self._active_token(prefix)
        token, plaintext = api_token_rotate(
            actor=self._user(by), token=old, via=ApiTokenChannel.COMMAND
        )
        self.stderr.write(f"{old.prefix} revoked; its replacement {token.prefix}, shown once:")
        self.stdout.write(plaintext)

    def _revoke(self, *, prefix, by, **_options) -> None:
        token = self._active_token(prefix)
        api_token_revoke(actor=self._user(by), token=token, via=ApiTokenChannel.COMMAND)
        self.stdout.write(f"Revoked {token.prefix} ({token.name}, {token.organization}).")
