"""Markdown → safe HTML for preambles and updates, headings moved to their place in the page."""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import markdown
import nh3
from markdown import inlinepatterns as ip
from markdown.blockprocessors import (
    BlockQuoteProcessor,
    HashHeaderProcessor,
    HRProcessor,
    ReferenceProcessor,
)
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrBlockprocessor
from markdown.extensions.def_list import DefListProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.tables import TableProcessor
from markdown.preprocessors import HtmlBlockPreprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString, Registry

# Footnotes are left out: their ids would collide between updates on one page.
EXTENSIONS = ["tables", "fenced_code", "def_list", "abbr", "sane_lists"]

# What a writer's Markdown, and any raw HTML in it, may become: formatting, never behaviour.
# A writer's account may be the compromised one, and a status page is read during a breach.
TAGS = {
    *("p", "br", "hr", "em", "strong", "b", "i", "s", "del", "ins", "sub", "sup"),
    *("code", "kbd", "pre", "blockquote", "abbr", "a", "img"),
    *("ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "thead", "tbody", "tr", "th", "td"),
    *("h2", "h3", "h4", "h5", "h6"),
}
# No `id` (it could take the page's own anchors, such as `update-…`), no `style`, no handlers.
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "code": {"class"},
}
ALIGNMENTS = ("left", "center", "right")
# Links to other hosts get this, so that the site is neither their opener nor their referrer.
LINK_REL = "noopener noreferrer"
# Table cells say their alignment with a class, not a style attribute that a CSP would block.
CLASSES = {cell: {f"align-{side}" for side in ALIGNMENTS} for cell in ("th", "td")}
URL_SCHEMES = {"http", "https", "mailto"}
# Dropped with everything inside them: their text is code, or never meant to be read.
DROPPED = {"script", "style", "template", "iframe", "noscript", "object", "textarea", "title"}
DROPPED |= {"xmp", "noembed", "noframes", "select", "svg", "math"}

_T = TypeVar("_T")

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LANGUAGE = re.compile(r"^language-[A-Za-z0-9_+#.-]+$")
# Control characters: XML 1.0 forbids most (a feed would not be well-formed), HTML all of them.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_URL_NOISE = re.compile("[\t\n\r]")
_SPACE_AND_CONTROLS = "".join(map(chr, range(0x21)))
# The sanitiser writes every attribute as name="value", with `"`, `<` and `>` escaped.
_LINK_OR_IMAGE = re.compile(r'<(a|img)((?: [a-z-]+="[^"]*")*)>')
_ATTRIBUTE = re.compile(r' ([a-z-]+)="([^"]*)"')
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>\n?")  # what is left of a paragraph of dropped HTML
_ALIGN_STYLE = re.compile(r"^\s*text-align:\s*(left|center|right);?\s*$")


def is_site_relative(url: str) -> bool:
    """Whether URL points into the site itself: no scheme and no `//host`, as browsers read it."""
    # Browsers drop tabs and newlines anywhere, trim spaces and controls, and read `\` as `/`.
    cleaned = _URL_NOISE.sub("", url).strip(_SPACE_AND_CONTROLS).replace("\\", "/")
    return not _SCHEME.match(cleaned) and not cleaned.startswith("//")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Images only from the site itself (no requests to other hosts); code's language class only."""
    if tag == "img" and name == "src":
        return value if is_site_relative(value) else None
    if tag == "code" and name == "class":
        languages = [c for c in value.split() if _LANGUAGE.match(c)]
        return " ".join(languages) or None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED,
    attributes=ATTRIBUTES,
    attribute_filter=_filter_attribute,
    allowed_classes=CLASSES,
    url_schemes=URL_SCHEMES,
    link_rel=None,  # added to links to other hosts only, below
    strip_comments=True,
)


def sanitise(fragment: str) -> str:
    """FRAGMENT of HTML with only formatting left: no scripts, handlers, styles, frames or ids."""
    cleaned = _CONTROLS.sub("", _CLEANER.clean(_CONTROLS.sub("", fragment)))
    return _EMPTY_PARAGRAPH.sub("", _LINK_OR_IMAGE.sub(_finish, cleaned))


def sub_in_links(
    pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str], html: str
) -> str:
    """Sanitised HTML with PATTERN replaced by REPLACE inside its links' and images' tags.

    After `sanitise`, only those tags hold an href or a src, and text holds no "<": a code
    span's `<a href="/x">` is text, and stays as it was written.
    """
    return _LINK_OR_IMAGE.sub(lambda tag: pattern.sub(replace, tag[0]), html)


