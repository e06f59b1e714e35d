"""Configuration read from the environment."""

import os
import secrets
from pathlib import Path

# Werkzeug's scrypt: slow on purpose, so a stolen table is slow to crack. Production
# has no setting to change it; only TestConfig picks a cheap method.
PASSWORD_HASH_METHOD = "scrypt"


def _instance_dir() -> Path:
    path = Path(os.environ.get("SESAMLIKE_INSTANCE", Path.cwd() / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY, else a random key kept in instance/ (never committed)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    def __init__(self) -> None:
        instance = _instance_dir()
        self.INSTANCE_DIR = str(instance)
        self.SECRET_KEY = _secret_key(instance)
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'sesamlike.db'}")
        )
        # Connections are pinged on checkout after an idle spell, not every
        # time (common/pinging.py). The pool hands out the connection used
        # last (LIFO): a worker's busy connection stays busy and needs no
        # ping, where FIFO would rotate through every pooled connection.
        # A database error names its statement, never its values: the text
        # reaches logs and the admin's jobs page, whom a personnummer, a name
        # or a mail's body must not reach (domain.md, need to know).
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_use_lifo": True,
            "hide_parameters": True,
        }
        self.DB_PING_AFTER_IDLE_SECONDS = float(
            os.environ.get("DB_PING_AFTER_IDLE_SECONDS", "10")
        )
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_SENDER = os.environ.get("MAIL_SENDER", "noreply@sesamlike.local")
        # The address users open, for links in mails and FHIR answers
        # (common/urls.public_url); when unset, the development server's (never a
        # request's Host header).
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL")
        # Days before a consumable's estimated run-out that the reminder goes out.
        # SMS reminders: "file" writes them to SMS_FILE until a gateway is set up.
        self.SMS_BACKEND = os.environ.get("SMS_BACKEND", "file")
        self.SMS_FILE = os.environ.get("SMS_FILE", str(instance / "sms-outbox.txt"))
        self.RUNOUT_REMINDER_DAYS = int(os.environ.get("RUNOUT_REMINDER_DAYS", "10"))
        # "My aids" bodies kept per worker process until the data moves (portal.kept).
        self.PORTAL_KEPT_PAGES = int(os.environ.get("PORTAL_KEPT_PAGES", "2000"))
        self.PASSWORD_HASH_METHOD = PASSWORD_HASH_METHOD
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
        # A request body over 1 MB is refused with 413 (interfaces.md).
        self.MAX_CONTENT_LENGTH = int(
            os.environ.get("MAX_CONTENT_LENGTH", str(1024 * 1024))
        )
        # The region's pseudonyms (followup); default: derived from SECRET_KEY.
        self.PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY")
        # memory:// serves one process; set redis://127.0.0.1:6379/0 for several
        # gunicorn workers so they share the login counters.
        self.RATELIMIT_STORAGE_URI = os.environ.get(
            "RATELIMIT_STORAGE_URI", "memory://"
        )
        self.RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
        self.LOGIN_LIMIT_PER_ADDRESS = os.environ.get(
            "LOGIN_LIMIT_PER_ADDRESS", "30 per minute"
        )
        self.LOGIN_FAILURES_PER_ACCOUNT = os.environ.get(
            "LOGIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes"
        )
        self.ACCOUNT_UNUSED_DAYS = int(os.environ.get("ACCOUNT_UNUSED_DAYS", "365"))
        self.WTF_CSRF_TIME_LIMIT = None
        self.DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "sv")
        self.HIGH_COST_THRESHOLD_SEK = int(
            os.environ.get("HIGH_COST_THRESHOLD_SEK", "50000")
        )
        # The key of the bulk export's patient pseudonyms (HMAC-SHA256). Keep it
        # secret and never change it: the same patient keeps the same pseudonym
        # only while the key stays. Without it the region cannot export.
        self.FHIR_PSEUDONYM_KEY = os.environ.get("FHIR_PSEUDONYM_KEY")
        # Hours a finished bulk export's files stay for download.
        self.FHIR_EXPORT_HOURS = int(os.environ.get("FHIR_EXPORT_HOURS", "24"))
        self.TESTING = False


class TestConfig(Config):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.SECRET_KEY = "test-secret-key"
        self.FHIR_PSEUDONYM_KEY = "test-pseudonym-key"
        # One PBKDF2 round instead of scrypt: tests log in thousands of times and
        # prove behaviour, not the hash's cost (test_config checks production's).
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
        # Limits far out of reach; the tests that prove them set the real ones.
        self.LOGIN_LIMIT_PER_ADDRESS = "100000 per minute"
        self.LOGIN_FAILURES_PER_ACCOUNT = "100000 per minute"


def normalise_database_url(url: str) -> str:
    """Send plain postgresql:// URLs through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
