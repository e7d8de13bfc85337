// Records two seconds of a bouncing square through avikit.hpp, the C++17 RAII wrapper:
// queued writes with lambdas as callbacks, errors as avikit::error.
//   c++ -std=c++17 -Iinclude examples/cpp/record.cpp target/release/libavikit.a -lpthread -ldl -lm -lstdc++
#include "avikit.hpp"

#include <atomic>
#include <cstdio>
#include <deque>
#include <vector>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "record_cpp.avi";
    const uint32_t width = 160, height = 120;
    std::atomic<int> written{0};
    try {
        avikit::writer writer(path);
        avk_video_stream_options options;
        avk_video_stream_options_init(&options);
        options.width = width;
        options.height = height;
        options.codec = AVK_VIDEO_MJPEG;
        options.input_format = AVK_PIXEL_BGRA32;
        options.quality = 85;
        auto video = writer.add_video_stream(options);

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
            if (in_flight.size() > 4) {
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
    std::printf("%s: %d MJPEG frames written\n", path, written.load());
    return 0;
}
