"""Chinese first, English second: the zh_Hans catalogue is complete, its committed .mo matches the
.po, and the home page answers in Chinese at `/` and in English at `/en/`."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils.html import escape

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "portal" / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}

# Known strings of the home page (templates/base.html, templates/portal/home.html).
PORTAL_NAME = "Zhongshan Utility Connection Portal"
HOME_HEADING = "Power, water, gas, network and cable TV: one request"

# --- A tiny .po reader: enough for the files makemessages writes (no polib in the tests). ------

_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])?\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
# Python format placeholders: %(name)s, %s, %d, and str.format's {name}.
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def parse_po(path: Path) -> list[dict]:
    """Entries as dicts: msgctxt, msgid, msgid_plural, msgstr ({index: text}), flags.

    The header (empty msgid) and obsolete (#~) entries are left out.
    """
    entries = []
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8")):
        entry: dict = {"flags": set(), "msgstr": {}}
        target = None
        obsolete = False
        for line in block.splitlines():
            if line.startswith("#~"):
                obsolete = True
            elif line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif match := _KEYWORD.match(line):
                keyword, index, text = match.groups()
                if keyword == "msgstr":
                    target = ("msgstr", int(index or 0))
                    entry["msgstr"][target[1]] = _unescape(text)
                else:
                    target = (keyword, None)
                    entry[keyword] = _unescape(text)
            elif (match := _CONTINUATION.match(line)) and target:
                keyword, index = target
                if keyword == "msgstr":
                    entry["msgstr"][index] += _unescape(match.group(1))
                else:
                    entry[keyword] += _unescape(match.group(1))
        if "msgid" in entry and not obsolete and (entry["msgid"] or entry.get("msgctxt")):
            entries.append(entry)
    return entries


def _label(entry: dict) -> str:
    return repr(entry["msgid"]) + (f" (context {entry['msgctxt']!r})" if "msgctxt" in entry else "")


@pytest.fixture(scope="module")
def zh_entries() -> list[dict]:
    assert ZH_PO.exists(), f"{ZH_PO.relative_to(BASE_DIR)} is missing"
    entries = parse_po(ZH_PO)
    assert len(entries) > 100, "the zh_Hans catalogue looks empty: run `make messages`"
    return entries


def test_the_zh_hans_catalogue_has_no_untranslated_entry(zh_entries):
    untranslated = [
        _label(e) for e in zh_entries if not e["msgstr"] or not all(e["msgstr"].values())
    ]
    assert not untranslated, (
        f"{len(untranslated)} untranslated msgid(s) in {ZH_PO.relative_to(BASE_DIR)}:\n"
        + "\n".join(untranslated)
    )


def test_the_zh_hans_catalogue_has_no_fuzzy_entry(zh_entries):
    fuzzy = [_label(e) for e in zh_entries if "fuzzy" in e["flags"]]
    assert not fuzzy, (
        f"{len(fuzzy)} fuzzy entr(y/ies) in {ZH_PO.relative_to(BASE_DIR)} (re-translate them and "
        "remove the flag; gettext ignores fuzzy translations):\n" + "\n".join(fuzzy)
    )


def test_the_zh_hans_translations_keep_every_placeholder(zh_entries):
    broken = []
    for entry in zh_entries:
        source = entry.get("msgid_plural", entry["msgid"])
        expected = sorted(_PLACEHOLDER.findall(source))
        for index, text in entry["msgstr"].items():
            if text and sorted(_PLACEHOLDER.findall(text)) != expected:
                broken.append(f"{_label(entry)} msgstr[{index}] = {text!r}")
    assert not broken, "placeholders differ from the msgid:\n" + "\n".join(broken)


# --- The committed .mo files are what the .po files compile to. ----------------------------------


@pytest.fixture(scope="module")
def msgfmt() -> str:
    path = shutil.which("msgfmt")
    if path is None:
        message = "msgfmt (GNU gettext) is not installed: apt-get install gettext"
        if IN_CI:
            pytest.fail(f"{message} (.ci/run installs it; CI requires this check)")
        pytest.skip(message)
    return path


def _catalog(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_committed_mo_file_is_up_to_date(language, msgfmt, tmp_path):
    po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(BASE_DIR)} is missing: run `make messages`"
    fresh = tmp_path / "django.mo"
    # The same call as `manage.py compilemessages`.
    result = subprocess.run(  # noqa: S603 - fixed argv
        [msgfmt, "--check-format", "-o", str(fresh), str(po)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"msgfmt rejects {po.relative_to(BASE_DIR)}:\n{result.stderr}"
    # Compare the catalogues, not the bytes: gettext versions lay the file out differently.
    assert _catalog(mo) == _catalog(fresh), (
        f"{mo.relative_to(BASE_DIR)} is stale: run `manage.py compilemessages` (or `make messages`)"
    )


# --- The pages speak Chinese first, English on request. -----------------------------------------


def _translation(entries: list[dict], msgid: str) -> str:
    for entry in entries:
        if entry["msgid"] == msgid and "msgctxt" not in entry:
            return entry["msgstr"][0]
    raise AssertionError(f"{msgid!r} is not in {ZH_PO.relative_to(BASE_DIR)}: run `make messages`")


@pytest.mark.django_db
def test_the_home_page_is_chinese_at_the_root_and_english_under_en(client, zh_entries):
    chinese = client.get("/")
    assert chinese.status_code == 200
    assert chinese.headers["Content-Language"] == "zh-hans"
    page = chinese.content.decode()
    assert '<html lang="zh-hans">' in page
    for msgid in (PORTAL_NAME, HOME_HEADING):
        translated = _translation(zh_entries, msgid)
        assert re.search(r"[\u4e00-\u9fff]", translated), f"{msgid!r} is not in Chinese"
        assert escape(translated) in page
        assert msgid not in page

    english = client.get("/en/")
    assert english.status_code == 200
    assert english.headers["Content-Language"] == "en"
    page = english.content.decode()
    assert '<html lang="en">' in page
    for msgid in (PORTAL_NAME, HOME_HEADING):
        assert escape(msgid) in page
        assert escape(_translation(zh_entries, msgid)) not in page
