"""One rule file's bytes to YAML data, with every problem located at file:line:column.

Nothing here raises anything but RuleFileError: bad encodings, control characters, YAML syntax
(where the parser stopped and where the open construct began), duplicate keys, floats, aliases
and deep nesting all come back as errors an operator can act on.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader

from coverage.domain.findings import RuleFileRef
from coverage.rules.errors import RuleFileError

MAX_DEPTH = 12
# Far above any real rule file (the largest shipped holds a few hundred): a file of hundreds of
# thousands of tiny values would take PyYAML many seconds to read.
MAX_NODES = 20_000
_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.1 also reads 0350 (octal), 0x15e, 3_50 and 5:50 (base 60) as integers: only plain
# decimal digits are taken, so an amount is never silently another number.
_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]{0,17})$")
# Line breaks YAML honours that look like nothing in an editor: a key after one hides in a comment.
_HIDDEN_BREAKS = re.compile("[\u0085\u2028\u2029]")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x1B: "ESC", 0x7F: "DEL"}


@dataclass(frozen=True)
class ParsedFile:
    display: str  # "payer_rules/payers/acme.yaml"
    relative: PurePosixPath
    node: Node
    data: dict[str, Any]
    ref: RuleFileRef


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (no alias bombs, no data silently shared by reference)
    and leaves dates as text: the schema reads them, so 2026-02-30 is an error at its line, not
    an exception inside the YAML library."""

    nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = event.start_mark if isinstance(event.start_mark, yaml.error.Mark) else None
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_NODES:,} values in one file; split it", mark
            )
        if self.check_event(yaml.AliasEvent):
            alias: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
            mark = alias.start_mark if isinstance(alias.start_mark, yaml.error.Mark) else None
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in rule files", mark
            )
        return super().compose_node(parent, index)


