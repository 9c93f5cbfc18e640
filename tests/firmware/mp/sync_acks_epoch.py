# argv: the journal's folder.  Prints the epoch of the journal there
# (a new one, drawn at random, if there is none yet).
import sys

from gun.journal import Journal

print(Journal(sys.argv[1]).ep)
