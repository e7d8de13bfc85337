/*
 * Misuse of the 0.2 capture-timing calls: avk_video_stream_begin_write_frame_at,
 * avk_video_stream_write_frame_at, avk_audio_stream_begin_write_block_at,
 * avk_audio_stream_write_block_at, avk_video_stream_skip_frames, avk_video_stream_get_stats and
 * avk_audio_stream_get_stats:
 *   - NULL, forged, wrong-type, closed and stale (slot reused by a new writer) handles ->
 *     AVK_E_INVALID_HANDLE;
 *   - unknown flags, NULL data with len > 0, wrong lengths -> AVK_E_INVALID_ARGUMENT, a RAW audio
 *     stream -> AVK_E_UNSUPPORTED; none of them fixes time zero;
 *   - timestamps backwards (a taken slot, samples the stream has), before time zero, INT64_MIN
 *     -> AVK_E_DROPPED (counted in stats.dropped); gaps over 1,000,000 frame periods, INT64_MAX
 *     -> AVK_E_LIMIT; time zero at INT64_MIN or INT64_MAX does not overflow;
 *   - skip_frames over 1,000,000 -> AVK_E_LIMIT, 0 does nothing;
 *   - stats with NULL out, struct_size too small, inside a field or too large ->
 *     AVK_E_INVALID_ARGUMENT, out untouched; an older (smaller) struct gets only its fields;
 *   - synchronous timed writes inside a callback -> AVK_E_WOULD_DEADLOCK.
 * After every refusal: a message (CHECK_STATUS), out_result untouched, no callback, the stream's
 * stats unchanged but for `dropped`; afterwards the writer takes writes, closes with AVK_OK, and
 * avk_inspect_file finds exactly the accepted chunks.
 */
#include "avk_test.h"

#define VW 32u
#define VH 24u
#define BLOCK_SAMPLES 441u /* 10 ms of 44.1 kHz stereo 16-bit */
#define BLOCK (BLOCK_SAMPLES * 4u)
#define MS 1000000LL
#define T0 1000000000000LL /* time zero of most tests: 1000 s on the caller's clock */

/* The capture time of video slot `k` at the writers' 30 fps (a few ns early: still slot k). */
#define SLOT(k) (T0 + (int64_t)(k) * 1000000000LL / 30)

static size_t frame_len;
static uint8_t *frame;
static uint8_t block[BLOCK];

static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

static int stray_callbacks; /* atomic: callbacks of refused begins (must stay 0) */

static void must_not_run(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    __atomic_add_fetch(&stray_callbacks, 1, __ATOMIC_SEQ_CST);
}

/* ---- a writer with two DIB video streams, a PCM and a RAW audio stream ------------------- */

typedef struct fixture {
    char path[1024];
    avk_writer *w;
    avk_video_stream *v, *v2;
    avk_audio_stream *a, *raw;
} fixture;

static void open_fixture(fixture *f, const char *name) {
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_audio_stream_options ao = avk_test_pcm_options();
    avk_audio_stream_options ro;
    avk_audio_stream_options_init(&ro);
    ro.codec = AVK_AUDIO_RAW;
    ro.format_tag = 1; /* PCM, written as given */
    wo.frame_rate_num = 30;
    wo.frame_rate_den = 1;
    avk_test_path(f->path, sizeof f->path, name);
    CHECK_OK(avk_writer_create(f->path, &wo, &f->w));
    CHECK_OK(avk_writer_add_video_stream(f->w, &vo, &f->v));
    CHECK_OK(avk_writer_add_video_stream(f->w, &vo, &f->v2));
    CHECK_OK(avk_writer_add_audio_stream(f->w, &ao, &f->a));
    CHECK_OK(avk_writer_add_audio_stream(f->w, &ro, &f->raw));
}

/* Closes with AVK_OK; the file passes avk_inspect_file with the first video stream's chunks
   and all audio streams' chunks as given (the tests insert no silence). */
