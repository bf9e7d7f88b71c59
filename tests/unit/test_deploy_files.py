"""Static checks of the deployment files (no broker, no docker needed).

Docker cannot run in CI, so these tests are what keeps docker-compose.yml,
deploy/Dockerfile and deploy/config.yaml from drifting apart:

* every app service runs `nameko run --config deploy/config.yaml services.<name>.service`
  and that module exists: a renamed module or a copy-paste slip (two services
  running the same code) would otherwise only show up at `docker compose up`;
* no app service has a container_name or a host port: either one breaks
  `docker compose up --scale <service>=N`;
* every app service waits for a *healthy* RabbitMQ and PostgreSQL (and both
  define a healthcheck, without which `service_healthy` is an error): nameko
  exits if the broker is not reachable at start-up;
* every ${VAR} that deploy/config.yaml reads is set explicitly in compose: a
  forgotten one silently falls back to its local-run default (127.0.0.1, SQLite)
  inside the container;
* STORE_KIND is postgres in compose, with the postgres container's host and
  credentials: several replicas cannot share SQLite files;
* the Dockerfile named by the build exists and installs from pyproject.toml;
* deploy/config.yaml loads through nameko's own YAML loader with the variables
  unset (local runs and CI: SQLite, local broker) and with the compose values
  (nameko re-parses every value as YAML, so e.g. a password could turn into a number);
* every app service connects as its own broker account (never guest), with a password
  compose requires from the environment or .env, never a committed one; the broker loads
  the definitions that the one-shot broker-definitions container writes from the same
  passwords; .env is git-ignored; the scripts generate the passwords and provision.
"""

import os
import re
import shlex
import subprocess

import pytest
import yaml

from shared.config import Settings
from shared.messaging.accounts import ACCOUNTS, password_variable

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE_FILE = os.path.join(REPO_ROOT, "docker-compose.yml")
CONFIG_FILE = os.path.join(REPO_ROOT, "deploy", "config.yaml")

APP_SERVICES = ("registration", "application", "review", "funding")
INFRA_SERVICES = ("rabbitmq", "postgres")

# Same variable-name rule as nameko's ENV_VAR_MATCHER: ${NAME} or ${NAME:default}.
CONFIG_VAR = re.compile(r"\$\{([^}:\s]+)")
# Compose interpolation as used in docker-compose.yml: ${NAME:-default}, ${NAME:?error} or ${NAME}.
COMPOSE_VAR = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def _read(path):
    with open(path, encoding="utf-8") as fle:
        return fle.read()


