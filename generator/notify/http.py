"""One HTTP POST, its outcome sorted into sent, worth another try, or failed."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from generator import __version__
from generator.notify.retry import SendError, TransientError

USER_AGENT = f"Outpost/{__version__} (status notifications)"
# Reasons worth another try besides 5xx: too many requests, and a request that took too long.
RETRY_STATUSES = (408, 429)
SHOWN_BODY = 200


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be resent as a GET, or to a place nobody configured: report it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> None:
    """POST BODY to URL; TransientError or SendError when it was not accepted with a 2xx.

    Messages never contain URL: a webhook's URL is a secret.
    """
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"User-Agent": USER_AGENT, **headers}
    )
    try:
        opener = urllib.request.build_opener(_NoRedirects())
        with opener.open(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            detail = _shown_body(exc.read(SHOWN_BODY * 4))
        message = f"HTTP {exc.code} {exc.reason}{detail}"
        if exc.code >= 500 or exc.code in RETRY_STATUSES:
            raise TransientError(message, retry_after(exc.headers.get("Retry-After"))) from None
        raise SendError(message) from None
    except urllib.error.URLError as exc:
        raise TransientError(f"cannot connect: {_reason(exc.reason)}") from None
    except (OSError, http.client.HTTPException) as exc:
        raise TransientError(f"connection failed: {_reason(exc)}") from None


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After's seconds (a number, or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _shown_body(data: bytes) -> str:
    """The start of an error response, on one line: Slack and Discord say there what was wrong."""
    text = " ".join(data.decode("utf-8", "replace").split())
    if not text:
        return ""
    return f": {text[:SHOWN_BODY]}{'…' if len(text) > SHOWN_BODY else ''}"