static void close_and_inspect(fixture *f, uint64_t video_frames, uint64_t audio_chunks) {
    avk_file_report report;
    CHECK_OK(avk_writer_close(f->w));
    report.struct_size = sizeof report;
    CHECK_OK(avk_inspect_file(f->path, &report));
    CHECK_EQ(report.stream_count, 4);
    CHECK_EQ(report.video_frames, video_frames);
    CHECK_EQ(report.audio_chunks, audio_chunks);
    remove(f->path);
}

static avk_stream_stats vstats(avk_video_stream *v) {
    avk_stream_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    CHECK_OK(avk_video_stream_get_stats(v, &s));
    return s;
}

static avk_stream_stats astats(avk_audio_stream *a) {
    avk_stream_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    CHECK_OK(avk_audio_stream_get_stats(a, &s));
    return s;
}

/* Every counter of `now` equals `before`'s, but `dropped`, which grew by `drops`. */
static void stats_unchanged(const char *file, int line, avk_stream_stats before,
                            avk_stream_stats now, uint64_t drops) {
    /* Field by field: the padding after struct_size is not the library's to keep. */
    if (before.chunks != now.chunks || before.empty_frames != now.empty_frames ||
        before.dropped + drops != now.dropped || before.payload_bytes != now.payload_bytes ||
        before.samples != now.samples || before.silence_samples != now.silence_samples ||
        before.trimmed_samples != now.trimmed_samples) {
        avk_test_fail(file, line, "a refused call changed the stream's stats");
    }
    avk_test_pass();
}

/* The three timed video calls (begin with a result, begin fire-and-forget, write) are refused
   with `want`: out_result untouched, no callback, stats unchanged (AVK_E_DROPPED counted). */
#define REFUSE_VIDEO(v, flags, t, data, len, want)                                             \
    refuse_video(__FILE__, __LINE__, v, flags, t, data, len, want)
static void refuse_video(const char *file, int line, avk_video_stream *v, uint32_t flags,
                         int64_t t, const uint8_t *data, size_t len, avk_status want) {
    avk_stream_stats before = vstats(v);
    avk_async *r = (avk_async *)SENTINEL;
    avk_test_status(file, line, "avk_video_stream_begin_write_frame_at",
                    avk_video_stream_begin_write_frame_at(v, flags, t, data, len, must_not_run,
                                                          NULL, &r),
                    want);
    avk_test_status(file, line, "avk_video_stream_begin_write_frame_at (no result)",
                    avk_video_stream_begin_write_frame_at(v, flags, t, data, len, must_not_run,
                                                          NULL, NULL),
                    want);
    avk_test_status(file, line, "avk_video_stream_write_frame_at",
                    avk_video_stream_write_frame_at(v, flags, t, data, len), want);
    if (r != (avk_async *)SENTINEL) {
        avk_test_fail(file, line, "a refused begin wrote out_result");
    }
    stats_unchanged(file, line, before, vstats(v), want == AVK_E_DROPPED ? 3u : 0u);
}

#define REFUSE_AUDIO(a, flags, t, data, len, want)                                             \
    refuse_audio(__FILE__, __LINE__, a, flags, t, data, len, want)
static void refuse_audio(const char *file, int line, avk_audio_stream *a, uint32_t flags,
                         int64_t t, const uint8_t *data, size_t len, avk_status want) {
    avk_stream_stats before = astats(a);
    avk_async *r = (avk_async *)SENTINEL;
    avk_test_status(file, line, "avk_audio_stream_begin_write_block_at",
                    avk_audio_stream_begin_write_block_at(a, flags, t, data, len, must_not_run,
                                                          NULL, &r),
                    want);
    avk_test_status(file, line, "avk_audio_stream_begin_write_block_at (no result)",
                    avk_audio_stream_begin_write_block_at(a, flags, t, data, len, must_not_run,
                                                          NULL, NULL),
                    want);
    avk_test_status(file, line, "avk_audio_stream_write_block_at",
                    avk_audio_stream_write_block_at(a, flags, t, data, len), want);
    if (r != (avk_async *)SENTINEL) {
        avk_test_fail(file, line, "a refused begin wrote out_result");
    }
    stats_unchanged(file, line, before, astats(a), want == AVK_E_DROPPED ? 3u : 0u);
}

