#!/usr/bin/python3
"""A hostile peer for caldaq serve (tests/e2e/portal_hostile.sh): path
traversal in its plain and encoded forms, SQL metacharacters, a 10 MB
query string and header, uploads over the limit (announced and not),
slowloris (headers trickled, and a connection that sends nothing), and
1,000 requests at once. Each refusal must be clear (an HTTP status of 400
and above, or the connection closed by the server), no page may show a
file from outside the records, and the server must answer a plain
request after each round. Every socket has a timeout: nothing waits
without a bound. Prints one line per round; exits 1 naming the first
failure.

    portal_hostile.py PORT"""
import socket
import sys
import threading
import time
import urllib.parse

PORT = int(sys.argv[1])
HOST = "127.0.0.1"
failures = []


def fail(msg):
    print("FAIL:", msg, flush=True)
    sys.exit(1)


def request(raw, source=None, timeout=20):
    """Send raw bytes, return (status or None, body bytes). None: the
    server closed or reset the connection without a status line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if source:
            s.bind((source, 0))
        s.connect((HOST, PORT))
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data.startswith(b"HTTP/1."):
        return None, data
    return int(data.split(b" ", 2)[1]), data


def get(path, source=None, headers=""):
    return request(("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n"
                    % (path, headers)).encode("latin-1"), source)


def alive(what):
    st, body = get("/verify/C-1")
    if st != 200 or b"amended" not in body:
        fail("after %s the server does not answer /verify/C-1 (%s)" % (what, st))


# ---------------------------------------------------------------- traversal
SECRET = open(sys.argv[2], "rb").read().strip() if len(sys.argv) > 2 else b"\0"
traversal = [
    "/verify/../../etc/passwd", "/verify/..%2F..%2Fetc%2Fpasswd",
    "/verify/%2e%2e/%2e%2e/etc/passwd", "/verify/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/verify/..%252f..%252fetc%252fpasswd", "/verify/..\\..\\etc\\passwd",
    "/verify/%c0%ae%c0%ae/etc/passwd", "/cert/C-1/../../../etc/passwd",
    "/cert/C-1/..%2F..%2F..%2Fetc%2Fpasswd", "/cert/C-1/%2e%2e%2flab.key",
    "/cert/..%2F..%2Fetc%2Fpasswd", "/cert/C-1/..", "/cert/C-1/.", "/cert/C-1/",
    "/run/..%2F..%2F..%2Fetc%2Fpasswd", "/run/../../../../etc/passwd",
    "/static/../../etc/passwd", "/static/..%2F..%2Fetc%2Fpasswd", "//etc/passwd",
    "/verify/C-1/../../../etc/passwd", "/verify/%00", "/cert/C-1/lab.key",
    "/cert/C-1/C-1.pdf/..%2F..%2Flab.key",
]
for path in traversal:
    st, body = get(path)
    if st is None or st < 400:
        fail("%s: status %s, not a refusal" % (path, st))
    if b"root:" in body or SECRET in body:
        fail("%s: a file from outside the records in the reply" % path)
alive("traversal")
print("traversal: %d paths refused (400/404), nothing from outside the records" % len(traversal))

# ---------------------------------------------------------------- SQL
sql = ["' OR '1'='1", "C-1'; DROP TABLE certificates;--", "%", "_", "\" OR \"\"=\"",
       "1; SELECT * FROM events", "') UNION SELECT name, sha256 FROM certificate_files--"]
for q in sql:
    st, body = get("/search?q=" + urllib.parse.quote(q, safe=""))
    if st != 200:
        fail("search %r: status %s" % (q, st))
    if b"Certificates (0)" not in body:
        fail("search %r: found certificates (the text is data, not SQL)" % q)
for path in ["/verify/C-1'%20OR%20'1'='1", "/cert/C-1%27--", "/run/1'%20OR%201=1--",
             "/verify/C-1%3BDROP%20TABLE%20certificates"]:
    st, _ = get(path)
    if st != 400:
        fail("%s: status %s, not 400" % (path, st))
alive("SQL")
st, body = get("/search?q=C-1")
if b"Certificates (2)" not in body:
    fail("the certificates are gone after the SQL round")
print("SQL metacharacters: searched as text (0 found), refused in numbers and run ids; tables intact")

# ---------------------------------------------------------------- big requests
big = "A" * (10 * 1024 * 1024)
st, _ = request(("GET /search?q=%s HTTP/1.1\r\nHost: x\r\n\r\n" % big).encode())
if st is not None and st < 400:
    fail("a 10 MB query string: status %s" % st)
print("10 MB query string: %s" % ("status %d" % st if st else "connection closed by the server"))
st, _ = request(("GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n" % big).encode())
if st is not None and st < 400:
    fail("a 10 MB header: status %s" % st)
print("10 MB header: %s" % ("status %d" % st if st else "connection closed by the server"))
alive("big requests")

boundary = "hostileboundary"
def upload(n, announce=True):
    head = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n" % boundary).encode()
    tail = ("\r\n--%s--\r\n" % boundary).encode()
    body = head + b"%" * n + tail
    hdr = "POST /verify/C-1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" \
          "Content-Type: multipart/form-data; boundary=%s\r\n" % boundary
    if announce:
        return request((hdr + "Content-Length: %d\r\n\r\n" % len(body)).encode() + body)
    # chunked: the size is not known until the end
    chunks = b""
    for i in range(0, len(body), 65536):
        part = body[i:i + 65536]
        chunks += b"%x\r\n" % len(part) + part + b"\r\n"
    return request((hdr + "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n")

for announce in (True, False):
    st, _ = upload(9 * 1024 * 1024, announce)
    if st != 413:
        fail("an upload of 9 MB (%s): status %s, not 413" % ("announced" if announce else "chunked", st))
st, _ = request(b"POST /verify/C-1 HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                b"boundary=b\r\nContent-Length: 1000000000\r\n\r\n")
if st != 413:
    fail("an announced 1 GB upload: status %s" % st)
alive("uploads")
print("uploads over the limit: 413 (announced, chunked, 1 GB announced and not sent)")

# ---------------------------------------------------------------- slowloris
def slow_socket(source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect((HOST, PORT))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    return s

slow = []
for i in range(200):
    try:
        slow.append(slow_socket("127.0.0.1"))
    except OSError:
        break
silent = []
for i in range(20):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind(("127.0.0.3", 0))
    s.connect((HOST, PORT))
    silent.append(s)
served = 0
for round_ in range(4):
    for s in slow:
        try:
            s.sendall(b"X-Slow: %d\r\n" % round_)
        except OSError:
            pass
    st, body = get("/verify/C-1", source="127.0.0.2")
    served += st == 200
    time.sleep(1)
if served != 4:
    fail("while 200 connections trickle headers, another address was served %d times of 4" % served)
# now they stop sending: the server drops each after its idle timeout
deadline = time.time() + 25
open_ = slow + silent
def closed(s):
    """Whether the server closes s before the deadline (a reply such as
    408 first is read and passed over)."""
    try:
        while True:
            s.settimeout(max(0.1, deadline - time.time()))
            if s.recv(1024) == b"":
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
still = [s for s in open_ if not closed(s)]
for s in open_:
    s.close()
if still:
    fail("%d idle connections still open 25 s after they stopped sending" % len(still))
alive("slowloris")
print("slowloris: 200 connections trickling headers (past the per-address limit), 20 silent: "
      "another address served 4/4; all dropped once idle")

# ---------------------------------------------------------------- 1,000 at once
def crowd(sources, n):
    results = [None] * n
    start = threading.Barrier(n, timeout=60)
    def one(i):
        try:
            start.wait()
        except threading.BrokenBarrierError:
            pass
        try:
            st, body = get("/verify/C-1", source=sources[i % len(sources)])
            results[i] = st if st != 200 or b"amended" in body else -1
        except OSError as e:
            results[i] = "refused"   # reset or refused at connect: a refusal
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    if any(t.is_alive() for t in threads):
        fail("requests still waiting 90 s after 1,000 were sent at once")
    return results

t0 = time.time()
res = crowd(["127.0.0.%d" % k for k in range(10, 20)], 1000)
ok = res.count(200)
bad = [r for r in res if r not in (200, None, "refused", 503)]
if bad:
    fail("1,000 at once: unexpected replies %s" % sorted(set(map(str, bad))))
if ok < 900:
    fail("1,000 at once from 10 addresses: only %d answered" % ok)
print("1,000 at once from 10 addresses: %d answered 200, %d refused (%.1f s)"
      % (ok, 1000 - ok, time.time() - t0))
res = crowd(["127.0.0.1"], 1000)
ok = res.count(200)
bad = [r for r in res if r not in (200, None, "refused", 503)]
if bad:
    fail("1,000 at once from one address: unexpected replies %s" % sorted(set(map(str, bad))))
if ok < 128:
    fail("1,000 at once from one address: only %d answered" % ok)
print("1,000 at once from one address: %d answered 200, %d refused (at most %s at once "
      "from one address)" % (ok, 1000 - ok, "128"))
alive("1,000 at once")
print("ok")
