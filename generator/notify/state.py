"""What was notified on each channel: a small JSON file, replaced atomically after every send."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.files import replace_file
from generator.problems import OutpostError, error

FORMAT = "outpost-notified/1"


@dataclass
class NotifyState:
    """The ids of the updates sent on each channel, in the order they were sent."""

    path: Path
    shown: str
    channels: dict[str, list[str]] = field(default_factory=dict)
    existed: bool = False

    def has_channel(self, channel: str) -> bool:
        return channel in self.channels

    def sent(self, channel: str) -> set[str]:
        return set(self.channels.get(channel, ()))

    def known(self) -> set[str]:
        """Every id sent on any channel."""
        return {update_id for ids in self.channels.values() for update_id in ids}

    def start(self, channel: str, ids: Iterable[str]) -> None:
        """Begin CHANNEL's record with IDS, as if they had been sent on it (saved with the next write)."""
        self.channels[channel] = list(dict.fromkeys(ids))

    def keep_only(self, channels: Iterable[str]) -> None:
        """Forget channels that are no longer configured: added again, they start afresh."""
        wanted = set(channels)
        self.channels = {name: ids for name, ids in self.channels.items() if name in wanted}

    def record(self, channel: str, update_id: str) -> None:
        """UPDATE_ID was sent on CHANNEL: write that down before anything else is sent."""
        ids = self.channels.setdefault(channel, [])
        if update_id not in ids:
            ids.append(update_id)
        self.save()

    def save(self) -> None:
        """Replace the file atomically: a crash leaves the old state or the new one, never half."""
        data = {"format": FORMAT, "channels": dict(sorted(self.channels.items()))}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        replace_file(self.path, text.encode("utf-8"))
        self.existed = True


def load_state(path: Path, shown: str) -> NotifyState:
    """The state in PATH (an empty one when there is no file); OutpostError when it is unreadable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return NotifyState(path, shown)
    except OSError as exc:
        raise OutpostError([error(shown, 1, f"cannot read: {exc.strerror}")]) from None
    keep = "fix or restore it: notifying without it would send updates again"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise OutpostError([error(shown, 1, f"not UTF-8 text; {keep}")]) from None
    except json.JSONDecodeError as exc:
        raise OutpostError(
            [error(shown, exc.lineno, f"not valid JSON: {exc.msg}; {keep}")]
        ) from None
    channels = data.get("channels") if isinstance(data, dict) else None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(channels, dict)
        or not all(
            isinstance(ids, list) and all(isinstance(i, str) for i in ids)
            for ids in channels.values()
        )
    ):
        message = f"not an Outpost notification state ('format': '{FORMAT}', 'channels'); {keep}"
        raise OutpostError([error(shown, 1, message)])
    return NotifyState(path, shown, {str(k): list(v) for k, v in channels.items()}, existed=True)
