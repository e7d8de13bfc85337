/*
 * Misuse of avikit.h, the calls that take no handle: status names and version numbers and
 * string; avk_last_error_message (empty on a thread where nothing failed, per thread, left alone
 * by calls that cannot fail and by successful calls; every failure of the other test_misuse
 * programs checks it is non-empty through CHECK_STATUS); the options init functions (NULL, and
 * every default).
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

static void test_version_and_names(void) {
    static const char *const names[] = {
        "AVK_OK", "AVK_E_INVALID_ARGUMENT", "AVK_E_INVALID_HANDLE", "AVK_E_INVALID_STATE",
        "AVK_E_IO", "AVK_E_CANCELED", "AVK_E_TIMEOUT", "AVK_E_UNSUPPORTED", "AVK_E_ENCODER",
        "AVK_E_LIMIT", "AVK_E_WRITER_FAILED", "AVK_E_WOULD_DEADLOCK", "AVK_E_NO_MEMORY",
        "AVK_E_PANIC", "AVK_E_DROPPED", "AVK_E_QUEUE_FULL"};
    static const avk_status codes[] = {
        AVK_OK, AVK_E_INVALID_ARGUMENT, AVK_E_INVALID_HANDLE, AVK_E_INVALID_STATE, AVK_E_IO,
        AVK_E_CANCELED, AVK_E_TIMEOUT, AVK_E_UNSUPPORTED, AVK_E_ENCODER, AVK_E_LIMIT,
        AVK_E_WRITER_FAILED, AVK_E_WOULD_DEADLOCK, AVK_E_NO_MEMORY, AVK_E_PANIC, AVK_E_DROPPED,
        AVK_E_QUEUE_FULL};
    char expected[64];
    int i;
    for (i = 0; i < 16; i++) {
        CHECK_EQ(codes[i], i);
        CHECK(avk_status_name(i) != NULL);
        CHECK(strcmp(avk_status_name(i), names[i]) == 0);
        CHECK(avk_status_name(i) == avk_status_name(i)); /* static */
    }
    CHECK(strcmp(avk_status_name(99), "AVK_UNKNOWN") == 0);
    CHECK(strcmp(avk_status_name(16), "AVK_UNKNOWN") == 0);
    CHECK(strcmp(avk_status_name(-1), "AVK_UNKNOWN") == 0);
    CHECK(strcmp(avk_status_name(INT32_MIN), "AVK_UNKNOWN") == 0);

    CHECK_EQ(avk_version(), ((uint32_t)AVK_VERSION_MAJOR << 16) |
                                ((uint32_t)AVK_VERSION_MINOR << 8) | (uint32_t)AVK_VERSION_PATCH);
    snprintf(expected, sizeof expected, "%d.%d.%d", AVK_VERSION_MAJOR, AVK_VERSION_MINOR,
             AVK_VERSION_PATCH);
    CHECK(avk_version_string() != NULL);
    CHECK(strcmp(avk_version_string(), expected) == 0);
}

static size_t fresh_thread_len;
static char fresh_thread_text[16];

static void *fresh_thread(void *arg) {
    (void)arg;
    memset(fresh_thread_text, 'x', sizeof fresh_thread_text);
    fresh_thread_len = avk_last_error_message(fresh_thread_text, sizeof fresh_thread_text);
    return NULL;
}

/* Call on a thread where nothing failed yet. */
static void test_last_error_message(void) {
    char before[512], after[512];
    pthread_t t;
    avk_writer *w = (avk_writer *)SENTINEL;
    int32_t done;

    /* Nothing failed on this thread yet: an empty message of length 1. */
    CHECK_EQ(avk_last_error_message(NULL, 0), 1);
    before[0] = 'x';
    CHECK_EQ(avk_last_error_message(before, sizeof before), 1);
    CHECK_EQ(before[0], '\0');

    CHECK_STATUS(avk_writer_create(NULL, NULL, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    avk_last_error_message(before, sizeof before);
    CHECK(strlen(before) > 0);

    /* Per thread: a new thread has no message. */
    CHECK(pthread_create(&t, NULL, fresh_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_EQ(fresh_thread_len, 1);
    CHECK_EQ(fresh_thread_text[0], '\0');

    /* Calls that cannot fail, and successful calls, leave the message as it was. */
    (void)avk_version();
    (void)avk_status_name(3);
    {
        avk_test_gate g;
        avk_writer *ok;
        avk_async *r = NULL;
        avk_test_gate_init(&g);
        ok = open_sink_writer(&g);
        {
            avk_video_stream *v = add_dib(ok, VW, VH, 32);
            CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &r));
            CHECK_OK(avk_async_wait(r, AVK_WAIT_INFINITE));
            CHECK_OK(avk_async_is_completed(r, &done));
            CHECK_OK(avk_video_stream_end_write_frame(v, r));
        }
        CHECK_OK(avk_writer_close(ok));
        avk_test_gate_destroy(&g);
    }
    avk_last_error_message(after, sizeof after);
    CHECK(strcmp(before, after) == 0);
}

static void test_options_init(void) {
    avk_writer_options wo;
    avk_video_stream_options vo;
    avk_audio_stream_options ao;

    /* NULL: does nothing, does not crash. */
    avk_writer_options_init(NULL);
    avk_video_stream_options_init(NULL);
    avk_audio_stream_options_init(NULL);

    memset(&wo, 0xEE, sizeof wo);
    avk_writer_options_init(&wo);
    CHECK_EQ(wo.struct_size, sizeof wo);
    CHECK_EQ(wo.frame_rate_num, 30);
    CHECK_EQ(wo.frame_rate_den, 1);
    CHECK_EQ(wo.flags, AVK_WRITER_EMIT_INDEX1);
    CHECK_EQ(wo.checkpoint_interval_ms, 1000);
    CHECK_EQ(wo.max_queued_bytes, 0);
    CHECK_EQ(wo.encoder_threads, 0);

    memset(&vo, 0xEE, sizeof vo);
    avk_video_stream_options_init(&vo);
    CHECK_EQ(vo.struct_size, sizeof vo);
    CHECK_EQ(vo.width, 0);
    CHECK_EQ(vo.height, 0);
    CHECK_EQ(vo.codec, AVK_VIDEO_RAW);
    CHECK_EQ(vo.fourcc, 0);
    CHECK_EQ(vo.bits_per_pixel, 32);
    CHECK_EQ(vo.input_format, AVK_PIXEL_BGRA32);
    CHECK_EQ(vo.quality, 75);
    CHECK(vo.name == NULL);

    memset(&ao, 0xEE, sizeof ao);
    avk_audio_stream_options_init(&ao);
    CHECK_EQ(ao.struct_size, sizeof ao);
    CHECK_EQ(ao.codec, AVK_AUDIO_PCM);
    CHECK_EQ(ao.channels, 2);
    CHECK_EQ(ao.sample_rate, 44100);
    CHECK_EQ(ao.bits_per_sample, 16);
    CHECK_EQ(ao.bitrate_kbps, 160);
    CHECK(ao.format_extra == NULL);
    CHECK_EQ(ao.format_extra_len, 0);
    CHECK(ao.name == NULL);
}

int main(void) {
    int i;
    misuse_setup();
    test_last_error_message(); /* first: needs a thread where nothing failed yet */
    test_version_and_names();
    test_options_init();

    /* Thread-safety of the getters that cannot fail, for good measure. */
    for (i = 0; i < 1000; i++) {
        CHECK(avk_status_name(i % 20) != NULL);
    }
    misuse_teardown();
    return avk_test_summary("test_misuse_basics");
}
