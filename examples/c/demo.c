/*
 * demo.c - record a moving test pattern with a 440 Hz tone through avikit's async API.
 *
 *   usage: demo OUT.avi [seconds]        (default 5 seconds)
 *
 * Video: 640x360, 32-bit BGRA, uncompressed bottom-up DIB (AVK_VIDEO_RAW with fourcc 0),
 *        30000/1001 frames per second: colour bars, a bouncing white box, and a stripe that
 *        shows the frame number in binary.
 * Audio: 16-bit stereo PCM at 48 kHz, a 440 Hz sine, one block per video frame.
 *
 * The point of the example is the asynchronous (APM-style) write pattern:
 *
 *   - begin_write_frame / begin_write_block queue a write and return at once; the library's
 *     worker thread writes the data and then runs our callback;
 *   - begin does NOT copy the data (unless AVK_WRITE_COPY is given), so the buffer must stay
 *     untouched until the write completes;
 *   - we keep a small ring of RING_SIZE buffers per stream. Before refilling a buffer we end the
 *     write that last used it: end waits for that write (usually long done), returns its status
 *     and releases the result handle. Up to RING_SIZE writes per stream are in flight at once.
 *
 * Build (from the repository root, after `cargo build --release --lib`):
 *   cc -std=c11 -O2 -Iinclude examples/c/demo.c target/release/libavikit.a -lpthread -ldl -lm -lstdc++ -o demo
 * or against the shared library:
 *   cc -std=c11 -O2 -Iinclude examples/c/demo.c -Ltarget/release -lavikit -lm \
 *      -Wl,-rpath,"$PWD/target/release" -o demo
 */

#include "avikit.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- format of the recording ------------------------------------------------------------ */

enum {
    WIDTH = 640,
    HEIGHT = 360,
    BYTES_PER_PIXEL = 4,           /* BGRA; 640 * 4 is already a multiple of 4, so no row padding */
    FPS_NUM = 30000,
    FPS_DEN = 1001,                /* 29.97 frames per second, kept exact by avikit */
    SAMPLE_RATE = 48000,
    CHANNELS = 2,
    BYTES_PER_SAMPLE = 2,          /* 16-bit signed little-endian */
    TONE_HZ = 440,
    RING_SIZE = 4                  /* buffers (and writes in flight) per stream */
};

/* A DIB row is padded to 4 bytes; with 32-bit pixels the padding is always 0. */
#define STRIDE ((size_t)WIDTH * BYTES_PER_PIXEL)
#define FRAME_BYTES (STRIDE * HEIGHT)
#define BLOCK_ALIGN ((size_t)CHANNELS * BYTES_PER_SAMPLE)
/* 48000 * 1001 / 30000 = 1601.6 samples per frame: blocks hold 1601 or 1602 sample frames. */
#define MAX_SAMPLES_PER_FRAME (((size_t)SAMPLE_RATE * FPS_DEN + FPS_NUM - 1) / FPS_NUM)

/* ---- completion counting ---------------------------------------------------------------- */

/* Passed to every begin call as user_state. The callbacks run on avikit's worker thread while
 * the main thread keeps going, so everything in here that the callback changes is atomic. The
 * struct lives until the writer is closed, which runs every outstanding callback. */
typedef struct stream_tally {
    const char *name;
    atomic_uint_fast64_t completed;   /* callbacks that have run */
    atomic_uint_fast64_t failed;      /* ... of which the operation failed */
} stream_tally;

/* Runs once per write, on the writer's worker thread, after the write completed, in the order
 * the writes were begun. It must be quick and must not wait on the writer (avk_async_wait,
 * end on a pending result, flush and close return AVK_E_WOULD_DEADLOCK here). */
static void on_write_done(avk_async *result, void *user_state)
{
    stream_tally *tally = user_state;
    avk_status op_status = AVK_E_PANIC;

    /* The result is completed here, so its status can be read without waiting. */
    if (avk_async_result(result, &op_status) != AVK_OK || op_status != AVK_OK) {
        atomic_fetch_add(&tally->failed, 1);
    }
    atomic_fetch_add(&tally->completed, 1);
}

/* ---- error reporting -------------------------------------------------------------------- */

/* Prints "demo: WHAT failed: AVK_E_X: detail" and returns 0 when `status` is an error, 1 if OK.
 * The detail comes from avk_last_error_message, which is per thread: call right after. */
