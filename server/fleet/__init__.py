"""The fleet wing: the scanner guns as devices.

  devices.py  the guns, their presence and credentials' strength
"""
