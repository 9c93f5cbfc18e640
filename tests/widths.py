"""The screen sizes every back-office page is tried at in a real browser: a
laptop and a tablet held upright (the warehouse office's iPads)."""
WIDTHS = {"desktop": (1280, 900), "tablet": (820, 1180)}
