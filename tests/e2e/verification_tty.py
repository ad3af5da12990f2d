"""End to end: a legal verification at the bench, in Vietnamese, through a
real pseudo-terminal (issue 16).

Run by verification_tty.sh with /usr/bin/python3 (stdlib + h5py), CALDAQ the
binary. A dial pressure gauge (profiles/verification-dial-gauge-dlvn08.yaml)
is read by eye and typed; the reference gauge is the Modbus simulator, read
by caldaq at each point.

1. A passing gauge: the seven checks answered (a first answer "x" asked
   again with its reason), then at each point the technician brings the
   gauge to the mark, presses Enter, caldaq reads the reference, and asks
   "Nhập số chỉ của áp kế tại điểm 4 bar: ". Wrong entries are asked again
   with the reason: letters, too many digits, out of range, and a value far
   from the nominal that the technician declines to keep. The session ends
   "Kiểm định xong", ĐẠT.
2. A failing gauge (0.4 bar high) typed the same way ends KHÔNG ĐẠT.
3. Killed with SIGKILL right after the screen said a typed reading was
   saved: `caldaq show` finds it, the resume (batch, --typed with the rest)
   completes, and the reading is in the run exactly once, as typed.
4. The certificates: the passing run gets the verification certificate
   (with the stamp number and the validity date from the cycles table),
   the failing one the notice of failure; `caldaq verify` passes on both.
"""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from session_tty import CALDAQ, ENTER, ROOT, Term, control, tty  # noqa: E402

PROFILE = os.path.join(ROOT, "profiles/verification-dial-gauge-dlvn08.yaml")
POINTS = [0, 4, 8, 12, 16, 16, 12, 8, 4, 0]
N = len(POINTS)
CHECKS = ["ext-working", "ext-glass", "ext-vent", "ext-marking", "tech-unit", "tech-division",
          "tech-zero"]
ASK_CHECK = " — d: đạt · k: không đạt: "
REFUSED = "  Không nhận: {}. Hãy nhập lại.\n"
OPERATOR = "Nguyễn Văn An"


def fail(msg):
    raise SystemExit(f"verification_tty.py: {msg}")


