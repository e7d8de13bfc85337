/*
 * The same recording (DIB frames, PCM blocks, two flushes) written three ways must give
 * byte-identical files (checkpoint_interval_ms = 0 makes output deterministic):
 *   1. the synchronous functions (write_frame, write_block, flush);
 *   2. begin for everything first, then end for everything in begin order;
 *   3. fire-and-forget (out_result NULL) with callbacks counting, some without a callback, and
 *      AVK_WRITE_COPY from one scratch buffer that is scribbled over right after each begin.
 * This test is also built against the static library (test_sync_async_identical_static).
 */
#include "avk_test.h"

#define WIDTH 40u /* 24-bit: 120 bytes per row, a multiple of 4 */
#define HEIGHT 30u
#define WIDTH2 33u /* 32-bit second stream */
#define HEIGHT2 17u
#define BPP 24u
#define PAIRS 40
#define SAMPLES_PER_BLOCK 1470u
#define BLOCK_BYTES (SAMPLES_PER_BLOCK * 4u)
#define FLUSH_AT_1 10
#define FLUSH_AT_2 25

enum kind { K_VIDEO, K_VIDEO2, K_AUDIO, K_FLUSH };

/* The recording as a list of steps. */
typedef struct step {
    enum kind kind;
    int index; /* frame / block number */
} step;

static step steps[PAIRS * 3 + 2];
static int step_count;

static size_t frame_len, frame2_len;
static uint8_t *frames, *frames2, *blocks;

static const uint8_t *step_data(const step *s, size_t *len) {
    switch (s->kind) {
    case K_VIDEO:
        *len = frame_len;
        return frames + frame_len * (size_t)s->index;
    case K_VIDEO2:
        *len = frame2_len;
        return frames2 + frame2_len * (size_t)s->index;
    case K_AUDIO:
        *len = BLOCK_BYTES;
        return blocks + (size_t)BLOCK_BYTES * (size_t)s->index;
    case K_FLUSH:
        break;
    }
    *len = 0;
    return NULL;
}

static void build_steps(void) {
    int i;
    for (i = 0; i < PAIRS; i++) {
        steps[step_count].kind = K_VIDEO;
        steps[step_count++].index = i;
        steps[step_count].kind = K_AUDIO;
        steps[step_count++].index = i;
        if (i % 2 == 0) {
            steps[step_count].kind = K_VIDEO2;
            steps[step_count++].index = i / 2;
        }
        if (i == FLUSH_AT_1 || i == FLUSH_AT_2) {
            steps[step_count].kind = K_FLUSH;
            steps[step_count++].index = i;
        }
    }
}

typedef struct recording {
    avk_writer *w;
    avk_video_stream *v, *v2;
    avk_audio_stream *a;
} recording;

static void open_recording(recording *r, const char *path) {
    avk_writer_options wopts = avk_test_writer_options();
    avk_video_stream_options vopts = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_video_stream_options vopts2 = avk_test_dib_options(WIDTH2, HEIGHT2, 32);
    avk_audio_stream_options aopts = avk_test_pcm_options();
    wopts.frame_rate_num = 30000;
    wopts.frame_rate_den = 1001;
    vopts.name = "main camera";
    CHECK_OK(avk_writer_create(path, &wopts, &r->w));
    CHECK_OK(avk_writer_add_video_stream(r->w, &vopts, &r->v));
    CHECK_OK(avk_writer_add_audio_stream(r->w, &aopts, &r->a));
    CHECK_OK(avk_writer_add_video_stream(r->w, &vopts2, &r->v2));
}

/* 1. Synchronous. */
static void write_sync(const char *path) {
    recording r;
    int i;
    open_recording(&r, path);
    for (i = 0; i < step_count; i++) {
        size_t len;
        const uint8_t *data = step_data(&steps[i], &len);
        switch (steps[i].kind) {
        case K_VIDEO:
            CHECK_OK(avk_video_stream_write_frame(r.v, AVK_FRAME_KEYFRAME, data, len));
            break;
        case K_VIDEO2:
            CHECK_OK(avk_video_stream_write_frame(r.v2, 0, data, len));
            break;
        case K_AUDIO:
            CHECK_OK(avk_audio_stream_write_block(r.a, 0, data, len));
            break;
        case K_FLUSH:
            CHECK_OK(avk_writer_flush(r.w, 0));
            break;
        }
    }
    CHECK_OK(avk_writer_close(r.w));
}

