"""What every wing needs and none decides: the database and its one
transaction helper, the schema, the errors, the field rules, how numbers
and times read, and the order's audit trail.  Imports nothing of the other
wings (docs/architecture.md)."""
