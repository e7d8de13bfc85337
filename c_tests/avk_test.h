/*
 * Shared helpers of the avikit C/C++ tests: CHECK macros, temporary paths, and deterministic
 * DIB frames and PCM blocks. Include it before any other header (it selects POSIX 2008).
 *
 * Every CHECK counts; a failing one prints file:line, the expression, the status names and the
 * library's last error message of the calling thread, then ends the process with exit code 1
 * (from any thread, also from inside a callback). Output files are kept on failure.
 */
#ifndef AVK_TEST_H
#define AVK_TEST_H

#if !defined(__cplusplus) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <avikit.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- counting and failing ------------------------------------------------------------------ */

static unsigned long avk_test_checks_passed;

static inline void avk_test_pass(void) {
    __atomic_fetch_add(&avk_test_checks_passed, 1UL, __ATOMIC_RELAXED);
}

/* The last error message of the calling thread, for reports (truncated to `cap`). */
static inline const char *avk_test_last_error(char *buf, size_t cap) {
    avk_last_error_message(buf, cap);
    return buf;
}

static inline void avk_test_fail(const char *file, int line, const char *what) {
    char msg[1024];
    fprintf(stderr, "%s:%d: FAILED: %s\n    last error on this thread: \"%s\"\n", file, line, what,
            avk_test_last_error(msg, sizeof msg));
    fprintf(stderr, "%lu passed, 1 failed\n",
            __atomic_load_n(&avk_test_checks_passed, __ATOMIC_RELAXED));
    fflush(stdout);
    fflush(stderr);
    /* _Exit: no atexit handlers while library threads may still run. */
    _Exit(1);
}

/* After a failed call: the thread's message is non-empty, the returned length is strlen + 1,
   and a short buffer gets a NUL-terminated prefix. */
static inline void avk_test_check_error_message(const char *file, int line, const char *expr) {
    char full[4096];
    char what[4600];
    size_t needed = avk_last_error_message(NULL, 0);
    size_t copied = avk_last_error_message(full, sizeof full);
    char small[6];
    char one[1];
    size_t n_small;
    if (needed < 2 || copied != needed) {
        snprintf(what, sizeof what, "%s: last error message empty or inconsistent lengths "
                 "(NULL,0 -> %zu, full buffer -> %zu)", expr, needed, copied);
        avk_test_fail(file, line, what);
    }
    if (needed <= sizeof full && strlen(full) + 1 != needed) {
        snprintf(what, sizeof what, "%s: last error message returned %zu but strlen+1 is %zu",
                 expr, needed, strlen(full) + 1);
        avk_test_fail(file, line, what);
    }
    memset(small, 'x', sizeof small);
    n_small = avk_last_error_message(small, sizeof small);
    if (n_small != needed || memchr(small, '\0', sizeof small) == NULL ||
        strncmp(small, full, strlen(small)) != 0 ||
        strlen(small) != (needed - 1 < sizeof small - 1 ? needed - 1 : sizeof small - 1)) {
        snprintf(what, sizeof what, "%s: truncated last error message is not a NUL-terminated "
                 "prefix (returned %zu)", expr, n_small);
        avk_test_fail(file, line, what);
    }
    one[0] = 'x';
    if (avk_last_error_message(one, 1) != needed || one[0] != '\0') {
        snprintf(what, sizeof what, "%s: 1-byte buffer did not get a lone NUL", expr);
        avk_test_fail(file, line, what);
    }
    avk_test_pass();
}

static inline avk_status avk_test_status(const char *file, int line, const char *expr,
                                         avk_status got, avk_status want) {
    if (got != want) {
        char what[1024];
        snprintf(what, sizeof what, "%s returned %s (%d), expected %s (%d)", expr,
                 avk_status_name(got), (int)got, avk_status_name(want), (int)want);
        avk_test_fail(file, line, what);
    }
    avk_test_pass();
    if (want != AVK_OK) {
        avk_test_check_error_message(file, line, expr);
    }
    return got;
}

/* A boolean condition. */
#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            avk_test_fail(__FILE__, __LINE__, "CHECK(" #cond ")");                              \
        }                                                                                       \
        avk_test_pass();                                                                        \
    } while (0)

/* Two integers are equal; prints both. */
#define CHECK_EQ(a, b)                                                                          \
    do {                                                                                        \
        long long avk_a_ = (long long)(a), avk_b_ = (long long)(b);                             \
        if (avk_a_ != avk_b_) {                                                                 \
            char avk_w_[512];                                                                   \
            snprintf(avk_w_, sizeof avk_w_, "CHECK_EQ(%s, %s): %lld != %lld", #a, #b, avk_a_,   \
                     avk_b_);                                                                   \
            avk_test_fail(__FILE__, __LINE__, avk_w_);                                          \
        }                                                                                       \
        avk_test_pass();                                                                        \
    } while (0)

/* A call returns `want`; for a failure also checks the last error message contract. */
#define CHECK_STATUS(expr, want) avk_test_status(__FILE__, __LINE__, #expr, (expr), (want))
#define CHECK_OK(expr) CHECK_STATUS(expr, AVK_OK)

