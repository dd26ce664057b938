"""Translations of the built-in theme: catalogues, languages, dates, site overrides, mistakes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from conftest import MakeSite, run_outpost
from markupsafe import Markup, escape

from generator.build import build_site
from generator.config import load_config
from generator.i18n import (
    Counted,
    Entry,
    MessageError,
    Messages,
    check_entry,
    placeholders,
    read_entries,
    split_pattern,
)
from generator.labels import (
    COMPONENT_STATUS_LABELS,
    IMPACT_LABELS,
    INDICATOR_LABELS,
    MAINTENANCE_STATE_LABELS,
)
from generator.model import (
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
)
from generator.theme import builtin_theme_dir
from generator.yamlsrc import load_located

THEME = builtin_theme_dir()
SHIPPED = sorted(p.stem for p in (THEME / "messages").glob("*.yaml"))
TRANSLATIONS = [language for language in SHIPPED if language != "en"]
NOW = datetime(2026, 12, 10, tzinfo=UTC)

SITE_YAML = """\
title: Acme
base_url: https://status.example.com/
language: {language}
timezone: Europe/Berlin
components:
  - name: API
  - name: Web
  - group: Backend
    components:
      - name: Queue
      - name: Mail
"""
# Titles and component names that are no word of any catalogue, so that every word a
# reader sees besides them comes from the theme.
FILES: dict[str, str | bytes] = {
    "content/incidents/2026-11-29-alpha.md": """\
        ---
        title: Alpha
        impact: major
        components: [API]
        ---
        ## 2026-11-29 09:05 UTC — Investigating
        Eins.

        ## 2026-11-29 10:40 UTC — Identified
        Zwei.

        ## 2026-11-29 11:30 UTC — Resolved
        Drei.

        ## 2026-12-01 08:00 UTC — Postmortem
        Vier.
        """,
    "content/incidents/2026-12-09-beta.md": """\
        ---
        title: Beta
        impact: minor
        components:
          Queue: partial_outage
        ---
        ## 2026-12-09 07:00 UTC — Investigating
        Eins.

        ## 2026-12-09 07:30 UTC — Update
        Zwei.
        """,
    "content/incidents/2026-10-04-gamma.md": """\
        ---
        title: Gamma
        impact: critical
        components: [Web]
        ---
        ## 2026-10-04 07:00 UTC — Investigating
        Eins.

        ## 2026-10-04 07:45 UTC — Resolved
        Zwei.
        """,
    "content/incidents/2026-12-03-delta.md": """\
        ---
        title: Delta
        draft: true
        ---
        ## 2026-12-03 12:00 UTC — Investigating
        Eins.
        """,
    "content/maintenance/2026-12-06-epsilon.md": """\
        ---
        title: Epsilon
        start: 2026-12-06 02:00 UTC
        end: 2026-12-06 04:00 UTC
        components: [API]
        ---
        Eins.
        """,
    "content/maintenance/2026-12-20-zeta.md": """\
        ---
        title: Zeta
        start: 2026-12-20 02:00 UTC
        end: 2026-12-20 03:00 UTC
        components: [Mail]
        ---
        """,
    "content/maintenance/2027-01-15-eta.md": """\
        ---
        title: Eta
        start: 2027-01-15 02:00 UTC
        end: 2027-01-15 03:00 UTC
        ---
        """,
}
ALPHA, GAMMA = "incidents/2026-11-29-alpha/index.html", "incidents/2026-10-04-gamma/index.html"
EPSILON = "maintenance/2026-12-06-epsilon/index.html"
PAGES = [
    "index.html",
    ALPHA,
    "incidents/2026-12-09-beta/index.html",
    "incidents/2026-12-03-delta/index.html",
    EPSILON,
    "maintenance/2026-12-20-zeta/index.html",
    "components/queue/index.html",
    "history/index.html",
    "history/2026/11/index.html",
    "history/2027/01/index.html",
    "404.html",
]


# --- helpers ---------------------------------------------------------------------------------


def catalogue(language: str) -> dict[str, Entry]:
    """A shipped catalogue, flat by key; it must read without a problem."""
    path = THEME / "messages" / f"{language}.yaml"
    entries, problems = read_entries(load_located(path.read_text("utf-8")), (), str(path))
    assert problems == []
    return {key: entry for key, (entry, _line) in entries.items()}


def build(make_site: MakeSite, language: str, extra: str = "", **files: str) -> dict[str, str]:
    """The pages of the fixture site in LANGUAGE (drafts included), by path."""
    site = make_site({**FILES, **files}, site_yaml=SITE_YAML.format(language=language) + extra)
    result = build_site(site, None, NOW, drafts=True)
    return {p: b.decode() for p, b in result.files.items() if p.endswith(".html")}


def doc(pages: dict[str, str], path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(pages[path])


def text(element: lxml.html.HtmlElement) -> str:
    """The element's text as a browser shows it, whitespace (no-break spaces too) collapsed."""
    return " ".join(element.text_content().split())


