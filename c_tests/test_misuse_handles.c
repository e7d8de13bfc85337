/*
 * Misuse of avikit.h with handles that are not live: NULL, fake, foreign (static, stack, heap)
 * and forged values, and handles of another type -> AVK_E_INVALID_HANDLE for every function
 * taking a writer, stream or result (nothing queued, no callback, out-pointers untouched, the
 * live objects unharmed); a flush result ended as a stream's and the reverse ->
 * AVK_E_INVALID_ARGUMENT; a completed result cannot be canceled (AVK_E_INVALID_STATE); after
 * close, the writer, stream and un-ended result handles are invalid, also after the slots were
 * reused by a new writer.
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

/* Calls every function taking a writer with `w`, which is not a live writer. */
static void bad_writer(avk_writer *w) {
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_audio_stream_options ao = avk_test_pcm_options();
    avk_video_stream *vs = (avk_video_stream *)SENTINEL;
    avk_audio_stream *as = (avk_audio_stream *)SENTINEL;
    avk_async *r = (avk_async *)SENTINEL;

    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_add_audio_stream(w, NULL, &as), AVK_E_INVALID_HANDLE);
    CHECK(vs == (avk_video_stream *)SENTINEL);
    CHECK(as == (avk_audio_stream *)SENTINEL);
    CHECK_STATUS(avk_writer_flush(w, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_flush(w, AVK_FLUSH_DURABLE), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_begin_flush(w, 0, must_not_run, NULL, &r), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_begin_flush(w, 0, must_not_run, NULL, NULL), AVK_E_INVALID_HANDLE);
    CHECK(r == (avk_async *)SENTINEL);
    CHECK_STATUS(avk_writer_end_flush(w, NULL), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
}

/* Calls every function taking a video stream with `s`, which is not a live video stream;
   `live_result` is a live result of some video stream (end must not consume it). */
static void bad_video(avk_video_stream *s, avk_async *live_result) {
    avk_async *r = (avk_async *)SENTINEL;
    int32_t done = SENTINEL_I32;
    CHECK_STATUS(avk_video_stream_write_frame(s, 0, frame, frame_len), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_begin_write_frame(s, 0, frame, frame_len, must_not_run, NULL,
                                                    &r),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_begin_write_frame(s, AVK_WRITE_COPY, frame, frame_len,
                                                    must_not_run, NULL, NULL),
                 AVK_E_INVALID_HANDLE);
    CHECK(r == (avk_async *)SENTINEL);
    CHECK_STATUS(avk_video_stream_end_write_frame(s, NULL), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_end_write_frame(s, live_result), AVK_E_INVALID_HANDLE);
    CHECK_OK(avk_async_is_completed(live_result, &done)); /* still alive */
}

static void bad_audio(avk_audio_stream *s, avk_async *live_result) {
    avk_async *r = (avk_async *)SENTINEL;
    int32_t done = SENTINEL_I32;
    CHECK_STATUS(avk_audio_stream_write_block(s, 0, block, BLOCK), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_begin_write_block(s, 0, block, BLOCK, must_not_run, NULL, &r),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_begin_write_block(s, 0, block, BLOCK, must_not_run, NULL, NULL),
                 AVK_E_INVALID_HANDLE);
    CHECK(r == (avk_async *)SENTINEL);
    CHECK_STATUS(avk_audio_stream_end_write_block(s, NULL), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_end_write_block(s, live_result), AVK_E_INVALID_HANDLE);
    CHECK_OK(avk_async_is_completed(live_result, &done));
}

/* Every function taking a result, with `r` that is not a live result. */
static void bad_async(avk_async *r, avk_writer *w, avk_video_stream *v, avk_audio_stream *a) {
    int32_t i32 = SENTINEL_I32;
    void *state = SENTINEL;
    avk_status st = SENTINEL_STATUS;
    size_t len = SENTINEL_SIZE;
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    CHECK_STATUS(avk_async_is_completed(r, &i32), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_completed_synchronously(r, &i32), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_user_state(r, &state), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_result(r, &st), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_error_message(r, buf, sizeof buf, &len), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_wait(r, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_wait(r, AVK_WAIT_INFINITE), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(r), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, r), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_end_write_block(a, r), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_end_flush(w, r), AVK_E_INVALID_HANDLE);
    CHECK_EQ(i32, SENTINEL_I32);
    CHECK(state == SENTINEL);
    CHECK_EQ(st, SENTINEL_STATUS);
    CHECK_EQ(len, SENTINEL_SIZE);
    CHECK_EQ(buf[0], 'Z');
}

static void test_bad_handles(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_async *r = NULL, *pending_flush = NULL;
    static uint8_t foreign_static[64];
    uint8_t foreign_stack[64];
    uint8_t *foreign_heap = (uint8_t *)calloc(1, 64);
    void *bad[10];
    size_t n = 0, i;
    int32_t done = 0;
    avk_status st = SENTINEL_STATUS;

    avk_test_gate_init(&g);
    w = open_sink_writer(&g);
    v = add_dib(w, VW, VH, 32);
    a = add_pcm(w);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &r));
    CHECK_OK(avk_async_wait(r, AVK_WAIT_INFINITE));

    memset(foreign_stack, 0, sizeof foreign_stack);
    CHECK(foreign_heap != NULL);
    bad[n++] = NULL;
    bad[n++] = (void *)(uintptr_t)0x12345678u;
    bad[n++] = (void *)(uintptr_t)0x12345671u; /* odd low bits */
    bad[n++] = (void *)(uintptr_t)1u;
    bad[n++] = (void *)(uintptr_t)UINTPTR_MAX;
    bad[n++] = (void *)foreign_static;
    bad[n++] = (void *)foreign_stack;
    bad[n++] = (void *)foreign_heap;
    if (sizeof(void *) == 8) {
        /* A live handle's value with a high bit flipped: a forged or stale value. */
        bad[n++] = (void *)((uintptr_t)w ^ ((uintptr_t)1 << 44));
        bad[n++] = (void *)((uintptr_t)r ^ ((uintptr_t)1 << 44));
    }

    for (i = 0; i < n; i++) {
        bad_writer((avk_writer *)bad[i]);
        bad_video((avk_video_stream *)bad[i], r);
        bad_audio((avk_audio_stream *)bad[i], r);
        bad_async((avk_async *)bad[i], w, v, a);
    }

    /* Wrong types: a handle of one kind passed as another. */
    bad_writer((avk_writer *)v);
    bad_writer((avk_writer *)a);
    bad_writer((avk_writer *)r);
    bad_video((avk_video_stream *)a, r);
    bad_video((avk_video_stream *)w, r);
    bad_video((avk_video_stream *)r, r);
    bad_audio((avk_audio_stream *)v, r);
    bad_audio((avk_audio_stream *)w, r);
    bad_audio((avk_audio_stream *)r, r);
    bad_async((avk_async *)w, w, v, a);
    bad_async((avk_async *)v, w, v, a);
    bad_async((avk_async *)a, w, v, a);

    /* A flush result is not a stream's; a stream's result is not a flush. */
    CHECK_OK(avk_writer_begin_flush(w, 0, NULL, NULL, &pending_flush));
    CHECK_STATUS(avk_video_stream_end_write_frame(v, pending_flush), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_end_write_block(a, pending_flush), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_end_flush(w, r), AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_writer_end_flush(w, pending_flush));

    /* A completed result cannot be canceled; it stays alive. */
    CHECK_STATUS(avk_async_cancel(r), AVK_E_INVALID_STATE);

    /* The objects survived all of it. */
    CHECK_OK(avk_async_is_completed(r, &done));
    CHECK_EQ(done, 1);
    CHECK_OK(avk_async_result(r, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    CHECK_OK(avk_video_stream_end_write_frame(v, r));
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    CHECK_OK(avk_audio_stream_write_block(a, 0, block, BLOCK));
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    free(foreign_heap);
    avk_test_gate_destroy(&g);
}

/* ---- after close -------------------------------------------------------------------------- */

static void test_after_close(void) {
    char path[1024];
    avk_writer *w = NULL, *w2 = NULL;
    avk_video_stream *v = NULL, *v2 = NULL;
    avk_audio_stream *a = NULL;
    avk_async *unended = NULL, *ended = NULL;
    int32_t done = 0;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_writer_options wo = avk_test_writer_options();

    avk_test_path(path, sizeof path, "misuse-after-close");
    CHECK_OK(avk_writer_create(path, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_writer_add_audio_stream(w, NULL, &a));
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &unended));
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &ended));
    CHECK_OK(avk_video_stream_end_write_frame(v, ended));
    CHECK_OK(avk_writer_close(w));

    /* Double close; every handle of the writer is released, also the un-ended result. */
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
    bad_writer(w);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, must_not_run, NULL,
                                                    NULL),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, block, BLOCK), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(unended, &done), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, unended), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_wait(unended, AVK_WAIT_INFINITE), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(unended), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(ended), AVK_E_INVALID_HANDLE);

    /* New objects reuse the freed slots: the old handles stay invalid. */
    CHECK_OK(avk_writer_create(path, &wo, &w2));
    CHECK_OK(avk_writer_add_video_stream(w2, &vo, &v2));
    CHECK(w2 != w);
    CHECK(v2 != v);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_flush(w, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, block, BLOCK), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(unended, &done), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(ended, &done), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(unended), AVK_E_INVALID_HANDLE);
    CHECK_OK(avk_video_stream_write_frame(v2, 0, frame, frame_len));
    CHECK_OK(avk_writer_flush(w2, 0));
    CHECK_OK(avk_writer_close(w2));
    CHECK_STATUS(avk_video_stream_write_frame(v2, 0, frame, frame_len), AVK_E_INVALID_HANDLE);
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    remove(path);
}

int main(void) {
    misuse_setup();
    test_bad_handles();
    test_after_close();
    misuse_teardown();
    return avk_test_summary("test_misuse_handles");
}
