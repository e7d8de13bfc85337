/*
 * Calls racing avk_writer_close on other threads (issue 14, items 9 and 10):
 *   - three threads add streams (encoding ones, with encoder threads, and raw ones) while a
 *     fourth closes the writer, many times: every stream handle that add returned is released by
 *     the close (a live one would answer a bad flag with AVK_E_INVALID_ARGUMENT, a released one
 *     answers AVK_E_INVALID_HANDLE), and no encoder thread outlives its writer;
 *   - an end already waiting for an operation when another thread closes the writer returns the
 *     operation's own status (AVK_OK here), not AVK_E_INVALID_HANDLE. The ending thread is held
 *     in a signal handler while the operation completes and the close finishes, so that the
 *     close releases the handles before the end gets to look again.
 * AVK_TEST_CLOSE_RACE_ROUNDS overrides the rounds of the first (the sanitizer runs use fewer).
 */
#include "avk_test.h"

#include <dirent.h>
#include <signal.h>

#define WIDTH 16u
#define HEIGHT 16u
#define BPP 32u
#ifndef ROUNDS
#define ROUNDS 1000 /* on the unfixed library, 3 of 4 runs caught a live handle */
#endif
#define ADDERS 3
#define ADDS_PER_THREAD 30 /* 90 streams: under the limit of 100 */
#define ENCODING_EVERY 8
#define UNKNOWN_FLAG 0x80000000u

typedef struct adder {
    avk_writer *w;
    int index;
    avk_video_stream *added[ADDS_PER_THREAD];
    int count;
} adder;

static int go;        /* atomic: start line of a round */
static int adds_done; /* atomic: adds returned in this round */
static int close_after; /* the closer starts once this many adds returned */

