"""Gunicorn settings for the web process: `gunicorn -c gunicorn.conf.py wsgi:app`.

Read by gunicorn at start-up (deploy/wenxu-web.service runs it). Every value can be overridden on
the command line; the environment variables below are the ones an operator is expected to set.
See docs/operations.md.
"""

import os


def _cores() -> int:
    # The cores this process may run on (a cgroup cpuset or taskset), not the machine's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# WEB_BIND takes gunicorn's own syntax and wins ("0.0.0.0:8000", "unix:/run/wenxu/web.sock", or
# several separated by commas); otherwise PORT on the loopback. Loopback by default because a
# reverse proxy on the same host terminates TLS and buffers slow clients (sync workers must not
# face the internet directly).
_default_bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
bind = [a.strip() for a in os.environ.get("WEB_BIND", _default_bind).split(",") if a.strip()]

# Sync workers, one request at a time each: requests are short (database and template work), and
# anything slow (messages, imports, sweeps) runs in the RQ workers. The classic 2 × cores + 1,
# capped at 9 because each worker is a process with its own database pool: past that, more
# PostgreSQL connections buy little on one machine; add machines instead.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * _cores() + 1, 9)))
worker_class = "sync"

# A request running 30 s is stuck (the longest pages take well under a second): the worker is
# killed and replaced rather than holding its slot.
timeout = 30
# On SIGTERM (systemctl stop, a deploy) workers finish the requests they are serving for up to
# this long, then are killed. Kept below the unit's TimeoutStopSec so systemd never has to.
graceful_timeout = 25
# Keep-alive only matters between the proxy and gunicorn; short, so a sync worker is not held
# waiting for a next request that may not come.
keepalive = 5

# Recycle each worker after about a thousand requests to bound any slow memory growth; the jitter
# staggers the restarts so the workers never all restart at once.
max_requests = 1000
max_requests_jitter = 100

# Workers import the app after the fork, so no database pool, Redis connection or thread is ever
# shared between processes, and `systemctl reload` (SIGHUP) picks up new code.
preload_app = False

# The worker heartbeat file: /dev/shm (memory) when there is one, since a disk-backed temporary
# directory can block a worker on fchmod; ProtectSystem=strict leaves /dev writable. Gunicorn
# makes the file with mkstemp (a unique name, mode 0600), so a shared directory is safe here.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Access log on stdout (the journal under systemd). The path only, never the query string:
# Open311 clients may send `api_key` in it, and sign-in and reset links carry tokens. For the
# same reason no referer (it is a whole URL) and no request line (%(r)s includes the query).
# Remote address, time, method, path, protocol, status, bytes, milliseconds, user agent.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# forwarded_allow_ips is left at gunicorn's default (only the loopback may set X-Forwarded-*):
# the app itself believes as many proxies as TRUSTED_PROXY_COUNT says (portal/proxy.py), and the
# access log's address (%(h)s) is then the client's (docs/deploy.md).

# No control socket: systemd already stops, reloads and restarts the server by signals, and the
# socket's default place ($HOME/.gunicorn) is read-only under the unit's ProtectSystem=strict.
control_socket_disable = True

proc_name = "wenxu-web"
