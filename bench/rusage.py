"""Runs one command and prints {"wall_ms": ..., "maxrss_kb": ..., "status": ...} as JSON.

ru_maxrss of a waited-for child covers its whole life, including the part before an execve (Linux keeps
the high-water mark of the replaced memory map), so it measures vaultenv's peak, not only /bin/true's.
"""
import json, os, sys, time

start = time.perf_counter()
pid = os.fork()
if pid == 0:
    # The measured command's output is not ours to print: our stdout carries the JSON line.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall_ms = (time.perf_counter() - start) * 1000
print(json.dumps({"wall_ms": wall_ms, "maxrss_kb": usage.ru_maxrss, "status": os.waitstatus_to_exitcode(status)}))
