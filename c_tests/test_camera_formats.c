/*
 * Camera pixel formats through the C ABI: AVK_PIXEL_I420, AVK_PIXEL_NV12 and AVK_PIXEL_YUY2
 * into UNCOMPRESSED, MJPEG and H264 streams (the last two where built in).
 *   - misuse: odd width or height, a negative stride, a stride under one row are
 *     AVK_E_INVALID_ARGUMENT at add; a frame whose length is not exactly the layout's is
 *     AVK_E_INVALID_ARGUMENT at begin, with a message, and the stream stays usable;
 *   - the layout: the exact length with an odd I420 stride (chroma rows of stride / 2) is
 *     accepted, where stride * height * 3 / 2 is not;
 *   - a recording: every format into every codec in one file (argv[1]), H.264 on two encoder
 *     threads, checked by avi_check afterwards.
 */
#include "avk_test.h"

#define W 64u
#define H 48u
#define FRAMES 10

static const int32_t formats[3] = {AVK_PIXEL_I420, AVK_PIXEL_NV12, AVK_PIXEL_YUY2};
static const int32_t codecs[3] = {AVK_VIDEO_UNCOMPRESSED, AVK_VIDEO_MJPEG, AVK_VIDEO_H264};

/* Bytes of one frame of `format` at `stride` (0 = tight), as the contract lays it out. */
static size_t frame_len(int32_t format, uint32_t width, uint32_t height, uint32_t stride) {
    size_t pitch;
    if (format == AVK_PIXEL_YUY2) {
        pitch = stride != 0 ? stride : width * 2u;
        return pitch * height;
    }
    pitch = stride != 0 ? stride : width;
    if (format == AVK_PIXEL_I420) {
        return pitch * height + 2u * (pitch / 2u) * (height / 2u);
    }
    return pitch * height + pitch * (height / 2u);
}

static avk_video_stream_options camera_options(int32_t codec, int32_t format, uint32_t width,
                                               uint32_t height) {
    avk_video_stream_options o;
    avk_video_stream_options_init(&o);
    o.width = width;
    o.height = height;
    o.codec = codec;
    o.input_format = format;
    o.bits_per_pixel = 24;
    return o;
}

/* A moving gradient in limited range: Y 16..235, chroma 16..240. */
static void fill_frame(uint8_t *buf, size_t len, int n) {
    size_t i;
    for (i = 0; i < len; i++) {
        buf[i] = (uint8_t)(16u + (uint32_t)((i * 7u + (size_t)n * 13u) % 220u));
    }
}

static avk_writer *open_writer(const char *path, uint32_t threads) {
    avk_writer_options o = avk_test_writer_options();
    avk_writer *w = NULL;
    o.encoder_threads = threads;
    CHECK_OK(avk_writer_create(path, &o, &w));
    return w;
}

/* Whether `codec` is built into this library (MJPEG and H264 are cargo features). */
static int codec_built(const char *dir_path, int32_t codec) {
    avk_writer *w = open_writer(dir_path, 1);
    avk_video_stream *s = NULL;
    avk_video_stream_options o = camera_options(codec, AVK_PIXEL_I420, W, H);
    avk_status st = avk_writer_add_video_stream(w, &o, &s);
    CHECK(st == AVK_OK || st == AVK_E_UNSUPPORTED);
    CHECK_STATUS(avk_writer_close(w), st == AVK_OK ? AVK_OK : AVK_E_INVALID_STATE);
    remove(dir_path);
    return st == AVK_OK;
}

