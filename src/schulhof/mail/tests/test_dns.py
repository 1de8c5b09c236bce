from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from schulhof.mail import dkim
from schulhof.mail.conf import mail_conf_from, use_mail_conf


@pytest.fixture
def conf(tmp_path: Path, settings: object) -> object:
    import dataclasses

    from django.conf import settings as dj

    conf = mail_conf_from(
        dataclasses.replace(dj.SCHULHOF_CONFIG, data_dir=tmp_path, mail_hostname="mx.schule.de")
    )
    use_mail_conf(conf)
    yield conf
    use_mail_conf(None)


@pytest.mark.django_db
def test_mail_dns_prints_every_record(conf: object) -> None:
    out = io.StringIO()
    call_command("mail_dns", stdout=out)
    text = out.getvalue()
    name, value = dkim.dns_record(conf, "schule.test")  # type: ignore[arg-type]
    assert "schule.test\tMX\t10 mx.schule.de." in text
    assert "v=spf1 mx -all" in text
    assert "%s\tTXT\t%s" % (name, value) in text
    assert name == "schulhof._domainkey.schule.test"
    assert "_dmarc.schule.test\tTXT\tv=DMARC1" in text
