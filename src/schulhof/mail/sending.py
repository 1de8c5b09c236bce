"""The sending rules, asked by the mail gate at each step of an SMTP transaction.

- **Sender**: the envelope sender and every header From must be an address the logged-in
  user may use (their own, or an alias after a rename). Without login, nobody may use one of
  the school's addresses (mail that deceives about its sender).
- **Recipients**: unknown local addresses are refused at RCPT time. Writing outside the
  school, to group addresses, or to the whole-role lists (all pupils, all teachers) are
  privileges (``mail.privileges``), granted per role or group; members and leaders of a
  group may always write to it (but not to the role lists). Mail from outside may not use
  group addresses.
- **Volume**: recipients per message and per hour, per role (``MailPolicy``); pupils have
  low limits by default.
- **Quota**: a message whose declared size does not fit the recipient's mailbox is refused
  before it is transferred.

Every refusal carries a German reason. SMTP replies must be ASCII, so :func:`smtp_text`
spells umlauts out (``ä`` → ``ae``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Sum
from django.utils import timezone

from schulhof.accounts.authentication import normalise_username
from schulhof.accounts.models import Group, Role, User
from schulhof.accounts.privileges import has_privilege
from schulhof.accounts.sanctions import is_blocked
from schulhof.mail import addresses
from schulhof.mail.models import MailPolicy, SentMail
from schulhof.mail.privileges import (
    MAIL_MANY_RECIPIENTS,
    MAIL_SEND_ALL,
    MAIL_SEND_EXTERNAL,
    MAIL_SEND_GROUPS,
)

HOUR = timedelta(hours=1)
_SPELLED = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
_SPELLED.update({"„": '"', "“": '"', "”": '"', "–": "-", "…": "..."})


def smtp_text(text: str) -> str:
    """German text for an SMTP reply: ASCII only, one line, bounded."""
    spelled = "".join(_SPELLED.get(ch, ch) for ch in text)
    ascii_text = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.split())[:400]


@dataclass(frozen=True)
class Refusal:
    code: str
    enhanced: str
    text: str

    @property
    def reply(self) -> str:
        """The reply line for Postfix, e.g. ``550 5.7.1 Absender ...``."""
        return "%s %s %s" % (self.code, self.enhanced, smtp_text(self.text))


def user_for_login(login: str | None) -> User | None:
    if not login:
        return None
    name = normalise_username(login)
    return User.objects.people().filter(username=name).first()


def _display(address: str) -> str:
    return smtp_text(address)[:200]


# --- Sender -------------------------------------------------------------------------------


def _not_yours(user: User, value: str, where: str) -> Refusal | None:
    """A refusal when ``value`` is none of the addresses ``user`` may send as."""
    local, domain = addresses.split(value)
    if local and "%s@%s" % (local, domain) in addresses.sender_addresses(user):
        return None
    return Refusal(
        "550",
        "5.7.1",
        "Absender %s%s ist nicht Ihre Adresse. Sie dürfen nur mit Ihrer eigenen Adresse "
        "(%s) senden." % (_display(value), where, addresses.address_of(user)),
    )


def _sending_user(login: str) -> User | Refusal:
    user = user_for_login(login)
    return user if user is not None else Refusal("550", "5.7.1", "Unbekanntes Konto.")


def check_sender(login: str | None, sender: str) -> Refusal | None:
    """The envelope sender (MAIL FROM)."""
    if not login:
        # The null sender (bounces) is fine; a school address needs a login.
        if sender and addresses.is_local(sender):
            return Refusal(
                "550",
                "5.7.1",
                "Absender %s gehoert zur Schule: Bitte melden Sie sich zum Senden an."
                % _display(sender),
            )
        return None
    user = _sending_user(login)
    if isinstance(user, Refusal):
        return user
    if is_blocked(user, "mail_send"):
        return Refusal("550", "5.7.1", "Das Senden von E-Mails ist für Ihr Konto gesperrt.")
    if not sender:
        return Refusal("550", "5.7.1", "Bitte geben Sie Ihre eigene Adresse als Absender an.")
    return _not_yours(user, sender, "")


def check_header_from(login: str | None, from_addresses: list[str]) -> Refusal | None:
    """The header From (and Sender) of a message, checked by the milter."""
    if not login:
        for value in from_addresses:
            if addresses.is_local(value):
                return Refusal(
                    "550",
                    "5.7.1",
                    "Absender %s gehoert zur Schule, die E-Mail kommt aber von aussen."
                    % _display(value),
                )
        return None
    user = _sending_user(login)
    if isinstance(user, Refusal):
        return user
    if not from_addresses:
        return Refusal("550", "5.7.1", "Die E-Mail hat keinen Absender (From).")
    for value in from_addresses:
        refusal = _not_yours(user, value, " im Kopf der E-Mail")
        if refusal is not None:
            return refusal
    return None


# --- SPF (mail from outside) ---------------------------------------------------------------

SPF_TIMEOUT = 10


def check_spf(client_address: str, helo: str, sender: str) -> Refusal | None:
    """SPF for mail from outside (RFC 7208): "fail" is refused, a DNS error deferred; other
    results (none, neutral, softfail) are accepted. Loopback clients (this machine's own
    programs) are not checked."""
    import ipaddress

    import spf

    try:
        if ipaddress.ip_address(client_address).is_loopback:
            return None
    except ValueError:
        return None
    query = spf.query(i=client_address, s=sender or "", h=helo or "", timeout=SPF_TIMEOUT)
    result, _code, explanation = query.check()
    if result == "fail":
        return Refusal(
            "550",
            "5.7.23",
            "Der Absender %s darf laut SPF nicht von diesem Server (%s) senden. %s"
            % (_display(sender or helo), client_address, explanation),
        )
    if result == "temperror":
        return Refusal(
            "451",
            "4.7.24",
            "SPF konnte gerade nicht geprüft werden (DNS). Bitte später erneut versuchen.",
        )
    return None


# --- Recipients ---------------------------------------------------------------------------


def _unknown(recipient: str) -> Refusal:
    return Refusal(
        "550",
        "5.1.1",
        "Empfänger %s unbekannt: Diese Adresse gibt es an der Schule nicht." % _display(recipient),
    )


def _fits(user: User, size: int) -> bool:
    from schulhof.files import quota as files_quota
    from schulhof.files import storage

    usage = files_quota.usage(storage.user_space(user), user)
    return usage.used + size <= usage.limit


def check_recipient(
    login: str | None, recipient: str, *, size: int | None = None
) -> Refusal | None:
    """One RCPT TO. ``size`` is what the client declared with MAIL FROM SIZE=, if anything."""
    if addresses.is_local(recipient):
        resolution = addresses.resolve(recipient)
        if resolution is None:
            return _unknown(recipient)
        if resolution.group is not None:
            return _check_group(user_for_login(login), resolution.group, recipient)
        if size and resolution.user is not None and not _fits(resolution.user, size):
            return Refusal(
                "552",
                "5.2.2",
                "Das Postfach von %s ist zu voll für diese E-Mail." % _display(recipient),
            )
        return None
    if not login:
        return Refusal(
            "554",
            "5.7.1",
            "Dieser Server nimmt nur E-Mails an Adressen der Schule an.",
        )
    user = user_for_login(login)
    if user is None or not has_privilege(user, MAIL_SEND_EXTERNAL):
        return Refusal(
            "550",
            "5.7.1",
            "Sie dürfen keine E-Mails an Adressen außerhalb der Schule senden (%s)."
            % _display(recipient),
        )
    return None


def _check_group(user: User | None, group: Group, recipient: str) -> Refusal | None:
    if user is None:
        return Refusal(
            "550",
            "5.7.1",
            "Gruppenadressen wie %s nehmen nur E-Mails aus der Schule an." % _display(recipient),
        )
    if group.kind in addresses.ROLE_KINDS:
        if has_privilege(user, MAIL_SEND_ALL):
            return None
        return Refusal(
            "550",
            "5.7.1",
            "Sie dürfen nicht an %s schreiben: Diese Adresse erreicht alle %s."
            % (_display(recipient), group.name),
        )
    if has_privilege(user, MAIL_SEND_GROUPS):
        return None
    is_member = group.members.filter(pk=user.pk).exists()
    if is_member or group.leaders.filter(pk=user.pk).exists():
        return None
    return Refusal(
        "550",
        "5.7.1",
        "Sie dürfen nur an Gruppen schreiben, in denen Sie Mitglied sind (%s)."
        % _display(recipient),
    )


# --- Volume -------------------------------------------------------------------------------


def limits_for(user: User) -> tuple[int, int]:
    """(recipients per message, recipients per hour) for the user."""
    policy = MailPolicy.get()
    if user.role == Role.PUPIL and not has_privilege(user, MAIL_MANY_RECIPIENTS):
        return policy.pupil_recipients_per_message, policy.pupil_recipients_per_hour
    return policy.staff_recipients_per_message, policy.staff_recipients_per_hour


def sent_last_hour(user: User) -> int:
    since = timezone.now() - HOUR
    total = SentMail.objects.filter(user=user, created__gte=since).aggregate(n=Sum("recipients"))
    return int(total["n"] or 0)


def check_volume(login: str | None, recipient_count: int) -> Refusal | None:
    """At DATA: the whole message, once all recipients are known."""
    user = user_for_login(login)
    if user is None:
        return None
    per_message, per_hour = limits_for(user)
    if recipient_count > per_message:
        return Refusal(
            "550",
            "5.7.1",
            "Zu viele Empfänger: %d, erlaubt sind %d je E-Mail. Massen-E-Mails sind nicht "
            "erlaubt; schreiben Sie an eine Gruppenadresse." % (recipient_count, per_message),
        )
    if sent_last_hour(user) + recipient_count > per_hour:
        return Refusal(
            "450",
            "4.7.1",
            "Sie haben in der letzten Stunde an zu viele Empfänger geschrieben (Grenze %d). "
            "Bitte versuchen Sie es später erneut." % per_hour,
        )
    return None


def record_sent(login: str | None, recipient_count: int, queue_id: str = "") -> None:
    """At the end of a message that was accepted: count it for the hourly limit."""
    user = user_for_login(login)
    if user is None or recipient_count <= 0:
        return
    if queue_id and SentMail.objects.filter(user=user, queue_id=queue_id).exists():
        return
    SentMail.objects.create(user=user, recipients=recipient_count, queue_id=queue_id[:64])
