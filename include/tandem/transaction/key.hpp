#ifndef TANDEM_TRANSACTION_KEY_HPP
#define TANDEM_TRANSACTION_KEY_HPP

/// @file Transaction identity: which transaction a message belongs to (RFC 3261 17.1.3,
/// 17.2.3, and the RFC 2543 fallback).

#include <tandem/message/message.hpp>

#include <string>

namespace tandem::transaction {

/// True when a branch carries the RFC 3261 magic cookie and something after it.
constexpr bool rfc3261_branch(std::string_view b) noexcept {
    return b.size() > 7 && b.starts_with("z9hG4bK");
}

/**
 * The key of the client transaction a response belongs to (17.1.3): the branch of its top Via
 * and the method of its CSeq. Empty when the response has no usable Via or CSeq.
 */
inline std::string client_key(std::string_view branch, std::string_view method) {
    std::string k;
    k.reserve(branch.size() + method.size() + 1);
    k.append(branch).append(1, '\x01').append(method);
    return k;
}

inline std::string client_key(const message::message& rsp) {
    auto via = rsp.top_via();
    auto cs = rsp.cseq();
    if (!via || !cs || via->branch().empty()) return {};
    return client_key(via->branch(), cs->method_text);
}

/**
 * The key of the server transaction a request belongs to (17.2.3).
 *
 * With an RFC 3261 branch: branch, sent-by and method, where ACK counts as INVITE (it belongs
 * to the INVITE's transaction when it acknowledges a non-2xx response). `as_method` overrides
 * the method: a CANCEL looks up its INVITE with "INVITE".
 *
 * Without one (RFC 2543 peers): Request-URI, From tag, Call-ID, CSeq number, the whole top Via
 * and the method. The To tag that 17.2.3 also compares is left out, because the ACK carries the
 * tag of our response and the INVITE none; requests that differ only in it are not distinct
 * transactions in practice.
 */
inline std::string server_key(const message::message& req, std::string_view as_method = {}) {
    auto via = req.top_via();
    auto cs = req.cseq();
    if (!via || !cs) return {};
    std::string_view method = as_method.empty() ? req.method_text() : as_method;
    if (method == "ACK") method = "INVITE";
    std::string k;
    if (rfc3261_branch(via->branch())) {
        k.append(via->branch()).append(1, '\x01').append(via->host).append(1, ':');
        k.append(std::to_string(via->has_port ? via->port : 0)).append(1, '\x01').append(method);
        return k;
    }
    auto from = req.from();
    k.append("2543\x01").append(req.request_uri_text()).append(1, '\x01');
    k.append(from ? from->tag() : std::string_view{})
        .append(1, '\x01')
        .append(req.call_id())
        .append(1, '\x01');
    k.append(std::to_string(cs->number)).append(1, '\x01');
    message::list_elements vias(req.header(message::header_id::via));
    if (auto it = vias.begin(); it != vias.end()) k.append(*it);
    k.append(1, '\x01').append(method);
    return k;
}

} // namespace tandem::transaction

#endif
