"""site.yaml → SiteConfig, and every problem in it as `site.yaml:LINE: error: MESSAGE`."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from generator.config import load_config
from generator.model import SiteConfig
from tests.conftest import SITE_YAML, MakeSite

MINIMAL = "title: Example Status\nbase_url: https://status.example.com/\n"


def problems_of(make_site: MakeSite, site_yaml: str | bytes) -> list[str]:
    """The problems of a site whose site.yaml is SITE_YAML, as the user sees them."""
    if isinstance(site_yaml, bytes):
        site = make_site({"site.yaml": site_yaml}, site_yaml=None)
    else:
        site = make_site(site_yaml=site_yaml)
    config, problems = load_config(site)
    assert (config is None) == any(p.is_error for p in problems)
    return [str(p) for p in problems]


def config_of(make_site: MakeSite, site_yaml: str) -> SiteConfig:
    config, problems = load_config(make_site(site_yaml=site_yaml))
    assert [str(p) for p in problems] == []
    assert config is not None
    return config


def test_a_minimal_site_gets_every_default(make_site: MakeSite) -> None:
    config = config_of(make_site, MINIMAL)
    assert config.title == "Example Status"
    assert config.base_url == "https://status.example.com/"
    assert config.description == ""
    assert config.language == "en"
    assert config.timezone_name == "UTC"
    assert config.timezone == UTC
    assert config.theme == "default"
    assert config.feed_entries == 50
    assert config.id_host == "status.example.com"
    assert config.components == ()


def test_every_key_is_read(make_site: MakeSite) -> None:
    config = config_of(
        make_site,
        MINIMAL + "description: Incidents for Example.\nlanguage: de-CH\ntimezone: Europe/Berlin\n"
        "feed:\n  entries: 20\nid_host: old.example.org\n",
    )
    assert config.description == "Incidents for Example."
    assert config.language == "de-CH"
    assert config.timezone == ZoneInfo("Europe/Berlin")
    assert config.feed_entries == 20
    assert config.id_host == "old.example.org"


@pytest.mark.parametrize(
    ("base_url", "id_host", "normalised"),
    [
        ("https://status.example.com/", "status.example.com", "https://status.example.com/"),
        ("https://status.example.com", "status.example.com", "https://status.example.com/"),
        (
            "https://Status.Example.com:8443/s/",
            "status.example.com",
            "https://Status.Example.com:8443/s/",
        ),
        ("http://localhost:8000/", "localhost", "http://localhost:8000/"),
    ],
)
def test_id_host_defaults_to_the_host_of_base_url(
    make_site: MakeSite, base_url: str, id_host: str, normalised: str
) -> None:
    config = config_of(make_site, f"title: T\nbase_url: {base_url}\n")
    assert config.id_host == id_host
    assert config.base_url == normalised


def test_components_keep_their_order_and_groups(make_site: MakeSite) -> None:
    config = config_of(make_site, SITE_YAML)
    assert [(c.name, c.slug, c.group) for c in config.components] == [
        ("API", "api", None),
        ("Web app", "web-app", None),
        ("Scheduler", "scheduler", "Publishing"),
        ("Queue", "queue", "Publishing"),
    ]
    assert [g.name for g in config.groups] == [None, None, "Publishing"]


def test_crlf_and_a_byte_order_mark_are_read_with_the_right_lines(make_site: MakeSite) -> None:
    text = "title: T\r\nbase_url: https://status.example.com/\r\ntimzone: UTC\r\n"
    assert problems_of(make_site, b"\xef\xbb\xbf" + text.encode()) == [
        "site.yaml:3: error: unknown key 'timzone' (did you mean 'timezone'?)"
    ]


@pytest.mark.parametrize(
    ("site_yaml", "expected"),
    [
        (
            "base_url: https://status.example.com/\n",
            ["site.yaml:1: error: title is required: the name of the status site"],
        ),
        (
            "# Example\ntitle: Example Status\n",
            ["site.yaml:2: error: base_url is required: the absolute URL the site is served from"],
        ),
        (
            'base_url: https://status.example.com/\ntitle: ""\n',
            ["site.yaml:2: error: title is required: the name of the status site"],
        ),
        (
            "title: T\nbase_url: status.example.com\n",
            [
                "site.yaml:2: error: base_url must be an absolute http or https URL; "
                "got 'status.example.com'"
            ],
        ),
        (
            MINIMAL + "timzone: UTC\n",
            ["site.yaml:3: error: unknown key 'timzone' (did you mean 'timezone'?)"],
        ),
        (MINIMAL + "colour: red\n", ["site.yaml:3: error: unknown key 'colour'"]),
        (
            MINIMAL + "timezone: Europe/Berln\n",
            [
                "site.yaml:3: error: unknown time zone 'Europe/Berln': use an IANA name "
                "such as 'Europe/Berlin' (did you mean 'Europe/Berlin'?)"
            ],
        ),
        (
            MINIMAL + "timezone: Mars/Olympus\n",
            [
                "site.yaml:3: error: unknown time zone 'Mars/Olympus': use an IANA name "
                "such as 'Europe/Berlin'"
            ],
        ),
        (
            MINIMAL + "language: English (US)\n",
            [
                "site.yaml:3: error: language must be a language tag such as 'en' or 'de-CH'; "
                "got 'English (US)'"
            ],
        ),
        (
            MINIMAL + "theme: dark\n",
            ["site.yaml:3: error: theme 'dark' not found: expected a folder themes/dark/"],
        ),
    ],
)
def test_site_yaml_errors(make_site: MakeSite, site_yaml: str, expected: list[str]) -> None:
    assert problems_of(make_site, site_yaml) == expected


@pytest.mark.parametrize("entries", ["0", "-5", "fifty", "2.5", "true", '"50"'])
def test_feed_entries_must_be_a_whole_number_of_one_or_more(
    make_site: MakeSite, entries: str
) -> None:
    shown = {"true": "True", '"50"': "50"}.get(entries, entries)
    assert problems_of(make_site, MINIMAL + f"feed:\n  entries: {entries}\n") == [
        f"site.yaml:4: error: feed.entries must be a whole number of 1 or more; got '{shown}'"
    ]


def test_feed_keys_are_checked(make_site: MakeSite) -> None:
    assert problems_of(make_site, MINIMAL + "feed:\n  entires: 20\n") == [
        "site.yaml:4: error: unknown key 'feed.entires' (did you mean 'feed.entries'?)"
    ]
    assert problems_of(make_site, MINIMAL + "feed: 20\n") == [
        "site.yaml:3: error: feed must be a mapping, such as 'feed: {entries: 50}'"
    ]


def test_component_names_are_unique_across_the_whole_file(make_site: MakeSite) -> None:
    site_yaml = MINIMAL + (
        "components:\n"  # 3
        "  - name: API\n"  # 4
        "  - group: Publishing\n"  # 5
        "    components:\n"  # 6
        "      - name: Queue\n"  # 7
        "      - name: API\n"  # 8
        "  - name: Queue\n"  # 9
    )
    assert problems_of(make_site, site_yaml) == [
        "site.yaml:8: error: component 'API' is declared twice (first on line 4)",
        "site.yaml:9: error: component 'Queue' is declared twice (first on line 7)",
    ]


def test_component_keys_are_checked(make_site: MakeSite) -> None:
    site_yaml = MINIMAL + (
        "components:\n"  # 3
        "  - name: API\n"  # 4
        "    descripton: REST\n"  # 5
        "  - API\n"  # 6
        "  - group: Publishing\n"  # 7
        "    component:\n"  # 8
        "      - name: Queue\n"  # 9
    )
    assert problems_of(make_site, site_yaml) == [
        "site.yaml:5: error: unknown component key 'descripton' (did you mean 'description'?)",
        "site.yaml:6: error: a component must be a mapping with a name, such as '- name: API'",
        "site.yaml:8: error: unknown group key 'component' (did you mean 'components'?)",
        "site.yaml:7: error: group 'Publishing' needs a list of components",
    ]


def test_every_problem_is_reported_at_once(make_site: MakeSite) -> None:
    site_yaml = "titel: Example\ntimezone: Nowhere/Town\nfeed:\n  entries: 0\n"
    assert sorted(problems_of(make_site, site_yaml)) == [
        "site.yaml:1: error: base_url is required: the absolute URL the site is served from",
        "site.yaml:1: error: title is required: the name of the status site",
        "site.yaml:1: error: unknown key 'titel' (did you mean 'title'?)",
        "site.yaml:2: error: unknown time zone 'Nowhere/Town': use an IANA name "
        "such as 'Europe/Berlin'",
        "site.yaml:4: error: feed.entries must be a whole number of 1 or more; got '0'",
    ]


@pytest.mark.parametrize(
    ("site_yaml", "expected"),
    [
        (
            "title: Example\nbase_url: [https://status.example.com/\n\ntheme: x\n",
            "site.yaml:2: error: not valid YAML: while parsing a flow sequence; "
            "expected ',' or ']', but got ':'",
        ),
        (
            "title: Example: Status\n",
            "site.yaml:1: error: not valid YAML: mapping values are not allowed here; "
            "put a value that contains ': ' in quotes, and check the indentation",
        ),
        (
            MINIMAL + "title: Again\n",
            "site.yaml:3: error: not valid YAML: key 'title' is given twice (first on line 1)",
        ),
        ("- title: Example\n", "site.yaml:1: error: site.yaml must be a mapping of keys to values"),
    ],
)
def test_unreadable_site_yaml(make_site: MakeSite, site_yaml: str, expected: str) -> None:
    assert problems_of(make_site, site_yaml) == [expected]


def test_an_empty_site_yaml_asks_for_title_and_base_url(make_site: MakeSite) -> None:
    assert problems_of(make_site, "# nothing yet\n") == [
        "site.yaml:1: error: title is required: the name of the status site",
        "site.yaml:1: error: base_url is required: the absolute URL the site is served from",
    ]


def test_site_yaml_that_is_not_utf8_names_the_line_of_the_bad_byte(make_site: MakeSite) -> None:
    raw = b"\xef\xbb\xbftitle: Caf\xe9\r\nbase_url: https://status.example.com/\r\n"
    assert problems_of(make_site, raw) == [
        "site.yaml:1: error: file is not UTF-8: byte 0xe9 on this line cannot be read; save the file as UTF-8"
    ]
    raw = b"\xef\xbb\xbf\n\ntitle: Caf\xe9\n"
    assert problems_of(make_site, raw) == [
        "site.yaml:3: error: file is not UTF-8: byte 0xe9 on this line cannot be read; save the file as UTF-8"
    ]


def test_a_missing_site_yaml_says_where_it_looked(make_site: MakeSite) -> None:
    config, problems = load_config(make_site(site_yaml=None))
    assert config is None
    assert [str(p) for p in problems] == [
        "site.yaml:1: error: no site.yaml here: is this an Outpost site? (--site DIR)"
    ]