/* 2. Begin everything, then end everything in order. */
static void write_begin_then_end(const char *path) {
    recording r;
    avk_async *results[sizeof steps / sizeof steps[0]];
    int i;
    open_recording(&r, path);
    for (i = 0; i < step_count; i++) {
        size_t len;
        const uint8_t *data = step_data(&steps[i], &len);
        results[i] = NULL;
        switch (steps[i].kind) {
        case K_VIDEO:
            CHECK_OK(avk_video_stream_begin_write_frame(r.v, AVK_FRAME_KEYFRAME, data, len, NULL,
                                                        NULL, &results[i]));
            break;
        case K_VIDEO2:
            CHECK_OK(avk_video_stream_begin_write_frame(r.v2, 0, data, len, NULL, NULL,
                                                        &results[i]));
            break;
        case K_AUDIO:
            CHECK_OK(avk_audio_stream_begin_write_block(r.a, 0, data, len, NULL, NULL,
                                                        &results[i]));
            break;
        case K_FLUSH:
            CHECK_OK(avk_writer_begin_flush(r.w, 0, NULL, NULL, &results[i]));
            break;
        }
        CHECK(results[i] != NULL);
    }
    for (i = 0; i < step_count; i++) {
        switch (steps[i].kind) {
        case K_VIDEO:
            CHECK_OK(avk_video_stream_end_write_frame(r.v, results[i]));
            break;
        case K_VIDEO2:
            CHECK_OK(avk_video_stream_end_write_frame(r.v2, results[i]));
            break;
        case K_AUDIO:
            CHECK_OK(avk_audio_stream_end_write_block(r.a, results[i]));
            break;
        case K_FLUSH:
            CHECK_OK(avk_writer_end_flush(r.w, results[i]));
            break;
        }
    }
    CHECK_OK(avk_writer_close(r.w));
}

/* 3. Fire-and-forget. */
static int ff_callbacks; /* atomic */
static int ff_next;      /* atomic: begin order check */

static void ff_callback(avk_async *result, void *user_state) {
    avk_status status = -1;
    void *state = NULL;
    int32_t completed = 0;
    int seq = (int)(intptr_t)user_state;
    CHECK_OK(avk_async_result(result, &status));
    CHECK_STATUS_VALUE(status, AVK_OK);
    CHECK_OK(avk_async_is_completed(result, &completed));
    CHECK_EQ(completed, 1);
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == user_state);
    /* Callbacks fire in begin order; steps without a callback are skipped over. */
    CHECK(seq >= __atomic_load_n(&ff_next, __ATOMIC_SEQ_CST));
    __atomic_store_n(&ff_next, seq + 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&ff_callbacks, 1, __ATOMIC_SEQ_CST);
}

static void write_fire_and_forget(const char *path) {
    recording r;
    int i, expected_callbacks = 0;
    size_t scratch_len = frame_len > BLOCK_BYTES ? frame_len : BLOCK_BYTES;
    uint8_t *scratch = (uint8_t *)malloc(scratch_len);
    CHECK(scratch != NULL);
    open_recording(&r, path);
    for (i = 0; i < step_count; i++) {
        size_t len;
        const uint8_t *data = step_data(&steps[i], &len);
        /* Every fifth step without a callback: nothing observes it but the file. */
        avk_async_callback cb = (i % 5 == 4) ? NULL : ff_callback;
        void *state = (void *)(intptr_t)i;
        if (cb != NULL) {
            expected_callbacks++;
        }
        if (data != NULL) {
            memcpy(scratch, data, len);
        }
        switch (steps[i].kind) {
        case K_VIDEO:
            CHECK_OK(avk_video_stream_begin_write_frame(r.v, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY,
                                                        scratch, len, cb, state, NULL));
            break;
        case K_VIDEO2:
            CHECK_OK(avk_video_stream_begin_write_frame(r.v2, AVK_WRITE_COPY, scratch, len, cb,
                                                        state, NULL));
            break;
        case K_AUDIO:
            CHECK_OK(avk_audio_stream_begin_write_block(r.a, AVK_WRITE_COPY, scratch, len, cb,
                                                        state, NULL));
            break;
        case K_FLUSH:
            CHECK_OK(avk_writer_begin_flush(r.w, 0, cb, state, NULL));
            break;
        }
        /* AVK_WRITE_COPY: the buffer is ours again at once. */
        memset(scratch, 0xA5, scratch_len);
    }
    CHECK_OK(avk_writer_close(r.w));
    CHECK_EQ(__atomic_load_n(&ff_callbacks, __ATOMIC_SEQ_CST), expected_callbacks);
    free(scratch);
}