def texts(page: lxml.html.HtmlElement, xpath: str) -> list[str]:
    return [text(e) for e in page.xpath(xpath)]


def facts(page: lxml.html.HtmlElement) -> dict[str, str]:
    return {text(d.find("dt")): text(d.find("dd")) for d in page.xpath("//dl[@class='facts']/div")}


def theme_text(page: lxml.html.HtmlElement) -> str:
    """What a reader sees or hears of PAGE, without what the writers wrote in Markdown."""
    for prose in page.xpath("//*[contains(concat(' ', @class, ' '), ' prose ')]"):
        prose.drop_tree()
    attributes = page.xpath("//@aria-label | //@title | //@alt")
    return " ".join([text(page), *(" ".join(a.split()) for a in attributes)])


def words(entry: Entry) -> list[str]:
    """The runs of text between ENTRY's placeholders that hold a word of 3 letters or more."""
    if isinstance(entry, tuple):
        return list(entry)  # month names
    if isinstance(entry, Counted):
        forms = list(entry.forms.values())
    elif isinstance(entry, str):
        forms = [entry]
    else:
        return []  # names of time zones
    runs = [run for form in forms for run in re.split(r"\{\w+\}", form)]
    return [run.strip(" .,:;()·—") for run in runs if re.search(r"[A-Za-z]{3}", run)]


# --- the catalogues --------------------------------------------------------------------------


def test_the_four_languages_are_shipped() -> None:
    assert SHIPPED == ["de", "en", "es", "fr"]


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_every_catalogue_has_exactly_the_english_keys_and_placeholders(language: str) -> None:
    english, translated = catalogue("en"), catalogue(language)
    assert sorted(set(english) - set(translated)) == [], "missing"
    assert sorted(set(translated) - set(english)) == [], "not in English"
    for key, entry in english.items():
        assert placeholders(translated[key]) == placeholders(entry), key
        assert check_entry(key, translated[key], entry) is None, key


def test_english_says_what_the_api_and_labels_say() -> None:
    english = catalogue("en")
    for status, label in COMPONENT_STATUS_LABELS.items():
        assert english[f"component_status.{status}"] == label
    for indicator, label in INDICATOR_LABELS.items():
        assert english[f"indicator.{indicator}"] == label
    for state, label in MAINTENANCE_STATE_LABELS.items():
        assert english[f"maintenance_state.{state}"] == label
    for impact, label in IMPACT_LABELS.items():
        assert english[f"impact.{impact}"] == (label if impact == "none" else f"{label} impact")
    for word in {*INCIDENT_STATUSES, *MAINTENANCE_STATUSES}:
        assert english[f"status.{word.lower().replace(' ', '_')}"] == word


def test_every_key_the_templates_ask_for_exists_and_every_key_is_asked_for() -> None:
    source = "\n".join(p.read_text("utf-8") for p in (THEME / "templates").glob("*.html"))
    literal = set(re.findall(r"""_\(\s*["']([\w.]+)["']\s*[,)]""", source))
    prefixes = set(re.findall(r"""_\(\s*["']([\w.]+\.)["']\s*~""", source))
    values = {
        "status.": [
            w.lower().replace(" ", "_") for w in (*INCIDENT_STATUSES, *MAINTENANCE_STATUSES)
        ],
        "maintenance_state.": list(MAINTENANCE_STATE_LABELS),
        "component_status.": list(COMPONENT_STATUSES),
        "impact.": list(IMPACTS),
        "indicator.": list(INDICATOR_LABELS),
    }
    assert prefixes == set(values)
    asked = literal | {prefix + value for prefix, names in values.items() for value in names}
    # Dates, durations and numbers are asked for by the code (generator/i18n.py).
    formats = {k for k in catalogue("en") if k.startswith(("dates.", "duration.", "numbers."))}
    assert sorted(asked - set(catalogue("en"))) == []
    assert sorted(set(catalogue("en")) - asked - formats) == []


