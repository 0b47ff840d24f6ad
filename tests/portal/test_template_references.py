"""Every template a template names (extends, include) exists: a moved partial otherwise only
shows as a 500 on the page that renders it, and Django loads includes at render time."""

import re
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

NAMED = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")


def _template_files() -> list[Path]:
    roots = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    roots += [Path(settings.BASE_DIR) / app / "templates" for app in ("portal", "core")]
    return [p for root in roots if root.is_dir() for p in root.rglob("*.html")]


def test_every_extended_or_included_template_exists():
    files = _template_files()
    assert len(files) > 50  # the project's templates were found
    missing = []
    for path in files:
        for name in NAMED.findall(path.read_text(encoding="utf-8")):
            try:
                get_template(name)
            except TemplateDoesNotExist:
                missing.append(f"{path.name} -> {name}")
    assert not missing, missing
