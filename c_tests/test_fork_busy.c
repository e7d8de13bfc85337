/*
 * fork() while other threads are inside avikit (issue 21, item 3): threads keep beginning MJPEG
 * and UNCOMPRESSED frames (holding the registry, gate and encoder locks for short moments) while
 * the main thread forks, hundreds of times. Whatever those threads held at fork, every call the
 * child makes on the parent's writer, streams and results answers AVK_E_INVALID_STATE at once,
 * and a writer the child creates itself works. The parent's recording is unaffected.
 *
 * AVK_TEST_FORK_ROUNDS overrides the number of forks (the sanitizer runs use fewer; the ASan
 * run leaves the test out, as its allocator is not fork-safe: see scripts/sanitizers.sh);
 * AVK_TEST_FORK_CHILD_WRITER=0 leaves out the child's own writer (ThreadSanitizer cannot follow
 * threads started in the child of a process with threads: "dup thread with used id").
 */
#include "avk_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#define WIDTH 64u
#define HEIGHT 48u
#define THREADS 3
#define DEFAULT_ROUNDS 300
#define CHILD_SECONDS 10u

static size_t frame_len;
static uint8_t *frame;
static atomic_int stop;
static atomic_long begun;

typedef struct {
    avk_video_stream *stream;
} producer;

/* Begins copied, fire-and-forget frames until told to stop. */
static void *produce(void *arg) {
    producer *p = (producer *)arg;
    while (!atomic_load(&stop)) {
        avk_status s = avk_video_stream_begin_write_frame(p->stream, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY,
                                                          frame, frame_len, NULL, NULL, NULL);
        if (s != AVK_OK) {
            fprintf(stderr, "a parent begin failed: %s\n", avk_status_name(s));
            abort();
        }
        atomic_fetch_add(&begun, 1);
    }
    return NULL;
}

static avk_video_stream_options encoding_options(int32_t codec) {
    avk_video_stream_options vo;
    avk_video_stream_options_init(&vo);
    vo.width = WIDTH;
    vo.height = HEIGHT;
    vo.codec = codec;
    vo.input_format = AVK_PIXEL_BGRA32;
    return vo;
}

/* The child: each call on the parent's objects answers at once; then a writer of its own. */
static void in_child(avk_writer *w, avk_video_stream *const streams[], size_t stream_count,
                     avk_async *done, const char *own_path) {
    avk_video_stream_options vo = encoding_options(AVK_VIDEO_UNCOMPRESSED);
    avk_writer_options o = avk_test_writer_options();
    avk_video_stream *extra = NULL, *mine = NULL;
    avk_writer *own = NULL;
    avk_async *r = NULL;
    avk_stream_stats stats;
    alarm(CHILD_SECONDS); /* a hang ends the child by SIGALRM, which the parent reports */
    for (size_t i = 0; i < stream_count; i++) {
        CHECK_STATUS(avk_video_stream_write_frame(streams[i], 0, frame, frame_len),
                     AVK_E_INVALID_STATE);
        CHECK_STATUS(avk_video_stream_begin_write_frame(streams[i], 0, frame, frame_len, NULL,
                                                        NULL, &r),
                     AVK_E_INVALID_STATE);
        memset(&stats, 0, sizeof stats);
        stats.struct_size = (uint32_t)sizeof stats;
        CHECK_STATUS(avk_video_stream_get_stats(streams[i], &stats), AVK_E_INVALID_STATE);
        CHECK_STATUS(avk_video_stream_skip_frames(streams[i], 1), AVK_E_INVALID_STATE);
    }
    CHECK_STATUS(avk_async_wait(done, AVK_WAIT_INFINITE), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_flush(w, 0), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_add_video_stream(w, &vo, &extra), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_STATE);

    const char *child_writer = getenv("AVK_TEST_FORK_CHILD_WRITER");
    if (child_writer != NULL && strcmp(child_writer, "0") == 0) {
        fflush(stdout);
        execl("/bin/true", "true", (char *)NULL);
        _exit(4);
    }
    CHECK_OK(avk_writer_create(own_path, &o, &own));
    vo = encoding_options(AVK_VIDEO_MJPEG);
    avk_status s = avk_writer_add_video_stream(own, &vo, &mine);
    if (s == AVK_E_UNSUPPORTED) {
        vo = encoding_options(AVK_VIDEO_UNCOMPRESSED);
        s = avk_writer_add_video_stream(own, &vo, &mine);
    }
    CHECK_STATUS(s, AVK_OK);
    CHECK_OK(avk_video_stream_write_frame(mine, AVK_FRAME_KEYFRAME, frame, frame_len));
    CHECK_OK(avk_writer_close(own));
    remove(own_path);
    fflush(stdout);
    /* exec, not exit: the parent's writers, owned by threads this process does not have, would
       read as leaks to a checker at exit. */
    execl("/bin/true", "true", (char *)NULL);
    _exit(4);
}

