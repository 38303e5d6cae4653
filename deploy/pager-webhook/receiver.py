"""The pager webhook receiver of the weekend-watch stack.

Alertmanager posts its webhook payload (version 4) to /page (critical: the treasury
pager route) and /channel (every alert: the treasury channel). This receiver prints one
JSON line per alert on standard output, flushed at once, so `docker compose logs
pager-webhook` is the page log, and answers 200. It is the real endpoint of the routes in
deploy/alertmanager/alertmanager.yml; forward from here, or point those URLs at the real
pager (PagerDuty, Opsgenie, a chat webhook), for paging a person.

GET /healthz answers 200 (the compose healthcheck). Standard library only.
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTES = ("/page", "/channel")


def notification_lines(route, payload):
    """One log record per alert of an Alertmanager webhook payload."""
    for alert in payload.get("alerts", []):
        labels = alert.get("labels", {})
        annotations = alert.get("annotations", {})
        yield {
            "route": route,
            "receiver": payload.get("receiver", ""),
            "status": alert.get("status", payload.get("status", "")),
            "alertname": labels.get("alertname", ""),
            "severity": labels.get("severity", ""),
            "instance": labels.get("instance", ""),
            "summary": annotations.get("summary", ""),
            "runbook_url": annotations.get("runbook_url", ""),
            "starts_at": alert.get("startsAt", ""),
        }


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self._answer(200, "ok\n")
        else:
            self._answer(404, "not found\n")

    def do_POST(self):
        if self.path not in ROUTES:
            self._answer(404, "routes: /page, /channel\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError as error:
            self._answer(400, f"not an Alertmanager JSON payload: {error}\n")
            return
        for line in notification_lines(self.path, payload):
            sys.stdout.write(json.dumps(line, sort_keys=True) + "\n")
        sys.stdout.flush()
        self._answer(200, "ok\n")

    def log_message(self, format, *args):
        """The access log would interleave with the page log: keep it off stdout."""
        sys.stderr.write("%s - %s\n" % (self.address_string(), format % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=9095)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    sys.stderr.write(f"pager webhook receiver on {args.host}:{server.server_port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
