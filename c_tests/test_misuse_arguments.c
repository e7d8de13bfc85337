/*
 * Misuse of avikit.h with live handles and bad arguments: adding streams with NULL options or
 * out-pointer, unknown codecs and pixel formats, bad geometry, fields an encoding codec cannot
 * take (MJPEG and H.264 are AVK_E_UNSUPPORTED when not built in), bad audio formats and a
 * struct_size inside a field, zero or newer -> AVK_E_INVALID_ARGUMENT, while an older (smaller)
 * struct is accepted and the fields past its struct_size are ignored; writes with unknown flag
 * bits, NULL data with len > 0, a DIB length that is not stride * height, a PCM length not a
 * multiple of block_align -> AVK_E_INVALID_ARGUMENT (nothing queued, no callback); NULL
 * out-pointers of the result getters; stream 101 -> AVK_E_LIMIT; adding a stream after the first
 * write or flush -> AVK_E_INVALID_STATE.
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

static void test_arguments(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *v, *v24;
    avk_audio_stream *a;
    avk_video_stream *vs = (avk_video_stream *)SENTINEL;
    avk_audio_stream *as = (avk_audio_stream *)SENTINEL;
    avk_async *r = (avk_async *)SENTINEL, *done_r = NULL;
    avk_video_stream_options vo;
    avk_audio_stream_options ao;
    struct {
        avk_video_stream_options o;
        uint8_t newer_fields[8];
    } newer_v;
    struct {
        avk_audio_stream_options o;
        uint8_t newer_fields[8];
    } newer_a;
    size_t len24 = avk_test_dib_size(30, 10, 24);
    uint8_t frame24[920]; /* 10 rows of 90 bytes, each padded to 92 */
    int32_t i32 = SENTINEL_I32;
    void *state = SENTINEL;
    avk_status st = SENTINEL_STATUS;
    size_t len = SENTINEL_SIZE;
    char buf[8];
    int i;

    CHECK_EQ(len24, 920);
    CHECK_EQ(sizeof frame24, 920);
    avk_test_fill_dib(frame24, 30, 10, 24, 1);

    avk_test_gate_init(&g);
    w = open_sink_writer(&g);

    /* add_*_stream: NULL out-pointer and NULL options. */
    vo = avk_test_dib_options(VW, VH, 32);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_add_video_stream(w, NULL, &vs), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_add_audio_stream(w, NULL, NULL), AVK_E_INVALID_ARGUMENT);

    /* Unknown codec, unsupported (not built) encoding codecs, unknown pixel format. */
    vo.codec = 99;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    vo.codec = -1;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    /* MJPEG and H.264 are optional cargo features: a stream when built in, else
       AVK_E_UNSUPPORTED (on a writer of their own, so that w's streams stay as they are). When
       built in, every field the codec cannot take is AVK_E_INVALID_ARGUMENT. */
    for (i = 0; i < 2; i++) {
        const int32_t codec = i == 0 ? AVK_VIDEO_MJPEG : AVK_VIDEO_H264;
        avk_test_gate gm;
        avk_writer *wm;
        avk_video_stream *vm = NULL;
        avk_status built;
        avk_test_gate_init(&gm);
        wm = open_sink_writer(&gm);
        vo = avk_test_dib_options(VW, VH, 32);
        vo.codec = codec;
        built = avk_writer_add_video_stream(wm, &vo, &vm);
        CHECK(built == AVK_OK || built == AVK_E_UNSUPPORTED);
        if (built == AVK_OK) {
            avk_video_stream *kept = vm;
            vo.quality = 0;
            CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
            vo.quality = 101;
            CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
            vo.quality = 75;
            vo.input_stride = (int32_t)(VW * 4 - 1);
            CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
            vo.input_stride = 0;
            if (codec == AVK_VIDEO_H264) {
                vo.width = VW - 1; /* 4:2:0 chroma needs even sizes */
                CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
                vo.width = 8; /* under one macroblock */
                vo.height = 8;
                CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
                vo.width = 4096;
                vo.height = VH;
                CHECK_STATUS(avk_writer_add_video_stream(wm, &vo, &vm), AVK_E_INVALID_ARGUMENT);
            }
            CHECK(vm == kept);
        }
        CHECK_STATUS(avk_writer_close(wm), built == AVK_OK ? AVK_OK : AVK_E_INVALID_STATE);
        avk_test_gate_destroy(&gm);
    }
    /* (unknown input_format values: test_unknown_pixel_format, run last) */
    /* Bad geometry. */
    vo = avk_test_dib_options(0, VH, 32);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    vo = avk_test_dib_options(VW, 0, 32);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    vo = avk_test_dib_options(VW, VH, 7);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    /* struct_size inside a field, zero, newer. */
    vo = avk_test_dib_options(VW, VH, 32);
    vo.struct_size = 2;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    vo.struct_size = 0;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    memset(&newer_v, 0, sizeof newer_v);
    newer_v.o = avk_test_dib_options(VW, VH, 32);
    newer_v.o.struct_size = (uint32_t)sizeof(avk_video_stream_options) + 8u;
    CHECK_STATUS(avk_writer_add_video_stream(w, &newer_v.o, &vs), AVK_E_INVALID_ARGUMENT);
    CHECK(vs == (avk_video_stream *)SENTINEL);

    ao = avk_test_pcm_options();
    ao.codec = 99;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao.codec = -1;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao.codec = AVK_AUDIO_MP3; /* MP3 takes 1-2 channels of 16-bit PCM at an MP3 bitrate */
    ao.bitrate_kbps = 100;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao.bitrate_kbps = 128;
    ao.bits_per_sample = 8;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao.bits_per_sample = 16;
    ao.channels = 3;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao.channels = 2;
    ao.sample_rate = 44000;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao = avk_test_pcm_options();
    ao.bits_per_sample = 12;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao = avk_test_pcm_options();
    ao.channels = 0;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao = avk_test_pcm_options();
    ao.sample_rate = 0;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    ao = avk_test_pcm_options();
    ao.struct_size = 2;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &as), AVK_E_INVALID_ARGUMENT);
    memset(&newer_a, 0, sizeof newer_a);
    newer_a.o = avk_test_pcm_options();
    newer_a.o.struct_size = (uint32_t)sizeof(avk_audio_stream_options) + 8u;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &newer_a.o, &as), AVK_E_INVALID_ARGUMENT);
    CHECK(as == (avk_audio_stream *)SENTINEL);

    /* Older option structs are accepted; fields past struct_size (here a `name` pointer that
       must not be dereferenced) are ignored. */
    vo = avk_test_dib_options(VW, VH, 32);
    vo.struct_size = (uint32_t)offsetof(avk_video_stream_options, name);
    vo.name = (const char *)(uintptr_t)0x10;
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    ao = avk_test_pcm_options();
    ao.struct_size = (uint32_t)offsetof(avk_audio_stream_options, name);
    ao.name = (const char *)(uintptr_t)0x10;
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    vo = avk_test_dib_options(30, 10, 24);
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v24));

    /* Writes: unknown flags, NULL data with len > 0, wrong lengths. Begin reports them at once,
       queues nothing, runs no callback, writes no result. */
    CHECK_STATUS(avk_video_stream_write_frame(v, 0x8u, frame, frame_len), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0x80000000u, frame, frame_len),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, 0x100u, frame, frame_len, must_not_run,
                                                    NULL, &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0x10u, block, BLOCK), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_begin_write_block(a, 0x8u, block, BLOCK, must_not_run, NULL,
                                                    &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_flush(w, 0x2u), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_begin_flush(w, 0x80000000u, must_not_run, NULL, &r),
                 AVK_E_INVALID_ARGUMENT);

    CHECK_STATUS(avk_video_stream_write_frame(v, 0, NULL, frame_len), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, 0, NULL, frame_len, must_not_run, NULL,
                                                    &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, AVK_WRITE_COPY, NULL, frame_len,
                                                    must_not_run, NULL, &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, NULL, BLOCK), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_begin_write_block(a, 0, NULL, BLOCK, must_not_run, NULL, &r),
                 AVK_E_INVALID_ARGUMENT);

    /* A DIB frame must be exactly stride * height bytes (rows padded to 4). */
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len - 1),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len - 4),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len + 4),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, NULL, 0), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, 0), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, 0, frame, frame_len + 1, must_not_run,
                                                    NULL, &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(v24, 0, frame24, 30 * 3 * 10),
                 AVK_E_INVALID_ARGUMENT); /* unpadded rows */
    CHECK_STATUS(avk_video_stream_begin_write_frame(v24, 0, frame24, 30 * 3 * 10,
                                                    must_not_run, NULL, NULL),
                 AVK_E_INVALID_ARGUMENT);
    /* PCM: a non-zero multiple of block_align (4). */
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, block, BLOCK - 1), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, block, 2), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, block, 0), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_write_block(a, 0, NULL, 0), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_begin_write_block(a, 0, block, 6, must_not_run, NULL, &r),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_audio_stream_begin_write_block(a, AVK_WRITE_COPY, block, 3, must_not_run,
                                                    NULL, NULL),
                 AVK_E_INVALID_ARGUMENT);
    CHECK(r == (avk_async *)SENTINEL);

    /* Nothing was written: streams can still be added. */
    CHECK_EQ(g.write_calls, 0);
    {
        avk_audio_stream *extra = NULL;
        CHECK_OK(avk_writer_add_audio_stream(w, NULL, &extra)); /* NULL options: defaults */
        CHECK_OK(avk_audio_stream_write_block(extra, 0, block, BLOCK));
    }

    /* Now that a write happened: adding a stream is AVK_E_INVALID_STATE. */
    vo = avk_test_dib_options(VW, VH, 32);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_add_audio_stream(w, NULL, &as), AVK_E_INVALID_STATE);
    CHECK(vs == (avk_video_stream *)SENTINEL);
    CHECK(as == (avk_audio_stream *)SENTINEL);

    /* The valid lengths work: padded 24-bit DIB, 32-bit DIB, whole PCM blocks. */
    CHECK_OK(avk_video_stream_write_frame(v24, 0, frame24, len24));
    CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY, frame,
                                          frame_len));
    CHECK_OK(avk_audio_stream_write_block(a, 0, block, 4));

    /* Result getters: NULL out-pointers; buf NULL with buf_len > 0. */
    CHECK_OK(avk_audio_stream_begin_write_block(a, 0, block, BLOCK, NULL, (void *)block,
                                                &done_r));
    CHECK_OK(avk_async_wait(done_r, AVK_WAIT_INFINITE));
    CHECK_STATUS(avk_async_is_completed(done_r, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_async_completed_synchronously(done_r, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_async_user_state(done_r, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_async_result(done_r, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_async_error_message(done_r, buf, sizeof buf, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_async_error_message(done_r, NULL, 5, &len), AVK_E_INVALID_ARGUMENT);
    CHECK_EQ(len, SENTINEL_SIZE);
    /* And the successful forms. */
    CHECK_OK(avk_async_is_completed(done_r, &i32));
    CHECK_EQ(i32, 1);
    CHECK_OK(avk_async_completed_synchronously(done_r, &i32));
    CHECK_EQ(i32, 0);
    CHECK_OK(avk_async_user_state(done_r, &state));
    CHECK(state == (void *)block);
    CHECK_OK(avk_async_result(done_r, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    CHECK_OK(avk_async_error_message(done_r, NULL, 0, &len));
    CHECK_EQ(len, 1);
    memset(buf, 'Z', sizeof buf);
    CHECK_OK(avk_async_error_message(done_r, buf, sizeof buf, &len));
    CHECK_EQ(len, 1);
    CHECK_EQ(buf[0], '\0');
    CHECK_OK(avk_async_wait(done_r, 0));
    CHECK_OK(avk_audio_stream_end_write_block(a, done_r));

    for (i = 0; i < 3; i++) {
        CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    }
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    avk_test_gate_destroy(&g);
}

/* 100 streams are fine, the 101st is AVK_E_LIMIT; a flush also ends adding streams. */
static void test_stream_limit_and_flush_state(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_audio_stream *as = (avk_audio_stream *)SENTINEL, *first = NULL;
    avk_video_stream *vs = (avk_video_stream *)SENTINEL;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    int i;

    avk_test_gate_init(&g);
    w = open_sink_writer(&g);
    for (i = 0; i < 100; i++) {
        avk_audio_stream *s = NULL;
        CHECK_OK(avk_writer_add_audio_stream(w, NULL, &s));
        if (i == 0) {
            first = s;
        }
    }
    CHECK_STATUS(avk_writer_add_audio_stream(w, NULL, &as), AVK_E_LIMIT);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_LIMIT);
    CHECK(as == (avk_audio_stream *)SENTINEL);
    CHECK(vs == (avk_video_stream *)SENTINEL);
    CHECK_OK(avk_audio_stream_write_block(first, 0, block, BLOCK));
    CHECK_OK(avk_writer_close(w));
    avk_test_gate_destroy(&g);

    avk_test_gate_init(&g);
    w = open_sink_writer(&g);
    CHECK_OK(avk_writer_add_audio_stream(w, NULL, &first));
    CHECK_OK(avk_writer_flush(w, 0));
    CHECK_STATUS(avk_writer_add_audio_stream(w, NULL, &as), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_STATE);
    CHECK(as == (avk_audio_stream *)SENTINEL);
    CHECK(vs == (avk_video_stream *)SENTINEL);
    CHECK_OK(avk_writer_close(w));
    avk_test_gate_destroy(&g);
}

/* ---- unknown pixel format ---------------------------------------------------------------- */

/* An unknown avk_pixel_format is AVK_E_INVALID_ARGUMENT ("values coming in are validated"), also
   with AVK_VIDEO_RAW, the only video codec built today. Run last: when it fails, every other
   check above has already run. */
static void test_unknown_pixel_format(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *vs = (avk_video_stream *)SENTINEL;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_test_gate_init(&g);
    w = open_sink_writer(&g);
    vo.input_format = 99;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    vo.input_format = -5;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &vs), AVK_E_INVALID_ARGUMENT);
    CHECK(vs == (avk_video_stream *)SENTINEL);
    vo.input_format = AVK_PIXEL_RGB24; /* known values are fine (and unused by RAW) */
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &vs));
    CHECK_OK(avk_writer_close(w));
    avk_test_gate_destroy(&g);
}

int main(void) {
    misuse_setup();
    test_arguments();
    test_stream_limit_and_flush_state();
    test_unknown_pixel_format();
    /* No callback of a refused begin ran late either. */
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    misuse_teardown();
    return avk_test_summary("test_misuse_arguments");
}
