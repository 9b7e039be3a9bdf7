"""What every feature stands on: configuration, database, document storage, errors, security
headers and CSRF, rate limits, health checks, background jobs (in-process or Celery) and the UI shell."""
