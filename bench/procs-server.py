#!/usr/bin/env python3
"""Servers for bench/procs-workload.sh, all in one process (one pid):

  HTTP on each TCP port given: /small (2 kB), /slow (20 kB after 80 ms),
  /big?bytes=N (N bytes); a DNS-shaped UDP echo on --dns PORT (answers a
  query with itself, QR bit set); a UDP sink on --sink PORT.
"""
import argparse, socket, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlparse, parse_qs

CHUNK = b"x" * 65536

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a):
        pass
    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/small":
            n = 2000
        elif u.path == "/slow":
            time.sleep(0.08)
            n = 20000
        elif u.path == "/big":
            n = int(parse_qs(u.query).get("bytes", ["1000000"])[0])
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        while n > 0:
            k = min(n, len(CHUNK))
            self.wfile.write(CHUNK[:k])
            n -= k

def dns(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        q, peer = s.recvfrom(2048)
        if len(q) >= 12:
            r = bytearray(q)
            r[2] |= 0x80
            s.sendto(bytes(r), peer)

def sink(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        s.recvfrom(65536)

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", default="0.0.0.0")
    p.add_argument("--dns", type=int)
    p.add_argument("--sink", type=int)
    p.add_argument("ports", type=int, nargs="*")
    a = p.parse_args()
    for port in a.ports:
        srv = ThreadingHTTPServer((a.addr, port), H)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    if a.dns:
        threading.Thread(target=dns, args=(a.addr, a.dns), daemon=True).start()
    if a.sink:
        threading.Thread(target=sink, args=(a.addr, a.sink), daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)

if __name__ == "__main__":
    main()
