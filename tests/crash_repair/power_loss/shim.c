/* The write log of the power-loss simulator: an LD_PRELOAD shim that records every write, sync
 * and truncation a process makes on one file, for tests/power_loss to build crash images from.
 *
 * AVIKIT_WRITELOG_TARGET  the file to watch, as /proc/self/fd/N reads it (an absolute path with
 *                         no symbolic links).
 * AVIKIT_WRITELOG         the log, appended to: one record per call that changed the file.
 *
 * A record is a 48-byte head (little-endian, the layout of `struct record`), followed for writes
 * by the bytes the call wrote. Descriptors are matched lazily, at each call, by reading the link
 * /proc/self/fd/N: nothing has to see the open, and a reused descriptor number is never confused
 * with a closed one. Calls on the target are serialized under one lock with their record, so the
 * log's order is the order in which the calls ran. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum kind { KIND_WRITE = 1, KIND_SYNC = 2, KIND_TRUNCATE = 3 };

/* Which call made a record (for diagnostics: every write kind replays the same way). */
enum call {
    CALL_PWRITE = 1, CALL_PWRITE64, CALL_PWRITEV, CALL_PWRITEV64, CALL_PWRITEV2, CALL_PWRITEV64V2,
    CALL_WRITE, CALL_WRITEV, CALL_FSYNC, CALL_FDATASYNC, CALL_FTRUNCATE, CALL_FTRUNCATE64
};

struct record {
    uint32_t kind;
    uint32_t call;
    int32_t fd;
    uint32_t ok;        /* 1: the call succeeded (a write: `length` bytes landed) */
    int64_t offset;     /* writes: file position of the first byte; truncation: the new length */
    uint64_t length;    /* bytes that follow the head */
    uint64_t start_ns;  /* CLOCK_MONOTONIC before and after the call */
    uint64_t end_ns;
};

_Static_assert(sizeof(struct record) == 48, "the Rust reader expects a 48-byte head");

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;

/* The real functions, looked up once (dlsym may allocate; none of them is called from it). */
#define REAL(name, ret, ...)                                                                    \
    static ret (*real_##name)(__VA_ARGS__);                                                     \
    static ret (*resolve_##name(void))(__VA_ARGS__) {                                           \
        if (!real_##name) real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);          \
        return real_##name;                                                                     \
    }

REAL(pwrite, ssize_t, int, const void *, size_t, off_t)
REAL(pwrite64, ssize_t, int, const void *, size_t, off64_t)
REAL(pwritev, ssize_t, int, const struct iovec *, int, off_t)
REAL(pwritev64, ssize_t, int, const struct iovec *, int, off64_t)
REAL(pwritev2, ssize_t, int, const struct iovec *, int, off_t, int)
REAL(pwritev64v2, ssize_t, int, const struct iovec *, int, off64_t, int)
REAL(write, ssize_t, int, const void *, size_t)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(fsync, int, int)
REAL(fdatasync, int, int)
REAL(ftruncate, int, int, off_t)
REAL(ftruncate64, int, int, off64_t)

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Whether `fd` is the watched file. Keeps errno as the caller left it. */
static int is_target(int fd) {
    const char *target = getenv("AVIKIT_WRITELOG_TARGET");
    if (!target || fd < 0) return 0;
    int saved = errno;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    errno = saved;
    if (n <= 0) return 0;
    path[n] = 0;
    return strcmp(path, target) == 0;
}

static void log_bytes(const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t n = resolve_write()(log_fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) abort(); /* a log with a hole would make every crash image wrong */
        p += n;
        len -= (size_t)n;
    }
}

/* Appends a record; called with `lock` held. `iov` holds the written bytes (the first
 * `rec->length` of them). */
static void log_record(struct record *rec, const struct iovec *iov, int iovcnt) {
    if (log_fd < 0) {
        const char *path = getenv("AVIKIT_WRITELOG");
        if (!path) abort();
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0) abort();
    }
    log_bytes(rec, sizeof *rec);
    uint64_t left = rec->length;
    for (int i = 0; i < iovcnt && left > 0; i++) {
        size_t take = iov[i].iov_len < left ? iov[i].iov_len : (size_t)left;
        log_bytes(iov[i].iov_base, take);
        left -= take;
    }
}

/* Runs `CALL` (an expression giving ssize_t) on the target under the lock and records it as a
 * write of the bytes in `IOV` at `OFFSET` (an expression evaluated after the call, so plain
 * writes can ask the file position). Other descriptors get the call alone. */
