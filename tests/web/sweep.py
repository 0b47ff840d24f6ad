"""The odd-input sweep's machinery: a crawler that finds the pages a signed-in person reaches,
the forms on them and the query parameters of their links, and probes that send each field
NUL and an extreme value and leave the database as it was.

Pages are found from the parameterless routes of the URL map and the links of every page
visited, so a form or a query parameter added later is swept without a change here.
"""

import copy
import dataclasses
import itertools
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RoutePattern

NUL = "a\x00b"
BIG = "9999999999999999999999"  # past bigint
TEN_TO_30 = "1" + "0" * 30
LONG = "x" * 100_000
# An extreme value per kind of field (what its input type or default value looks like);
# a field of no particular kind gets each of ANY in turn.
MONTHS = ("9999-12", "0000-01")
DATES = ("10000-01-01", "0000-01-01")
NUMBERS = (BIG, "-1", TEN_TO_30)
ANY = (BIG, LONG, "-1", "9999-12", TEN_TO_30, "0000-01", "10000-01-01")

# Never followed: other languages (the same views), static files, the API (its own sweep,
# tests/api/test_odd_input.py), the probes, and ways out of the session.
SKIPPED_PREFIXES = ("/en/", "/static/", "/media/", "/api/", "/healthz", "/readyz", "/metrics")
SKIPPED_VIEWS = {"logout", "admin:logout", "admin:view_on_site", "admin:jsi18n", "set_language"}
# Input types whose value a person does not type (a button is sent as the form's action).
UNTYPED = {"submit", "button", "reset", "image", "file"}
# The framework's own fields: the CSRF token (a wrong one is a 403 before any view), an admin
# formset's management numbers and its empty template row.
FRAMEWORK = re.compile(r"^csrfmiddlewaretoken$|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$|__prefix__")
# The admin changelist's own parameters, the same code for every model: probed once.
ADMIN_GENERIC = {"o", "p", "_facets", "all", "e", "_popup", "_to_field", "_changelist_filters"}