static int check(avk_status status, const char *what)
{
    char message[512];

    if (status == AVK_OK) {
        return 1;
    }
    avk_last_error_message(message, sizeof message);
    if (strncmp(message, avk_status_name(status), strlen(avk_status_name(status))) == 0) {
        /* The message already starts with the status name. */
        fprintf(stderr, "demo: %s failed: %s\n", what, message);
    } else {
        fprintf(stderr, "demo: %s failed: %s: %s\n", what, avk_status_name(status), message);
    }
    return 0;
}

/* ---- test signal ------------------------------------------------------------------------ */

/* Writes one pixel; `y` counts from the top, the DIB stores the bottom row first. */
static void put_pixel(uint8_t *frame, int x, int y, uint32_t rgb)
{
    uint8_t *p = frame + (size_t)(HEIGHT - 1 - y) * STRIDE + (size_t)x * BYTES_PER_PIXEL;

    p[0] = (uint8_t)(rgb & 0xFF);         /* blue */
    p[1] = (uint8_t)((rgb >> 8) & 0xFF);  /* green */
    p[2] = (uint8_t)((rgb >> 16) & 0xFF); /* red */
    p[3] = 0xFF;                          /* alpha (ignored by BI_RGB readers; opaque anyway) */
}

static void fill_rect(uint8_t *frame, int x0, int y0, int w, int h, uint32_t rgb)
{
    for (int y = y0; y < y0 + h; y++) {
        for (int x = x0; x < x0 + w; x++) {
            put_pixel(frame, x, y, rgb);
        }
    }
}

/* Draws frame number `n`: 75% colour bars on top, a white box bouncing left and right, and at
 * the bottom the frame number as 16 binary cells (white = 1) plus a progress stripe. */
static void render_frame(uint8_t *frame, uint64_t n)
{
    static const uint32_t bars[7] = {
        0xBFBFBF, 0xBFBF00, 0x00BFBF, 0x00BF00, 0xBF00BF, 0xBF0000, 0x0000BF
    };
    const int bars_h = HEIGHT * 2 / 3;
    const int box = 64;
    const int travel = WIDTH - box;
    const int cell_w = WIDTH / 16;

    for (int i = 0; i < 7; i++) {
        int x0 = WIDTH * i / 7;
        int x1 = WIDTH * (i + 1) / 7;
        fill_rect(frame, x0, 0, x1 - x0, bars_h, bars[i]);
    }
    fill_rect(frame, 0, bars_h, WIDTH, HEIGHT - bars_h, 0x101010);

    /* Bouncing box: position is a triangle wave of the frame number, 8 pixels per frame. */
    {
        int pos = (int)((n * 8) % (uint64_t)(2 * travel));
        int x = pos < travel ? pos : 2 * travel - pos;
        fill_rect(frame, x, (bars_h - box) / 2, box, box, 0xFFFFFF);
    }

    /* Frame counter: bit 15 on the left, bit 0 on the right. */
    for (int bit = 0; bit < 16; bit++) {
        uint32_t on = (uint32_t)(n >> (15 - bit)) & 1u;
        fill_rect(frame, bit * cell_w + 2, bars_h + 12, cell_w - 4, 40, on ? 0xFFFFFF : 0x404040);
    }

    /* Progress stripe: one lap of the width every 300 frames (about 10 s). */
    fill_rect(frame, 0, HEIGHT - 24, (int)((n % 300) * WIDTH / 300) + 1, 12, 0xFF8000);
}

/* Sample frames of audio that belong before video frame `n`: floor(n * rate * den / num).
 * A frame's block is cumulative(n + 1) - cumulative(n) sample frames, so the blocks add up to
 * exactly the video duration with no drift, whatever the rates. */
static uint64_t samples_before_frame(uint64_t n)
{
    return n * SAMPLE_RATE * FPS_DEN / FPS_NUM;
}

/* Fills `count` stereo sample frames of a 440 Hz sine, starting at absolute sample `first`.
 * Written byte by byte as little-endian, so it is right on any host. */
static void render_tone(uint8_t *block, uint64_t first, size_t count)
{
    const double two_pi = 6.283185307179586;
    /* 440 Hz at 48 kHz repeats exactly every 1200 samples; reducing the index keeps the
     * argument of sin() small and precise however long the recording runs. */
    const uint64_t period = SAMPLE_RATE / 40;

    for (size_t i = 0; i < count; i++) {
        uint64_t s = (first + i) % period;
        double v = 0.25 * sin(two_pi * TONE_HZ * (double)s / SAMPLE_RATE);
        int16_t sample = (int16_t)lrint(v * 32767.0);
        uint16_t bits = (uint16_t)sample;
        for (int c = 0; c < CHANNELS; c++) {
            uint8_t *p = block + i * BLOCK_ALIGN + (size_t)c * BYTES_PER_SAMPLE;
            p[0] = (uint8_t)(bits & 0xFF);
            p[1] = (uint8_t)(bits >> 8);
        }
    }
}

