# The firmware's version, which every gun reports in its status ("fw",
# docs/protocol.md) and the fleet page shows.  It is the project's version
# (pyproject.toml; tests/firmware/test_mpy_build.py keeps the two equal),
# and `pickgun flash` says which one it puts on a gun.
VERSION = "0.1.0"
