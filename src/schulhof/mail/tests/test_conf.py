from __future__ import annotations

from django.conf import settings

from schulhof.mail.conf import master_login, master_password


def test_master_login_is_dovecots_master_user_form() -> None:
    assert master_login("lena.lang") == "lena.lang*schulhof-webmail"


def test_master_password_is_the_installation_secret() -> None:
    assert master_password() == settings.SECRETS["webmail_master_password"]
    assert len(master_password()) >= 32