def _compose():
    # A plain SafeLoader of our own: with the nameko_yaml fixture active, SafeLoader would read
    # compose's ${VAR:-default} with nameko's rules (`${CLOCK_START:-}` as the YAML "-", a list).
    class ComposeLoader(yaml.SafeLoader):
        yaml_implicit_resolvers = {key: [r for r in value if r[0] != "!env_var"]
                                   for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return yaml.load(_read(COMPOSE_FILE), Loader=ComposeLoader)


def _app_service(name):
    return _compose()["services"][name]


def _config_variables():
    """Every ${VAR} name in deploy/config.yaml, ignoring comment lines (which show the syntax)."""
    lines = _read(CONFIG_FILE).splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return sorted(set(CONFIG_VAR.findall(text)))


def _command(service):
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _environment(service):
    """The service's environment as a dict (compose allows a mapping or a KEY=VALUE list)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return environment


def _compose_default(value):
    """The value compose passes when no host variable overrides it."""
    return COMPOSE_VAR.sub(lambda match: match.group(3) if match.group(2) == "-" else "", str(value))


def _compose_value(value, env):
    """The value compose passes with `env` on the host."""
    return COMPOSE_VAR.sub(lambda match: env.get(match.group(1)) or _compose_default(match.group(0)), str(value))


@pytest.fixture
def nameko_yaml(monkeypatch):
    """Enable nameko's ${VAR:default} YAML resolver, for this test only.

    setup_yaml_parser() registers it on yaml.SafeLoader process-wide; giving
    SafeLoader private copies of its registries keeps other tests' safe_load intact.
    """
    from nameko.cli.main import setup_yaml_parser

    loader = yaml.SafeLoader
    monkeypatch.setattr(
        loader,
        "yaml_implicit_resolvers",
        {key: list(value) for key, value in loader.yaml_implicit_resolvers.items()},
    )
    monkeypatch.setattr(loader, "yaml_constructors", dict(loader.yaml_constructors))
    setup_yaml_parser()


def test_compose_defines_app_and_infrastructure_services():
    services = _compose()["services"]
    for name in APP_SERVICES + INFRA_SERVICES:
        assert name in services, name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_its_own_nameko_module(name):
    module = f"services.{name}.service"
    assert _command(_app_service(name)) == [
        "nameko", "run", "--config", "deploy/config.yaml", module,
    ]
    module_file = os.path.join("services", name, "service.py")
    assert os.path.exists(os.path.join(REPO_ROOT, module_file)), f"{module}: no {module_file}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_can_be_scaled(name):
    service = _app_service(name)
    assert "container_name" not in service
    assert not service.get("ports")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_broker_and_database(name):
    depends_on = _app_service(name).get("depends_on")
    assert isinstance(depends_on, dict), "depends_on needs conditions, not a plain list"
    for dependency in INFRA_SERVICES:
        assert depends_on.get(dependency, {}).get("condition") == "service_healthy", dependency


def test_infrastructure_services_have_healthchecks():
    services = _compose()["services"]
    for name in INFRA_SERVICES:
        assert services[name].get("healthcheck", {}).get("test"), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_uses_the_postgres_container_credentials(name):
    database = _environment(_compose()["services"]["postgres"])
    environment = _environment(_app_service(name))
    for var in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert environment[var] == database[var], var
    assert environment["POSTGRES_HOST"] == "postgres"


def test_config_variables_are_found():
    variables = _config_variables()
    assert "AMQP_URI" in variables and "STORE_KIND" in variables


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_sets_every_config_variable(name):
    environment = _environment(_app_service(name))
    missing = [var for var in _config_variables() if var not in environment]
    assert not missing, f"{name} leaves these to config.yaml's local defaults: {missing}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_uses_postgres(name):
    assert _environment(_app_service(name))["STORE_KIND"] == "postgres"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_dockerfile_installs_the_project(name):
    build = _app_service(name)["build"]
    if isinstance(build, str):
        build = {"context": build}
    dockerfile = os.path.join(REPO_ROOT, build["context"], build.get("dockerfile", "Dockerfile"))
    assert os.path.isfile(dockerfile), dockerfile
    assert "pyproject.toml" in _read(dockerfile)


def test_no_shared_token_key_is_configured_anywhere():
    for path in (COMPOSE_FILE, CONFIG_FILE):
        assert "TOKEN_KEY" not in _read(path), path


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reads_the_keys_the_keys_service_made(name):
    """Keys are made once, before any service starts, into a volume every service mounts read-only."""
    service, keys = _app_service(name), _compose()["services"]["keys"]
    assert service["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    volume = f"keys:{_environment(service)['KEYS_DIR']}"
    assert f"{volume}:ro" in service["volumes"]
    assert volume in keys["volumes"] and "keys" in _compose()["volumes"]
    assert _command(keys)[:4] == ["python", "-m", "shared.keys", "generate"]
    assert _command(keys)[_command(keys).index("--dir") + 1] == _environment(service)["KEYS_DIR"]


def test_config_loads_with_local_defaults(monkeypatch, nameko_yaml):
    for var in _config_variables():
        monkeypatch.delenv(var, raising=False)

    config = yaml.safe_load(_read(CONFIG_FILE))

    assert config["AMQP_URI"].startswith("pyamqp://")
    assert config["STORE"]["kind"] == "sqlite"
    settings = Settings.from_mapping(config)       # what every service reads at start-up
    assert (settings.store_kind, settings.relay_paused, settings.inbox_max_attempts) == ("sqlite", False, 5)
    assert settings.timer_seconds == {"APPLICATION": 60.0, "FUNDING": 60.0}
    assert settings.rent_frequency_months is None and settings.clock.start is None
    assert settings.keys_dir == "keys"


BROKER_PASSWORDS = [password_variable(name) for name in ACCOUNTS] + ["BROKER_ADMIN_PASSWORD"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_config_loads_with_compose_environment(monkeypatch, nameko_yaml, name):
    host = {var: f"pw-{var.lower()}" for var in BROKER_PASSWORDS}
    for var, value in _environment(_app_service(name)).items():
        monkeypatch.setenv(var, _compose_value(value, host))

    config = yaml.safe_load(_read(CONFIG_FILE))

    assert config["AMQP_URI"] == f"pyamqp://{name}:{host[password_variable(name)]}@rabbitmq:5672/"
    assert config["STORE"]["kind"] == "postgres"
    postgres = config["STORE"]["postgres"]
    assert postgres["host"] == "postgres"
    assert isinstance(postgres["password"], str) and postgres["password"]
    assert "TOKEN" not in config                    # no shared token key: each portal signs with its own
    settings = Settings.from_mapping(config)
    assert settings.keys_dir == "/app/keys"
    assert (settings.store_kind, settings.postgres.host, settings.postgres.port) == ("postgres", "postgres", 5432)


# -- broker accounts ---------------------------------------------------------------------------
def test_no_guest_and_no_committed_broker_password_in_compose():
    text = _read(COMPOSE_FILE)
    assert "guest:" not in text and "guest@" not in text   # no guest credentials anywhere
    for variable in BROKER_PASSWORDS:   # required from the host's environment or .env, no default
        assert f"${{{variable}:?" in text, variable
        assert f"${{{variable}:-" not in text, variable


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_connects_as_its_own_broker_account(name):
    uri = _environment(_app_service(name))["AMQP_URI"]
    match = re.fullmatch(r"pyamqp://([\w-]+):\$\{(\w+):\?[^}]*\}@rabbitmq:5672/", uri)
    assert match, uri
    assert match.groups() == (name, password_variable(name))


def test_the_broker_loads_the_definitions_written_from_the_same_passwords():
    services = _compose()["services"]
    writer, broker = services["broker-definitions"], services["rabbitmq"]
    assert broker["depends_on"]["broker-definitions"]["condition"] == "service_completed_successfully"
    command = _command(writer)
    assert command[:4] == ["python", "-m", "shared.messaging.accounts", "definitions"]
    written = command[command.index("--out") + 1]
    writer_volume, writer_mount = next(v.split(":")[:2] for v in writer["volumes"] if v.startswith("broker-"))
    broker_mounts = {v.split(":")[1]: v.split(":")[0] for v in broker["volumes"]}
    definitions_dir = next(mount for mount, source in broker_mounts.items() if source == writer_volume)
    assert os.path.dirname(written) == writer_mount
    conf_mount = next(mount for mount, source in broker_mounts.items() if source.endswith("20-changping.conf"))
    assert conf_mount.startswith("/etc/rabbitmq/conf.d/")
    conf = _read(os.path.join(REPO_ROOT, "deploy", "rabbitmq", "20-changping.conf"))
    assert re.search(r"^load_definitions = (\S+)$", conf, re.M).group(1) == \
        f"{definitions_dir}/{os.path.basename(written)}"
    environment = _environment(writer)
    assert set(BROKER_PASSWORDS) <= set(environment)
    dockerfile = _read(os.path.join(REPO_ROOT, "deploy", "Dockerfile"))
    assert re.search(rf"chown app:app /app/data .*{re.escape(writer_mount)}", dockerfile)   # the unprivileged user writes it


def test_development_passwords_are_generated_into_a_git_ignored_file():
    script = _read(os.path.join(REPO_ROOT, "deploy", "broker-secrets.sh"))
    for variable in BROKER_PASSWORDS:
        assert variable in script, variable
    assert "/.env" in _read(os.path.join(REPO_ROOT, ".gitignore")).splitlines()
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert tracked.returncode == 0 and tracked.stdout.strip() == ""


@pytest.mark.parametrize("script", ["up.sh", "test.sh"])
def test_the_scripts_generate_passwords_and_provision_the_broker(script):
    text = _read(os.path.join(REPO_ROOT, "deploy", script))
    assert text.index("deploy/broker-secrets.sh") < text.index("-m shared.messaging.accounts provision")
    assert text.index("deploy/venv.sh") < text.index("-m shared.messaging.accounts provision")
    # the management API, which provisioning uses, is enabled for every run, not only for tests
    ensure = _read(os.path.join(REPO_ROOT, "deploy", "ensure-services.sh"))
    assert ensure.index("rabbitmq_management") < ensure.index("if $for_tests")


def test_run_local_gives_each_service_its_own_account():
    text = _read(os.path.join(REPO_ROOT, "deploy", "run-local.sh"))
    assert 'password_variable="BROKER_PASSWORD_${service^^}"' in text
    assert 'AMQP_URI="pyamqp://${service}:${!password_variable}@' in text


# -- signing keys (shared/keys.py) ---------------------------------------------------------------
@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reads_the_keys_the_one_shot_keys_service_makes(name):
    service, keys = _app_service(name), _compose()["services"]["keys"]
    keys_dir = _environment(service)["KEYS_DIR"]
    assert service["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    assert f"keys:{keys_dir}:ro" in service["volumes"] and f"keys:{keys_dir}" in keys["volumes"]
    assert _command(keys) == ["python", "-m", "shared.keys", "generate", "--dir", keys_dir]
    assert keys["build"] == service["build"] and "keys" in _compose()["volumes"]


def test_local_runs_and_tests_make_missing_keys():
    venv = _read(os.path.join(REPO_ROOT, "deploy", "venv.sh"))
    assert '.venv/bin/python -m shared.keys generate --dir "${KEYS_DIR:-keys}"' in venv
    for script in ("up.sh", "test.sh"):
        assert "deploy/venv.sh" in _read(os.path.join(REPO_ROOT, "deploy", script)), script
    assert "/keys/" in _read(os.path.join(REPO_ROOT, ".gitignore")).splitlines()


def test_the_keys_directory_is_configured(monkeypatch, nameko_yaml):
    monkeypatch.delenv("KEYS_DIR", raising=False)
    assert Settings.from_mapping(yaml.safe_load(_read(CONFIG_FILE))).keys_dir == "keys"
    monkeypatch.setenv("KEYS_DIR", "/app/keys")
    assert Settings.from_mapping(yaml.safe_load(_read(CONFIG_FILE))).keys_dir == "/app/keys"
