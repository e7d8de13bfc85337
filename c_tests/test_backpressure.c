/*
 * Back-pressure (avk_writer_options.max_queued_bytes), made deterministic with a sink whose
 * write_at can be held on a gate:
 *   - bound = 2 frames. With the worker held inside write_at for frame A, a begin of frame B
 *     fits (2 frames queued) and returns at once; a begin of frame C on a second thread would
 *     exceed the bound and blocks: it has not returned after 200 ms while the sink is held, and
 *     returns AVK_OK once the gate opens; A, B, C complete in begin order;
 *   - an operation larger than the bound waits for an empty queue, and goes in at once when the
 *     queue is empty;
 *   - inside a callback (on the writer's own worker, which is the only thread that could make
 *     room): a begin that fits returns AVK_OK, one that would have to wait returns
 *     AVK_E_WOULD_DEADLOCK (nothing queued, no callback), for video and audio; what was queued
 *     there completes afterwards;
 *   - closing the writer while a begin is blocked: the begin returns (AVK_E_INVALID_HANDLE, since
 *     close released the stream, or AVK_OK if it got in first, then its callback ran once);
 *   - max_queued_bytes = 0 (the default) is unbounded: many begins with the sink held all return.
 */
#include "avk_test.h"

#define WIDTH 32u
#define HEIGHT 24u
#define BIG_WIDTH 64u
#define BIG_HEIGHT 48u
#define BPP 32u
#define BLOCK_BYTES 1024u /* 256 stereo 16-bit samples */

/* ---- the writer, on the gated sink of avk_test.h ----------------------------------------- */

static avk_writer *open_writer(avk_test_gate *g, uint64_t max_queued_bytes) {
    avk_writer_options o = avk_test_writer_options();
    avk_io io = avk_test_gate_io(g);
    avk_writer *w = NULL;
    o.max_queued_bytes = max_queued_bytes;
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    return w;
}

static avk_video_stream *add_video(avk_writer *w, uint32_t width, uint32_t height) {
    avk_video_stream_options o = avk_test_dib_options(width, height, BPP);
    avk_video_stream *v = NULL;
    CHECK_OK(avk_writer_add_video_stream(w, &o, &v));
    return v;
}

static avk_audio_stream *add_audio(avk_writer *w) {
    avk_audio_stream_options o = avk_test_pcm_options();
    avk_audio_stream *a = NULL;
    CHECK_OK(avk_writer_add_audio_stream(w, &o, &a));
    return a;
}

static size_t frame_len, big_len;
static uint8_t *frame, *big_frame;
static uint8_t block[BLOCK_BYTES];

/* ---- callbacks ---------------------------------------------------------------------------- */

static int order_next; /* written by the worker only */
static int stray_callbacks; /* atomic */

static void order_callback(avk_async *result, void *user_state) {
    avk_status st = -1;
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    CHECK_EQ(*(int *)user_state, -1);
    *(int *)user_state = order_next++;
}

static void must_not_run(avk_async *result, void *user_state) {
    (void)result;
    (void)user_state;
    __atomic_add_fetch(&stray_callbacks, 1, __ATOMIC_SEQ_CST);
}

/* ---- a begin on another thread ------------------------------------------------------------ */

typedef struct blocked_begin {
    pthread_t thread;
    avk_video_stream *v;
    const uint8_t *data;
    size_t len;
    int *order;
    avk_async *result;
    avk_status status;
    int returned; /* atomic */
} blocked_begin;

