"""Email over SMTP: one message per update, plain text and HTML from the theme, recipients in Bcc."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.notify.config import EmailSettings
from generator.notify.notice import Notice
from generator.notify.retry import Retry, SendError, TransientError
from generator.outputs.markup import MarkdownRenderer
from generator.theme import Theme

TEXT_TEMPLATE, HTML_TEMPLATE = "email.txt", "email.html"


class MailRenderer:
    """The theme's email.txt and email.html, with autoescape for the HTML one."""

    def __init__(self, theme: Theme) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(theme.template_dirs),
            autoescape=jinja2.select_autoescape(("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.markdown = MarkdownRenderer()

    def render(self, notice: Notice, unsubscribe: tuple[str, ...]) -> tuple[str, str]:
        """NOTICE as plain text and as HTML; raises jinja2.TemplateError."""
        context = {
            "config": notice.site.config,
            "notice": notice,
            "post": notice.post,
            "update": notice.update,
            "body_html": Markup(notice.entry.html(notice.base_url, self.markdown)),
            "unsubscribe": _preferred(unsubscribe),
            "generator_version": __version__,
        }
        text = self.env.get_template(TEXT_TEMPLATE).render(context)
        html = self.env.get_template(HTML_TEMPLATE).render(context)
        return text, html


def compose(
    settings: EmailSettings, notice: Notice, text: str, html: str, now: datetime
) -> EmailMessage:
    """The message for NOTICE: `[Site] Status: Title`, threaded per incident, addresses in Bcc."""
    config = notice.site.config
    message = EmailMessage()
    message["Subject"] = f"[{config.title}] {notice.title}"
    message["From"] = settings.sender
    if len(settings.to) == 1:
        message["To"] = settings.to[0]  # a mailing list, or the only reader: nobody to hide
    else:
        message["To"] = settings.sender
        message["Bcc"] = ", ".join(settings.to)  # smtplib sends to them and drops the header
    message["Date"] = format_datetime(now.astimezone(UTC), usegmt=True)
    message["Message-ID"] = message_id(notice.id, config.id_host)
    if not notice.is_first:
        first = message_id(notice.first_id, config.id_host)
        message["In-Reply-To"] = first
        message["References"] = first
    if settings.list_unsubscribe:
        message["List-Unsubscribe"] = ", ".join(f"<{u}>" for u in settings.list_unsubscribe)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message["X-Outpost-Id"] = notice.id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def message_id(update_id: str, id_host: str) -> str:
    """The same update, the same Message-ID: mail systems can drop a copy sent twice."""
    digest = hashlib.sha256(update_id.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.update@{id_host}>"


class EmailChannel:
    """Email to the addresses in notify.email, through its SMTP server."""

    key = "email"
    label = "email"

    def __init__(self, settings: EmailSettings, renderer: MailRenderer, timeout: float) -> None:
        self.settings = settings
        self.renderer = renderer
        self.timeout = timeout
        self.line = settings.line

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.settings.username_env, self.settings.password_env) if n)

    def describe(self, notice: Notice) -> str:
        to = self.settings.to
        whom = to[0] if len(to) == 1 else f"{len(to)} addresses in Bcc ({', '.join(to)})"
        return f"email to {whom}: [{notice.site.config.title}] {notice.title}"

    def sender(
        self, env: Mapping[str, str], retry: Retry, report: Callable[[str], None]
    ) -> MailSender:
        username = env.get(self.settings.username_env, "") if self.settings.username_env else ""
        password = env.get(self.settings.password_env, "") if self.settings.password_env else ""
        return MailSender(self, username, password, retry, report)


class MailSender:
    """One SMTP session for a run: opened with the first message, again after a failure."""

    def __init__(
        self,
        channel: EmailChannel,
        username: str,
        password: str,
        retry: Retry,
        report: Callable[[str], None],
    ) -> None:
        self.channel = channel
        self.settings = channel.settings
        self.username, self.password = username, password
        self.retry, self.report = retry, report
        self.smtp: smtplib.SMTP | None = None

    def send(self, notice: Notice) -> str:
        """Send NOTICE's message; what was done, for the log. Raises SendError."""
        try:
            text, html = self.channel.renderer.render(notice, self.settings.list_unsubscribe)
        except jinja2.TemplateError as exc:
            raise SendError(f"the theme's email templates failed: {exc}") from None
        message = compose(self.settings, notice, text, html, datetime.now(UTC))
        refused = self.retry.run(lambda: self._deliver(message), self.report)
        count = len(self.settings.to) - len(refused)
        sent = f"to {count} address{'es' if count != 1 else ''}"
        if refused:
            sent += f"; refused by the server for {', '.join(sorted(refused))}"
        return sent

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        try:
            if self.smtp is None:
                self.smtp = self._connect()
            return self.smtp.send_message(message, to_addrs=list(self.settings.to))
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            raise SendError(
                f"the server refused every recipient: {_refusals(exc.recipients)}"
            ) from None
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as exc:
            self._drop()
            raise SendError(_smtp_message(exc)) from None
        except smtplib.SMTPResponseException as exc:
            self._drop()
            if 400 <= exc.smtp_code < 500:
                raise TransientError(_smtp_message(exc)) from None
            raise SendError(_smtp_message(exc)) from None
        except ssl.SSLCertVerificationError as exc:
            self._drop()
            raise SendError(
                f"the server's certificate is not valid: {exc.verify_message}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            where = f"{self.settings.host}:{self.settings.port}"
            raise TransientError(f"SMTP connection to {where} failed: {_reason(exc)}") from None

    def _connect(self) -> smtplib.SMTP:
        settings, timeout = self.settings, self.channel.timeout
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        try:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        """Forget a session that failed: the next try starts a new one."""
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None


def _preferred(links: tuple[str, ...]) -> str:
    """The unsubscribe link to show readers: a web page rather than a mailto:, where there is one."""
    pages = [link for link in links if not link.startswith("mailto:")]
    return (pages or list(links) or [""])[0]


def _smtp_message(exc: smtplib.SMTPResponseException | smtplib.SMTPNotSupportedError) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        what = "login refused" if isinstance(exc, smtplib.SMTPAuthenticationError) else "SMTP"
        return f"{what}: {exc.smtp_code} {' '.join(text.split())}"
    return f"the server does not offer what security requires: {exc}"


def _refusals(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address} ({code} {reply.decode('utf-8', 'replace')})"
        for address, (code, reply) in sorted(recipients.items())
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
