"""A real HTTP payer simulator (CAQH CORE X12 over HTTP MIME multipart) with personas and faults."""
