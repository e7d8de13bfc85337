// Records two seconds of a bouncing square through avikit.hpp, the C++17 RAII wrapper, as MJPEG
// and, where the library has it built in, as a second H.264 stream of the same frames: queued
// writes with lambdas as callbacks, errors as avikit::error.
//   c++ -std=c++17 -Iinclude examples/cpp/record.cpp target/release/libavikit.a -lpthread -ldl -lm -lstdc++
#include "avikit.hpp"

#include <atomic>
#include <cstdio>
#include <deque>
#include <optional>
#include <vector>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "record_cpp.avi";
    const uint32_t width = 160, height = 120;
    std::atomic<int> written{0}, written_h264{0};
    try {
        // A bound on the queue (the default 0 is unbounded: with a slow disk it would grow
        // without limit); begin waits while 8 MiB of frames are queued.
        avk_writer_options writer_options;
        avk_writer_options_init(&writer_options);
        writer_options.max_queued_bytes = 8u << 20;
        avikit::writer writer(path, &writer_options);
        avk_video_stream_options options;
        avk_video_stream_options_init(&options);
        options.width = width;
        options.height = height;
        options.codec = AVK_VIDEO_MJPEG;
        options.input_format = AVK_PIXEL_BGRA32;
        options.quality = 85;
        auto video = writer.add_video_stream(options);
        std::optional<avikit::video_stream> h264;
        options.codec = AVK_VIDEO_H264;
        options.keyframe_interval = 30;
        try {
            h264 = writer.add_video_stream(options);
        } catch (const avikit::error &e) {
            if (e.status() != AVK_E_UNSUPPORTED) throw;
            std::printf("H.264 is not built into this library: MJPEG only\n");
        }

        std::deque<avikit::async_result> in_flight;
        std::vector<uint8_t> frame(width * height * 4);
        for (uint32_t n = 0; n < 60; ++n) {
            for (uint32_t y = 0; y < height; ++y)
                for (uint32_t x = 0; x < width; ++x) {
                    bool square = x - (n * 2) % (width - 20) < 20 && y - 50 < 20;
                    uint8_t *px = &frame[(y * width + x) * 4];
                    px[0] = square ? 255 : static_cast<uint8_t>(x);
                    px[1] = square ? 255 : static_cast<uint8_t>(y);
                    px[2] = square ? 255 : 64;
                    px[3] = 255;
                }
            // AVK_WRITE_COPY: the frame buffer is reused at once.
            in_flight.push_back(video.begin_write_frame(frame.data(), frame.size(), AVK_WRITE_COPY,
                                                        [&written](avk_async *) { ++written; }));
            if (h264)
                in_flight.push_back(h264->begin_write_frame(
                    frame.data(), frame.size(), AVK_WRITE_COPY,
                    [&written_h264](avk_async *) { ++written_h264; }));
            if (in_flight.size() > 8) {
                in_flight.front().end();
                in_flight.pop_front();
            }
        }
        for (auto &pending : in_flight) pending.end();
        writer.close();
    } catch (const avikit::error &e) {
        std::fprintf(stderr, "avikit: %s\n", e.what());
        return 1;
    }
    std::printf("%s: %d MJPEG and %d H.264 frames written\n", path, written.load(),
                written_h264.load());
    return 0;
}
