/*
 * avk_async_cancel, made deterministic with a memory sink whose write_at can be held on a gate:
 *   - the header goes out first (a flush); then operation A is begun and the worker is held
 *     inside write_at for A's chunk, so A is running while B..L are begun behind it;
 *   - cancel of queued operations (video, audio, a flush, consecutive ones, the last one) -> OK;
 *     cancel of A (running) -> AVK_E_INVALID_STATE; A's callback cancels one more queued
 *     operation (cancel is allowed inside callbacks) and cannot cancel its own, completed result;
 *   - after release: canceled operations end with AVK_E_CANCELED (avk_async_result too, with a
 *     message), the others with AVK_OK; every callback ran exactly once, in begin order;
 *     cancel of a completed operation (succeeded or canceled) -> AVK_E_INVALID_STATE;
 *   - the bytes equal those of a file written with avk_writer_create without the canceled
 *     operations (byte-identical): nothing of a canceled operation was written.
 *   - a race: a second thread cancels every other operation as soon as it is begun, while the
 *     worker writes them. Whatever the timing, cancel returned AVK_OK exactly for the operations
 *     that end with AVK_E_CANCELED (the others: AVK_E_INVALID_STATE and AVK_OK), and the bytes
 *     equal a file written with just the operations that were not canceled.
 */
#include "avk_test.h"

#include <sched.h>

#define WIDTH 32u
#define HEIGHT 24u
#define BPP 32u
#define SAMPLES_PER_BLOCK 1470u
#define BLOCK_BYTES (SAMPLES_PER_BLOCK * 4u)

/* ---- the operations --------------------------------------------------------------------- */

enum kind { K_VIDEO, K_AUDIO, K_FLUSH };

#define OPS 12

typedef struct op {
    enum kind kind;
    int media;             /* frame or block number */
    int cancel_from_main;  /* canceled by the test while queued */
    int cancel_from_a;     /* canceled inside A's callback */
    avk_async *result;
    int callbacks;         /* atomic */
    avk_status cb_status;
    int cb_order;
} op;

/* A = ops[0] is the one the worker is held on; B..L follow. */
static op ops[OPS] = {
    {K_VIDEO, 0, 0, 0, NULL, 0, 0, 0}, /* A: running while the rest is begun */
    {K_VIDEO, 1, 0, 0, NULL, 0, 0, 0}, /* B */
    {K_VIDEO, 2, 1, 0, NULL, 0, 0, 0}, /* C: canceled */
    {K_AUDIO, 0, 0, 0, NULL, 0, 0, 0}, /* D */
    {K_AUDIO, 1, 1, 0, NULL, 0, 0, 0}, /* E: canceled audio */
    {K_VIDEO, 3, 1, 0, NULL, 0, 0, 0}, /* F: canceled, right after another canceled one */
    {K_FLUSH, 0, 1, 0, NULL, 0, 0, 0}, /* G: canceled flush */
    {K_VIDEO, 4, 0, 0, NULL, 0, 0, 0}, /* H */
    {K_AUDIO, 2, 0, 1, NULL, 0, 0, 0}, /* I: canceled inside A's callback */
    {K_FLUSH, 0, 0, 0, NULL, 0, 0, 0}, /* J: a flush that runs */
    {K_VIDEO, 5, 0, 0, NULL, 0, 0, 0}, /* K */
    {K_VIDEO, 6, 1, 0, NULL, 0, 0, 0}, /* L: canceled, the last one */
};

static int next_cb_order; /* only the worker thread writes it */
static size_t frame_len;
static uint8_t *frames, *blocks;
static avk_video_stream *cur_v;
static avk_audio_stream *cur_a;

static int is_canceled(const op *o) {
    return o->cancel_from_main || o->cancel_from_a;
}

