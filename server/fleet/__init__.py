"""The fleet wing: the scanner guns as devices.

  devices.py       the guns, their presence and credentials' strength
  provisioning.py  a gun's broker password; the hashes the broker lets in
  signin.py        signing in at the guns: required or not, idle sign-out
"""
