# Read automatically by gunicorn from its working directory (/code), so the
# command stays exactly `gunicorn --bind 0.0.0.0:3000 --workers 2 application:application`.

# gunicorn >= 25 opens a control socket under $HOME/.gunicorn by default. In the
# pod $HOME is not writable (read-only root filesystem, uid 10001) and locally
# several instances would fight over the same path, so turn it off.
control_socket_disable = True