static void op_callback(avk_async *result, void *user_state) {
    op *o = (op *)user_state;
    int i;
    CHECK_EQ(__atomic_add_fetch(&o->callbacks, 1, __ATOMIC_SEQ_CST), 1);
    CHECK_OK(avk_async_result(result, &o->cb_status));
    o->cb_order = next_cb_order++;
    if (o == &ops[0]) {
        /* A completed: its own result can no longer be canceled... */
        CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);
        /* ...but the operations still queued behind it can, from inside a callback. */
        for (i = 1; i < OPS; i++) {
            if (ops[i].cancel_from_a) {
                CHECK_OK(avk_async_cancel(ops[i].result));
            }
        }
    }
    if (is_canceled(o)) {
        size_t msg_len = 0;
        CHECK_STATUS_VALUE(o->cb_status, AVK_E_CANCELED);
        CHECK_OK(avk_async_error_message(result, NULL, 0, &msg_len));
        CHECK(msg_len > 1);
    }
}

static avk_status begin_op(avk_writer *w, op *o) {
    switch (o->kind) {
    case K_VIDEO:
        return avk_video_stream_begin_write_frame(cur_v, 0, frames + frame_len * (size_t)o->media,
                                                  frame_len, op_callback, o, &o->result);
    case K_AUDIO:
        return avk_audio_stream_begin_write_block(cur_a, 0,
                                                  blocks + (size_t)BLOCK_BYTES * (size_t)o->media,
                                                  BLOCK_BYTES, op_callback, o, &o->result);
    default:
        return avk_writer_begin_flush(w, 0, op_callback, o, &o->result);
    }
}

static avk_status end_op(avk_writer *w, op *o) {
    switch (o->kind) {
    case K_VIDEO:
        return avk_video_stream_end_write_frame(cur_v, o->result);
    case K_AUDIO:
        return avk_audio_stream_end_write_block(cur_a, o->result);
    default:
        return avk_writer_end_flush(w, o->result);
    }
}

static void add_streams(avk_writer *w) {
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_audio_stream_options ao = avk_test_pcm_options();
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &cur_v));
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &cur_a));
}

/* The recording with cancellations, into the gated memory sink (avk_test_gate, recording). */
static void record_with_cancel(avk_test_gate *g) {
    avk_writer_options wo = avk_test_writer_options();
    avk_io io = avk_test_gate_io(g);
    avk_writer *w = NULL;
    avk_status st = 0;
    int i, done = 0;

    CHECK_OK(avk_writer_create_io(&io, &wo, &w));
    add_streams(w);

    /* The header is written at the first operation: get it out before closing the gate. */
    CHECK_OK(avk_writer_flush(w, 0));

    avk_test_gate_set(g, 1);
    CHECK_OK(begin_op(w, &ops[0]));
    avk_test_gate_wait_blocked(g); /* the worker holds A, inside write_at for A's chunk */
    for (i = 1; i < OPS; i++) {
        CHECK_OK(begin_op(w, &ops[i]));
    }
    /* A has started: too late. */
    CHECK_STATUS(avk_async_cancel(ops[0].result), AVK_E_INVALID_STATE);
    for (i = 1; i < OPS; i++) {
        if (ops[i].cancel_from_main) {
            CHECK_OK(avk_async_cancel(ops[i].result));
        }
    }
    /* Cancel only asks: nothing completes before the worker reaches the operation. */
    CHECK_OK(avk_async_is_completed(ops[2].result, &done));
    CHECK_EQ(done, 0);
    CHECK_STATUS(avk_async_result(ops[2].result, &st), AVK_E_INVALID_STATE);
    for (i = 0; i < OPS; i++) {
        CHECK_EQ(__atomic_load_n(&ops[i].callbacks, __ATOMIC_SEQ_CST), 0);
    }

    avk_test_gate_set(g, 0);

    /* A completed operation, successful or canceled, cannot be canceled any more. */
    CHECK_OK(avk_async_wait(ops[1].result, AVK_WAIT_INFINITE));
    CHECK_STATUS(avk_async_cancel(ops[1].result), AVK_E_INVALID_STATE);
    CHECK_OK(avk_async_wait(ops[2].result, AVK_WAIT_INFINITE));
    CHECK_STATUS(avk_async_cancel(ops[2].result), AVK_E_INVALID_STATE);
    CHECK_OK(avk_async_result(ops[2].result, &st));
    CHECK_STATUS_VALUE(st, AVK_E_CANCELED);

    for (i = 0; i < OPS; i++) {
        CHECK_STATUS(end_op(w, &ops[i]), is_canceled(&ops[i]) ? AVK_E_CANCELED : AVK_OK);
    }
    /* Ended results are gone. */
    CHECK_STATUS(avk_async_cancel(ops[3].result), AVK_E_INVALID_HANDLE);

    CHECK_OK(avk_writer_close(w));
    for (i = 0; i < OPS; i++) {
        CHECK_EQ(__atomic_load_n(&ops[i].callbacks, __ATOMIC_SEQ_CST), 1);
        CHECK_STATUS_VALUE(ops[i].cb_status, is_canceled(&ops[i]) ? AVK_E_CANCELED : AVK_OK);
        CHECK_EQ(ops[i].cb_order, i); /* canceled ones too, in their place in the queue */
    }
    CHECK_EQ(__atomic_load_n(&g->close_calls, __ATOMIC_SEQ_CST), 1);
}

