"""Reference tooling for checking the envs (tests, experiments): a batched episode runner,
scripted policies and replays in MuJoCo's C simulator. Never imported by runtime code
(`hemjax`, the rest of `envs`); tests/test_env_layering.py keeps it so."""
