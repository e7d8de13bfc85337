/* avikit.hpp and camera input: avikit::pixel_format carries the AVK_PIXEL_* values,
   avikit::frame_size gives the exact frame length the library demands (checked against the
   library itself: one byte less or more is refused, naming the length it wants), for I420,
   NV12 and YUY2 streams with padded rows; a negative camera stride is refused at add. */
#include "avikit.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

static int failures = 0;
static int checks = 0;

#define EXPECT(cond)                                                                  \
    do {                                                                              \
        ++checks;                                                                     \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);  \
            ++failures;                                                               \
        }                                                                             \
    } while (0)

static_assert(static_cast<int32_t>(avikit::pixel_format::i420) == AVK_PIXEL_I420, "I420");
static_assert(static_cast<int32_t>(avikit::pixel_format::nv12) == AVK_PIXEL_NV12, "NV12");
static_assert(static_cast<int32_t>(avikit::pixel_format::yuy2) == AVK_PIXEL_YUY2, "YUY2");
static_assert(avikit::frame_size(avikit::pixel_format::i420, 4, 2) == 12, "4x2 I420");
static_assert(avikit::frame_size(avikit::pixel_format::i420, 4, 2, 5) == 14, "stride 5: U, V rows of 2");
static_assert(avikit::frame_size(avikit::pixel_format::nv12, 4, 2, 6) == 18, "NV12 stride 6");
static_assert(avikit::frame_size(avikit::pixel_format::yuy2, 4, 2) == 16, "YUY2");
static_assert(avikit::frame_size(avikit::pixel_format::bgr24, 4, 2, -16) == 32, "bottom-up RGB");

static avk_video_stream_options camera(int32_t codec, avikit::pixel_format format, int32_t stride) {
    avk_video_stream_options o;
    avk_video_stream_options_init(&o);
    o.width = 32;
    o.height = 16;
    o.codec = codec;
    o.bits_per_pixel = 24;
    o.input_format = static_cast<int32_t>(format);
    o.input_stride = stride;
    return o;
}

int main() {
    const char *dir = std::getenv("AVK_TEST_DIR");
    const std::string path = std::string(dir ? dir : "/tmp") + "/cxx_camera.avi";
    const avikit::pixel_format formats[] = {avikit::pixel_format::i420, avikit::pixel_format::nv12,
                                            avikit::pixel_format::yuy2};
    {
        avikit::writer w(path);
        try {
            w.add_video_stream(camera(AVK_VIDEO_UNCOMPRESSED, avikit::pixel_format::nv12, -32));
            EXPECT(false);
        } catch (const avikit::error &e) {
            EXPECT(e.status() == AVK_E_INVALID_ARGUMENT);
            EXPECT(std::string(e.what()).find("negative") != std::string::npos);
        }
        std::vector<avikit::video_stream> streams;
        std::vector<int32_t> strides;
        for (avikit::pixel_format f : formats) {
            strides.push_back(f == avikit::pixel_format::yuy2 ? 70 : 37);
            streams.push_back(w.add_video_stream(camera(AVK_VIDEO_UNCOMPRESSED, f, strides.back())));
        }
        for (std::size_t i = 0; i < streams.size(); i++) {
            const std::size_t len = avikit::frame_size(formats[i], 32, 16, strides[i]);
            std::vector<uint8_t> frame(len + 1, 128);
            streams[i].write_frame(frame.data(), len);
            for (std::size_t wrong : {len - 1, len + 1}) {
                try {
                    streams[i].write_frame(frame.data(), wrong);
                    EXPECT(false);
                } catch (const avikit::error &e) {
                    EXPECT(e.status() == AVK_E_INVALID_ARGUMENT);
                    EXPECT(std::string(e.what()).find(std::to_string(len)) != std::string::npos);
                }
            }
        }
        w.close();
    }
    std::remove(path.c_str());
    std::printf("test_cxx_camera: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