/* A status variable holds `want` (no message check: the call may have run on another thread). */
#define CHECK_STATUS_VALUE(value, want)                                                         \
    do {                                                                                        \
        avk_status avk_v_ = (value);                                                            \
        if (avk_v_ != (want)) {                                                                 \
            char avk_w_[512];                                                                   \
            snprintf(avk_w_, sizeof avk_w_, "%s is %s (%d), expected %s", #value,               \
                     avk_status_name(avk_v_), (int)avk_v_, avk_status_name(want));              \
            avk_test_fail(__FILE__, __LINE__, avk_w_);                                          \
        }                                                                                       \
        avk_test_pass();                                                                        \
    } while (0)

/* The final summary line; returns the process exit code. */
static inline int avk_test_summary(const char *name) {
    printf("%s: %lu passed, 0 failed\n", name,
           __atomic_load_n(&avk_test_checks_passed, __ATOMIC_RELAXED));
    fflush(stdout);
    return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

/* The directory for output files: $AVK_TEST_DIR (set by ctest to a folder of the build
   directory), else $TMPDIR, else /tmp. */
static inline const char *avk_test_dir(void) {
    const char *dir = getenv("AVK_TEST_DIR");
    if (dir == NULL || dir[0] == '\0') {
        dir = getenv("TMPDIR");
    }
    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }
    return dir;
}

/* Writes "<dir>/<name>-<pid>.avi" into `out`. */
static inline const char *avk_test_path(char *out, size_t cap, const char *name) {
    int n = snprintf(out, cap, "%s/%s-%ld.avi", avk_test_dir(), name, (long)getpid());
    if (n < 0 || (size_t)n >= cap) {
        avk_test_fail(__FILE__, __LINE__, "temporary path too long");
    }
    return out;
}

/* Reads a whole file; NULL if it cannot. The caller frees the buffer. */
static inline uint8_t *avk_test_read_file(const char *path, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t cap = 0, len = 0;
    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        size_t got;
        if (len == cap) {
            uint8_t *bigger;
            cap = cap ? cap * 2 : 1 << 16;
            bigger = (uint8_t *)realloc(data, cap);
            if (bigger == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = bigger;
        }
        got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            break;
        }
    }
    fclose(f);
    *out_len = len;
    return data;
}

static inline uint64_t avk_test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline void avk_test_sleep_ms(unsigned ms) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    nanosleep(&ts, NULL);
}

/* ---- a custom sink with a gate ---------------------------------------------------------------- */

/* An avk_io sink whose write_at can hold the calling (worker) thread on a gate, so tests can make
   operations wait deterministically. It counts write_at and close calls and, with `record` set,
   keeps the written bytes in memory (data/len, zero-filled gaps; freed by
   avk_test_gate_destroy). Use: avk_test_gate_init, avk_test_gate_io for the avk_io,
   avk_test_gate_set(g, 1) to close the gate, avk_test_gate_wait_blocked to wait until a write_at
   is held, avk_test_gate_set(g, 0) to let it go. */
typedef struct avk_test_gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int closed;      /* write_at waits while set */
    int blocked;     /* a write_at is waiting at the gate (cleared when the gate opens) */
    int write_calls; /* under mu */
    int close_calls; /* atomic */
    int record;      /* set after init to keep the bytes */
    uint8_t *data;
    size_t len, cap;
} avk_test_gate;

static inline int32_t avk_test_gate_write_at(void *user, uint64_t offset, const uint8_t *data,
                                             size_t len) {
    avk_test_gate *g = (avk_test_gate *)user;
    pthread_mutex_lock(&g->mu);
    g->write_calls++;
    while (g->closed) {
        g->blocked = 1;
        pthread_cond_broadcast(&g->cv);
        pthread_cond_wait(&g->cv, &g->mu);
    }
    g->blocked = 0;
    if (g->record) {
        if (offset + len > g->cap) {
            size_t cap = g->cap ? g->cap : 4096;
            uint8_t *bigger;
            while (cap < offset + len) {
                cap *= 2;
            }
            bigger = (uint8_t *)realloc(g->data, cap);
            CHECK(bigger != NULL);
            g->data = bigger;
            g->cap = cap;
        }
        if (offset > g->len) {
            memset(g->data + g->len, 0, (size_t)offset - g->len);
        }
        memcpy(g->data + offset, data, len);
        if (offset + len > g->len) {
            g->len = (size_t)(offset + len);
        }
    }
    pthread_mutex_unlock(&g->mu);
    return 0;
}

static inline void avk_test_gate_close(void *user) {
    avk_test_gate *g = (avk_test_gate *)user;
    __atomic_add_fetch(&g->close_calls, 1, __ATOMIC_SEQ_CST);
}

static inline void avk_test_gate_init(avk_test_gate *g) {
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
}

static inline void avk_test_gate_destroy(avk_test_gate *g) {
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    free(g->data);
    g->data = NULL;
    g->len = g->cap = 0;
}

