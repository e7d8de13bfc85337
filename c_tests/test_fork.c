/*
 * A writer used in a child process after fork() (issue 14, item 4). The child has no worker
 * thread: every call on the parent's writer, its streams and its pending results answers
 * AVK_E_INVALID_STATE at once instead of hanging. The parent's writer is unaffected: it writes on,
 * its pending operation completes, and its file is finalized.
 */
#include "avk_test.h"

#include <signal.h>
#include <sys/wait.h>

#define WIDTH 16u
#define HEIGHT 16u
#define BPP 32u
#define CHILD_SECONDS 10u

static size_t frame_len;
static uint8_t *frame;

/* The child's calls; each must answer at once. */
static void in_child(avk_writer *w, avk_video_stream *v, avk_writer *gated, avk_async *pending) {
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_video_stream *extra = NULL;
    avk_async *r = NULL;
    alarm(CHILD_SECONDS); /* a hang ends the child by SIGALRM, which the parent sees */
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frame, frame_len), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_video_stream_begin_write_frame(v, 0, frame, frame_len, NULL, NULL, &r),
                 AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_flush(w, 0), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_begin_flush(w, 0, NULL, NULL, &r), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_add_video_stream(gated, &vo, &extra), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_async_wait(pending, AVK_WAIT_INFINITE), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_async_wait(pending, 100), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_STATE);
    CHECK_STATUS(avk_writer_close(gated), AVK_E_INVALID_STATE);
    fflush(stdout);
    /* Success ends in exec: the child still holds the parent's writers, whose memory is owned by
       worker threads it does not have, which a leak checker at exit would report as lost. */
    execl("/bin/true", "true", (char *)NULL);
    _exit(4);
}

int main(void) {
    char path[512];
    avk_writer_options o = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_writer *w = NULL, *gated = NULL;
    avk_video_stream *v = NULL, *gv = NULL;
    avk_async *pending = NULL;
    avk_test_gate gate;
    avk_io io;
    avk_file_report report;
    pid_t child;
    int status = 0;

    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frame = (uint8_t *)malloc(frame_len);
    CHECK(frame != NULL);
    avk_test_fill_dib(frame, WIDTH, HEIGHT, BPP, 1);
    avk_test_path(path, sizeof path, "fork");

    CHECK_OK(avk_writer_create(path, &o, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));

    /* A second writer whose worker is held in write_at: its operation is pending at fork. */
    avk_test_gate_init(&gate);
    avk_test_gate_set(&gate, 1);
    io = avk_test_gate_io(&gate);
    CHECK_OK(avk_writer_create_io(&io, &o, &gated));
    CHECK_OK(avk_writer_add_video_stream(gated, &vo, &gv));
    CHECK_OK(avk_video_stream_begin_write_frame(gv, 0, frame, frame_len, NULL, NULL, &pending));
    avk_test_gate_wait_blocked(&gate);

    fflush(stdout);
    child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        in_child(w, v, gated, pending);
    }
    CHECK(waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "the child was killed by signal %d (SIGALRM %d: a call hung)\n",
                WTERMSIG(status), SIGALRM);
    }
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);

    /* The parent's writers carry on. */
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    avk_test_gate_set(&gate, 0);
    CHECK_OK(avk_video_stream_end_write_frame(gv, pending));
    CHECK_OK(avk_writer_close(gated));
    CHECK_OK(avk_writer_close(w));
    memset(&report, 0, sizeof report);
    report.struct_size = (uint32_t)sizeof report;
    CHECK_OK(avk_inspect_file(path, &report));
    CHECK_EQ(report.video_frames, 2);
    remove(path);
    avk_test_gate_destroy(&gate);
    free(frame);
    return avk_test_summary("test_fork");
}
