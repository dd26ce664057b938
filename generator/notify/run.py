"""`outpost notify`: which updates each channel still needs, then send them, oldest first."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from generator.config import CONFIG_FILE
from generator.load import load_site
from generator.notify.config import NotifyConfig, load_notify_config
from generator.notify.mail import EmailChannel, MailRenderer
from generator.notify.notice import Notice, notices_of
from generator.notify.retry import Retry, SendError
from generator.notify.state import NotifyState, load_state
from generator.notify.webhooks import WebhookChannel
from generator.notify.websub import WebsubChannel
from generator.problems import OutpostError, Problem, error, warning
from generator.theme import find_theme

Report = Callable[[str], None]


class Sender(Protocol):
    """A channel's connection for one run."""

    def send(self, notice: Notice) -> str:
        """Send NOTICE; say what was done. Raises SendError."""

    def close(self) -> None: ...


class Channel(Protocol):
    """Somewhere customers are told: email, a webhook, a WebSub hub."""

    @property
    def key(self) -> str:
        """The channel's name in the state file."""

    @property
    def label(self) -> str:
        """The channel's name in messages; never a secret."""

    @property
    def line(self) -> int:
        """Where site.yaml configures it."""

    @property
    def env_names(self) -> tuple[str, ...]:
        """The environment variables it needs."""

    def describe(self, notice: Notice) -> str: ...

    def sender(self, env: Mapping[str, str], retry: Retry, report: Report) -> Sender: ...


@dataclass
class NotifyResult:
    """What a run did: messages sent per channel, what is left, and every problem."""

    dry_run: bool = False
    sent: Counter[str] = field(default_factory=Counter)
    updates: set[str] = field(default_factory=set)
    unsent: int = 0
    recorded: int = 0
    published: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def summary(self) -> str:
        """The last line a run prints."""
        total = sum(self.sent.values())
        updates = _count(len(self.updates), "update")
        if self.dry_run and self.recorded:
            recorded = _count(self.recorded, "update")
            return f"dry run: would record {recorded} as notified without sending; nothing written"
        if self.dry_run:
            messages = _count(total, "message")
            return f"dry run: would send {messages} for {updates}; nothing sent, nothing written"
        parts = []
        if self.recorded:
            parts.append(f"recorded {_count(self.recorded, 'update')} as notified without sending")
        if total:
            channels = ", ".join(f"{n} by {label}" for label, n in self.sent.items())
            parts.append(f"sent {_count(total, 'message')} ({channels}) for {updates}")
        if self.unsent:
            parts.append(f"{_count(self.unsent, 'message')} left unsent: run again to send them")
        if parts:
            return "; ".join(parts)
        if not self.published:
            return "nothing to notify: no update is published yet"
        published = _count(self.published, "published update")
        return f"nothing to notify: every channel has had all {published}"


