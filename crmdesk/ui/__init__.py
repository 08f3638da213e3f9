"""The Qt (PySide6) user interface: main window, item models, dialogs, workers."""
