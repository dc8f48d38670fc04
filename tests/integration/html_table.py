"""Reads a rendered page as a user does: the text of each body row of a table, cell by cell."""

import re
from html import unescape
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[set[str], list[list[str]]]] = []
        self._depth = 0  # nested tables are read as part of their cell
        self._in_body = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                classes = set((dict(attrs).get("class") or "").split())
                self.tables.append((classes, []))
        elif self._depth == 1 and tag == "tbody":
            self._in_body = True
        elif self._depth == 1 and self._in_body and tag == "tr":
            self._row = []
        elif self._depth == 1 and self._row is not None and tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None and tag in ("br", "li", "div", "p"):
            self._cell.append(" ")  # a line break reads as a space

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
        elif self._depth == 1 and tag == "tbody":
            self._in_body = False
        elif self._depth == 1 and tag in ("td", "th") and self._cell is not None:
            assert self._row is not None
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif self._depth == 1 and tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def body_rows(html: str, table_class: str | None = None) -> list[list[str]]:
    """Rows of the first table (with `table_class`, if given): each a list of cell texts."""
    parser = _Tables()
    parser.feed(html)
    for classes, rows in parser.tables:
        if table_class is None or table_class in classes:
            return rows
    raise AssertionError(f"no table {table_class or ''} on the page")


def text(html: str) -> str:
    """The page's text with tags dropped and white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
