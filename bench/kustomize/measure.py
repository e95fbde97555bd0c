#!/usr/bin/env python3
"""bench/kustomize/measure.py ROUNDS OUT CMD...: runs CMD ROUNDS times (stdout to OUT, stderr
discarded) and prints "median_ms min_ms cpu_ms peak_rss_kib": the median and best wall time of
the runs, the median CPU time (user + system), and the largest peak RSS of CMD. Exits 1 if a run
fails.

The peak comes from GNU time (/usr/bin/time -f %M), not from this process's wait4: Linux keeps a
process's ru_maxrss across exec, so a child forked from Python starts with Python's own resident
size (about 14 MiB), a floor above the whole peak of a small `eddy kustomize build`. GNU time
forks CMD from a process of about 1 MiB."""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    rounds, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    walls, cpus, peak = [], [], 0
    with tempfile.NamedTemporaryFile(mode="r") as rss:
        timed = ["/usr/bin/time", "-f", "%M", "-o", rss.name] + cmd
        for _ in range(rounds):
            with open(out, "wb") as o:
                t = time.perf_counter()
                p = subprocess.Popen(timed, stdout=o, stderr=subprocess.DEVNULL)
                _, status, ru = os.wait4(p.pid, 0)
                walls.append((time.perf_counter() - t) * 1000)
            if status != 0:
                print("measure: %s failed (status %d)" % (" ".join(cmd), status), file=sys.stderr)
                return 1
            rss.seek(0)
            peak = max(peak, int(rss.read().split()[-1]))
            cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
    print("%.1f %.1f %.1f %d" % (statistics.median(walls), min(walls), statistics.median(cpus), peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
