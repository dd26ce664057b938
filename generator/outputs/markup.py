"""Markdown → HTML for preambles and updates, headings moved to their place in the page."""

from __future__ import annotations

import xml.etree.ElementTree as etree

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Footnotes are left out: their ids would collide between updates on one page.
EXTENSIONS = ["tables", "fenced_code", "def_list", "abbr", "sane_lists"]


class _HeadingLevels(Treeprocessor):
    """Shift every heading so that it sits below the page's own headings."""

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.lowest = 1
        self.shift = 0

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if len(element.tag) == 2 and element.tag[0] == "h" and element.tag[1] in "123456":
                level = max(int(element.tag[1]) + self.shift, self.lowest)
                element.tag = f"h{min(level, 6)}"


class _HeadingLevelsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_HeadingLevels(md), "outpost_heading_levels", 0)


class MarkdownRenderer:
    """One reusable Markdown instance per build, with a cache: the same text renders once."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(
            extensions=[*EXTENSIONS, _HeadingLevelsExtension()], output_format="html"
        )
        self._levels = next(p for p in self._md.treeprocessors if isinstance(p, _HeadingLevels))
        self._cache: dict[tuple[str, int, int], str] = {}

    def render(self, text: str, lowest_heading: int = 2, shift: int = 0) -> str:
        """TEXT as HTML, headings moved down by SHIFT levels, none bigger than `h{lowest_heading}`."""
        key = (text, lowest_heading, shift)
        if key not in self._cache:
            self._levels.lowest, self._levels.shift = lowest_heading, shift
            self._cache[key] = self._md.reset().convert(text)
        return self._cache[key]
