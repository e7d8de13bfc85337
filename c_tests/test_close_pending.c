/*
 * Closing writers with operations still queued, in a loop (for the leak checkers: ASan/LSan and
 * valgrind run this test too). Each iteration creates a writer (a memory sink, or a file every
 * few iterations), begins a mix of operations and closes at once, without ending anything:
 *   - results that are never ended (video, audio, flush), with and without callbacks;
 *   - fire-and-forget operations, with and without callbacks, borrowed and AVK_WRITE_COPY;
 *   - a canceled operation; a bounded queue (max_queued_bytes) in some iterations;
 *   - in some iterations the worker is held inside write_at until close was called, so the
 *     operations are certainly still queued when close starts; in others the sink fails, so
 *     they complete with AVK_E_IO / AVK_E_WRITER_FAILED.
 * Checks: close returns AVK_OK (AVK_E_IO for a failing sink); every callback ran exactly once
 * before close returned; the sink was closed once; every handle is invalid afterwards.
 */
#include "avk_test.h"

#define ITERATIONS 200
#define WIDTH 16u
#define HEIGHT 16u
#define BPP 32u
#define BLOCK_BYTES 512u
#define OPS 24

typedef struct loop_sink {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int held;       /* write_at waits while set */
    int blocked;    /* a write_at is waiting */
    int fail_from;  /* 0 = never; else calls >= fail_from return -1 */
    int calls;
    size_t bytes;
    int close_calls;
} loop_sink;

