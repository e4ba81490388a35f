"""The front panel's user interface: text drawing, screens, the menu and the panel task."""


def offers(part, *names):
    """True if `part` has every one of `names` (docs/seams.md): an item or a button action is
    only offered when its part can do it."""
    if part is None:
        return False
    for name in names:
        if not hasattr(part, name):
            return False
    return True