static void *begin_thread(void *arg) {
    blocked_begin *b = (blocked_begin *)arg;
    b->status = avk_video_stream_begin_write_frame(b->v, 0, b->data, b->len, order_callback,
                                                   b->order, &b->result);
    __atomic_store_n(&b->returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void start_begin(blocked_begin *b, avk_video_stream *v, const uint8_t *data, size_t len,
                        int *order) {
    memset(b, 0, sizeof *b);
    b->v = v;
    b->data = data;
    b->len = len;
    b->order = order;
    CHECK_EQ(pthread_create(&b->thread, NULL, begin_thread, b), 0);
}

/* The begin on the other thread has not returned after `ms`. */
static void check_still_blocked(blocked_begin *b, unsigned ms) {
    avk_test_sleep_ms(ms);
    CHECK_EQ(__atomic_load_n(&b->returned, __ATOMIC_SEQ_CST), 0);
}

static void finish_begin(blocked_begin *b) {
    CHECK_EQ(pthread_join(b->thread, NULL), 0);
    CHECK_EQ(b->returned, 1);
    CHECK_STATUS_VALUE(b->status, AVK_OK);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_begin_blocks(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *v, *big;
    avk_async *ra = NULL, *rb = NULL, *rd = NULL, *re = NULL;
    int oa = -1, ob = -1, oc = -1, od = -1, oe = -1, of = -1;
    int32_t done = -1;
    blocked_begin c, e;
    uint64_t t0;

    avk_test_gate_init(&g);
    w = open_writer(&g, 2 * (uint64_t)frame_len);
    v = add_video(w, WIDTH, HEIGHT);
    big = add_video(w, BIG_WIDTH, BIG_HEIGHT);
    CHECK(big_len > 2 * frame_len);
    CHECK_OK(avk_writer_flush(w, 0)); /* the header is out */

    order_next = 0;
    avk_test_gate_set(&g, 1);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, order_callback, &oa,
                                                &ra));
    avk_test_gate_wait_blocked(&g); /* A is running; its bytes count until it completes */
    t0 = avk_test_now_ms();
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, order_callback, &ob,
                                                &rb));
    CHECK(avk_test_now_ms() - t0 < 2000); /* B fits: no wait */

    /* C would exceed the bound: its begin blocks while the sink holds the worker. */
    start_begin(&c, v, frame, frame_len, &oc);
    check_still_blocked(&c, 200);
    CHECK_OK(avk_async_is_completed(ra, &done));
    CHECK_EQ(done, 0);
    avk_test_gate_set(&g, 0);
    finish_begin(&c);
    CHECK_OK(avk_video_stream_end_write_frame(v, ra));
    CHECK_OK(avk_video_stream_end_write_frame(v, rb));
    CHECK_OK(avk_video_stream_end_write_frame(v, c.result));

    /* An operation larger than the bound waits until the queue is empty. */
    avk_test_gate_set(&g, 1);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, order_callback, &od,
                                                &rd));
    avk_test_gate_wait_blocked(&g);
    start_begin(&e, big, big_frame, big_len, &oe);
    check_still_blocked(&e, 200);
    avk_test_gate_set(&g, 0);
    finish_begin(&e);
    CHECK_OK(avk_video_stream_end_write_frame(v, rd));
    CHECK_OK(avk_video_stream_end_write_frame(big, e.result));

    /* With the queue empty it goes in at once. */
    t0 = avk_test_now_ms();
    CHECK_OK(avk_video_stream_begin_write_frame(big, 0, big_frame, big_len, order_callback, &of,
                                                &re));
    CHECK(avk_test_now_ms() - t0 < 2000);
    CHECK_OK(avk_video_stream_end_write_frame(big, re));

    /* The synchronous write goes through the same bound. */
    CHECK_OK(avk_video_stream_write_frame(big, 0, big_frame, big_len));
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(w));
    /* Callbacks run after completion, so end does not wait for them; close does. */
    CHECK_EQ(oa, 0);
    CHECK_EQ(ob, 1);
    CHECK_EQ(oc, 2);
    CHECK_EQ(od, 3);
    CHECK_EQ(oe, 4);
    CHECK_EQ(of, 5);
    avk_test_gate_destroy(&g);
}

typedef struct in_callback {
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
    avk_async *fits_video, *fits_audio;
    int video_order, audio_order;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
} in_callback;

