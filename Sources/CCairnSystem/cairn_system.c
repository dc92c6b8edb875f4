#include "cairn_system.h"
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>

/* jemalloc's control interface: present when the process runs on jemalloc (cairn-server is
   linked with it), a null weak reference otherwise (the tests and the offline tool). */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
    __attribute__((weak));

size_t cairn_malloc_used_bytes(void) {
    if (mallctl) {
        /* Blocks in this thread's cache count as allocated: return them first. */
        mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        /* Statistics are a snapshot refreshed by writing "epoch". */
        uint64_t epoch = 1;
        size_t length = sizeof(epoch);
        mallctl("epoch", &epoch, &length, &epoch, length);
        size_t allocated = 0;
        length = sizeof(allocated);
        if (mallctl("stats.allocated", &allocated, &length, NULL, 0) == 0) return allocated;
    }
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

int cairn_malloc_stats(size_t *allocated, size_t *active, size_t *resident) {
    if (!mallctl) return -1;
    uint64_t epoch = 1;
    size_t length = sizeof(epoch);
    mallctl("epoch", &epoch, &length, &epoch, length);
    length = sizeof(size_t);
    if (mallctl("stats.allocated", allocated, &length, NULL, 0) != 0) return -1;
    if (mallctl("stats.active", active, &length, NULL, 0) != 0) return -1;
    if (mallctl("stats.resident", resident, &length, NULL, 0) != 0) return -1;
    return 0;
}

const char *cairn_malloc_name(void) {
    static char name[64] = "libc";
    if (mallctl) {
        const char *version = NULL;
        size_t length = sizeof(version);
        if (mallctl("version", &version, &length, NULL, 0) == 0 && version) {
            /* "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c": Redis reports the first part. */
            size_t n = 0;
            while (version[n] && version[n] != '-' && n < 40) n++;
            memcpy(name, "jemalloc-", 9);
            memcpy(name + 9, version, n);
            name[9 + n] = 0;
        }
    }
    return name;
}

int cairn_malloc_background_thread(int enable) {
    if (!mallctl) return -1;
    _Bool value = enable != 0;
    return mallctl("background_thread", NULL, NULL, &value, sizeof(value)) == 0 ? 0 : -1;
}

long long cairn_thread_allocated_net(void) {
    static __thread uint64_t *allocated = NULL, *deallocated = NULL;
    if (!allocated) {
        if (!mallctl) return 0;
        size_t length = sizeof(allocated);
        if (mallctl("thread.allocatedp", &allocated, &length, NULL, 0) != 0) return 0;
        length = sizeof(deallocated);
        if (mallctl("thread.deallocatedp", &deallocated, &length, NULL, 0) != 0) { allocated = NULL; return 0; }
    }
    return (long long)(*allocated - *deallocated);
}

extern void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, const char *opts)
    __attribute__((weak));

struct report { char *text; size_t length, capacity; };

static void append_report(void *opaque, const char *part) {
    struct report *r = opaque;
    size_t n = strlen(part);
    if (r->length + n + 1 > r->capacity) {
        size_t capacity = (r->length + n + 1) * 2;
        char *grown = realloc(r->text, capacity);
        if (!grown) return;
        r->text = grown;
        r->capacity = capacity;
    }
    memcpy(r->text + r->length, part, n + 1);
    r->length += n;
}

char *cairn_malloc_stats_report(void) {
    if (!malloc_stats_print) return NULL;
    struct report r = {NULL, 0, 0};
    malloc_stats_print(append_report, &r, NULL);
    return r.text;
}

int cairn_malloc_purge(void) {
    if (!mallctl) return -1;
    mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
    /* 4096 is MALLCTL_ARENAS_ALL: every arena. */
    return mallctl("arena.4096.purge", NULL, NULL, NULL, 0) == 0 ? 0 : -1;
}

void cairn_malloc_flush_thread_cache(void) {
    if (mallctl) mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

size_t cairn_malloc_usable_size(void *block) { return malloc_usable_size(block); }

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

pid_t cairn_fork(void) { return fork(); }

/* Sums the Private_Dirty lines of /proc/self/smaps_rollup (or smaps): the memory a forked
   child has had to copy. Plain syscalls and a stack buffer: safe in a forked child. */
size_t cairn_private_dirty_bytes(void) {
    int fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[8192];
    size_t used = 0, total = 0;
    ssize_t n;
    while ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) > 0) used += (size_t)n;
    close(fd);
    buf[used] = 0;
    const char *key = "Private_Dirty:";
    for (char *p = strstr(buf, key); p; p = strstr(p + 1, key)) {
        char *q = p + strlen(key);
        while (*q == ' ') q++;
        size_t kb = 0;
        while (*q >= '0' && *q <= '9') kb = kb * 10 + (size_t)(*q++ - '0');
        total += kb * 1024;
    }
    return total;
}

#include <signal.h>
#include <sys/prctl.h>

int cairn_die_with_parent(pid_t parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return -1;
    /* The parent may have died between fork and prctl. */
    if (getppid() != parent) _exit(1);
    return 0;
}

#include <dirent.h>
#include <stdlib.h>
#include <sys/syscall.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static int close_range_or_loop(unsigned lo, unsigned hi) {
    if (lo > hi) return 0;
    if (syscall(SYS_close_range, lo, hi, 0) == 0) return 0;
    return -1;
}

void cairn_close_fds_except(int keep1, int keep2) {
    int a = keep1 < keep2 ? keep1 : keep2;
    int b = keep1 < keep2 ? keep2 : keep1;
    if (close_range_or_loop(3, (unsigned)a - 1) == 0 &&
        close_range_or_loop((unsigned)a + 1, (unsigned)b - 1) == 0 &&
        close_range_or_loop((unsigned)b + 1, ~0U) == 0) return;
    /* No close_range (kernel before 5.9): the descriptors /proc lists. */
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return;
    int dfd = dirfd(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != keep1 && fd != keep2 && fd != dfd) close(fd);
    }
    closedir(dir);
}
