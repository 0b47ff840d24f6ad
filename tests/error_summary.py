"""The error summary a person sees at the top of a page whose form came back with errors
(templates/core/_error_summary.html), read from the HTML as a browser would."""

from html.parser import HTMLParser


class _Summary(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside the summary's <div> while > 0
        self.lines: list[tuple[str, str]] = []
        self.ids: set[str] = set()
        self._line: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if self.depth:
            if tag == "div":
                self.depth += 1
            elif tag == "li":
                self._line, self._href = [], ""
            elif tag == "a" and self._line is not None:
                self._href = attrs.get("href") or ""
        elif tag == "div" and "data-error-summary" in attrs:
            self.depth = 1

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag == "div":
            self.depth -= 1
        elif tag == "li" and self._line is not None:
            self.lines.append((" ".join("".join(self._line).split()), self._href))
            self._line = None

    def handle_data(self, data):
        if self.depth and self._line is not None:
            self._line.append(data)


def summary_lines(response) -> list[tuple[str, str]]:
    """Each line of the page's error summary: its text and where its link goes ("" if none)."""
    parser = _Summary()
    parser.feed(response.content.decode())
    return parser.lines


def assert_error_summary(response, text: str, *, field: str | None = None) -> None:
    """The page came back (200, not 400) with `text` in its error summary; with `field`, that
    line is a link to the control of that id, which the page has."""
    assert response.status_code == 200, response.status_code
    parser = _Summary()
    parser.feed(response.content.decode())
    lines = [line for line in parser.lines if text in line[0]]
    assert lines, f"{text!r} not in the error summary {parser.lines}"
    if field is not None:
        assert any(href == f"#{field}" for _t, href in lines), (field, lines)
        assert field in parser.ids, f"no control #{field} on the page"