int main(void) {
    char p_sync[1024], p_async[1024], p_ff[1024];
    uint8_t *b_sync, *b_async, *b_ff;
    size_t n_sync = 0, n_async = 0, n_ff = 0;
    int i;

    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frame2_len = avk_test_dib_size(WIDTH2, HEIGHT2, 32);
    CHECK_EQ(frame_len, 120u * HEIGHT);
    frames = (uint8_t *)malloc(frame_len * PAIRS);
    frames2 = (uint8_t *)malloc(frame2_len * PAIRS);
    blocks = (uint8_t *)malloc((size_t)BLOCK_BYTES * PAIRS);
    CHECK(frames != NULL && frames2 != NULL && blocks != NULL);
    for (i = 0; i < PAIRS; i++) {
        avk_test_fill_dib(frames + frame_len * (size_t)i, WIDTH, HEIGHT, BPP, (uint32_t)i);
        avk_test_fill_dib(frames2 + frame2_len * (size_t)i, WIDTH2, HEIGHT2, 32,
                          (uint32_t)(1000 + i));
        avk_test_fill_pcm16_stereo(blocks + (size_t)BLOCK_BYTES * (size_t)i, SAMPLES_PER_BLOCK,
                                   (uint64_t)i * SAMPLES_PER_BLOCK);
    }
    build_steps();

    avk_test_path(p_sync, sizeof p_sync, "identical-sync");
    avk_test_path(p_async, sizeof p_async, "identical-begin-end");
    avk_test_path(p_ff, sizeof p_ff, "identical-fire-and-forget");

    write_sync(p_sync);
    write_begin_then_end(p_async);
    write_fire_and_forget(p_ff);

    b_sync = avk_test_read_file(p_sync, &n_sync);
    b_async = avk_test_read_file(p_async, &n_async);
    b_ff = avk_test_read_file(p_ff, &n_ff);
    CHECK(b_sync != NULL && b_async != NULL && b_ff != NULL);
    CHECK(n_sync > frame_len * PAIRS + (size_t)BLOCK_BYTES * PAIRS);
    CHECK(memcmp(b_sync, "RIFF", 4) == 0);
    CHECK(memcmp(b_sync + 8, "AVI ", 4) == 0);
    CHECK_EQ(n_async, n_sync);
    CHECK_EQ(n_ff, n_sync);
    CHECK(memcmp(b_sync, b_async, n_sync) == 0);
    CHECK(memcmp(b_sync, b_ff, n_sync) == 0);

    /* A second synchronous run gives the same bytes again (no clock or random data). */
    {
        uint8_t *again;
        size_t n_again = 0;
        write_sync(p_async);
        again = avk_test_read_file(p_async, &n_again);
        CHECK(again != NULL);
        CHECK_EQ(n_again, n_sync);
        CHECK(memcmp(again, b_sync, n_sync) == 0);
        free(again);
    }

    free(b_sync);
    free(b_async);
    free(b_ff);
    free(frames);
    free(frames2);
    free(blocks);
    remove(p_sync);
    remove(p_async);
    remove(p_ff);
    return avk_test_summary("test_sync_async_identical");
}
