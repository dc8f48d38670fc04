"""The rule book: versioned, cited YAML data under payer_rules/, read, validated and queried.

files (reading the directory safely) -> parsing (YAML with file:line:column) -> loader (each
file's schema, CEL compiled) -> consistency (whole-book checks) -> book (the RuleBook and its
look-ups). Around it: horizon (data about to run out), diff (what an edit changes), expressions
and evaluate (CEL criteria), requirements, examples (`rules test`). Pure: no database, no web;
the version in force across processes lives in coverage.core.rule_book.
"""