static void test_misuse(const char *scratch, int32_t codec) {
    avk_writer *w = open_writer(scratch, 1);
    avk_video_stream *s = (avk_video_stream *)NULL;
    avk_video_stream_options o;
    uint8_t *frame;
    size_t len;
    int f;
    for (f = 0; f < 3; f++) {
        const int32_t format = formats[f];
        /* Odd sizes: subsampled chroma needs even ones (H.264 says so in its own words). */
        o = camera_options(codec, format, W + 1u, H);
        CHECK_STATUS(avk_writer_add_video_stream(w, &o, &s), AVK_E_INVALID_ARGUMENT);
        o = camera_options(codec, format, W, H - 1u);
        CHECK_STATUS(avk_writer_add_video_stream(w, &o, &s), AVK_E_INVALID_ARGUMENT);
        /* Negative strides: camera frames are top-down. */
        o = camera_options(codec, format, W, H);
        o.input_stride = -(int32_t)(format == AVK_PIXEL_YUY2 ? W * 2u : W);
        CHECK_STATUS(avk_writer_add_video_stream(w, &o, &s), AVK_E_INVALID_ARGUMENT);
        /* A stride under one row. */
        o.input_stride = (int32_t)(format == AVK_PIXEL_YUY2 ? W * 2u - 1u : W - 1u);
        CHECK_STATUS(avk_writer_add_video_stream(w, &o, &s), AVK_E_INVALID_ARGUMENT);
        CHECK(s == NULL);
    }
    /* Frame lengths: one byte short or long, and for I420 at an odd stride the length a
       stride * height * 3 / 2 formula gives; the exact length is accepted after each. */
    o = camera_options(codec, AVK_PIXEL_I420, W, H);
    o.input_stride = (int32_t)(W + 3u);
    CHECK_OK(avk_writer_add_video_stream(w, &o, &s));
    len = frame_len(AVK_PIXEL_I420, W, H, W + 3u);
    CHECK(len != (size_t)(W + 3u) * H * 3u / 2u);
    frame = malloc((size_t)(W + 3u) * H * 2u);
    CHECK(frame != NULL);
    fill_frame(frame, len, 0);
    CHECK_STATUS(avk_video_stream_write_frame(s, 0, frame, len - 1u), AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_video_stream_write_frame(s, 0, frame, len));
    CHECK_STATUS(avk_video_stream_write_frame(s, 0, frame, len + 1u), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_write_frame(s, 0, frame, (size_t)(W + 3u) * H * 3u / 2u),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_begin_write_frame(s, 0, frame, 0, NULL, NULL, NULL),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_video_stream_write_frame(s, 0, frame, len));
    free(frame);
    CHECK_OK(avk_writer_close(w));
    remove(scratch);
}

static void record(const char *path, const int *built) {
    avk_writer *w = open_writer(path, 2);
    avk_video_stream *streams[9];
    int32_t stream_format[9];
    uint8_t *frame = malloc(frame_len(AVK_PIXEL_YUY2, W, H, 0));
    int count = 0, c, f, n, i;
    CHECK(frame != NULL);
    for (c = 0; c < 3; c++) {
        if (!built[c]) {
            continue;
        }
        for (f = 0; f < 3; f++) {
            avk_video_stream_options o = camera_options(codecs[c], formats[f], W, H);
            CHECK_OK(avk_writer_add_video_stream(w, &o, &streams[count]));
            stream_format[count++] = formats[f];
        }
    }
    for (n = 0; n < FRAMES; n++) {
        for (i = 0; i < count; i++) {
            size_t len = frame_len(stream_format[i], W, H, 0);
            fill_frame(frame, len, n);
            CHECK_OK(avk_video_stream_write_frame(streams[i], 0, frame, len));
        }
    }
    CHECK_OK(avk_writer_close(w));
    free(frame);
}

int main(int argc, char **argv) {
    char scratch[1024];
    int built[3];
    int c;
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.avi\n", argv[0]);
        return 2;
    }
    avk_test_path(scratch, sizeof scratch, "camera_formats_scratch");
    for (c = 0; c < 3; c++) {
        built[c] = codec_built(scratch, codecs[c]);
        if (built[c]) {
            test_misuse(scratch, codecs[c]);
        }
    }
    CHECK(built[0]); /* UNCOMPRESSED is always built */
    {
        /* RAW takes any known input_format (unused there); past the last one (GRAY8) is unknown. */
        avk_writer *w = open_writer(scratch, 1);
        avk_video_stream *s = NULL;
        avk_video_stream_options o = avk_test_dib_options(W, H, 32);
        o.input_format = AVK_PIXEL_NV12;
        CHECK_OK(avk_writer_add_video_stream(w, &o, &s));
        o.input_format = AVK_PIXEL_GRAY8 + 1;
        CHECK_STATUS(avk_writer_add_video_stream(w, &o, &s), AVK_E_INVALID_ARGUMENT);
        CHECK_OK(avk_writer_close(w));
        remove(scratch);
    }
    record(argv[1], built);
    return avk_test_summary("test_camera_formats");
}
