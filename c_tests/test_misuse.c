/*
 * Misuse of every exported function of avikit.h, and the contract's corner cases:
 *   - NULL, fake, foreign and wrong-type handles -> AVK_E_INVALID_HANDLE (nothing queued, no
 *     callback, out-pointers untouched);
 *   - NULL out-pointers / path / io, NULL data with len > 0, wrong DIB length, PCM length not a
 *     multiple of block_align, unknown enum values and flag bits, struct_size too big or inside a
 *     field -> AVK_E_INVALID_ARGUMENT; an older (smaller) struct is accepted and the fields past
 *     its struct_size are ignored;
 *   - H.264 -> AVK_E_UNSUPPORTED (MJPEG too when not built in); max_queued_bytes is accepted;
 *     a file in a missing directory -> AVK_E_IO with the OS message; stream 101 -> AVK_E_LIMIT;
 *     adding a stream after the first write or flush -> AVK_E_INVALID_STATE; closing without
 *     streams -> AVK_E_INVALID_STATE;
 *   - pending operations (a sink that blocks until released): avk_async_result and
 *     avk_async_error_message -> AVK_E_INVALID_STATE, avk_async_wait(10 ms) -> AVK_E_TIMEOUT;
 *     end with another stream's / writer's result -> AVK_E_INVALID_ARGUMENT, the result stays
 *     usable; double end -> AVK_E_INVALID_HANDLE;
 *   - avk_async_cancel with a NULL, fake, wrong-type, ended or released result ->
 *     AVK_E_INVALID_HANDLE; with a completed one (also inside its callback) ->
 *     AVK_E_INVALID_STATE (cancel itself is covered by test_cancel);
 *   - re-entrancy inside a callback: flush, close, synchronous writes, wait on and end of another
 *     pending operation -> AVK_E_WOULD_DEADLOCK; end and wait of its own result return at once;
 *     begin only enqueues and its callback runs later;
 *   - after close: writer, stream and un-ended result handles are invalid, also after the slots
 *     were reused by a new writer;
 *   - every failure leaves a non-empty thread-local message (checked by CHECK_STATUS), which
 *     successful calls do not change; status names; version numbers and string.
 */
#include "avk_test.h"

#include <errno.h>

#define VW 64u
#define VH 48u
#define BLOCK 5880u /* 1470 stereo 16-bit samples */

static size_t frame_len;
static uint8_t *frame;
static uint8_t block[BLOCK];

/* Out-pointer sentinels: a failing call must leave them alone. */
static char sentinel_object;
#define SENTINEL ((void *)&sentinel_object)
#define SENTINEL_STATUS ((avk_status)0x5E5E)
#define SENTINEL_I32 ((int32_t)-77)
#define SENTINEL_SIZE ((size_t)0xDEADu)

/* ---- callbacks ---------------------------------------------------------------------------- */

static int stray_callbacks; /* atomic: callbacks of begins that failed (must stay 0) */

static void must_not_run(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    __atomic_add_fetch(&stray_callbacks, 1, __ATOMIC_SEQ_CST);
}

static void count_callback(avk_async *result, void *user_state) {
    (void)result;
    __atomic_add_fetch((int *)user_state, 1, __ATOMIC_SEQ_CST);
}

/* ---- a writer on the gated sink of avk_test.h ------------------------------------------- */

static avk_writer *open_sink_writer(avk_test_gate *g) {
    avk_writer_options o = avk_test_writer_options();
    avk_io io = avk_test_gate_io(g);
    avk_writer *w = NULL;
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    CHECK(w != NULL);
    return w;
}

static avk_video_stream *add_dib(avk_writer *w, uint32_t width, uint32_t height, uint32_t bpp) {
    avk_video_stream_options o = avk_test_dib_options(width, height, bpp);
    avk_video_stream *s = NULL;
    CHECK_OK(avk_writer_add_video_stream(w, &o, &s));
    CHECK(s != NULL);
    return s;
}

