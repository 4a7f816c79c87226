#ifndef TANDEM_TESTS_SUPPORT_STACK_EVENTS_HPP
#define TANDEM_TESTS_SUPPORT_STACK_EVENTS_HPP

// For tests whose peer only answers requests: the next request among a stack's events (the
// others are counted in `acks` when given, else skipped).

#include <tandem/net/stack.hpp>

namespace tandem::test {

inline asio::awaitable<result<net::incoming_request>> next_request(net::stack* s, int* acks = nullptr) {
    while (true) {
        auto e = co_await s->next_event();
        if (!e) co_return e.error();
        if (auto* r = std::get_if<net::incoming_request>(&*e)) co_return std::move(*r);
        if (acks && std::holds_alternative<net::acked>(*e)) ++*acks;
    }
}

} // namespace tandem::test

#endif
