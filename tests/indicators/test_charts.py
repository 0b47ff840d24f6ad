"""The SVG charts of the indicator pages: values land where they should, the chart is an
accessible image, text is escaped, and no data draws an explicit "no data" chart."""

import xml.etree.ElementTree as ET

import pytest

from indicators.templatetags.charts import bar_chart, line_chart, nice_ceiling

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def test_bars_are_as_long_as_their_share_of_the_scale():
    root = parse(bar_chart([("受理", 50.0), ("现场勘查", 100.0), ("竣工验收", 0.0)], "t", "d", 100))
    widths = [float(r.get("width")) for r in root.iterfind(".//svg:rect", NS)]
    plot = 640 - 200 - 60
    assert widths == [plot / 2, plot, 0.0]
    assert [t.text for t in root.iterfind(".//svg:text[@class='value']", NS)] == [
        "50.0",
        "100.0",
        "0.0",
    ]


def test_bars_without_a_fixed_scale_use_a_readable_ceiling():
    root = parse(bar_chart([("a", 3.0), ("b", 6.0)], "t"))
    widths = [float(r.get("width")) for r in root.iterfind(".//svg:rect", NS)]
    assert widths == [380 * 3 / 10, 380 * 6 / 10]  # the axis runs to 10


def test_line_points_sit_at_their_value_on_a_zero_based_axis():
    root = parse(line_chart(["2025-09", "2025-10"], [("电力", [5.0, 10.0])], "t", "d"))
    circles = root.findall(".//svg:circle", NS)
    top, plot_h = 12, 260 - 12 - 34
    assert [float(c.get("cy")) for c in circles] == [top + plot_h / 2, top]
    assert [float(c.get("cx")) for c in circles] == [44, 640 - 130]
    assert circles[0].find("svg:title", NS).text == "电力 2025-09: 5"


def test_a_missing_month_breaks_the_line():
    root = parse(line_chart(["1", "2", "3"], [("水", [1.0, None, 3.0])], "t"))
    path = root.find(".//svg:path", NS).get("d")
    assert path.count("M") == 2 and "L" not in path
    assert len(root.findall(".//svg:circle", NS)) == 2


def test_charts_are_labelled_images():
    root = parse(bar_chart([("a", 1.0)], "On time", "Per stage"))
    assert root.get("role") == "img"
    title, desc = root.find("svg:title", NS), root.find("svg:desc", NS)
    assert (title.text, desc.text) == ("On time", "Per stage")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_labels_are_escaped():
    svg = line_chart(["2025-10"], [("<script>", [1.0])], "<b>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


@pytest.mark.parametrize(
    "chart",
    [
        lambda: line_chart([], [], "t"),
        lambda: line_chart(["2025-10"], [("a", [None])], "t"),
        lambda: bar_chart([], "t"),
    ],
)
def test_no_data_draws_a_no_data_chart(chart):
    root = parse(chart())
    assert root.find("svg:title", NS).text == "t"
    assert root.find(".//svg:text[@class='chart-empty']", NS) is not None
    assert root.find(".//svg:circle", NS) is None and root.find(".//svg:rect", NS) is None


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (0.7, 1), (3, 5), (6.8, 10), (12, 20), (23, 25), (100, 100)]
)
def test_axis_ceiling_is_a_round_number(value, ceiling):
    assert nice_ceiling(value) == ceiling
