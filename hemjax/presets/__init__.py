"""Per-env default overrides: module `hemjax.presets.<env_name>` holds a dict `OVERRIDES`."""
