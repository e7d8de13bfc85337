/*
 * A program outside the avikit build, built against an installed avikit by run_consumer.cmake
 * (through find_package(avikit) or pkg-config). Usage:
 *
 *   consumer <out.avi> <libdir|static> [jpeg]
 *
 * Checks that the avikit functions come from <libdir>/libavikit.so.* (or, for "static", from the
 * program itself), writes a small AVI (raw DIB video, PCM audio, MJPEG video when built in;
 * synchronous and begin/end writes) and checks every status and the file's RIFF header.
 * With AVK_CONSUMER_JPEG (and "jpeg"), the program also encodes a JPEG through the system
 * libjpeg it was linked with: the jpeg_* functions must all come from that libjpeg, not from
 * avikit's bundled copy, and both encoders must work in the same process.
 * Exit status 0 on success; 1 with a message on the first failed check.
 */
#define _GNU_SOURCE /* dladdr, realpath */
#include <avikit.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef AVK_CONSUMER_JPEG
#include <jpeglib.h>
#endif

static void main_for_dladdr(void) {}

static void fail(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "consumer: FAILED: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    avk_last_error_message(msg, sizeof msg);
    fprintf(stderr, "\n    avikit last error on this thread: \"%s\"\n", msg);
    exit(1);
}

#define CHECK_OK(call)                                                                   \
    do {                                                                                 \
        avk_status check_status_ = (call);                                               \
        if (check_status_ != AVK_OK) {                                                   \
            fail("%s:%d: %s returned %s", __FILE__, __LINE__, #call,                     \
                 avk_status_name(check_status_));                                        \
        }                                                                                \
    } while (0)

/* A function's address as a data pointer for dladdr (ISO C has no such conversion). */
typedef void (*any_fn)(void);
static const void *fn_addr(any_fn fn) {
    union {
        any_fn fn;
        const void *p;
    } u;
    u.fn = fn;
    return u.p;
}
#define FN_ADDR(f) fn_addr((any_fn)(f))

/* The object (the program or a shared library) that defines the function at `addr`. */
static Dl_info object_of(const void *addr, const char *what) {
    Dl_info info;
    if (dladdr(addr, &info) == 0 || info.dli_fname == NULL) {
        fail("dladdr(%s) found no object", what);
    }
    return info;
}

static int in_program(const Dl_info *info) {
    Dl_info self = object_of(FN_ADDR(main_for_dladdr), "main");
    return info->dli_fbase == self.dli_fbase;
}

static void check_library_origin(const char *expected) {
    Dl_info info = object_of(FN_ADDR(avk_writer_create), "avk_writer_create");
    char lib[PATH_MAX], want[PATH_MAX];
    if (strcmp(expected, "static") == 0) {
        if (!in_program(&info)) {
            fail("avk_writer_create comes from %s, expected the program itself (static)",
                 info.dli_fname);
        }
        snprintf(lib, sizeof lib, "the program itself");
    } else {
        size_t n;
        if (in_program(&info) || realpath(info.dli_fname, lib) == NULL) {
            fail("avk_writer_create comes from %s, not from a shared libavikit",
                 info.dli_fname);
        }
        if (realpath(expected, want) == NULL) {
            fail("libdir %s does not exist", expected);
        }
        n = strlen(want);
        if (strncmp(lib, want, n) != 0 || lib[n] != '/' ||
            strncmp(lib + n + 1, "libavikit.so.", 13) != 0) {
            fail("avk_writer_create comes from %s, expected %s/libavikit.so.*", lib, want);
        }
    }
    printf("consumer: avikit %s (0x%06x) from %s\n", avk_version_string(),
           (unsigned)avk_version(), lib);
}

static int callbacks_run;

static void on_written(avk_async *result, void *user_state) {
    avk_status status = AVK_E_INVALID_STATE;
    if (avk_async_result(result, &status) == AVK_OK && status == AVK_OK &&
        user_state == (void *)&callbacks_run) {
        __atomic_fetch_add(&callbacks_run, 1, __ATOMIC_SEQ_CST);
    }
}