def notify_site(
    site_dir: Path,
    now: datetime,
    env: Mapping[str, str],
    *,
    dry_run: bool = False,
    baseline: bool = False,
    report: Report = print,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyResult:
    """Send every published update that a configured channel has not had; OutpostError on config."""
    site, problems = load_site(site_dir, now)
    if site is None:
        raise OutpostError(problems)
    config, notify_problems = load_notify_config(site_dir)
    if notify_problems:
        raise OutpostError(notify_problems)
    if config is None:
        raise OutpostError(
            [error(CONFIG_FILE, 1, "no notify: section: nothing to send to (see docs/notify.md)")]
        )
    channels = make_channels(config, site_dir, site.config.theme)
    state = load_state(config.state_path(site_dir), config.state)
    notices = notices_of(site)
    result = NotifyResult(dry_run=dry_run, published=len(notices), problems=list(problems))
    before = {k: list(v) for k, v in state.channels.items()}
    start_channels(state, channels, notices, config, baseline, report, result)
    if not dry_run and (state.channels != before or not state.existed):
        state.save()
    if baseline:
        return result
    retry = Retry(attempts=config.retries + 1, delay=config.retry_delay, sleep=sleep)
    for channel in channels:
        pending = [n for n in notices if n.id not in state.sent(channel.key)]
        if pending:
            send_pending(channel, pending, state, env, retry, report, result)
    return result


def make_channels(config: NotifyConfig, site_dir: Path, theme_name: str) -> list[Channel]:
    """The configured channels, in site.yaml's order: email, the webhooks, the hub."""
    channels: list[Channel] = []
    if config.email:
        renderer = MailRenderer(find_theme(site_dir, theme_name))
        channels.append(EmailChannel(config.email, renderer, config.timeout))
    channels += [WebhookChannel(w, config.timeout) for w in config.webhooks]
    if config.websub_hub:
        channels.append(WebsubChannel(config.websub_hub, config.websub_line, config.timeout))
    return channels


def start_channels(
    state: NotifyState,
    channels: Sequence[Channel],
    notices: Sequence[Notice],
    config: NotifyConfig,
    baseline: bool,
    report: Report,
    result: NotifyResult,
) -> None:
    """Give each channel its record: everything with --baseline, else what is already known.

    A channel that the state does not know yet is new: it starts after the updates already
    notified elsewhere, rather than with the site's whole history.
    """
    published = [n.id for n in notices]
    if baseline:
        for channel in channels:
            state.start(channel.key, [*state.channels.get(channel.key, []), *published])
        result.recorded = len(published)
    elif not state.existed:
        if published:
            raise OutpostError([_no_state(config, len(published))])
        for channel in channels:
            state.start(channel.key, [])
    else:
        known = state.known()
        for channel in channels:
            if not state.has_channel(channel.key):
                state.start(channel.key, [i for i in published if i in known])
                count = len(state.sent(channel.key))
                starts = "would start" if result.dry_run else "starts"
                already = _count(count, "update")
                report(
                    f"{channel.label}: new channel: {starts} after the {already} already notified"
                )
    state.keep_only(c.key for c in channels)


def send_pending(
    channel: Channel,
    pending: Sequence[Notice],
    state: NotifyState,
    env: Mapping[str, str],
    retry: Retry,
    report: Report,
    result: NotifyResult,
) -> None:
    """Send PENDING on CHANNEL in order; stop at the first failure, so that none overtakes it."""
    missing = [name for name in channel.env_names if not env.get(name, "").strip()]
    if result.dry_run:
        describe_pending(channel, pending, missing, report, result)
        return
    left = f"{_count(len(pending), 'update')} left unsent"
    if missing:
        names = " and ".join(f"${n}" for n in missing)
        verb = "are" if len(missing) > 1 else "is"
        result.problems.append(
            error(CONFIG_FILE, channel.line, f"{channel.label}: {names} {verb} not set: {left}")
        )
        result.unsent += len(pending)
        return

    def say(message: str) -> None:
        report(f"{channel.label}: {message}")

    try:
        sender = channel.sender(env, retry, say)
    except SendError as exc:
        result.problems.append(error(CONFIG_FILE, channel.line, f"{channel.label}: {exc}: {left}"))
        result.unsent += len(pending)
        return
    try:
        for index, notice in enumerate(pending):
            try:
                what = sender.send(notice)
            except SendError as exc:
                result.problems.append(_not_sent(channel, notice, exc, len(pending) - index - 1))
                result.unsent += len(pending) - index
                return
            state.record(channel.key, notice.id)
            result.sent[channel.label] += 1
            result.updates.add(notice.id)
            say(f"sent '{notice.title}' ({what})")
    finally:
        sender.close()


def describe_pending(
    channel: Channel,
    pending: Sequence[Notice],
    missing: list[str],
    report: Report,
    result: NotifyResult,
) -> None:
    """--dry-run: what CHANNEL would be sent; a variable not set here is only a warning."""
    for name in missing:
        result.problems.append(
            warning(CONFIG_FILE, channel.line, f"{channel.label}: ${name} is not set here")
        )
    for notice in pending:
        report(f"would send {channel.describe(notice)}")
        result.sent[channel.label] += 1
        result.updates.add(notice.id)


def _not_sent(channel: Channel, notice: Notice, exc: SendError, later: int) -> Problem:
    message = f"{channel.label}: '{notice.title}' ({notice.id}) not sent: {exc}"
    if later:
        message += f"; {_count(later, 'later update')} held back, to keep the order"
    return error(CONFIG_FILE, channel.line, message)


def _no_state(config: NotifyConfig, published: int) -> Problem:
    return error(
        CONFIG_FILE,
        config.line,
        f"no record of what was notified: {config.state} does not exist, and sending now would "
        f"send all {_count(published, 'published update')}. On a first run, run "
        "'outpost notify --baseline' to record them as notified without sending; "
        "otherwise restore the file from where CI keeps it (see docs/notify.md)",
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
