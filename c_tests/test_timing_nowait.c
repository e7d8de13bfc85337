/*
 * AVK_WRITE_NOWAIT, made deterministic with a callback that holds the writer's worker:
 *   - max_queued_bytes of 64 (one frame fits an empty queue only) and a frame waiting in the
 *     queue behind the held worker: every NOWAIT begin, timed or not, video or audio, returns
 *     AVK_E_QUEUE_FULL at once (well under the 10 s the worker is held), queues nothing, runs no
 *     callback and counts in the stream's stats.dropped; inside the holding callback too, where
 *     a begin without NOWAIT returns AVK_E_WOULD_DEADLOCK;
 *   - a refused timed frame leaves its slot free: the next timed frame gets an empty frame
 *     before it, and a refused timed audio block takes no samples;
 *   - without a bound NOWAIT changes nothing, also while the worker is held.
 */
#include "avk_test.h"
#include "avk_test_chunks.h"
#include "avk_test_timing.h"

#define VW 32u
#define VH 24u
#define MS 1000000LL
#define T0 5000000000000LL /* time zero: 5000 s on the caller's clock */

static size_t frame_len;
static uint8_t *frames[4];

/* ---- AVK_WRITE_NOWAIT while a callback holds the worker -------------------------------- */

typedef struct hold {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, b_queued, inside_done, released, timed_out;
    avk_video_stream *v;
    avk_audio_stream *a;
    uint8_t block[1764];
} hold;

static void wait_flag(hold *h, int *flag) {
    pthread_mutex_lock(&h->mu);
    while (!*flag) pthread_cond_wait(&h->cv, &h->mu);
    pthread_mutex_unlock(&h->mu);
}

