"""The Markdown renderer's shortcuts: each renders exactly what Python-Markdown's own code does."""

from __future__ import annotations

import os
from typing import Any

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from generator.outputs import markup
from generator.outputs.markup import MarkdownRenderer

SCALE = int(os.environ.get("OUTPOST_PROPERTY_SCALE", "1"))


def made_up(examples: int, *also: HealthCheck) -> Any:
    """Hypothesis settings for EXAMPLES made-up texts (times SCALE), the same on every run
    unless scaled up; ALSO: health checks suppressed besides `too_slow`."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, *also],
    )


def stock() -> MarkdownRenderer:
    """A renderer on Python-Markdown's own classes, unguarded: what the shortcuts must match."""
    renderer = MarkdownRenderer()
    md = markdown.Markdown(extensions=[*markup.EXTENSIONS, markup._OutpostExtension()])
    assert type(md.treeprocessors["inline"]) is InlineProcessor
    renderer._md = md
    renderer._levels = next(p for p in md.treeprocessors if isinstance(p, markup._HeadingLevels))
    return renderer


# One of each per module, as in a build: state left by one text must not change the next.
QUICK, STOCK = MarkdownRenderer(), stock()

# Each with a character that some inline pattern needs, in a place where it matters or not.
TRICKY = [
    ("Line one  \nline two", "<p>Line one<br>\nline two</p>"),
    ("Line one \nline two", "<p>Line one \nline two</p>"),
    ("Use `a_b` and \\*not em\\*", "<p>Use <code>a_b</code> and *not em*</p>"),
    ("Tom &amp; Jerry & co &#38; &#x26;", "<p>Tom &amp; Jerry &amp; co &amp; &amp;</p>"),
    (
        "See ![logo](/logo.png) and [docs](https://x.example/)",
        '<p>See <img alt="logo" src="/logo.png"> and '
        '<a href="https://x.example/" rel="noopener noreferrer">docs</a></p>',
    ),
    (
        "<https://x.example/> or <ops@x.example>",
        '<p><a href="https://x.example/" rel="noopener noreferrer">https://x.example/</a>'
        ' or <a href="mailto:ops@x.example">ops@x.example</a></p>',
    ),
    # After the last `<` is matched, the next pattern must start from the text's beginning.
    (
        "Mixed *em* and __strong__ and <b>bold</b>",
        "<p>Mixed <em>em</em> and <strong>strong</strong> and <b>bold</b></p>",
    ),
    ("<b>bold</b> then *em*", "<p><b>bold</b> then <em>em</em></p>"),
    (
        "`code` then _em_ and `more`",
        "<p><code>code</code> then <em>em</em> and <code>more</code></p>",
    ),
    ("[ref] and [ref][]\n\n[ref]: /a", '<p><a href="/a">ref</a> and <a href="/a">ref</a></p>'),
    ("![alt][pic]\n\n[pic]: /p.png", '<p><img alt="alt" src="/p.png"></p>'),
    ("**strong _nested em_ here**", "<p><strong>strong <em>nested em</em> here</strong></p>"),
    ("[*em in link*](/x) and *em*", '<p><a href="/x"><em>em in link</em></a> and <em>em</em></p>'),
    (
        "- *a*\n- `b`\n- c  \n  d",
        "<ul>\n<li><em>a</em></li>\n<li><code>b</code></li>\n<li>c<br>\n  d</li>\n</ul>",
    ),
    ("| a | *b* |\n| - | - |\n| `c` | d |", None),
    ("*[HTML]: Hyper Text\n\nThe HTML spec", None),
    ("Plain words only, nothing to match.", "<p>Plain words only, nothing to match.</p>"),
    # Block syntax, each in a block with and without the strings its processor looks for.
    ("# Title\n\nText", "<h2>Title</h2>\n<p>Text</p>"),
    ("Text\n## Title", "<p>Text</p>\n<h2>Title</h2>"),
    ("> quoted\nlazy", "<blockquote>\n<p>quoted\nlazy</p>\n</blockquote>"),
    ("a\n\n---\n\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
    ("a\n* * *\nb", "<p>a</p>\n<hr>\n<p>b</p>"),
    ("Term\n:   Definition", "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>"),
    ("Time: 09:05 UTC", "<p>Time: 09:05 UTC</p>"),
    ("a | b\n--|--\n1 | 2", None),
    ("a | b but no table", "<p>a | b but no table</p>"),
    ("Text\n[id]: /x\nmore [id]", None),
    ("```\n<b> & `x`\n```", "<pre><code>&lt;b&gt; &amp; `x`\n</code></pre>"),
    ("~~~python\nx = 1\n~~~", '<pre><code class="language-python">x = 1\n</code></pre>'),
    ("<div>\nraw *html*\n</div>\n\nafter", None),
    ("Fish &amp; chips &copy; & co", None),
]


@pytest.mark.parametrize(("text", "expected"), TRICKY)
def test_inline_shortcut_renders_as_python_markdown(text: str, expected: str | None) -> None:
    html = QUICK.convert(text, 2, 0)
    assert html == STOCK.convert(text, 2, 0)
    if expected is not None:
        assert html == expected


# Pieces of text that inline (and block) patterns look for, to be put together at random.
PIECES = [
    *("*", "**", "_", "__", "`", "``", "\\", "[", "]", "(", ")", "!", "<", ">", "&", ";"),
    *("&amp;", "&#38;", "#", "  \n", " \n", "\n", "\n\n", " ", "a", "word", "x_y", "1. ", "- "),
    *("<b>", "</b>", "<!-- c -->", "https://x.example/", "/p.png", "@", "ops@x.example", ":"),
    *('"t"', "[x]: /y", "*[HTML]: Hyper", "HTML", "|", "| - |", "```", "    ", "\t"),
    *("\n# ", "\n> ", "\n---\n", "\n* * *", "\n:   ", "\n| a | b |\n| - | - |", "~~~"),
    *("<div>", "</div>", "\n\n<p>", "&copy;", "=", "\n===", "+ ", "2) ", "]:", "\n[y]:/z"),
]


@made_up(400)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_inline_shortcut_matches_python_markdown_on_made_up_texts(text: str) -> None:
    assert QUICK.convert(text, 4, 1) == STOCK.convert(text, 4, 1)


# --- a post's updates converted as one document (render_all) ---

# Joinable texts with each kind of block ending or beginning them, next to one another.
BLOCKS = [
    "Plain words.",
    "- one\n- two",
    "1. first\n2. second",
    "- item\n  lazy continuation",
    "* a\n\n* loose b",
    "> quoted\nlazy",
    "# Heading",
    "Setext\n===",
    "Under\n---",
    "---",
    "* * *",
    "| a | b |\n| - | - |\n| 1 | 2 |",
    "Line one  \nline two",
    "Use `code` and *em* and **strong**, [a link](https://x.example/)",
    "Term\nnot a definition: 09:05",
    "1) paren list",
    "+ plus list",
    "Text\n## Closing heading",
    "![pic](/p.png) and ![far](https://x.example/p.png)",
    "```\n$ curl -i https://x.example/\nHTTP/1.1 503\n```",
    "Before\n~~~python\nx = 1\n~~~\nafter, and `inline` code",
    "````\n```\nnested fence\n```\n````",
]


@pytest.mark.parametrize("first", BLOCKS)
def test_render_all_matches_one_by_one(first: str) -> None:
    texts = [first, *BLOCKS, first]
    assert all(markup.joinable(text) for text in texts)
    together = MarkdownRenderer()
    together.render_all(texts, 4, 1)
    assert len(together._used) == len(set(texts))  # made at once: nothing left to render
    for text in texts:
        assert together.render(text, 4, 1) == STOCK.convert(text, 4, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " leading space",
        "trailing newline\n",
        "a\n\n\nb",
        "<b>raw</b>",
        "Fish &amp; chips",
        "```\nnever closed",
        "```\ncode\n```\n\n~~~\nopen",
        "~~~\nnot closed by\n```",
        "```{.python}\nattrs\n```",
        "[x][id]\n\n[id]: /y",
        "*[HTML]: Hyper\n\nHTML",
        "a\tb",
        "a\r\nb",
        "    indented code",
        "- a\n\n    nested block",
        "Term\n: definition",
        "a\n   \nb",
        f"say {markup._SEPARATOR}",
    ],
)
def test_texts_that_could_reach_the_next_are_not_joined(text: str) -> None:
    assert not markup.joinable(text)
    renderer = MarkdownRenderer()
    renderer.render_all([text, "Plain words.", "More words."], 4, 1)
    assert cache_key_of(text) not in renderer._used  # converted alone, when rendered
    assert renderer.render(text, 4, 1) == STOCK.convert(text, 4, 1)


