"""What each channel says about an update: payloads, signatures, the email, retries; no network."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from checks import API_REGISTRY
from conftest import SITE_YAML, MakeSite
from jsonschema import Draft202012Validator

from generator.load import load_site
from generator.notify.config import EmailSettings
from generator.notify.http import retry_after
from generator.notify.mail import MailRenderer, compose, message_id
from generator.notify.notice import Notice, notices_of
from generator.notify.retry import Retry, SendError, TransientError
from generator.notify.webhooks import (
    DISCORD_DESCRIPTION,
    SLACK_SECTION,
    discord,
    signature,
    slack,
    slack_text,
    statuspage,
    teams,
)
from generator.notify.websub import feed_urls, ping_body
from generator.theme import find_theme

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE = "https://status.example.com/"
INCIDENT = """\
---
title: Login failures
impact: major
components: [API, Scheduler]
---
## 2026-11-29 09:05 UTC — Investigating
We are looking into it: see [the API page](../../components/api/) and [the FAQ][faq].

[faq]: ../../faq/

## 2026-11-29 10:40 UTC — Resolved
Logins work again.
"""
MAINTENANCE = """\
---
title: Database upgrade
start: 2026-12-06 02:00 UTC
end: 2026-12-06 04:00 UTC
components: [Queue]
---
## 2026-11-30 08:00 UTC — Scheduled
The queue will pause for a few minutes.
"""
EMAIL = EmailSettings(
    host="localhost",
    port=25,
    security="none",
    username_env="",
    password_env="",
    sender="Example Status <status@example.com>",
    to=("ada@example.com", "bob@example.com"),
    list_unsubscribe=("mailto:leave@example.com", "https://example.com/unsubscribe"),
    line=1,
)


@pytest.fixture
def notices(make_site: MakeSite) -> list[Notice]:
    site_dir = make_site(
        {
            "content/incidents/login.md": INCIDENT,
            "content/maintenance/db.md": MAINTENANCE,
            "content/incidents/draft.md": INCIDENT.replace("impact: major", "draft: true"),
        }
    )
    site, problems = load_site(site_dir, NOW)
    assert site is not None, problems
    return notices_of(site)


def schema(name: str) -> Draft202012Validator:
    ref = f"https://schemas.outpost.example/statuspage/defs.json#/$defs/{name}"
    return Draft202012Validator(
        {"$ref": ref}, registry=API_REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def test_every_published_update_oldest_first_drafts_left_out(notices: list[Notice]) -> None:
    assert [n.title for n in notices] == [
        "Investigating: Login failures",
        "Resolved: Login failures",
        "Scheduled: Database upgrade",
    ]
    assert notices[0].id == (
        "tag:status.example.com,2026-11-29:incidents/login/2026-11-29T09:05:00Z"
    )
    assert notices[0].link == f"{BASE}incidents/login/#update-20261129T090500Z"


def test_relative_links_in_an_update_are_made_absolute(notices: list[Notice]) -> None:
    assert notices[0].body == (
        f"We are looking into it: see [the API page]({BASE}components/api/) and [the FAQ][faq].\n\n"
        f"[faq]: {BASE}faq/"
    )


# --- webhooks ------------------------------------------------------------------------------------


def test_the_signature_is_githubs_hmac_sha256() -> None:
    # The example in GitHub's documentation on validating webhook deliveries.
    assert signature("It's a Secret to Everybody", b"Hello, World!") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


def test_slack_text_is_mrkdwn_with_links_bold_and_headings_and_nothing_unescaped() -> None:
    markdown = "### What to do\nRead **this** [guide](https://x.example/a?b=1&c=2) <script> & more"
    assert slack_text(markdown) == (
        "*What to do*\nRead *this* <https://x.example/a?b=1&c=2|guide> &lt;script&gt; &amp; more"
    )


def test_slack_payload_has_a_text_fallback_and_blocks_within_slacks_limits(
    notices: list[Notice],
) -> None:
    payload = slack(notices[0])
    assert payload["text"] == (
        f"Investigating: Login failures – Example Status: <{BASE}incidents/login/#update-20261129T090500Z>"
    )
    header, section, context = payload["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Investigating: Login failures"},
    }
    assert section["text"]["type"] == "mrkdwn"
    assert context["elements"][0]["text"] == (
        f"<{BASE}incidents/login/#update-20261129T090500Z|2026-11-29 09:05 UTC> · Example Status"
    )
    long = _with_body(notices[0], "word " * 2000)
    assert len(slack(long)["blocks"][1]["text"]["text"]) == SLACK_SECTION
    assert [b["type"] for b in slack(_with_body(notices[0], ""))["blocks"]] == ["header", "context"]


def test_discord_payload_is_one_embed_that_mentions_nobody(notices: list[Notice]) -> None:
    payload = discord(_with_body(notices[1], "@everyone " + "x" * 5000))
    (embed,) = payload["embeds"]
    assert embed["title"] == "Resolved: Login failures"
    assert embed["color"] == 0x2EB67D
    assert embed["timestamp"] == "2026-11-29T10:40:00Z"
    assert len(embed["description"]) == DISCORD_DESCRIPTION
    assert embed["description"].endswith("…")
    assert payload["allowed_mentions"] == {"parse": []}


def test_teams_payload_is_an_adaptive_card_in_a_message(notices: list[Notice]) -> None:
    payload = teams(notices[0])
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    card = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [block["type"] for block in card["body"]] == ["TextBlock"] * 3
    assert card["body"][0]["text"] == "Investigating: Login failures"
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Read on the status page",
            "url": f"{BASE}incidents/login/#update-20261129T090500Z",
        }
    ]


def test_statuspage_payload_is_statuspages_webhook_with_the_incident_as_it_was_then(
    notices: list[Notice],
) -> None:
    first = statuspage(notices[0])
    assert list(first) == ["meta", "page", "incident"]
    assert first["meta"] == {"unsubscribe": None, "documentation": None}
    assert first["page"]["status_indicator"] == "major"
    assert first["page"]["status_description"] == "Partial System Outage"
    assert len(first["page"]["id"]) == 12
    schema("incident").validate(first["incident"])
    assert first["incident"]["status"] == "investigating"
    assert first["incident"]["resolved_at"] is None
    assert len(first["incident"]["incident_updates"]) == 1
    resolved = statuspage(notices[1])
    schema("incident").validate(resolved["incident"])
    assert resolved["incident"]["status"] == "resolved"
    assert resolved["page"]["status_indicator"] == "none"
    assert resolved["incident"]["id"] == first["incident"]["id"]


def test_statuspage_payload_for_maintenance_is_a_scheduled_maintenance(
    notices: list[Notice],
) -> None:
    payload = statuspage(notices[2])
    schema("scheduled_maintenance").validate(payload["incident"])
    assert payload["incident"]["status"] == "scheduled"
    assert payload["incident"]["scheduled_for"] == "2026-12-06T02:00:00.000Z"


# --- WebSub --------------------------------------------------------------------------------------


def test_the_hub_hears_of_every_feed_that_carries_the_update(notices: list[Notice]) -> None:
    assert feed_urls(notices[0]) == [
        f"{BASE}feed.atom",
        f"{BASE}feed.rss",
        f"{BASE}incidents/login/feed.atom",
        f"{BASE}components/api/feed.atom",
        f"{BASE}components/scheduler/feed.atom",
    ]
    assert feed_urls(notices[2])[2:] == [
        f"{BASE}maintenance/db/feed.atom",
        f"{BASE}components/queue/feed.atom",
    ]
    assert ping_body(f"{BASE}feed.atom") == (
        b"hub.mode=publish&hub.url=https%3A%2F%2Fstatus.example.com%2Ffeed.atom"
    )


# --- email ---------------------------------------------------------------------------------------


def test_the_message_hides_recipients_in_bcc_and_threads_an_incidents_updates(
    notices: list[Notice],
) -> None:
    first = compose(EMAIL, notices[0], "text", "<p>html</p>", NOW)
    assert first["Subject"] == "[Example Status] Investigating: Login failures"
    assert first["To"] == "Example Status <status@example.com>"
    assert first["Bcc"] == "ada@example.com, bob@example.com"  # smtplib sends to them, drops it
    assert first["Date"] == "Tue, 01 Dec 2026 12:00:00 +0000"
    assert first["Message-ID"] == message_id(notices[0].id, "status.example.com")
    assert (
        first["List-Unsubscribe"] == "<mailto:leave@example.com>, <https://example.com/unsubscribe>"
    )
    assert first["In-Reply-To"] is None
    second = compose(EMAIL, notices[1], "text", "<p>html</p>", NOW)
    assert second["In-Reply-To"] == second["References"] == first["Message-ID"]
    single = EmailSettings(
        **{**EMAIL.__dict__, "to": ("list@example.com",), "list_unsubscribe": ()}
    )
    alone = compose(single, notices[0], "text", "<p>html</p>", NOW)
    assert alone["To"] == "list@example.com"
    assert alone["Bcc"] is None and alone["List-Unsubscribe"] is None


def test_the_email_is_rendered_from_the_theme_with_html_escaped_and_text_left_alone(
    make_site: MakeSite,
) -> None:
    site_dir = make_site(
        {
            "content/incidents/x.md": INCIDENT.replace(
                "Login failures", "Logins <b>fail</b> & worse"
            ),
            "themes/acme/templates/email.txt": "Our own words: {{ notice.title }}\n",
        },
        site_yaml=SITE_YAML + "theme: acme\n",
    )
    site, problems = load_site(site_dir, NOW)
    assert site is not None, problems
    renderer = MailRenderer(find_theme(site_dir, "acme"))
    text, html = renderer.render(notices_of(site)[0], EMAIL.list_unsubscribe)
    assert text == "Our own words: Investigating: Logins <b>fail</b> & worse\n"
    assert "<title>Investigating: Logins &lt;b&gt;fail&lt;/b&gt; &amp; worse</title>" in html
    assert '<a href="https://example.com/unsubscribe">' in html  # the web page, not the mailto:
    assert f'<a href="{BASE}components/api/">the API page</a>' in html


def test_the_built_in_email_text_reads_well(notices: list[Notice], make_site: MakeSite) -> None:
    renderer = MailRenderer(find_theme(make_site({}), "default"))
    text, _ = renderer.render(notices[2], ())
    assert text == (
        "Scheduled: Database upgrade\n"
        "Example Status · 2026-11-30 08:00 UTC\n"
        "\n"
        "The queue will pause for a few minutes.\n"
        "\n"
        "Read it on the status page:\n"
        f"{BASE}maintenance/db/#update-20261130T080000Z\n"
        "\n"
        "Follow every update of Example Status:\n"
        f"  Atom feed:  {BASE}feed.atom\n"
        f"  RSS feed:   {BASE}feed.rss\n"
        f"  JSON Feed:  {BASE}feed.json\n"
        f"  This maintenance window only: {BASE}maintenance/db/feed.atom\n"
        "\n"
        "-- \n"
        "Example Status\n"
        f"{BASE}\n"
    )


# --- retries -------------------------------------------------------------------------------------


def test_retries_wait_longer_each_time_and_give_up_after_the_last_attempt() -> None:
    sleeps: list[float] = []
    said: list[str] = []

    def failing() -> None:
        raise TransientError("HTTP 503 Service Unavailable")

    retry = Retry(attempts=4, delay=1.5, sleep=sleeps.append)
    with pytest.raises(SendError, match=r"^HTTP 503 Service Unavailable \(4 attempts\)$"):
        retry.run(failing, said.append)
    assert sleeps == [1.5, 3.0, 6.0]
    assert said[0] == "HTTP 503 Service Unavailable; trying again in 1.5 s (attempt 2 of 4)"


def test_a_permanent_failure_is_not_tried_again_and_a_success_returns_at_once() -> None:
    calls: list[int] = []

    def rejected() -> None:
        calls.append(1)
        raise SendError("HTTP 400 Bad Request: invalid_payload")

    retry = Retry(sleep=pytest.fail)
    with pytest.raises(SendError, match="invalid_payload"):
        retry.run(rejected, pytest.fail)
    assert calls == [1]
    outcomes: list[Any] = [TransientError("dropped"), "sent"]

    def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return str(outcome)

    assert Retry(delay=0, sleep=lambda _: None).run(flaky, lambda _: None) == "sent"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("Tue, 01 Dec 2026 12:01:30 GMT", 90.0), ("Tue, 01 Dec 2026 11:00:00 GMT", 0.0),
     ("soon", None), ("", None), (None, None)],
)  # fmt: skip
def test_retry_after_is_read_as_seconds_or_as_a_date(
    value: str | None, seconds: float | None
) -> None:
    assert retry_after(value, NOW) == seconds


def _with_body(notice: Notice, body: str) -> Notice:
    import dataclasses

    update = notice.update._replace(body=body)
    return Notice(notice.site, dataclasses.replace(notice.entry, update=update))