/* The same recording without the canceled operations, synchronously, into a file. */
static uint8_t *record_reference(size_t *len) {
    char path[1024];
    avk_writer_options wo = avk_test_writer_options();
    avk_writer *w = NULL;
    uint8_t *bytes;
    int i;

    avk_test_path(path, sizeof path, "cancel-reference");
    CHECK_OK(avk_writer_create(path, &wo, &w));
    add_streams(w);
    CHECK_OK(avk_writer_flush(w, 0));
    for (i = 0; i < OPS; i++) {
        const op *o = &ops[i];
        if (is_canceled(o)) {
            continue;
        }
        switch (o->kind) {
        case K_VIDEO:
            CHECK_OK(avk_video_stream_write_frame(cur_v, 0, frames + frame_len * (size_t)o->media,
                                                  frame_len));
            break;
        case K_AUDIO:
            CHECK_OK(avk_audio_stream_write_block(
                cur_a, 0, blocks + (size_t)BLOCK_BYTES * (size_t)o->media, BLOCK_BYTES));
            break;
        default:
            CHECK_OK(avk_writer_flush(w, 0));
            break;
        }
    }
    CHECK_OK(avk_writer_close(w));
    bytes = avk_test_read_file(path, len);
    CHECK(bytes != NULL);
    remove(path);
    return bytes;
}

/* ---- cancel racing with the worker ----------------------------------------------------- */

#define RACE_OPS 300
#define RACE_W 16u
#define RACE_H 16u

typedef struct race {
    avk_video_stream *v;
    uint8_t *frames;
    size_t frame_len;
    avk_async *results[RACE_OPS]; /* published with __atomic_store_n by the main thread */
    avk_status cancel_status[RACE_OPS];
    int callbacks[RACE_OPS];      /* atomic */
} race;

static race rc;

static void race_callback(avk_async *result, void *user_state) {
    (void)result;
    __atomic_add_fetch((int *)user_state, 1, __ATOMIC_SEQ_CST);
}

static void *race_canceler(void *arg) {
    int i;
    (void)arg;
    for (i = 1; i < RACE_OPS; i += 2) {
        avk_async *r;
        while ((r = __atomic_load_n(&rc.results[i], __ATOMIC_SEQ_CST)) == NULL) {
            sched_yield();
        }
        rc.cancel_status[i] = avk_async_cancel(r);
        CHECK(rc.cancel_status[i] == AVK_OK || rc.cancel_status[i] == AVK_E_INVALID_STATE);
    }
    return NULL;
}

