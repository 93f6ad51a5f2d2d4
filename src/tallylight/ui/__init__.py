"""The Qt user interface: tray app, dialogs. The only package that imports PySide6."""
