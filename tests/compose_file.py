"""docker-compose.yml and the README's `.env` block, read the way `docker compose` reads them, so
a test can start each service's command with exactly the settings compose would give it."""

import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
_ENV_BLOCK = re.compile(r"cat > \.env <<'ENV'\n(.*?)\nENV\n", re.DOTALL)
_PLACEHOLDER = re.compile(r"<([^<>]*)>")
# Compose's interpolation: $$, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $VAR.
_VARIABLE = re.compile(r"\$(?:(\$)|\{(\w+)(?:(:?[-?])([^}]*))?\}|(\w+))")


def readme_env() -> dict[str, str]:
    """The README's `.env`, each `<what to put here>` filled in as an operator would."""

    def fill(match: re.Match[str]) -> str:
        if "Fernet" in match.group(1):
            return Fernet.generate_key().decode()
        return secrets.token_hex(16)

    block = _ENV_BLOCK.search((ROOT / "README.md").read_text())
    assert block, "README.md has no `cat > .env <<'ENV'` block"
    env: dict[str, str] = {}
    for line in block.group(1).splitlines():
        name, sep, value = line.partition("=")
        assert sep, f"README's .env: not NAME=value: {line!r}"
        env[name.strip()] = _PLACEHOLDER.sub(fill, value.strip())
    return env


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Every string in a loaded compose file, with ${...} replaced as `docker compose` does."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        dollar, name, operator, argument, bare = match.groups()
        if dollar:
            return "$"
        name = name or bare
        current = variables.get(name)
        unset = current is None or (current == "" and operator is not None and ":" in operator)
        if operator and operator.endswith("?") and unset:
            raise KeyError(f"compose refuses to start: {name}: {argument}")
        if operator and operator.endswith("-") and unset:
            return str(argument)
        return current or ""

    return _VARIABLE.sub(substitute, value)


def load(dotenv: Mapping[str, str]) -> dict[str, Any]:
    """docker-compose.yml with its anchors merged and its variables substituted from `.env`."""
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    result: dict[str, Any] = interpolate(loaded, dotenv)
    return result


def service_environment(
    compose: Mapping[str, Any], service: str, dotenv: Mapping[str, str]
) -> dict[str, str]:
    """What a container of `service` sees: its env_file (`.env`), overridden by `environment:`."""
    spec = compose["services"][service]
    env: dict[str, str] = {}
    env_files = spec.get("env_file", [])
    for name in [env_files] if isinstance(env_files, str) else env_files:
        assert name == ".env", f"{service}: env_file {name!r}: only .env is documented"
        env.update(dotenv)
    environment = spec.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    env.update({key: str(value) for key, value in environment.items()})
    return env