def cache_key_of(text: str) -> str:
    return markup.cache_key(text, 4, 1)


def test_render_all_takes_what_the_cache_holds() -> None:
    kept = {cache_key_of("Kept words."): "<p>from the cache</p>"}
    renderer = MarkdownRenderer(kept.get)
    renderer.render_all(["Kept words.", "New words.", "Other words."], 4, 1)
    assert renderer.render("Kept words.", 4, 1) == "<p>from the cache</p>"
    assert renderer.render("New words.", 4, 1) == "<p>New words.</p>"


# Pieces of joinable texts: block and inline syntax without what `joinable` refuses.
JOINABLE_PIECES = [
    *("*", "**", "_", "__", "`", "\\", "[", "]", "(", ")", "!", ">", "#", "  \n", " \n"),
    *("\n", "\n\n", " ", "a", "word", "x_y", "1. ", "- ", "+ ", "2) ", "=", "|", "| - |"),
    *("\n# ", "\n> ", "\n---\n", "\n* * *", "\n| a | b |\n| - | - |", "\n===", "  ", ":"),
    *("https://x.example/", "/p.png", "@", '"t"', "HTML", "\n- ", "\n1. ", "\n  - "),
    *("\n```\n", "\n~~~\n", "```", "\n```python\n", "\n````\n", "code"),
]


