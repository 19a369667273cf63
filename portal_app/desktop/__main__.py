"""``python -m portal_app.desktop``: the staff workspace in a native window (see app.py)."""

from portal_app.desktop.app import main

raise SystemExit(main())
