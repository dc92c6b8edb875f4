#ifndef CAIRN_SYSTEM_H
#define CAIRN_SYSTEM_H
#include <stddef.h>

/* Bytes currently allocated through malloc: jemalloc's stats.allocated when the process runs
   on jemalloc (cairn-server does; the calling thread's cache flushed first), else glibc's
   mallinfo2 (arena bytes in use plus mmapped). */
size_t cairn_malloc_used_bytes(void);

/* The allocator, as INFO's mem_allocator names it: "jemalloc-5.3.0", or "libc". */
const char *cairn_malloc_name(void);

/* jemalloc's stats.allocated, stats.active and stats.resident (INFO memory's allocator_*
   fields); -1 without jemalloc. */
int cairn_malloc_stats(size_t *allocated, size_t *active, size_t *resident);

/* Turns jemalloc's background thread on or off (Redis's jemalloc-bg-thread): it returns the
   pages of freed memory to the system after their decay time even while the process makes
   no allocation. 0 when done, -1 when the process does not run on jemalloc. */
int cairn_malloc_background_thread(int enable);

/* Bytes this thread has allocated minus the bytes it has freed, since it started (jemalloc's
   thread.allocated and thread.deallocated: two loads, no locking); 0 without jemalloc. The
   engine adds the change in it to a refreshed stats.allocated to know its memory between
   refreshes without jemalloc's costly statistics merge on every command. */
long long cairn_thread_allocated_net(void);

/* Returns the blocks this thread's jemalloc cache holds to their arenas (a no-op without
   jemalloc): stats.allocated counts cached blocks as in use, so a reading of it is only
   as true as the caches are small. */
void cairn_malloc_flush_thread_cache(void);

/* jemalloc's statistics report (malloc_stats_print), malloc'd for the caller to free; NULL
   without jemalloc. MEMORY MALLOC-STATS. */
char *cairn_malloc_stats_report(void);

/* Returns the dirty pages of every arena to the system (MEMORY PURGE); -1 without jemalloc. */
int cairn_malloc_purge(void);

/* The room in a malloc'd block (the packed collections grow into it). */
size_t cairn_malloc_usable_size(void *block);

/* Asks the CPU to bring the cache line at `address` in ahead of its use (a hint: never
   faults). The key tables prefetch the slots and entries of a pipeline's keys. */
static inline void cairn_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#include <sys/types.h>

/* fork(2), which Swift's Glibc overlay does not offer. */
pid_t cairn_fork(void);

/* The process's Private_Dirty bytes (/proc/self/smaps_rollup): in a forked child, what
   copy-on-write has copied. Async-signal-safe enough for a child of a threaded parent. */
size_t cairn_private_dirty_bytes(void);

/* In a forked child: be killed (SIGKILL) when the parent dies, so that a crashed
   server leaves no snapshot child behind to rename files into a restarted one's
   directory. Exits at once if the parent `parent` is already gone. */
int cairn_die_with_parent(pid_t parent);

/* In a forked child: close every inherited descriptor above 2 but `keep1` and `keep2`
   (listening and client sockets, the log), so that the child holds no connection open
   after the server closes it and no port after the server stops. */
void cairn_close_fds_except(int keep1, int keep2);

#endif
