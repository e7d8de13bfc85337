/*
 * capture_timing.c - irregular capture into a constant-rate AVI with avikit's timed writes.
 *
 *   usage: capture_timing OUT.avi [seconds]        (default 6 seconds of real time)
 *
 * Capture sources do not keep the file's beat. This program simulates two that do not:
 *   video: a moving pattern, a picture every 20 to 60 ms (random), with three stalls of half
 *          a second, into a 30 fps stream (320x180 uncompressed 32-bit DIB);
 *   audio: a 440 Hz tone (48 kHz stereo 16-bit) from a "device" that completes a 10 ms block
 *          every 10 ms and hands it over 5 ms later, give or take 5 ms, and now and then holds
 *          blocks back and hands over a burst.
 * Every write is timed with the monotonic clock (CLOCK_MONOTONIC; QueryPerformanceCounter on
 * Windows). The library puts each frame into the slot of its time: gaps become empty frames
 * (players show the previous picture), a frame whose slot is already taken is dropped
 * (AVK_E_DROPPED). Audio blocks are placed by time too: jitter under 20 ms is ignored, so the
 * tone plays on without clicks (a real gap would get exact silence).
 * Writes pass AVK_WRITE_NOWAIT: with max_queued_bytes reached, begin returns AVK_E_QUEUE_FULL at
 * once and the capture loop goes on; the next timed frame fills the hole.
 *
 * Each picture carries, in its top half, the number of its slot (its frame number in the file)
 * as 8x4 black or white cells: 20 bits of number and 12 of checksum, the scheme of
 * tests/tools/frame_code.py. So a checker can see that every frame sits where its time says.
 *
 * It prints one line:
 *   capture_timing: wall_ms=W frames=F empty_frames=E dropped_frames=D audio_samples=S ...
 * W is the recording's length on the clock: F + E frames at 30 fps and S / 48000 seconds of
 * audio both last that long (to within half a frame period).
 *
 * Build (from the repository root, after `cargo build --release --lib`):
 *   cc -std=c11 -O2 -Iinclude examples/c/capture_timing.c target/release/libavikit.a \
 *      -lpthread -ldl -lm -lstdc++ -o capture_timing
 */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* clock_gettime, clock_nanosleep */
#endif

#include "avikit.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#include <time.h>
#endif

enum {
    WIDTH = 320,
    HEIGHT = 180,
    FPS = 30,
    SAMPLE_RATE = 48000,
    CHANNELS = 2,
    BLOCK_SAMPLES = SAMPLE_RATE / 100, /* 10 ms */
    CODE_COLUMNS = 8,
    CODE_ROWS = 4,
    CODE_CHECK_BITS = 12
};

#define STRIDE ((size_t)WIDTH * 4)
#define FRAME_BYTES (STRIDE * HEIGHT)
#define BLOCK_ALIGN ((size_t)CHANNELS * 2)
#define MS 1000000LL
#define NS_PER_S 1000000000LL
#define DEVICE_LATENCY (5 * MS) /* how long after a block ends the device hands it over */

/* ---- the monotonic clock ------------------------------------------------------------------ */

#ifdef _WIN32
static int64_t now_ns(void)
{
    static LARGE_INTEGER freq;
    LARGE_INTEGER count;

    if (freq.QuadPart == 0) {
        QueryPerformanceFrequency(&freq);
    }
    QueryPerformanceCounter(&count);
    return (int64_t)(count.QuadPart / freq.QuadPart) * NS_PER_S +
           (int64_t)(count.QuadPart % freq.QuadPart) * NS_PER_S / freq.QuadPart;
}

static void sleep_until(int64_t t)
{
    int64_t left = t - now_ns();

    if (left > 0) {
        Sleep((DWORD)((left + MS - 1) / MS));
    }
}
#else
static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(t / NS_PER_S);
    ts.tv_nsec = (long)(t % NS_PER_S);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}
#endif

