"""X12 005010X279A1 eligibility, pure (no I/O): the 270 writer, the typed 271 reader, CORE
envelopes (MIME, SOAP), the JSON form of a 271, and iop_benefit (every payer answer read as 271
content, the IOP benefit chosen from it)."""
