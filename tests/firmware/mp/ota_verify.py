# gun/ota.py's signature and offer checks on cases from argv[1], a JSON
# list of [name, key, text, signature] (verify) and [name, offer] (check):
# prints "<name> <result>" per case.
import json
import sys

from gun import ota

with open(sys.argv[1]) as f:
    cases = json.load(f)
for case in cases:
    if len(case) == 4:
        name, key, text, sig = case
        try:
            out = ota.verify(key, text.encode(), sig)
        except (ValueError, OverflowError) as e:
            out = "error " + repr(e)
    else:
        name, offer = case
        try:
            out = ota.check(offer) is offer
        except ValueError:
            out = "refused"
    print(name, out)
