# Read automatically by gunicorn from its working directory (/code), so the command stays
# `gunicorn --bind 0.0.0.0:3000 --workers 2 application:application` (the chart's gunicorn preset),
# and a graceful reload by HUP re-reads it. Keep server settings here, not in CLI flags.
# Why each value: docs/app.md "Worker model".

# gevent: every connection is a greenlet, so idle or half-sent connections, slow clients and a
# hung database hold no worker: /healthz keeps answering. (sync workers have no read timeout:
# 2 idle sockets took the 2-worker pod down.) The worker monkey-patches the stdlib before the
# app is imported, so PyMySQL's sockets and the connection pool's waits are cooperative.
worker_class = "gevent"
# Connections one worker keeps at once (each costs a greenlet, a few KiB).
worker_connections = 1000
# Deadline for a request's headers, on a new connection as on a kept-alive one: a client
# that has not sent a full request line + headers within it is disconnected.
keepalive = 5
# Worker heartbeat (the gevent worker's own loop reports, not a request): kill a wedged worker.
timeout = 30
# A HUP or TERM lets in-flight requests finish for up to this long.
graceful_timeout = 10
# The app must be imported after gevent patched the stdlib, i.e. in each worker.
preload_app = False

# gunicorn >= 25 opens a control socket under $HOME/.gunicorn by default. In the
# pod $HOME is not writable (read-only root filesystem, uid 10001) and locally
# several instances would fight over the same path, so turn it off.
control_socket_disable = True


def post_worker_init(worker):
    """gunicorn's own errors (400/414/431...) as JSON like the app's, not its HTML page."""
    import json_errors  # from /code (gunicorn puts its working directory on sys.path)

    json_errors.install()