static void write_avi(const char *path) {
    enum { W = 32, H = 16, FRAMES = 6, SAMPLES = 1470 };
    static uint8_t dib[W * H * 3];  /* bottom-up BGR24 rows: 96 bytes, a multiple of 4 */
    static uint8_t bgra[W * H * 4]; /* input of the MJPEG stream */
    static uint8_t pcm[SAMPLES * 4];
    avk_writer_options wo;
    avk_video_stream_options vo, jo;
    avk_audio_stream_options ao;
    avk_writer *w;
    avk_video_stream *raw, *mjpeg = NULL;
    avk_audio_stream *audio;
    avk_status status;
    unsigned char head[12];
    FILE *f;
    long size;
    int i;

    for (i = 0; i < (int)sizeof bgra; i++) {
        bgra[i] = (uint8_t)(i * 7);
    }
    avk_writer_options_init(&wo);
    wo.frame_rate_num = 30;
    wo.frame_rate_den = 1;
    CHECK_OK(avk_writer_create(path, &wo, &w));

    avk_video_stream_options_init(&vo);
    vo.codec = AVK_VIDEO_RAW;
    vo.width = W;
    vo.height = H;
    vo.bits_per_pixel = 24;
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &raw));

    avk_audio_stream_options_init(&ao);
    ao.codec = AVK_AUDIO_PCM;
    ao.channels = 2;
    ao.sample_rate = 44100;
    ao.bits_per_sample = 16;
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &audio));

    avk_video_stream_options_init(&jo);
    jo.codec = AVK_VIDEO_MJPEG;
    jo.width = W;
    jo.height = H;
    jo.input_format = AVK_PIXEL_BGRA32;
    status = avk_writer_add_video_stream(w, &jo, &mjpeg);
    if (status == AVK_E_UNSUPPORTED) {
        printf("consumer: MJPEG is not built into this avikit; skipping that stream\n");
        mjpeg = NULL;
    } else {
        CHECK_OK(status);
    }

    for (i = 0; i < FRAMES; i++) {
        avk_async *pending = NULL;
        memset(dib, i * 40, sizeof dib);
        memset(pcm, i, sizeof pcm);
        if (i % 2 == 0) {
            CHECK_OK(avk_video_stream_write_frame(raw, AVK_FRAME_KEYFRAME, dib, sizeof dib));
        } else {
            CHECK_OK(avk_video_stream_begin_write_frame(raw, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY,
                                                        dib, sizeof dib, on_written,
                                                        &callbacks_run, &pending));
            CHECK_OK(avk_video_stream_end_write_frame(raw, pending));
        }
        CHECK_OK(avk_audio_stream_write_block(audio, 0, pcm, sizeof pcm));
        if (mjpeg != NULL) {
            CHECK_OK(avk_video_stream_write_frame(mjpeg, 0, bgra, sizeof bgra));
        }
    }
    CHECK_OK(avk_writer_close(w));
    if (__atomic_load_n(&callbacks_run, __ATOMIC_SEQ_CST) != FRAMES / 2) {
        fail("%d callbacks ran, expected %d", callbacks_run, FRAMES / 2);
    }

    f = fopen(path, "rb");
    if (f == NULL || fread(head, 1, sizeof head, f) != sizeof head) {
        fail("cannot read %s", path);
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fclose(f);
    if (memcmp(head, "RIFF", 4) != 0 || memcmp(head + 8, "AVI ", 4) != 0) {
        fail("%s does not start with RIFF....AVI ", path);
    }
    if (size < (long)(FRAMES * sizeof dib)) {
        fail("%s has only %ld bytes", path, size);
    }
    printf("consumer: wrote %s (%ld bytes, %d frames%s)\n", path, size, FRAMES,
           mjpeg != NULL ? ", MJPEG stream too" : "");
}

#ifdef AVK_CONSUMER_JPEG
/* Encodes a 16x16 gray JPEG through the libjpeg API the program was linked with. */
static void system_jpeg(void) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *out = NULL;
    unsigned long out_len = 0;
    unsigned char row[16];
    JSAMPROW rows[1];
    Dl_info create, other;
    const void *fns[4];
    const char *names[4] = {"jpeg_set_defaults", "jpeg_start_compress", "jpeg_write_scanlines",
                            "jpeg_finish_compress"};
    int i;

    create = object_of(FN_ADDR(jpeg_CreateCompress), "jpeg_CreateCompress");
    if (in_program(&create) || strstr(create.dli_fname, "libjpeg") == NULL) {
        fail("jpeg_CreateCompress comes from %s, not from the system libjpeg", create.dli_fname);
    }
    fns[0] = FN_ADDR(jpeg_set_defaults);
    fns[1] = FN_ADDR(jpeg_start_compress);
    fns[2] = FN_ADDR(jpeg_write_scanlines);
    fns[3] = FN_ADDR(jpeg_finish_compress);
    for (i = 0; i < 4; i++) {
        other = object_of(fns[i], names[i]);
        if (other.dli_fbase != create.dli_fbase) {
            fail("%s comes from %s but jpeg_CreateCompress from %s", names[i], other.dli_fname,
                 create.dli_fname);
        }
    }

    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, &out_len);
    c.image_width = 16;
    c.image_height = 16;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 80, TRUE);
    jpeg_start_compress(&c, TRUE);
    for (i = 0; i < 16; i++) {
        memset(row, i * 16, sizeof row);
        rows[0] = row;
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    if (out == NULL || out_len < 4 || out[0] != 0xFF || out[1] != 0xD8) {
        fail("the system libjpeg produced no JPEG");
    }
    printf("consumer: system libjpeg (%s, JPEG_LIB_VERSION %d) encoded %lu bytes\n",
           create.dli_fname, JPEG_LIB_VERSION, out_len);
    free(out);
}
#endif

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <out.avi> <libdir|static> [jpeg]\n", argv[0]);
        return 2;
    }
    if ((avk_version() >> 16) != AVK_VERSION_MAJOR ||
        ((avk_version() >> 8) & 0xFF) < AVK_VERSION_MINOR) {
        fail("library version 0x%06x does not serve header %d.%d", (unsigned)avk_version(),
             AVK_VERSION_MAJOR, AVK_VERSION_MINOR);
    }
    check_library_origin(argv[2]);
    if (argc > 3 && strcmp(argv[3], "jpeg") == 0) {
#ifdef AVK_CONSUMER_JPEG
        system_jpeg();
        write_avi(argv[1]);
        system_jpeg(); /* once more after avikit's encoder threads ran */
#else
        fail("built without AVK_CONSUMER_JPEG");
#endif
    } else {
        write_avi(argv[1]);
    }
    remove(argv[1]);
    printf("consumer: ok\n");
    return 0;
}