/* Every new call with `v` and `a`, which are not live handles of their kind. */
static void bad_handles(avk_video_stream *v, avk_audio_stream *a) {
    avk_async *r = (avk_async *)SENTINEL;
    avk_stream_stats out, pattern;
    memset(&pattern, 0xAB, sizeof pattern);
    pattern.struct_size = sizeof pattern;
    out = pattern;
    CHECK_STATUS(avk_video_stream_begin_write_frame_at(v, 0, T0, frame, frame_len, must_not_run,
                                                       NULL, &r),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_write_frame_at(v, 0, T0, frame, frame_len),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_skip_frames(v, 1), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_skip_frames(v, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_video_stream_get_stats(v, &out), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_begin_write_block_at(a, 0, T0, block, BLOCK, must_not_run, NULL,
                                                       &r),
                 AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_write_block_at(a, 0, T0, block, BLOCK), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_get_stats(a, &out), AVK_E_INVALID_HANDLE);
    CHECK(r == (avk_async *)SENTINEL);
    CHECK(memcmp(&out, &pattern, sizeof out) == 0);
}

static void test_bad_handles(void) {
    fixture f, g;
    static uint8_t foreign[64];
    void *bad[6];
    size_t n = 0, i;
    open_fixture(&f, "timing-misuse-handles");
    bad[n++] = NULL;
    bad[n++] = (void *)(uintptr_t)0x12345678u;
    bad[n++] = (void *)(uintptr_t)UINTPTR_MAX;
    bad[n++] = (void *)foreign;
    if (sizeof(void *) == 8) {
        /* Live handles with a high bit flipped: forged values. */
        bad[n++] = (void *)((uintptr_t)f.v ^ ((uintptr_t)1 << 44));
        bad[n++] = (void *)((uintptr_t)f.a ^ ((uintptr_t)1 << 44));
    }
    for (i = 0; i < n; i++) {
        bad_handles((avk_video_stream *)bad[i], (avk_audio_stream *)bad[i]);
    }
    /* Wrong types: an audio stream or the writer as a video stream, and the other way round. */
    bad_handles((avk_video_stream *)f.a, (avk_audio_stream *)f.v);
    bad_handles((avk_video_stream *)f.w, (avk_audio_stream *)f.w);
    /* None of it fixed time zero: the first real timed write is slot 0, the next slot 1. */
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, SLOT(0), frame, frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, SLOT(1), frame, frame_len));
    CHECK_EQ(vstats(f.v).empty_frames, 0);
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, T0, block, BLOCK));
    close_and_inspect(&f, 2, 1);

    /* Closed: every handle of the writer is released. Stale: new objects reuse the slots. */
    bad_handles(f.v, f.a);
    bad_handles(f.v2, f.raw);
    open_fixture(&g, "timing-misuse-stale");
    bad_handles(f.v, f.a);
    CHECK_OK(avk_video_stream_write_frame_at(g.v, AVK_FRAME_KEYFRAME, T0, frame, frame_len));
    CHECK_OK(avk_video_stream_skip_frames(g.v, 2));
    close_and_inspect(&g, 3, 0);
    bad_handles(g.v, g.a);
}