# --- messages, dates, durations ---------------------------------------------------------------


def messages(language: str) -> Messages:
    return Messages(language, {**catalogue("en"), **catalogue(language)})


def test_plural_rules_french_uses_the_singular_for_zero() -> None:
    assert messages("fr").text("history.incidents", count=0) == "0 incident"
    assert messages("fr").text("history.incidents", count=2) == "2 incidents"
    assert messages("de").text("history.incidents", count=0) == "0 Störungen"
    assert messages("de").text("history.incidents", count=1) == "1 Störung"
    assert messages("en").text("history.incidents", count=0) == "0 incidents"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1 December 2026", "29 November 2026, 10:05 CET", "4 October 2026, 09:00 CEST"]),
        ("de", ["1. Dezember 2026", "29. November 2026, 10:05 MEZ", "4. Oktober 2026, 09:00 MESZ"]),
        (
            "fr",
            ["1er décembre 2026", "29 novembre 2026 à 10:05 CET", "4 octobre 2026 à 09:00 CEST"],
        ),
        (
            "es",
            [
                "1 de diciembre de 2026",
                "29 de noviembre de 2026, 10:05 CET",
                "4 de octubre de 2026, 09:00 CEST",
            ],
        ),
    ],
)
def test_dates_and_times_in_each_language(language: str, expected: list[str]) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    shown = messages(language)
    assert [
        shown.date(date(2026, 12, 1)),
        shown.date_time(datetime(2026, 11, 29, 9, 5, tzinfo=UTC).astimezone(berlin)),
        shown.date_time(datetime(2026, 10, 4, 7, 0, tzinfo=UTC).astimezone(berlin)),
    ] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["2 days 3 h", "1 day", "4 h 57 min", "45 s", "99.97%"]),
        ("de", ["2 Tage 3 Std.", "1 Tag", "4 Std. 57 Min.", "45 Sek.", "99,97\u00a0%"]),
        ("fr", ["2 jours 3 h", "1 jour", "4 h 57 min", "45 s", "99,97\u00a0%"]),
        ("es", ["2 días 3 h", "1 día", "4 h 57 min", "45 s", "99,97\u00a0%"]),
    ],
)
def test_durations_and_percentages_in_each_language(language: str, expected: list[str]) -> None:
    shown = messages(language)
    durations = [timedelta(days=2, hours=3, minutes=5), timedelta(days=1, minutes=3)]
    durations += [timedelta(hours=4, minutes=57, seconds=9), timedelta(seconds=45)]
    assert [*map(shown.duration, durations), shown.percent("99.97")] == expected


def test_month_headings_begin_with_a_capital() -> None:
    assert messages("fr").month_year(2026, 11) == "Novembre 2026"
    assert messages("es").month_year(2026, 11) == "Noviembre de 2026"
    assert messages("de").month_year(2026, 3) == "März 2026"


# --- whole sites -----------------------------------------------------------------------------


@pytest.fixture
def german(make_site: MakeSite) -> dict[str, str]:
    return build(make_site, "de")


def test_a_german_status_page(german: dict[str, str]) -> None:
    index = doc(german, "index.html")
    assert index.get("lang") == "de"
    assert texts(index, "//h1") == ["Teilweiser Systemausfall"]
    assert texts(index, "//section[contains(@class, 'banner')]/p") == [
        "2 offene Störungen. Details unten."
    ]
    assert texts(index, "//h2") == [
        "Aktuelle Störungen",
        "Wartungsarbeiten",
        "Komponenten",
        "Kürzlich behoben",
    ]
    assert texts(index, "//p[@class='update-time']") == [
        "Update — 9. Dezember 2026, 08:30 MEZ",
        "Wird untersucht — 3. Dezember 2026, 13:00 MEZ",
    ]
    assert texts(index, "//section[@aria-labelledby='maintenance']//p[@class='post-meta']") == [
        "Geplant 20. Dezember 2026, 03:00 MEZ bis 20. Dezember 2026, 04:00 MEZ · betrifft Mail",
        "Geplant 15. Januar 2027, 03:00 MEZ bis 15. Januar 2027, 04:00 MEZ",
    ]
    assert texts(index, "//summary") == ["Backend 2 Komponenten Teilausfall"]
    assert texts(index, "//section[@aria-labelledby='recent']//span[@class='post-meta']") == [
        "Nachbetrachtung Beginn: 29. November 2026, 10:05 MEZ · Dauer: 2 Std. 25 Min.",
        "Behoben Beginn: 4. Oktober 2026, 09:00 MESZ · Dauer: 45 Min.",
    ]
    assert texts(index, "//footer//p")[:1] == [
        "Zuletzt aktualisiert am 9. Dezember 2026, 08:30 MEZ."
    ]


