"""Shared pieces of the Tools/bench* scripts: start cairn-server and redis-server side by
side on free ports, talk to them over a raw socket."""
import os, shutil, socket, subprocess, sys, tempfile, time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User and system CPU seconds of a process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: state is fields[0]; utime and stime are fields 11 and 12.
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(port, proc, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on {port}")


@dataclass
class Pair:
    tmp: str
    cairn: subprocess.Popen
    cairn_port: int
    redis: subprocess.Popen
    redis_port: int
    # With tls: each server's tls-port, and the CA file that signed both certificates.
    cairn_tls_port: int = 0
    redis_tls_port: int = 0
    ca_file: str = ""


def make_certificates(tmp):
    """A CA and a server certificate it signed, made with openssl in `tmp`; returns the
    paths (ca, cert, key)."""
    def ssl(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ca, cert, key = (os.path.join(tmp, n) for n in ("ca.crt", "server.crt", "server.key"))
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", os.path.join(tmp, "ca.key"), "-out", ca,
        "-days", "2", "-subj", "/CN=bench CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", os.path.join(tmp, "server.csr"), "-subj", "/CN=bench")
    ssl("x509", "-req", "-in", os.path.join(tmp, "server.csr"), "-CA", ca, "-CAkey", os.path.join(tmp, "ca.key"),
        "-CAcreateserial", "-out", cert, "-days", "2")
    return ca, cert, key


def cairn_binary():
    """The release build, brought up to date first (a stale binary would measure old code);
    or the binary $CAIRN_BENCH_BINARY names, to measure a build kept from before a change."""
    if os.environ.get("CAIRN_BENCH_BINARY"):
        return os.environ["CAIRN_BENCH_BINARY"]
    subprocess.run([os.path.join(ROOT, "Tools/build-release"), "--product", "cairn-server"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(ROOT, ".build/release/cairn-server")


def fixed_sync_preload(tmp, micros):
    """Builds (with cc) a library that makes every fsync and fdatasync return `micros` µs
    after the real call, for LD_PRELOAD with the data on tmpfs: a disk of one steady sync
    latency. This VM's disk drifts from 120 to 360 µs per sync within minutes, which hides
    differences between designs of the write path; this does not (it models no CPU cost)."""
    source, lib = os.path.join(tmp, "fixed_sync.c"), os.path.join(tmp, "fixed_sync.so")
    with open(source, "w") as f:
        f.write("""#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>
static void hold(void) { struct timespec t = {0, %d000L}; nanosleep(&t, 0); }
int fdatasync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fdatasync"); int r = real(fd); hold(); return r; }
int fsync(int fd) { static int (*real)(int); if (!real) real = dlsym(RTLD_NEXT, "fsync"); int r = real(fd); hold(); return r; }
""" % micros)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", source, "-o", lib, "-ldl"], check=True)
    return lib


def start_pair(fsync, redis_aof=False, against_no=False, fixed_sync_us=None, tls=False):
    """cairn-server with `--appendfsync fsync` and redis-server with the matching setting
    (`no`: no AOF at all, unless `redis_aof`; otherwise AOF with the same fsync policy),
    no RDB saves. Cairn always writes its log; `redis_aof` with `no` makes Redis write its
    AOF too, so that both do the same work (a log written, never synced). `against_no`
    puts a second cairn-server with `--appendfsync no` in Redis's place: the cost of
    durability as one ratio. `fixed_sync_us` runs both on tmpfs with every sync taking that
    long (see fixed_sync_preload). `tls` gives both a tls-port too, with certificates made
    for the run (clients need none)."""
    tmp = tempfile.mkdtemp(prefix="cairn-bench-", dir="/dev/shm" if fixed_sync_us else None)
    env = dict(os.environ)
    if fixed_sync_us:
        env["LD_PRELOAD"] = fixed_sync_preload(tmp, fixed_sync_us)
    cairn_port, redis_port = free_port(), free_port()
    binary = cairn_binary()
    tls_ports, tls_args, ca = (0, 0), [], ""
    if tls:
        ca, cert, key = make_certificates(tmp)
        tls_ports = (free_port(), free_port())
        tls_args = ["--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"]

    def start_cairn(port, policy, name, extra=()):
        return subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", f"{tmp}/{name}",
                                 "--appendfsync", policy, "--loglevel", "warning", *extra],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    cairn = start_cairn(cairn_port, fsync, "cairn", ["--tls-port", str(tls_ports[0])] + tls_args if tls else [])
    if against_no:
        other = start_cairn(redis_port, "no", "cairn-no")
        wait_ready(cairn_port, cairn, "cairn-server")
        wait_ready(redis_port, other, "cairn-server --appendfsync no")
        return Pair(tmp, cairn, cairn_port, other, redis_port)
    redis_args = ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", tmp,
                  "--save", "", "--loglevel", "warning"]
    if tls:
        redis_args += ["--tls-port", str(tls_ports[1])] + tls_args
    if fsync == "no" and not redis_aof:
        redis_args += ["--appendonly", "no"]
    else:
        redis_args += ["--appendonly", "yes", "--appendfsync", fsync]
    redis = subprocess.Popen(redis_args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_ready(cairn_port, cairn, "cairn-server")
    wait_ready(redis_port, redis, "redis-server")
    return Pair(tmp, cairn, cairn_port, redis, redis_port, tls_ports[0], tls_ports[1], ca)


def stop_pair(pair):
    for proc in (pair.cairn, pair.redis):
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(pair.tmp, ignore_errors=True)


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def call(port, *args):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(encode(*[a if isinstance(a, bytes) else a.encode() for a in args]))
        data = b""
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            if data.startswith(b"$"):
                header, _, rest = data.partition(b"\r\n")
                if len(rest) >= int(header[1:]) + 2:
                    return rest[:int(header[1:])]
            elif data.endswith(b"\r\n"):
                return data
    return data


def info_field(port, field):
    text = call(port, "INFO", "memory").decode()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    raise KeyError(field)


def pipeline_load(port, count, make, batch=10000):
    """SETs `count` keys made by make(i) -> (key, value), `batch` per round trip."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        for start in range(0, count, batch):
            n = min(batch, count - start)
            s.sendall(b"".join(encode(b"SET", *make(i)) for i in range(start, start + n)))
            # Every reply is "+OK\r\n": wait for n of them, counted in bytes so that a reply
            # split across reads is not missed.
            got = 0
            while got < 5 * n:
                chunk = s.recv(1 << 20)
                if not chunk:
                    raise RuntimeError("server closed the connection")
                got += len(chunk)


def pipeline_commands(port, commands, count, batch=10000):
    """Sends encoded commands whose replies are integers or +OK, `batch` per round trip."""
    with socket.create_connection(("127.0.0.1", port)) as s:
        pending = []
        sent = 0
        for cmd in commands:
            pending.append(cmd)
            if len(pending) == batch:
                _flush(s, pending)
                sent += len(pending)
                pending = []
        if pending:
            _flush(s, pending)


def _flush(s, pending):
    s.sendall(b"".join(pending))
    need = len(pending)
    buf = b""
    while need > 0:
        chunk = s.recv(1 << 20)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buf += chunk
        lines = buf.split(b"\r\n")
        buf = lines[-1]
        need -= len(lines) - 1