_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_NoAliasLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _position(text: str | bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a character (or byte) offset."""
    newline = "\n" if isinstance(text, str) else b"\n"
    before = text[:offset]
    line = before.count(newline) + 1  # type: ignore[arg-type]
    column = offset - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]
    return line, column


def _decode(display: str, raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        raw.count(b"\x00") * 4 >= len(raw) > 0 and b"\x00" in raw[:2]
    ):
        raise RuleFileError(
            display, 1, "the file is saved as UTF-16 text; save it as UTF-8", column=1
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(raw, exc.start)
        raise RuleFileError(
            display,
            line,
            f"byte 0x{raw[exc.start]:02X} is not UTF-8 text; save the file as UTF-8",
            column,
        ) from None
    hidden = _HIDDEN_BREAKS.search(text)
    if hidden is not None:
        line, column = _position(text, hidden.start())
        raise RuleFileError(
            display,
            line,
            f"line separator U+{ord(hidden.group()):04X} is not allowed in a rule file (an editor "
            "shows no break where YAML sees one); delete it",
            column,
        )
    bad = Reader.NON_PRINTABLE.search(text)
    if bad is not None:
        code = ord(bad.group())
        name = _CONTROL_NAMES.get(code, f"U+{code:04X}")
        line, column = _position(text, bad.start())
        raise RuleFileError(
            display,
            line,
            f"control character {name} is not allowed in a rule file; delete it",
            column,
        )
    return text


def _mark(exc: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = exc.problem_mark or exc.context_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """Where the parser stopped says what it found; where the open construct began is often
    where the mistake is (an unclosed quote or bracket), so both are named."""
    message = exc.problem or exc.context or "invalid YAML"
    started = exc.context_mark
    if exc.problem and exc.context and started is not None and started != exc.problem_mark:
        message += (
            f" ({exc.context}, which started at line {started.line + 1}, "
            f"column {started.column + 1})"
        )
    return message


def _shown(value: str) -> str:
    return value if len(value) <= 24 else f"{value[:20]}..."


def line_of(node: Node) -> int | None:
    return node.start_mark.line + 1 if node.start_mark is not None else None


def column_of(node: Node) -> int | None:
    return node.start_mark.column + 1 if node.start_mark is not None else None


def _node_checks(display: str, node: Node, depth: int = 1) -> list[RuleFileError]:
    """Duplicate keys (PyYAML keeps the last one silently), float literals (binary floats are not
    money: amounts and rates are written as quoted strings) and deep nesting, all of them."""
    if depth > MAX_DEPTH:
        return [
            RuleFileError(
                display, line_of(node), f"nested deeper than {MAX_DEPTH} levels", column_of(node)
            )
        ]
    errors: list[RuleFileError] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.tag == _MERGE_TAG:
                errors.append(
                    RuleFileError(
                        display,
                        line_of(key),
                        "merge keys (<<) are not allowed in rule files; write each key out",
                        column_of(key),
                    )
                )
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    errors.append(
                        RuleFileError(
                            display, line_of(key), f"duplicate key {key.value!r}", column_of(key)
                        )
                    )
                seen.add(key.value)
            errors += _node_checks(display, value, depth + 1)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            errors += _node_checks(display, item, depth + 1)
    elif isinstance(node, ScalarNode) and node.tag == _INT_TAG and not _PLAIN_INT.match(node.value):
        errors.append(
            RuleFileError(
                display,
                line_of(node),
                f"write {_shown(node.value)} as plain digits (up to 18) or as a quoted string",
                column_of(node),
            )
        )
    elif isinstance(node, ScalarNode) and node.tag == _FLOAT_TAG:
        errors.append(
            RuleFileError(
                display,
                line_of(node),
                f"write {_shown(node.value)} as a quoted string so it stays an exact decimal",
                column_of(node),
            )
        )
    return errors


def parse(display: str, relative: PurePosixPath, raw: bytes) -> ParsedFile | list[RuleFileError]:
    """The parsed file, or every problem that keeps it from being read (never an exception)."""
    try:
        text = _decode(display, raw)
    except RuleFileError as exc:
        return [exc]
    loader: _NoAliasLoader | None = None
    try:
        loader = _NoAliasLoader(text)
        node = loader.get_single_node()
        if node is None:
            return [RuleFileError(display, 1, "empty file")]
        problems = _node_checks(display, node)
        if problems:
            return problems
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line, column = _mark(exc)
        return [RuleFileError(display, line, _yaml_message(exc), column)]
    except yaml.YAMLError as exc:  # a reader error _decode did not foresee
        return [RuleFileError(display, None, f"not readable as YAML ({type(exc).__name__})")]
    except (
        ValueError,
        TypeError,
        OverflowError,
    ) as exc:  # an explicit tag's value, e.g. !!timestamp
        return [RuleFileError(display, None, f"a value could not be read ({type(exc).__name__})")]
    except RecursionError:
        return [RuleFileError(display, None, "nested too deeply")]
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        return [
            RuleFileError(
                display,
                line_of(node),
                "top level must be a mapping with a 'kind' key",
                column_of(node),
            )
        ]
    kind = data.get("kind")
    if not isinstance(kind, str):
        return [
            RuleFileError(
                display,
                line_of(node),
                "missing or non-text top-level key 'kind'",
                column_of(node),
            )
        ]
    version = data.get("version")
    ref = RuleFileRef(
        path=Path(relative.as_posix()),
        kind=kind,
        version=version if isinstance(version, str) else "",
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return ParsedFile(display=display, relative=relative, node=node, data=data, ref=ref)


def node_at(node: Node, location: tuple[int | str, ...], *, value: bool = False) -> Node:
    """Follow a location (a pydantic error's `loc`) down the YAML node tree; stop at the deepest
    match. A mapping entry resolves to its key, so the column points at a misspelled key, unless
    `value` asks for the value node."""
    found = node
    for part in location:
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(part):
                    node = value_node
                    found = value_node if value else key_node
                    break
            else:
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = found = node.value[part]
        else:
            break
    return found


def error_at(
    parsed: ParsedFile, location: tuple[int | str, ...], message: str, *, value: bool = False
) -> RuleFileError:
    """The error at a location's key (its value with `value`: an expression, an amount)."""
    node = node_at(parsed.node, location, value=value)
    return RuleFileError(parsed.display, line_of(node), message, column_of(node))


def place(parsed: ParsedFile, location: tuple[int | str, ...]) -> str:
    """ "payer_rules/x.yaml:12", to name another file's line inside a message."""
    line = line_of(node_at(parsed.node, location, value=True))
    return parsed.display + (f":{line}" if line is not None else "")
