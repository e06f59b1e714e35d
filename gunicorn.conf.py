"""gunicorn's settings for Sesamlike in production (README: Production), and the
ones bench/load.py measures.

    gunicorn --config gunicorn.conf.py --bind 127.0.0.1:8000 app:app

Threaded workers that keep connections alive: a sync worker closes the
connection after every response (each request then opens a new one) and sits
idle while PostgreSQL answers or flushes a commit; a threaded worker keeps the
connection and runs another request meanwhile. One worker process per core
(the GIL lets one thread of a process run at a time), four threads each:
enough to cover PostgreSQL's answers, while more threads only queue on the
GIL (a thread back from the database waits behind the others, its request
longer, the CPU no busier). On the 2-core machine with bench/load.py, four
against eight: 50 users, closed loop, 227-228 reorder requests a second
against 205-219 and their p95 352-385 ms against 504-523; 500 users with 2 s
think time, "my aids" p95 16-19 ms against 29-75 and the reorder steps'
642-763 ms against 841-876. A server whose database answers more slowly (on
another machine) may want more: WEB_WORKERS and WEB_THREADS change the
counts. Every thread may hold one database connection (SQLAlchemy's pool: 5,
and up to 10 more), so workers x threads stays well under PostgreSQL's
max_connections.
"""

import os

from gunicorn.glogging import Logger

from sesamlike.common.request_logs import mask_personal_data, mask_secret_paths

_cores = os.cpu_count() or 1


class MaskedLogger(Logger):
    """gunicorn's logger, with a password link's token masked in every access
    and error line (its path and a Referer alike): sesamlike/common/request_logs.py."""

    def setup(self, cfg):
        super().setup(cfg)
        mask_secret_paths(self.access_log)
        mask_secret_paths(self.error_log)
        mask_personal_data(self.error_log)


logger_class = MaskedLogger

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", _cores))
threads = int(os.environ.get("WEB_THREADS", 4))
keepalive = 5  # seconds an idle connection is kept (a reverse proxy's are reused)
backlog = 2048
timeout = 60
