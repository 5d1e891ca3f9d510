"""jingan_desktop: track a district government's annual key-work plan offline.

The layers, each importing only those below it (``tests/test_architecture.py`` holds them):

``qt``          the desktop UI (PySide6); nothing outside it imports Qt
``cli``         the command line
``workspace``   the open file at work: store + loaded plan + chosen quarter + evaluation
``outputs``     the PDF report, charts and the Excel exchange
``storage``     the SQLite file: opening, checking, migrating, writes with their change log,
                merge, backups, presence
``plan``        the plan model, numbers, progress rules and the parser (pure Python)
``paths``       where resources and the user's data live

``docs/ARCHITECTURE.md`` walks through them.
"""

__version__ = "0.1.0"
APP_NAME = "jingan-desktop"
