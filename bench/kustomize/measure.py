#!/usr/bin/env python3
"""bench/kustomize/measure.py ROUNDS OUT CMD...: runs CMD ROUNDS times (stdout to OUT, stderr
discarded) and prints "median_ms min_ms cpu_ms peak_rss_kib": the median and best wall time of
the runs, the median CPU time (user + system), and the largest peak RSS of the child (ru_maxrss
from wait4). Exits 1 if a run fails."""
import os
import statistics
import subprocess
import sys
import time


def main():
    rounds, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    walls, cpus, peak = [], [], 0
    for _ in range(rounds):
        with open(out, "wb") as o:
            t = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=o, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            walls.append((time.perf_counter() - t) * 1000)
        if status != 0:
            print("measure: %s failed (status %d)" % (" ".join(cmd), status), file=sys.stderr)
            return 1
        peak = max(peak, ru.ru_maxrss)
        cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
    print("%.1f %.1f %.1f %d" % (statistics.median(walls), min(walls), statistics.median(cpus), peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