static void *add_streams(void *arg) {
    adder *a = (adder *)arg;
    int i;
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) {
    }
    for (i = 0; i < ADDS_PER_THREAD; i++) {
        avk_video_stream_options o = avk_test_dib_options(WIDTH, HEIGHT, BPP);
        avk_video_stream *v = NULL;
        avk_status s;
        if ((i + a->index) % ENCODING_EVERY == 0) {
            o.codec = AVK_VIDEO_UNCOMPRESSED; /* starts the writer's encoder threads */
            o.input_format = AVK_PIXEL_BGRA32;
        }
        s = avk_writer_add_video_stream(a->w, &o, &v);
        if (s == AVK_OK) {
            a->added[a->count++] = v;
        } else {
            CHECK_STATUS_VALUE(s, AVK_E_INVALID_HANDLE);
        }
        __atomic_add_fetch(&adds_done, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void *close_writer(void *arg) {
    avk_status s;
    /* In the middle of the adds, where a close can land between an add and its handle. */
    while (__atomic_load_n(&adds_done, __ATOMIC_ACQUIRE) < close_after) {
    }
    s = avk_writer_close((avk_writer *)arg);
    /* With no stream added before the close, the file has none: AVK_E_INVALID_STATE. */
    CHECK(s == AVK_OK || s == AVK_E_INVALID_STATE);
    return NULL;
}

/* Threads of this process whose name starts with `prefix`. */
static int threads_named(const char *prefix) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    CHECK(d != NULL);
    while ((e = readdir(d)) != NULL) {
        char path[300], name[64] = {0};
        FILE *f;
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (f == NULL) {
            continue; /* the thread just ended */
        }
        if (fgets(name, sizeof name, f) != NULL && strncmp(name, prefix, strlen(prefix)) == 0) {
            n++;
        }
        fclose(f);
    }
    closedir(d);
    return n;
}

static void adds_race_close(void) {
    int round, i, j, released = 0;
    const char *env = getenv("AVK_TEST_CLOSE_RACE_ROUNDS");
    int rounds = env != NULL ? atoi(env) : ROUNDS;
    avk_test_gate sink; /* open: a sink that only counts */
    avk_test_gate_init(&sink);
    for (round = 0; round < rounds; round++) {
        avk_writer *w = NULL;
        adder adders[ADDERS];
        pthread_t threads[ADDERS + 1];
        avk_writer_options o = avk_test_writer_options();
        avk_io io = avk_test_gate_io(&sink);
        o.encoder_threads = 1;
        CHECK_OK(avk_writer_create_io(&io, &o, &w));
        __atomic_store_n(&go, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&adds_done, 0, __ATOMIC_RELEASE);
        close_after = 1 + round % (ADDERS * ADDS_PER_THREAD - 1);
        for (i = 0; i < ADDERS; i++) {
            memset(&adders[i], 0, sizeof adders[i]);
            adders[i].w = w;
            adders[i].index = i;
            CHECK(pthread_create(&threads[i], NULL, add_streams, &adders[i]) == 0);
        }
        CHECK(pthread_create(&threads[ADDERS], NULL, close_writer, w) == 0);
        __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
        for (i = 0; i <= ADDERS; i++) {
            CHECK(pthread_join(threads[i], NULL) == 0);
        }
        for (i = 0; i < ADDERS; i++) {
            for (j = 0; j < adders[i].count; j++) {
                CHECK_STATUS(avk_video_stream_write_frame(adders[i].added[j], UNKNOWN_FLAG, NULL, 0),
                             AVK_E_INVALID_HANDLE);
                released++;
            }
        }
    }
    CHECK_EQ(threads_named("avikit-enc"), 0);
    printf("adds racing close: %d stream handles added and released in %d rounds\n", released,
           rounds);
    avk_test_gate_destroy(&sink);
}

/* ---- an end waiting while another thread closes ---------------------------------------- */

typedef struct ender {
    avk_video_stream *v;
    avk_async *r;
    avk_status status;
} ender;

static int in_handler; /* atomic: the ending thread is held in the signal handler */

static void hold_in_handler(int sig) {
    (void)sig;
    __atomic_store_n(&in_handler, 1, __ATOMIC_RELEASE);
    avk_test_sleep_ms(500); /* nanosleep: async-signal-safe */
}

static void *end_op(void *arg) {
    ender *e = (ender *)arg;
    e->status = avk_video_stream_end_write_frame(e->v, e->r);
    return NULL;
}

static void *close_op(void *arg) {
    CHECK_OK(avk_writer_close((avk_writer *)arg));
    return NULL;
}

static void end_races_close(void) {
    avk_test_gate gate;
    avk_io io;
    avk_writer_options o = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    size_t len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    uint8_t *frame = (uint8_t *)calloc(1, len);
    avk_writer *w = NULL;
    ender e;
    pthread_t ending, closing;
    CHECK(frame != NULL);
    avk_test_gate_init(&gate);
    io = avk_test_gate_io(&gate);
    avk_test_gate_set(&gate, 1);
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &e.v));
    CHECK_OK(avk_video_stream_begin_write_frame(e.v, 0, frame, len, NULL, NULL, &e.r));
    avk_test_gate_wait_blocked(&gate);
    e.status = -1;
    CHECK(pthread_create(&ending, NULL, end_op, &e) == 0);
    avk_test_sleep_ms(100); /* the end is waiting */
    CHECK(pthread_create(&closing, NULL, close_op, w) == 0);
    avk_test_sleep_ms(100); /* the close is draining */
    signal(SIGUSR1, hold_in_handler);
    CHECK(pthread_kill(ending, SIGUSR1) == 0);
    while (!__atomic_load_n(&in_handler, __ATOMIC_ACQUIRE)) {
        avk_test_sleep_ms(1);
    }
    /* The operation completes and the close releases everything while the end is held. */
    avk_test_gate_set(&gate, 0);
    CHECK(pthread_join(closing, NULL) == 0);
    CHECK(pthread_join(ending, NULL) == 0);
    CHECK_STATUS_VALUE(e.status, AVK_OK);
    /* The close released the result: ending it again is a second end. */
    CHECK_STATUS(avk_video_stream_end_write_frame(e.v, e.r), AVK_E_INVALID_HANDLE);
    avk_test_gate_destroy(&gate);
    free(frame);
}

int main(void) {
    adds_race_close();
    end_races_close();
    return avk_test_summary("test_close_race");
}
