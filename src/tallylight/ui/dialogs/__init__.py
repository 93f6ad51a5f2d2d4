"""Dialogs of the tray app."""
