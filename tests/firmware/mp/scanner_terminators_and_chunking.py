from scanner_prelude import read_all

got = read_all(
    [
        b"PGO:1042:Q\r\n",
        b"ABC\r",
        b"DEF\n",
        b"GH",
        b"I\r\n\r\n",
        b"J\nK\r\nL\n",
    ]
)
assert got == ["PGO:1042:Q", "ABC", "DEF", "GHI", "J", "K", "L"], got
