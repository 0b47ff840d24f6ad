"""China's business environment evaluation (中国营商环境评价) for utility connection: the
measures and their published benchmarks, per utility and year, read from evaluation.toml (one
data file, reviewed like code), checked when the site starts, and set next to the city's own
figures (computed in SQL by selectors/public.py).

`load(path)` reads and checks a file: any malformed entry raises EvaluationFileError naming
it. `evaluation()` is the checked file of this app, read once per process. `compare(city)`
gives the table: for each measure the benchmark of the latest year not in the future, its
source, and the city's figure it compares with.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy

__all__ = [
    "ASPECTS",
    "CITY_FIGURES",
    "EVALUATION_FILE",
    "UTILITIES",
    "Benchmark",
    "ComparedRow",
    "ComparedTable",
    "Evaluation",
    "EvaluationFileError",
    "Measure",
    "Source",
    "compare",
    "evaluation",
    "load",
]

EVALUATION_FILE = Path(__file__).with_name("evaluation.toml")

UTILITIES = ("electricity", "water", "gas", "network")
ASPECTS = ("procedures", "time", "cost", "reliability")
UNITS = ("procedures", "working_days", "cny", "percent")
DIRECTIONS = ("at_most", "at_least")
# The transparency page's figures a measure may compare with (selectors/public.py).
CITY_FIGURES = ("steps_median", "working_days_median", "fee_median", "on_time_share")

UNIT_LABELS = {
    "procedures": pgettext_lazy("evaluation unit", "procedures"),
    "working_days": pgettext_lazy("evaluation unit", "working days"),
    "cny": pgettext_lazy("evaluation unit", "CNY"),
    "percent": "%",
}

_SOURCE_KEYS = {"id", "year", "name_zh", "name_en"}
_MEASURE_KEYS = {
    "code",
    "utility",
    "aspect",
    "name_zh",
    "name_en",
    "unit",
    "direction",
    "city_figure",
    "benchmark",
}
_BENCHMARK_KEYS = {"year", "source", "value", "note_zh", "note_en"}


class EvaluationFileError(ImproperlyConfigured):
    """The evaluation data file is malformed: the message names the entry and the problem."""


def _localized(zh: str, en: str) -> str:
    return zh if (get_language() or "zh-hans").startswith("zh") else en


@dataclass(frozen=True)
class Source:
    id: str
    year: int
    name_zh: str
    name_en: str

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)


@dataclass(frozen=True)
class Benchmark:
    year: int
    source: Source
    value: Decimal | None
    note_zh: str = ""
    note_en: str = ""

    @property
    def note(self) -> str:
        return _localized(self.note_zh, self.note_en)


@dataclass(frozen=True)
class Measure:
    code: str
    utility: str
    aspect: str
    name_zh: str
    name_en: str
    unit: str
    direction: str
    city_figure: str
    benchmarks: tuple[Benchmark, ...]

    @property
    def name(self) -> str:
        return _localized(self.name_zh, self.name_en)

    @property
    def unit_label(self) -> str:
        return str(UNIT_LABELS[self.unit])

    def benchmark_for(self, year: int) -> Benchmark | None:
        """The benchmark published for the latest year up to `year`."""
        published = [b for b in self.benchmarks if b.year <= year]
        return max(published, key=lambda b: b.year) if published else None


@dataclass(frozen=True)
class Evaluation:
    sources: tuple[Source, ...]
    measures: tuple[Measure, ...]


@dataclass(frozen=True)
class ComparedRow:
    """One line of the table: a measure, its benchmark of the year, the city's figure."""

    measure: Measure
    benchmark: Benchmark | None
    city: float | None
    source_number: int = 0  # its source's number in the list under the table

    @property
    def meets(self) -> bool | None:
        """Whether the city's figure is within the benchmark (None: nothing to compare)."""
        if self.city is None or self.benchmark is None or self.benchmark.value is None:
            return None
        target = float(self.benchmark.value)
        return self.city <= target if self.measure.direction == "at_most" else self.city >= target


def _fail(where: str, problem: str) -> EvaluationFileError:
    return EvaluationFileError(f"evaluation data file, {where}: {problem}")


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"`{key}` must be a non-empty text")
    return value.strip()


def _year(entry: dict, where: str) -> int:
    year = entry.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise _fail(where, "`year` must be a year from 2000 to 2100")
    return year


def _keys(entry: object, allowed: set[str], where: str) -> dict:
    if not isinstance(entry, dict):
        raise _fail(where, "must be a table")
    unknown = set(entry) - allowed
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(sorted(unknown))}")
    return entry


def _choice(entry: dict, key: str, choices: tuple[str, ...], where: str) -> str:
    value = entry.get(key)
    if value not in choices:
        raise _fail(where, f"`{key}` must be one of {', '.join(choices)}, not {value!r}")
    return value