def test_german_post_and_component_pages(german: dict[str, str]) -> None:
    alpha = doc(german, ALPHA)
    assert facts(alpha) == {
        "Status": "Nachbetrachtung",
        "Auswirkungen": "Erhebliche Auswirkungen",
        "Betrifft": "API",
        "Beginn": "29. November 2026, 10:05 MEZ",
        "Behoben": "29. November 2026, 12:30 MEZ",
        "Dauer": "2 Std. 25 Min.",
    }
    assert texts(alpha, "//h2") == ["Nachbetrachtung", "Updates"]
    assert texts(alpha, "//section[@class='postmortem']//p[@class='update-time']") == [
        "Veröffentlicht am 1. Dezember 2026, 09:00 MEZ"
    ]
    assert texts(alpha, "//ol[@class='updates']/li/h3") == [
        "Behoben 29. November 2026, 12:30 MEZ",
        "Ursache gefunden 29. November 2026, 11:40 MEZ",
        "Wird untersucht 29. November 2026, 10:05 MEZ",
    ]

    assert facts(doc(german, EPSILON)) == {
        "Status": "Abgeschlossen",
        "Zeitraum": "6. Dezember 2026, 03:00 MEZ bis 6. Dezember 2026, 05:00 MEZ",
        "Betrifft": "API",
    }
    # Queue: a partial outage (30 % down) for the 17 h from 07:00 UTC on 9 December to the
    # build, out of the 89 days and 2 h since 12 September 2026, 00:00 MESZ: 99.7614… %.
    queue = doc(german, "components/queue/index.html")
    assert facts(queue) == {
        "Status": "Teilausfall",
        "Gruppe": "Backend",
        "Verfügbarkeit in den letzten 90 Tagen": "99,76 %",
    }
    assert texts(queue, "//h2") == ["Die letzten 90 Tage", "Störungen und Wartungsarbeiten"]
    assert queue.xpath("//ol[@class='bar']/@aria-label") == ["Queue: die letzten 90 Tage"]
    assert texts(queue, "//ol[@class='bar']/li[last()]") == [
        "10. Dezember 2026: Teilausfall · Beta"
    ]
    assert texts(queue, "//ol[@class='bar']/li[1]") == ["12. September 2026: keine Störungen"]


def test_german_history_and_404_pages(german: dict[str, str]) -> None:
    history = doc(german, "history/index.html")
    assert texts(history, "//h1") == ["Bisherige Störungen"]
    assert texts(history, "//ul[@class='months']/li") == [
        "Januar 2027 0 Störungen, 1 Wartung",
        "Dezember 2026 2 Störungen, 2 Wartungen",
        "November 2026 1 Störung",
        "Oktober 2026 1 Störung",
    ]
    november = doc(german, "history/2026/11/index.html")
    assert texts(november, "//h1") == ["November 2026"]
    assert texts(november, "//nav[@class='pager']/a") == [
        "Neuer: Dezember 2026",
        "Alle Monate",
        "Älter: Oktober 2026",
    ]
    assert texts(doc(german, "history/2027/01/index.html"), "//main/p") == [
        "Keine Störungen in diesem Monat."
    ]
    not_found = doc(german, "404.html")
    assert texts(not_found, "//h1") == ["Seite nicht gefunden"]
    assert texts(not_found, "//title") == ["Seite nicht gefunden – Acme"]


