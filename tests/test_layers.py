"""The house's layers (docs/architecture.md): imports and table reads run down only.

portal -> indicators -> notifications -> coordination -> applications -> workgroups -> core
A module may import its own app and any app below it; never one above, and its SQL never names
a table of an app above it (Django names tables `<app label>_<model>`).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core",
    "workgroups",
    "applications",
    "coordination",
    "notifications",
    "indicators",
    "portal",
]
RANK = {app: rank for rank, app in enumerate(LAYERS)}


def _modules(app: str) -> list[Path]:
    folder = ROOT / app
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & set(LAYERS)


def _sql_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"\b(SELECT|FROM|JOIN|UPDATE|INSERT INTO)\b", node.value)
    ]


@pytest.mark.parametrize("app", LAYERS)
def test_no_module_imports_an_app_above_its_own(app):
    above = {other for other in LAYERS if RANK[other] > RANK[app]}
    upward = {
        f"{path.relative_to(ROOT)} imports {sorted(_imported_apps(path) & above)}"
        for path in _modules(app)
        if _imported_apps(path) & above
    }
    assert not upward, sorted(upward)


@pytest.mark.parametrize("app", LAYERS)
def test_no_raw_sql_names_a_table_of_an_app_above(app):
    above = [other for other in LAYERS if RANK[other] > RANK[app]]
    pattern = re.compile(r"\b(" + "|".join(above) + r")_[a-z]+") if above else None
    hits = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _modules(app)
        for sql in _sql_strings(path)
        if pattern is not None
        for match in [pattern.search(sql)]
        if match
    ]
    assert not hits, hits


def test_the_kit_knows_no_domain():
    for path in _modules("core"):
        assert _imported_apps(path) <= {"core"}, path


def test_the_layer_test_sees_an_upward_import(tmp_path, monkeypatch):
    """The check itself can fail: a module of applications importing notifications is caught."""
    fake = tmp_path / "applications"
    fake.mkdir()
    (fake / "bad.py").write_text("from notifications.models import Delivery\n")
    (fake / "sql.py").write_text('SQL = "SELECT 1 FROM notifications_delivery"\n')
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    with pytest.raises(AssertionError):
        test_no_module_imports_an_app_above_its_own("applications")
    with pytest.raises(AssertionError):
        test_no_raw_sql_names_a_table_of_an_app_above("applications")


def test_every_layer_is_an_installed_app_in_layer_order():
    """The list above is the real one: each app exists and is installed, lower layers first
    (coordination between the cases and the notifications engine)."""
    from django.conf import settings

    # The project package (portal) is installed early for its models; the rest bottom up.
    installed = [app for app in settings.INSTALLED_APPS if app in RANK and app != "portal"]
    assert installed == [app for app in LAYERS if app != "portal"]
    for app in LAYERS:
        assert (ROOT / app / "__init__.py").exists(), app
    assert _modules("coordination"), "the coordination app has no modules"


@pytest.mark.parametrize(
    ("app", "source"),
    [
        # coordination sits below the notifications engine and the indicators...
        ("coordination", "from notifications.models import Delivery\n"),
        ("coordination", "import indicators.selectors\n"),
        ("coordination", 'SQL = "SELECT 1 FROM notifications_delivery"\n'),
        # ...and above the cases and who-is-who, which never reach up to it.
        ("applications", "from coordination.models import Demand\n"),
        ("workgroups", 'SQL = "UPDATE coordination_demand SET title = 1"\n'),
    ],
)
def test_coordination_keeps_its_place_between_cases_and_notifications(
    app, source, tmp_path, monkeypatch
):
    fake = tmp_path / app
    fake.mkdir()
    (fake / "bad.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    check = (
        test_no_raw_sql_names_a_table_of_an_app_above
        if source.startswith("SQL")
        else test_no_module_imports_an_app_above_its_own
    )
    with pytest.raises(AssertionError):
        check(app)


def test_the_apps_above_coordination_may_read_it():
    """notifications turns its facts into messages: an import down the layers is allowed."""
    assert "coordination" in _imported_apps(ROOT / "notifications" / "services" / "coordination.py")
    test_no_module_imports_an_app_above_its_own("notifications")


def _selector_modules_imported(path: Path) -> set[str]:
    """The modules of applications/selectors/ that `path` (one of them) imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = {0: "", 1: "applications.selectors.", 2: "applications."}.get(node.level, "")
            module = base + (node.module or "")
            targets = [module] + [f"{module.rstrip('.')}.{alias.name}" for alias in node.names]
        else:
            continue
        names.update(
            target.split(".")[2]
            for target in targets
            if target.startswith("applications.selectors.")
        )
    return names - {""}


def test_a_selector_module_imports_from_common_only():
    """Reads mirror their audiences; one audience's module never reads through another's."""
    folder = ROOT / "applications" / "selectors"
    chained = {
        f"{path.name} imports {sorted(imported - {'common'})}"
        for path in sorted(folder.glob("*.py"))
        if (imported := _selector_modules_imported(path) - {path.stem}) - {"common"}
    }
    assert not chained, sorted(chained)
