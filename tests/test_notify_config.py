"""site.yaml's `notify:` section: what it accepts, every mistake on its line, and the command line."""

from __future__ import annotations

import feedparser
import pytest
from checks import check_atom, check_rss
from conftest import SITE_YAML, MakeSite, run_outpost

from generator.notify.config import EmailSettings, NotifyConfig, WebhookSettings, check_notify
from generator.yamlsrc import load_located

FULL = """\
notify:
  email:
    smtp: smtp.acme.example:587
    security: starttls
    username_env: OUTPOST_SMTP_USER
    password_env: OUTPOST_SMTP_PASSWORD
    from: Acme Status <status@acme.example>
    to: [customers@lists.acme.example]
    list_unsubscribe: https://acme.example/unsubscribe
  webhooks:
    - url_env: SLACK_WEBHOOK_URL
      format: slack
      secret_env: WEBHOOK_SECRET
    - url_env: PARTNER_URL
      format: statuspage
      name: partner
  websub_hub: https://hub.acme.example/
"""


def problems_of(notify: str) -> list[str]:
    config, problems = check_notify(load_located(notify))
    assert (config is None) == bool(problems)
    return [str(p) for p in problems]


def test_the_documented_example_is_read_with_its_defaults() -> None:
    config, problems = check_notify(load_located(FULL))
    assert problems == []
    assert config == NotifyConfig(
        line=1,
        email=EmailSettings(
            host="smtp.acme.example",
            port=587,
            security="starttls",
            username_env="OUTPOST_SMTP_USER",
            password_env="OUTPOST_SMTP_PASSWORD",
            sender="Acme Status <status@acme.example>",
            to=("customers@lists.acme.example",),
            list_unsubscribe=("https://acme.example/unsubscribe",),
            line=2,
        ),
        webhooks=(
            WebhookSettings(
                "SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL", "slack", "WEBHOOK_SECRET", 11
            ),
            WebhookSettings("partner", "PARTNER_URL", "statuspage", "", 14),
        ),
        websub_hub="https://hub.acme.example/",
        websub_line=17,
        state=".outpost-notified.json",
        retries=3,
        retry_delay=2.0,
        timeout=30.0,
    )


@pytest.mark.parametrize(
    ("security", "smtp", "port"),
    [("tls", "mail.acme.example", 465), ("starttls", "mail.acme.example", 587),
     ("none", "localhost", 25), ("none", "'[::1]:2525'", 2525), ("none", "127.0.0.1:25", 25)],
)  # fmt: skip
def test_the_port_defaults_to_the_one_of_the_security(security: str, smtp: str, port: int) -> None:
    notify = f"notify:\n  email:\n    smtp: {smtp}\n    security: {security}\n    from: a@b.example\n    to: c@d.example\n"
    config, problems = check_notify(load_located(notify))
    assert problems == []
    assert config is not None and config.email is not None
    assert config.email.port == port


def test_unknown_keys_are_errors_on_their_line_with_a_suggestion() -> None:
    notify = FULL.replace("  websub_hub", "  websub_hbu").replace(
        "      format: slack", "      formt: slack"
    )
    notify = notify.replace("    security:", "    securty:")
    assert problems_of(notify) == [
        "site.yaml:4: error: unknown key 'notify.email.securty' (did you mean 'security'?)",
        "site.yaml:11: error: a webhook needs a format: slack, discord, teams or statuspage",
        "site.yaml:12: error: unknown key 'notify.webhooks.formt' (did you mean 'format'?)",
        "site.yaml:17: error: unknown key 'notify.websub_hbu' (did you mean 'websub_hub'?)",
    ]