def test_a_french_site(make_site: MakeSite) -> None:
    pages = build(make_site, "fr")
    assert texts(doc(pages, "index.html"), "//h1") == ["Panne partielle du système"]
    alpha = doc(pages, ALPHA)
    assert facts(alpha)["Début"] == "29 novembre 2026 à 10:05 CET"
    assert facts(alpha)["Durée"] == "2 h 25 min"
    assert texts(alpha, "//section[@class='postmortem']//p[@class='update-time']") == [
        "Publié le 1er décembre 2026 à 09:00 CET"
    ]
    assert texts(doc(pages, "history/index.html"), "//ul[@class='months']/li") == [
        "Janvier 2027 0 incident, 1 maintenance",
        "Décembre 2026 2 incidents, 2 maintenances",
        "Novembre 2026 1 incident",
        "Octobre 2026 1 incident",
    ]
    # A no-break space before the colon, as French typography wants.
    assert "Suivre cet incident\u00a0:" in pages[ALPHA]


def test_a_spanish_site(make_site: MakeSite) -> None:
    pages = build(make_site, "es")
    assert texts(doc(pages, "index.html"), "//h1") == ["Interrupción parcial del sistema"]
    assert facts(doc(pages, ALPHA))["Inicio"] == "29 de noviembre de 2026, 10:05 CET"
    assert facts(doc(pages, GAMMA))["Duración"] == "45 min"
    assert texts(doc(pages, "history/index.html"), "//ul[@class='months']/li") == [
        "Enero de 2027 0 incidentes, 1 mantenimiento",
        "Diciembre de 2026 2 incidentes, 2 mantenimientos",
        "Noviembre de 2026 1 incidente",
        "Octubre de 2026 1 incidente",
    ]


def english_leaks(pages: dict[str, str], language: str) -> list[tuple[str, str, str]]:
    """(page, key, words) for English words of the catalogue that LANGUAGE says otherwise."""
    english, translated = catalogue("en"), catalogue(language)
    leaks = set()
    for path in PAGES:
        shown = theme_text(doc(pages, path))
        for key, entry in english.items():
            if translated[key] == entry:
                continue
            for word in words(entry):
                if word not in words(translated[key]) and re.search(
                    rf"(?<!\w){re.escape(word)}(?!\w)", shown
                ):
                    leaks.add((path, key, word))
    return sorted(leaks)


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_no_english_word_leaks_into_a_translated_site(make_site: MakeSite, language: str) -> None:
    assert english_leaks(build(make_site, language), language) == []


def test_the_leak_check_finds_an_english_word(make_site: MakeSite) -> None:
    strings = "strings:\n  index.recent: Recently resolved\n  month.nav: Months\n"
    pages = build(make_site, "de", strings)
    assert english_leaks(pages, "de") == [
        ("history/2026/11/index.html", "month.nav", "Months"),
        ("history/2027/01/index.html", "month.nav", "Months"),
        ("index.html", "index.recent", "Recently resolved"),
    ]


def test_the_english_site_is_unchanged_by_the_catalogues(make_site: MakeSite) -> None:
    pages = build(make_site, "en")
    index = doc(pages, "index.html")
    assert texts(index, "//h1") == ["Partial System Outage"]
    assert texts(index, "//section[contains(@class, 'banner')]/p") == [
        "2 open incidents. Details below."
    ]
    assert facts(doc(pages, ALPHA))["Began"] == "29 November 2026, 10:05 CET"
    assert texts(doc(pages, "history/index.html"), "//ul[@class='months']/li")[0] == (
        "January 2027 0 incidents, 1 maintenance window"
    )


def test_a_regional_language_falls_back_to_its_language(make_site: MakeSite) -> None:
    site = make_site(FILES, site_yaml=SITE_YAML.format(language="de-CH"))
    result = build_site(site, None, NOW)
    assert [str(p) for p in result.warnings] == []
    index = lxml.html.fromstring(result.files["index.html"])
    assert index.get("lang") == "de-CH"
    assert texts(index, "//h1") == ["Teilweiser Systemausfall"]


