#!/usr/bin/env python3
"""Whole-program figures for BENCHMARKS.md: the real release binary in a pseudo-terminal.

    cargo build --release
    python3 benches/whole_program.py --data /tmp/demo1m \
        --password '…manager password…' --totp-secret '…base32 secret…' [--runs 10]

Measures, on the store in --data:
  * start to login: from exec to the login form on screen (80x24), --runs times;
  * start to login after SIGKILL: the counter is logged in (the store open for writing), then
    killed with SIGKILL; the next start is timed, --runs times;
  * unlock: from the Enter after the authenticator code to the first frame of the desk;
  * resident memory of the logged-in counter: VmRSS after unlock and again after name search is
    ready (the counter is left running --settle seconds), and the peak (VmHWM);
  * file size, and bytes per member and per visit (counts from `frontdesk verify`, timed too).

The counter runs with FRONTDESK_BACKUP_SCHEDULE=off, so no scheduled backup starts while it is
measured. The manager's code is computed here from the secret (RFC 6238, 30-s steps); each
login needs a fresh step, so the script waits for the next step between logins. Figures are
printed, never judged.
"""

import argparse
import base64
import hmac
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGIN_MARK = b"User name"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def totp(secret_b32, at):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), "sha1").digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (code % 1_000_000)


class Counter:
    """The counter screen in a pseudo-terminal of 80x24."""

    def __init__(self, binary, data):
        self.started = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["FRONTDESK_BACKUP_SCHEDULE"] = "off"
            os.environ["TERM"] = "xterm-256color"
            os.environ["COLUMNS"], os.environ["LINES"] = "80", "24"
            os.execv(binary, [binary, "--data", data])
        import fcntl
        import termios
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.pid, self.fd, self.seen = pid, fd, b""

    def wait_for(self, needle, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    break
                self.seen += chunk
                if needle(ANSI.sub(b"", self.seen)):
                    return time.monotonic()
        raise SystemExit("timed out waiting for the screen; last output: %r" % self.seen[-400:])

    def send(self, text):
        os.write(self.fd, text.encode() if isinstance(text, str) else text)

    def rss_kib(self):
        fields = {}
        with open("/proc/%d/status" % self.pid) as status:
            for line in status:
                name, _, value = line.partition(":")
                fields[name] = value.strip()
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def kill(self, sig=signal.SIGKILL):
        os.kill(self.pid, sig)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def start_to_login(binary, data):
    counter = Counter(binary, data)
    shown = counter.wait_for(lambda text: LOGIN_MARK in text)
    elapsed = shown - counter.started
    return counter, elapsed


def wait_next_step():
    time.sleep(30.5 - time.time() % 30)


def log_in(counter, password, secret):
    # One form: user name, password, code; Enter moves on, the last Enter logs in.
    counter.send("manager\r")
    counter.send(password + "\r")
    counter.send(totp(secret, time.time()))
    time.sleep(0.2)
    counter.seen = b""
    sent = time.monotonic()
    counter.send("\r")
    # The Today screen's key line (w Walk-in) is on the first frame of the desk.
    counter.wait_for(lambda text: b"Walk-in" in text)
    return time.monotonic() - sent


def spread(values):
    values = sorted(values)
    middle = statistics.median(values)
    return "median %.1f ms, min %.1f, max %.1f over %d" % (
        middle * 1000, values[0] * 1000, values[-1] * 1000, len(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--totp-secret", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--settle", type=float, default=30.0,
                        help="seconds the logged-in counter runs before memory is read again")
    parser.add_argument("--binary", default=os.path.join(ROOT, "target/release/frontdesk"))
    parser.add_argument("--counts", metavar="MEMBERS,VISITS",
                        help="take the counts from here instead of running `frontdesk verify`")
    args = parser.parse_args()

    clean = []
    for _ in range(args.runs):
        counter, elapsed = start_to_login(args.binary, args.data)
        clean.append(elapsed)
        counter.kill(signal.SIGTERM)  # closes the store cleanly
    print("start to login (clean): " + spread(clean), flush=True)

    after_kill, unlocks = [], []
    for run in range(args.runs):
        counter, _ = start_to_login(args.binary, args.data)
        wait_next_step()
        unlocks.append(log_in(counter, args.password, args.totp_secret))
        if run == 0:
            rss, _ = counter.rss_kib()
            time.sleep(args.settle)
            settled, peak = counter.rss_kib()
            print("resident memory: %.0f MB at unlock, %.0f MB after %.0f s, peak %.0f MB" % (
                rss / 1024, settled / 1024, args.settle, peak / 1024))
        counter.kill()
        counter, elapsed = start_to_login(args.binary, args.data)
        after_kill.append(elapsed)
        counter.kill(signal.SIGTERM)
    print("start to login after SIGKILL: " + spread(after_kill), flush=True)
    print("unlock (code entered to the desk on screen): " + spread(unlocks), flush=True)

    size = os.path.getsize(os.path.join(args.data, "frontdesk.redb"))
    print("file: %.2f GB" % (size / 1e9), flush=True)
    if args.counts:
        text = "%s members; %s visits" % tuple(args.counts.split(","))
    else:
        started = time.monotonic()
        verify = subprocess.run(
            [args.binary, "--data", args.data, "verify"], capture_output=True, text=True,
            env=dict(os.environ, FRONTDESK_BACKUP_SCHEDULE="off"))
        print("frontdesk verify: %.1f s (%s)" % (
            time.monotonic() - started, verify.stdout.strip().splitlines()[-1:]), flush=True)
        text = verify.stdout
    members = re.search(r"([\d,]+) members?", text)
    visits = re.search(r"([\d,]+) visits?", text)
    if members and visits:
        m = int(members.group(1).replace(",", ""))
        v = int(visits.group(1).replace(",", ""))
        print("  %d members, %d visits: %.0f bytes per member, %.0f per visit (whole file)" % (
            m, v, size / max(m, 1), size / max(v, 1)))
    else:
        print("  (no member and visit counts in: %s)" % text.strip()[:200])


if __name__ == "__main__":
    sys.exit(main())
