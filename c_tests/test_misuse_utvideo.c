/*
 * Misuse of the 0.3 video options (AVK_VIDEO_UTVIDEO, AVK_PIXEL_GRAY8, color_matrix,
 * prediction, slices, video_flags): unknown prediction, colour matrix and flag bits, more than
 * 256 slices, an odd width or height for ULY0, an odd width for ULY2, AVK_VIDEO_KEEP_ALPHA with
 * input that has no alpha or on another codec, a GRAY8 stride under the width ->
 * AVK_E_INVALID_ARGUMENT with a message, the out-pointer untouched and nothing written to the
 * sink; a caller compiled against the 0.2 struct (smaller struct_size) gets the defaults; the
 * same writer then takes a good Ut Video stream.
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

#include <stddef.h>

static avk_video_stream_options utvideo_options(uint32_t width, uint32_t height, int32_t format) {
    avk_video_stream_options o;
    avk_video_stream_options_init(&o);
    o.width = width;
    o.height = height;
    o.codec = AVK_VIDEO_UTVIDEO;
    o.input_format = format;
    return o;
}

static int write_calls(avk_test_gate *g) {
    int n;
    pthread_mutex_lock(&g->mu);
    n = g->write_calls;
    pthread_mutex_unlock(&g->mu);
    return n;
}

static void test_refused_options(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *vs = (avk_video_stream *)SENTINEL;
    avk_video_stream_options o;
    int before;

    avk_test_gate_init(&g);
    w = open_sink_writer(&g);
    before = write_calls(&g);

    /* The defaults of the new fields. */
    avk_video_stream_options_init(&o);
    CHECK_EQ(o.color_matrix, AVK_COLOR_BT601);
    CHECK_EQ(o.prediction, AVK_PREDICT_MEDIAN);
    CHECK_EQ(o.slices, 0u);
    CHECK_EQ(o.video_flags, 0u);

    o = utvideo_options(VW, VH, AVK_PIXEL_BGRA32);
    o.prediction = 4;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.prediction = -1;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    o = utvideo_options(VW, VH, AVK_PIXEL_I420);
    o.color_matrix = 2;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.color_matrix = -1;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    o = utvideo_options(VW, VH, AVK_PIXEL_BGRA32);
    o.video_flags = 0x2u;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.video_flags = AVK_VIDEO_KEEP_ALPHA | 0x80000000u;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    o = utvideo_options(VW, VH, AVK_PIXEL_BGRA32);
    o.slices = 257;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.slices = 0xFFFFFFFFu;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    /* ULY0 (GRAY8) needs an even width and height, ULY2 (YUY2) an even width. */
    o = utvideo_options(VW + 1, VH, AVK_PIXEL_GRAY8);
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o = utvideo_options(VW, VH + 1, AVK_PIXEL_GRAY8);
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o = utvideo_options(VW + 1, VH, AVK_PIXEL_YUY2);
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    /* KEEP_ALPHA: only from BGRA32/RGBA32, only for UTVIDEO. */
    o = utvideo_options(VW, VH, AVK_PIXEL_BGR24);
    o.video_flags = AVK_VIDEO_KEEP_ALPHA;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.input_format = AVK_PIXEL_I420;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.input_format = AVK_PIXEL_BGRA32;
    o.codec = AVK_VIDEO_UNCOMPRESSED;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    /* GRAY8: stride at least the width, for every codec. */
    o = utvideo_options(VW, VH, AVK_PIXEL_GRAY8);
    o.input_stride = (int32_t)VW - 1;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);
    o.codec = AVK_VIDEO_UNCOMPRESSED;
    CHECK_STATUS(avk_writer_add_video_stream(w, &o, &vs), AVK_E_INVALID_ARGUMENT);

    /* Nothing reached the sink and the out-pointer is untouched. */
    CHECK(vs == (avk_video_stream *)SENTINEL);
    CHECK_EQ(write_calls(&g), before);

    /* A 0.2 caller: struct_size ends before color_matrix; the garbage after it is not read. */
    o = utvideo_options(VW, VH, AVK_PIXEL_BGRA32);
    o.struct_size = (uint32_t)offsetof(avk_video_stream_options, color_matrix);
    o.color_matrix = 77;
    o.prediction = 77;
    o.slices = 9999;
    o.video_flags = 0xFFu;
    CHECK_OK(avk_writer_add_video_stream(w, &o, &vs));
    CHECK(vs != (avk_video_stream *)SENTINEL);

    /* A good stream with every option set. */
    o = utvideo_options(VW, VH, AVK_PIXEL_RGBA32);
    o.prediction = AVK_PREDICT_GRADIENT;
    o.slices = 256;
    o.video_flags = AVK_VIDEO_KEEP_ALPHA;
    o.color_matrix = AVK_COLOR_BT709;
    CHECK_OK(avk_writer_add_video_stream(w, &o, &vs));
    CHECK_OK(avk_video_stream_write_frame(vs, 0, frame, (size_t)VW * VH * 4u));
    CHECK_OK(avk_writer_close(w));
    avk_test_gate_destroy(&g);
}

int main(void) {
    misuse_setup();
    test_refused_options();
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    misuse_teardown();
    return avk_test_summary("test_misuse_utvideo");
}
