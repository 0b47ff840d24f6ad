"""Create, list and revoke an organisation's API tokens from the command line.

    manage.py api_token create --org csg-zhongshan --name 调度系统 \
        --scope work_items:read --scope work_items:write --by admin
    manage.py api_token list --org csg-zhongshan
    manage.py api_token revoke --prefix zsp_AbCdEfGh --by admin

`create` prints the token once; only its SHA-256 digest is stored.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workgroups.api_tokens import api_token_create, api_token_revoke, scopes_allowed
from workgroups.models import ApiToken, Organization, User


class Command(BaseCommand):
    help = "Create, list or revoke API tokens of an organisation (docs/api.md)."

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
        listing = sub.add_parser("list", help="List an organisation's tokens.")
        listing.add_argument("--org", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its visible prefix.")
        revoke.add_argument("--prefix", required=True)
        revoke.add_argument("--by", required=True)

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
        )
        self.stderr.write(f"Token for {organization} ({', '.join(token.scopes)}); shown once:")
        self.stdout.write(plaintext)

    def _list(self, *, org, **_options) -> None:
        for token in ApiToken.objects.filter(organization=self._org(org)):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.prefix}…  {token.name}  [{' '.join(token.scopes)}]  {state}, "
                f"last used {used}"
            )

    def _revoke(self, *, prefix, by, **_options) -> None:
        tokens = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True)[:2])
        if len(tokens) != 1:
            raise CommandError(f"{len(tokens)} active tokens have the prefix {prefix!r}.")
        api_token_revoke(actor=self._user(by), token=tokens[0])
        self.stdout.write(f"Revoked {prefix}…")
