/*
 * Shared by the test_misuse_*.c programs (misuse of every exported function of avikit.h, one
 * concern per program): the frame and block every program writes, out-pointer sentinels, the
 * callbacks, and writers on the gated sink of avk_test.h. Include after avk_test.h; call
 * misuse_setup() first in main and misuse_teardown() before the summary.
 */
#ifndef AVK_TEST_MISUSE_H
#define AVK_TEST_MISUSE_H

#include "avk_test.h"

#define VW 64u
#define VH 48u
#define BLOCK 5880u /* 1470 stereo 16-bit samples */

static size_t frame_len;
static uint8_t *frame;
static uint8_t block[BLOCK];

/* Out-pointer sentinels: a failing call must leave them alone. The object's address comes from a
   function so that a program that does not use it has no unused variable. */
static inline void *misuse_sentinel(void) {
    static char sentinel_object;
    return &sentinel_object;
}
#define SENTINEL (misuse_sentinel())
#define SENTINEL_STATUS ((avk_status)0x5E5E)
#define SENTINEL_I32 ((int32_t)-77)
#define SENTINEL_SIZE ((size_t)0xDEADu)

/* A VW x VH 32-bit DIB frame and a PCM block, deterministic. */
static inline void misuse_setup(void) {
    frame_len = avk_test_dib_size(VW, VH, 32);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, VW, VH, 32, 7);
    avk_test_fill_pcm16_stereo(block, BLOCK / 4, 0);
}

static inline void misuse_teardown(void) {
    free(frame);
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static int stray_callbacks; /* atomic: callbacks of begins that failed (must stay 0) */

static inline void must_not_run(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    __atomic_add_fetch(&stray_callbacks, 1, __ATOMIC_SEQ_CST);
}

static inline void count_callback(avk_async *result, void *user_state) {
    (void)result;
    __atomic_add_fetch((int *)user_state, 1, __ATOMIC_SEQ_CST);
}

/* ---- a writer on the gated sink of avk_test.h ------------------------------------------- */

static inline avk_writer *open_sink_writer(avk_test_gate *g) {
    avk_writer_options o = avk_test_writer_options();
    avk_io io = avk_test_gate_io(g);
    avk_writer *w = NULL;
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    CHECK(w != NULL);
    return w;
}

static inline avk_video_stream *add_dib(avk_writer *w, uint32_t width, uint32_t height,
                                        uint32_t bpp) {
    avk_video_stream_options o = avk_test_dib_options(width, height, bpp);
    avk_video_stream *s = NULL;
    CHECK_OK(avk_writer_add_video_stream(w, &o, &s));
    CHECK(s != NULL);
    return s;
}

static inline avk_audio_stream *add_pcm(avk_writer *w) {
    avk_audio_stream_options o = avk_test_pcm_options();
    avk_audio_stream *s = NULL;
    CHECK_OK(avk_writer_add_audio_stream(w, &o, &s));
    CHECK(s != NULL);
    return s;
}

#endif
