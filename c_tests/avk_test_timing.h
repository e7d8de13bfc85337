/* Helpers of the capture-timing tests (test_timing*.c): stream counters, and callbacks that count
 * or must never run. Header-only; include after avk_test.h. */
#ifndef AVK_TEST_TIMING_H
#define AVK_TEST_TIMING_H

#include "avk_test.h"

static inline avk_stream_stats video_stats(avk_video_stream *v) {
    avk_stream_stats s;
    s.struct_size = sizeof s;
    CHECK_OK(avk_video_stream_get_stats(v, &s));
    return s;
}

static inline avk_stream_stats audio_stats(avk_audio_stream *a) {
    avk_stream_stats s;
    s.struct_size = sizeof s;
    CHECK_OK(avk_audio_stream_get_stats(a, &s));
    return s;
}

static int callbacks_run; /* atomic */

static inline void count_callback(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    __atomic_add_fetch(&callbacks_run, 1, __ATOMIC_SEQ_CST);
}

static inline void must_not_run(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    avk_test_fail(__FILE__, __LINE__, "the callback of a refused begin ran");
}

#endif
