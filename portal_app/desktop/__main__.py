"""``python -m portal_app.desktop``: the staff workspace in a native window (see app.py)."""

import logging
import os
import sys

from portal_app.desktop.app import main

code = main()
# main() has closed the window, stopped the local app and given the instance back. The window toolkit answers each
# page-to-app call on a thread of its own that is not a daemon; one caught by the window closing waits forever for a
# page that is gone, and a normal exit would wait for it: the process would stay behind with no window. End now.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
