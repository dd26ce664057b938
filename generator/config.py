"""site.yaml → SiteConfig, with every problem at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from generator.i18n import (
    FALLBACK,
    Catalogues,
    Entry,
    check_entry,
    language_chain,
    read_catalogues,
    read_entries,
)
from generator.model import Component, ComponentGroup, SiteConfig
from generator.problems import Problem, error, suggest, warning
from generator.slugs import slugify
from generator.theme import find_theme
from generator.timestamps import TimestampError, load_zone
from generator.yamlsrc import Located, YamlError, decode_source, load_located

CONFIG_FILE = "site.yaml"
SITE_KEYS = (
    "title",
    "base_url",
    "description",
    "language",
    "timezone",
    "theme",
    "feed",
    "cache",
    "id_host",
    "components",
    "strings",
    "notify",
)
MAX_AGE_LIMIT = 86400  # a day: a status page kept longer than that is no status page
COMPONENT_KEYS = ("name", "description")
GROUP_KEYS = ("group", "components", "description")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_THEME = re.compile(r"^[A-Za-z0-9_.-]+$")


def load_config(site_dir: Path) -> tuple[SiteConfig | None, list[Problem]]:
    """Read SITE_DIR/site.yaml; None and the problems when it cannot be used."""
    located, problems = read_site_yaml(site_dir)
    if located is None:
        return None, problems
    return _check(located, CONFIG_FILE, site_dir)


def read_site_yaml(site_dir: Path) -> tuple[Located | None, list[Problem]]:
    """SITE_DIR/site.yaml as YAML with lines, or the problem that stops it being read."""
    shown = CONFIG_FILE
    try:
        raw = (site_dir / CONFIG_FILE).read_bytes()
    except FileNotFoundError:
        return None, [
            error(shown, 1, f"no {CONFIG_FILE} here: is this an Outpost site? (--site DIR)")
        ]
    except OSError as exc:
        return None, [error(shown, 1, f"cannot read: {exc.strerror}")]
    text, problems = decode_source(raw, shown)
    if text is None:
        return None, problems
    try:
        return load_located(text), []
    except YamlError as exc:
        return None, [error(shown, exc.line, exc.message)]


def _check(doc: Located, shown: str, site_dir: Path) -> tuple[SiteConfig | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(path: tuple[str | int, ...], message: str) -> None:
        problems.append(error(shown, doc.line(*path), message))

    # An empty file (or one with only comments) is an empty mapping: ask for the required keys.
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        return None, [error(shown, doc.line(), "site.yaml must be a mapping of keys to values")]
    for key in data:
        if key not in SITE_KEYS:
            bad((str(key),), f"unknown key '{key}'{suggest(str(key), SITE_KEYS)}")

    title = _text(data.get("title"))
    if not title:
        bad(("title",), "title is required: the name of the status site")
    base_url = _text(data.get("base_url"))
    if not base_url:
        bad(("base_url",), "base_url is required: the absolute URL the site is served from")
    elif message := check_base_url(base_url):
        bad(("base_url",), message)
    base_url = base_url.rstrip("/") + "/"

    language = _text(data.get("language")) or "en"
    if not _LANGUAGE.match(language):
        bad(
            ("language",),
            f"language must be a language tag such as 'en' or 'de-CH'; got '{language}'",
        )

    zone_name = _text(data.get("timezone")) or "UTC"
    zone = None
    try:
        zone = load_zone(zone_name)
    except TimestampError:
        bad(
            ("timezone",),
            f"unknown time zone '{zone_name}': use an IANA name such as 'Europe/Berlin'"
            + suggest(zone_name, available_timezones()),
        )

    theme = _text(data.get("theme")) or "default"
    strings: dict[str, Entry] = {}
    if not _THEME.match(theme):
        bad(("theme",), f"theme must be a folder name; got '{theme}'")
    elif theme != "default" and not (site_dir / "themes" / theme).is_dir():
        bad(("theme",), f"theme '{theme}' not found: expected a folder themes/{theme}/")
    else:
        catalogues = read_catalogues(find_theme(site_dir, theme), site_dir)
        problems += catalogues.problems
        if _LANGUAGE.match(language) and not _has_messages(catalogues, language):
            problems.append(
                warning(
                    shown,
                    doc.line("language"),
                    f"no messages for '{language}'; pages are in English — "
                    f"add themes/{theme}/messages/{language}.yaml",
                )
            )
        strings, found = _strings(data.get("strings"), doc, catalogues, language)
        problems += found

    feed_entries = _whole_number(
        data, "feed", "entries", 50, (1, None), bad, "a whole number of 1 or more"
    )
    # How many seconds hosts and CDNs may keep pages, feeds and the API.
    cache_max_age = _whole_number(
        data, "cache", "max_age", 60, (0, MAX_AGE_LIMIT), bad,
        f"a whole number of seconds from 0 to {MAX_AGE_LIMIT}",
    )  # fmt: skip
    id_host = _text(data.get("id_host")) or urlsplit(base_url).hostname or ""
    if "id_host" in data and not re.match(r"^[A-Za-z0-9.-]+$", id_host):
        bad(
            ("id_host",),
            f"id_host must be a host name such as status.acme.example; got '{id_host}'",
        )
    groups = _components(data.get("components"), bad, doc)

    for key in ("description",):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            bad((key,), f"{key} must be text")
    if any(p.is_error for p in problems):
        return None, problems
    return (
        SiteConfig(
            title=title,
            base_url=base_url,
            description=_text(data.get("description")),
            language=language,
            timezone_name=zone_name,
            timezone=zone,
            theme=theme,
            feed_entries=feed_entries,
            cache_max_age=cache_max_age,
            id_host=id_host.lower(),
            groups=groups,
            strings=strings,
            websub_hub=_websub_hub(data.get("notify")),
        ),
        problems,
    )


def _has_messages(catalogues: Catalogues, language: str) -> bool:
    """Whether LANGUAGE (or a language it falls back to, other than English) has a catalogue."""
    return catalogues.merged(language)[1] != FALLBACK or language_chain(language)[0] == FALLBACK


def _strings(
    value: Any, doc: Located, catalogues: Catalogues, language: str
) -> tuple[dict[str, Entry], list[Problem]]:
    """`strings:`, the site's own words for the theme's messages, each checked against English."""
    if value is None:
        return {}, []
    if not isinstance(value, dict):
        message = "strings must be a mapping from message key to text, such as 'strings: {indicator.none: Everything works}'"
        return {}, [error(CONFIG_FILE, doc.line("strings"), message)]
    english, _ = catalogues.merged(FALLBACK)
    known, _ = catalogues.merged(language)
    found, problems = read_entries(doc, ("strings",), CONFIG_FILE)
    strings: dict[str, Entry] = {}
    for key, (entry, line) in found.items():
        if key not in known:
            problems.append(
                error(CONFIG_FILE, line, f"unknown message '{key}'{suggest(key, known)}")
            )
        elif why := check_entry(key, entry, english.get(key, known[key])):
            problems.append(error(CONFIG_FILE, line, why))
        else:
            strings[key] = entry
    return strings, problems


def _websub_hub(notify: Any) -> str:
    """notify.websub_hub, for the feeds' hub link: '' unless it is an http(s) URL (notify checks it)."""
    hub = _text(notify.get("websub_hub")) if isinstance(notify, dict) else ""
    parts = urlsplit(hub)
    return hub if parts.scheme in ("http", "https") and parts.netloc else ""