int main(void) {
    char path[512], own_path[512];
    avk_writer_options o = avk_test_writer_options();
    avk_video_stream_options mjpeg = encoding_options(AVK_VIDEO_MJPEG);
    avk_video_stream_options plain = encoding_options(AVK_VIDEO_UNCOMPRESSED);
    avk_video_stream *streams[2] = {NULL, NULL};
    size_t stream_count = 0;
    avk_writer *w = NULL;
    avk_async *done = NULL;
    producer producers[THREADS];
    pthread_t threads[THREADS];
    const char *env = getenv("AVK_TEST_FORK_ROUNDS");
    int rounds = env != NULL ? atoi(env) : DEFAULT_ROUNDS;
    int hung = 0;
    avk_file_report report;

    frame_len = (size_t)WIDTH * HEIGHT * 4u;
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    for (size_t i = 0; i < frame_len; i++) frame[i] = (uint8_t)(i * 7u);
    avk_test_path(path, sizeof path, "fork_busy");

    o.max_queued_bytes = 8u << 20; /* begins also wait for room, under the gate */
    CHECK_OK(avk_writer_create(path, &o, &w));
    if (avk_writer_add_video_stream(w, &mjpeg, &streams[stream_count]) == AVK_OK) stream_count++;
    CHECK_OK(avk_writer_add_video_stream(w, &plain, &streams[stream_count]));
    stream_count++;
    CHECK_OK(avk_video_stream_begin_write_frame(streams[0], AVK_FRAME_KEYFRAME, frame, frame_len,
                                                NULL, NULL, &done));
    CHECK_OK(avk_async_wait(done, AVK_WAIT_INFINITE));

    for (int i = 0; i < THREADS; i++) {
        producers[i].stream = streams[(size_t)i % stream_count];
        CHECK(pthread_create(&threads[i], NULL, produce, &producers[i]) == 0);
    }
    for (int round = 0; round < rounds; round++) {
        int status = 0;
        pid_t child;
        char own_name[48];
        snprintf(own_name, sizeof own_name, "fork_busy_child%d", round);
        avk_test_path(own_path, sizeof own_path, own_name);
        fflush(stdout);
        fflush(stderr);
        child = fork();
        CHECK(child >= 0);
        if (child == 0) in_child(w, streams, stream_count, done, own_path);
        CHECK(waitpid(child, &status, 0) == child);
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) hung++;
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        remove(own_path);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < THREADS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    printf("%d forks while %d threads began frames (%ld begun): %d children hung\n", rounds,
           THREADS, atomic_load(&begun), hung);
    CHECK_EQ(hung, 0);

    CHECK_OK(avk_video_stream_end_write_frame(streams[0], done));
    CHECK_OK(avk_writer_close(w));
    memset(&report, 0, sizeof report);
    report.struct_size = (uint32_t)sizeof report;
    CHECK_OK(avk_inspect_file(path, &report));
    CHECK(report.video_frames >= 1);
    remove(path);
    free(frame);
    return avk_test_summary("test_fork_busy");
}
