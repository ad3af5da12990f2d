"""End to end: `caldaq session` at the bench, through a real pseudo-terminal.

Run by session_tty.sh with /usr/bin/python3 (stdlib + h5py), CALDAQ the
binary. For each language (vi, en) a technician walks a short class II
plan (a copy of profiles/balance-cg18-class-ii.yaml with 6 points): the
prompts are checked byte for byte as the terminal receives them (the tty
turns "\\n" into "\\r\\n"), diacritics included; the simulated balance gets
its load through its control socket after each prompt appears and before
Enter, so the live reading settles on the screen ("~ đang ổn định" /
"~ settling") and then shows "ổn định" / "stable". The technician types
the conditions at the start and the end, adds a note (n) after point 2,
skips point 5 (s), and measures point 6 again (r) after a first
measurement with the wrong load. The verdict table comes in the chosen
language. The run, read with h5py, holds the note, the skip and the
repetition in its audit log, the conditions, and results in which the
repeated point uses its last reading (superseded_readings > 0) and the
verdict is "incomplete". Last, Ctrl-C at a prompt ends the session with
status 3 and says how to resume.
"""
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import h5py

CALDAQ = os.environ.get("CALDAQ") or sys.exit("session_tty.py: CALDAQ is not set")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg):
    raise SystemExit(f"session_tty.py: {msg}")