/* ---- file size for the summary ---------------------------------------------------------- */

static long long file_size(const char *path)
{
    long long size = -1;
    FILE *f = fopen(path, "rb");

    if (f != NULL) {
        if (fseek(f, 0, SEEK_END) == 0) {
            size = ftell(f);
        }
        fclose(f);
    }
    return size;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *path;
    double seconds = 5.0;
    uint64_t frame_count;

    avk_writer *writer = NULL;
    avk_video_stream *video = NULL;
    avk_audio_stream *audio = NULL;

    /* The rings: buffer i is in use by pending[i] until that result is ended. */
    uint8_t *frames[RING_SIZE] = {0};
    uint8_t *blocks[RING_SIZE] = {0};
    avk_async *video_pending[RING_SIZE] = {0};
    avk_async *audio_pending[RING_SIZE] = {0};

    static stream_tally video_tally = {"video", 0, 0};
    static stream_tally audio_tally = {"audio", 0, 0};

    uint64_t frames_written = 0, blocks_written = 0, samples_written = 0, payload_bytes = 0;
    int ok = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s OUT.avi [seconds]   (default 5)\n", argv[0]);
        return 2;
    }
    path = argv[1];
    if (argc == 3) {
        char *end = NULL;
        seconds = strtod(argv[2], &end);
        if (end == argv[2] || *end != '\0' || !(seconds > 0.0) || seconds > 86400.0) {
            fprintf(stderr, "demo: seconds must be a number in (0, 86400], not '%s'\n", argv[2]);
            return 2;
        }
    }
    frame_count = (uint64_t)(seconds * FPS_NUM / FPS_DEN + 0.5);
    if (frame_count == 0) {
        frame_count = 1;
    }

    for (int i = 0; i < RING_SIZE; i++) {
        frames[i] = malloc(FRAME_BYTES);
        blocks[i] = malloc(MAX_SAMPLES_PER_FRAME * BLOCK_ALIGN);
        if (frames[i] == NULL || blocks[i] == NULL) {
            fprintf(stderr, "demo: out of memory\n");
            goto cleanup;
        }
    }

    /* 1. The writer. Every options struct is initialised with its _init function first, so
     *    fields added in later versions get their defaults. */
    {
        avk_writer_options wo;
        avk_writer_options_init(&wo);
        wo.frame_rate_num = FPS_NUM;
        wo.frame_rate_den = FPS_DEN;
        /* A bound on the queue: the default 0 is unbounded, and with a slow disk the queued
         * frames would grow without limit. Begin waits while 16 MiB are queued. */
        wo.max_queued_bytes = 16u << 20;
        if (!check(avk_writer_create(path, &wo, &writer), "avk_writer_create")) {
            goto cleanup;
        }
    }

    /* 2. The streams, before the first write. fourcc 0 = uncompressed bottom-up BI_RGB DIB:
     *    every frame must be exactly stride * height bytes. */
    {
        avk_video_stream_options vo;
        avk_video_stream_options_init(&vo);
        vo.width = WIDTH;
        vo.height = HEIGHT;
        vo.codec = AVK_VIDEO_RAW;
        vo.fourcc = 0;
        vo.bits_per_pixel = 32;
        vo.name = "test pattern";
        if (!check(avk_writer_add_video_stream(writer, &vo, &video), "avk_writer_add_video_stream")) {
            goto cleanup;
        }
    }
    {
        avk_audio_stream_options ao;
        avk_audio_stream_options_init(&ao);
        ao.codec = AVK_AUDIO_PCM;
        ao.channels = CHANNELS;
        ao.sample_rate = SAMPLE_RATE;
        ao.bits_per_sample = 8 * BYTES_PER_SAMPLE;
        ao.name = "440 Hz tone";
        if (!check(avk_writer_add_audio_stream(writer, &ao, &audio), "avk_writer_add_audio_stream")) {
            goto cleanup;
        }
    }

    /* 3. The frame loop. Video and audio share the writer's single FIFO queue, so the file
     *    gets them interleaved exactly in the order we begin them: frame n, block n, ... */
    for (uint64_t n = 0; n < frame_count; n++) {
        const int slot = (int)(n % RING_SIZE);
        const uint64_t first = samples_before_frame(n);
        const size_t samples = (size_t)(samples_before_frame(n + 1) - first);
        const size_t block_len = samples * BLOCK_ALIGN;

        /* Reclaim the slot's video buffer: end the write that used it RING_SIZE frames ago.
         * End waits if needed, returns that write's status and frees the result handle. */
        if (video_pending[slot] != NULL) {
            avk_status st = avk_video_stream_end_write_frame(video, video_pending[slot]);
            video_pending[slot] = NULL;
            if (!check(st, "avk_video_stream_end_write_frame")) {
                goto cleanup;
            }
        }
        render_frame(frames[slot], n);
        if (!check(avk_video_stream_begin_write_frame(video, AVK_FRAME_KEYFRAME, frames[slot],
                                                      FRAME_BYTES, on_write_done, &video_tally,
                                                      &video_pending[slot]),
                   "avk_video_stream_begin_write_frame")) {
            goto cleanup;
        }
        frames_written++;
        payload_bytes += FRAME_BYTES;

        /* Same for the audio block of this frame. */
        if (audio_pending[slot] != NULL) {
            avk_status st = avk_audio_stream_end_write_block(audio, audio_pending[slot]);
            audio_pending[slot] = NULL;
            if (!check(st, "avk_audio_stream_end_write_block")) {
                goto cleanup;
            }
        }
        render_tone(blocks[slot], first, samples);
        if (!check(avk_audio_stream_begin_write_block(audio, 0, blocks[slot], block_len,
                                                      on_write_done, &audio_tally,
                                                      &audio_pending[slot]),
                   "avk_audio_stream_begin_write_block")) {
            goto cleanup;
        }
        blocks_written++;
        samples_written += samples;
        payload_bytes += block_len;
    }

    /* 4. End the writes still in flight, to learn their status. (Close would release them
     *    too, but then their outcome would be lost.) */
    for (int i = 0; i < RING_SIZE; i++) {
        if (video_pending[i] != NULL) {
            avk_status st = avk_video_stream_end_write_frame(video, video_pending[i]);
            video_pending[i] = NULL;
            if (!check(st, "avk_video_stream_end_write_frame")) {
                goto cleanup;
            }
        }
        if (audio_pending[i] != NULL) {
            avk_status st = avk_audio_stream_end_write_block(audio, audio_pending[i]);
            audio_pending[i] = NULL;
            if (!check(st, "avk_audio_stream_end_write_block")) {
                goto cleanup;
            }
        }
    }

    /* 5. Close: drains the queue (every callback has run when it returns), writes the headers
     *    and indexes, joins the worker and releases the writer and its streams. */
    {
        avk_status st = avk_writer_close(writer);
        writer = NULL; /* released whatever the status */
        if (!check(st, "avk_writer_close")) {
            goto cleanup;
        }
    }

    /* Every begin that returned AVK_OK must have produced exactly one callback. */
    {
        uint64_t vdone = atomic_load(&video_tally.completed);
        uint64_t adone = atomic_load(&audio_tally.completed);
        uint64_t failed = atomic_load(&video_tally.failed) + atomic_load(&audio_tally.failed);

        if (vdone != frames_written || adone != blocks_written || failed != 0) {
            fprintf(stderr,
                    "demo: callbacks do not add up: %s %llu/%llu, %s %llu/%llu, %llu failed\n",
                    video_tally.name, (unsigned long long)vdone,
                    (unsigned long long)frames_written, audio_tally.name,
                    (unsigned long long)adone, (unsigned long long)blocks_written,
                    (unsigned long long)failed);
            goto cleanup;
        }
        printf("demo: frames=%llu audio_blocks=%llu audio_samples=%llu callbacks=%llu "
               "payload_bytes=%llu file_bytes=%lld avikit=%s file=%s\n",
               (unsigned long long)frames_written, (unsigned long long)blocks_written,
               (unsigned long long)samples_written, (unsigned long long)(vdone + adone),
               (unsigned long long)payload_bytes, file_size(path), avk_version_string(), path);
    }
    ok = 1;

cleanup:
    /* On an error path the writer may still have writes in flight that read our buffers:
     * close drains them before the buffers are freed. Its status is secondary here. */
    if (writer != NULL) {
        (void)avk_writer_close(writer);
    }
    for (int i = 0; i < RING_SIZE; i++) {
        free(frames[i]);
        free(blocks[i]);
    }
    return ok ? 0 : 1;
}
