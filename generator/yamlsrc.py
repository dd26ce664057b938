"""YAML that remembers where each value came from, so errors can name a line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from generator.problems import Problem, error

BOM = b"\xef\xbb\xbf"

Path_ = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as text: Outpost reads them itself (FORMAT.md)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _FastLoader(getattr(yaml, "CSafeLoader", _Loader)):  # type: ignore[misc]
    """The same, on libyaml's parser where PyYAML has it: thousands of posts are read per check.

    Its error messages are terser than PyYAML's own, so a file it refuses is read again by
    _Loader for the message a writer sees.
    """


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


@dataclass(frozen=True)
class YamlError(Exception):
    """YAML that cannot be read, at LINE (1-based, relative to the text given)."""

    line: int
    message: str


@dataclass(frozen=True)
class Located:
    """Plain data from YAML, with the line of every mapping key and sequence item."""

    data: Any
    lines: dict[Path_, int]

    def line(self, *path: str | int) -> int:
        """The line of PATH, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def decode_source(raw: bytes, shown: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 with an optional byte order mark, CRLF read as LF; else the line of the bad byte."""
    # Decoding after the mark, not with utf-8-sig: its error offsets leave the mark out.
    start = len(BOM) if raw.startswith(BOM) else 0
    try:
        text = raw[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = start + exc.start
        line = raw[:bad].count(b"\n") + 1
        return None, [
            error(
                shown,
                line,
                f"file is not UTF-8: byte 0x{raw[bad]:02x} on this line cannot be read; "
                "save the file as UTF-8",
            )
        ]
    # Most files have no CR at all, and looking for one in the bytes costs little.
    return (text.replace("\r\n", "\n") if b"\r" in raw else text), []


# Characters no page or feed can carry: C0 controls but tab and line ends, DEL, lone surrogates.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def load_located(text: str, first_line: int = 1) -> Located:
    """Parse TEXT; line numbers count from FIRST_LINE. Raises YamlError."""
    _check_characters(text, first_line)
    flat = _load_flat(text, first_line)
    if flat is not None:  # printable ASCII only: nothing in it for _check_values to find
        return flat
    try:
        located = _load(_FastLoader, text, first_line)
    except YamlError:
        located = _load(_Loader, text, first_line)
    _check_values(located.data, (), located)
    return located


# Most front matter is only lines of `key: words` and `key: [words, words]`, and YAML's
# machinery costs more than all the rest of reading a post: such lines are read here, anything
# else by YAML. Words begin with a letter or a digit and hold none of the characters that could
# mean more than themselves to YAML after that ('#', brackets, tabs; ',' in a list; ':' unless
# a letter or a digit follows it, as in a time of day). A key is short: YAML wants a key on one
# line of at most 1024 characters.
_FLAT_LINE = re.compile(
    r"(?P<key>[A-Za-z0-9_]{1,100}): +(?:"
    r"\[(?P<items>[A-Za-z0-9 ()._/'&+,-]*)\] *"
    r"|(?P<value>[A-Za-z0-9][A-Za-z0-9 ()._/'&+-]*(?::[A-Za-z0-9][A-Za-z0-9 ()._/'&+-]*)*)"
    r")"
)
_FLAT_ITEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ()._/'&+-]*")


def _load_flat(text: str, first_line: int) -> Located | None:
    """TEXT read as _load reads it, when every line is `key: words` or `key: [words, ...]`.

    None for any other TEXT, and when a key is given twice or a word is not a string to YAML.
    """
    data: dict[str, Any] = {}
    lines: dict[Path_, int] = {(): first_line}
    for number, line in enumerate(text.split("\n"), first_line):
        match = _FLAT_LINE.fullmatch(line)
        if not match or match["key"] in data:
            return None
        key, items, value = match.group("key", "items", "value")
        if items is None:
            data[key] = value.rstrip(" ")
            words = [key, data[key]]
        else:
            listed = [item.strip(" ") for item in items.split(",")] if items.strip(" ") else []
            if not all(_FLAT_ITEM.fullmatch(item) for item in listed):
                return None
            data[key] = listed
            lines.update({(key, index): number for index in range(len(listed))})
            words = [key, *listed]
        if not all(_reads_as_string(word) for word in words):
            return None
        lines[(key,)] = number
    return Located(data, lines)


def _reads_as_string(word: str) -> bool:
    """Whether YAML reads the plain scalar WORD as a string: not a number, boolean or null."""
    resolvers = _Loader.yaml_implicit_resolvers.get(word[0])
    return not resolvers or not any(regexp.match(word) for _, regexp in resolvers)


def _check_characters(text: str, first_line: int) -> None:
    """YamlError at the line of the first character that no output can carry."""
    found = _UNWRITABLE.search(text)
    if found:
        line = first_line + text.count("\n", 0, found.start())
        raise YamlError(line, f"{_unwritable(found.group())} on this line: remove it")


def _check_values(value: Any, path: Path_, located: Located) -> None:
    """YamlError where an escape (`"\\x01"`, half a `\\ud83d` pair) made such a character."""
    if isinstance(value, str):
        found = _UNWRITABLE.search(value)
        if found:
            raise YamlError(located.line(*path), f"{_unwritable(found.group())} in this value")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(item, (*path, str(key)), located)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, (*path, index), located)


def _unwritable(character: str) -> str:
    return f"the control character U+{ord(character):04X} cannot be published"


def _load(loader_class: type[_Loader], text: str, first_line: int) -> Located:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): first_line})
        lines: dict[Path_, int] = {}
        _record_lines(node, (), lines, first_line)
        _check_duplicate_keys(node, first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = None if _in_block(exc) else exc.context_mark
        mark = mark or exc.problem_mark
        line = first_line + (mark.line if mark else 0)
        raise YamlError(line, _describe(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return Located(data, lines)


def _in_block(exc: yaml.MarkedYAMLError) -> bool:
    """Whether the error's context is a block mapping or list.

    Those begin at the top of the document or list, far from the mistake: for them the
    line where parsing gave up is the faulty one. Every other context (a quote, a bracket)
    is reported where it was opened.
    """
    return bool(exc.context and exc.context.startswith("while parsing a block"))


def _describe(exc: yaml.MarkedYAMLError) -> str:
    if _in_block(exc):
        return f"not valid YAML: {exc.problem}; check the indentation and quotes on this line"
    parts = [p for p in (exc.context, exc.problem) if p]
    if exc.problem == "mapping values are not allowed here":
        parts.append("put a value that contains ': ' in quotes, and check the indentation")
    return "not valid YAML: " + "; ".join(parts)


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], first: int) -> None:
    lines[path] = first + node.start_mark.line
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                child = (*path, str(key.value))
                _record_lines(value, child, lines, first)
                lines[child] = first + key.start_mark.line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, first)


def _check_duplicate_keys(node: yaml.Node, first: int) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = first + key.start_mark.line
                if key.value in seen:
                    raise YamlError(
                        line,
                        f"not valid YAML: key '{key.value}' is given twice "
                        f"(first on line {seen[key.value]})",
                    )
                seen[key.value] = line
            _check_duplicate_keys(value, first)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, first)
