"""Entry script of the PyInstaller bundle: the same `crmdesk` command the wheel installs (`crmdesk.__main__:main`)."""

import sys

from crmdesk.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