/* ---- randomness: the same schedule on every run ----------------------------------------- */

/* splitmix64: a well-mixed 64-bit hash of `x`. */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15u;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
    return x ^ (x >> 31);
}

/* A number in [lo, hi] drawn from `x` and `salt`. */
static int64_t pick(uint64_t x, uint64_t salt, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(mix(x * 4 + salt) % (uint64_t)(hi - lo + 1));
}

/* ---- pictures ---------------------------------------------------------------------------- */

/* The slot a frame captured `elapsed` ns after time zero goes into: the documented rule
   round(elapsed * fps), halves up. */
static int64_t slot_of(int64_t elapsed)
{
    return (2 * elapsed * FPS + NS_PER_S) / (2 * NS_PER_S);
}

static void fill_rect(uint8_t *frame, int x0, int y0, int w, int h, uint32_t rgb)
{
    for (int y = y0; y < y0 + h; y++) {
        uint8_t *p = frame + (size_t)(HEIGHT - 1 - y) * STRIDE + (size_t)x0 * 4; /* bottom-up */
        for (int x = 0; x < w; x++, p += 4) {
            p[0] = (uint8_t)rgb;
            p[1] = (uint8_t)(rgb >> 8);
            p[2] = (uint8_t)(rgb >> 16);
            p[3] = 0xFF;
        }
    }
}

/* Top half: the code of slot `n`, cell c white when bit 31 - c of the word is set. Bottom half:
   a box that crosses the picture every two seconds of capture time, so playback shows whether
   frames sit at their times. */
static void render_frame(uint8_t *frame, int64_t n, int64_t elapsed)
{
    const uint32_t number = (uint32_t)n;
    const uint32_t check = (uint32_t)(number * 0x9E3779B1u + 0x7F4A7C15u) >> (32 - CODE_CHECK_BITS);
    const uint32_t word = number << CODE_CHECK_BITS | check;
    const int code_h = HEIGHT / 2, box = 40, travel = WIDTH - box;
    const int64_t phase = (elapsed / MS) % 4000; /* ms into a 4 s round trip */
    const int x = (int)(phase < 2000 ? phase * travel / 2000 : (4000 - phase) * travel / 2000);

    for (int row = 0; row < CODE_ROWS; row++) {
        for (int col = 0; col < CODE_COLUMNS; col++) {
            /* The cell edges as frame_code.py computes them: row * height / ROWS. */
            int x0 = col * WIDTH / CODE_COLUMNS, x1 = (col + 1) * WIDTH / CODE_COLUMNS;
            int y0 = row * code_h / CODE_ROWS, y1 = (row + 1) * code_h / CODE_ROWS;
            int bit = 31 - (row * CODE_COLUMNS + col);
            fill_rect(frame, x0, y0, x1 - x0, y1 - y0, (word >> bit) & 1u ? 0xFFFFFF : 0x000000);
        }
    }
    fill_rect(frame, 0, code_h, WIDTH, HEIGHT - code_h, 0x203040);
    fill_rect(frame, x, code_h + 20, box, box, 0xFFC000);
}

/* `count` sample frames of a 440 Hz sine starting at device sample `first`. */
static void render_tone(uint8_t *block, int64_t first, int count)
{
    for (int i = 0; i < count; i++) {
        /* 440 Hz at 48 kHz repeats every 1200 samples: a small, exact argument for sin(). */
        double phase = (double)((first + i) % 1200) / SAMPLE_RATE;
        double v = 0.25 * sin(6.283185307179586 * 440.0 * phase);
        uint16_t bits = (uint16_t)(int16_t)lrint(v * 32767.0);
        for (int c = 0; c < CHANNELS; c++) {
            block[(size_t)i * BLOCK_ALIGN + (size_t)c * 2] = (uint8_t)bits;
            block[(size_t)i * BLOCK_ALIGN + (size_t)c * 2 + 1] = (uint8_t)(bits >> 8);
        }
    }
}