def _finish(match: re.Match[str]) -> str:
    """A link to another host gets `rel`; an image, an `alt` or, without its source, its `alt`."""
    tag, attributes = match[1], dict(_ATTRIBUTE.findall(match[2]))
    if tag == "img" and "src" not in attributes:  # its source was on another host
        return html.escape(html.unescape(attributes.get("alt", "")), quote=False)
    if tag == "img" and "alt" not in attributes:  # decorative, then: HTML requires the attribute
        return f'<img{match[2]} alt="">'
    href = html.unescape(attributes.get("href", ""))
    if tag == "a" and href and not is_site_relative(href) and not href.startswith("mailto:"):
        return f'<a{match[2]} rel="{LINK_REL}">'
    return match[0]


# What every match of each stock inline pattern holds one of, by its regular expression:
# a text holding none of them cannot match, so the pattern need not be tried on it. A pattern
# not listed here (another Markdown version's) is always tried.
_NEEDS = {
    ip.BACKTICK_RE: ("`",),
    ip.ESCAPE_RE: ("\\",),
    ip.LINK_RE: ("[",),  # and REFERENCE_RE
    ip.IMAGE_LINK_RE: ("![",),  # and IMAGE_REFERENCE_RE
    ip.AUTOLINK_RE: ("<",),
    ip.AUTOMAIL_RE: ("<",),
    ip.LINE_BREAK_RE: ("  \n",),
    ip.HTML_RE: ("<",),
    ip.ENTITY_RE: ("&",),
    r"\*|_": ("*", "_"),  # em_strong's delimiters
}


def _needs(pattern: object) -> tuple[str, ...] | None:
    regex = getattr(pattern, "compiled_re", None)  # what InlineProcessor.__applyPattern searches
    return _NEEDS.get(regex.pattern) if isinstance(regex, re.Pattern) else None


class _QuickInline(InlineProcessor):
    """The stock inline processor, skipping the patterns that a text cannot match.

    Most updates are plain sentences: trying each of the ~13 patterns on every text node
    was most of the work of inline processing.
    """

    _patterns: list[tuple[Any, tuple[str, ...] | None]] | None = None
    _all_need = False  # whether every pattern has needles (none is always tried)

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        if self._patterns is None:  # the patterns are all registered once the instance is made
            self._patterns = [(pattern, _needs(pattern)) for pattern in self.inlinePatterns]
            self._needles = {n for _, needs in self._patterns for n in needs or ()}
            self._all_need = all(needs is not None for _, needs in self._patterns)
        return super().run(tree, ancestors)

    # Replaces InlineProcessor.__handleInline (name-mangled): the same loop, with the skip.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        patterns = self._patterns or []
        present = {n for n in self._needles if n in data}
        if not present and self._all_need:  # plain text, as most is: no pattern can match
            return data
        startIndex = 0
        while patternIndex < len(patterns):
            pattern, needs = patterns[patternIndex]
            if needs is not None and present.isdisjoint(needs):
                patternIndex, startIndex = patternIndex + 1, 0  # as if tried and not matched
                continue
            data, matched, startIndex = apply(pattern, data, patternIndex, startIndex)
            if matched:
                present = {n for n in self._needles if n in data}
            else:
                patternIndex += 1
        return data


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


class _SafeElements(Treeprocessor):
    """Images from other hosts become links to them; table alignment becomes a class."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag == "img" and not is_site_relative(element.get("src", "")):
                _image_to_link(element)
            elif element.tag in ("th", "td"):
                _alignment_to_class(element)


def _alignment_to_class(cell: etree.Element) -> None:
    """CELL's `style="text-align: right;"`, from the tables extension, as `class="align-right"`."""
    aligned = _ALIGN_STYLE.match(cell.attrib.pop("style", ""))
    if aligned:
        cell.set("class", f"align-{aligned[1]}")


def _image_to_link(image: etree.Element) -> None:
    """IMAGE, in place, as a link to its source labelled with its alternative text."""
    source, alt, title = image.get("src", ""), image.get("alt", ""), image.get("title")
    image.tag = "a"
    image.attrib.clear()
    image.set("href", source)
    if title:
        image.set("title", title)
    image.text = alt or source


class _OutpostExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_HeadingLevels(md), "outpost_heading_levels", 0)
        # After `unescape`, so that it sees the sources as they will be written.
        md.treeprocessors.register(_SafeElements(md), "outpost_safe_elements", -1)


class _Registry(Registry[_T]):
    """A registry that puts its items in order once, not on every loop over them."""

    _items: list[_T] | None = None

    def __iter__(self) -> Iterator[_T]:
        if self._items is None:
            self._items = list(super().__iter__())
        return iter(self._items)

    def register(self, item: _T, name: str, priority: float) -> None:
        self._items = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self._items = None
        super().deregister(name, strict)


