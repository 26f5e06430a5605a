#!/usr/bin/env python3
"""probesrv.py PORT: the answering side of the network-readiness probe
(tools/bench/metrics.bash, m_netready). Serves HTTP/1.0 on PORT; for each
request prints "PATH NANOSECONDS" (CLOCK_REALTIME when the request arrived,
the clock `date +%s%N` reads) and answers "ok". The first line naming a new
container is when a probe from inside it first got through.
"""
import http.server
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        t = time.time_ns()
        print(self.path.lstrip("/"), t, flush=True)
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
