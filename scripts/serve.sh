#!/usr/bin/env bash
# Serve the app as `make run` does: nginx on 127.0.0.1:$PORT in front of gunicorn ($WORKERS sync workers on a
# unix socket). Stops both on INT/TERM, and both when either one ends.
#
# Why nginx: a sync worker serves one connection at a time, so a few clients that send their request slowly
# (or not at all) would hold every worker. nginx reads each request completely, headers and body (up to
# MAX_UPLOAD_MB), before it hands it to a worker, and keeps thousands of slow or idle connections at almost no
# cost; a request that does not arrive in time is dropped by nginx (408), never by a worker. The workers only
# ever see whole requests. tests/test_slow_clients.py measures it (200 slow connections held 30 s).
#
# Reads PORT (8000) and WORKERS (2 per core) like the Makefile, VAR_DIR (var: the socket, nginx's configuration
# and its buffers go to $VAR_DIR/run), and MAX_UPLOAD_MB and PROXY_HOPS as the service reads them (app/config.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8000}
WORKERS=${WORKERS:-$((2 * $(nproc 2>/dev/null || echo 1)))}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
GUNICORN=$ROOT/.venv/bin/gunicorn
# The service's own reading of its settings (one place for their defaults; a bad value stops here, in its words).
settings=$(cd "$ROOT" && .venv/bin/python -c 'import os; from app.config import from_env
c = from_env({"SECRET_KEY": "-", **os.environ})
print(c["MAX_CONTENT_LENGTH"] // 1048576 + 1, c["PROXY_HOPS"])')
read -r MAX_BODY PROXY_HOPS <<< "$settings"
VAR=${VAR_DIR:-$ROOT/var}
RUN=$(mkdir -p "$VAR/run" && cd "$VAR/run" && pwd)
SOCK=$RUN/gunicorn.sock
# Access log without the client's address (citizens may report anonymously), user agent or query string.
ACCESS_LOG_FORMAT='%(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# nginx passes the client's address in X-Forwarded-For: one more trusted proxy than configured.
export PROXY_HOPS=$((PROXY_HOPS + 1))

mkdir -p "$RUN/nginx"
USER_LINE=""
if [ "$(id -u)" = 0 ]; then USER_LINE="user root root;"; fi   # local serving only: see docs/operations.md
cat > "$RUN/nginx.conf" <<CONF
# Written by scripts/serve.sh; production settings: docs/operations.md#in-front-of-the-workers-nginx
$USER_LINE
worker_processes auto;
pid $RUN/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $RUN/nginx/body;
  proxy_temp_path $RUN/nginx/proxy;
  fastcgi_temp_path $RUN/nginx/fastcgi;
  uwsgi_temp_path $RUN/nginx/uwsgi;
  scgi_temp_path $RUN/nginx/scgi;
  client_max_body_size ${MAX_BODY}m;   # MAX_UPLOAD_MB + 1: the service answers 413 itself, in its own words
  client_body_buffer_size 1m;
  client_header_timeout 10s;
  client_body_timeout 20s;
  send_timeout 30s;
  keepalive_timeout 15s;
  reset_timedout_connection on;
  upstream graffiti { server unix:$SOCK fail_timeout=0; }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://graffiti;
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_redirect off;
      proxy_read_timeout 60s;
    }
  }
}
CONF

rm -f "$SOCK"
cd "$ROOT"
"$GUNICORN" --workers "$WORKERS" --bind "unix:$SOCK" --access-logfile - --access-logformat "$ACCESS_LOG_FORMAT" \
  --logger-class app.gunicorn_logger.Logger wsgi:app &
gunicorn_pid=$!
for _ in $(seq 1 300); do [ -S "$SOCK" ] && break; kill -0 "$gunicorn_pid" 2>/dev/null || break; sleep 0.1; done
"$NGINX" -e stderr -p "$RUN" -c "$RUN/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

stop() {
  trap - INT TERM
  kill -TERM "$nginx_pid" "$gunicorn_pid" 2>/dev/null || true
  wait "$nginx_pid" "$gunicorn_pid" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
status=0
wait -n "$gunicorn_pid" "$nginx_pid" || status=$?
echo "[serve] gunicorn or nginx ended (status $status); stopping the other" >&2
stop
exit "$status"
