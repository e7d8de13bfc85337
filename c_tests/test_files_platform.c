/*
 * Files on the platform's own file system, the same checks on Linux and on Windows
 * (scripts/windows.sh runs this program under Wine):
 *   - a fixed recording (a raw DIB stream, MJPEG and H.264 when built in, PCM; checkpoints off)
 *     into DIR/platform-<non-ASCII UTF-8>.avi: the same bytes on every platform (the Windows
 *     script compares the file with the Linux one and runs the Linux readers on it);
 *   - a fixed Ut Video recording (ULRG, ULRA, ULH0, ULY2 and gray ULY0 streams with every
 *     predictor and several slice counts, from content with noise) into DIR/platform-utvideo.avi:
 *     the same bytes on every platform, whichever SIMD kernels the CPU runs;
 *   - while it is recorded, another open of the file for reading (as a player would) reads its
 *     RIFF header, and a second avk_writer_create of the same path fails with AVK_E_IO saying the
 *     file is being written, without harming the recording;
 *   - paths that cannot be created (a directory, a file in a missing directory, and on Windows
 *     invalid characters): AVK_E_IO with the operating system's message.
 *
 *   usage: test_files_platform DIR       (the file is left in DIR for the readers)
 */
#include "avk_test.h"

#ifdef _WIN32
#include <windows.h>
#endif

#define WIDTH 64u
#define HEIGHT 48u
#define FRAMES 30u
#define SAMPLES_PER_FRAME 1470u
/* "platform-äöü-日本.avi" in UTF-8. */
#define FILE_NAME "platform-\xc3\xa4\xc3\xb6\xc3\xbc-\xe6\x97\xa5\xe6\x9c\xac.avi"
#define UTVIDEO_FILE_NAME "platform-utvideo.avi"
#define UTVIDEO_STREAMS 5

/* fopen for reading with a UTF-8 path (Windows' fopen takes the ANSI code page). */
static FILE *open_utf8_for_reading(const char *path) {
#ifdef _WIN32
    wchar_t wide[1024];
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, wide, 1024) == 0) {
        return NULL;
    }
    return _wfopen(wide, L"rb");
#else
    return fopen(path, "rb");
#endif
}

/* The last error message of this thread contains `needle`. */
static int last_error_contains(const char *needle) {
    char msg[2048];
    avk_last_error_message(msg, sizeof msg);
    if (strstr(msg, needle) == NULL) {
        fprintf(stderr, "last error \"%s\" lacks \"%s\"\n", msg, needle);
        return 0;
    }
    return 1;
}

/* Another open for reading sees the RIFF header of the file being recorded. */
static void check_readable_while_recording(const char *path) {
    uint8_t head[12];
    FILE *f = open_utf8_for_reading(path);
    CHECK(f != NULL);
    CHECK_EQ(fread(head, 1, sizeof head, f), sizeof head);
    CHECK(memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "AVI ", 4) == 0);
    fclose(f);
}

/* A second writer of the same path is refused while the first records. */
static void check_second_writer_refused(const char *path) {
    avk_writer_options wo = avk_test_writer_options();
    avk_writer *second = NULL;
    CHECK_STATUS(avk_writer_create(path, &wo, &second), AVK_E_IO);
    CHECK(second == NULL);
    CHECK(last_error_contains("being written"));
}

static void record(const char *path) {
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, 24);
    avk_audio_stream_options ao = avk_test_pcm_options();
    avk_writer *w = NULL;
    avk_video_stream *raw = NULL, *encoded[2] = {NULL, NULL};
    avk_audio_stream *a = NULL;
    size_t dib_len = avk_test_dib_size(WIDTH, HEIGHT, 24);
    size_t bgra_len = (size_t)WIDTH * HEIGHT * 4u;
    uint8_t *dib = (uint8_t *)malloc(dib_len);
    uint8_t *bgra = (uint8_t *)malloc(bgra_len);
    uint8_t pcm[SAMPLES_PER_FRAME * 4u];
    uint32_t frame;
    int i;
    CHECK(dib != NULL && bgra != NULL);
    CHECK_OK(avk_writer_create(path, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &raw));
    for (i = 0; i < 2; i++) {
        avk_video_stream_options eo = avk_test_dib_options(WIDTH, HEIGHT, 32);
        avk_status built;
        eo.codec = i == 0 ? AVK_VIDEO_MJPEG : AVK_VIDEO_H264;
        eo.input_format = AVK_PIXEL_BGRA32;
        built = avk_writer_add_video_stream(w, &eo, &encoded[i]);
        CHECK(built == AVK_OK || built == AVK_E_UNSUPPORTED);
    }
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    for (frame = 0; frame < FRAMES; frame++) {
        avk_test_fill_dib(dib, WIDTH, HEIGHT, 24, frame);
        avk_test_fill_dib(bgra, WIDTH, HEIGHT, 32, frame);
        avk_test_fill_pcm16_stereo(pcm, SAMPLES_PER_FRAME, (uint64_t)frame * SAMPLES_PER_FRAME);
        CHECK_OK(avk_video_stream_write_frame(raw, AVK_FRAME_KEYFRAME, dib, dib_len));
        for (i = 0; i < 2; i++) {
            if (encoded[i] != NULL) {
                CHECK_OK(avk_video_stream_write_frame(encoded[i], 0, bgra, bgra_len));
            }
        }
        CHECK_OK(avk_audio_stream_write_block(a, 0, pcm, sizeof pcm));
        if (frame == FRAMES / 2) {
            CHECK_OK(avk_writer_flush(w, 0));
            check_readable_while_recording(path);
            check_second_writer_refused(path);
        }
    }
    CHECK_OK(avk_writer_close(w));
    free(dib);
    free(bgra);
}

