/*
 * Waits across writers that would close a cycle through worker threads (issue 14, item 2).
 * Writers A and B each queue op 1 (whose callback is the test's) and op 2 behind it. A's
 * callback then waits for something only B's worker can finish behind B's callback, and B's
 * callback for something behind A's: whatever the interleaving, this is a cycle. Exactly one of
 * the two calls must answer AVK_E_WOULD_DEADLOCK (nothing done), the other AVK_OK, for:
 *   - waiting on the other writer's pending result (avk_async_wait);
 *   - flushing the other writer (avk_writer_flush);
 *   - a begin on the other writer that waits for queue room (max_queued_bytes);
 *   - closing the other writer: the close that is refused leaves its writer open, main closes
 *     it afterwards, and both files are finalized (avk_inspect_file accepts them).
 * A watchdog ends the process (failing) if anything hangs.
 */
#include "avk_test.h"

#include <signal.h>

#define WIDTH 16u
#define HEIGHT 16u
#define BPP 32u
#define WATCHDOG_SECONDS 30u

enum scenario { WAIT_RESULT, FLUSH, BACKPRESSURE, CLOSE };

static const char *scenario_name[] = {"wait", "flush", "backpressure", "close"};

/* One side of a scenario: a writer, its stream, and what its callback does to the other side. */
typedef struct side {
    avk_writer *w;
    avk_video_stream *v;
    avk_async *second; /* op 2, pending behind op 1's callback (WAIT_RESULT only) */
    struct side *other;
    char path[512];
    int entered;               /* atomic: the callback started */
    int called;                /* atomic: the callback ran */
    avk_status callback_status; /* what the cross-writer call returned */
} side;

static enum scenario current;
static int ready; /* atomic: both sides are set up */
static size_t frame_len;
static uint8_t *frame;

static void on_first(avk_async *r, void *state) {
    side *me = (side *)state;
    avk_status s = AVK_OK;
    (void)r;
    __atomic_store_n(&me->entered, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        avk_test_sleep_ms(1);
    }
    switch (current) {
    case WAIT_RESULT:
        s = avk_async_wait(me->other->second, AVK_WAIT_INFINITE);
        break;
    case FLUSH:
        s = avk_writer_flush(me->other->w, 0);
        break;
    case BACKPRESSURE:
        /* The other queue holds op 2 (one frame) and its bound is one frame: this waits. */
        s = avk_video_stream_begin_write_frame(me->other->v, AVK_WRITE_COPY, frame, frame_len,
                                               NULL, NULL, NULL);
        break;
    case CLOSE:
        s = avk_writer_close(me->other->w);
        break;
    }
    me->callback_status = s;
    if (s == AVK_E_WOULD_DEADLOCK) {
        char msg[512];
        avk_last_error_message(msg, sizeof msg);
        CHECK(strstr(msg, "deadlock") != NULL);
    }
    __atomic_store_n(&me->called, 1, __ATOMIC_RELEASE);
}

static void open_side(side *s, const char *name) {
    avk_writer_options o = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    memset(s, 0, sizeof *s);
    avk_test_path(s->path, sizeof s->path, name);
    if (current == BACKPRESSURE) {
        o.max_queued_bytes = frame_len;
    }
    CHECK_OK(avk_writer_create(s->path, &o, &s->w));
    CHECK_OK(avk_writer_add_video_stream(s->w, &vo, &s->v));
}

static void begin_first(side *s) {
    CHECK_OK(avk_video_stream_begin_write_frame(s->v, AVK_WRITE_COPY, frame, frame_len,
                                                on_first, s, NULL));
}

/* Op 2, begun once op 1's callback runs: it queues behind that callback, not in its batch. */
static void begin_second(side *s) {
    avk_async **second = current == WAIT_RESULT ? &s->second : NULL;
    while (!__atomic_load_n(&s->entered, __ATOMIC_ACQUIRE)) {
        avk_test_sleep_ms(1);
    }
    CHECK_OK(avk_video_stream_begin_write_frame(s->v, AVK_WRITE_COPY, frame, frame_len, NULL,
                                                NULL, second));
}

static void check_file(const side *s, uint64_t frames) {
    avk_file_report report;
    memset(&report, 0, sizeof report);
    report.struct_size = (uint32_t)sizeof report;
    CHECK_OK(avk_inspect_file(s->path, &report));
    CHECK_EQ(report.video_frames, frames);
    remove(s->path);
}

static void run(enum scenario which) {
    side a, b;
    side *refused;
    current = which;
    __atomic_store_n(&ready, 0, __ATOMIC_RELEASE);
    open_side(&a, "deadlock-a");
    open_side(&b, "deadlock-b");
    a.other = &b;
    b.other = &a;
    begin_first(&a);
    begin_first(&b);
    begin_second(&a);
    begin_second(&b);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&a.called, __ATOMIC_ACQUIRE) ||
           !__atomic_load_n(&b.called, __ATOMIC_ACQUIRE)) {
        avk_test_sleep_ms(1);
    }
    /* One refused, one done. */
    CHECK((a.callback_status == AVK_E_WOULD_DEADLOCK) != (b.callback_status == AVK_E_WOULD_DEADLOCK));
    refused = a.callback_status == AVK_E_WOULD_DEADLOCK ? &a : &b;
    CHECK_STATUS_VALUE(refused->other->callback_status, AVK_OK);
    if (which == WAIT_RESULT) {
        CHECK_OK(avk_video_stream_end_write_frame(a.v, a.second));
        CHECK_OK(avk_video_stream_end_write_frame(b.v, b.second));
    }
    if (which == CLOSE) {
        /* The close that was done finalized the refused side's writer; the refused close left
           the other writer open, and closing it now finalizes it. */
        CHECK_OK(avk_writer_close(refused->other->w));
        check_file(&a, 2);
        check_file(&b, 2);
    } else {
        /* Under back-pressure the call that was done queued one more frame on the other. */
        int extra = which == BACKPRESSURE;
        CHECK_OK(avk_writer_close(a.w));
        CHECK_OK(avk_writer_close(b.w));
        check_file(&a, 2u + (uint64_t)(extra && refused == &a));
        check_file(&b, 2u + (uint64_t)(extra && refused == &b));
    }
    printf("%s: %s's call refused, the other's done\n", scenario_name[which],
           refused == &a ? "A" : "B");
}

static void on_watchdog(int sig) {
    (void)sig;
    static const char msg[] = "test_deadlock: watchdog: a cross-writer wait hangs\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
        _exit(3);
    }
    _exit(2);
}

int main(void) {
    signal(SIGALRM, on_watchdog);
    alarm(WATCHDOG_SECONDS);
    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, WIDTH, HEIGHT, BPP, 0);
    run(WAIT_RESULT);
    run(FLUSH);
    run(BACKPRESSURE);
    run(CLOSE);
    free(frame);
    return avk_test_summary("test_deadlock");
}
