"""The service's core: state shared by every entry point (API, CLI, workers) that is neither
pure rules nor storage, such as the rule book in force."""
