from gun import screens as S
from screens_show import show

rows = S.config_error(["no password"])
assert rows == [
    "Config error",
    "STOP",
    "",
    "no password",
    "",
    "",
    "",
    "Re-provision gun",
], rows
rows = S.config_error(
    [
        "a long problem with the config file here",
        "and another long one that wraps over",
    ],
    "Flash error",
    "If again: a lead",
)
assert (
    len(rows) == 8
    and rows[0] == "Flash error"
    and rows[7] == "If again: a lead"
)
assert rows.count("If again: a lead") == 1, rows
rows, big = show("idle", "offline", 3, why="TLS: not trusted")
assert rows[7] == "TLS: not trusted" and rows[4].strip() == "3 waiting", rows
assert (
    show("idle", "offline", why="A reason longer than the screen")[0][7]
    == "A reason longer "
)
assert show("idle", "online", why="TLS: not trusted")[0][7] == ""
