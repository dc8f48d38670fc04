"""X12 005010X279A1 eligibility: a 270 writer and a typed 271 reader (pure, no I/O)."""