_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")
_MONTH = re.compile(r"\d{4}-\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The title of a page showing its error summary, in either language: said once.
_ERROR_TITLE = re.compile(r"<title>\s*(错误：|Error:)\s*(?!错误：|Error:)")


def shape(text: str) -> str:
    """`text` with its ids (UUIDs, numbers) blanked out."""
    return _IDS.sub("#", text)


def view_name(path: str) -> str:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return path
    return match.view_name or match.route


def followed(path: str) -> bool:
    if not path.startswith("/") or path.startswith(SKIPPED_PREFIXES):
        return False
    return view_name(path) not in SKIPPED_VIEWS


@dataclasses.dataclass
class Target:
    """Where odd input goes: a form (POST) or a page's query string (GET), the values a
    browser sends untouched, and the fields to probe with what kind of input each takes."""

    method: str
    url: str
    defaults: dict[str, list[str]]
    kinds: dict[str, str]

    @property
    def admin(self) -> bool:
        return view_name(self.url).startswith("admin:")

    @property
    def key(self) -> tuple:
        """The same form for another object (or another case's numbered prefix) is one."""
        where = view_name(self.url) if self.method == "get" else shape(self.url)
        if self.admin:
            where = where.replace("/add/", "/#/change/")
        return (self.method, where, tuple(sorted(shape(f) for f in self.kinds)))

    def field_key(self, name: str) -> tuple:
        if self.method == "get" and self.admin and name in ADMIN_GENERIC:
            return ("admin", name)
        return (self.key[:2], shape(name))


class _PageParser(HTMLParser):
    """Links, and forms with their fields (a field may sit outside its form: `form="id"`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._by_id: dict[str, dict] = {}
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs_list):
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "action": attrs.get("action", ""),
                "method": (attrs.get("method") or "get").lower(),
                "fields": {},  # name -> {"kind", "values", "options"}
            }
            self.forms.append(self._form)
            if attrs.get("id"):
                self._by_id[attrs["id"]] = self._form
        elif tag in ("input", "button", "select", "textarea"):
            self._field(tag, attrs)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            self._select["options"].append(value)
            if "selected" in attrs:
                self._select["values"].append(value)

    def _field(self, tag: str, attrs: dict) -> None:
        form = self._by_id.get(attrs["form"]) if attrs.get("form") else self._form
        name = attrs.get("name")
        if form is None or not name:
            return
        kind = tag if tag in ("select", "textarea") else attrs.get("type", "").lower()
        kind = kind or ("submit" if tag == "button" else "text")
        field = form["fields"].setdefault(name, {"kind": kind, "values": [], "options": []})
        value = attrs.get("value", "")
        if kind in ("checkbox", "radio"):
            field["options"].append(value or "on")
            if "checked" in attrs:
                field["values"].append(value or "on")
        elif kind in UNTYPED:
            field["options"].append(value)
        elif tag == "select":
            self._select = field
        elif tag == "textarea":
            self._textarea = field
            field["values"].append("")
        else:
            field["values"].append(value)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["values"][-1] += data


def _defaults(fields: dict) -> dict[str, list[str]]:
    """What the browser sends untouched, with a choice made where the page offers one (so the
    form is as close to valid as it gets, and one odd value reaches the services behind it)."""
    data: dict[str, list[str]] = {}
    submit = next((n for n, f in fields.items() if f["kind"] in ("submit", "image")), None)
    for name, field in fields.items():
        kind = field["kind"]
        if kind in UNTYPED:
            if name == submit and field["options"]:
                data[name] = [field["options"][0]]
        elif kind == "checkbox":
            if field["values"]:
                data[name] = list(field["values"])
        elif kind in ("radio", "select"):
            chosen = field["values"] or [o for o in field["options"] if o][:1]
            if chosen:
                data[name] = chosen
        else:
            data[name] = list(field["values"])
    return data


def _kinds(fields: dict) -> dict[str, str]:
    return {
        name: field["kind"]
        for name, field in fields.items()
        if field["kind"] not in UNTYPED and not FRAMEWORK.search(name)
    }


def _params(query: str) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return params


def parameterless_routes() -> list[str]:
    """Every path of the URL map without a parameter (in the default language)."""
    paths: list[str] = []

    def walk(patterns: Iterable, prefix: str) -> None:
        for pattern in patterns:
            route = pattern.pattern
            if isinstance(route, LocalePrefixPattern):
                part = route.language_prefix
            elif isinstance(route, RoutePattern) and not route.converters:
                part = str(route)
            else:
                continue  # a parameter (or a regular expression): reached through links
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + part)
            elif isinstance(pattern, URLPattern):
                paths.append("/" + prefix + part)

    walk(get_resolver().url_patterns, "")
    return [path for path in paths if followed(path)]


def probe(client: Client, method: str, url: str, data) -> object:
    """One request whose writes are undone (a savepoint rolled back, so a PostgreSQL error
    cannot poison the test's transaction) and whose cookies are put back (a probe that signs
    out or switches the language leaves the next one as it was)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        response = getattr(client, method)(url, data)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def _pages_per_view(name: str) -> int:
    # The admin's pages of one model hold the same forms; a staff or applicant page shows
    # other forms for a case in another state.
    return 1 if name.startswith("admin:") else 8


def crawl(client: Client, start: Iterable[str], *, limit: int = 250) -> list[Target]:
    """Breadth first from `start`: a few pages of each view, at most `limit` pages in all.
    Returns each distinct form and query string found."""
    targets: dict[tuple, Target] = {}
    queue = list(dict.fromkeys(start))
    visited: set[str] = set()
    per_view: dict[str, int] = {}
    pages = 0
    while queue and pages < limit:
        url = queue.pop(0)
        name = view_name(url)
        if url in visited or per_view.get(name, 0) >= _pages_per_view(name):
            continue
        visited.add(url)
        per_view[name] = per_view.get(name, 0) + 1
        response = probe(client, "get", url, None)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        parser = _PageParser()
        parser.feed(response.content.decode(errors="replace"))
        for href in parser.links:
            parts = urlsplit(urljoin(url, href))
            if parts.netloc or not followed(parts.path):
                continue
            queue.append(parts._replace(fragment="").geturl())
            params = _params(parts.query)
            if params:
                target = Target("get", parts.path, params, dict.fromkeys(params, "text"))
                targets.setdefault(target.key, target)
        for form in parser.forms:
            parts = urlsplit(urljoin(url, form["action"]) if form["action"] else url)
            if parts.netloc or not followed(parts.path):
                continue
            kinds = _kinds(form["fields"])
            if form["method"] == "get":
                params = {**_params(parts.query), **_defaults(form["fields"])}
                kinds = {**dict.fromkeys(_params(parts.query), "text"), **kinds}
                target = Target("get", parts.path, params, kinds)
            else:
                target = Target("post", parts.geturl(), _defaults(form["fields"]), kinds)
            if target.kinds:
                targets.setdefault(target.key, target)
    return list(targets.values())


@dataclasses.dataclass(frozen=True)
class Finding:
    """A probe answered wrongly: a server error, a NUL not refused with a 400, or a page with
    an error summary whose title does not begin with "Error:"."""

    method: str
    url: str
    field: str
    value: str
    status: int

    def __str__(self) -> str:
        value = self.value if len(self.value) < 40 else f"{self.value[:10]}... ({len(self.value)})"
        return f"{self.method.upper()} {self.url} {self.field}={value!r} -> {self.status}"


@dataclasses.dataclass
class Sweep:
    """Sends every field of every target NUL and an extreme value for its kind, once per
    distinct field (whoever reaches it first), and keeps what answered wrongly.

    NUL is refused before any view reads a field (core/input_guard.py), so a target's fields
    get it all at once, one request; one by one only when that answers wrongly, to name the
    field. The extremes go one field at a time, since a refusal of one field would hide what
    another does, except in the admin, whose forms and filters are Django's, each field
    cleaned on its own: there they go all at once too.
    """

    client: Client
    findings: list[Finding] = dataclasses.field(default_factory=list)
    requests: int = 0
    _done: set = dataclasses.field(default_factory=set)
    _turn: itertools.count = dataclasses.field(default_factory=itertools.count)

    def run(self, targets: Iterable[Target]) -> None:
        for target in targets:
            names = [n for n in target.kinds if self._first(target.field_key(n))]
            if not names:
                continue
            odd = {name: self._extremes(target, name) for name in names}
            self._together(target, dict.fromkeys(names, NUL))
            if target.admin:
                self._together(target, {name: values[0] for name, values in odd.items()})
                continue
            for name in names:
                for value in odd[name]:
                    self._one(target, name, value)

    def _first(self, key: tuple) -> bool:
        if key in self._done:
            return False
        self._done.add(key)
        return True

    def _extremes(self, target: Target, name: str) -> tuple[str, ...]:
        kind, default = target.kinds[name], (target.defaults.get(name) or [""])[0]
        if kind == "month" or _MONTH.fullmatch(default):
            return MONTHS
        if kind == "date" or _DATE.fullmatch(default):
            return DATES
        turn = next(self._turn)
        if kind == "number" or default.isdigit():
            return (NUMBERS[turn % len(NUMBERS)],)
        return (ANY[turn % len(ANY)],)

    def _wrong(self, status: int, value: str) -> bool:
        return status >= 500 or (value == NUL and status != 400)

    def _send(self, target: Target, values: dict[str, str]) -> int:
        data = {**target.defaults, **{name: [value] for name, value in values.items()}}
        self.requests += 1
        response = probe(self.client, target.method, target.url, data)
        self._title_says_error(target, response)
        return response.status_code

    def _title_says_error(self, target: Target, response) -> None:
        """A page that came back with its error summary says so first in its title, which a
        screen reader reads out before anything else (WCAG 3.3.1)."""
        if "html" not in response.get("Content-Type", ""):
            return
        html = response.content.decode(errors="replace")
        summary = "data-error-summary" in html and not _ERROR_TITLE.search(html)
        if summary and self._first(("title", target.key)):
            status = response.status_code
            self.findings.append(
                Finding(target.method, target.url, "<title>", "without 'Error:'", status)
            )

    def _one(self, target: Target, name: str, value: str) -> None:
        status = self._send(target, {name: value})
        if self._wrong(status, value):
            self.findings.append(Finding(target.method, target.url, name, value, status))

    def _together(self, target: Target, values: dict[str, str]) -> None:
        status = self._send(target, values)
        if any(self._wrong(status, value) for value in values.values()):
            found = len(self.findings)
            for name, value in values.items():
                self._one(target, name, value)
            if len(self.findings) == found:  # wrong only all together
                value = " | ".join(sorted(set(values.values())))
                self.findings.append(Finding(target.method, target.url, "*", value, status))
