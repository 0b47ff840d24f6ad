"""China's business environment evaluation (营商环境评价) next to the city's own figures: one
data file (indicators/evaluation.toml) checked at start-up, shown on the public transparency
page and on the staff indicators page, in Chinese and in English, with its source and year."""

import copy
import re
import tomllib

import pytest
import time_machine
from django.test import Client

from indicators import evaluation as evaluation_module
from indicators.evaluation import (
    ASPECTS,
    EVALUATION_FILE,
    UTILITIES,
    EvaluationFileError,
    evaluation,
    load,
    parse,
)
from tests.factories import staff_of
from tests.indicators import test_transparency

pytestmark = pytest.mark.django_db

NOW = test_transparency.NOW
# The transparency tests' cases (electricity: median 4 working days, 1 step, fee 2000 CNY).
figures_fixture = test_transparency.figures_fixture


def _cell(html: str, code: str, col: str) -> str:
    """The text of one cell of the evaluation table, tags removed."""
    row = html[html.index(f'<tr data-measure="{code}">') :]
    row = row[: row.index("</tr>")]
    cell = row[row.index(f'data-col="{col}"') :]
    cell = cell[cell.index(">") + 1 : cell.index("</td>")]
    return " ".join(re.sub(r"<[^>]+>", " ", cell).split())


@pytest.fixture
def data():
    with open(EVALUATION_FILE, "rb") as handle:
        return tomllib.load(handle)


@pytest.fixture
def data_file(tmp_path, monkeypatch):
    """Point the app at a copy of the data file the test may change."""
    path = tmp_path / "evaluation.toml"
    path.write_text(EVALUATION_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(evaluation_module, "EVALUATION_FILE", path)
    evaluation.cache_clear()
    yield path
    evaluation.cache_clear()


def test_the_file_measures_each_utility_on_each_aspect_with_a_sourced_year():
    measures = evaluation().measures
    assert [(m.utility, m.aspect) for m in measures] == [(u, a) for u in UTILITIES for a in ASPECTS]
    for measure in measures:
        benchmark = measure.benchmark_for(NOW.year)
        assert benchmark is not None, measure.code
        assert benchmark.source.name_zh and benchmark.source.name_en and benchmark.year <= NOW.year
        assert benchmark.value is not None or (benchmark.note_zh and benchmark.note_en)
    power = {m.aspect: m for m in measures if m.utility == "electricity"}
    assert power["cost"].benchmark_for(NOW.year).value == 0  # low voltage: no connection cost
    assert power["procedures"].benchmark_for(NOW.year).value == 2


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["measure"][0].update(utility="steam"), "`utility` must be one of"),
        (lambda d: d["measure"][1].update(aspect="procedures"), "already measured by"),
        (lambda d: d["measure"][0].update(city_figure="steps_mean"), "`city_figure`"),
        (lambda d: d["measure"][0].update(colour="red"), "unknown key(s) colour"),
        (lambda d: d["measure"][0]["benchmark"][0].update(value=-1), "at least 0"),
        (lambda d: d["measure"][0]["benchmark"][0].update(value="two"), "at least 0"),
        (lambda d: d["measure"][0]["benchmark"][0].update(source="nowhere"), "not a [[source]]"),
        (lambda d: d["measure"][0]["benchmark"][0].update(year=24), "`year`"),
        (lambda d: d["measure"][1]["benchmark"][0].pop("value"), "the note must say"),
        (lambda d: d["measure"][0].update(benchmark=[]), "at least one"),
        (lambda d: d["measure"].pop(), "not measured: network reliability"),
        (lambda d: d["source"][0].update(name_en=" "), "`name_en`"),
    ],
)
def test_a_malformed_entry_is_refused_naming_it(data, change, named):
    broken = copy.deepcopy(data)
    change(broken)
    with pytest.raises(EvaluationFileError) as refused:
        parse(broken)
    assert named in str(refused.value)
    parse(data)  # the file itself is accepted


def test_a_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "evaluation.toml"
    path.write_text('[[measure]\ncode = "x"\n', encoding="utf-8")
    with pytest.raises(EvaluationFileError):
        load(path)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("prefix", "source", "within", "beyond"),
    [
        ("", "广东省营商环境评价", "达到目标", "未达目标"),
        ("/en", "Guangdong business environment evaluation", "Within the benchmark", "Beyond"),
    ],
)
def test_the_transparency_page_sets_the_evaluation_next_to_the_citys_figures(
    client, figures_fixture, prefix, source, within, beyond
):
    response = client.get(f"{prefix}/transparency/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-table="evaluation"' in html
    # Electricity over the last 12 months: median 4 working days, 1 step, fee 2000 CNY.
    assert _cell(html, "electricity.time", "benchmark").startswith("≤ 5")
    assert _cell(html, "electricity.time", "city").startswith("4")
    assert _cell(html, "electricity.time", "meets") == within
    assert _cell(html, "electricity.procedures", "city").startswith("1")
    assert _cell(html, "electricity.cost", "city").startswith("2000")
    assert beyond in _cell(html, "electricity.cost", "meets")
    assert _cell(html, "electricity.reliability", "city").startswith("50")
    assert _cell(html, "electricity.time", "source") == "2024 [1]"
    sources = html[html.index("data-evaluation-sources") :]
    sources = sources[: sources.index("</ol>")]
    assert source in sources and "(2024)" in sources
    # No gas connection in the period: nothing to compare.
    assert _cell(html, "gas.time", "city") == "—"


@time_machine.travel(NOW, tick=False)
def test_a_changed_value_in_the_data_file_changes_the_page(client, figures_fixture, data_file):
    text = data_file.read_text(encoding="utf-8")
    entry = text.index('code = "electricity.time"')
    value = text.index("value = 5", entry)
    # 2024's target tightened to 3 working days, and a 2027 target not in force yet.
    text = (
        text[:value]
        + 'value = 3\n[[measure.benchmark]]\nyear = 2027\nsource = "gd-2024"\nvalue = 1'
        + text[value + len("value = 5") :]
    )
    data_file.write_text(text, encoding="utf-8")
    evaluation.cache_clear()
    html = client.get("/en/transparency/").content.decode()
    assert _cell(html, "electricity.time", "benchmark").startswith("≤ 3")
    assert _cell(html, "electricity.time", "source") == "2024 [1]"
    assert _cell(html, "electricity.time", "meets") == "Beyond the benchmark"


@time_machine.travel(NOW, tick=False)
def test_the_staff_indicators_page_shows_the_evaluation_too(figures_fixture):
    office = Client()
    office.force_login(staff_of("leadership-office", username="office"))
    for prefix, within in (("", "达到目标"), ("/en", "Within the benchmark")):
        response = office.get(f"{prefix}/staff/kpi/")
        assert response.status_code == 200
        html = response.content.decode()
        assert _cell(html, "electricity.time", "city").startswith("4")
        assert _cell(html, "electricity.time", "meets") == within
        assert _cell(html, "water.time", "source") == "2024 [1]"