def _reordered(registry: Registry[_T]) -> _Registry[_T]:
    copy: _Registry[_T] = _Registry()
    for entry in registry._priority:  # type: ignore[attr-defined]
        copy.register(registry[entry.name], entry.name, entry.priority)
    return copy


class _Markdown(markdown.Markdown):
    """Python-Markdown, with what it looks up for every block and element made cheaper.

    Each conversion loops over the processors in several registries, and asks for each
    element whether its tag is block-level (a list of ~50 tags).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # None of our extensions adds a block-level tag: the list is complete here.
        self._block_level = frozenset(self.block_level_elements)
        self.treeprocessors.register(_QuickInline(self), "inline", 20)
        _skip_needless(self)

    def build_parser(self) -> _Markdown:
        super().build_parser()  # before extensions: they register into the copies
        self.preprocessors = _reordered(self.preprocessors)
        self.parser.blockprocessors = _reordered(self.parser.blockprocessors)
        self.treeprocessors = _reordered(self.treeprocessors)
        self.postprocessors = _reordered(self.postprocessors)
        return self

    def is_block_level(self, tag: Any) -> bool:
        if isinstance(tag, str):
            return tag.lower().rstrip("/") in self._block_level
        return False


# Processors that search a whole block (or text) for what each of these strings starts, and
# do nothing when it is not there: they are not asked about a block (or text) without one.
_BLOCK_TESTS: dict[str, tuple[type, tuple[str, ...]]] = {
    "table": (TableProcessor, ("|",)),  # a header row with a pipe
    "hashheader": (HashHeaderProcessor, ("#",)),
    "hr": (HRProcessor, ("-", "_", "*")),
    "deflist": (DefListProcessor, (":",)),
    "quote": (BlockQuoteProcessor, (">",)),
}
_BLOCK_RUNS: dict[str, tuple[type, tuple[str, ...]]] = {
    "abbr": (AbbrBlockprocessor, ("*[",)),  # `*[HTML]: …`
    "reference": (ReferenceProcessor, ("]:",)),  # `[id]: …`
}
_PREPROCESSORS: dict[str, tuple[type, tuple[str, ...]]] = {
    "fenced_code_block": (FencedBlockPreprocessor, ("```", "~~~")),
    "html_block": (HtmlBlockPreprocessor, ("<", "&")),  # tags, and the entities it keeps
}


def _skip_needless(md: markdown.Markdown) -> None:
    """Guard the processors above (only Python-Markdown's own classes) with their strings.

    On the instance (`setattr`: mypy refuses a method's assignment): the classes stay stock.
    """
    for name, (kind, needs) in _BLOCK_TESTS.items():
        block_processor = md.parser.blockprocessors[name]
        if type(block_processor) is kind:
            setattr(block_processor, "test", _test_if(needs, block_processor.test))  # noqa: B010
    for name, (kind, needs) in _BLOCK_RUNS.items():
        block_processor = md.parser.blockprocessors[name]
        if type(block_processor) is kind:
            setattr(block_processor, "run", _run_if(needs, block_processor.run))  # noqa: B010
    for name, (kind, needs) in _PREPROCESSORS.items():
        preprocessor = md.preprocessors[name]
        if type(preprocessor) is kind:
            setattr(preprocessor, "run", _preprocess_if(needs, preprocessor.run))  # noqa: B010


def _test_if(
    needs: tuple[str, ...], test: Callable[[Any, str], bool]
) -> Callable[[Any, str], bool]:
    if len(needs) == 1:  # most: spared the loop
        need = needs[0]
        return lambda parent, block: need in block and test(parent, block)
    return lambda parent, block: any(n in block for n in needs) and test(parent, block)


def _run_if(
    needs: tuple[str, ...], run: Callable[[Any, list[str]], Any]
) -> Callable[[Any, list[str]], Any]:
    """RUN, which takes the first of the blocks when it finds its syntax in it; else False."""
    return lambda parent, blocks: any(n in blocks[0] for n in needs) and run(parent, blocks)


def _preprocess_if(
    needs: tuple[str, ...], run: Callable[[list[str]], list[str]]
) -> Callable[[list[str]], list[str]]:
    return lambda lines: run(lines) if any(n in line for line in lines for n in needs) else lines


class MarkdownRenderer:
    """One reusable Markdown instance per build, with a cache: the same text renders once.

    Renderings are keyed by the text's SHA-256 and the heading levels (`cache_key`); LOOKUP
    finds one kept from an earlier build (see generator/cache.py), or returns None.
    """

    def __init__(self, lookup: Callable[[str], str | None] | None = None) -> None:
        self._md = _Markdown(extensions=[*EXTENSIONS, _OutpostExtension()], output_format="html")
        self._levels = next(p for p in self._md.treeprocessors if isinstance(p, _HeadingLevels))
        self._lookup = lookup
        self._used: dict[str, str] = {}

    def render(self, text: str, lowest_heading: int = 2, shift: int = 0) -> str:
        """TEXT as sanitised HTML, headings moved down by SHIFT, none bigger than `h{lowest_heading}`."""
        key = cache_key(text, lowest_heading, shift)
        html = self._used.get(key)
        if html is None:
            html = self._lookup(key) if self._lookup is not None else None
            if html is None:
                html = self.convert(text, lowest_heading, shift)
            self._used[key] = html
        return html

    def convert(self, text: str, lowest_heading: int, shift: int) -> str:
        """TEXT rendered now, never from the cache."""
        return sanitise(self._convert(text, lowest_heading, shift))

    def _convert(self, text: str, lowest_heading: int, shift: int) -> str:
        """TEXT through Python-Markdown at those heading levels, not yet sanitised."""
        self._levels.lowest, self._levels.shift = lowest_heading, shift
        return self._md.reset().convert(text)

    def render_all(self, texts: Iterable[str], lowest_heading: int = 2, shift: int = 0) -> None:
        """Make the renderings of TEXTS that `render` will be asked for, at once where it can.

        Each conversion costs a fixed ~55 µs on top of its text's own cost: the updates of a
        post that cannot reach into one another (see `joinable`) are converted as one document,
        with a separator paragraph between them, and cut apart again. Each piece is what
        `convert` makes of its text alone, byte for byte.
        """
        todo: dict[str, str] = {}
        for text in texts:
            key = cache_key(text, lowest_heading, shift)
            if key in self._used or key in todo:
                continue
            html = self._lookup(key) if self._lookup is not None else None
            if html is not None:
                self._used[key] = html
            elif joinable(text):
                todo[key] = text
        if len(todo) < 2:  # one text alone is converted when it is rendered
            return
        joined = self._convert(f"\n\n{_SEPARATOR}\n\n".join(todo.values()), lowest_heading, shift)
        pieces = joined.split(_SEPARATOR_HTML)
        if len(pieces) != len(todo):  # never seen: the texts are converted one by one instead
            return
        for key, piece in zip(todo, pieces, strict=True):
            self._used[key] = sanitise(piece)

    def forget(self) -> None:
        """Start a new build: what the last one used is no longer remembered."""
        self._used.clear()

    @property
    def used(self) -> dict[str, str]:
        """Every rendering this build used: what the next build's cache holds."""
        return dict(sorted(self._used.items()))


# Between texts converted as one document: a paragraph no writer types (`joinable` checks).
_SEPARATOR = "outpostseparatorc6d1e0a9"
_SEPARATOR_HTML = f"\n<p>{_SEPARATOR}</p>\n"
# What lets a text reach past its own blocks, or take the separator into one of them:
# raw HTML and entities (`<`, `&`: an unclosed tag runs on), reference links and
# abbreviations (defined for the whole document), tabs, carriage returns and
# Python-Markdown's own placeholder characters.
_REACHING = ("<", "&", "]:", "*[", "\t", "\r", "\x02", "\x03", _SEPARATOR)
# A line that starts with 4 spaces (code, or a list's nested block: blank lines are kept in
# code), with `:` (a definition of the paragraph before it), or holds only spaces.
_REACHING_LINE = re.compile(r"^(?: {4}|:| +$)", re.MULTILINE)
_FENCED = FencedBlockPreprocessor.FENCED_BLOCK_RE
_FENCE_LINE = re.compile(r"^(?:`{3}|~{3})", re.MULTILINE)


def joinable(text: str) -> bool:
    """Whether TEXT renders alike alone and as part of a document of such texts, between
    separator paragraphs: its blocks begin and end inside it, and it defines nothing."""
    return (
        bool(text)
        and text == text.strip()
        and "\n\n\n" not in text
        and not any(needle in text for needle in _REACHING)
        and _REACHING_LINE.search(text) is None
        and _fences_close(text)
    )


def _fences_close(text: str) -> bool:
    """Whether each code fence in TEXT is closed in it (else it could close on the next text's).

    The fences are paired as the fenced_code extension pairs them, searching from the start.
    """
    if "```" not in text and "~~~" not in text:
        return True
    index = 0
    while found := _FENCED.search(text, index):
        if found["attrs"] is not None or _FENCE_LINE.search(text, index, found.start()):
            return False  # `{attrs}` the extension may skip, or a fence left open before it
        index = found.end()
    return _FENCE_LINE.search(text, index) is None


def cache_key(text: str, lowest_heading: int, shift: int) -> str:
    return (
        f"{lowest_heading}{shift}"
        + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    )
