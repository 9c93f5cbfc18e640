"""The staff wing.

  accounts.py  staff accounts and their roles
  sign_in.py   checking a password, with the lockout that throttles guessing
  sessions.py  sign-in sessions (staff and Client Portal) and ending them
  badges.py    the badges associates sign in to the guns with: issuing,
               revoking, which are valid
"""