static void test_cancel_race(void) {
    char path[1024];
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(RACE_W, RACE_H, BPP);
    avk_test_gate g;
    avk_io io;
    avk_writer *w = NULL;
    pthread_t canceler;
    uint8_t *ref;
    size_t ref_len = 0;
    int i, canceled = 0;

    rc.frame_len = avk_test_dib_size(RACE_W, RACE_H, BPP);
    rc.frames = (uint8_t *)malloc(rc.frame_len * RACE_OPS);
    CHECK(rc.frames != NULL);
    for (i = 0; i < RACE_OPS; i++) {
        avk_test_fill_dib(rc.frames + rc.frame_len * (size_t)i, RACE_W, RACE_H, BPP, (uint32_t)i);
    }
    avk_test_gate_init(&g);
    g.record = 1;
    io = avk_test_gate_io(&g);
    CHECK_OK(avk_writer_create_io(&io, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &rc.v));

    CHECK_EQ(pthread_create(&canceler, NULL, race_canceler, NULL), 0);
    for (i = 0; i < RACE_OPS; i++) {
        avk_async *r = NULL;
        CHECK_OK(avk_video_stream_begin_write_frame(rc.v, 0, rc.frames + rc.frame_len * (size_t)i,
                                                    rc.frame_len, race_callback,
                                                    &rc.callbacks[i], &r));
        __atomic_store_n(&rc.results[i], r, __ATOMIC_SEQ_CST);
    }
    CHECK_EQ(pthread_join(canceler, NULL), 0);
    for (i = 0; i < RACE_OPS; i++) {
        int was_canceled = i % 2 == 1 && rc.cancel_status[i] == AVK_OK;
        CHECK_STATUS(avk_video_stream_end_write_frame(rc.v, rc.results[i]),
                     was_canceled ? AVK_E_CANCELED : AVK_OK);
        canceled += was_canceled;
    }
    CHECK_OK(avk_writer_close(w));
    for (i = 0; i < RACE_OPS; i++) {
        CHECK_EQ(__atomic_load_n(&rc.callbacks[i], __ATOMIC_SEQ_CST), 1);
    }
    printf("cancel race: %d of %d cancels came in time\n", canceled, RACE_OPS / 2);

    /* The reference: the frames that were not canceled, written synchronously. */
    avk_test_path(path, sizeof path, "cancel-race-reference");
    CHECK_OK(avk_writer_create(path, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &rc.v));
    for (i = 0; i < RACE_OPS; i++) {
        if (i % 2 == 1 && rc.cancel_status[i] == AVK_OK) {
            continue;
        }
        CHECK_OK(avk_video_stream_write_frame(rc.v, 0, rc.frames + rc.frame_len * (size_t)i,
                                              rc.frame_len));
    }
    CHECK_OK(avk_writer_close(w));
    ref = avk_test_read_file(path, &ref_len);
    CHECK(ref != NULL);
    CHECK_EQ(g.len, ref_len);
    CHECK(memcmp(g.data, ref, ref_len) == 0);
    remove(path);
    free(ref);
    avk_test_gate_destroy(&g);
    free(rc.frames);
}

int main(void) {
    avk_test_gate g;
    uint8_t *ref;
    size_t ref_len = 0, i;

    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frames = (uint8_t *)malloc(frame_len * 8);
    blocks = (uint8_t *)malloc((size_t)BLOCK_BYTES * 4);
    CHECK(frames != NULL && blocks != NULL);
    for (i = 0; i < 8; i++) {
        avk_test_fill_dib(frames + frame_len * i, WIDTH, HEIGHT, BPP, (uint32_t)i);
    }
    for (i = 0; i < 4; i++) {
        avk_test_fill_pcm16_stereo(blocks + (size_t)BLOCK_BYTES * i, SAMPLES_PER_BLOCK,
                                   (uint64_t)i * SAMPLES_PER_BLOCK);
    }

    avk_test_gate_init(&g);
    g.record = 1;
    record_with_cancel(&g);

    ref = record_reference(&ref_len);
    CHECK_EQ(g.len, ref_len);
    for (i = 0; i < ref_len; i++) {
        if (g.data[i] != ref[i]) {
            fprintf(stderr, "first difference at byte %zu of %zu\n", i, ref_len);
            break;
        }
    }
    CHECK(memcmp(g.data, ref, ref_len) == 0);

    test_cancel_race();

    free(ref);
    avk_test_gate_destroy(&g);
    free(frames);
    free(blocks);
    return avk_test_summary("test_cancel");
}