/* ---- the audio device ------------------------------------------------------------------ */

/* When the device hands over block `j`, which ends at (j + 1) * 10 ms: DEVICE_LATENCY later,
   give or take 5 ms. */
static int64_t completed_at(int64_t t0, int64_t j)
{
    return t0 + (j + 1) * 10 * MS + DEVICE_LATENCY + pick((uint64_t)j, 1, -5, 5) * MS;
}

/* When the next delivery comes: at block `j`'s completion, or one block in 25 held back 30 to
   80 ms, which turns the next delivery into a burst. */
static int64_t delivery_at(int64_t t0, int64_t j)
{
    int held = pick((uint64_t)j, 2, 0, 24) == 0;
    return completed_at(t0, j) + (held ? pick((uint64_t)j, 3, 30, 80) * MS : 0);
}

/* ---- writing ---------------------------------------------------------------------------- */

typedef struct tally {
    atomic_uint_fast64_t completed, failed;
} tally;

/* Runs on the writer's worker after each write, in begin order. */
static void on_write_done(avk_async *result, void *user_state)
{
    tally *t = user_state;
    avk_status status = AVK_E_PANIC;

    if (avk_async_result(result, &status) != AVK_OK || status != AVK_OK) {
        atomic_fetch_add(&t->failed, 1);
    }
    atomic_fetch_add(&t->completed, 1);
}

static int fail(const char *what, avk_status status)
{
    char message[512];

    avk_last_error_message(message, sizeof message);
    fprintf(stderr, "capture_timing: %s failed: %s: %s\n", what, avk_status_name(status), message);
    return 0;
}

/* A timed write's outcome: accepted (1), refused as the loop expects (0: dropped or queue
   full, counted in the stream's stats), or failed (-1, reported). */
static int outcome(avk_status status, const char *what)
{
    if (status == AVK_OK) {
        return 1;
    }
    if (status == AVK_E_DROPPED || status == AVK_E_QUEUE_FULL) {
        return 0;
    }
    return fail(what, status) - 1;
}

typedef struct recorder {
    avk_writer *writer;
    avk_video_stream *video;
    avk_audio_stream *audio;
    int64_t t0;
    uint8_t *frame, *block;
    int64_t blocks_delivered; /* device blocks handed to the library */
    uint64_t frames, writes;  /* frames accepted; writes accepted (frames and blocks) */
    tally done;
} recorder;

static int write_frame(recorder *r, int64_t t)
{
    int ok;

    render_frame(r->frame, slot_of(t - r->t0), t - r->t0);
    ok = outcome(avk_video_stream_begin_write_frame_at(
                     r->video, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY | AVK_WRITE_NOWAIT, t, r->frame,
                     FRAME_BYTES, on_write_done, &r->done, NULL),
                 "avk_video_stream_begin_write_frame_at");
    r->frames += ok > 0;
    r->writes += ok > 0;
    return ok >= 0;
}

/* Hands `count` samples from device sample `first` to the library, stamped with their capture
   time: `end`, when the last sample of the delivery was recorded, minus how much audio came
   with and after them. A burst gets each block's own time, not the time it arrived. */
static int write_audio(recorder *r, int64_t first, int count, int64_t end, int64_t after)
{
    int64_t stamp = end - (int64_t)(count + after) * NS_PER_S / SAMPLE_RATE;
    int ok;

    render_tone(r->block, first, count);
    ok = outcome(avk_audio_stream_begin_write_block_at(r->audio, AVK_WRITE_COPY | AVK_WRITE_NOWAIT,
                                                       stamp, r->block, (size_t)count * BLOCK_ALIGN,
                                                       on_write_done, &r->done, NULL),
                 "avk_audio_stream_begin_write_block_at");
    r->writes += ok > 0;
    return ok >= 0;
}

