"""The webmail's pages: the folder list (``mailbox``), reading (``message``) and writing
(``compose``); shared helpers in ``common``."""