static int32_t loop_write_at(void *user, uint64_t offset, const uint8_t *data, size_t len) {
    loop_sink *s = (loop_sink *)user;
    int32_t rc = 0;
    (void)offset;
    CHECK(len == 0 || data != NULL);
    pthread_mutex_lock(&s->mu);
    while (s->held) {
        s->blocked = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_cond_wait(&s->cv, &s->mu);
    }
    s->calls++;
    if (s->fail_from != 0 && s->calls >= s->fail_from) {
        rc = -1;
    } else {
        s->bytes += len;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void loop_close(void *user) {
    loop_sink *s = (loop_sink *)user;
    pthread_mutex_lock(&s->mu);
    s->close_calls++;
    pthread_mutex_unlock(&s->mu);
}

/* Opens the gate a little after the main thread announced it is closing the writer. */
typedef struct releaser {
    loop_sink *sink;
    int closing; /* atomic */
} releaser;

static void *release_thread(void *arg) {
    releaser *r = (releaser *)arg;
    while (!__atomic_load_n(&r->closing, __ATOMIC_SEQ_CST)) {
        avk_test_sleep_ms(1);
    }
    avk_test_sleep_ms(2);
    pthread_mutex_lock(&r->sink->mu);
    r->sink->held = 0;
    pthread_cond_broadcast(&r->sink->cv);
    pthread_mutex_unlock(&r->sink->mu);
    return NULL;
}

static size_t frame_len;
static uint8_t *frame;
static uint8_t block[BLOCK_BYTES];
static int callbacks[OPS];   /* atomic; per operation slot */
static int expected[OPS];    /* callbacks expected per slot in this iteration */

static void count_callback(avk_async *result, void *user_state) {
    avk_status st = -1;
    CHECK_OK(avk_async_result(result, &st));
    CHECK(st == AVK_OK || st == AVK_E_CANCELED || st == AVK_E_IO || st == AVK_E_WRITER_FAILED);
    __atomic_add_fetch((int *)user_state, 1, __ATOMIC_SEQ_CST);
}

static void one_iteration(int it) {
    char path[1024];
    int use_file = it % 10 == 9;
    int hold = !use_file && it % 4 == 1;
    int failing = !use_file && it % 7 == 3;
    avk_writer_options wo = avk_test_writer_options();
    loop_sink sink;
    releaser rel;
    pthread_t rel_thread;
    avk_io io;
    avk_writer *w = NULL;
    avk_video_stream *v = NULL;
    avk_audio_stream *a = NULL;
    avk_async *unended[OPS];
    uint8_t *scratch;
    int n = 0, i;
    int32_t done = 0;
    avk_status want_close = AVK_OK;

    memset(&sink, 0, sizeof sink);
    memset(unended, 0, sizeof unended);
    pthread_mutex_init(&sink.mu, NULL);
    pthread_cond_init(&sink.cv, NULL);
    for (i = 0; i < OPS; i++) {
        __atomic_store_n(&callbacks[i], 0, __ATOMIC_SEQ_CST);
        expected[i] = 0;
    }
    if (it % 3 == 2) {
        /* While the worker is held nothing gives room back: then the bound must fit it all. */
        wo.max_queued_bytes = (hold ? 2 * OPS : 4) * (uint64_t)frame_len;
    }

    if (use_file) {
        avk_test_path(path, sizeof path, "close-pending");
        CHECK_OK(avk_writer_create(path, &wo, &w));
    } else {
        memset(&io, 0, sizeof io);
        io.struct_size = (uint32_t)sizeof io;
        io.user = &sink;
        io.write_at = loop_write_at;
        io.close = loop_close;
        CHECK_OK(avk_writer_create_io(&io, &wo, &w));
    }
    {
        avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
        avk_audio_stream_options ao = avk_test_pcm_options();
        CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
        CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    }

    if (hold) {
        /* Header out, then hold the worker on the first frame. */
        CHECK_OK(avk_writer_flush(w, 0));
        pthread_mutex_lock(&sink.mu);
        sink.held = 1;
        pthread_mutex_unlock(&sink.mu);
    }
    if (failing) {
        pthread_mutex_lock(&sink.mu);
        sink.fail_from = 2; /* the header goes out, the first batch of chunks fails */
        pthread_mutex_unlock(&sink.mu);
        want_close = AVK_E_IO;
    }

    scratch = (uint8_t *)malloc(frame_len);
    CHECK(scratch != NULL);
    for (i = 0; i < OPS; i++) {
        avk_async **out = NULL;
        avk_async_callback cb = NULL;
        switch (i % 6) {
        case 0: /* un-ended, with a callback */
            out = &unended[n];
            cb = count_callback;
            break;
        case 1: /* un-ended, no callback */
            out = &unended[n];
            break;
        case 2: /* fire-and-forget with a callback */
            cb = count_callback;
            break;
        case 3: /* fire-and-forget, nothing at all */
            break;
        case 4: /* un-ended with a callback, canceled below */
            out = &unended[n];
            cb = count_callback;
            break;
        default: /* fire-and-forget copy with a callback */
            cb = count_callback;
            break;
        }
        if (i % 8 == 7) {
            CHECK_OK(avk_writer_begin_flush(w, 0, cb, &callbacks[i], out));
        } else if (i % 3 == 1) {
            CHECK_OK(avk_audio_stream_begin_write_block(a, 0, block, BLOCK_BYTES, cb,
                                                        &callbacks[i], out));
        } else if (i % 6 == 5) {
            memcpy(scratch, frame, frame_len);
            CHECK_OK(avk_video_stream_begin_write_frame(v, AVK_WRITE_COPY, scratch, frame_len, cb,
                                                        &callbacks[i], out));
            memset(scratch, 0xA5, frame_len); /* the copy was taken */
        } else {
            CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, cb,
                                                        &callbacks[i], out));
        }
        if (hold && i == 0) {
            pthread_mutex_lock(&sink.mu);
            while (!sink.blocked) {
                pthread_cond_wait(&sink.cv, &sink.mu);
            }
            pthread_mutex_unlock(&sink.mu);
        }
        if (i % 6 == 4 && hold) {
            /* Certainly still queued: the worker is held on operation 0. */
            CHECK_OK(avk_async_cancel(unended[n]));
        }
        expected[i] = cb != NULL;
        if (out != NULL) {
            n++;
        }
    }

    if (hold) {
        memset(&rel, 0, sizeof rel);
        rel.sink = &sink;
        CHECK_EQ(pthread_create(&rel_thread, NULL, release_thread, &rel), 0);
        __atomic_store_n(&rel.closing, 1, __ATOMIC_SEQ_CST);
    }
    CHECK_STATUS(avk_writer_close(w), want_close);
    if (hold) {
        CHECK_EQ(pthread_join(rel_thread, NULL), 0);
    }

    /* Every callback ran once before close returned. */
    for (i = 0; i < OPS; i++) {
        CHECK_EQ(__atomic_load_n(&callbacks[i], __ATOMIC_SEQ_CST), expected[i]);
    }
    /* Every handle of the writer is released. */
    for (i = 0; i < n; i++) {
        CHECK_STATUS(avk_async_is_completed(unended[i], &done), AVK_E_INVALID_HANDLE);
        CHECK_STATUS(avk_async_cancel(unended[i]), AVK_E_INVALID_HANDLE);
    }
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
    if (use_file) {
        remove(path);
    } else {
        CHECK_EQ(sink.close_calls, 1);
        CHECK(failing || sink.bytes > (size_t)(OPS / 2) * frame_len);
    }
    free(scratch);
    pthread_mutex_destroy(&sink.mu);
    pthread_cond_destroy(&sink.cv);
}

int main(void) {
    int it;
    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, WIDTH, HEIGHT, BPP, 3);
    avk_test_fill_pcm16_stereo(block, BLOCK_BYTES / 4, 0);
    for (it = 0; it < ITERATIONS; it++) {
        one_iteration(it);
    }
    free(frame);
    return avk_test_summary("test_close_pending");
}