/* Delivers every block the device completed by `now`. */
static int deliver_audio(recorder *r, int64_t now)
{
    int64_t last = r->blocks_delivered;

    while (completed_at(r->t0, last) <= now) {
        last++;
    }
    for (int64_t j = r->blocks_delivered; j < last; j++) {
        if (!write_audio(r, j * BLOCK_SAMPLES, BLOCK_SAMPLES, now - DEVICE_LATENCY,
                         (last - 1 - j) * BLOCK_SAMPLES)) {
            return 0;
        }
    }
    r->blocks_delivered = last;
    return 1;
}

/* At the stop: the device's remaining samples up to `stop` (drained, so their time is known),
   full blocks and a partial one, and empty frames up to the stop's slot, so both streams end
   where the recording did. */
static int finish(recorder *r, int64_t stop)
{
    const int64_t end = (2 * (stop - r->t0) * SAMPLE_RATE + NS_PER_S) / (2 * NS_PER_S);
    const int64_t slots = slot_of(stop - r->t0);
    avk_stream_stats stats;
    avk_status status;

    for (int64_t first = r->blocks_delivered * BLOCK_SAMPLES; first < end; first += BLOCK_SAMPLES) {
        int count = (int)(end - first < BLOCK_SAMPLES ? end - first : BLOCK_SAMPLES);
        if (!write_audio(r, first, count, stop, end - first - count)) {
            return 0;
        }
    }
    stats.struct_size = sizeof stats;
    if ((status = avk_video_stream_get_stats(r->video, &stats)) != AVK_OK) {
        return fail("avk_video_stream_get_stats", status);
    }
    /* The last frames were taken a period before the end, so their slots lie before this. */
    if (slots > (int64_t)stats.chunks) {
        status = avk_video_stream_skip_frames(r->video, (uint32_t)(slots - (int64_t)stats.chunks));
        if (status != AVK_OK) {
            return fail("avk_video_stream_skip_frames", status);
        }
    }
    return 1;
}

/* Records for `duration` ns of the clock; returns the stop time, or 0 on failure. */
static int64_t record(recorder *r, int64_t duration)
{
    const int64_t period = NS_PER_S / FPS;
    int64_t next_frame, next_audio, now;
    uint64_t captures = 1;
    int stalls = 0, video_on = 1;

    r->t0 = now_ns(); /* the first frame's time: time zero of the file */
    if (!write_frame(r, r->t0)) {
        return 0;
    }
    next_frame = r->t0 + pick(0, 0, 20, 60) * MS;
    next_audio = delivery_at(r->t0, 0);
    for (;;) {
        int64_t wake;

        now = now_ns();
        if (now - r->t0 >= duration) {
            break;
        }
        if (video_on && now >= next_frame) {
            /* A frame within a period of the end would take the slot that closes the video. */
            video_on = now - r->t0 < duration - period;
            if (video_on && !write_frame(r, now)) {
                return 0;
            }
            next_frame = now + pick(captures++, 0, 20, 60) * MS;
            if (stalls < 3 && next_frame - r->t0 >= (stalls + 1) * duration / 4) {
                next_frame += 500 * MS; /* the source stalls for half a second */
                stalls++;
            }
        }
        if (now >= next_audio) {
            if (!deliver_audio(r, now)) {
                return 0;
            }
            next_audio = delivery_at(r->t0, r->blocks_delivered);
        }
        wake = r->t0 + duration;
        if (video_on && next_frame < wake) {
            wake = next_frame;
        }
        if (next_audio < wake) {
            wake = next_audio;
        }
        sleep_until(wake);
    }
    return finish(r, now) ? now : 0;
}

