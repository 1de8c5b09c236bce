"""The webmail, under ``/mail/``.

A folder is addressed by its name as people read it (``/mail/ordner/Schule/AG Chemie/``);
a message by folder and UID. Each operation has its own prefix (``nachricht/``, ``inhalt/``,
``teil/`` …), so no folder name can be mistaken for an operation; the folder comes before the
numbers at the end, which the pattern takes from the right.
"""

from django.urls import URLPattern, path

from schulhof.mail.webmail.views import autoreply, compose, mailbox, message

app_name = "webmail"

MESSAGE = "<path:path>/<int:uid>/"

urlpatterns: list[URLPattern] = [
    path("mail/", mailbox.home, name="home"),
    path("mail/ordner/<path:path>/", mailbox.folder, name="folder"),
    path("mail/aktion/<path:path>/", mailbox.bulk, name="bulk"),
    path("mail/neuer-ordner/", mailbox.create_folder, name="create_folder"),
    path("mail/ordner-umbenennen/<path:path>/", mailbox.rename_folder, name="rename_folder"),
    path("mail/ordner-loeschen/<path:path>/", mailbox.delete_folder, name="delete_folder"),
    path("mail/leeren/<path:path>/", mailbox.empty_folder, name="empty_folder"),
    path("mail/nachricht/" + MESSAGE, message.read, name="message"),
    path("mail/inhalt/" + MESSAGE, message.body, name="body"),
    path("mail/teil/" + MESSAGE + "<int:part_id>/", message.part, name="part"),
    path("mail/quelltext/" + MESSAGE, message.source, name="source"),
    path("mail/verfassen/", compose.compose_view, name="compose"),
    path("mail/antworten/" + MESSAGE, compose.reply, name="reply"),
    path("mail/weiterleiten/" + MESSAGE, compose.forward, name="forward"),
    path("mail/entwurf/<int:uid>/", compose.draft, name="draft"),
    path("mail/adressen/", compose.suggest, name="suggest"),
    path("mail/abwesenheit/", autoreply.auto_reply, name="auto_reply"),
]
