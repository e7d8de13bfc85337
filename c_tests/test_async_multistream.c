/*
 * One writer, a 32-bit DIB video stream and a PCM stream, written only through begin/end with a
 * callback and a distinct user_state per operation, video and audio interleaved.
 *
 * Checks: every callback runs exactly once, in begin order across both streams, on one library
 * thread that is not the caller's, never inside begin; inside the callback the result reports
 * its user_state, completion and AVK_OK; end returns AVK_OK; close returns AVK_OK. The file is
 * left at argv[1] for the avi_check.py test that ctest runs next (60 video frames, 352800 bytes
 * of PCM).
 */
#include "avk_test.h"

#define WIDTH 64u
#define HEIGHT 48u
#define BPP 32u
#define FRAMES 60
#define BLOCKS 60
#define SAMPLES_PER_BLOCK 1470u /* 44100 / 30: one video frame's worth */
#define BLOCK_BYTES (SAMPLES_PER_BLOCK * 4u)
#define OPS (FRAMES + BLOCKS)

typedef struct op {
    int seq;                /* global begin order */
    int is_video;
    avk_async *result;      /* from begin */
    avk_async *cb_result;   /* what the callback received */
    int callbacks;          /* atomic */
    avk_status cb_status;
} op;

static op ops[OPS];
static pthread_t main_thread;
static int in_begin;        /* atomic: 1 while the main thread is inside a begin call */
static int next_callback;   /* atomic: sequence number the next callback must have */
static int callback_thread_known;
static pthread_t callback_thread;

static void on_complete(avk_async *result, void *user_state) {
    op *o = (op *)user_state;
    void *state = NULL;
    int32_t completed = -1, sync = -1;
    avk_status status = -1;
    size_t msg_len = 0;
    char msg[8];
    int expected;

    CHECK(o >= ops && o < ops + OPS);
    CHECK(__atomic_add_fetch(&o->callbacks, 1, __ATOMIC_SEQ_CST) == 1);

    /* Never on the caller's thread, hence never inline inside begin. */
    CHECK(!pthread_equal(pthread_self(), main_thread));
    CHECK(!(__atomic_load_n(&in_begin, __ATOMIC_SEQ_CST) &&
            pthread_equal(pthread_self(), main_thread)));
    /* All on one thread (only this thread writes these two after the first callback). */
    if (!callback_thread_known) {
        callback_thread = pthread_self();
        callback_thread_known = 1;
    }
    CHECK(pthread_equal(callback_thread, pthread_self()));

    /* Begin order across both streams. */
    expected = __atomic_fetch_add(&next_callback, 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(o->seq, expected);

    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == (void *)o);
    CHECK_OK(avk_async_is_completed(result, &completed));
    CHECK_EQ(completed, 1);
    CHECK_OK(avk_async_completed_synchronously(result, &sync));
    CHECK_EQ(sync, 0);
    CHECK_OK(avk_async_result(result, &status));
    CHECK_STATUS_VALUE(status, AVK_OK);
    CHECK_OK(avk_async_error_message(result, msg, sizeof msg, &msg_len));
    CHECK_EQ(msg_len, 1); /* empty message for a success */
    CHECK_EQ(msg[0], '\0');
    CHECK_OK(avk_async_wait(result, 0)); /* complete: no deadlock, returns at once */
    o->cb_result = result;
    o->cb_status = status;
}

int main(int argc, char **argv) {
    avk_writer_options wopts = avk_test_writer_options();
    avk_video_stream_options vopts = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_audio_stream_options aopts = avk_test_pcm_options();
    avk_writer *w = NULL;
    avk_video_stream *video = NULL;
    avk_audio_stream *audio = NULL;
    size_t frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    uint8_t *frames, *blocks;
    int i, seq = 0;
    int32_t completed;

    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.avi\n", argv[0]);
        return 2;
    }
    main_thread = pthread_self();
    CHECK_EQ(frame_len, WIDTH * HEIGHT * 4u);

    /* Buffers stay valid and unchanged until close: begin does not copy them. */
    frames = (uint8_t *)malloc(frame_len * FRAMES);
    blocks = (uint8_t *)malloc((size_t)BLOCK_BYTES * BLOCKS);
    CHECK(frames != NULL && blocks != NULL);
    for (i = 0; i < FRAMES; i++) {
        avk_test_fill_dib(frames + frame_len * (size_t)i, WIDTH, HEIGHT, BPP, (uint32_t)i);
    }
    for (i = 0; i < BLOCKS; i++) {
        avk_test_fill_pcm16_stereo(blocks + (size_t)BLOCK_BYTES * (size_t)i, SAMPLES_PER_BLOCK,
                                   (uint64_t)i * SAMPLES_PER_BLOCK);
    }

    vopts.name = "video";
    aopts.name = "audio";
    CHECK_OK(avk_writer_create(argv[1], &wopts, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vopts, &video));
    CHECK_OK(avk_writer_add_audio_stream(w, &aopts, &audio));

    /* Interleave: frame i, then block i. */
    for (i = 0; i < FRAMES; i++) {
        op *v = &ops[seq];
        op *a = &ops[seq + 1];
        v->seq = seq;
        v->is_video = 1;
        a->seq = seq + 1;
        a->is_video = 0;
        seq += 2;

        __atomic_store_n(&in_begin, 1, __ATOMIC_SEQ_CST);
        CHECK_OK(avk_video_stream_begin_write_frame(video, AVK_FRAME_KEYFRAME,
                                                    frames + frame_len * (size_t)i, frame_len,
                                                    on_complete, v, &v->result));
        __atomic_store_n(&in_begin, 0, __ATOMIC_SEQ_CST);
        CHECK(v->result != NULL);

        __atomic_store_n(&in_begin, 1, __ATOMIC_SEQ_CST);
        CHECK_OK(avk_audio_stream_begin_write_block(audio, 0,
                                                    blocks + (size_t)BLOCK_BYTES * (size_t)i,
                                                    BLOCK_BYTES, on_complete, a, &a->result));
        __atomic_store_n(&in_begin, 0, __ATOMIC_SEQ_CST);
        CHECK(a->result != NULL);
    }
    CHECK_EQ(seq, OPS);

    /* End every operation (in reverse order: end may come in any order). */
    for (i = OPS - 1; i >= 0; i--) {
        op *o = &ops[i];
        CHECK_OK(avk_async_is_completed(o->result, &completed)); /* still ours before end */
        if (o->is_video) {
            CHECK_OK(avk_video_stream_end_write_frame(video, o->result));
        } else {
            CHECK_OK(avk_audio_stream_end_write_block(audio, o->result));
        }
        /* Released by end. */
        CHECK_STATUS(avk_async_is_completed(o->result, &completed), AVK_E_INVALID_HANDLE);
    }

    CHECK_OK(avk_writer_close(w));

    /* Close drained the queue: every callback ran exactly once, in order, with OK. */
    CHECK_EQ(__atomic_load_n(&next_callback, __ATOMIC_SEQ_CST), OPS);
    for (i = 0; i < OPS; i++) {
        CHECK_EQ(__atomic_load_n(&ops[i].callbacks, __ATOMIC_SEQ_CST), 1);
        CHECK(ops[i].cb_result == ops[i].result);
        CHECK_STATUS_VALUE(ops[i].cb_status, AVK_OK);
    }

    free(frames);
    free(blocks);
    return avk_test_summary("test_async_multistream");
}
