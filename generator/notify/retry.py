"""Trying a send again after a failure that may pass: a dropped connection, a 5xx, a 429."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
# The longest Retry-After that a run waits for; a longer one leaves the message to the next run.
MAX_WAIT = 60.0


class SendError(Exception):
    """A message that was not sent, and will not be in this run; the text says why."""


class TransientError(SendError):
    """A failure worth another try, after RETRY_AFTER seconds when the peer asked for that."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Retry:
    """ATTEMPTS tries in all, waiting DELAY seconds, then twice that, and so on (or Retry-After)."""

    attempts: int = 4
    delay: float = 2.0
    max_wait: float = MAX_WAIT
    sleep: Callable[[float], None] = time.sleep

    def run(self, action: Callable[[], T], report: Callable[[str], None]) -> T:
        """ACTION's result; SendError once a failure is permanent or the attempts are used up."""
        for attempt in range(1, self.attempts + 1):
            try:
                return action()
            except TransientError as exc:
                if attempt == self.attempts:
                    tries = f"{self.attempts} attempts" if self.attempts > 1 else "1 attempt"
                    raise SendError(f"{exc} ({tries})") from None
                wait = self.delay * 2 ** (attempt - 1)
                if exc.retry_after is not None:
                    wait = exc.retry_after
                    if wait > self.max_wait:
                        raise SendError(
                            f"{exc}; asked to wait {wait:.0f} s, longer than this run waits "
                            f"({self.max_wait:.0f} s)"
                        ) from None
                report(
                    f"{exc}; trying again in {wait:g} s (attempt {attempt + 1} of {self.attempts})"
                )
                self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")