def test_a_language_without_messages_is_english_with_a_warning(make_site: MakeSite) -> None:
    site = make_site(FILES, site_yaml=SITE_YAML.format(language="pt"))
    result = run_outpost("build", "--now", "2026-12-10 00:00 UTC", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (
        "site.yaml:3: warning: no messages for 'pt'; pages are in English — "
        "add themes/default/messages/pt.yaml" in result.stderr
    )
    index = lxml.html.parse(str(site / "public/index.html")).getroot()
    assert index.get("lang") == "pt"
    assert texts(index, "//h1") == ["Partial System Outage"]


def test_a_site_theme_can_add_a_language(make_site: MakeSite) -> None:
    site = make_site(
        {
            **FILES,
            "themes/default/messages/pt.yaml": "indicator:\n  major: Interrupção parcial\n",
        },
        site_yaml=SITE_YAML.format(language="pt-BR"),
    )
    result = build_site(site, None, NOW)
    assert [str(p) for p in result.warnings] == []
    index = lxml.html.fromstring(result.files["index.html"])
    assert texts(index, "//h1") == ["Interrupção parcial"]
    # What the new catalogue does not say is English.
    assert texts(index, "//h2")[0] == "Open incidents"


# --- the site's own words --------------------------------------------------------------------


def test_strings_in_site_yaml_override_any_language(make_site: MakeSite) -> None:
    strings = (
        "strings:\n"
        "  indicator.major: Some things are broken\n"
        "  history.incidents: {one: '{count} outage', other: '{count} outages'}\n"
        "  header:\n"
        "    history: <Archiv>\n"
    )
    pages = build(make_site, "de", strings)
    index = doc(pages, "index.html")
    assert texts(index, "//h1") == ["Some things are broken"]
    assert texts(index, "//header//nav/a") == ["Aktueller Status", "<Archiv>", "Abonnieren"]
    assert "&lt;Archiv&gt;" in pages["index.html"]
    assert texts(doc(pages, "history/index.html"), "//ul[@class='months']/li")[-1] == (
        "Oktober 2026 1 outage"
    )


@pytest.mark.parametrize(
    ("strings", "expected"),
    [
        (
            "  indicator.nnone: Up\n",
            "site.yaml:13: error: unknown message 'indicator.nnone' (did you mean 'indicator.none'?)",
        ),
        (
            "  indicator.none: 42\n",
            "site.yaml:13: error: 'indicator.none' must be text (in quotes if it looks like a "
            "number); got '42'",
        ),
        (
            "  post.began: 'since {when}'\n",
            "site.yaml:13: error: 'post.began' has no placeholder {when}: it takes {time}",
        ),
        (
            "  indicator.none: 'up {x}'\n",
            "site.yaml:13: error: 'indicator.none' has no placeholder {x}: it takes no placeholders",
        ),
        (
            "  dates.months: [Jan, Feb]\n",
            "site.yaml:13: error: 'dates.months' must be a list of the 12 month names",
        ),
    ],
)
def test_a_bad_string_is_an_error_at_its_line(
    make_site: MakeSite, strings: str, expected: str
) -> None:
    site = make_site(site_yaml=SITE_YAML.format(language="de") + "strings:\n" + strings)
    config, problems = load_config(site)
    assert config is None
    assert [str(p) for p in problems] == [expected]


def test_an_unknown_string_is_reported_by_check(make_site: MakeSite) -> None:
    site = make_site(
        FILES, site_yaml=SITE_YAML.format(language="en") + "strings:\n  indicatr.none: Up\n"
    )
    result = run_outpost("check", cwd=site)
    assert result.returncode == 1
    assert (
        "site.yaml:13: error: unknown message 'indicatr.none' (did you mean 'indicator.none'?)"
        in result.stderr
    )


def test_a_site_theme_catalogue_overrides_one_key(make_site: MakeSite) -> None:
    extra = "theme: acme\n"
    pages = build(
        make_site,
        "de",
        extra,
        **{"themes/acme/messages/de.yaml": "indicator:\n  major: Teilweise gestört\n"},
    )
    index = doc(pages, "index.html")
    assert texts(index, "//h1") == ["Teilweise gestört"]
    assert texts(index, "//h2")[0] == "Aktuelle Störungen"


def test_a_mistake_in_a_site_theme_catalogue_is_an_error_at_its_line(make_site: MakeSite) -> None:
    site = make_site(
        {
            **FILES,
            "themes/acme/messages/de.yaml": "indicator:\n  major: 'Gestört seit {since}'\n",
            "themes/acme/messages/fr.yaml": "indicator: [broken\n",
        },
        site_yaml=SITE_YAML.format(language="de") + "theme: acme\n",
    )
    result = run_outpost("check", cwd=site)
    assert result.returncode == 1
    assert (
        "themes/acme/messages/de.yaml:2: error: 'indicator.major' has no placeholder {since}: "
        "it takes no placeholders" in result.stderr
    )
    assert "themes/acme/messages/fr.yaml:1: error: not valid YAML" in result.stderr


def test_an_unknown_key_in_a_template_fails_the_build_at_its_line(make_site: MakeSite) -> None:
    site = make_site(
        {
            **FILES,
            "themes/acme/templates/404.html": '<p>{{ _("header.skip") }}</p>\n'
            '<p>{{ _("indicator.nnone") }}</p>\n',
        },
        site_yaml=SITE_YAML.format(language="de") + "theme: acme\n",
    )
    result = run_outpost("build", cwd=site)
    assert result.returncode == 1
    assert (
        "themes/acme/templates/404.html:2: error: template: no message 'indicator.nnone' in the "
        "catalogues (did you mean 'indicator.none'?)" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (site / "public").exists()


def test_a_missing_value_in_a_template_fails_the_build_at_its_line(make_site: MakeSite) -> None:
    site = make_site(
        {**FILES, "themes/acme/templates/404.html": '<p>\n{{ _("post.began") }}</p>\n'},
        site_yaml=SITE_YAML.format(language="en") + "theme: acme\n",
    )
    result = run_outpost("build", cwd=site)
    assert result.returncode == 1
    assert (
        "themes/acme/templates/404.html:2: error: template: message 'post.began' needs a value "
        "for {time}" in result.stderr
    )


def test_values_a_message_does_not_use_are_ignored_and_double_braces_are_braces() -> None:
    shown = Messages("en", {"x": "{{a}} {b}", "n": Counted({"one": "one", "other": "{count}"})})
    assert shown.text("x", b=1, c=2) == "{a} 1"
    assert shown.text("n", count=1) == "one"
    assert shown.text("n", count=3) == "3"


def test_a_pattern_is_split_at_its_placeholders_with_double_braces_as_braces() -> None:
    assert split_pattern("Began {time}.") == ("Began ", (("time", "."),))
    assert split_pattern("{{x}} {a}{b}") == ("{x} ", (("a", ""), ("b", "")))
    assert split_pattern("no placeholder {") == ("no placeholder {", ())


def test_render_quotes_the_text_and_each_value_and_names_the_first_missing_value() -> None:
    shown = Messages("en", {"x": "<b>{value}</b> & {html}", "y": "{a} {b}"})
    values = {"value": "<i>", "html": Markup("<em>ok</em>")}
    assert (
        shown.render("x", values, quote=escape) == "&lt;b&gt;&lt;i&gt;&lt;/b&gt; &amp; <em>ok</em>"
    )
    assert shown.render("x", values) == "<b><i></b> & <em>ok</em>"
    with pytest.raises(MessageError, match=r"message 'y' needs a value for \{a\}"):
        shown.render("y", {})


def test_dates_times_and_durations_written_once_are_the_same_each_time() -> None:
    shown = messages("fr")
    late = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    # The day of a moment is remembered by its date alone, never by the moment's time.
    assert [shown.date(late), shown.date(date(2026, 12, 1)), shown.date(late)] == [
        "1er décembre 2026"
    ] * 3
    assert shown.date_time(late) == "1er décembre 2026 à 23:59 UTC"
    assert shown.date_time(late.replace(hour=8, minute=5)) == "1er décembre 2026 à 08:05 UTC"
    assert shown.date_time(late) == "1er décembre 2026 à 23:59 UTC"
    assert [shown.duration(timedelta(days=1)), shown.duration(timedelta(days=1))] == ["1 jour"] * 2


def test_the_strings_example_in_the_docs_is_valid(make_site: MakeSite) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs/format.md").read_text("utf-8")
    section = docs.split("### The site's own words", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    site = make_site(site_yaml="title: Acme\nbase_url: https://status.example.com/\n" + example)
    config, problems = load_config(site)
    assert [str(p) for p in problems] == []
    assert config is not None
    assert config.strings["indicator.none"] == "Alles in Ordnung"