/* Bad arguments before the first timed write: refused, and time zero stays unset. */
static void test_arguments(void) {
    fixture f;
    avk_stream_stats s;
    const int64_t early = T0 - 5000 * MS; /* time zero here would put T0 in slot 150 */
    open_fixture(&f, "timing-misuse-args");
    REFUSE_VIDEO(f.v, 0x8u, early, frame, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, 0x80000000u, early, frame, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, AVK_WRITE_NOWAIT | 0x10u, early, frame, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, 0, early, NULL, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, AVK_WRITE_COPY, early, NULL, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, 0, early, frame, frame_len - 1, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, 0, early, frame, frame_len + 4, AVK_E_INVALID_ARGUMENT);
    REFUSE_VIDEO(f.v, 0, early, NULL, 0, AVK_E_INVALID_ARGUMENT);
    REFUSE_AUDIO(f.a, 0x8u, early, block, BLOCK, AVK_E_INVALID_ARGUMENT);
    REFUSE_AUDIO(f.a, 0, early, NULL, BLOCK, AVK_E_INVALID_ARGUMENT);
    REFUSE_AUDIO(f.a, 0, early, block, BLOCK - 1, AVK_E_INVALID_ARGUMENT); /* not whole samples */
    REFUSE_AUDIO(f.a, 0, early, block, 0, AVK_E_INVALID_ARGUMENT);
    /* RAW audio has no samples to place: unsupported, also with good data; untimed is fine. */
    REFUSE_AUDIO(f.raw, 0, early, block, BLOCK, AVK_E_UNSUPPORTED);
    REFUSE_AUDIO(f.raw, AVK_WRITE_COPY, T0, block, BLOCK, AVK_E_UNSUPPORTED);
    CHECK_OK(avk_audio_stream_write_block(f.raw, 0, block, BLOCK));
    CHECK_EQ(astats(f.raw).samples, 0); /* documented: RAW streams count no samples */

    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, T0, frame, frame_len));
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, T0, block, BLOCK));
    s = vstats(f.v);
    CHECK_EQ(s.chunks, 1);
    CHECK_EQ(s.empty_frames, 0);
    CHECK_EQ(s.dropped, 0);
    CHECK_EQ(s.payload_bytes, frame_len);
    s = astats(f.a);
    CHECK_EQ(s.samples, BLOCK_SAMPLES);
    CHECK_EQ(s.silence_samples, 0);
    /* Argument checks come first for timed writes too, whatever the time. */
    REFUSE_VIDEO(f.v, 0x8u, INT64_MIN, frame, frame_len, AVK_E_INVALID_ARGUMENT);
    REFUSE_AUDIO(f.raw, 0, INT64_MAX, block, BLOCK, AVK_E_UNSUPPORTED);
    close_and_inspect(&f, 1, 2);
}

