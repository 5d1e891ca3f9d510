import sys

from jingan_desktop.cli import main

sys.exit(main())
