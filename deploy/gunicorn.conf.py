# gunicorn settings for an odekake web node (systemd: deploy/systemd/odekake-web.service).
# Every value can be overridden from the environment file without editing this one.
import multiprocessing
import os

bind = os.environ.get("ODEKAKE_BIND", "127.0.0.1:8001")
# Each worker keeps its own search arrays in memory (≈0.1 GB at 10k listings, more at 100k):
# size workers by memory first, CPUs second.
workers = int(os.environ.get("ODEKAKE_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
threads = 1
# Requests are short: long work (large imports, mail) runs on the queue (odekake worker), so a
# request still running after this is stuck and is better killed.
timeout = int(os.environ.get("ODEKAKE_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then: bounded memory growth without a restart of the node.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same host is the only client; gunicorn itself trusts no forwarded header (the app's
# ProxyFix does, for exactly proxy_fix_hops proxies).
forwarded_allow_ips = ""
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("ODEKAKE_LOG_LEVEL", "info")
wsgi_app = "webapp:create_app()"