static avk_audio_stream *add_pcm(avk_writer *w) {
    avk_audio_stream_options o = avk_test_pcm_options();
    avk_audio_stream *s = NULL;
    CHECK_OK(avk_writer_add_audio_stream(w, &o, &s));
    CHECK(s != NULL);
    return s;
}

/* ---- version, status names, last error ---------------------------------------------------- */

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

/* ---- creating writers --------------------------------------------------------------------- */

/* A writer created with `opts` works: add a stream, write a frame, close. */
static void check_writer_usable(avk_writer *w) {
    avk_video_stream *v = add_dib(w, VW, VH, 32);
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(w));
}

static void test_create(void) {
    char path[1024], missing[1200], msg[1024];
    avk_test_gate g;
    avk_io io;
    avk_writer *w = (avk_writer *)SENTINEL;
    avk_writer_options o;
    struct {
        avk_writer_options opts;
        uint8_t newer_fields[8];
    } newer;

    avk_test_path(path, sizeof path, "misuse-create");
    avk_test_gate_init(&g);

    /* NULL path, NULL out-pointer. */
    CHECK_STATUS(avk_writer_create(NULL, NULL, &w), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_create(path, NULL, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);

    /* A file in a directory that does not exist: AVK_E_IO with the OS message. */
    snprintf(missing, sizeof missing, "%s/avikit-no-such-dir-%ld/x.avi", avk_test_dir(),
             (long)getpid());
    CHECK_STATUS(avk_writer_create(missing, NULL, &w), AVK_E_IO);
    CHECK(w == (avk_writer *)SENTINEL);
    avk_last_error_message(msg, sizeof msg);
#ifdef _WIN32
    /* ERROR_PATH_NOT_FOUND, whose text depends on the system's language. */
    if (strstr(msg, "(os error 3)") == NULL) {
#else
    if (strstr(msg, strerror(ENOENT)) == NULL && strstr(msg, "No such file") == NULL) {
#endif
        fprintf(stderr, "message: %s\n", msg);
        CHECK(!"the AVK_E_IO message carries the OS error (No such file or directory)");
    }

    /* Option values. */
    o = avk_test_writer_options();
    o.flags = 0x80000000u; /* unknown flag bit */
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.flags = AVK_WRITER_EMIT_INDEX1 | 0x10u;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.frame_rate_den = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.frame_rate_num = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    /* Back-pressure is accepted, whatever the bound (test_backpressure covers its effect). */
    o = avk_test_writer_options();
    o.max_queued_bytes = 1u << 20;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    o.max_queued_bytes = 1; /* every frame is bigger: each waits for an empty queue */
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    o.max_queued_bytes = UINT64_MAX;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    w = (avk_writer *)SENTINEL;
    /* The super index holds 1..65536 entries per stream. */
    o = avk_test_writer_options();
    CHECK_EQ(o.super_index_capacity, 4608u);
    o.super_index_capacity = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    {
        char msg[256];
        CHECK(strstr(avk_test_last_error(msg, sizeof msg), "super_index_capacity") != NULL);
    }
    o.super_index_capacity = 65537;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    o.super_index_capacity = 1;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    w = (avk_writer *)SENTINEL;

    /* struct_size: inside a field, zero, newer than the library -> INVALID_ARGUMENT. */
    o = avk_test_writer_options();
    o.struct_size = 2;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o.struct_size = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o.struct_size = (uint32_t)offsetof(avk_writer_options, max_queued_bytes) + 4u;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    memset(&newer, 0, sizeof newer);
    newer.opts = avk_test_writer_options();
    newer.opts.struct_size = (uint32_t)sizeof(avk_writer_options) + 8u;
    CHECK_STATUS(avk_writer_create(path, &newer.opts, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);

    /* An older, smaller struct is accepted; fields past its end are not read (here
       max_queued_bytes and encoder_threads). */
    o = avk_test_writer_options();
    o.struct_size = (uint32_t)offsetof(avk_writer_options, max_queued_bytes);
    o.max_queued_bytes = 12345;
    o.encoder_threads = 0xFFFFFFFFu;
    CHECK_OK(avk_writer_create(path, &o, &w));
    CHECK(w != (avk_writer *)SENTINEL);
    check_writer_usable(w);
    /* A struct of avikit 0.1 (40 bytes) may carry garbage in what was its tail padding: the
       reserved word is never read, and super_index_capacity keeps its default. */
    o = avk_test_writer_options();
    o.struct_size = (uint32_t)offsetof(avk_writer_options, super_index_capacity);
    o.reserved0 = 0xDEADBEEFu;
    o.super_index_capacity = 0;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    /* Exactly sizeof (the current header) is fine too, and NULL means defaults. */
    o = avk_test_writer_options();
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    CHECK_OK(avk_writer_create(path, NULL, &w));
    check_writer_usable(w);

    /* avk_writer_create_io: NULL io, NULL write_at, NULL out, bad options, bad struct_size:
       the sink's close is not called, the caller keeps it. */
    w = (avk_writer *)SENTINEL;
    CHECK_STATUS(avk_writer_create_io(NULL, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io = avk_test_gate_io(&g);
    io.write_at = NULL;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io = avk_test_gate_io(&g);
    CHECK_STATUS(avk_writer_create_io(&io, NULL, NULL), AVK_E_INVALID_ARGUMENT);
    io.struct_size = 2;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io.struct_size = 0;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    {
        struct {
            avk_io io;
            uint8_t newer_fields[8];
        } newer_io;
        memset(&newer_io, 0, sizeof newer_io);
        newer_io.io = avk_test_gate_io(&g);
        newer_io.io.struct_size = (uint32_t)sizeof(avk_io) + 8u;
        CHECK_STATUS(avk_writer_create_io(&newer_io.io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    }
    io = avk_test_gate_io(&g);
    o = avk_test_writer_options();
    o.flags = 0x8u;
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.struct_size = 2;
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 0);
    CHECK_EQ(g.write_calls, 0);

    /* A bounded queue through a custom sink works too (the sink is another one: g must stay
       untouched until the next check). */
    {
        avk_test_gate g2;
        avk_test_gate_init(&g2);
        io = avk_test_gate_io(&g2);
        o = avk_test_writer_options();
        o.max_queued_bytes = 1;
        CHECK_OK(avk_writer_create_io(&io, &o, &w));
        check_writer_usable(w);
        CHECK_EQ(__atomic_load_n(&g2.close_calls, __ATOMIC_SEQ_CST), 1);
        avk_test_gate_destroy(&g2);
        io = avk_test_gate_io(&g);
    }

    /* Closing a writer that never got a stream: AVK_E_INVALID_STATE, the handle is released
       all the same and the sink closed once. */
    CHECK_OK(avk_writer_create_io(&io, NULL, &w));
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_STATE);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);

    avk_test_gate_destroy(&g);
    remove(path);
}

/* ---- bad handles -------------------------------------------------------------------------- */

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

/* ---- arguments ---------------------------------------------------------------------------- */

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

/* ---- pending operations ------------------------------------------------------------------- */

static void test_pending(void) {
    avk_test_gate g, g2;
    avk_writer *w, *other;
    avk_video_stream *v, *v2, *other_v;
    avk_audio_stream *a;
    avk_async *p = NULL, *q = NULL, *f = NULL;
    int p_calls = 0, q_calls = 0, f_calls = 0;
    avk_status st = SENTINEL_STATUS;
    size_t len = SENTINEL_SIZE;
    int32_t i32 = SENTINEL_I32;
    void *state = NULL;
    char buf[16];
    uint64_t t0, elapsed;

    avk_test_gate_init(&g);
    avk_test_gate_init(&g2);
    w = open_sink_writer(&g);
    v = add_dib(w, VW, VH, 32);
    a = add_pcm(w);
    v2 = add_dib(w, 8, 8, 24);
    other = open_sink_writer(&g2);
    other_v = add_dib(other, VW, VH, 32);
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len)); /* header is out */

    /* Hold the worker inside write_at: p cannot complete until the gate opens. */
    avk_test_gate_set(&g, 1);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, count_callback,
                                                &p_calls, &p));
    avk_test_gate_wait_blocked(&g);
    CHECK_OK(avk_audio_stream_begin_write_block(a, 0, block, BLOCK, count_callback, &q_calls,
                                                &q));
    CHECK_OK(avk_writer_begin_flush(w, 0, count_callback, &f_calls, &f));

    CHECK_OK(avk_async_is_completed(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_OK(avk_async_completed_synchronously(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_OK(avk_async_user_state(p, &state));
    CHECK(state == (void *)&p_calls);
    CHECK_STATUS(avk_async_result(p, &st), AVK_E_INVALID_STATE);
    CHECK_EQ(st, SENTINEL_STATUS);
    memset(buf, 'Z', sizeof buf);
    CHECK_STATUS(avk_async_error_message(p, buf, sizeof buf, &len), AVK_E_INVALID_STATE);
    CHECK_EQ(len, SENTINEL_SIZE);
    CHECK_EQ(buf[0], 'Z');
    t0 = avk_test_now_ms();
    CHECK_STATUS(avk_async_wait(p, 10), AVK_E_TIMEOUT);
    elapsed = avk_test_now_ms() - t0;
    CHECK(elapsed >= 9);
    CHECK(elapsed < 5000);
    CHECK_STATUS(avk_async_wait(p, 0), AVK_E_TIMEOUT);
    CHECK_STATUS(avk_async_wait(q, 10), AVK_E_TIMEOUT);
    CHECK_STATUS(avk_async_wait(f, 1), AVK_E_TIMEOUT);

    /* End with the wrong stream or writer: AVK_E_INVALID_ARGUMENT, the result stays alive. */
    CHECK_STATUS(avk_audio_stream_end_write_block(a, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v2, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(other_v, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_end_flush(w, p), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, q), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_video_stream_end_write_frame(v, f), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_end_flush(other, f), AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_async_is_completed(p, &i32));
    CHECK_EQ(i32, 0);
    CHECK_EQ(__atomic_load_n(&p_calls, __ATOMIC_SEQ_CST), 0);

    avk_test_gate_set(&g, 0);
    CHECK_OK(avk_video_stream_end_write_frame(v, p));
    CHECK_OK(avk_audio_stream_end_write_block(a, q));
    CHECK_OK(avk_writer_end_flush(w, f));

    /* Double end and any use after end: AVK_E_INVALID_HANDLE. */
    CHECK_STATUS(avk_video_stream_end_write_frame(v, p), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_audio_stream_end_write_block(a, q), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_writer_end_flush(w, f), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(p, &i32), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_wait(p, 0), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_result(q, &st), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(p), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(f), AVK_E_INVALID_HANDLE);

    CHECK_OK(avk_writer_close(w));
    CHECK_OK(avk_video_stream_write_frame(other_v, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(other));
    CHECK_EQ(__atomic_load_n(&p_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&q_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&f_calls, __ATOMIC_SEQ_CST), 1);
    avk_test_gate_destroy(&g);
    avk_test_gate_destroy(&g2);
}

/* ---- re-entrancy -------------------------------------------------------------------------- */

typedef struct reentry {
    avk_test_gate gate;
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_async *inner;       /* begun inside the callback */
    avk_async *inner_flush; /* begun inside the callback */
    int inner_calls;        /* atomic */
    int inner_flush_calls;  /* atomic */
    int ff_calls;           /* atomic */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} reentry;

static void inner_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    avk_status st = SENTINEL_STATUS;
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    __atomic_add_fetch(&c->inner_calls, 1, __ATOMIC_SEQ_CST);
}

static void outer_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    avk_status st = SENTINEL_STATUS;
    void *state = NULL;
    int32_t done = 0;

    /* Nothing of this writer may complete while we look. */
    avk_test_gate_set(&c->gate, 1);

    /* Begin only enqueues. */
    CHECK_OK(avk_video_stream_begin_write_frame(c->v, AVK_WRITE_COPY, frame, frame_len,
                                                inner_callback, c, &c->inner));
    CHECK_OK(avk_writer_begin_flush(c->w, 0, count_callback, &c->inner_flush_calls,
                                    &c->inner_flush));
    CHECK_OK(avk_async_is_completed(c->inner, &done));
    CHECK_EQ(done, 0);

    /* Blocking on the writer from its own worker: AVK_E_WOULD_DEADLOCK. */
    CHECK_STATUS(avk_async_wait(c->inner, 0), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_async_wait(c->inner, 10), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_async_wait(c->inner, AVK_WAIT_INFINITE), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_video_stream_end_write_frame(c->v, c->inner), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_end_flush(c->w, c->inner_flush), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_flush(c->w, 0), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_writer_close(c->w), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_video_stream_write_frame(c->v, 0, frame, frame_len), AVK_E_WOULD_DEADLOCK);
    CHECK_STATUS(avk_audio_stream_write_block(c->a, 0, block, BLOCK), AVK_E_WOULD_DEADLOCK);
    /* Those left the pending operations and the writer alone. */
    CHECK_OK(avk_async_is_completed(c->inner, &done));
    CHECK_EQ(done, 0);
    CHECK_OK(avk_async_user_state(c->inner, &state));
    CHECK(state == (void *)c);

    /* Its own result is complete: cancel is too late, wait and end return at once. */
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);
    CHECK_OK(avk_async_wait(result, 0));
    CHECK_OK(avk_async_wait(result, AVK_WAIT_INFINITE));
    CHECK_OK(avk_video_stream_end_write_frame(c->v, result));
    /* Inside its own callback the result stays usable after end. */
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == (void *)c);
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    /* ...but cannot be ended twice. */
    CHECK_STATUS(avk_video_stream_end_write_frame(c->v, result), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);

    avk_test_gate_set(&c->gate, 0);
    pthread_mutex_lock(&c->mu);
    c->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* A fire-and-forget operation's callback: its result has no caller to end it. */
static void ff_callback(avk_async *result, void *user_state) {
    reentry *c = (reentry *)user_state;
    void *state = NULL;
    avk_status st = SENTINEL_STATUS;
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == (void *)c);
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    CHECK_STATUS(avk_audio_stream_end_write_block(c->a, result), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_cancel(result), AVK_E_INVALID_STATE);
    __atomic_add_fetch(&c->ff_calls, 1, __ATOMIC_SEQ_CST);
}

static void test_reentrancy(void) {
    reentry c;
    avk_async *outer = NULL;
    int32_t done = 0;

    memset(&c, 0, sizeof c);
    avk_test_gate_init(&c.gate);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    c.w = open_sink_writer(&c.gate);
    c.v = add_dib(c.w, VW, VH, 32);
    c.a = add_pcm(c.w);

    CHECK_OK(avk_video_stream_begin_write_frame(c.v, 0, frame, frame_len, outer_callback, &c,
                                                &outer));
    pthread_mutex_lock(&c.mu);
    while (!c.done) {
        pthread_cond_wait(&c.cv, &c.mu);
    }
    pthread_mutex_unlock(&c.mu);

    /* The callback ended `outer`: it is gone for the caller. */
    CHECK_STATUS(avk_video_stream_end_write_frame(c.v, outer), AVK_E_INVALID_HANDLE);
    CHECK_STATUS(avk_async_is_completed(outer, &done), AVK_E_INVALID_HANDLE);
    /* What the callback began completes and can be ended from here. */
    CHECK_OK(avk_video_stream_end_write_frame(c.v, c.inner));
    CHECK_OK(avk_writer_end_flush(c.w, c.inner_flush));

    CHECK_OK(avk_audio_stream_begin_write_block(c.a, 0, block, BLOCK, ff_callback, &c, NULL));
    /* The writer survived the refused close inside the callback. */
    CHECK_OK(avk_writer_close(c.w));
    CHECK_EQ(__atomic_load_n(&c.inner_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.inner_flush_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.ff_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_EQ(__atomic_load_n(&c.gate.close_calls, __ATOMIC_SEQ_CST), 1);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    avk_test_gate_destroy(&c.gate);
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

/* avk_inspect_file and avk_repair_file: NULL arguments, missing and non-AVI files, a bad
   report size, a header cut short; and a good file passes with its counts. */
static void test_inspect_and_repair(void) {
    char good[512], junk[512], cut[512], fixed[512];
    avk_file_report report;
    avk_writer *w;
    avk_video_stream *vs;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    FILE *f;
    int i;
    avk_test_path(good, sizeof good, "misuse_inspect_good.avi");
    avk_test_path(junk, sizeof junk, "misuse_inspect_junk.avi");
    avk_test_path(cut, sizeof cut, "misuse_inspect_cut.avi");
    avk_test_path(fixed, sizeof fixed, "misuse_inspect_fixed.avi");
    CHECK_OK(avk_writer_create(good, NULL, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &vs));
    for (i = 0; i < 5; i++) CHECK_OK(avk_video_stream_write_frame(vs, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(w));

    memset(&report, 0xAB, sizeof report);
    report.struct_size = sizeof report;
    CHECK_OK(avk_inspect_file(good, &report));
    CHECK_EQ(report.stream_count, 1u);
    CHECK_EQ(report.video_frames, 5u);
    CHECK_EQ(report.riff_count, 1u);
    CHECK_EQ(report.was_damaged, 0);

    CHECK_STATUS(avk_inspect_file(NULL, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_inspect_file(good, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(NULL, fixed, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(good, fixed, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_inspect_file("/nonexistent-dir/x.avi", &report), AVK_E_IO);
    CHECK_STATUS(avk_repair_file("/nonexistent-dir/x.avi", fixed, &report), AVK_E_IO);
    report.struct_size = 2; /* inside a field */
    CHECK_STATUS(avk_inspect_file(good, &report), AVK_E_INVALID_ARGUMENT);
    report.struct_size = sizeof report + 8; /* a newer caller */
    CHECK_STATUS(avk_inspect_file(good, &report), AVK_E_INVALID_ARGUMENT);
    report.struct_size = sizeof report;

    f = fopen(junk, "wb");
    CHECK(f != NULL);
    fputs("this is not an AVI file at all", f);
    fclose(f);
    CHECK_STATUS(avk_inspect_file(junk, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(junk, fixed, &report), AVK_E_INVALID_ARGUMENT);

    /* Cut inside the header: repair refuses, naming the header. */
    {
        char buf[200];
        size_t n;
        char msg[512];
        f = fopen(good, "rb");
        CHECK(f != NULL);
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        f = fopen(cut, "wb");
        CHECK(f != NULL);
        fwrite(buf, 1, n, f);
        fclose(f);
        CHECK_STATUS(avk_repair_file(cut, fixed, &report), AVK_E_INVALID_ARGUMENT);
        avk_last_error_message(msg, sizeof msg);
        CHECK(strstr(msg, "header") != NULL);
    }
    /* Repair in place (out_path NULL) of a good file keeps everything. */
    CHECK_OK(avk_repair_file(good, NULL, &report));
    CHECK_EQ(report.video_frames, 5u);
    CHECK_EQ(report.bytes_recovered, (uint64_t)(5 * frame_len));
    CHECK_OK(avk_inspect_file(good, &report));
    remove(good);
    remove(junk);
    remove(cut);
    remove(fixed);
    CHECK_STATUS(avk_set_lame_path(NULL), AVK_E_INVALID_ARGUMENT);
}

int main(void) {
    int i;
    frame_len = avk_test_dib_size(VW, VH, 32);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, VW, VH, 32, 7);
    avk_test_fill_pcm16_stereo(block, BLOCK / 4, 0);

    test_last_error_message(); /* first: needs a thread where nothing failed yet */
    test_version_and_names();
    test_options_init();
    test_create();
    test_bad_handles();
    test_arguments();
    test_stream_limit_and_flush_state();
    test_pending();
    test_reentrancy();
    test_after_close();
    test_unknown_pixel_format();
    test_inspect_and_repair();

    /* Thread-safety of the getters that cannot fail, for good measure. */
    for (i = 0; i < 1000; i++) {
        CHECK(avk_status_name(i % 20) != NULL);
    }
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    free(frame);
    return avk_test_summary("test_misuse");
}