def check_base_url(url: str) -> str | None:
    """Why URL cannot be a base_url, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"base_url must be an absolute http or https URL; got '{url}'"
    if parts.query or parts.fragment:
        return f"base_url must not have a query or fragment; got '{url}'"
    return None


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def _whole_number(
    data: dict[str, Any],
    section: str,
    key: str,
    default: int,
    bounds: tuple[int, int | None],
    bad: Any,
    what: str,
) -> int:
    """SECTION.KEY of site.yaml (`feed: {entries: 50}`): a whole number within BOUNDS, else DEFAULT."""
    value = data.get(section)
    if value is None:
        return default
    if not isinstance(value, dict):
        bad((section,), f"{section} must be a mapping, such as '{section}: {{{key}: {default}}}'")
        return default
    for name in value:
        if name != key:
            hint = suggest(f"{section}.{name}", [f"{section}.{key}"])
            bad((section, str(name)), f"unknown key '{section}.{name}'{hint}")
    number = value.get(key, default)
    low, high = bounds
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or number < low
        or (high is not None and number > high)
    ):
        bad((section, key), f"{section}.{key} must be {what}; got '{number}'")
        return default
    return number


def _components(value: Any, bad: Any, doc: Located) -> tuple[ComponentGroup, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        bad(("components",), "components must be a list of '- name: ...' or '- group: ...' items")
        return ()
    groups: list[ComponentGroup] = []
    seen: dict[str, tuple[str | int, ...]] = {}
    slugs: dict[str, str] = {}

    def component(item: Any, path: tuple[str | int, ...], group: str | None) -> Component | None:
        if not isinstance(item, dict) or "name" not in item:
            bad(path, "a component must be a mapping with a name, such as '- name: API'")
            return None
        for key in item:
            if key not in COMPONENT_KEYS:
                bad(
                    (*path, str(key)),
                    f"unknown component key '{key}'{suggest(str(key), COMPONENT_KEYS)}",
                )
        name = _text(item.get("name"))
        if not name:
            bad((*path, "name"), "a component's name must not be empty")
            return None
        if name in seen:
            bad(
                (*path, "name"),
                f"component '{name}' is declared twice (first on line {doc.line(*seen[name])})",
            )
            return None
        slug = slugify(name) or "component"
        if slug in slugs:
            bad((*path, "name"), f"component '{name}' would have the same page as '{slugs[slug]}'")
            return None
        seen[name], slugs[slug] = path, name
        return Component(
            name=name, slug=slug, description=_text(item.get("description")), group=group
        )

    for index, item in enumerate(value):
        path: tuple[str | int, ...] = ("components", index)
        if isinstance(item, dict) and "group" in item:
            for key in item:
                if key not in GROUP_KEYS:
                    bad(
                        (*path, str(key)),
                        f"unknown group key '{key}'{suggest(str(key), GROUP_KEYS)}",
                    )
            name = _text(item.get("group"))
            members = item.get("components")
            if not name:
                bad((*path, "group"), "a group's name must not be empty")
            if not isinstance(members, list) or not members:
                bad((*path, "components"), f"group '{name}' needs a list of components")
                continue
            made = [component(m, (*path, "components", i), name) for i, m in enumerate(members)]
            groups.append(ComponentGroup(name or None, tuple(c for c in made if c)))
        else:
            made_one = component(item, path, None)
            if made_one:
                groups.append(ComponentGroup(None, (made_one,)))
    return tuple(groups)
