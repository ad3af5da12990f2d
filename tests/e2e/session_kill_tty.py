"""End to end: what the screen calls saved survives kill -9.

Run by session_kill_tty.sh with /usr/bin/python3 (stdlib + h5py), CALDAQ the
binary. At the bench, through a real pseudo-terminal (the Term of
session_tty.py), a technician measures points 1 to 4 of the short class II
plan, adds a note (n) after point 4 and is told "note saved in the run's
log", then skips point 5 (s) and is told "point skipped (recorded in the
run's log)". At the prompt of point 6 the session is killed with SIGKILL:
neither the note nor the skip had reached a snapshot (no point was finished
since), only the journal. `caldaq show` reports them waiting in the
journal; resumed (batch, against the same simulator), the session brings
both back into the run's audit log in their order, does not ask for the
skipped point again ("Resuming at point 6 of 6") and completes; the run
verifies and has no reading at point 5.
"""
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
from session_tty import (CALDAQ, ENTER, N_POINTS, ROOT, TEXT, Term, control,  # noqa: E402
                         short_profile, tty)


def fail(msg):
    raise SystemExit(f"session_kill_tty.py: {msg}")


NOTE = "quả cân gắp bằng kẹp, nhiệt độ 21,3 °C"


def killed_after_note_and_skip(tmp, profile, port, ctl):
    t = TEXT["en"]
    out = os.path.join(tmp, "runs")
    os.mkdir(out)
    term = Term([CALDAQ, "session", "--profile", profile, "--port", port, "--out", out,
                 "--standards", os.path.join(tmp, "reg.yaml"), "--lang", "en",
                 "--env", "21.5,50", "--operator", "Nguyễn Thị C"])

    def prompt(number, text):
        term.expect(tty(f"\n[{number}/{N_POINTS}] {t['points'][text]}{t['ready']}"))

    # 1: repeatability, two readings.
    prompt(1, 0)
    control(ctl, "load 100")
    term.type(ENTER)
    term.expect(tty(f"\r  100.000 g{t['stable']}"))
    prompt(1, 1)
    term.type(ENTER)
    m = term.expect(re.compile(re.escape(out.encode()) + rb"/[^/\s]+\.h5(?=\r\n)"))
    run = m.group(0).decode()
    term.expect(tty(t["after"]))
    term.type(ENTER)
    # 2, 3: eccentricity; 4: zero, then the note.
    for number, load in ((2, "100"), (3, "100"), (4, "0")):
        prompt(number, number)
        control(ctl, f"load {load}")
        term.type(ENTER)
        term.expect(tty(t["saved"].format(n=1, run=run) + t["after"]))
        if number < 4:
            term.type(ENTER)
    term.type("n" + ENTER)
    term.expect(tty(t["note_prompt"]))
    term.type(NOTE + ENTER)
    term.expect(tty(t["note_saved"] + t["after"]))
    term.type(ENTER)
    # 5: skipped.
    prompt(5, 5)
    term.type("s" + ENTER)
    term.expect(tty(t["skipped"]))
    # 6: the prompt; killed there.
    prompt(6, 6)
    os.kill(term.pid, signal.SIGKILL)
    _, status = os.waitpid(term.pid, 0)
    os.close(term.fd)
    if not os.WIFSIGNALED(status):
        fail(f"the session was not killed: status {status}")
    return run


def audit_of(run):
    with h5py.File(run, "r") as f:
        return [w.decode("utf-8") for w in f["audit"]["what"]]


def main():
    tmp = tempfile.mkdtemp()
    sim = None
    try:
        reg = open(os.path.join(ROOT, "tests/fixtures/standards/example-lab-fixed-dates.yaml"), encoding="utf-8").read()
        open(os.path.join(tmp, "reg.yaml"), "w", encoding="utf-8").write(
            re.sub(r"due: 20[0-9][0-9]-", "due: 2099-", reg))
        profile = os.path.join(tmp, "short.yaml")
        short_profile(profile)
        port, ctl = os.path.join(tmp, "bal"), os.path.join(tmp, "ctl")
        sim = subprocess.Popen([CALDAQ, "sim", "mtsics", "--port-link", port, "--control", ctl,
                                "--loads", "0", "--noise", "0", "--resolution", "0.001",
                                "--settle", "0", "--advance", "0", "--set", "serial=TTY-0042"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(port) and os.path.exists(ctl):
                break
            time.sleep(0.05)
        else:
            fail("the simulator did not start")

        run = killed_after_note_and_skip(tmp, profile, port, ctl)
        note = f"note at point 4: {NOTE}"
        skip = "point 5 (error-up 100 g) skipped by the operator"
        before = audit_of(run)
        if note in before or skip in before:
            fail(f"the note or the skip reached a snapshot: the test proves nothing: {before}")
        show = subprocess.run([CALDAQ, "show", run], capture_output=True, text=True, timeout=60)

        resumed = subprocess.run([CALDAQ, "session", "--resume", run, "--port", port,
                                  "--standards", os.path.join(tmp, "reg.yaml"), "--batch",
                                  "--sim-control", ctl, "--lang", "en"],
                                 capture_output=True, text=True, timeout=120)
        if resumed.returncode != 0:
            fail(f"resume: status {resumed.returncode}\n{resumed.stdout}{resumed.stderr}")
        audit = audit_of(run)
        for want in (note, skip):
            if want not in audit:
                fail(f"after the resume the run lacks {want!r}: {audit}")
        if f"Resuming at point 6 of {N_POINTS}\n" not in resumed.stdout:
            fail(f"the skipped point is asked again:\n{resumed.stdout}")
        if not audit.index(note) < audit.index(skip) < len(before) + 2:
            fail(f"the recovered entries are not where they were made: {audit}")
        resumed_entry = [w for w in audit if w.startswith("run resumed by caldaq")]
        if resumed_entry != ["run resumed by caldaq (0 readings recovered from the journal; "
                             "2 audit entries recovered)"]:
            fail(f"the resume's entry: {resumed_entry}")
        if "2 audit entries not in the file" not in show.stdout:
            fail(f"caldaq show did not report the journalled entries:\n{show.stdout}")
        with h5py.File(run, "r") as f:
            if f.attrs["status"] != "complete":
                fail(f"run status {f.attrs['status']}")
            if any(r["point"] == 4 for r in f["readings"][...]):
                fail("readings at the skipped point 5")
            doc = json.loads(f["results"]["v1"][()])
        if doc["verdict"] != "incomplete":
            fail(f"verdict {doc['verdict']} with point 5 skipped")
        verify = subprocess.run([CALDAQ, "verify", run], capture_output=True, text=True,
                                timeout=60)
        if verify.returncode != 0:
            fail(f"the resumed run does not verify: {verify.stdout}{verify.stderr}")
        print("  killed after a note and a skip the screen called saved: both in the run "
              "after the resume, the skipped point not asked again")
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("session_kill_tty.py: ok")


if __name__ == "__main__":
    main()
