"""Webhooks: Slack, Discord, Microsoft Teams and Statuspage-shaped JSON, signed when asked."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from generator.model import Incident
from generator.notify.config import WebhookSettings
from generator.notify.http import post
from generator.notify.notice import Notice
from generator.notify.retry import Retry, SendError
from generator.outputs.api_objects import StatuspageObjects
from generator.timestamps import format_iso

Json = dict[str, Any]
SIGNATURE_HEADER = "X-Outpost-Signature"
ID_HEADER = "X-Outpost-Id"
# The services' own limits, in characters.
SLACK_HEADER, SLACK_SECTION = 150, 3000
DISCORD_TITLE, DISCORD_DESCRIPTION = 256, 4096
TEAMS_TEXT = 20000
RED, ORANGE, BLUE, GREEN, INDIGO = 0xE01E5A, 0xF2A33A, 0x3B82F6, 0x2EB67D, 0x6366F1
COLOURS = {
    "Investigating": RED,
    "Identified": ORANGE,
    "Monitoring": BLUE,
    "Resolved": GREEN,
    "Postmortem": GREEN,
    "Scheduled": INDIGO,
    "In progress": INDIGO,
    "Verifying": BLUE,
    "Completed": GREEN,
}
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]+)\]\(\s*<?([^)\s>]+)>?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def slack(notice: Notice) -> Json:
    """Slack's incoming webhook: `text` for notifications, blocks for the message itself."""
    config = notice.site.config
    blocks: list[Json] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _shorten(notice.title, SLACK_HEADER)},
        }
    ]
    if notice.body:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _shorten(slack_text(notice.body), SLACK_SECTION),
                },
            }
        )
    context = f"<{notice.link}|{_slack_escape(notice.time)}> · {_slack_escape(config.title)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    return {
        "text": f"{_slack_escape(notice.title)} – {_slack_escape(config.title)}: <{notice.link}>",
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def discord(notice: Notice) -> Json:
    """Discord's webhook: one embed; no mentions, whatever the update says."""
    embed: Json = {"title": _shorten(notice.title, DISCORD_TITLE), "url": notice.link}
    if notice.body:
        embed["description"] = _shorten(notice.body, DISCORD_DESCRIPTION)
    embed["timestamp"] = format_iso(notice.update.when)
    embed["color"] = COLOURS.get(notice.update.effective_status, BLUE)
    embed["footer"] = {"text": notice.site.config.title}
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def teams(notice: Notice) -> Json:
    """Microsoft Teams (a Workflows or incoming webhook): an Adaptive Card in a message."""
    body: list[Json] = [
        {
            "type": "TextBlock",
            "text": notice.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": f"{notice.site.config.title} · {notice.time}",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
    ]
    if notice.body:
        text = _HEADING.sub(r"**\1**", notice.body)
        body.append({"type": "TextBlock", "text": _shorten(text, TEAMS_TEXT), "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": "Read on the status page", "url": notice.link}
        ],
    }
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }
    return {"type": "message", "attachments": [attachment]}


def statuspage(notice: Notice) -> Json:
    """Statuspage's webhook: meta, page, and the incident as it was right after this update."""
    site = notice.site_then()
    objects = StatuspageObjects(site)
    post_then = notice.post_then(site)
    if isinstance(post_then, Incident):
        incident = objects.incident(post_then)
    else:
        incident = objects.maintenance(post_then)
    status = objects.status()
    return {
        "meta": {"unsubscribe": None, "documentation": None},
        "page": {
            "id": objects.page_id,
            "status_indicator": status["indicator"],
            "status_description": status["description"],
        },
        "incident": incident,
    }


PAYLOADS: dict[str, Callable[[Notice], Json]] = {
    "slack": slack,
    "discord": discord,
    "teams": teams,
    "statuspage": statuspage,
}


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the body with the shared secret, as GitHub signs webhooks."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def slack_text(markdown: str) -> str:
    """Markdown as Slack's mrkdwn: links as <url|text>, bold and headings as *bold*, & < > escaped."""
    parts, position = [], 0
    for match in _MARKDOWN_LINK.finditer(markdown):
        parts.append(_slack_escape(markdown[position : match.start()]))
        url = match[2].replace("|", "%7C").replace(">", "%3E")
        parts.append(f"<{url}|{_slack_escape(match[1])}>")
        position = match.end()
    parts.append(_slack_escape(markdown[position:]))
    text = _HEADING.sub(r"*\1*", "".join(parts))
    return _BOLD.sub(r"*\1*", text)


class WebhookChannel:
    """A webhook in notify.webhooks: its URL (and signing secret) from the environment."""

    def __init__(self, settings: WebhookSettings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self.key = f"webhook:{settings.name}"
        self.label = f"webhook {settings.name}"
        self.line = settings.line

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.settings.url_env, self.settings.secret_env) if n)

    def describe(self, notice: Notice) -> str:
        signed = ", signed" if self.settings.secret_env else ""
        return f"{self.label} ({self.settings.format}{signed}): {notice.title}"

    def sender(
        self, env: Mapping[str, str], retry: Retry, report: Callable[[str], None]
    ) -> WebhookSender:
        url = env.get(self.settings.url_env, "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SendError(f"${self.settings.url_env} does not hold an http or https URL")
        secret = env.get(self.settings.secret_env, "") if self.settings.secret_env else ""
        return WebhookSender(self, url, secret, retry, report)


class WebhookSender:
    """POSTs each update's payload to one webhook."""

    def __init__(
        self,
        channel: WebhookChannel,
        url: str,
        secret: str,
        retry: Retry,
        report: Callable[[str], None],
    ) -> None:
        self.channel = channel
        self.url, self.secret = url, secret
        self.retry, self.report = retry, report

    def send(self, notice: Notice) -> str:
        """POST NOTICE's payload; raises SendError."""
        payload = PAYLOADS[self.channel.settings.format](notice)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", ID_HEADER: notice.id}
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body)
        self.retry.run(lambda: post(self.url, body, headers, self.channel.timeout), self.report)
        return f"{len(body)} bytes{' signed' if self.secret else ''}"

    def close(self) -> None:
        """Nothing to close: every POST has a connection of its own."""


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
