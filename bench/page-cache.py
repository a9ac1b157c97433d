"""Drops the files named on the command line from the page cache (posix_fadvise DONTNEED), so that the
next process to map one reads it back from disk, as a process does whose binary comes from a container
image. Files still mapped or dirty may stay; that is fine for a benchmark's warm-up."""
import os, sys

for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