def s(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def instruction(p):
    return "Xả áp kế về áp suất khí quyển (0)" if p == 0 else f"Đưa áp kế đến {p} bar"


def start(tmp, out, gauge):
    return Term([CALDAQ, "session", "--profile", PROFILE, "--standards",
                 os.path.join(tmp, "reg.yaml"), "--ref-port", gauge, "--ref-set", "preset=keller",
                 "--ref-set", "stable_n=2", "--ref-set", "stable_s=0.01", "--out", out,
                 "--lang", "vi", "--env", "21.5,50", "--operator", OPERATOR,
                 "--dut-serial", "AK-2026-001"])


def answer_checks(term, first_wrong):
    term.expect(tty("\nKiểm tra bên ngoài\n"))
    for i, _ in enumerate(CHECKS):
        if i == 4:
            term.expect(tty("\nKiểm tra kỹ thuật\n"))
        term.expect(tty(ASK_CHECK))
        if i == 0 and first_wrong:
            term.type("x" + ENTER)
            term.expect(tty(REFUSED.format("'x': trả lời d (đạt) hoặc k (không đạt)")))
            term.expect(tty(ASK_CHECK))
        term.type(("đạt" if i % 2 else "d") + ENTER)
        term.expect(tty("  đã lưu: ĐẠT\n"))


def point(term, ctl, number, nominal, entries):
    """Point `number` at `nominal`: Enter, the reference read, then each
    entry typed: (text, refusal or None); the last one is kept."""
    term.expect(tty(f"\n[{number}/{N}] {instruction(nominal)} (s: bỏ qua điểm này · a: dừng) — nhấn Enter khi sẵn sàng: "))
    control(ctl, f"load {nominal}")
    term.type(ENTER)
    term.expect(tty("  ổn định        \n"))
    ask = tty(f"Nhập số chỉ của áp kế tại điểm {nominal} bar: ")
    for text, refusal in entries:
        term.expect(ask)
        term.type(text + ENTER)
        if refusal is None:
            term.expect(tty(f"  đã lưu: {text} bar\n"))
        elif refusal.startswith("far:"):
            term.expect(tty("  " + refusal[4:] + "\n  Giữ giá trị này? (c: có, phím khác: nhập lại) "))
            term.type("k" + ENTER)
            term.expect(tty(REFUSED.format(refusal[4:])))
        else:
            term.expect(tty(REFUSED.format(refusal)))


def after(term):
    term.expect(re.compile(rb"  \xc4\x91\xc3\xa3 l\xc6\xb0u: 1 s\xe1\xbb\x91 \xc4\x91\xe1\xbb\x8dc"
                           rb" v\xc3\xa0o (\S+\.h5)\r\n"))
    term.expect(tty("  Enter: điểm tiếp theo · r: đo lại điểm này · n: ghi chú · a: dừng > "))
    term.type(ENTER)


def full_session(tmp, gauge, ctl, name, typed, wrong):
    out = os.path.join(tmp, name)
    os.mkdir(out)
    term = start(tmp, out, gauge)
    term.expect(tty("Kiểm định: Kiểm định áp kế kiểu lò xo 0 – 16 bar, cấp chính xác 1,6 (ĐLVN 08:2011)\n"
                    "Phương tiện đo được kiểm định: AK-2026-001\n"))
    term.expect(tty("Chu kỳ kiểm định (Áp kế kiểu lò xo): 12 tháng\n"))
    term.expect(tty("Thiết bị chuẩn báo: KELLER"))
    answer_checks(term, wrong)
    for i, nominal in enumerate(POINTS):
        entries = [(typed[i], None)]
        if wrong and i == 1:
            entries = [("abc", "'abc' không phải là số (chữ số, dấu thập phân là dấu chấm hoặc dấu phẩy)"),
                       ("4,15", "'4,15' có nhiều chữ số hơn độ phân giải 0.1 bar cho phép"),
                       ("16,5", "16,5 nằm ngoài phạm vi đo 0 đến 16 bar"),
                       ("9,5", "far:9.5 bar khác xa giá trị danh định 4 bar (quá 5 lần sai số lớn nhất cho phép)"),
                       ] + entries
        point(term, ctl, i + 1, nominal, entries)
        after(term)
    term.expect(tty("\nKiểm định xong. Tệp dữ liệu đo: "))
    m = term.expect(re.compile(rb"(\S+\.h5)\r\n"))
    run = m.group(1).decode()
    verdict = "ĐẠT" if name == "pass" else "KHÔNG ĐẠT"
    term.expect(tty(f"Kết luận chung: {verdict}\n"))
    rc = term.finish()
    if rc != 0:
        fail(f"{name}: the session ended with {rc}")
    return run


def killed_after_typed(tmp, gauge, ctl):
    out = os.path.join(tmp, "killed")
    os.mkdir(out)
    term = start(tmp, out, gauge)
    answer_checks(term, False)
    point(term, ctl, 1, 0, [("0", None)])
    after(term)
    point(term, ctl, 2, 4, [("4,1", None)])
    # the screen said "đã lưu: 4,1 bar": killed at once
    os.kill(term.pid, signal.SIGKILL)
    os.waitpid(term.pid, 0)
    os.close(term.fd)
    runs = [f for f in os.listdir(out) if f.endswith(".h5")]
    if len(runs) != 1:
        fail(f"killed: runs {runs}")
    run = os.path.join(out, runs[0])
    rest = os.path.join(tmp, "rest.typed")
    with open(rest, "w", encoding="utf-8") as f:
        for p in POINTS[2:]:
            f.write(f"{p},{p}\n")
    res = subprocess.run([CALDAQ, "session", "--resume", run, "--standards",
                          os.path.join(tmp, "reg.yaml"), "--ref-port", gauge, "--ref-set",
                          "preset=keller", "--ref-set", "stable_n=2", "--ref-set", "stable_s=0.01",
                          "--batch", "--sim-control", ctl, "--typed", rest, "--lang", "vi"],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        fail(f"killed: the resume ended with {res.returncode}:\n{res.stdout}{res.stderr}")
    if "Tiếp tục từ điểm 3/10" not in res.stdout:
        fail(f"killed: the resume did not start at point 3:\n{res.stdout}")
    f = h5py.File(run, "r")
    rd = f["readings"][...]
    typed = [r for r in rd if s(r["source"]) == "operator" and s(r["side"]) == "item"]
    at4 = [r for r in typed if int(r["point"]) == 1]
    if len(at4) != 1 or s(at4[0]["display"]) != "4,1" or float(at4[0]["value"]) != 4.1:
        fail(f"killed: the reading typed before the kill is not there once: {at4}")
    if len(typed) != N:
        fail(f"killed: {len(typed)} typed readings, not {N}")
    if s(f.attrs["status"]) != "complete":
        fail("killed: the resumed run is not complete")
    f.close()
    if subprocess.run([CALDAQ, "verify", run], capture_output=True).returncode != 0:
        fail("killed: the resumed run does not verify")


def certificates(tmp, passed, failed):
    lab = os.path.join(tmp, "lab.yaml")
    key = os.path.join(tmp, "lab.key")
    subprocess.run([CALDAQ, "cert", "--keygen", key], check=True, capture_output=True)
    text = open(os.path.join(ROOT, "examples/lab-example.yaml"), encoding="utf-8").read()
    text = re.sub(r"(?m)^signing_key: .*$", f"signing_key: {key}", text)
    text += f"\nverification_cycles: {os.path.join(ROOT, 'profiles/verification-cycles.yaml')}\n"
    open(lab, "w", encoding="utf-8").write(text)
    out = os.path.join(tmp, "certs")
    res = subprocess.run([CALDAQ, "cert", passed, "--lab", lab, "--out", out, "--stamp",
                          "TEM-2026-00123", "--customer", "Công ty TNHH Ví Dụ"],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        fail(f"cert of the passing run: {res.returncode}\n{res.stdout}{res.stderr}")
    pdfs = sorted(p for p in os.listdir(out) if p.endswith(".pdf") and "-record" not in p)
    if len(pdfs) != 1:
        fail(f"cert of the passing run: PDFs {os.listdir(out)}")
    pdf = os.path.join(out, pdfs[0])
    shown = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                           text=True).stdout
    today = datetime.date.today()
    try:
        until = today.replace(year=today.year + 1) - datetime.timedelta(days=1)
    except ValueError:          # 29 February
        until = datetime.date(today.year + 1, 3, 1) - datetime.timedelta(days=2)
    for want in ("GIẤY CHỨNG NHẬN KIỂM ĐỊNH", "TEM-2026-00123",
                 until.isoformat(), "Có hiệu lực đến", "ĐLVN 08:2011"):
        if want not in shown:
            fail(f"the verification certificate does not show {want!r}:\n{shown}")
    res = subprocess.run([CALDAQ, "verify", out, "--pub", key + ".pub"], capture_output=True,
                         text=True)
    if res.returncode != 0:
        fail(f"caldaq verify of the verification certificate: {res.stdout}{res.stderr}")
    out2 = os.path.join(tmp, "notice")
    res = subprocess.run([CALDAQ, "cert", failed, "--lab", lab, "--out", out2],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        fail(f"cert of the failing run: {res.returncode}\n{res.stdout}{res.stderr}")
    pdfs = sorted(p for p in os.listdir(out2) if p.endswith(".pdf") and "-record" not in p)
    shown = subprocess.run(["pdftotext", "-layout", os.path.join(out2, pdfs[0]), "-"],
                           capture_output=True, text=True).stdout
    if "KHÔNG ĐẠT" not in shown:
        fail(f"the notice of failure does not say KHÔNG ĐẠT:\n{shown}")
    res = subprocess.run([CALDAQ, "verify", out2, "--pub", key + ".pub"], capture_output=True,
                         text=True)
    if res.returncode != 0:
        fail(f"caldaq verify of the notice: {res.stdout}{res.stderr}")


def main():
    tmp = tempfile.mkdtemp(prefix="verification_tty.")
    sim = None
    try:
        text = open(os.path.join(ROOT, "tests/fixtures/standards/example-lab-fixed-dates.yaml"), encoding="utf-8").read()
        open(os.path.join(tmp, "reg.yaml"), "w", encoding="utf-8").write(
            re.sub(r"due: 20\d\d-", "due: 2099-", text))
        gauge, ctl = os.path.join(tmp, "gauge"), os.path.join(tmp, "gauge.ctl")
        sim = subprocess.Popen([CALDAQ, "sim", "modbus", "--port-link", gauge, "--control", ctl,
                                "--advance", "0", "--settle", "0", "--loads", "0", "--noise",
                                "0.0003", "--capacity", "25", "--seed", "5"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(gauge) and os.path.exists(ctl):
                break
            time.sleep(0.05)
        else:
            fail("the gauge simulator did not start")
        good = ["0", "4,1", "8", "12,1", "16", "15,9", "12", "7,9", "4", "0"]
        passed = full_session(tmp, gauge, ctl, "pass", good, True)
        high = ["0,4", "4,4", "8,4", "12,4", "15,6", "15,6", "12,4", "8,4", "4,4", "0,4"]
        failed = full_session(tmp, gauge, ctl, "fail", high, False)
        killed_after_typed(tmp, gauge, ctl)
        certificates(tmp, passed, failed)
    finally:
        if sim is not None:
            sim.kill()
            sim.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("verification_tty.py: ok")


if __name__ == "__main__":
    main()