/* Byte `i` of frame `frame`: a diagonal gradient with a little deterministic noise, so that
 * every predictor leaves residuals of several values and the codes are not trivial. */
static uint8_t textured(uint32_t frame, size_t i, size_t row_len) {
    uint32_t x = (uint32_t)(i % row_len), y = (uint32_t)(i / row_len);
    uint32_t noise = (uint32_t)(i * 2654435761u + frame * 40503u) >> 29;
    return (uint8_t)(x * 3u + y * 2u + frame * 5u + noise);
}

static void record_utvideo(const char *path) {
    static const struct {
        int32_t input_format, color_matrix, prediction;
        uint32_t slices, flags;
    } streams[UTVIDEO_STREAMS] = {
        {AVK_PIXEL_BGRA32, AVK_COLOR_BT601, AVK_PREDICT_MEDIAN, 0, 0},
        {AVK_PIXEL_BGRA32, AVK_COLOR_BT601, AVK_PREDICT_GRADIENT, 3, AVK_VIDEO_KEEP_ALPHA},
        {AVK_PIXEL_I420, AVK_COLOR_BT709, AVK_PREDICT_LEFT, 5, 0},
        {AVK_PIXEL_YUY2, AVK_COLOR_BT601, AVK_PREDICT_NONE, 2, 0},
        {AVK_PIXEL_GRAY8, AVK_COLOR_BT601, AVK_PREDICT_MEDIAN, 1, 0},
    };
    /* Frame bytes per pixel, doubled: I420 has one and a half. */
    static const size_t bytes_per_pixel_x2[UTVIDEO_STREAMS] = {8, 8, 3, 4, 2};
    avk_writer_options wo = avk_test_writer_options();
    avk_writer *w = NULL;
    avk_video_stream *v[UTVIDEO_STREAMS];
    uint8_t *frame_bytes = (uint8_t *)malloc((size_t)WIDTH * HEIGHT * 4u);
    uint32_t frame;
    int i;
    CHECK(frame_bytes != NULL);
    CHECK_OK(avk_writer_create(path, &wo, &w));
    for (i = 0; i < UTVIDEO_STREAMS; i++) {
        avk_video_stream_options o = avk_test_dib_options(WIDTH, HEIGHT, 32);
        o.codec = AVK_VIDEO_UTVIDEO;
        o.input_format = streams[i].input_format;
        o.color_matrix = streams[i].color_matrix;
        o.prediction = streams[i].prediction;
        o.slices = streams[i].slices;
        o.video_flags = streams[i].flags;
        CHECK_OK(avk_writer_add_video_stream(w, &o, &v[i]));
    }
    for (frame = 0; frame < FRAMES; frame++) {
        for (i = 0; i < UTVIDEO_STREAMS; i++) {
            size_t len = (size_t)WIDTH * HEIGHT * bytes_per_pixel_x2[i] / 2u, k;
            for (k = 0; k < len; k++) {
                frame_bytes[k] = textured(frame + (uint32_t)i, k, WIDTH);
            }
            CHECK_OK(avk_video_stream_write_frame(v[i], 0, frame_bytes, len));
        }
    }
    CHECK_OK(avk_writer_close(w));
    free(frame_bytes);
}

/* `path` cannot be created: AVK_E_IO, and the message carries the OS error and the path. */
static void check_cannot_create(const char *path) {
    avk_writer_options wo = avk_test_writer_options();
    avk_writer *w = NULL;
    CHECK_STATUS(avk_writer_create(path, &wo, &w), AVK_E_IO);
    CHECK(w == NULL);
    CHECK(last_error_contains("os error"));
    CHECK(last_error_contains(path));
}

int main(int argc, char **argv) {
    char path[1024], bad[1024];
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    snprintf(path, sizeof path, "%s/%s", argv[1], FILE_NAME);
    record(path);
    snprintf(path, sizeof path, "%s/%s", argv[1], UTVIDEO_FILE_NAME);
    record_utvideo(path);
    check_cannot_create(argv[1]);
    snprintf(bad, sizeof bad, "%s/no-such-dir-%ld/x.avi", argv[1], (long)getpid());
    check_cannot_create(bad);
#ifdef _WIN32
    snprintf(bad, sizeof bad, "%s/bad<name>?.avi", argv[1]);
    check_cannot_create(bad);
#endif
    return avk_test_summary("test_files_platform");
}