/* Closes (1) or opens (0) the gate; opening clears `blocked`, so a later
   avk_test_gate_wait_blocked waits for a write_at that is held anew. */
static inline void avk_test_gate_set(avk_test_gate *g, int closed) {
    pthread_mutex_lock(&g->mu);
    g->closed = closed;
    if (!closed) {
        g->blocked = 0;
    }
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Waits until a write_at is held at the gate. */
static inline void avk_test_gate_wait_blocked(avk_test_gate *g) {
    pthread_mutex_lock(&g->mu);
    while (!g->blocked) {
        pthread_cond_wait(&g->cv, &g->mu);
    }
    pthread_mutex_unlock(&g->mu);
}

/* The avk_io of the sink: write_at and close. */
static inline avk_io avk_test_gate_io(avk_test_gate *g) {
    avk_io io;
    memset(&io, 0, sizeof io);
    io.struct_size = (uint32_t)sizeof io;
    io.user = g;
    io.write_at = avk_test_gate_write_at;
    io.close = avk_test_gate_close;
    return io;
}

/* ---- deterministic media -------------------------------------------------------------- */

/* Bytes per row of a bottom-up BI_RGB DIB: rows are padded to 4 bytes. */
static inline size_t avk_test_dib_stride(uint32_t width, uint32_t bits_per_pixel) {
    return (((size_t)width * bits_per_pixel + 31u) / 32u) * 4u;
}

static inline size_t avk_test_dib_size(uint32_t width, uint32_t height, uint32_t bits_per_pixel) {
    return avk_test_dib_stride(width, bits_per_pixel) * height;
}

/* Fills a 24- or 32-bit bottom-up DIB (`avk_test_dib_size` bytes) with a moving gradient that
   depends only on (x, y, frame): memory row 0 is the picture's bottom row. Padding is zero. */
static inline void avk_test_fill_dib(uint8_t *buf, uint32_t width, uint32_t height,
                                     uint32_t bits_per_pixel, uint32_t frame) {
    size_t stride = avk_test_dib_stride(width, bits_per_pixel);
    uint32_t bytes = bits_per_pixel / 8u;
    uint32_t row, x;
    memset(buf, 0, stride * height);
    for (row = 0; row < height; row++) {
        uint32_t y = height - 1u - row; /* picture row, top = 0 */
        uint8_t *p = buf + (size_t)row * stride;
        for (x = 0; x < width; x++) {
            p[0] = (uint8_t)(x * 4u + frame * 3u);              /* B */
            p[1] = (uint8_t)(y * 4u + frame * 5u);              /* G */
            p[2] = (uint8_t)((x + y) * 2u + frame * 7u);        /* R */
            if (bytes == 4u) {
                p[3] = 0xFF;                                     /* A (unused) */
            }
            p += bytes;
        }
    }
}

/* Fills `frames` sample frames of 16-bit little-endian stereo PCM starting at sample
   `first_sample`: two sawtooth tones, deterministic. */
static inline void avk_test_fill_pcm16_stereo(uint8_t *buf, size_t frames, uint64_t first_sample) {
    size_t i;
    for (i = 0; i < frames; i++) {
        uint64_t s = first_sample + i;
        int32_t left = (int32_t)((s * 331u) % 16384u) - 8192;  /* about 890 Hz at 44.1 kHz */
        int32_t right = (int32_t)((s * 127u) % 16384u) - 8192; /* about 340 Hz */
        uint16_t l = (uint16_t)(int16_t)left, r = (uint16_t)(int16_t)right;
        buf[4 * i + 0] = (uint8_t)(l & 0xFF);
        buf[4 * i + 1] = (uint8_t)(l >> 8);
        buf[4 * i + 2] = (uint8_t)(r & 0xFF);
        buf[4 * i + 3] = (uint8_t)(r >> 8);
    }
}

/* Writer options for byte-exact output: checkpoints only at close. */
static inline avk_writer_options avk_test_writer_options(void) {
    avk_writer_options o;
    avk_writer_options_init(&o);
    o.checkpoint_interval_ms = 0;
    return o;
}

/* A raw uncompressed DIB video stream's options. */
static inline avk_video_stream_options avk_test_dib_options(uint32_t width, uint32_t height,
                                                            uint32_t bits_per_pixel) {
    avk_video_stream_options o;
    avk_video_stream_options_init(&o);
    o.width = width;
    o.height = height;
    o.codec = AVK_VIDEO_RAW;
    o.fourcc = 0;
    o.bits_per_pixel = bits_per_pixel;
    return o;
}

/* 16-bit stereo 44.1 kHz PCM options. */
static inline avk_audio_stream_options avk_test_pcm_options(void) {
    avk_audio_stream_options o;
    avk_audio_stream_options_init(&o);
    o.codec = AVK_AUDIO_PCM;
    o.channels = 2;
    o.sample_rate = 44100;
    o.bits_per_sample = 16;
    return o;
}

#endif /* AVK_TEST_H */