def _benchmark(entry: object, sources: dict[str, Source], where: str) -> Benchmark:
    entry = _keys(entry, _BENCHMARK_KEYS, where)
    year = _year(entry, where)
    source_id = entry.get("source")
    if source_id not in sources:
        raise _fail(where, f"`source` {source_id!r} is not a [[source]] of the file")
    raw = entry.get("value")
    value: Decimal | None = None
    if raw is not None:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0:
            raise _fail(where, "`value` must be a number of at least 0")
        value = Decimal(str(raw))
    note_zh, note_en = entry.get("note_zh", ""), entry.get("note_en", "")
    if not isinstance(note_zh, str) or not isinstance(note_en, str):
        raise _fail(where, "`note_zh` and `note_en` must be texts")
    if bool(note_zh.strip()) != bool(note_en.strip()):
        raise _fail(where, "a note is given in both languages or in neither")
    if value is None and not note_zh.strip():
        raise _fail(where, "without a `value`, the note must say what the source publishes")
    return Benchmark(year, sources[source_id], value, note_zh.strip(), note_en.strip())


def parse(data: dict) -> Evaluation:
    """Check the file's content (already read as TOML) and build the evaluation."""
    _keys(data, {"source", "measure"}, "top level")
    sources: dict[str, Source] = {}
    for i, entry in enumerate(data.get("source") or [], start=1):
        where = f"[[source]] {i}"
        entry = _keys(entry, _SOURCE_KEYS, where)
        source_id = _text(entry, "id", where)
        if source_id in sources:
            raise _fail(where, f"source id {source_id!r} is given twice")
        sources[source_id] = Source(
            source_id,
            _year(entry, where),
            _text(entry, "name_zh", where),
            _text(entry, "name_en", where),
        )
    measures: list[Measure] = []
    seen: dict[tuple[str, str], str] = {}
    codes: set[str] = set()
    for i, entry in enumerate(data.get("measure") or [], start=1):
        where = f"[[measure]] {i}"
        entry = _keys(entry, _MEASURE_KEYS, where)
        code = _text(entry, "code", where)
        where = f"[[measure]] {code}"
        if code in codes:
            raise _fail(where, "the code is given twice")
        codes.add(code)
        utility = _choice(entry, "utility", UTILITIES, where)
        aspect = _choice(entry, "aspect", ASPECTS, where)
        if (utility, aspect) in seen:
            raise _fail(where, f"{utility} {aspect} is already measured by {seen[utility, aspect]}")
        seen[utility, aspect] = code
        raw_benchmarks = entry.get("benchmark") or []
        if not isinstance(raw_benchmarks, list) or not raw_benchmarks:
            raise _fail(where, "at least one [[measure.benchmark]] is needed")
        benchmarks = tuple(
            _benchmark(b, sources, f"{where}, benchmark {j}")
            for j, b in enumerate(raw_benchmarks, start=1)
        )
        years = [b.year for b in benchmarks]
        if len(set(years)) != len(years):
            raise _fail(where, "a year has two benchmarks")
        measures.append(
            Measure(
                code=code,
                utility=utility,
                aspect=aspect,
                name_zh=_text(entry, "name_zh", where),
                name_en=_text(entry, "name_en", where),
                unit=_choice(entry, "unit", UNITS, where),
                direction=_choice(entry, "direction", DIRECTIONS, where),
                city_figure=_choice(entry, "city_figure", CITY_FIGURES, where),
                benchmarks=benchmarks,
            )
        )
    missing = [f"{u} {a}" for u in UTILITIES for a in ASPECTS if (u, a) not in seen]
    if missing:
        raise _fail("measures", f"not measured: {', '.join(missing)}")
    order = {(u, a): n for n, (u, a) in enumerate((u, a) for u in UTILITIES for a in ASPECTS)}
    measures.sort(key=lambda m: order[m.utility, m.aspect])
    return Evaluation(tuple(sources.values()), tuple(measures))


def load(path: Path = EVALUATION_FILE) -> Evaluation:
    """Read and check the data file at `path`."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EvaluationFileError(f"evaluation data file {path}: {exc}") from exc
    return parse(data)


@functools.cache
def evaluation() -> Evaluation:
    """This app's data file, checked, read once per process."""
    return load(EVALUATION_FILE)


@dataclass(frozen=True)
class ComparedTable:
    rows: list[ComparedRow]
    sources: list[Source]  # numbered from 1 in the order the rows cite them


def compare(city: dict[str, dict], *, today: dt.date | None = None) -> ComparedTable:
    """The table: each measure with the benchmark of the latest year up to this year and the
    city's figure it compares with (`city`: the figures per utility, as on the transparency
    page; a figure not computed is None), and the sources the rows cite."""
    year = (today or timezone.localdate()).year
    rows = []
    sources: list[Source] = []
    for measure in evaluation().measures:
        value = city.get(measure.utility, {}).get(measure.city_figure)
        benchmark = measure.benchmark_for(year)
        number = 0
        if benchmark is not None:
            if benchmark.source not in sources:
                sources.append(benchmark.source)
            number = sources.index(benchmark.source) + 1
        rows.append(
            ComparedRow(
                measure=measure,
                benchmark=benchmark,
                city=None if value is None else float(value),
                source_number=number,
            )
        )
    return ComparedTable(rows, sources)