static void pressure_callback(avk_async *result, void *user_state) {
    in_callback *c = (in_callback *)user_state;
    avk_async *r = NULL;
    (void)result;
    /* Bound = one frame + one block. The queue is empty here (this operation's bytes were
       given back before its callback), so a frame fits... */
    CHECK_OK(avk_video_stream_begin_write_frame(c->v, 0, frame, frame_len, order_callback,
                                                &c->video_order, &c->fits_video));
    /* ...a second frame would have to wait for the worker running this callback. */
    CHECK_STATUS(avk_video_stream_begin_write_frame(c->v, 0, frame, frame_len, must_not_run,
                                                    NULL, &r),
                 AVK_E_WOULD_DEADLOCK);
    CHECK(r == NULL);
    CHECK_STATUS(avk_video_stream_begin_write_frame(c->v, AVK_WRITE_COPY, frame, frame_len,
                                                    must_not_run, NULL, NULL),
                 AVK_E_WOULD_DEADLOCK);
    /* A block still fits beside the frame. */
    CHECK_OK(avk_audio_stream_begin_write_block(c->a, 0, block, BLOCK_BYTES, order_callback,
                                                &c->audio_order, &c->fits_audio));
    /* Now the queue is full: even one more block would have to wait. */
    CHECK_STATUS(avk_audio_stream_begin_write_block(c->a, 0, block, BLOCK_BYTES, must_not_run,
                                                    NULL, &r),
                 AVK_E_WOULD_DEADLOCK);
    CHECK(r == NULL);
    pthread_mutex_lock(&c->mu);
    c->done = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void test_in_callback(void) {
    avk_test_gate g;
    in_callback c;
    avk_async *outer = NULL;

    avk_test_gate_init(&g);
    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    c.video_order = c.audio_order = -1;
    c.w = open_writer(&g, (uint64_t)frame_len + BLOCK_BYTES);
    c.v = add_video(c.w, WIDTH, HEIGHT);
    c.a = add_audio(c.w);
    CHECK_OK(avk_writer_flush(c.w, 0));

    order_next = 0;
    CHECK_OK(avk_video_stream_begin_write_frame(c.v, 0, frame, frame_len, pressure_callback, &c,
                                                &outer));
    pthread_mutex_lock(&c.mu);
    while (!c.done) {
        pthread_cond_wait(&c.cv, &c.mu);
    }
    pthread_mutex_unlock(&c.mu);
    CHECK_OK(avk_video_stream_end_write_frame(c.v, outer));
    CHECK_OK(avk_video_stream_end_write_frame(c.v, c.fits_video));
    CHECK_OK(avk_audio_stream_end_write_block(c.a, c.fits_audio));
    CHECK_OK(avk_writer_close(c.w));
    CHECK_EQ(c.video_order, 0);
    CHECK_EQ(c.audio_order, 1);
    CHECK_EQ(__atomic_load_n(&stray_callbacks, __ATOMIC_SEQ_CST), 0);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    avk_test_gate_destroy(&g);
}

/* Opens the gate a while after the main thread said it is about to close the writer. */
typedef struct opener {
    avk_test_gate *gate;
    int closing; /* atomic */
} opener;

static void *open_later(void *arg) {
    opener *o = (opener *)arg;
    while (!__atomic_load_n(&o->closing, __ATOMIC_SEQ_CST)) {
        avk_test_sleep_ms(1);
    }
    avk_test_sleep_ms(50);
    avk_test_gate_set(o->gate, 0);
    return NULL;
}

static int late_callbacks; /* atomic */

static void late_callback(avk_async *result, void *user_state) {
    avk_status st = -1;
    (void)user_state;
    CHECK_OK(avk_async_result(result, &st));
    CHECK_STATUS_VALUE(st, AVK_OK);
    __atomic_add_fetch(&late_callbacks, 1, __ATOMIC_SEQ_CST);
}

static void *late_begin_thread(void *arg) {
    blocked_begin *b = (blocked_begin *)arg;
    b->status = avk_video_stream_begin_write_frame(b->v, 0, b->data, b->len, late_callback, NULL,
                                                   NULL);
    __atomic_store_n(&b->returned, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_close_while_blocked(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *v;
    blocked_begin c;
    opener o;
    pthread_t opener_thread;

    avk_test_gate_init(&g);
    w = open_writer(&g, 2 * (uint64_t)frame_len);
    v = add_video(w, WIDTH, HEIGHT);
    CHECK_OK(avk_writer_flush(w, 0));
    avk_test_gate_set(&g, 1);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, NULL));
    avk_test_gate_wait_blocked(&g);
    CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, NULL));

    memset(&c, 0, sizeof c);
    c.v = v;
    c.data = frame;
    c.len = frame_len;
    CHECK_EQ(pthread_create(&c.thread, NULL, late_begin_thread, &c), 0);
    check_still_blocked(&c, 100);

    memset(&o, 0, sizeof o);
    o.gate = &g;
    CHECK_EQ(pthread_create(&opener_thread, NULL, open_later, &o), 0);
    __atomic_store_n(&o.closing, 1, __ATOMIC_SEQ_CST);
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(pthread_join(opener_thread, NULL), 0);
    CHECK_EQ(pthread_join(c.thread, NULL), 0);
    printf("close while a begin was blocked: the begin returned %s\n", avk_status_name(c.status));
    CHECK(c.status == AVK_E_INVALID_HANDLE || c.status == AVK_OK);
    CHECK_EQ(__atomic_load_n(&late_callbacks, __ATOMIC_SEQ_CST), c.status == AVK_OK ? 1 : 0);
    avk_test_gate_destroy(&g);
}

#define UNBOUNDED_OPS 64

static void test_unbounded(void) {
    avk_test_gate g;
    avk_writer *w;
    avk_video_stream *v;
    avk_async *r[UNBOUNDED_OPS];
    int i;
    uint64_t t0;

    avk_test_gate_init(&g);
    w = open_writer(&g, 0);
    v = add_video(w, WIDTH, HEIGHT);
    CHECK_OK(avk_writer_flush(w, 0));
    avk_test_gate_set(&g, 1);
    t0 = avk_test_now_ms();
    for (i = 0; i < UNBOUNDED_OPS; i++) {
        CHECK_OK(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &r[i]));
    }
    CHECK(avk_test_now_ms() - t0 < 5000);
    avk_test_gate_set(&g, 0);
    for (i = 0; i < UNBOUNDED_OPS; i++) {
        CHECK_OK(avk_video_stream_end_write_frame(v, r[i]));
    }
    CHECK_OK(avk_writer_close(w));
    avk_test_gate_destroy(&g);
}

int main(void) {
    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    big_len = avk_test_dib_size(BIG_WIDTH, BIG_HEIGHT, BPP);
    frame = (uint8_t *)malloc(frame_len);
    big_frame = (uint8_t *)malloc(big_len);
    CHECK(frame != NULL && big_frame != NULL);
    avk_test_fill_dib(frame, WIDTH, HEIGHT, BPP, 1);
    avk_test_fill_dib(big_frame, BIG_WIDTH, BIG_HEIGHT, BPP, 2);
    avk_test_fill_pcm16_stereo(block, BLOCK_BYTES / 4, 0);

    test_begin_blocks();
    test_in_callback();
    test_close_while_blocked();
    test_unbounded();

    free(frame);
    free(big_frame);
    return avk_test_summary("test_backpressure");
}
