"""What the camera gun's tests share (CPython side): the panel the
viewfinder should show for a frame, computed here on its own."""

BAYER = ((0, 8, 2, 10), (12, 4, 14, 6), (3, 11, 1, 9), (15, 7, 13, 5))


def viewfinder(grey, width, height):
    """The panel (128 x 64, rows of 0/1) the viewfinder shows for a
    width x height frame whose pixel (x, y) is grey(x, y): each panel
    pixel the frame's pixel at its centre, one scale for both axes (the
    frame's height to 64 rows), centred; lit where its grey is above
    16 * Bayer + 8; the frame's centre marked by a cross of inverted
    pixels with an open centre."""
    w = min(width * 64 // height, 128)
    x0 = (128 - w) // 2
    panel = [[0] * 128 for _ in range(64)]
    for y in range(64):
        sy = (2 * y + 1) * height // 128
        for x in range(w):
            sx = min((2 * x + 1) * height // 128, width - 1)
            lit = grey(sx, sy) > 16 * BAYER[y % 4][x % 4] + 8
            panel[y][x0 + x] = int(lit)
    cx, cy = x0 + w // 2, 32
    for d in (-5, -4, -3, -2, 2, 3, 4, 5):
        panel[cy][cx + d] ^= 1
        panel[cy + d][cx] ^= 1
    return panel