def test_a_secret_written_into_site_yaml_is_an_error_that_says_where_secrets_go() -> None:
    notify = "notify:\n  webhooks:\n    - url: https://hooks.slack.example/T000/B000/XXXX\n      format: slack\n"
    assert problems_of(notify) == [
        "site.yaml:3: error: a webhook needs url_env: the environment variable that holds its URL",
        "site.yaml:3: error: unknown key 'notify.webhooks.url': secrets never go in site.yaml; "
        "put the value in an environment variable (a CI secret), name it in url_env, "
        "and remove this one from the repository's history",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("security: starttls", "security: none"),
         "site.yaml:4: error: notify.email.security: none sends passwords and mail in clear text: "
         "use starttls or tls for smtp.acme.example (none is only for a relay on this machine)"),
        (("security: starttls", "security: ssl"),
         "site.yaml:4: error: notify.email.security must be starttls, tls or none; got 'ssl'"),
        (("smtp.acme.example:587", "smtp.acme.example:http"),
         "site.yaml:3: error: notify.email.smtp must be HOST:PORT, such as smtp.acme.example:587; "
         "got 'smtp.acme.example:http'"),
        (("    password_env: OUTPOST_SMTP_PASSWORD\n", ""),
         "site.yaml:2: error: notify.email needs both username_env and password_env, or neither"),
        (("username_env: OUTPOST_SMTP_USER", "username_env: smtp-user"),
         "site.yaml:5: error: username_env must name an environment variable, such as "
         "OUTPOST_SECRET; got 'smtp-user'"),
        (("from: Acme Status <status@acme.example>", "from: Acme Status"),
         "site.yaml:7: error: notify.email.from must be one email address; got 'Acme Status'"),
        (("to: [customers@lists.acme.example]", "to: [customers@lists.acme.example, nobody]"),
         "site.yaml:8: error: notify.email.to: 'nobody' is not one email address"),
        (("to: [customers@lists.acme.example]", "to: []"),
         "site.yaml:2: error: notify.email.to is required: an address or a list of addresses"),
        (("https://acme.example/unsubscribe", "acme.example/unsubscribe"),
         "site.yaml:9: error: notify.email.list_unsubscribe must be an http(s) or mailto: URL; "
         "got 'acme.example/unsubscribe'"),
        (("format: statuspage", "format: pagerduty"),
         "site.yaml:15: error: a webhook's format must be slack, discord, teams or statuspage; "
         "got 'pagerduty'"),
        (("      name: partner\n", "      name: SLACK_WEBHOOK_URL\n"),
         "site.yaml:14: error: webhook 'SLACK_WEBHOOK_URL' is configured twice (first on line 11): "
         "give each a different name"),
        (("websub_hub: https://hub.acme.example/", "websub_hub: hub.acme.example"),
         "site.yaml:17: error: notify.websub_hub must be an http or https URL; got 'hub.acme.example'"),
        (("websub_hub: https://hub.acme.example/", "retries: -1"),
         "site.yaml:17: error: notify.retries must be a whole number of 0 or more; got '-1'"),
        (("websub_hub: https://hub.acme.example/", "retry_delay: soon"),
         "site.yaml:17: error: notify.retry_delay must be a number of seconds of 0 or more; got 'soon'"),
        (("websub_hub: https://hub.acme.example/", "state: ''"),
         "site.yaml:17: error: notify.state must be a file path, such as .outpost-notified.json"),
    ],
)  # fmt: skip
def test_each_mistake_is_an_error_on_its_line(change: tuple[str, str], expected: str) -> None:
    assert change[0] in FULL
    assert problems_of(FULL.replace(*change)) == [expected]


def test_a_notify_section_without_a_channel_or_not_a_mapping_is_an_error() -> None:
    assert problems_of("notify:\n  state: notified.json\n") == [
        "site.yaml:1: error: notify names no channel: add email, webhooks or websub_hub"
    ]
    assert problems_of("title: x\nnotify: yes\n") == [
        "site.yaml:2: error: notify must be a mapping with email, webhooks or websub_hub"
    ]
    assert check_notify(load_located("title: x\n")) == (None, [])


# --- check, build and notify ---------------------------------------------------------------------


BROKEN = (
    SITE_YAML + "notify:\n  emial:\n    smtp: localhost\n  websub_hub: https://hub.example.com/\n"
)