#define LOGGED_WRITE(FD, CALLID, OFFSET, IOV, IOVCNT, CALL)                                     \
    do {                                                                                        \
        if (!is_target(FD)) return (CALL);                                                      \
        pthread_mutex_lock(&lock);                                                              \
        struct record rec = {KIND_WRITE, CALLID, FD, 0, 0, 0, now_ns(), 0};                     \
        ssize_t ret = (CALL);                                                                   \
        int saved = errno;                                                                      \
        rec.end_ns = now_ns();                                                                  \
        if (ret > 0) {                                                                          \
            rec.ok = 1;                                                                         \
            rec.offset = (int64_t)(OFFSET);                                                     \
            rec.length = (uint64_t)ret;                                                         \
            log_record(&rec, IOV, IOVCNT);                                                      \
        }                                                                                       \
        pthread_mutex_unlock(&lock);                                                            \
        errno = saved;                                                                          \
        return ret;                                                                             \
    } while (0)

/* Where the bytes of a plain write (at the file position) went: the position it left, less
 * what it wrote. */
static off64_t position_before(int fd, ssize_t written) {
    return lseek64(fd, 0, SEEK_CUR) - written;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    struct iovec iov = {(void *)buf, n};
    LOGGED_WRITE(fd, CALL_PWRITE, offset, &iov, 1, resolve_pwrite()(fd, buf, n, offset));
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
    struct iovec iov = {(void *)buf, n};
    LOGGED_WRITE(fd, CALL_PWRITE64, offset, &iov, 1, resolve_pwrite64()(fd, buf, n, offset));
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t offset) {
    LOGGED_WRITE(fd, CALL_PWRITEV, offset, iov, cnt, resolve_pwritev()(fd, iov, cnt, offset));
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t offset) {
    LOGGED_WRITE(fd, CALL_PWRITEV64, offset, iov, cnt,
                 resolve_pwritev64()(fd, iov, cnt, offset));
}

/* An offset of -1 writes at the file position, like writev. */
ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t offset, int flags) {
    LOGGED_WRITE(fd, CALL_PWRITEV2, offset == -1 ? position_before(fd, ret) : offset, iov, cnt,
                 resolve_pwritev2()(fd, iov, cnt, offset, flags));
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t offset, int flags) {
    LOGGED_WRITE(fd, CALL_PWRITEV64V2, offset == -1 ? position_before(fd, ret) : offset, iov,
                 cnt, resolve_pwritev64v2()(fd, iov, cnt, offset, flags));
}

ssize_t write(int fd, const void *buf, size_t n) {
    struct iovec iov = {(void *)buf, n};
    LOGGED_WRITE(fd, CALL_WRITE, position_before(fd, ret), &iov, 1, resolve_write()(fd, buf, n));
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    LOGGED_WRITE(fd, CALL_WRITEV, position_before(fd, ret), iov, cnt,
                 resolve_writev()(fd, iov, cnt));
}

/* Runs a sync or truncation on the target under the lock and records it, failed or not. */
static int logged_other(int fd, uint32_t kind, uint32_t call, int64_t offset, int (*run)(int, int64_t)) {
    if (!is_target(fd)) return run(fd, offset);
    pthread_mutex_lock(&lock);
    struct record rec = {kind, call, fd, 0, offset, 0, now_ns(), 0};
    int ret = run(fd, offset);
    int saved = errno;
    rec.end_ns = now_ns();
    rec.ok = ret == 0;
    log_record(&rec, NULL, 0);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return ret;
}

static int run_fsync(int fd, int64_t unused) { (void)unused; return resolve_fsync()(fd); }
static int run_fdatasync(int fd, int64_t unused) { (void)unused; return resolve_fdatasync()(fd); }
static int run_ftruncate(int fd, int64_t len) { return resolve_ftruncate()(fd, (off_t)len); }
static int run_ftruncate64(int fd, int64_t len) { return resolve_ftruncate64()(fd, (off64_t)len); }

int fsync(int fd) { return logged_other(fd, KIND_SYNC, CALL_FSYNC, 0, run_fsync); }
int fdatasync(int fd) { return logged_other(fd, KIND_SYNC, CALL_FDATASYNC, 0, run_fdatasync); }
int ftruncate(int fd, off_t len) {
    return logged_other(fd, KIND_TRUNCATE, CALL_FTRUNCATE, len, run_ftruncate);
}
int ftruncate64(int fd, off64_t len) {
    return logged_other(fd, KIND_TRUNCATE, CALL_FTRUNCATE64, len, run_ftruncate64);
}
