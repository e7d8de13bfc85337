/*
 * Threads: one shared writer with four streams (two DIB video, two PCM), each written by its own
 * thread with begin + end in windows, plus two more writers, each created, written and closed on
 * its own thread, all at once.
 * Checks: every callback runs exactly once; per-stream callback order is begin order; for the
 * two threads that begin under a common lock (so their global begin order is known), callbacks
 * follow that global order; every end and close returns AVK_OK. The shared writer's file is left
 * at argv[1] for avi_check.py (FRAMES frames in the first video stream, FRAMES blocks in the first
 * audio stream).
 */
#include "avk_test.h"

#define FRAMES 120
#define WINDOW 8
#define WIDTH 32u
#define HEIGHT 24u
#define SAMPLES_PER_BLOCK 1470u
#define BLOCK_BYTES (SAMPLES_PER_BLOCK * 4u)
#define STREAMS 4
#define EXTRA_WRITERS 2

typedef struct op {
    int stream;
    int index;
    int global; /* -1 when begun outside the lock */
    int callbacks;
} op;

typedef struct stream_job {
    int id;
    int is_video;
    int locked; /* begins under begin_lock with a global sequence number */
    avk_video_stream *v;
    avk_audio_stream *a;
    op ops[FRAMES];
    int next_callback; /* only the writer's worker touches it; read after close */
} stream_job;

static stream_job jobs[STREAMS];
static pthread_barrier_t start;
static pthread_mutex_t begin_lock = PTHREAD_MUTEX_INITIALIZER;
static int next_global;          /* under begin_lock */
static int next_global_callback; /* atomic */
static size_t frame_len;

static void shared_callback(avk_async *result, void *user_state) {
    op *o = (op *)user_state;
    stream_job *j = &jobs[o->stream];
    avk_status st = -1;
    CHECK_EQ(__atomic_add_fetch(&o->callbacks, 1, __ATOMIC_SEQ_CST), 1);
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    /* Per-stream order. */
    CHECK_EQ(o->index, j->next_callback);
    j->next_callback++;
    /* Global order among the operations begun under the lock. */
    if (o->global >= 0) {
        CHECK_EQ(o->global, __atomic_fetch_add(&next_global_callback, 1, __ATOMIC_SEQ_CST));
    }
}

static void *stream_thread(void *arg) {
    stream_job *j = (stream_job *)arg;
    size_t len = j->is_video ? frame_len : BLOCK_BYTES;
    uint8_t *buf = (uint8_t *)malloc(len * WINDOW);
    avk_async *results[WINDOW];
    int base, k;
    CHECK(buf != NULL);
    pthread_barrier_wait(&start);
    for (base = 0; base < FRAMES; base += WINDOW) {
        for (k = 0; k < WINDOW; k++) {
            int i = base + k;
            uint8_t *data = buf + len * (size_t)k;
            op *o = &j->ops[i];
            o->stream = j->id;
            o->index = i;
            o->global = -1;
            if (j->is_video) {
                avk_test_fill_dib(data, WIDTH, HEIGHT, 32, (uint32_t)(i + 100 * j->id));
            } else {
                avk_test_fill_pcm16_stereo(data, SAMPLES_PER_BLOCK,
                                           (uint64_t)i * SAMPLES_PER_BLOCK + 7u * (uint64_t)j->id);
            }
            if (j->locked) {
                pthread_mutex_lock(&begin_lock);
                o->global = next_global++;
            }
            if (j->is_video) {
                CHECK_OK(avk_video_stream_begin_write_frame(j->v, 0, data, len, shared_callback,
                                                            o, &results[k]));
            } else {
                CHECK_OK(avk_audio_stream_begin_write_block(j->a, 0, data, len, shared_callback,
                                                            o, &results[k]));
            }
            if (j->locked) {
                pthread_mutex_unlock(&begin_lock);
            }
        }
        /* The window's buffers are reused only after every operation in it completed. */
        for (k = 0; k < WINDOW; k++) {
            if (j->is_video) {
                CHECK_OK(avk_video_stream_end_write_frame(j->v, results[k]));
            } else {
                CHECK_OK(avk_audio_stream_end_write_block(j->a, results[k]));
            }
        }
    }
    free(buf);
    return NULL;
}

/* ---- independent writers on their own threads --------------------------------------------- */

typedef struct extra_job extra_job;

typedef struct extra_token {
    extra_job *job;
    int seq; /* begin order within its writer */
} extra_token;

struct extra_job {
    int id;
    char path[1024];
    extra_token tokens[FRAMES];
    int callbacks;     /* only the writer's worker touches these two before close */
    int next_expected;
};

static void extra_callback(avk_async *result, void *user_state) {
    extra_token *t = (extra_token *)user_state;
    int32_t done = 0;
    CHECK_OK(avk_async_is_completed(result, &done));
    CHECK_EQ(done, 1);
    CHECK_EQ(t->seq, t->job->next_expected);
    t->job->next_expected++;
    t->job->callbacks++;
}

