"""jingan_desktop: track a district government's annual key-work plan offline.

``jingan_desktop.core`` is plain Python (plan model, parser, progress rules, storage);
``jingan_desktop.qt`` is the desktop UI on top of it.
"""

__version__ = "0.1.0"
APP_NAME = "jingan-desktop"
