"""Incident and maintenance files → model, and every mistake as `PATH:LINE: error: MESSAGE`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from generator.config import load_config
from generator.content import INCIDENTS, MAINTENANCE, parse_post
from generator.load import load_site
from generator.model import COMPLETED, IN_PROGRESS, UPCOMING, Incident, Maintenance, SiteConfig
from tests.conftest import INCIDENT, SITE_YAML, MakeSite, run_outpost

NOW = datetime(2026, 12, 1, tzinfo=UTC)
P = "content/incidents/login-failures.md"
M = "content/maintenance/db-upgrade.md"
FIRST = "## 2026-11-29 09:05 UTC — Investigating"
EXAMPLE = "'## 2026-11-29 09:05 UTC — Investigating'"
INCIDENT_STATUSES = "Investigating, Identified, Monitoring, Update, Resolved or Postmortem"
MAINTENANCE_STATUSES = "Scheduled, In progress, Verifying, Completed or Update"


@pytest.fixture
def config(make_site: MakeSite) -> SiteConfig:
    return site_config(make_site)


def site_config(make_site: MakeSite, timezone: str = "UTC", extra: str = "") -> SiteConfig:
    site_yaml = SITE_YAML.replace("timezone: UTC", f"timezone: {timezone}") + extra
    loaded, problems = load_config(make_site(site_yaml=site_yaml))
    assert problems == [] and loaded is not None
    return loaded


def text_of(*lines: str) -> bytes:
    """A file made of LINES, each ended by LF."""
    return "".join(line + "\n" for line in lines).encode()


def parse(
    config: SiteConfig,
    *lines: str,
    kind: str = INCIDENTS,
    slug: str | None = None,
    raw: bytes | None = None,
    now: datetime = NOW,
) -> tuple[Incident | Maintenance | None, list[str]]:
    """Parse LINES (or RAW) as the file content/KIND/SLUG.md; the problems as the user sees them."""
    slug = slug or ("login-failures" if kind == INCIDENTS else "db-upgrade")
    shown = f"content/{kind}/{slug}.md"
    post, problems = parse_post(kind, shown, slug, raw or text_of(*lines), config, now)
    assert isinstance(post, (Incident, Maintenance, type(None)))
    assert (post is None) == any(p.is_error for p in problems)
    return post, [str(p) for p in problems]


def problems(config: SiteConfig, *lines: str, **options: object) -> list[str]:
    return parse(config, *lines, **options)[1]  # type: ignore[arg-type]


def incident(config: SiteConfig, *lines: str, raw: bytes | None = None) -> Incident:
    post, found = parse(config, *lines, raw=raw)
    assert found == []
    assert isinstance(post, Incident)
    return post


def maintenance(config: SiteConfig, *lines: str, now: datetime = NOW) -> Maintenance:
    post, found = parse(config, *lines, kind=MAINTENANCE, now=now)
    assert found == []
    assert isinstance(post, Maintenance)
    return post


# ---------------------------------------------------------------- the example in conftest


def test_the_example_incident_is_read_whole(config: SiteConfig) -> None:
    post = incident(config, raw=INCIDENT.encode())
    assert post.title == "Login failures"
    assert post.impact == "major"
    assert post.components == (("API", None),)
    assert post.draft is False
    assert post.preamble == "Some customers cannot log in."
    assert [(u.line, u.status, u.body) for u in post.updates] == [
        (8, "Investigating", "We are looking into it."),
        (11, "Identified", "A bad deploy. Rolling back."),
        (14, "Resolved", "Logins work again."),
    ]
    assert post.is_resolved


# ---------------------------------------------------------------- front matter errors


@pytest.mark.parametrize(
    "raw",
    [
        text_of("title: Login failures", "", FIRST, "We are investigating."),
        text_of("", "---", "title: Login failures", "---", FIRST, "x"),
        b"",
    ],
)
def test_front_matter_missing(config: SiteConfig, raw: bytes) -> None:
    assert problems(config, raw=raw) == [
        f"{P}:1: error: front matter missing: the file must begin with a line '---'"
    ]


def test_front_matter_not_closed_is_reported_at_its_opening_line(config: SiteConfig) -> None:
    found = problems(config, "---", "title: Login failures", "impact: major", "", FIRST, "x")
    assert found == [f"{P}:1: error: front matter is not closed: add a line '---' after it"]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (
            ["title: Login failures", "components: [API,", "  Web app", "impact: major"],
            "3: error: front matter is not valid YAML: while parsing a flow sequence; "
            "expected ',' or ']', but got ':'",
        ),
        (
            ['title: "Login failures', "impact: major"],
            "2: error: front matter is not valid YAML: while scanning a quoted scalar; "
            "found unexpected end of stream",
        ),
        (
            ["title: Login failures", "\timpact: major"],
            "3: error: front matter is not valid YAML: while scanning for the next token; "
            "found character '\\t' that cannot start any token",
        ),
        (
            ["impact: major", "title: Login: failures"],
            "3: error: front matter is not valid YAML: mapping values are not allowed here; "
            "put a value that contains ': ' in quotes, and check the indentation",
        ),
        (
            ["title: Login failures", "impact: major", 'components: "API" Queue'],
            "4: error: front matter is not valid YAML: expected <block end>, but found "
            "'<scalar>'; check the indentation and quotes on this line",
        ),
        (
            ["title: Login failures", "components:", "  - API", " - Queue", "impact: major"],
            "5: error: front matter is not valid YAML: expected <block end>, but found "
            "'<block sequence start>'; check the indentation and quotes on this line",
        ),
        (
            ["title: Login failures", "impact: major", "title: Again"],
            "4: error: front matter is not valid YAML: key 'title' is given twice "
            "(first on line 2)",
        ),
    ],
)
def test_front_matter_that_is_not_valid_yaml_is_reported_where_the_fault_begins(
    config: SiteConfig, front: list[str], expected: str
) -> None:
    assert problems(config, "---", *front, "---", FIRST, "x") == [f"{P}:{expected}"]


@pytest.mark.parametrize(
    ("front", "found"),
    [
        (["- title: Login failures"], "a list"),
        (["title Login failures"], "'title Login failures'"),
        (["", "# title", "Login failures"], "'Login failures'"),
    ],
)
def test_front_matter_that_is_not_a_mapping(
    config: SiteConfig, front: list[str], found: str
) -> None:
    line = 2 + len(front) - 1
    assert problems(config, "---", *front, "---", FIRST, "x") == [
        f"{P}:{line}: error: front matter must be a mapping of keys to values, "
        f"such as 'title: Login failures'; got {found}"
    ]


@pytest.mark.parametrize("front", [[], ["# to do"]])
def test_empty_front_matter_asks_for_a_title(config: SiteConfig, front: list[str]) -> None:
    assert problems(config, "---", *front, "---", FIRST, "x") == [
        f"{P}:1: error: title is required: add 'title: ...' to the front matter"
    ]


def test_missing_title(config: SiteConfig) -> None:
    assert problems(config, "---", "impact: major", "---", FIRST, "x") == [
        f"{P}:1: error: title is required: add 'title: ...' to the front matter"
    ]


@pytest.mark.parametrize("title", ["", '""', "'  '", "[]"])
def test_empty_title(config: SiteConfig, title: str) -> None:
    assert problems(config, "---", "impact: major", f"title: {title}", "---", FIRST, "x") == [
        f"{P}:3: error: title must not be empty"
    ]


def test_unknown_key_with_did_you_mean(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "compnents: [API]", "Impact: major", "---", FIRST
    )
    assert found == [
        f"{P}:3: error: unknown key 'compnents' (did you mean 'components'?)",
        f"{P}:4: error: unknown key 'Impact' (did you mean 'impact'?)",
        f"{P}:6: warning: update has no message",
    ]


def test_unknown_key_in_maintenance(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Database upgrade",
        "start: 2026-12-01 02:00 UTC",
        "end: 2026-12-01 03:00 UTC",
        "impact: major",
        "strat: 2026-12-01 02:00 UTC",
        "---",
        kind=MAINTENANCE,
    )
    assert found == [
        f"{M}:5: error: unknown key 'impact'",
        f"{M}:6: error: unknown key 'strat' (did you mean 'start'?)",
    ]


def test_unknown_impact(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "impact: catastrophic", "---", FIRST, "x"
    )
    assert found == [
        f"{P}:3: error: impact must be one of none, minor, major, critical; got 'catastrophic'"
    ]


@pytest.mark.parametrize(
    ("written", "impact"), [("none", "none"), ("Major", "major"), ("", "minor")]
)
def test_impact_in_any_letter_case_and_minor_by_default(
    config: SiteConfig, written: str, impact: str
) -> None:
    front = [f"impact: {written}"] if written else []
    post = incident(config, "---", "title: Login failures", *front, "---", FIRST, "x")
    assert post.impact == impact


@pytest.mark.parametrize("draft", ["maybe", "1"])
def test_draft_must_be_true_or_false(config: SiteConfig, draft: str) -> None:
    found = problems(config, "---", "title: Login failures", f"draft: {draft}", "---", FIRST, "x")
    assert found == [f"{P}:3: error: draft must be true or false; got '{draft}'"]


@pytest.mark.parametrize(
    ("plain", "as_yaml"),
    [
        ("title: Login failures (EU)", 'title: "Login failures (EU)"'),
        ("components: [API, Web app]", "components: [API, 'Web app']"),
        ("components: [ ]", "components: []  # none"),
        ("started: 2026-11-29 09:00 UTC", "started: '2026-11-29 09:00 UTC'"),
        ("draft: yes", "draft: true"),  # YAML 1.1: yes is a boolean, not a word
        ("impact: Off", "impact: false"),
    ],
)
def test_plain_front_matter_reads_as_yaml_reads_it(
    config: SiteConfig, plain: str, as_yaml: str
) -> None:
    def read(line: str) -> tuple[object, list[str]]:
        return parse(config, "---", "title: Login failures", line, "---", FIRST, "x")

    assert read(plain) == read(as_yaml)


# ---------------------------------------------------------------- components


def test_components_as_a_list(config: SiteConfig) -> None:
    post = incident(
        config, "---", "title: Login failures", "components: [API, Web app]", "---", FIRST, "x"
    )
    assert post.components == (("API", None), ("Web app", None))
    assert post.component_status("API") == "degraded_performance"  # minor impact


def test_components_as_a_mapping_to_a_status(config: SiteConfig) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "impact: critical",
        "components:",
        "  API: degraded_performance",
        "  Queue: partial_outage",
        "  Scheduler: major_outage",
        "---",
        FIRST,
        "x",
    )
    assert post.components == (
        ("API", "degraded_performance"),
        ("Queue", "partial_outage"),
        ("Scheduler", "major_outage"),
    )
    assert post.component_status("API") == "degraded_performance"


def test_a_component_not_declared_in_site_yaml(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Login failures",
        "components:",
        "  - API",
        "  - Shceduler",
        "  - api",
        "  - Billing",
        "---",
        FIRST,
        "x",
    )
    assert found == [
        f"{P}:5: error: component 'Shceduler' is not declared in site.yaml "
        "(did you mean 'Scheduler'?)",
        f"{P}:6: error: component 'api' is not declared in site.yaml (did you mean 'API'?)",
        f"{P}:7: error: component 'Billing' is not declared in site.yaml",
    ]


def test_a_component_not_declared_in_a_mapping(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Login failures",
        "components:",
        "  API: major_outage",
        "  Qeue: partial_outage",
        "---",
        FIRST,
        "x",
    )
    assert found == [
        f"{P}:5: error: component 'Qeue' is not declared in site.yaml (did you mean 'Queue'?)"
    ]


def test_a_component_status_that_is_not_known(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "components:", "  API: down", "---", FIRST, "x"
    )
    assert found == [
        f"{P}:4: error: the status of component 'API' must be one of degraded_performance, "
        "partial_outage or major_outage; got 'down'"
    ]


@pytest.mark.parametrize(
    "written", ["major_outage", "Major_Outage", "major outage", "Major-Outage"]
)
def test_a_component_status_in_any_letter_case(config: SiteConfig, written: str) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "components:",
        f"  API: {written}",
        "---",
        FIRST,
        "x",
    )
    assert post.components == (("API", "major_outage"),)


def test_a_component_without_a_status_in_a_mapping(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "components:", "  API:", "---", FIRST, "x"
    )
    assert found == [
        f"{P}:4: error: the status of component 'API' must be one of degraded_performance, "
        "partial_outage or major_outage; got nothing"
    ]


def test_a_component_named_twice(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "components: [API, API]", "---", FIRST, "x"
    )
    assert found == [f"{P}:3: error: component 'API' is named twice"]


def test_a_site_without_components(make_site: MakeSite) -> None:
    loaded, _ = load_config(make_site(site_yaml="title: T\nbase_url: https://s.example/\n"))
    assert loaded is not None
    found = problems(loaded, "---", "title: Login failures", "components: [API]", "---", FIRST, "x")
    assert found == [
        f"{P}:3: error: component 'API' is not declared in site.yaml "
        "(site.yaml declares no components)"
    ]


def test_maintenance_components_are_a_list_only(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Database upgrade",
        "start: 2026-12-01 02:00 UTC",
        "end: 2026-12-01 03:00 UTC",
        "components: {API: major_outage}",
        "---",
        kind=MAINTENANCE,
    )
    assert found == [f"{M}:5: error: components must be a list of names"]


# ---------------------------------------------------------------- update headings


@pytest.mark.parametrize("separator", ["—", "–", "-", "  —  ", "\t-\t"])
def test_every_separator_is_accepted(config: SiteConfig, separator: str) -> None:
    if separator.strip() == separator:
        separator = f" {separator} "
    post = incident(
        config,
        "---",
        "title: Login failures",
        "---",
        f"## 2026-11-29 09:05 UTC{separator}Identified",
        "x",
    )
    assert [(u.status, u.when) for u in post.updates] == [
        ("Identified", datetime(2026, 11, 29, 9, 5, tzinfo=UTC))
    ]


@pytest.mark.parametrize(
    ("heading", "found"),
    [
        ("## 2026-11-29 09:05 UTC — Identified ##", "Identified"),
        ("##2026-11-29 09:05 UTC — Identified \t#  ", "Identified"),
        ("   ## 2026-11-29 09:05 UTC — Identified", "Identified"),
        ("## 2026-11-29 09:05 UTC — Identified#", "unknown status 'Identified#'"),
        ("## 2026-11-29 09:05 UTC — Identified ## x", "unknown status 'Identified ## x'"),
    ],
)
def test_closing_hashes_of_an_update_heading_are_not_its_status(
    config: SiteConfig, heading: str, found: str
) -> None:
    post, seen = parse(config, "---", "title: Login failures", "---", heading, "x")
    if post is None:
        assert seen[0].startswith(f"{P}:4: error: {found} for an incident")
    else:
        assert [u.status for u in post.updates] == [found]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("investigating", "Investigating"),
        ("IDENTIFIED", "Identified"),
        ("MonItoring", "Monitoring"),
        ("update", "Update"),
        ("resolved", "Resolved"),
        ("POSTMORTEM", "Postmortem"),
    ],
)
def test_incident_statuses_in_any_letter_case(config: SiteConfig, word: str, status: str) -> None:
    post = incident(
        config, "---", "title: Login failures", "---", f"## 2026-11-29 09:05 UTC — {word}", "x"
    )
    assert post.updates[0].status == status


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("scheduled", "Scheduled"),
        ("in progress", "In progress"),
        ("IN PROGRESS", "In progress"),
        ("In Progress", "In progress"),
        ("In  progress", "In progress"),
        ("in-progress", "In progress"),
        ("verifying", "Verifying"),
        ("COMPLETED", "Completed"),
    ],
)
def test_maintenance_statuses_in_any_letter_case(
    config: SiteConfig, word: str, status: str
) -> None:
    post = maintenance(
        config,
        "---",
        "title: Database upgrade",
        "start: 2026-11-29 09:00 UTC",
        "end: 2026-11-29 10:00 UTC",
        "---",
        f"## 2026-11-29 09:05 UTC — {word}",
        "x",
    )
    assert post.updates[0].status == status


@pytest.mark.parametrize(
    ("heading", "utc"),
    [
        ("## 2026-11-29 09:05 — Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 09:05:07 — Identified", "2026-11-29T09:05:07Z"),
        ("## 2026-11-29 09:05Z - Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 09:05 utc — Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 04:05 -05:00 — Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 04:05-05:00 - Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 10:05 +01:00 — Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29T09:05:00Z — Identified", "2026-11-29T09:05:00Z"),
        ("## 2026-11-29 09:05 UTC — Identified ##", "2026-11-29T09:05:00Z"),
        ("##2026-11-29 09:05 UTC — Identified", "2026-11-29T09:05:00Z"),
        ("   ## 2026-11-29 09:05 UTC — Identified", "2026-11-29T09:05:00Z"),
    ],
)
def test_update_headings_take_every_timestamp_form(
    config: SiteConfig, heading: str, utc: str
) -> None:
    post = incident(config, "---", "title: Login failures", "---", heading, "x")
    assert post.updates[0].id.endswith("/" + utc)
    assert post.updates[0].status == "Identified"


def test_unknown_status_word(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Login failures",
        "---",
        "## 2026-11-29 09:05 UTC — Fixed",
        "x",
        "## 2026-11-29 10:05 UTC — Resolve",
        "x",
        "## 2026-11-29 11:05 UTC — Completed",
        "x",
    )
    assert found == [
        f"{P}:4: error: unknown status 'Fixed' for an incident: expected {INCIDENT_STATUSES}",
        f"{P}:6: error: unknown status 'Resolve' for an incident: expected {INCIDENT_STATUSES} "
        "(did you mean 'Resolved'?)",
        f"{P}:8: error: unknown status 'Completed' for an incident: expected {INCIDENT_STATUSES}",
    ]


def test_unknown_maintenance_status_word(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",
        "title: Database upgrade",
        "start: 2026-11-29 09:00 UTC",
        "end: 2026-11-29 10:00 UTC",
        "---",
        "## 2026-11-29 09:05 UTC — Started",
        "x",
        "## 2026-11-29 09:15 UTC — Resolved",
        "x",
        kind=MAINTENANCE,
    )
    assert found == [
        f"{M}:6: error: unknown status 'Started' for maintenance: expected {MAINTENANCE_STATUSES}",
        f"{M}:8: error: unknown status 'Resolved' for maintenance: expected {MAINTENANCE_STATUSES}",
    ]


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        (
            "## 2026-11-31 09:05 UTC — Identified",
            "cannot read timestamp '2026-11-31 09:05 UTC': day is out of range for month",
        ),
        (
            "## 2026-11-29 9:05 UTC — Identified",
            "cannot read timestamp '2026-11-29 9:05 UTC': expected YYYY-MM-DD HH:MM[:SS] "
            "with an optional zone (UTC, Z or +HH:MM)",
        ),
        (
            "## 2026-11-29 09:05 CET — Identified",
            "cannot read timestamp '2026-11-29 09:05 CET': expected YYYY-MM-DD HH:MM[:SS] "
            "with an optional zone (UTC, Z or +HH:MM)",
        ),
        (
            "## 2026-11-29 09:05 UTC Identified",
            "cannot read update heading '## 2026-11-29 09:05 UTC Identified': expected "
            f"'## TIMESTAMP — STATUS' with a dash between spaces, as in {EXAMPLE}",
        ),
        (
            "## 2026-11-29 09:05 UTC—Identified",
            "cannot read update heading '## 2026-11-29 09:05 UTC—Identified': expected "
            f"'## TIMESTAMP — STATUS' with a dash between spaces, as in {EXAMPLE}",
        ),
        (
            "## 2026-11-29",
            "cannot read update heading '## 2026-11-29': expected "
            f"'## TIMESTAMP — STATUS' with a dash between spaces, as in {EXAMPLE}",
        ),
    ],
)
def test_an_update_heading_that_cannot_be_read(
    config: SiteConfig, heading: str, message: str
) -> None:
    # Both as the first update (never a silent preamble heading) and after one.
    assert problems(config, "---", "title: Login failures", "---", heading, "x") == [
        f"{P}:4: error: {message}"
    ]
    found = problems(config, "---", "title: Login failures", "---", FIRST, "x", heading, "y")
    assert found == [f"{P}:6: error: {message}"]


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            "## 2026-11-29 09:05 UTC — Identified",
            "update time 2026-11-29 09:05:00 UTC is not later than the update on line 4 "
            "(2026-11-29 09:05:00 UTC): append updates in time order",
        ),
        (
            "## 2026-11-29 10:05 +01:00 — Identified",
            "update time 2026-11-29 09:05:00 UTC is not later than the update on line 4 "
            "(2026-11-29 09:05:00 UTC): append updates in time order",
        ),
        (
            "## 2026-11-28 23:59 UTC — Identified",
            "update time 2026-11-28 23:59:00 UTC is not later than the update on line 4 "
            "(2026-11-29 09:05:00 UTC): append updates in time order",
        ),
    ],
)
def test_an_update_not_later_than_the_one_before_names_both_lines(
    config: SiteConfig, second: str, message: str
) -> None:
    found = problems(config, "---", "title: Login failures", "---", FIRST, "x", "", second, "y")
    assert found == [f"{P}:7: error: {message}"]


def test_a_level_2_heading_after_the_first_update(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "---", FIRST, "x", "## What you should do", "y"
    )
    assert found == [
        f"{P}:6: error: '## What you should do' after the first update is not an update heading "
        f"(expected {EXAMPLE}); use '###' for a heading inside an update"
    ]


def test_a_level_2_heading_without_a_space_is_a_heading_too(config: SiteConfig) -> None:
    found = problems(config, "---", "title: Login failures", "---", FIRST, "x", "##Notes", "y")
    assert found == [
        f"{P}:6: error: '## Notes' after the first update is not an update heading "
        f"(expected {EXAMPLE}); use '###' for a heading inside an update"
    ]


def test_level_2_headings_are_fine_in_the_preamble(config: SiteConfig) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "---",
        "## What happened",
        "Tokens leaked.",
        "## What you should do",
        "Nothing.",
        FIRST,
        "x",
    )
    assert post.preamble == "## What happened\nTokens leaked.\n## What you should do\nNothing."
    assert [u.line for u in post.updates] == [8]


def test_deeper_headings_are_fine_inside_updates(config: SiteConfig) -> None:
    post = incident(
        config, "---", "title: Login failures", "---", FIRST, "x", "### What to do", "#### More"
    )
    assert post.updates[0].body == "x\n### What to do\n#### More"


@pytest.mark.parametrize(("fence", "close"), [("```", "```"), ("~~~", "~~~"), ("````md", "````")])
def test_a_heading_inside_a_fenced_code_block_is_code(
    config: SiteConfig, fence: str, close: str
) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "---",
        "Write updates like this:",
        fence,
        "## 2026-01-01 00:00 UTC — Investigating",
        close,
        FIRST,
        "The log said:",
        fence,
        "## 2026-11-29 09:06 UTC — Resolved",
        "## not a heading",
        close,
        "## 2026-11-29 10:00 UTC — Identified",
        "y",
    )
    assert [(u.line, u.status) for u in post.updates] == [(8, "Investigating"), (14, "Identified")]
    assert "## not a heading" in post.updates[0].body


def test_a_code_fence_that_is_never_closed_hides_no_update(config: SiteConfig) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "---",
        FIRST,
        "```",
        "oops, no closing fence",
        "## 2026-11-29 10:00 UTC — Resolved",
        "y",
    )
    assert [(u.line, u.status) for u in post.updates] == [(4, "Investigating"), (7, "Resolved")]


# ---------------------------------------------------------------- status over time


@pytest.mark.parametrize(
    ("statuses", "effective"),
    [
        (["Update"], ["Investigating"]),
        (["Update", "Update"], ["Investigating", "Investigating"]),
        (["Identified", "Update"], ["Identified", "Identified"]),
        (
            ["Monitoring", "Update", "Resolved", "Update"],
            ["Monitoring", "Monitoring", "Resolved", "Resolved"],
        ),
    ],
)
def test_update_keeps_the_status_before_it(
    config: SiteConfig, statuses: list[str], effective: list[str]
) -> None:
    headings = [f"## 2026-11-29 1{i}:00 UTC — {s}\nx" for i, s in enumerate(statuses)]
    post = incident(config, "---", "title: Login failures", "---", *headings)
    assert [u.status for u in post.updates] == statuses
    assert [u.effective_status for u in post.updates] == effective


@pytest.mark.parametrize(
    ("statuses", "resolved"),
    [
        (["Investigating"], False),
        (["Investigating", "Resolved"], True),
        (["Investigating", "Postmortem"], True),
        (["Resolved", "Postmortem"], True),
        (["Resolved", "Update"], True),
        (["Resolved", "Investigating"], False),
        (["Resolved", "Identified"], False),
        (["Postmortem", "Monitoring"], False),
        (["Resolved", "Monitoring", "Resolved"], True),
    ],
)
def test_resolved_after_resolved_or_postmortem_and_reopened_by_a_later_update(
    config: SiteConfig, statuses: list[str], resolved: bool
) -> None:
    headings = [f"## 2026-11-29 1{i}:00 UTC — {s}\nx" for i, s in enumerate(statuses)]
    post = incident(config, "---", "title: Login failures", "---", *headings)
    assert post.is_resolved is resolved


# ---------------------------------------------------------------- time zones


def test_local_times_are_read_in_the_site_timezone(make_site: MakeSite) -> None:
    berlin = site_config(make_site, "Europe/Berlin")
    post = incident(
        berlin,
        "---",
        "title: Login failures",
        "started: 2026-11-29 09:30",
        "---",
        "## 2026-11-29 10:05 — Investigating",
        "x",
        "## 2026-11-29 10:06 UTC — Resolved",
        "y",
    )
    assert post.started == datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
    assert [u.when for u in post.updates] == [
        datetime(2026, 11, 29, 9, 5, tzinfo=UTC),
        datetime(2026, 11, 29, 10, 6, tzinfo=UTC),
    ]


def test_a_local_time_skipped_by_daylight_saving_is_an_error(make_site: MakeSite) -> None:
    berlin = site_config(make_site, "Europe/Berlin")
    found = problems(
        berlin, "---", "title: Login failures", "---", "## 2026-03-29 02:30 — Investigating", "x"
    )
    assert found == [
        f"{P}:4: error: timestamp '2026-03-29 02:30' does not exist in Europe/Berlin: "
        "the clocks skip it for daylight saving time; give the zone explicitly"
    ]


def test_a_local_time_repeated_by_daylight_saving_is_the_first(make_site: MakeSite) -> None:
    berlin = site_config(make_site, "Europe/Berlin")
    post = incident(
        berlin, "---", "title: Login failures", "---", "## 2026-10-25 02:30 — Investigating", "x"
    )
    assert post.updates[0].when == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


# ---------------------------------------------------------------- permanent ids


def test_permanent_ids_of_incident_updates(config: SiteConfig) -> None:
    post = incident(
        config,
        "---",
        "title: Login failures",
        "---",
        "## 2026-11-29 09:05 UTC — Investigating",
        "x",
        "## 2026-11-29 23:30:15 -01:00 — Resolved",
        "y",
    )
    assert [u.id for u in post.updates] == [
        "tag:status.example.com,2026-11-29:incidents/login-failures/2026-11-29T09:05:00Z",
        "tag:status.example.com,2026-11-30:incidents/login-failures/2026-11-30T00:30:15Z",
    ]


def test_permanent_ids_of_maintenance_updates_use_id_host(make_site: MakeSite) -> None:
    moved = site_config(make_site, extra="id_host: old-status.example.org\n")
    post = maintenance(
        moved,
        "---",
        "title: Database upgrade",
        "start: 2026-11-29 09:00 UTC",
        "end: 2026-11-29 10:00 UTC",
        "---",
        "## 2026-11-29 09:05 UTC — In progress",
        "x",
    )
    assert [u.id for u in post.updates] == [
        "tag:old-status.example.org,2026-11-29:maintenance/db-upgrade/2026-11-29T09:05:00Z"
    ]


# ---------------------------------------------------------------- incidents without updates


def test_an_incident_with_no_update(config: SiteConfig) -> None:
    assert problems(config, "---", "title: Login failures", "---", "Only a preamble.") == [
        f"{P}:1: error: incident has no update: add one such as {EXAMPLE}"
    ]


def test_a_draft_needs_no_update(config: SiteConfig) -> None:
    post = incident(config, "---", "title: Login failures", "draft: true", "---", "To do.")
    assert post.draft is True
    assert post.updates == ()
    assert post.status == "Investigating"


def test_started_must_not_be_after_the_first_update(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Login failures", "started: 2026-11-29 10:00", "---", FIRST, "x"
    )
    assert found == [
        f"{P}:3: error: started (2026-11-29 10:00:00 UTC) is after the first update on line 5 "
        "(2026-11-29 09:05:00 UTC)"
    ]


def test_an_update_in_the_future_is_a_warning(config: SiteConfig) -> None:
    post, found = parse(
        config,
        "---",
        "title: Login failures",
        "---",
        "## 2026-12-02 09:05 UTC — Investigating",
        "x",
    )
    assert post is not None
    assert found == [
        f"{P}:4: warning: update time 2026-12-02 09:05:00 UTC is in the future "
        "(now 2026-12-01 00:00:00 UTC): check the date and time zone"
    ]


def test_a_clock_a_few_minutes_ahead_is_not_warned_about(config: SiteConfig) -> None:
    stamp = "## 2026-12-01 00:04:59 UTC — Investigating"
    post, found = parse(config, "---", "title: Login failures", "---", stamp, "x")
    assert post is not None
    assert found == []


# ---------------------------------------------------------------- maintenance


def window(*updates: str) -> tuple[str, ...]:
    return (
        "---",
        "title: Database upgrade",
        "start: 2026-12-01 02:00 UTC",
        "end: 2026-12-01 04:00 UTC",
        "---",
        "The database will be read-only.",
        *updates,
    )


def test_maintenance_without_updates(config: SiteConfig) -> None:
    post = maintenance(config, *window())
    assert post.updates == ()
    assert post.start == datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert post.end == datetime(2026, 12, 1, 4, tzinfo=UTC)
    assert post.preamble == "The database will be read-only."


@pytest.mark.parametrize(
    ("now", "state"),
    [
        ("2026-12-01 01:59:59", UPCOMING),
        ("2026-12-01 02:00", IN_PROGRESS),
        ("2026-12-01 03:59:59", IN_PROGRESS),
        ("2026-12-01 04:00", COMPLETED),
    ],
)
def test_maintenance_state_by_the_build_time(config: SiteConfig, now: str, state: str) -> None:
    at = datetime.fromisoformat(now).replace(tzinfo=UTC)
    assert maintenance(config, *window(), now=at).state(at) == state


@pytest.mark.parametrize(
    ("updates", "now", "state"),
    [
        (["## 2026-12-01 01:00 UTC — Update"], "2026-12-01 01:30", UPCOMING),
        (["## 2026-12-01 01:00 UTC — Update"], "2026-12-01 05:00", COMPLETED),
        (["## 2026-12-01 01:00 UTC — Scheduled"], "2026-12-01 01:30", UPCOMING),
        (["## 2026-12-01 01:00 UTC — Scheduled"], "2026-12-01 03:00", IN_PROGRESS),
        (["## 2026-12-01 01:00 UTC — Scheduled"], "2026-12-01 05:00", COMPLETED),
        (["## 2026-12-01 01:50 UTC — In progress"], "2026-12-01 01:55", IN_PROGRESS),
        (["## 2026-12-01 02:00 UTC — In progress"], "2026-12-01 06:00", IN_PROGRESS),
        (
            ["## 2026-12-01 02:00 UTC — In progress", "## 2026-12-01 02:30 UTC — Update"],
            "2026-12-01 06:00",
            IN_PROGRESS,
        ),
        (["## 2026-12-01 02:00 UTC — Verifying"], "2026-12-01 06:00", IN_PROGRESS),
        (
            ["## 2026-12-01 02:00 UTC — In progress", "## 2026-12-01 02:30 UTC — Completed"],
            "2026-12-01 02:45",
            COMPLETED,
        ),
        (
            ["## 2026-12-01 02:30 UTC — Completed", "## 2026-12-01 02:40 UTC — Update"],
            "2026-12-01 02:45",
            COMPLETED,
        ),
    ],
)
def test_maintenance_state_by_its_own_updates(
    config: SiteConfig, updates: list[str], now: str, state: str
) -> None:
    at = datetime.fromisoformat(now).replace(tzinfo=UTC)
    post = maintenance(config, *window(*(f"{u}\nx" for u in updates)), now=at)
    assert post.state(at) == state


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (
            "2026-12-01 01:00 UTC",
            "end (2026-12-01 01:00:00 UTC) must be after start (2026-12-01 02:00:00 UTC)",
        ),
        (
            "2026-12-01 03:00 +01:00",
            "end (2026-12-01 02:00:00 UTC) must be after start (2026-12-01 02:00:00 UTC)",
        ),
    ],
)
def test_a_maintenance_window_whose_end_is_not_after_its_start(
    config: SiteConfig, end: str, message: str
) -> None:
    found = problems(
        config,
        "---",
        "title: Database upgrade",
        "start: 2026-12-01 02:00 UTC",
        f"end: {end}",
        "---",
        kind=MAINTENANCE,
    )
    assert found == [f"{M}:4: error: {message}"]


def test_maintenance_start_and_end_are_required_and_readable(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: Database upgrade", "end: tomorrow", "---", kind=MAINTENANCE
    )
    assert found == [
        f"{M}:1: error: start is required: add 'start: 2026-12-01 02:00 UTC'",
        f"{M}:3: error: end: cannot read timestamp 'tomorrow': expected YYYY-MM-DD HH:MM[:SS] "
        "with an optional zone (UTC, Z or +HH:MM)",
    ]


def test_maintenance_times_in_iso_form_and_local_time(make_site: MakeSite) -> None:
    berlin = site_config(make_site, "Europe/Berlin")
    post = maintenance(
        berlin,
        "---",
        "title: Database upgrade",
        "start: 2026-12-01T02:00:00Z",
        "end: 2026-12-01 05:00",
        "---",
    )
    assert (post.start, post.end) == (
        datetime(2026, 12, 1, 2, tzinfo=UTC),
        datetime(2026, 12, 1, 4, tzinfo=UTC),
    )


# ---------------------------------------------------------------- the file itself


@pytest.mark.parametrize("slug", ["Login-Failures", "login_failures", "login failures", "café"])
def test_a_file_name_that_is_not_a_valid_slug(config: SiteConfig, slug: str) -> None:
    found = problems(config, "---", "title: Login failures", "---", FIRST, "x", slug=slug)
    assert found == [
        f"content/incidents/{slug}.md:1: error: file name '{slug}.md' is not a valid slug: "
        "use only a-z, 0-9 and '-'"
    ]


@pytest.mark.parametrize(
    ("raw", "line", "bad"),
    [
        (b"---\ntitle: Caf\xe9\n---\n", 2, "e9"),
        (b"\xef\xbb\xbf---\r\ntitle: Login failures\r\n---\r\n\xff\r\n", 4, "ff"),
        (b"\xef\xbb\xbf\n\xe9", 2, "e9"),
    ],
)
def test_a_file_that_is_not_utf8_names_the_line_of_the_bad_byte(
    config: SiteConfig, raw: bytes, line: int, bad: str
) -> None:
    assert problems(config, raw=raw) == [
        f"{P}:{line}: error: file is not UTF-8: byte 0x{bad} on this line cannot be read; "
        "save the file as UTF-8"
    ]


def test_crlf_and_a_byte_order_mark_keep_line_numbers(config: SiteConfig) -> None:
    raw = b"\xef\xbb\xbf" + INCIDENT.replace("\n", "\r\n").encode()
    post = incident(config, raw=raw)
    assert [u.line for u in post.updates] == [8, 11, 14]
    assert post.title == "Login failures"
    assert "\r" not in post.preamble + "".join(u.body for u in post.updates)
    broken = INCIDENT.replace("— Identified", "— Identifed").replace("\n", "\r\n")
    assert problems(config, raw=b"\xef\xbb\xbf" + broken.encode()) == [
        f"{P}:11: error: unknown status 'Identifed' for an incident: "
        f"expected {INCIDENT_STATUSES} (did you mean 'Identified'?)"
    ]


def test_every_problem_of_a_file_is_reported_at_once(config: SiteConfig) -> None:
    found = problems(
        config,
        "---",  # 1
        "title: Login failures",
        "impact: catastrophic",
        "compnents: [API]",
        "components: [Web ap]",  # 5
        "---",
        "## Preamble heading",
        "## 2026-11-29 09:05 UTC — Investigating",
        "x",
        "## 2026-11-29 09:00 UTC — Identified",  # 10
        "y",
        "## Notes",
        "## 2026-11-29 10:00 UTC — Fixed",
        "z",
        slug="Login_Failures",
    )
    path = "content/incidents/Login_Failures.md"
    assert found == [
        f"{path}:1: error: file name 'Login_Failures.md' is not a valid slug: "
        "use only a-z, 0-9 and '-'",
        f"{path}:4: error: unknown key 'compnents' (did you mean 'components'?)",
        f"{path}:5: error: component 'Web ap' is not declared in site.yaml "
        "(did you mean 'Web app'?)",
        f"{path}:12: error: '## Notes' after the first update is not an update heading "
        f"(expected {EXAMPLE}); use '###' for a heading inside an update",
        f"{path}:10: error: update time 2026-11-29 09:00:00 UTC is not later than the update "
        "on line 8 (2026-11-29 09:05:00 UTC): append updates in time order",
        f"{path}:13: error: unknown status 'Fixed' for an incident: expected {INCIDENT_STATUSES}",
        f"{path}:3: error: impact must be one of none, minor, major, critical; got 'catastrophic'",
    ]


def test_the_body_is_still_checked_when_the_front_matter_is_broken(config: SiteConfig) -> None:
    found = problems(
        config, "---", "title: [Login", "---", FIRST, "x", "## 2026-11-29 09:00 UTC — Fixed", "y"
    )
    assert found == [
        f"{P}:2: error: front matter is not valid YAML: while parsing a flow sequence; "
        "expected ',' or ']', but got '<stream end>'",
        f"{P}:6: error: unknown status 'Fixed' for an incident: expected {INCIDENT_STATUSES}",
    ]


# ---------------------------------------------------------------- the whole site


def test_load_site_leaves_drafts_out_unless_asked(make_site: MakeSite) -> None:
    draft = "---\ntitle: Draft\ndraft: true\n---\nTo do.\n"
    site_dir = make_site(
        {"content/incidents/login-failures.md": INCIDENT, "content/incidents/draft.md": draft}
    )
    site, found = load_site(site_dir, NOW)
    assert found == [] and site is not None
    assert [i.slug for i in site.incidents] == ["login-failures"]
    site, found = load_site(site_dir, NOW, drafts=True)
    assert found == [] and site is not None
    assert sorted(i.slug for i in site.incidents) == ["draft", "login-failures"]


def test_load_site_reports_every_file_sorted(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "content/incidents/b.md": INCIDENT.replace("impact: major", "impact: huge"),
            "content/incidents/a.md": INCIDENT.replace("— Resolved", "— Done"),
            "content/maintenance/m.md": "---\ntitle: M\nstart: 2026-12-01 02:00\nend: 2026-12-01 01:00\n---\n",
        }
    )
    site, found = load_site(site_dir, NOW)
    assert site is None
    assert [str(p) for p in found] == [
        f"content/incidents/a.md:14: error: unknown status 'Done' for an incident: "
        f"expected {INCIDENT_STATUSES}",
        "content/incidents/b.md:3: error: impact must be one of none, minor, major, critical; "
        "got 'huge'",
        "content/maintenance/m.md:4: error: end (2026-12-01 01:00:00 UTC) must be after start "
        "(2026-12-01 02:00:00 UTC)",
    ]


def test_outpost_check_on_a_clean_site_exits_0(make_site: MakeSite) -> None:
    site_dir = make_site({"content/incidents/login-failures.md": INCIDENT})
    result = run_outpost("check", cwd=site_dir)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "checked site.yaml and 1 post: no problems\n"


def test_outpost_check_prints_every_error_sorted_and_exits_1(make_site: MakeSite) -> None:
    site_dir = make_site(
        {
            "content/incidents/z-last.md": INCIDENT.replace(
                "components: [API]", "components: [APi]"
            ),
            "content/incidents/a-first.md": INCIDENT.replace("11:30 UTC", "10:30 UTC").replace(
                "title: Login failures\n", ""
            ),
        }
    )
    result = run_outpost("check", cwd=site_dir)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "content/incidents/a-first.md:1: error: title is required: add 'title: ...' to the front matter",
        "content/incidents/a-first.md:13: error: update time 2026-11-29 10:30:00 UTC is not later "
        "than the update on line 10 (2026-11-29 10:40:00 UTC): append updates in time order",
        "content/incidents/z-last.md:4: error: component 'APi' is not declared in site.yaml "
        "(did you mean 'API'?)",
        "checked site.yaml and 2 posts: 3 errors",
    ]


def test_outpost_check_reports_site_yaml_errors(make_site: MakeSite) -> None:
    site_dir = make_site(
        site_yaml="title: Example\nbase_url: https://status.example.com/\ntimezone: Europe/Berlinn\n"
    )
    result = run_outpost("check", cwd=site_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "site.yaml:3: error: unknown time zone 'Europe/Berlinn': use an IANA name such as "
        "'Europe/Berlin' (did you mean 'Europe/Berlin'?)",
        "checked site.yaml (its 0 posts once it has no errors): 1 error",
    ]


@pytest.mark.parametrize("hashes", ["#", "###"])
def test_an_update_heading_with_the_wrong_level_is_a_warning(
    config: SiteConfig, hashes: str
) -> None:
    post, found = parse(
        config,
        "---",
        "title: Login failures",
        "---",
        FIRST,
        "x",
        f"{hashes} 2026-11-29 10:40 UTC — Resolved",
        "Fixed.",
    )
    assert post is not None
    assert len(post.updates) == 1
    assert found == [
        f"{P}:6: warning: this heading looks like an update but is not level 2: an update "
        "heading begins with '## ', as in '## 2026-11-29 09:05 UTC — Investigating'"
    ]
