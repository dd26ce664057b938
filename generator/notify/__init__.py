"""After a build: tell customers about each published update once, by email, webhooks and WebSub.

Reads the site (drafts left out) and site.yaml's `notify:` section, never the built output:
the updates and their permanent ids come from the content, as the feeds' entries do.
"""

from __future__ import annotations

from generator.notify.run import NotifyResult, notify_site

__all__ = ["NotifyResult", "notify_site"]
