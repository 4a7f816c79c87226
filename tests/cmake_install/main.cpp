// The packaging consumers' program (tests/cmake_install and tests/cmake_subdir): it only has to
// compile against the target it was given, agree with it on TLS/SRTP, and parse a message.
#include <tandem/config.hpp>
#include <tandem/message/message.hpp>

#include <string>

static_assert(TANDEM_HAS_TLS == EXPECT_HAS_TLS, "TANDEM_HAS_TLS does not match the package");
static_assert(TANDEM_HAS_SRTP == EXPECT_HAS_SRTP, "TANDEM_HAS_SRTP does not match the package");

int main() {
    const std::string text = "OPTIONS sip:a@b SIP/2.0\r\n"
                             "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                             "To: <sip:a@b>\r\n"
                             "From: <sip:c@d>;tag=1\r\n"
                             "Call-ID: x\r\n"
                             "CSeq: 1 OPTIONS\r\n"
                             "Content-Length: 0\r\n"
                             "\r\n";
    auto parsed = tandem::message::message::parse(text);
    return parsed.has_value() ? 0 : 1;
}
