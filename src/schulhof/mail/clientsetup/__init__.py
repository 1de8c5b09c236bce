"""Connecting mail programs: guides with this school's real server values, Thunderbird's
autoconfig file and Apple's configuration profile.

Everything a client needs is computed once in :mod:`.account` from the mail servers' settings
(:func:`schulhof.mail.conf.mail_conf`) and the school's mail domain, so the guide pages, the
autoconfig XML and the profile can never disagree.
"""
