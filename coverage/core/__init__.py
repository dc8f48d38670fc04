"""What the entry points (API, CLI, workers) and the pipeline share beyond service.py: the rule
book in force (rule_book, rule_book_status), what staff read of a job (reads, views), reuse of a
recent payer answer (answer_reuse) and what changed since the last verification
(reverification)."""