/* Times the stream cannot take: taken slots, before time zero, too far ahead. */
static void test_times(void) {
    fixture f;
    avk_stream_stats s;
    open_fixture(&f, "timing-misuse-times");
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, SLOT(0), frame, frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, SLOT(5), frame, frame_len));
    /* Backwards, the same slot again (16 ms later still rounds to slot 5), before time zero. */
    REFUSE_VIDEO(f.v, AVK_FRAME_KEYFRAME, SLOT(3), frame, frame_len, AVK_E_DROPPED);
    REFUSE_VIDEO(f.v, AVK_FRAME_KEYFRAME, SLOT(5), frame, frame_len, AVK_E_DROPPED);
    REFUSE_VIDEO(f.v, AVK_FRAME_KEYFRAME, SLOT(5) + 16 * MS, frame, frame_len, AVK_E_DROPPED);
    REFUSE_VIDEO(f.v, AVK_FRAME_KEYFRAME, T0 - 1000 * MS, frame, frame_len, AVK_E_DROPPED);
    REFUSE_VIDEO(f.v, AVK_FRAME_KEYFRAME, INT64_MIN, frame, frame_len, AVK_E_DROPPED);
    /* A fresh stream has slot 0 free, but nothing before time zero. */
    REFUSE_VIDEO(f.v2, AVK_FRAME_KEYFRAME, T0 - 100 * MS, frame, frame_len, AVK_E_DROPPED);
    /* Six slots are taken: slot 1,000,007 leaves 1,000,001 empty, one too many. */
    REFUSE_VIDEO(f.v, 0, SLOT(1000007), frame, frame_len, AVK_E_LIMIT);
    REFUSE_VIDEO(f.v, 0, INT64_MAX, frame, frame_len, AVK_E_LIMIT);
    s = vstats(f.v);
    CHECK_EQ(s.chunks, 6);
    CHECK_EQ(s.empty_frames, 4);
    CHECK_EQ(s.dropped, 15);
    CHECK_EQ(vstats(f.v2).dropped, 3);

    /* Audio: two blocks, 882 samples. A block ending before them, one wholly before time zero
       on a fresh stream, INT64_MIN: dropped. A gap over 1,000,000 frame periods (33,333 s at
       30 fps), INT64_MAX: limit. */
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, T0, block, BLOCK));
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, T0 + 10 * MS, block, BLOCK));
    REFUSE_AUDIO(f.a, 0, T0 - 50 * MS, block, BLOCK, AVK_E_DROPPED);
    REFUSE_AUDIO(f.a, 0, INT64_MIN, block, BLOCK, AVK_E_DROPPED);
    REFUSE_AUDIO(f.a, 0, T0 + 40000000 * MS, block, BLOCK, AVK_E_LIMIT);
    REFUSE_AUDIO(f.a, 0, INT64_MAX, block, BLOCK, AVK_E_LIMIT);
    s = astats(f.a);
    CHECK_EQ(s.chunks, 2);
    CHECK_EQ(s.samples, 2 * BLOCK_SAMPLES);
    CHECK_EQ(s.dropped, 6);
    CHECK_EQ(s.silence_samples + s.trimmed_samples, 0);

    /* skip_frames: over the limit refused, 0 does nothing, then the next slots. */
    s = vstats(f.v);
    CHECK_STATUS(avk_video_stream_skip_frames(f.v, 1000001), AVK_E_LIMIT);
    CHECK_STATUS(avk_video_stream_skip_frames(f.v, UINT32_MAX), AVK_E_LIMIT);
    CHECK_OK(avk_video_stream_skip_frames(f.v, 0));
    stats_unchanged(__FILE__, __LINE__, s, vstats(f.v), 0);
    CHECK_OK(avk_video_stream_skip_frames(f.v, 2)); /* slots 6 and 7 */
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, SLOT(8), frame, frame_len));
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, T0 + 20 * MS, block, BLOCK));
    CHECK_EQ(vstats(f.v).chunks, 9);
    close_and_inspect(&f, 9, 3);
}

/* Time zero at the ends of int64_t: elapsed times span 2^64 ns without overflow. */
static void test_extreme_time_zero(void) {
    fixture f;
    open_fixture(&f, "timing-misuse-min");
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, INT64_MIN, frame, frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, INT64_MIN + 34 * MS, frame,
                                             frame_len));
    REFUSE_VIDEO(f.v, 0, INT64_MAX, frame, frame_len, AVK_E_LIMIT);
    REFUSE_AUDIO(f.a, 0, INT64_MAX, block, BLOCK, AVK_E_LIMIT);
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, INT64_MIN, block, BLOCK));
    close_and_inspect(&f, 2, 1);

    open_fixture(&f, "timing-misuse-max");
    CHECK_OK(avk_audio_stream_write_block_at(f.a, 0, INT64_MAX, block, BLOCK));
    REFUSE_AUDIO(f.a, 0, INT64_MIN, block, BLOCK, AVK_E_DROPPED);
    REFUSE_VIDEO(f.v, 0, INT64_MIN, frame, frame_len, AVK_E_DROPPED);
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, INT64_MAX, frame, frame_len));
    REFUSE_VIDEO(f.v, 0, INT64_MAX - 1 * MS, frame, frame_len, AVK_E_DROPPED); /* slot 0 again */
    close_and_inspect(&f, 1, 1);
}

/* struct_size: 4 (only struct_size itself) and older sizes ending on a field are accepted and
   get only their fields; smaller, inside a field or larger than this version are refused. */
