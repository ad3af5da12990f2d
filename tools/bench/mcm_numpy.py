#!/usr/bin/python3
"""The baseline for bench_mcm: JCGM 101 clause 9.3 (mass calibration) with
10^6 Monte Carlo trials (or TRIALS, the first argument; REPS the second), written the way an honest numpy user writes it:
vectorised draws from numpy.random.default_rng, the model on whole arrays,
np.sort, and the coverage intervals of JCGM 101 7.7 by vectorised
differences. Best wall-clock time of several repetitions (time.perf_counter).

Human-readable lines first, then `BENCH key=value` lines for tools/bench/run;
for a count other than 10^6 each key ends in _TRIALS (numpy_mcm_s_10000000),
as bench_mcm's do.
Runs under Debian's /usr/bin/python3 with python3-numpy (tools/install-deps
--bench installs it)."""

import math
import sys
import time

try:
    import numpy as np
except ImportError:
    sys.exit("mcm_numpy.py: numpy is missing; run tools/install-deps --bench")

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 10**6
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
P = 0.95  # the coverage probability of JCGM 101 9.3
SEED = 1

RHO_A0 = 1.2
M_NOM = 100000.0


def mcm(rng, M, p):
    """One Monte Carlo run: draws, model, mean, u, both intervals."""
    mRc = rng.normal(100000.0, 0.05, M)
    dmRc = rng.normal(1.234, 0.02, M)
    rho_a = rng.uniform(1.2 - 0.1, 1.2 + 0.1, M)
    rho_W = rng.uniform(8000.0 - 1000.0, 8000.0 + 1000.0, M)
    rho_R = rng.uniform(8000.0 - 50.0, 8000.0 + 50.0, M)
    y = (mRc + dmRc) * (1 + (rho_a - RHO_A0) * (1 / rho_W - 1 / rho_R)) - M_NOM

    mean = y.mean()
    u = y.std(ddof=1)

    ys = np.sort(y)
    # JCGM 101 7.7.1: q = pM when whole, else the integer part of pM + 1/2.
    q = int(math.floor(p * M + 0.5))
    # 7.7.2: r = (M - q)/2 when whole, else the integer part of (M - q + 1)/2;
    # endpoints y(r), y(r+q) with 1-based ranks.
    tail = M - q
    r = tail // 2 if tail % 2 == 0 else (tail + 1) // 2
    sym = (ys[r - 1], ys[r - 1 + q])
    # 7.7.3: the r* in 1..M-q minimising y(r+q) - y(r).
    k = int(np.argmin(ys[q:] - ys[:tail]))
    short = (ys[k], ys[k + q])
    return mean, u, sym, short


def main():
    best = math.inf
    fig = None
    rng = np.random.default_rng(SEED)
    mcm(rng, TRIALS, P)  # warm-up: page faults, caches
    for _ in range(REPS):
        t0 = time.perf_counter()
        fig = mcm(rng, TRIALS, P)
        t = time.perf_counter() - t0
        best = min(best, t)
    mean, u, sym, short = fig
    print(f"numpy {np.__version__}, {TRIALS} trials, p = {P:.2f}")
    print(f"  dm = {mean:.5f} mg, u = {u:.5f} mg")
    print(f"  symmetric interval [{sym[0]:.5f}, {sym[1]:.5f}] mg")
    print(f"  shortest interval  [{short[0]:.5f}, {short[1]:.5f}] mg")
    print(f"numpy mcm {TRIALS} trials, 1 thread: {best:.4f} s (best of {REPS})")
    sfx = "" if TRIALS == 10**6 else f"_{TRIALS}"
    print(f"BENCH numpy_mcm_s{sfx}={best:.6f}")
    print(f"BENCH numpy_y{sfx}={mean:.6f}")
    print(f"BENCH numpy_u{sfx}={u:.6f}")
    print(f"BENCH numpy_sym_low{sfx}={sym[0]:.6f}")
    print(f"BENCH numpy_sym_high{sfx}={sym[1]:.6f}")
    print(f"BENCH numpy_short_low{sfx}={short[0]:.6f}")
    print(f"BENCH numpy_short_high{sfx}={short[1]:.6f}")


if __name__ == "__main__":
    main()
