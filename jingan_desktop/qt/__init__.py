"""The Qt (PySide6) desktop UI. Widgets here hold no SQL and no progress arithmetic:
they call :mod:`jingan_desktop.workspace` and show what it answers."""
