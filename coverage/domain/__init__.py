"""Pure, typed models and math. Imports nothing from the rest of `coverage`."""