class Term:
    """A program on a pseudo-terminal: expect() bytes, type() keys."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.buf = b""
        self.pos = 0          # what expect() has consumed
        self.eof = False

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0 or self.eof:
            return False
        r, _, _ = select.select([self.fd], [], [], left)
        if not r:
            return False
        try:
            data = os.read(self.fd, 4096)
        except OSError:       # EIO: the program closed the terminal
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def expect(self, what, timeout=10.0):
        """Wait for bytes (or a compiled regex) after what was consumed;
        consume up to the end of the match and return the match."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(what, bytes):
                i = self.buf.find(what, self.pos)
                if i >= 0:
                    self.pos = i + len(what)
                    return what
            else:
                m = what.search(self.buf, self.pos)
                if m:
                    self.pos = m.end()
                    return m
            if not self._fill(deadline):
                tail = self.buf[self.pos:].decode("utf-8", "replace")
                fail(f"waited for {what!r}; the terminal shows after the last match:\n{tail}")

    def type(self, text):
        os.write(self.fd, text.encode("utf-8"))

    def finish(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not self.eof and self._fill(deadline):
            pass
        if not self.eof:
            os.kill(self.pid, signal.SIGKILL)
            fail("the session did not end")
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def tty(s):
    """What the terminal receives for program output s (ONLCR)."""
    return s.replace("\n", "\r\n").encode("utf-8")


ENTER = "\r"   # what the Enter key sends; the tty hands the program "\n"

TEXT = {
    "en": {
        "standard": "Reference standard W-E2-01 (certificate VD-KL-2025-0412), due 2099-03-10: in date\n",
        "instrument": "Instrument reports: Mettler Toledo XS204 Excellence, Max 220.000 g, serial TTY-0042\n",
        "ask_start": "Temperature (°C) and humidity (%RH) at the start, e.g. 21.5,50 — Enter if not measured: ",
        "ask_end": "Temperature (°C) and humidity (%RH) at the end, e.g. 21.5,50 — Enter if not measured: ",
        "env": "Environmental conditions: 21.5 °C, 50 %RH\n",
        "points": [
            "Place 100 g on the centre of the pan, reading 1 of 2 (lift it off between readings)",
            "Place 100 g on the centre of the pan, reading 2 of 2 (lift it off between readings)",
            "Place 100 g at position: centre",
            "Place 100 g at position: front",
            "Remove all load from the pan",
            "Place 100 g on the pan",
            "Place 200 g on the pan",
        ],
        "ready": " (s: skip this point · a: abort) — Enter when ready: ",
        "stable": "  stable        \n",
        "settling": "  ~ settling ",
        "saved": "  saved: {n} reading(s) in {run}\n",
        "after": "  Enter: next point · r: repeat this point · n: add a note · a: abort > ",
        "note_prompt": "  Note: ",
        "note": "weights handled with tweezers, 21.3 °C",
        "note_saved": "  note saved in the run's log\n",
        "skipped": "  point skipped (recorded in the run's log)\n",
        "repeating": "  repeating this point; the earlier readings stay in the run\n",
        "complete": "\nCalibration complete. Run file: {run}\n",
        "columns": ("nominal", "indication", "error", "verdict"),
        "not_measured": "not measured",
        "verdict": "Overall verdict: INCOMPLETE\n",
        "stored": "Results stored in the run as version 1\n",
        "aborted": "\nSession aborted. Every finished point is saved in {run}.\n"
                   "To continue later:\n  caldaq session --resume {run} --port ",
    },
    "vi": {
        "standard": "Chuẩn đo lường W-E2-01 (giấy chứng nhận VD-KL-2025-0412), hạn 2099-03-10: còn hiệu lực\n",
        "instrument": "Thiết bị báo: Mettler Toledo XS204 Excellence, Max 220.000 g, số sản xuất TTY-0042\n",
        "ask_start": "Nhiệt độ (°C) và độ ẩm (%RH) lúc bắt đầu, ví dụ 21.5,50 — nhấn Enter nếu không đo: ",
        "ask_end": "Nhiệt độ (°C) và độ ẩm (%RH) lúc kết thúc, ví dụ 21.5,50 — nhấn Enter nếu không đo: ",
        "env": "Điều kiện môi trường: 21,5 °C, 50 %RH\n",
        "points": [
            "Đặt quả cân 100 g vào giữa đĩa cân, lần đọc 1/2 (nhấc ra giữa các lần đọc)",
            "Đặt quả cân 100 g vào giữa đĩa cân, lần đọc 2/2 (nhấc ra giữa các lần đọc)",
            "Đặt quả cân 100 g ở vị trí: giữa đĩa",
            "Đặt quả cân 100 g ở vị trí: phía trước",
            "Bỏ hết tải khỏi đĩa cân",
            "Đặt quả cân 100 g lên đĩa cân",
            "Đặt quả cân 200 g lên đĩa cân",
        ],
        "ready": " (s: bỏ qua điểm này · a: dừng) — nhấn Enter khi sẵn sàng: ",
        "stable": "  ổn định        \n",
        "settling": "  ~ đang ổn định ",
        "saved": "  đã lưu: {n} số đọc vào {run}\n",
        "after": "  Enter: điểm tiếp theo · r: đo lại điểm này · n: ghi chú · a: dừng > ",
        "note_prompt": "  Ghi chú: ",
        "note": "quả cân gắp bằng kẹp, nhiệt độ 21,3 °C",
        "note_saved": "  đã lưu ghi chú vào nhật ký của lần đo\n",
        "skipped": "  đã bỏ qua điểm này (ghi vào nhật ký)\n",
        "repeating": "  đo lại điểm này; các số đọc trước vẫn được giữ trong tệp\n",
        "complete": "\nHiệu chuẩn xong. Tệp dữ liệu đo: {run}\n",
        "columns": ("danh định", "số chỉ", "sai số", "kết luận"),
        "not_measured": "không đo",
        "verdict": "Kết luận chung: CHƯA ĐỦ ĐIỂM ĐO\n",
        "stored": "Kết quả đã lưu vào tệp, phiên bản 1\n",
        "aborted": "\nĐã dừng phiên đo. Mọi điểm đã đo xong được lưu trong {run}.\n"
                   "Để tiếp tục sau:\n  caldaq session --resume {run} --port ",
    },
}

# Points of the short profile: repeatability (2 readings), eccentricity
# centre and front, errors at 0, 100 and 200 g.
N_POINTS = 6


def short_profile(path):
    text = open(os.path.join(ROOT, "profiles/balance-cg18-class-ii.yaml"), encoding="utf-8").read()
    plan = ("plan:\n"
            "  - test: repeatability\n    load: 100\n    repeat: 2\n"
            "  - test: eccentricity\n    load: 100\n    positions: [centre, front]\n"
            "  - test: error\n    points: [0, 100, 200]\n\n")
    new, n = re.subn(r"(?ms)^plan:\n.*?^(?=budget:)", lambda m: plan, text)
    new, k = re.subn(r"(?m)^name: balance-cg18-class-ii$", "name: tty-class-ii", new)
    new, r = re.subn(r"(?m)^register: .*\n", "", new)
    if (n, k, r) != (1, 1, 1):
        fail("cannot make the short profile from balance-cg18-class-ii.yaml")
    open(path, "w", encoding="utf-8").write(new)


def control(path, command):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall((command + "\n").encode())
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            reply += chunk
    if not reply.startswith(b"load "):
        fail(f"simulator: {command!r} answered {reply!r}")


def header(t):
    """The verdict table's header, padded to the columns as printed."""
    nominal, mean, error, verdict = t["columns"]
    return (f"{nominal:>14} {mean:>16} {error:>12} {'U':>11} {'k':>6} {'MPE':>11}  {verdict}\n")


def session(lang, tmp, profile, port, ctl):
    t = TEXT[lang]
    out = os.path.join(tmp, f"runs-{lang}")
    os.mkdir(out)
    term = Term([CALDAQ, "session", "--profile", profile, "--port", port, "--out", out,
                 "--standards", os.path.join(tmp, "reg.yaml"), "--lang", lang,
                 "--operator", "Nguyễn Thị C"])
    term.expect(tty(t["standard"] + t["instrument"] + t["ask_start"]))
    term.type("21.5,50" + ENTER)
    term.expect(tty(t["env"]))

    def prompt(number, text):
        term.expect(tty(f"\n[{number}/{N_POINTS}] {t['points'][text]}{t['ready']}"))

    def reading(display):
        # the Vietnamese screen writes the decimal comma (docs/i18n.md)
        shown = display.replace(".", ",") if lang == "vi" else display
        term.expect(tty(f"\r  {shown} g{t['stable']}"))

    def after(n, run):
        term.expect(tty(t["saved"].format(n=n, run=run) + t["after"]))

    # 1: repeatability, two readings.
    prompt(1, 0)
    control(ctl, "load 100")
    term.type(ENTER)
    reading("100.000")
    prompt(1, 1)
    control(ctl, "load 100")
    term.type(ENTER)
    reading("100.000")
    # The run file is named in the first "saved" line: the line checked whole.
    m = term.expect(re.compile(re.escape(out.encode()) + rb"/[^/\s]+\.h5\r\n"))
    run = m.group(0)[:-2].decode()
    line = tty(t["saved"].format(n=2, run=run))
    if not term.buf[:term.pos].endswith(line):
        fail(f"{lang}: the saved line: {term.buf[term.pos - len(line):term.pos]!r}, not {line!r}")
    term.expect(tty(t["after"]))
    term.type(ENTER)
    # 2: eccentricity, centre; then a note.
    prompt(2, 2)
    term.type(ENTER)
    reading("100.000")
    after(1, run)
    term.type("n" + ENTER)
    term.expect(tty(t["note_prompt"]))
    term.type(t["note"] + ENTER)
    term.expect(tty(t["note_saved"] + t["after"]))
    term.type(ENTER)
    # 3: eccentricity, front.
    prompt(3, 3)
    term.type(ENTER)
    reading("100.000")
    after(1, run)
    term.type(ENTER)
    # 4: zero.
    prompt(4, 4)
    control(ctl, "load 0")
    term.type(ENTER)
    reading("0.000")
    after(1, run)
    term.type(ENTER)
    # 5: 100 g, skipped.
    prompt(5, 5)
    term.type("s" + ENTER)
    term.expect(tty(t["skipped"]))
    # 6: 200 g, first with the wrong load, then again.
    prompt(6, 6)
    control(ctl, "load 200.004")
    term.type(ENTER)
    # the live reading while it settles, rewritten in place
    term.expect(re.compile(rb"\r  (?!200[.,]004 )[0-9]+[.,][0-9]{3} g" + re.escape(tty(t["settling"]))))
    reading("200.004")
    after(1, run)
    term.type("r" + ENTER)
    term.expect(tty(t["repeating"]))
    prompt(6, 6)
    control(ctl, "load 200")
    term.type(ENTER)
    reading("200.000")
    after(1, run)
    term.type(ENTER)
    term.expect(tty(t["ask_end"]))
    term.type("22.5,48" + ENTER)
    # The verdict table.
    term.expect(tty(t["complete"].format(run=run) + "\n" + header(t)))
    term.expect(re.compile(rb"(?<=\n) +100 g +- +- +- +- +[0-9.,e-]+  " + re.escape(t["not_measured"].encode()) + rb"\r\n"))
    term.expect(re.compile(rb"(?<=\n) +200 g +200 +-6e-05 "))
    term.expect(tty(t["verdict"] + t["stored"]))
    rc = term.finish()
    if rc != 0:
        fail(f"{lang}: status {rc}, not 0")
    check_run(lang, run, t)
    print(f"  {lang}: prompts, live readings (settling, then stable), note, skip, repeat "
          f"and the verdict table as expected; status 0; the run holds them")


def check_run(lang, run, t):
    with h5py.File(run, "r") as f:
        if f.attrs["status"] != "complete":
            fail(f"{lang}: run status {f.attrs['status']}")
        audit = [w.decode("utf-8") for w in f["audit"]["what"]]
        who = {w.decode("utf-8") for w in f["audit"]["who"]}
        doc = json.loads(f["results"]["v1"][()])
        rd = f["readings"][...]
        env = [(e["where"].decode(), float(e["temp_c"]), float(e["rh_pct"])) for e in f["environment"][...]]
    if env != [("start", 21.5, 50.0), ("end", 22.5, 48.0)]:
        fail(f"{lang}: environment {env}")
    if abs(doc["environment"]["temp_c"] - 22.0) > 1e-12:
        fail(f"{lang}: the results' environment {doc['environment']}")
    want = [f"note at point 2: {t['note']}",
            "point 5 (error-up 100 g) skipped by the operator",
            "point 6 measured again at the operator's request"]
    for w in want:
        if w not in audit:
            fail(f"{lang}: no audit entry {w!r} in {audit}")
    if "Nguyễn Thị C" not in who:
        fail(f"{lang}: the operator is not in the audit log: {who}")
    stable6 = [float(r["value"]) for r in rd if r["point"] == 5 and r["status"] == b"stable"]
    if stable6 != [200.004, 200.0]:
        fail(f"{lang}: stable readings at point 6: {stable6}")
    if any(r["point"] == 4 for r in rd):
        fail(f"{lang}: readings at the skipped point 5")
    if doc["verdict"] != "incomplete" or doc["complete"] is not False:
        fail(f"{lang}: verdict {doc['verdict']}, complete {doc['complete']}")
    if not doc["superseded_readings"] > 0:
        fail(f"{lang}: superseded_readings {doc['superseded_readings']}")
    pts = {p["nominal"]: p for p in doc["points"]}
    if pts[100]["measured"] or not pts[200]["measured"]:
        fail(f"{lang}: measured: {[(p['nominal'], p['measured']) for p in doc['points']]}")
    if pts[200]["n"] != 1 or abs(pts[200]["mean"] - 200.0) > 1e-12:
        fail(f"{lang}: the 200 g point does not use the last reading: {pts[200]}")


def ctrl_c(tmp, profile, port):
    """Ctrl-C at a prompt: status 3, the resume command, the run kept."""
    out = os.path.join(tmp, "runs-ctrl-c")
    os.mkdir(out)
    t = TEXT["en"]
    term = Term([CALDAQ, "session", "--profile", profile, "--port", port, "--out", out,
                 "--standards", os.path.join(tmp, "reg.yaml"), "--lang", "en", "--env", "21.5,50"])
    term.expect(tty(f"\n[1/{N_POINTS}] {t['points'][0]}{t['ready']}"))
    term.type(ENTER)
    term.expect(tty(f"\n[1/{N_POINTS}] {t['points'][1]}{t['ready']}"))
    term.type("\x03")
    before = term.pos
    m = term.expect(re.compile(re.escape(out.encode()) + rb"/[^/\s]+\.h5(?=\.\r\n)"))
    run = m.group(0).decode()
    term.pos = before          # and now the whole message
    term.expect(tty(t["aborted"].format(run=run)))
    rc = term.finish()
    if rc != 3:
        fail(f"Ctrl-C: status {rc}, not 3")
    if os.listdir(out) != [os.path.basename(run)]:
        fail(f"Ctrl-C: left in the output folder: {os.listdir(out)}")
    with h5py.File(run, "r") as f:
        n = sum(1 for r in f["readings"][...] if r["status"] == b"stable")
        if f.attrs["status"] != "aborted" or n != 1:
            fail(f"Ctrl-C: run status {f.attrs['status']}, {n} readings")
    print("  Ctrl-C at a prompt: status 3, the resume command, the first reading kept")


def main():
    tmp = tempfile.mkdtemp()
    sim = None
    try:
        reg = open(os.path.join(ROOT, "tests/fixtures/standards/example-lab-fixed-dates.yaml"), encoding="utf-8").read()
        open(os.path.join(tmp, "reg.yaml"), "w", encoding="utf-8").write(
            re.sub(r"due: 20[0-9][0-9]-", "due: 2099-", reg))
        profile = os.path.join(tmp, "short.yaml")
        short_profile(profile)
        check = subprocess.run([CALDAQ, "profile", "check", profile, "--standards",
                                os.path.join(tmp, "reg.yaml"), "--json"],
                               capture_output=True, text=True)
        if check.returncode != 0 or len(json.loads(check.stdout)["points"]) != N_POINTS:
            fail(f"the short profile: {check.stderr}{check.stdout}")
        port, ctl = os.path.join(tmp, "bal"), os.path.join(tmp, "ctl")
        # No noise: the readings show the load exactly; 0.3 s to settle,
        # so that the live reading is seen settling.
        sim = subprocess.Popen([CALDAQ, "sim", "mtsics", "--port-link", port, "--control", ctl,
                                "--loads", "0", "--noise", "0", "--resolution", "0.001",
                                "--settle", "0.3", "--advance", "0", "--set", "serial=TTY-0042"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port) and os.path.exists(ctl):
                break
            time.sleep(0.05)
        else:
            fail("the simulator did not start")
        for lang in ("vi", "en"):
            session(lang, tmp, profile, port, ctl)
        ctrl_c(tmp, profile, port)
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("session_tty.py: ok")


if __name__ == "__main__":
    main()
