"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.
Each value can be overridden by the environment variable named beside it."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Threads serve slow clients and uploads without a process each; one process per core uses every
# core. Requests are CPU-bound Python: twice as many processes only fought over the cores
# (bench/load.py on 2 cores: wallet listing 4.9 ms CPU per request with 4x4, 3.4 ms with 2x4).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows without bound. A new worker costs ~1.8 s of
# CPU (imports, the app): at 5,000 requests it was 0.36 ms a request, a quarter of an answer from the
# register, and at 1,000 requests/s a restart every 10 s; at 100,000, every half hour at 100/s.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10
# Headers beyond these sizes are refused before the app sees them.
limit_request_line = 8190
limit_request_fields = 100
# The reverse proxy (TLS terminator) in front; its X-Forwarded-* headers are trusted only from here.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# In production the app writes one JSON line per request (wallet_service/platform/logs.py) instead.
# GUNICORN_ACCESS_LOG: a path, "-" (standard output) or empty (none, as in production).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "" if os.environ.get("WALLET_ENV") == "production" else "-") or None
# Login codes, credential-offer codes and tokens in URLs are replaced before a line is logged.
logger_class = "wallet_service.platform.logs.GunicornLogger"
errorlog = "-"
# The app is created in each worker after fork (not preloaded): the verifier's process pool and
# database connections must belong to the worker that uses them.
preload_app = False


# Metrics of several processes: with PROMETHEUS_MULTIPROC_DIR set (the same folder for gunicorn and the
# Celery workers of this machine, emptied only when none of them runs: a tmpfs folder made at boot), each
# process writes its counts there and /metrics merges them. A worker that exits leaves its counters (they
# stay in the sums); its live gauges, of which there are none, would be dropped here.
def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