def test_check_reports_mistakes_in_notify_while_build_still_publishes(make_site: MakeSite) -> None:
    site = make_site({}, site_yaml=BROKEN)
    check = run_outpost("check", cwd=site)
    assert check.returncode == 1
    assert check.stderr == (
        "site.yaml:13: error: unknown key 'notify.emial' (did you mean 'email'?)\n"
        "checked site.yaml and 0 posts: 1 error\n"
    )
    # A mistake in notify: must never keep the status page itself from being published.
    build = run_outpost("build", cwd=site)
    assert build.returncode == 0, build.stderr
    assert 'href="https://hub.example.com/" rel="hub"' in (site / "public/feed.atom").read_text()
    notify = run_outpost("notify", cwd=site)
    assert notify.returncode == 1
    assert notify.stderr == (
        "site.yaml:13: error: unknown key 'notify.emial' (did you mean 'email'?)\n1 error\n"
    )


def test_feeds_with_a_hub_stay_valid_and_feed_readers_see_the_hub(make_site: MakeSite) -> None:
    hub = "https://hub.example.com/"
    site = make_site(
        {
            "content/incidents/login.md": """\
                ---
                title: Login failures
                components: [API]
                ---
                ## 2026-11-29 09:05 UTC — Investigating
                Looking.
                """
        },
        site_yaml=SITE_YAML + f"notify:\n  websub_hub: {hub}\n",
    )
    assert run_outpost("build", cwd=site).returncode == 0
    out, base = site / "public", "https://status.example.com/"
    atom_feeds = ["feed.atom", "incidents/login/feed.atom", "components/api/feed.atom"]
    for path in atom_feeds:
        check_atom(out, path, base)
    check_rss(out, "feed.rss", base)
    for path in [*atom_feeds, "feed.rss"]:
        links = feedparser.parse((out / path).read_bytes()).feed.links
        assert [link.href for link in links if link.rel == "hub"] == [hub], path
    assert feedparser.parse((out / "feed.rss").read_bytes()).feed.link == base


def test_feeds_have_no_hub_link_without_a_valid_hub(make_site: MakeSite) -> None:
    site = make_site({}, site_yaml=SITE_YAML + "notify:\n  websub_hub: hub.example.com\n")
    assert run_outpost("build", cwd=site).returncode == 0
    assert 'rel="hub"' not in (site / "public/feed.atom").read_text()
    assert 'rel="hub"' not in (site / "public/feed.rss").read_text()


def test_notify_without_a_notify_section_says_so(make_site: MakeSite) -> None:
    result = run_outpost("notify", cwd=make_site({}))
    assert result.returncode == 1
    assert result.stderr == (
        "site.yaml:1: error: no notify: section: nothing to send to (see docs/notify.md)\n1 error\n"
    )


def test_a_damaged_state_file_stops_the_run_and_is_left_as_it_is(make_site: MakeSite) -> None:
    site = make_site({}, site_yaml=SITE_YAML + "notify:\n  websub_hub: https://hub.example.com/\n")
    damaged = b'{\n  "format": "outpost-notified/1",\n  "channels": {\n'
    (site / ".outpost-notified.json").write_bytes(damaged)
    result = run_outpost("notify", cwd=site)
    assert result.returncode == 1
    assert result.stderr.startswith(
        ".outpost-notified.json:4: error: not valid JSON: Expecting property name enclosed in "
        "double quotes; fix or restore it: notifying without it would send updates again\n"
    )
    assert (site / ".outpost-notified.json").read_bytes() == damaged


def test_notify_has_help_with_an_example_and_usage_errors_exit_2(make_site: MakeSite) -> None:
    site = make_site({})
    help_text = run_outpost("notify", "--help", cwd=site)
    assert help_text.returncode == 0
    assert "--dry-run" in help_text.stdout and "--baseline" in help_text.stdout
    assert "example:\n  outpost notify --dry-run" in help_text.stdout
    assert run_outpost("notify", "--now", "2026-01-01", cwd=site).returncode == 2
