"""IOP Coverage: insurance coverage verification for Intensive Outpatient Programs."""
