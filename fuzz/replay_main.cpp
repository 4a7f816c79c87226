// A main for fuzz targets built without libFuzzer (TANDEM_FUZZ_REPLAY, fmt's LINKMAIN idea): it runs
// LLVMFuzzerTestOneInput once over every file named on the command line or found, recursively,
// under a directory named there. ctest uses it to replay each corpus in g++ and clang builds.
//
//   fuzz_parser fuzz/corpus/parser [more files or folders...]
//
// Exits 0 after running at least one input; 1 when a path is missing or there was no input;
// a crashing input aborts the process (sanitizers, __builtin_trap) after its path is printed.

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional hooks: a target may define LLVMFuzzerInitialize; sanitizer builds provide the callback.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)());

namespace {

namespace fs = std::filesystem;

// The input being run, for the crash notes below (read from a signal handler: plain C string).
const char* current_input = nullptr;

void write_crash_note() {
    if (current_input == nullptr) return;
    constexpr char prefix[] = "\nreplay: crashed on input ";
    // Best effort from a signal handler: nothing useful to do if stderr is gone.
    [[maybe_unused]] auto n1 = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    [[maybe_unused]] auto n2 = ::write(STDERR_FILENO, current_input, std::strlen(current_input));
    [[maybe_unused]] auto n3 = ::write(STDERR_FILENO, "\n", 1);
}

// SIGABRT (uncaught exception, assert) and SIGILL (__builtin_trap) are not reported by the
// sanitizers by default: name the input, then die with the default action.
extern "C" void on_fatal_signal(int sig) {
    write_crash_note();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

bool read_file(const fs::path& path, std::vector<char>& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

void run_one(const fs::path& path, std::vector<char>& bytes) {
    // An exactly-sized heap copy, so that ASan reports a read one byte past the input.
    auto size = bytes.size();
    auto data = std::make_unique<std::uint8_t[]>(size);
    std::copy(bytes.begin(), bytes.end(), data.get());
    auto name = path.string();
    current_input = name.c_str();
    LLVMFuzzerTestOneInput(data.get(), size);
    current_input = nullptr;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <file-or-directory>...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
    if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(write_crash_note);
    std::signal(SIGABRT, on_fatal_signal);
    std::signal(SIGILL, on_fatal_signal);

    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        fs::path arg = argv[i];
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (fs::recursive_directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec))
                if (it->is_regular_file(ec)) inputs.push_back(it->path());
        } else if (fs::is_regular_file(arg, ec)) {
            inputs.push_back(arg);
        } else {
            std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
            return 1;
        }
        if (ec) {
            std::fprintf(stderr, "replay: cannot read %s: %s\n", argv[i], ec.message().c_str());
            return 1;
        }
    }
    // Directory order is unspecified: sort so that runs are reproducible.
    std::sort(inputs.begin(), inputs.end());

    std::vector<char> bytes;
    std::size_t total_bytes = 0;
    for (const auto& path : inputs) {
        if (!read_file(path, bytes)) {
            std::fprintf(stderr, "replay: cannot read %s\n", path.string().c_str());
            return 1;
        }
        run_one(path, bytes);
        total_bytes += bytes.size();
    }

    std::printf("replay: ran %zu inputs (%zu bytes)\n", inputs.size(), total_bytes);
    if (inputs.empty()) {
        std::fprintf(stderr, "replay: no inputs found: an empty corpus tests nothing\n");
        return 1;
    }
    return 0;
}
