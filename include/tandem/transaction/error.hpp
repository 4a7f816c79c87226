#ifndef TANDEM_TRANSACTION_ERROR_HPP
#define TANDEM_TRANSACTION_ERROR_HPP

/// @file Why a transaction ended without a final response (category `"tandem.transaction"`).
///
/// Each module keeps its error enum in its own `error.hpp` (as Beast does): the enum, its
/// category, `make_error_code` found by ADL, and `std::is_error_code_enum`.

#include <tandem/config.hpp>

#include <string>
#include <system_error>

namespace tandem {

/// Why a transaction ended without a final response.
enum class transaction_errc {
    timeout = 1,       ///< Timer B, F or C expired (a client TU acts as on a 408, RFC 3261 8.1.3.1)
    transport_failure, ///< the transport failed (RFC 3261 17.1.4)
};

/// The category of `transaction_errc`, named `"tandem.transaction"`.
TANDEM_DECL const std::error_category& transaction_category() noexcept {
    struct category final : std::error_category {
        const char* name() const noexcept override { return "tandem.transaction"; }
        std::string message(int ev) const override {
            switch (static_cast<transaction_errc>(ev)) {
            case transaction_errc::timeout: return "transaction timed out";
            case transaction_errc::transport_failure: return "transport failure";
            }
            return "unknown tandem.transaction error";
        }
    };
    static const category c;
    return c;
}

TANDEM_DECL std::error_code make_error_code(transaction_errc e) noexcept {
    return {static_cast<int>(e), transaction_category()};
}

} // namespace tandem

template <>
struct std::is_error_code_enum<tandem::transaction_errc> : std::true_type {};

#endif