@made_up(300, HealthCheck.filter_too_much)
@given(
    st.lists(
        st.lists(st.sampled_from(JOINABLE_PIECES), min_size=1, max_size=30)
        .map(lambda pieces: "".join(pieces).strip())
        .filter(markup.joinable),
        min_size=2,
        max_size=8,
    )
)
def test_render_all_matches_one_by_one_on_made_up_texts(texts: list[str]) -> None:
    together = MarkdownRenderer()
    together.render_all(texts, 4, 1)
    if len(set(texts)) > 1:
        assert len(together._used) == len(set(texts))  # joined, not left to one by one
    for text in texts:
        assert together.render(text, 4, 1) == STOCK.convert(text, 4, 1)


def test_a_pattern_without_needles_is_tried_on_plain_text() -> None:
    """Another version's pattern (not in the table of needles) is tried on every text."""
    from markdown.inlinepatterns import SimpleTagInlineProcessor

    renderer = MarkdownRenderer()
    inline = next(p for p in renderer._md.treeprocessors if isinstance(p, markup._QuickInline))
    inline.inlinePatterns.register(SimpleTagInlineProcessor(r"()\+\+(.+?)\+\+", "ins"), "ins", 1)
    inline._patterns = None  # looked at again on the next run
    assert (
        renderer.convert("plain ++inserted++ words", 2, 0)
        == "<p>plain <ins>inserted</ins> words</p>"
    )
    assert renderer.convert("plain words", 2, 0) == "<p>plain words</p>"
