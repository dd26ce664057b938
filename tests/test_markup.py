"""The Markdown renderer's shortcuts: each renders exactly what Python-Markdown's own code does."""

from __future__ import annotations

import os

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown.treeprocessors import InlineProcessor

from generator.outputs import markup
from generator.outputs.markup import MarkdownRenderer

SCALE = int(os.environ.get("OUTPOST_PROPERTY_SCALE", "1"))


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


@settings(
    max_examples=400 * SCALE,
    deadline=None,
    derandomize=SCALE == 1,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_inline_shortcut_matches_python_markdown_on_made_up_texts(text: str) -> None:
    assert QUICK.convert(text, 4, 1) == STOCK.convert(text, 4, 1)
