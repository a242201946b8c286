#include "client/errors.hpp"

#include "client/uris.hpp"

namespace autobahn_sync {
namespace {

std::string message_of(const wamp::uri& error, const wamp::list& args) {
  std::string text = error;
  if (!args.empty()) {
    text += ':';
    for (const auto& arg : args) {
      text += ' ';
      text += arg.is_string() ? arg.get<std::string>() : arg.dump();
    }
  }
  return text;
}

std::string abort_message(const wamp::uri& reason, const wamp::dict& details) {
  std::string text = "session aborted by the router: " + reason;
  if (auto it = details.find("message"); it != details.end() && it->second.is_string()) {
    text += " (" + it->second.get<std::string>() + ")";
  }
  return text;
}

}  // namespace

ApplicationError::ApplicationError(wamp::uri error, wamp::list args, wamp::dict kwargs)
    : Error(message_of(error, args)),
      error_(std::move(error)),
      args_(std::move(args)),
      kwargs_(std::move(kwargs)) {}

std::string ApplicationError::error_message() const { return message_of(error_, args_); }

NotAuthorized::NotAuthorized(wamp::list args, wamp::dict kwargs)
    : ApplicationError(wamp::uri(uris::not_authorized), std::move(args), std::move(kwargs)) {}

InvalidUri::InvalidUri(wamp::list args, wamp::dict kwargs)
    : ApplicationError(wamp::uri(uris::invalid_uri), std::move(args), std::move(kwargs)) {}

AbortError::AbortError(wamp::uri reason, wamp::dict details)
    : Error(abort_message(reason, details)),
      reason_(std::move(reason)),
      details_(std::move(details)) {}

std::exception_ptr make_application_error(const wamp::uri& error, wamp::list args,
                                          wamp::dict kwargs) {
  if (error == uris::not_authorized) {
    return std::make_exception_ptr(NotAuthorized(std::move(args), std::move(kwargs)));
  }
  if (error == uris::invalid_uri) {
    return std::make_exception_ptr(InvalidUri(std::move(args), std::move(kwargs)));
  }
  if (error == uris::invalid_payload) {
    // As AutobahnPython maps it: the callee could not serialize its answer.
    return std::make_exception_ptr(SerializationError(message_of(error, args)));
  }
  return std::make_exception_ptr(ApplicationError(error, std::move(args), std::move(kwargs)));
}

void throw_application_error(const wamp::uri& error, wamp::list args, wamp::dict kwargs) {
  std::rethrow_exception(make_application_error(error, std::move(args), std::move(kwargs)));
}

}  // namespace autobahn_sync

namespace autobahn_sync {

std::exception_ptr clone_error(const std::exception_ptr& e) {
  if (!e) return e;
  // Built from fresh strings, not copy-constructed: std::runtime_error's copy shares its
  // message buffer through another uninstrumented reference count.
  try {
    std::rethrow_exception(e);
  } catch (const NotAuthorized& x) {
    return std::make_exception_ptr(NotAuthorized(x.args(), x.kwargs()));
  } catch (const InvalidUri& x) {
    return std::make_exception_ptr(InvalidUri(x.args(), x.kwargs()));
  } catch (const ApplicationError& x) {
    return std::make_exception_ptr(ApplicationError(x.error(), x.args(), x.kwargs()));
  } catch (const AbortError& x) {
    return std::make_exception_ptr(AbortError(x.reason(), x.details()));
  } catch (const SessionNotReady& x) {
    return std::make_exception_ptr(SessionNotReady(std::string(x.what())));
  } catch (const SerializationError& x) {
    return std::make_exception_ptr(SerializationError(std::string(x.what())));
  } catch (const ProtocolError& x) {
    return std::make_exception_ptr(ProtocolError(std::string(x.what())));
  } catch (const TransportLost& x) {
    return std::make_exception_ptr(TransportLost(std::string(x.what())));
  } catch (const ConnectionRefusedError& x) {
    return std::make_exception_ptr(ConnectionRefusedError(std::string(x.what())));
  } catch (const AlreadyRunningError& x) {
    return std::make_exception_ptr(AlreadyRunningError(std::string(x.what())));
  } catch (const NotRunningError& x) {
    return std::make_exception_ptr(NotRunningError(std::string(x.what())));
  } catch (const Error& x) {
    return std::make_exception_ptr(Error(std::string(x.what())));
  } catch (...) {
    return e;
  }
}

}  // namespace autobahn_sync
