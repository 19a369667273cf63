"""The desktop launcher: the staff workspace in a native window.

The modules here that carry no window code (``config``, ``ports``, ``instance``, ``handoff``, ``notify``) use only
the standard library, platformdirs and jeepney. They run in the launcher process, so they import neither the web
view nor Reflex, the app settings or the database.
"""
