"""The web file manager: pages that show files (``browse``), up- and downloads
(``transfer``) and changes (``manage``); shared helpers in ``common``."""
