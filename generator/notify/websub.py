"""WebSub: tell the hub which feeds changed, so that subscribed readers fetch them at once."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from generator.notify.http import post
from generator.notify.notice import Notice
from generator.notify.retry import Retry
from generator.outputs.feeds import ATOM, RSS


def feed_urls(notice: Notice) -> list[str]:
    """The feeds that carry NOTICE's update: the site's, its post's, and its components'."""
    base = notice.base_url
    urls = [base + ATOM, base + RSS, notice.post_feed]
    components = {c.name: c for c in notice.site.config.components}
    urls += [
        base + components[name].url + ATOM
        for name in notice.post.component_names
        if name in components
    ]
    return urls


def ping_body(feed_url: str) -> bytes:
    """`hub.mode=publish&hub.url=FEED_URL`, form-encoded."""
    return urlencode({"hub.mode": "publish", "hub.url": feed_url}).encode("ascii")


class WebsubChannel:
    """The hub in notify.websub_hub: one ping per changed feed."""

    key = "websub"
    env_names: tuple[str, ...] = ()

    def __init__(self, hub: str, line: int, timeout: float) -> None:
        self.hub = hub
        self.line = line
        self.timeout = timeout
        self.label = "WebSub hub"

    def describe(self, notice: Notice) -> str:
        return f"{self.label} {self.hub}: ping {', '.join(feed_urls(notice))} ({notice.title})"

    def sender(
        self, env: Mapping[str, str], retry: Retry, report: Callable[[str], None]
    ) -> WebsubSender:
        return WebsubSender(self, retry, report)


class WebsubSender:
    """Pings the hub for each feed once per run, however many of its updates are new."""

    def __init__(self, channel: WebsubChannel, retry: Retry, report: Callable[[str], None]) -> None:
        self.channel = channel
        self.retry, self.report = retry, report
        self.pinged: set[str] = set()

    def send(self, notice: Notice) -> str:
        """Ping the hub for NOTICE's feeds not pinged yet in this run; raises SendError."""
        fresh = [url for url in feed_urls(notice) if url not in self.pinged]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for url in fresh:
            ping = functools.partial(
                post, self.channel.hub, ping_body(url), headers, self.channel.timeout
            )
            self.retry.run(ping, self.report)
            self.pinged.add(url)
        return f"pinged {len(fresh)} feed{'s' if len(fresh) != 1 else ''}"

    def close(self) -> None:
        """Nothing to close: every ping has a connection of its own."""
