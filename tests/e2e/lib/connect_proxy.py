#!/usr/bin/env python3
"""connect_proxy.py PORT_FILE LOG_FILE — an HTTP CONNECT proxy on 127.0.0.1
for e2e tests. Writes its port to PORT_FILE once listening, appends
"CONNECT host:port" to LOG_FILE for every tunnel, and resolves the made-up
name kubesim.test to 127.0.0.1 (so a client that bypassed the proxy cannot
reach a server under that name)."""
import socket, socketserver, sys, threading
port_file, log_file = sys.argv[1], sys.argv[2]
class Tunnel(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode("latin-1").split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        if len(line) < 2 or line[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = line[1].rsplit(":", 1)
        with open(log_file, "a") as f:
            f.write("CONNECT %s:%s\n" % (host, port))
        try:
            up = socket.create_connection(("127.0.0.1" if host == "kubesim.test" else host, int(port)))
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        def pump(a, b):
            try:
                while (d := a.recv(65536)):
                    b.sendall(d)
            except OSError:
                pass
            finally:
                try: b.shutdown(socket.SHUT_WR)
                except OSError: pass
        t = threading.Thread(target=pump, args=(up, self.connection), daemon=True)
        t.start()
        pump(self.connection, up)
        t.join()
        up.close()
class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
srv = Server(("127.0.0.1", 0), Tunnel)
open(port_file + ".tmp", "w").write(str(srv.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