static void set_flag(hold *h, int *flag) {
    pthread_mutex_lock(&h->mu);
    *flag = 1;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* Holds the worker until released (at most 10 s, so a begin that waits wrongly ends the test
   with a failure rather than a hang). With `v` set, first tries begins from in here. */
static void hold_worker(avk_async *result, void *user_state) {
    hold *h = (hold *)user_state;
    struct timespec until;
    (void)result;
    set_flag(h, &h->entered);
    if (h->v != NULL) {
        wait_flag(h, &h->b_queued);
        CHECK_STATUS(avk_video_stream_begin_write_frame_at(h->v, AVK_WRITE_NOWAIT, T0 + 70 * MS,
                                                           frames[2], frame_len, must_not_run,
                                                           NULL, NULL),
                     AVK_E_QUEUE_FULL);
        CHECK_STATUS(avk_video_stream_begin_write_frame_at(h->v, 0, T0 + 70 * MS, frames[2],
                                                           frame_len, must_not_run, NULL, NULL),
                     AVK_E_WOULD_DEADLOCK);
        CHECK_STATUS(avk_audio_stream_begin_write_block(h->a, AVK_WRITE_NOWAIT, h->block,
                                                        sizeof h->block, must_not_run, NULL,
                                                        NULL),
                     AVK_E_QUEUE_FULL);
        set_flag(h, &h->inside_done);
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&h->mu);
    while (!h->released && !h->timed_out) {
        h->timed_out = pthread_cond_timedwait(&h->cv, &h->mu, &until) != 0;
    }
    pthread_mutex_unlock(&h->mu);
}

static void init_hold(hold *h) {
    memset(h, 0, sizeof *h);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
}

static void destroy_hold(hold *h) {
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
}

static void open_nowait_writer(const char *path, uint64_t max_queued_bytes, avk_writer **w,
                               avk_video_stream **v, avk_audio_stream **a) {
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_audio_stream_options ao = avk_test_pcm_options();
    wo.frame_rate_num = 30;
    wo.frame_rate_den = 1;
    wo.max_queued_bytes = max_queued_bytes;
    CHECK_OK(avk_writer_create(path, &wo, w));
    CHECK_OK(avk_writer_add_video_stream(*w, &vo, v));
    CHECK_OK(avk_writer_add_audio_stream(*w, &ao, a));
}

static void test_nowait(void) {
    char path[1024];
    hold h;
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_async *ra = NULL, *rb = NULL;
    avk_stream_stats s;
    avk_test_chunks c;
    uint8_t *bytes;
    uint64_t start;

    /* A bound of 64 bytes: one frame fits an empty queue, a second one has to wait. */
    avk_test_path(path, sizeof path, "timing-nowait");
    init_hold(&h);
    open_nowait_writer(path, 64, &w, &v, &a);
    h.v = v;
    h.a = a;
    CHECK_OK(avk_video_stream_begin_write_frame_at(v, AVK_FRAME_KEYFRAME, T0, frames[0],
                                                   frame_len, hold_worker, &h, &ra));
    wait_flag(&h, &h.entered); /* frame 0 is written, its room given back */
    CHECK_OK(avk_video_stream_begin_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 34 * MS,
                                                   frames[1], frame_len, count_callback, NULL,
                                                   &rb));
    set_flag(&h, &h.b_queued);
    wait_flag(&h, &h.inside_done);

    /* Frame 1 waits in the queue behind the held worker: every NOWAIT begin is refused now. */
    start = avk_test_now_ms();
    CHECK_STATUS(avk_video_stream_begin_write_frame_at(v, AVK_WRITE_NOWAIT | AVK_FRAME_KEYFRAME,
                                                       T0 + 70 * MS, frames[2], frame_len,
                                                       must_not_run, NULL, NULL),
                 AVK_E_QUEUE_FULL);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, AVK_WRITE_NOWAIT | AVK_WRITE_COPY,
                                                    frames[2], frame_len, must_not_run, NULL,
                                                    NULL),
                 AVK_E_QUEUE_FULL);
    CHECK_STATUS(avk_audio_stream_begin_write_block_at(a, AVK_WRITE_NOWAIT, T0, h.block,
                                                       sizeof h.block, must_not_run, NULL, NULL),
                 AVK_E_QUEUE_FULL);
    CHECK_STATUS(avk_audio_stream_begin_write_block(a, AVK_WRITE_NOWAIT, h.block, sizeof h.block,
                                                    must_not_run, NULL, NULL),
                 AVK_E_QUEUE_FULL);
    CHECK(avk_test_now_ms() - start < 2000);
    s = video_stats(v);
    CHECK_EQ(s.chunks, 2);
    CHECK_EQ(s.dropped, 3); /* two here, one inside the callback */
    CHECK_EQ(s.empty_frames, 0);
    s = audio_stats(a);
    CHECK_EQ(s.chunks, 0);
    CHECK_EQ(s.samples, 0);
    CHECK_EQ(s.dropped, 3);

    set_flag(&h, &h.released);
    CHECK_OK(avk_video_stream_end_write_frame(v, ra));
    CHECK_OK(avk_video_stream_end_write_frame(v, rb));
    CHECK_EQ(h.timed_out, 0);
    /* The refused frame's slot 2 is free: frame 3 (slot 3) gets one empty frame before it.
       The audio stream has nothing yet: a block at time zero goes in without silence. */
    CHECK_OK(avk_video_stream_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 100 * MS, frames[3],
                                             frame_len));
    CHECK_OK(avk_audio_stream_write_block_at(a, 0, T0, h.block, sizeof h.block));
    CHECK_EQ(video_stats(v).empty_frames, 1);
    CHECK_EQ(audio_stats(a).silence_samples, 0);
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(__atomic_load_n(&callbacks_run, __ATOMIC_SEQ_CST), 1);
    bytes = avk_test_read_chunks(path, "00", &c);
    CHECK_EQ(c.count, 4);
    CHECK_EQ(c.size[0], frame_len);
    CHECK_EQ(c.size[1], frame_len);
    CHECK_EQ(c.size[2], 0);
    CHECK(memcmp(bytes + c.offset[3], frames[3], frame_len) == 0);
    free(bytes);
    remove(path);
    destroy_hold(&h);

    /* Unbounded: NOWAIT changes nothing, also with the worker held. */
    init_hold(&h);
    open_nowait_writer(path, 0, &w, &v, &a);
    CHECK_OK(avk_video_stream_begin_write_frame_at(v, AVK_FRAME_KEYFRAME, T0, frames[0],
                                                   frame_len, hold_worker, &h, NULL));
    wait_flag(&h, &h.entered);
    CHECK_OK(avk_video_stream_begin_write_frame_at(v, AVK_WRITE_NOWAIT, T0 + 34 * MS, frames[1],
                                                   frame_len, NULL, NULL, NULL));
    CHECK_OK(avk_video_stream_begin_write_frame(v, AVK_WRITE_NOWAIT, frames[2], frame_len, NULL,
                                                NULL, NULL));
    CHECK_OK(avk_audio_stream_begin_write_block_at(a, AVK_WRITE_NOWAIT, T0, h.block,
                                                   sizeof h.block, NULL, NULL, NULL));
    set_flag(&h, &h.released);
    CHECK_EQ(video_stats(v).dropped + audio_stats(a).dropped, 0);
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(h.timed_out, 0);
    bytes = avk_test_read_chunks(path, "00", &c);
    CHECK_EQ(c.count, 3);
    free(bytes);
    remove(path);
    destroy_hold(&h);
}

int main(void) {
    size_t i;
    frame_len = avk_test_dib_size(VW, VH, 32);
    for (i = 0; i < 4; i++) {
        frames[i] = (uint8_t *)malloc(frame_len);
        CHECK(frames[i] != NULL);
        avk_test_fill_dib(frames[i], VW, VH, 32, (uint32_t)i * 10u);
    }
    test_nowait();
    for (i = 0; i < 4; i++) free(frames[i]);
    return avk_test_summary("test_timing_nowait");
}
