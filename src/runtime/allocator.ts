// Keeps glibc from handing freed heap memory back to the kernel after every burst of socket reads.
//
// Node allocates a fresh 64 KiB buffer for every socket read; a 64 MiB blob is a thousand of them,
// freed together by the next GC. With glibc's default trim threshold (128 KiB) that freed memory is
// returned to the kernel at once and faulted back in page by page on the next blob: about 5,000
// page faults and 100-250 ms of CPU per 64 MiB on this project's VMs, four times what reading the
// bytes costs (measured with bench/driver-vs-wrk.ts; MALLOC_TRIM_THRESHOLD_ makes it vanish).
//
// Node has no mallopt(); glibc's own dynamic threshold does the job: freeing an mmap()ed block of
// up to 32 MiB raises the mmap threshold to its size and the trim threshold to twice that. One
// synchronous 32 MiB malloc/free (a string written to /dev/null goes through a temporary native
// copy) sets it for the life of the process. Elsewhere (musl, macOS, Windows) nothing happens.
import { closeSync, openSync, writeSync } from 'node:fs';

/** glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit, less room for the chunk header. */
const BLOCK_BYTES = 32 * 1024 * 1024 - 64 * 1024;

let tuned = false;

/** Idempotent; returns whether the tuning ran (false when already done or not on Linux). */
export function keepFreedHeapMemory(): boolean {
  if (tuned || process.platform !== 'linux' || process.env.MALLOC_TRIM_THRESHOLD_ !== undefined) return false;
  tuned = true;
  let fd: number | undefined;
  try {
    fd = openSync('/dev/null', 'w');
    writeSync(fd, 'x'.repeat(BLOCK_BYTES), null, 'latin1');
    return true;
  } catch {
    return false; // a missing /dev/null costs speed, never correctness
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
