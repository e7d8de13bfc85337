/*
 * The 0.2 formats through the C ABI, misuse first, then a file every reader checks:
 *   - avk_writer_set_info: NULL or stale writer, NULL or malformed id, NULL or over-long value,
 *     after the first write -> the documented status with a message; replace and remove work;
 *   - AVK_AUDIO_FLOAT with another depth, 19 channels, a channel mask with the wrong bit count,
 *     a mask on a RAW stream; a pixel aspect with one zero part;
 *   - the file (argv[1]): a 64x48 DIB with 4:3 pixels, 32-bit float 5.1 audio and INFO tags,
 *     which ctest hands to avi_check.py (10 frames, 10 blocks of 1600 samples x 24 bytes).
 */
#include "avk_test.h"

#define VW 64u
#define VH 48u
#define FRAMES 10
#define SAMPLES 1600u
#define CHANNELS 6u

/* Out-pointers start here: a failed call must leave them untouched. */
static int sentinel_object;
#define SENTINEL ((void *)&sentinel_object)

static void test_set_info_misuse(void) {
    char path[1024], msg[256], *long_value;
    avk_writer *w;
    avk_video_stream *v;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_writer_options wo = avk_test_writer_options();
    uint8_t frame[VW * VH * 4] = {0};

    CHECK_STATUS(avk_writer_set_info(NULL, "INAM", "x"), AVK_E_INVALID_HANDLE);
    CHECK_OK(avk_writer_create(avk_test_path(path, sizeof path, "formats-info"), &wo, &w));
    CHECK_STATUS(avk_writer_set_info(w, NULL, "x"), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_set_info(w, "INAM", NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_set_info(w, "inam", "x"), AVK_E_INVALID_ARGUMENT);
    CHECK(strstr(avk_test_last_error(msg, sizeof msg), "three uppercase") != NULL);
    CHECK_STATUS(avk_writer_set_info(w, "INAME", "x"), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_set_info(w, "XNAM", "x"), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_set_info(w, "", "x"), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_set_info(w, "INAM", "\xff\xfe"), AVK_E_INVALID_ARGUMENT);
    long_value = (char *)malloc(65002);
    CHECK(long_value != NULL);
    memset(long_value, 'a', 65001);
    long_value[65001] = '\0';
    CHECK_STATUS(avk_writer_set_info(w, "ICMT", long_value), AVK_E_INVALID_ARGUMENT);
    long_value[65000] = '\0'; /* exactly the limit */
    CHECK_OK(avk_writer_set_info(w, "ICMT", long_value));
    free(long_value);
    CHECK_OK(avk_writer_set_info(w, "ICMT", "")); /* removed again */
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME, frame, sizeof frame));
    CHECK_STATUS(avk_writer_set_info(w, "INAM", "late"), AVK_E_INVALID_STATE);
    CHECK_OK(avk_writer_close(w));
    CHECK_STATUS(avk_writer_set_info(w, "INAM", "closed"), AVK_E_INVALID_HANDLE);
}

static void test_format_misuse(void) {
    char path[1024], msg[256];
    avk_writer *w;
    avk_audio_stream *a = (avk_audio_stream *)SENTINEL;
    avk_video_stream *v = (avk_video_stream *)SENTINEL;
    avk_audio_stream_options ao;
    avk_video_stream_options vo;
    avk_writer_options wo = avk_test_writer_options();

    CHECK_OK(avk_writer_create(avk_test_path(path, sizeof path, "formats-misuse"), &wo, &w));
    avk_audio_stream_options_init(&ao);
    CHECK_EQ(ao.channel_mask, 0u);
    ao.codec = AVK_AUDIO_FLOAT; /* bits_per_sample is still the default 16 */
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &a), AVK_E_INVALID_ARGUMENT);
    CHECK(strstr(avk_test_last_error(msg, sizeof msg), "32-bit") != NULL);
    ao.bits_per_sample = 32;
    ao.channels = 19;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &a), AVK_E_INVALID_ARGUMENT);
    ao.channels = 2;
    ao.channel_mask = 0x7; /* three speakers */
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &a), AVK_E_INVALID_ARGUMENT);
    CHECK(strstr(avk_test_last_error(msg, sizeof msg), "3 speakers for 2 channels") != NULL);
    ao.codec = AVK_AUDIO_PCM;
    ao.bits_per_sample = 20;
    ao.channel_mask = 0;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &a), AVK_E_INVALID_ARGUMENT);
    ao = avk_test_pcm_options();
    ao.codec = AVK_AUDIO_RAW;
    ao.format_tag = 1;
    ao.channel_mask = 0x3;
    CHECK_STATUS(avk_writer_add_audio_stream(w, &ao, &a), AVK_E_INVALID_ARGUMENT);
    CHECK(a == (avk_audio_stream *)SENTINEL);

    vo = avk_test_dib_options(VW, VH, 32);
    vo.pixel_aspect_num = 0;
    vo.pixel_aspect_den = 3;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &v), AVK_E_INVALID_ARGUMENT);
    vo.pixel_aspect_num = 4;
    vo.pixel_aspect_den = 0;
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &v), AVK_E_INVALID_ARGUMENT);
    CHECK(v == (avk_video_stream *)SENTINEL);
    /* Nothing was added: the writer is still fine. */
    vo.pixel_aspect_num = 7;
    vo.pixel_aspect_den = 7; /* equal: square */
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_writer_close(w));
}

static void record(const char *path) {
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_audio_stream_options ao;
    avk_writer_options wo = avk_test_writer_options();
    size_t frame_len = avk_test_dib_size(VW, VH, 32);
    uint8_t *frame = (uint8_t *)malloc(frame_len);
    float *block = (float *)malloc(SAMPLES * CHANNELS * sizeof(float));
    int n;
    uint32_t i;

    CHECK(frame != NULL && block != NULL);
    CHECK_OK(avk_writer_create(path, &wo, &w));
    CHECK_OK(avk_writer_set_info(w, "INAM", "avikit C formats test"));
    CHECK_OK(avk_writer_set_info(w, "ICRD", "2026-12-03"));
    vo.pixel_aspect_num = 4;
    vo.pixel_aspect_den = 3;
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    avk_audio_stream_options_init(&ao);
    ao.codec = AVK_AUDIO_FLOAT;
    ao.bits_per_sample = 32;
    ao.channels = CHANNELS;
    ao.sample_rate = 48000;
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    for (n = 0; n < FRAMES; n++) {
        avk_test_fill_dib(frame, VW, VH, 32, (uint32_t)n);
        for (i = 0; i < SAMPLES * CHANNELS; i++)
            block[i] = (float)((int)((i * 7u + (uint32_t)n) % 200u) - 100) / 128.0f;
        CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME, frame, frame_len));
        CHECK_OK(avk_audio_stream_write_block(a, 0, (const uint8_t *)block,
                                              SAMPLES * CHANNELS * sizeof(float)));
    }
    CHECK_OK(avk_writer_close(w));
    free(frame);
    free(block);
}

int main(int argc, char **argv) {
    test_set_info_misuse();
    test_format_misuse();
    if (argc > 1) record(argv[1]);
    return avk_test_summary("test_formats");
}