int main(int argc, char **argv)
{
    const char *path;
    double seconds = 6.0;
    recorder r;
    int64_t stop;
    avk_stream_stats vs, as;
    avk_status status;
    int ok = 0;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s OUT.avi [seconds]   (default 6)\n", argv[0]);
        return 2;
    }
    path = argv[1];
    if (argc == 3) {
        char *end = NULL;
        seconds = strtod(argv[2], &end);
        if (end == argv[2] || *end != '\0' || !(seconds >= 1.0) || seconds > 3600.0) {
            fprintf(stderr, "capture_timing: seconds must be a number in [1, 3600], not '%s'\n",
                    argv[2]);
            return 2;
        }
    }
    memset(&r, 0, sizeof r);
    atomic_init(&r.done.completed, 0);
    atomic_init(&r.done.failed, 0);
    r.frame = malloc(FRAME_BYTES);
    r.block = malloc(BLOCK_SAMPLES * BLOCK_ALIGN);
    if (r.frame == NULL || r.block == NULL) {
        fprintf(stderr, "capture_timing: out of memory\n");
        goto cleanup;
    }
    {
        avk_writer_options wo;
        avk_video_stream_options vo;
        avk_audio_stream_options ao;

        avk_writer_options_init(&wo);
        wo.frame_rate_num = FPS;
        wo.frame_rate_den = 1;
        wo.max_queued_bytes = 8u << 20; /* a bound, so that NOWAIT has something to refuse */
        if ((status = avk_writer_create(path, &wo, &r.writer)) != AVK_OK) {
            fail("avk_writer_create", status);
            goto cleanup;
        }
        avk_video_stream_options_init(&vo);
        vo.width = WIDTH;
        vo.height = HEIGHT;
        vo.bits_per_pixel = 32; /* RAW with fourcc 0: uncompressed bottom-up DIB */
        vo.name = "irregular capture";
        avk_audio_stream_options_init(&ao);
        ao.codec = AVK_AUDIO_PCM;
        ao.channels = CHANNELS;
        ao.sample_rate = SAMPLE_RATE;
        ao.bits_per_sample = 16;
        ao.name = "440 Hz tone, jittery delivery";
        if ((status = avk_writer_add_video_stream(r.writer, &vo, &r.video)) != AVK_OK ||
            (status = avk_writer_add_audio_stream(r.writer, &ao, &r.audio)) != AVK_OK) {
            fail("adding the streams", status);
            goto cleanup;
        }
    }

    stop = record(&r, (int64_t)(seconds * NS_PER_S));
    if (stop == 0) {
        goto cleanup;
    }
    vs.struct_size = sizeof vs;
    as.struct_size = sizeof as;
    if ((status = avk_video_stream_get_stats(r.video, &vs)) != AVK_OK ||
        (status = avk_audio_stream_get_stats(r.audio, &as)) != AVK_OK) {
        fail("reading the stats", status);
        goto cleanup;
    }
    status = avk_writer_close(r.writer);
    r.writer = NULL;
    if (status != AVK_OK) {
        fail("avk_writer_close", status);
        goto cleanup;
    }
    /* Close ran every callback: one per accepted write, none failed. */
    if (atomic_load(&r.done.completed) != r.writes || atomic_load(&r.done.failed) != 0) {
        fprintf(stderr, "capture_timing: %llu writes, %llu callbacks, %llu failed\n",
                (unsigned long long)r.writes, (unsigned long long)atomic_load(&r.done.completed),
                (unsigned long long)atomic_load(&r.done.failed));
        goto cleanup;
    }
    printf("capture_timing: wall_ms=%.3f frames=%llu empty_frames=%llu dropped_frames=%llu "
           "audio_samples=%llu audio_silence=%llu audio_trimmed=%llu audio_dropped=%llu "
           "avikit=%s file=%s\n",
           (double)(stop - r.t0) / MS, (unsigned long long)r.frames,
           (unsigned long long)vs.empty_frames, (unsigned long long)vs.dropped,
           (unsigned long long)as.samples, (unsigned long long)as.silence_samples,
           (unsigned long long)as.trimmed_samples, (unsigned long long)as.dropped,
           avk_version_string(), path);
    ok = 1;

cleanup:
    if (r.writer != NULL) {
        (void)avk_writer_close(r.writer);
    }
    free(r.frame);
    free(r.block);
    return ok ? 0 : 1;
}
