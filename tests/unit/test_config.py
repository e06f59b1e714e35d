from flask import Flask

from sesamlike.accounts.models import User
from sesamlike.config import Config, normalise_database_url
from sesamlike.config import TestConfig as ConfigOfTests


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SESAMLIKE_INSTANCE", str(tmp_path))
    first, second = Config(), Config()
    assert len(first.SECRET_KEY) >= 64
    assert first.SECRET_KEY == second.SECRET_KEY
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SESAMLIKE_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert Config().SECRET_KEY == "from-env"


def test_default_database_is_sqlite_under_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SESAMLIKE_INSTANCE", str(tmp_path))
    assert Config().SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'sesamlike.db'}"


def test_plain_postgresql_urls_use_psycopg3():
    assert (
        normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    )
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_production_hashes_passwords_with_scrypt(tmp_path, monkeypatch):
    monkeypatch.setenv("SESAMLIKE_INSTANCE", str(tmp_path))
    app = Flask(__name__)
    app.config.from_object(Config())
    user = User(username="anna")
    with app.app_context():
        user.set_password("correct-horse-1")
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct-horse-1")
    assert not user.check_password("correct-horse-2")


def test_only_the_test_config_hashes_cheaply_and_verifies_production_hashes(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SESAMLIKE_INSTANCE", str(tmp_path))
    stored = User(username="anna")
    stored.set_password("correct-horse-1")  # no app: the production method
    app = Flask(__name__)
    app.config.from_object(ConfigOfTests("sqlite://"))
    user = User(username="bo")
    with app.app_context():
        user.set_password("correct-horse-1")
        assert stored.password_hash.startswith("scrypt:")
        assert stored.check_password("correct-horse-1")
    assert user.password_hash.startswith("pbkdf2:sha256:1$")
    assert user.check_password("correct-horse-1")
    assert not user.check_password("correct-horse-2")
