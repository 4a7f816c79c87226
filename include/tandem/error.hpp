#ifndef TANDEM_ERROR_HPP
#define TANDEM_ERROR_HPP

/// @file Every error enum of the library, for code that wants them all. Each module keeps its
/// own in its `error.hpp` (as Beast does): `message/error.hpp` (`parse_errc`, category
/// `"tandem.parse"`), `transport/error.hpp`, `transaction/error.hpp`, `sdp/error.hpp`,
/// `dialog/error.hpp` and `b2bua/error.hpp`. A module's error header depends on nothing but
/// `config.hpp` and `<system_error>`.

#include <tandem/b2bua/error.hpp>
#include <tandem/dialog/error.hpp>
#include <tandem/media/error.hpp>
#include <tandem/message/error.hpp>
#include <tandem/rtp/error.hpp>
#include <tandem/sdp/error.hpp>
#include <tandem/transaction/error.hpp>
#include <tandem/transport/error.hpp>

#endif
