/*
 * Misuse of the asynchronous calls of avikit.h:
 *   - pending operations (a sink that blocks until released): avk_async_result and
 *     avk_async_error_message -> AVK_E_INVALID_STATE, avk_async_wait(10 ms) -> AVK_E_TIMEOUT;
 *     end with another stream's / writer's result -> AVK_E_INVALID_ARGUMENT, the result stays
 *     usable; double end, and any use or cancel after end -> AVK_E_INVALID_HANDLE;
 *   - re-entrancy inside a callback: flush, close, synchronous writes, wait on and end of another
 *     pending operation -> AVK_E_WOULD_DEADLOCK; end and wait of its own result return at once,
 *     cancel of it -> AVK_E_INVALID_STATE; begin only enqueues and its callback runs later
 *     (cancel itself is covered by test_cancel).
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

/* ---- pending operations ------------------------------------------------------------------- */

static void test_pending(void) {
    avk_test_gate g, g2;
    avk_writer *w, *other;
    avk_video_stream *v, *v2, *other_v;
    avk_audio_stream *a;
    avk_async *p = NULL, *q = NULL, *f = NULL;
    int p_calls = 0, q_calls = 0, f_calls = 0;
    avk_status st = SENTINEL_STATUS;
    size_t len = SENTINEL_SIZE;
    int32_t i32 = SENTINEL_I32;
    void *state = NULL;
    char buf[16];
    uint64_t t0, elapsed;

    avk_test_gate_init(&g);
    avk_test_gate_init(&g2);
    w = open_sink_writer(&g);
    v = add_dib(w, VW, VH, 32);
    a = add_pcm(w);
    v2 = add_dib(w, 8, 8, 24);
    other = open_sink_writer(&g2);
    other_v = add_dib(other, VW, VH, 32);
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len)); /* header is out */

    /* Hold the worker inside write_at: p cannot complete until the gate opens. */
    avk_test_gate_set(&g, 1);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, count_callback,
                                                &p_calls, &p));
    avk_test_gate_wait_blocked(&g);
    CHECK_OK(avk_audio_stream_begin_write_block(a, 0, block, BLOCK, count_callback, &q_calls,
                                                &q));
    CHECK_OK(avk_writer_begin_flush(w, 0, count_callback, &f_calls, &f));

    CHECK_OK(avk_async_is_completed(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_OK(avk_async_completed_synchronously(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_OK(avk_async_user_state(p, &state));
    CHECK(state == (void *)&p_calls);
    CHECK_STATUS(avk_async_result(p, &st), AVK_E_INVALID_STATE);
    CHECK_EQ(st, SENTINEL_STATUS);
    memset(buf, 'Z', sizeof buf);
    CHECK_STATUS(avk_async_error_message(p, buf, sizeof buf, &len), AVK_E_INVALID_STATE);
    CHECK_EQ(len, SENTINEL_SIZE);
    CHECK_EQ(buf[0], 'Z');
    t0 = avk_test_now_ms();
    CHECK_STATUS(avk_async_wait(p, 10), AVK_E_TIMEOUT);
    elapsed = avk_test_now_ms() - t0;
    CHECK(elapsed >= 9);
    CHECK(elapsed < 5000);
    CHECK_STATUS(avk_async_wait(p, 0), AVK_E_TIMEOUT);
    CHECK_STATUS(avk_async_wait(q, 10), AVK_E_TIMEOUT);
    CHECK_STATUS(avk_async_wait(f, 1), AVK_E_TIMEOUT);

    /* End with the wrong stream or writer: AVK_E_INVALID_ARGUMENT, the result stays alive. */
    CHECK_STATUS(avk_audio_stream_end_write_block(a, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v2, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(other_v, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_end_flush(w, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, q), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, f), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_end_flush(other, f), AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_async_is_completed(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_EQ(__atomic_load_n(&p_calls, __ATOMIC_SEQ_CST), 0);

    avk_test_gate_set(&g, 0);
    CHECK_OK(avk_video_stream_end_write_frame(v, p));
    CHECK_OK(avk_audio_stream_end_write_block(a, q));
    CHECK_OK(avk_writer_end_flush(w, f));

    /* Double end and any use after end: AVK_E_INVALID_HANDLE. */
    CHECK_STATUS(avk_video_stream_end_write_frame(v, p), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_end_write_block(a, q), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_end_flush(w, f), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(p, &i32), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_wait(p, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_result(q, &st), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(p), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(f), AVK_E_INVALID_HANDLE);

    CHECK_OK(avk_writer_close(w));
    CHECK_OK(avk_video_stream_write_frame(other_v, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(other));
    CHECK_EQ(__atomic_load_n(&p_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&q_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&f_calls, __ATOMIC_SEQ_CST), 1);
    avk_test_gate_destroy(&g);
    avk_test_gate_destroy(&g2);
}

/* ---- re-entrancy -------------------------------------------------------------------------- */

typedef struct reentry {
    avk_test_gate gate;
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_async *inner;       /* begun inside the callback */
    avk_async *inner_flush; /* begun inside the callback */
    int inner_calls;        /* atomic */
    int inner_flush_calls;  /* atomic */
    int ff_calls;           /* atomic */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} reentry;

static void inner_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    avk_status st = SENTINEL_STATUS;
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    __atomic_add_fetch(&c->inner_calls, 1, __ATOMIC_SEQ_CST);
}

static void outer_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    avk_status st = SENTINEL_STATUS;
    void *state = NULL;
    int32_t done = 0;

    /* Nothing of this writer may complete while we look. */
    avk_test_gate_set(&c->gate, 1);

    /* Begin only enqueues. */
    CHECK_OK(avk_video_stream_begin_write_frame(c->v, AVK_WRITE_COPY, frame, frame_len,
                                                inner_callback, c, &c->inner));
    CHECK_OK(avk_writer_begin_flush(c->w, 0, count_callback, &c->inner_flush_calls,
                                    &c->inner_flush));
    CHECK_OK(avk_async_is_completed(c->inner, &done));
    CHECK_EQ(done, 0);

    /* Blocking on the writer from its own worker: AVK_E_WOULD_DEADLOCK. */
    CHECK_STATUS(avk_async_wait(c->inner, 0), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_async_wait(c->inner, 10), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_async_wait(c->inner, AVK_WAIT_INFINITE), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_video_stream_end_write_frame(c->v, c->inner), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_end_flush(c->w, c->inner_flush), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_flush(c->w, 0), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_close(c->w), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_video_stream_write_frame(c->v, 0, frame, frame_len), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_audio_stream_write_block(c->a, 0, block, BLOCK), AVK_E_WOULD_DEADLOCK);
    /* Those left the pending operations and the writer alone. */
    CHECK_OK(avk_async_is_completed(c->inner, &done));
    CHECK_EQ(done, 0);
    CHECK_OK(avk_async_user_state(c->inner, &state));
    CHECK(state == (void *)c);

    /* Its own result is complete: cancel is too late, wait and end return at once. */
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);
    CHECK_OK(avk_async_wait(result, 0));
    CHECK_OK(avk_async_wait(result, AVK_WAIT_INFINITE));
    CHECK_OK(avk_video_stream_end_write_frame(c->v, result));
    /* Inside its own callback the result stays usable after end. */
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == (void *)c);
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    /* ...but cannot be ended twice. */
    CHECK_STATUS(avk_video_stream_end_write_frame(c->v, result), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);

    avk_test_gate_set(&c->gate, 0);
    pthread_mutex_lock(&c->mu);
    c->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* A fire-and-forget operation's callback: its result has no caller to end it. */
static void ff_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    void *state = NULL;
    avk_status st = SENTINEL_STATUS;
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == (void *)c);
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    CHECK_STATUS(avk_audio_stream_end_write_block(c->a, result), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);
    __atomic_add_fetch(&c->ff_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_reentrancy(void) {
    reentry c;
    avk_async *outer = NULL;
    int32_t done = 0;

    memset(&c, 0, sizeof c);
    avk_test_gate_init(&c.gate);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    c.w = open_sink_writer(&c.gate);
    c.v = add_dib(c.w, VW, VH, 32);
    c.a = add_pcm(c.w);

    CHECK_OK(avk_video_stream_begin_write_frame(c.v, 0, frame, frame_len, outer_callback, &c,
                                                &outer));
    pthread_mutex_lock(&c.mu);
    while (!c.done) {
        pthread_cond_wait(&c.cv, &c.mu);
    }
    pthread_mutex_unlock(&c.mu);

    /* The callback ended `outer`: it is gone for the caller. */
    CHECK_STATUS(avk_video_stream_end_write_frame(c.v, outer), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(outer, &done), AVK_E_INVALID_HANDLE);
    /* What the callback began completes and can be ended from here. */
    CHECK_OK(avk_video_stream_end_write_frame(c.v, c.inner));
    CHECK_OK(avk_writer_end_flush(c.w, c.inner_flush));

    CHECK_OK(avk_audio_stream_begin_write_block(c.a, 0, block, BLOCK, ff_callback, &c, NULL));
    /* The writer survived the refused close inside the callback. */
    CHECK_OK(avk_writer_close(c.w));
    CHECK_EQ(__atomic_load_n(&c.inner_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.inner_flush_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.ff_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.gate.close_calls, __ATOMIC_SEQ_CST), 1);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    avk_test_gate_destroy(&c.gate);
}

int main(void) {
    misuse_setup();
    test_pending();
    test_reentrancy();
    misuse_teardown();
    return avk_test_summary("test_misuse_async");
}
