"""Pricing a planned episode: chooses the inputs (the payer's terms, the rule book's allowed
amounts, rates, caps and cost-sharing rules) and says where each came from, then calls the
arithmetic in coverage.domain for the estimate, the sliding scale and the Good Faith Estimate."""
