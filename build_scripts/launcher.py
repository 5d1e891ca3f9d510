"""Entry point of the frozen executable (PyInstaller runs this file)."""

import sys

from jingan_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