static void *extra_thread(void *arg) {
    extra_job *e = (extra_job *)arg;
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, 24);
    avk_audio_stream_options ao = avk_test_pcm_options();
    avk_writer *w = NULL;
    avk_video_stream *v = NULL;
    avk_audio_stream *a = NULL;
    size_t len = avk_test_dib_size(WIDTH, HEIGHT, 24);
    uint8_t *f = (uint8_t *)malloc(len);
    uint8_t *b = (uint8_t *)malloc(BLOCK_BYTES);
    int i;
    CHECK(f != NULL && b != NULL);
    pthread_barrier_wait(&start);
    CHECK_OK(avk_writer_create(e->path, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    for (i = 0; i < FRAMES / 2; i++) {
        avk_async *rv = NULL, *ra = NULL;
        avk_test_fill_dib(f, WIDTH, HEIGHT, 24, (uint32_t)i);
        avk_test_fill_pcm16_stereo(b, SAMPLES_PER_BLOCK, (uint64_t)i * SAMPLES_PER_BLOCK);
        e->tokens[2 * i].job = e;
        e->tokens[2 * i].seq = 2 * i;
        e->tokens[2 * i + 1].job = e;
        e->tokens[2 * i + 1].seq = 2 * i + 1;
        CHECK_OK(avk_video_stream_begin_write_frame(v, AVK_WRITE_COPY, f, len, extra_callback,
                                                    &e->tokens[2 * i], &rv));
        CHECK_OK(avk_audio_stream_begin_write_block(a, 0, b, BLOCK_BYTES, extra_callback,
                                                    &e->tokens[2 * i + 1], &ra));
        CHECK_OK(avk_audio_stream_end_write_block(a, ra));
        CHECK_OK(avk_video_stream_end_write_frame(v, rv));
    }
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(e->callbacks, FRAMES);
    CHECK_EQ(e->next_expected, FRAMES);
    free(f);
    free(b);
    return NULL;
}

int main(int argc, char **argv) {
    avk_writer_options wo = avk_test_writer_options();
    avk_writer *w = NULL;
    pthread_t threads[STREAMS + EXTRA_WRITERS];
    extra_job extras[EXTRA_WRITERS];
    uint64_t t0 = avk_test_now_ms();
    int i, k;

    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.avi\n", argv[0]);
        return 2;
    }
    frame_len = avk_test_dib_size(WIDTH, HEIGHT, 32);
    CHECK_OK(avk_writer_create(argv[1], &wo, &w));
    for (i = 0; i < STREAMS; i++) {
        stream_job *j = &jobs[i];
        j->id = i;
        j->is_video = (i % 2 == 0); /* streams: video, audio, video, audio */
        j->locked = (i < 2);        /* the first video and the first audio stream */
        if (j->is_video) {
            avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, 32);
            CHECK_OK(avk_writer_add_video_stream(w, &vo, &j->v));
        } else {
            avk_audio_stream_options ao = avk_test_pcm_options();
            CHECK_OK(avk_writer_add_audio_stream(w, &ao, &j->a));
        }
    }
    for (i = 0; i < EXTRA_WRITERS; i++) {
        char name[64];
        memset(&extras[i], 0, sizeof extras[i]);
        extras[i].id = i;
        snprintf(name, sizeof name, "threads-extra-%d", i);
        avk_test_path(extras[i].path, sizeof extras[i].path, name);
    }

    CHECK(pthread_barrier_init(&start, NULL, STREAMS + EXTRA_WRITERS) == 0);
    for (i = 0; i < STREAMS; i++) {
        CHECK(pthread_create(&threads[i], NULL, stream_thread, &jobs[i]) == 0);
    }
    for (i = 0; i < EXTRA_WRITERS; i++) {
        CHECK(pthread_create(&threads[STREAMS + i], NULL, extra_thread, &extras[i]) == 0);
    }
    for (i = 0; i < STREAMS + EXTRA_WRITERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    pthread_barrier_destroy(&start);

    CHECK_OK(avk_writer_close(w));
    for (i = 0; i < STREAMS; i++) {
        CHECK_EQ(jobs[i].next_callback, FRAMES);
        for (k = 0; k < FRAMES; k++) {
            CHECK_EQ(jobs[i].ops[k].callbacks, 1);
        }
    }
    CHECK_EQ(next_global, 2 * FRAMES);
    CHECK_EQ(__atomic_load_n(&next_global_callback, __ATOMIC_SEQ_CST), 2 * FRAMES);
    for (i = 0; i < EXTRA_WRITERS; i++) {
        size_t len = 0;
        uint8_t *bytes = avk_test_read_file(extras[i].path, &len);
        CHECK(bytes != NULL);
        CHECK(len > (size_t)(FRAMES / 2) * BLOCK_BYTES);
        CHECK(memcmp(bytes, "RIFF", 4) == 0);
        free(bytes);
        remove(extras[i].path);
    }
    printf("threads: %llu ms\n", (unsigned long long)(avk_test_now_ms() - t0));
    return avk_test_summary("test_threads");
}
