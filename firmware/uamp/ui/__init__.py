"""The front panel's user interface: text drawing, screens, the menu and the panel task."""
