import fakes

GOOD = fakes.bottle("B000001").encode()
BURST = bytearray(10240)  # every byte value, CR and LF among
for i in range(len(BURST)):  # them; the last one a LF
    BURST[i] = (i * 7) % 256
BURST[-1] = 10
HIGH = bytearray(128)
for i in range(128):
    HIGH[i] = 128 + i
CASES = [
    b"X" * 5000 + b"\r\n",  # overlong, then ended
    b"\x00" * 40 + b"\n",  # NULs
    bytes(HIGH) + b"\r",  # bytes >= 0x80
    b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc\n",  # invalid UTF-8
    b"\r\n" * 2000 + b"\r" * 1000 + b"\n" * 1000,  # CR/LF storm
    BURST,  # 10 KB burst
    GOOD[:-1] + b"\x00\n",  # a NUL for the check char
    GOOD[:6] + b"\xff" + GOOD[7:] + b"\n",  # a high byte inside a code
    GOOD[:-2] + b"\n",  # cut short
    GOOD[:12] + GOOD + b"\n",  # a fragment, then a code
    b"PGO:" + b"9" * 80 + b":Q\n",  # an order number too long
    b"\t" + GOOD + b"\x7f\n",  # control characters
]
