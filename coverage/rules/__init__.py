"""The rule book: versioned, cited YAML data under payer_rules/, loaded and validated once."""