static void test_stats_struct_size(void) {
    fixture f;
    static const uint32_t bad_sizes[] = {
        0, 2, 3, 12, offsetof(avk_stream_stats, dropped) + 4, sizeof(avk_stream_stats) - 1,
        sizeof(avk_stream_stats) + 1, sizeof(avk_stream_stats) + 8, UINT32_MAX};
    avk_stream_stats out, pattern;
    size_t i;
    open_fixture(&f, "timing-misuse-stats");
    CHECK_OK(avk_video_stream_write_frame_at(f.v, AVK_FRAME_KEYFRAME, T0, frame, frame_len));
    CHECK_OK(avk_video_stream_skip_frames(f.v, 1));
    CHECK_STATUS(avk_video_stream_get_stats(f.v, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_get_stats(f.a, NULL), AVK_E_INVALID_ARGUMENT);
    memset(&pattern, 0xAB, sizeof pattern);
    for (i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
        pattern.struct_size = bad_sizes[i];
        out = pattern;
        CHECK_STATUS(avk_video_stream_get_stats(f.v, &out), AVK_E_INVALID_ARGUMENT);
        CHECK(memcmp(&out, &pattern, sizeof out) == 0);
        CHECK_STATUS(avk_audio_stream_get_stats(f.a, &out), AVK_E_INVALID_ARGUMENT);
        CHECK(memcmp(&out, &pattern, sizeof out) == 0);
    }
    pattern.struct_size = 4;
    out = pattern;
    CHECK_OK(avk_video_stream_get_stats(f.v, &out));
    CHECK(memcmp(&out, &pattern, sizeof out) == 0);
    /* A caller that knows only chunks and empty_frames. */
    pattern.struct_size = offsetof(avk_stream_stats, dropped);
    out = pattern;
    CHECK_OK(avk_video_stream_get_stats(f.v, &out));
    CHECK_EQ(out.struct_size, offsetof(avk_stream_stats, dropped));
    CHECK_EQ(out.chunks, 2);
    CHECK_EQ(out.empty_frames, 1);
    CHECK(memcmp(&out.dropped, &pattern.dropped,
                 sizeof out - offsetof(avk_stream_stats, dropped)) == 0);
    close_and_inspect(&f, 2, 0);
}

/* ---- inside a callback -------------------------------------------------------------------- */

static fixture callback_fixture;

/* On the worker: a synchronous timed write would wait for itself. */
static void sync_writes_inside(avk_async *result, void *user_state) {
    fixture *f = &callback_fixture;
    avk_stream_stats v = vstats(f->v), a = astats(f->a);
    (void)result;
    (void)user_state;
    CHECK_STATUS(avk_video_stream_write_frame_at(f->v, AVK_FRAME_KEYFRAME, SLOT(3), frame,
                                                 frame_len),
                 AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_audio_stream_write_block_at(f->a, 0, T0, block, BLOCK),
                 AVK_E_WOULD_DEADLOCK);
    stats_unchanged(__FILE__, __LINE__, v, vstats(f->v), 0);
    stats_unchanged(__FILE__, __LINE__, a, astats(f->a), 0);
}

static void test_inside_callback(void) {
    fixture *f = &callback_fixture;
    avk_async *r = NULL;
    open_fixture(f, "timing-misuse-callback");
    CHECK_OK(avk_video_stream_begin_write_frame_at(f->v, AVK_FRAME_KEYFRAME, SLOT(0), frame,
                                                   frame_len, sync_writes_inside, NULL, &r));
    CHECK_OK(avk_video_stream_end_write_frame(f->v, r));
    CHECK_OK(avk_writer_flush(f->w, 0)); /* the callback has run */
    /* Slot 1 is free: the refused write inside took nothing. */
    CHECK_OK(avk_video_stream_write_frame_at(f->v, AVK_FRAME_KEYFRAME, SLOT(1), frame, frame_len));
    CHECK_EQ(vstats(f->v).empty_frames, 0);
    close_and_inspect(f, 2, 0);
}

int main(void) {
    frame_len = avk_test_dib_size(VW, VH, 32);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, VW, VH, 32, 3);
    avk_test_fill_pcm16_stereo(block, BLOCK_SAMPLES, 0);

    test_bad_handles();
    test_arguments();
    test_times();
    test_extreme_time_zero();
    test_stats_struct_size();
    test_inside_callback();

    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    free(frame);
    return avk_test_summary("test_timing_misuse");
}
